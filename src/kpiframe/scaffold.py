"""`kpiframe new plugin`: a plugin package that installs, registers and passes the contract tests.

The files are short on purpose: a working starting point, each line there for a reason.
"""

from __future__ import annotations

import re
import textwrap
from pathlib import Path

from kpiframe.errors import ConfigError

KINDS = ("connector", "calculator", "reporter")

#: Warnings from other libraries that kpiframe's own test suite ignores (pyproject.toml's
#: filterwarnings must equal this list: a test checks). Generated plugins get it too.
THIRD_PARTY_WARNINGS = (
    "ignore::DeprecationWarning:ibis.*",
    "ignore:.*future.infer_string.*",
    "ignore:The copy keyword is deprecated:FutureWarning",
    "ignore:The copy keyword is deprecated:DeprecationWarning",
    "ignore:'click.utils.get_.*_stream' is deprecated:DeprecationWarning",
)

PYPROJECT = """\
[build-system]
requires = ["setuptools>=70.1"]
build-backend = "setuptools.build_meta"

[project]
name = "{dist}"
version = "0.1.0"
description = "A kpiframe {kind} plugin."
readme = "README.md"
requires-python = ">=3.11"
dependencies = ["kpiframe>=0.1,<1"]

[project.optional-dependencies]
test = ["pytest>=8"]

# This line is what makes kpiframe find the plugin once the package is installed.
[project.entry-points.kpiframe]
{name} = "{module}"

[tool.setuptools.packages.find]
where = ["src"]

[tool.pytest.ini_options]
# Other libraries' deprecations, filtered as kpiframe's own suite filters them.
filterwarnings = [
{filters}
]
"""

README = """\
# {dist}

A kpiframe {kind} plugin.

```console
pip install -e '.[test]'   # install it; `kpiframe plugins` now lists it
pytest                     # the contract tests of kpiframe.testing
```
"""

CODE = {
    "connector": (
        '''\
"""A kpiframe connector: reads a CSV file through the run's DuckDB."""

import kpiframe

KPIFRAME_PLUGIN_API = 1


class {cls}(kpiframe.Connector):
    name = "{name}"
    description = "A CSV file, read by DuckDB (replace with your own source)."
    params_schema = {{
        "type": "object",
        "properties": {{"path": {{"type": "string", "description": "the file, relative to the config"}}}},
        "required": ["path"],
        "additionalProperties": False,
    }}

    def open(self, params, context):
        path = context.resolve_path(params["path"])
        if not path.is_file():
            # A clear message, and never a secret in it.
            raise kpiframe.SourceError(f"{{params['path']}} not found (looked at {{path}})")
        # A view on the run's DuckDB: every literal quoted with kpiframe.sql_literal.
        return context.view(f"SELECT * FROM read_csv({{kpiframe.sql_literal(str(path))}})")


@kpiframe.hookimpl
def kpiframe_register_connectors():
    return [{cls}()]
'''
    ),
    "calculator": (
        '''\
"""A kpiframe calculator: the range (max − min) of a column."""

import kpiframe

KPIFRAME_PLUGIN_API = 1


class {cls}(kpiframe.Calculator):
    name = "{name}.range"
    title = "Range"
    unit = "number"
    direction = "lower"
    doc = "max(column) − min(column) over non-null values; no data when there are none."
    params_schema = {{
        "type": "object",
        "properties": {{"column": {{"type": "string", "format": "kpiframe-expression"}}}},
        "required": ["column"],
        "additionalProperties": False,
    }}

    def parts(self, table, params, where, window):
        values = kpiframe.column(table, params["column"])
        # Pass `where` to every reduction: kpiframe fuses all metrics into one query.
        return {{"low": values.min(where=where), "high": values.max(where=where), "n": values.count(where=where)}}

    def finalize(self, parts, params):
        if not parts["n"]:
            return kpiframe.Value.no_data("no values in the window")
        return kpiframe.Value(float(parts["high"] - parts["low"]), n=int(parts["n"]))


@kpiframe.hookimpl
def kpiframe_register_calculators():
    return [{cls}()]
'''
    ),
    "reporter": (
        '''\
"""A kpiframe reporter: one line per metric, plain text."""

import kpiframe

KPIFRAME_PLUGIN_API = 1


class {cls}(kpiframe.Reporter):
    name = "{name}"
    extension = "txt"
    description = "One line per metric: status, id and value."

    def render(self, scorecard, options):
        lines = [f"{{scorecard.title}}: {{scorecard.status}}"]
        for metric in scorecard.metrics:
            lines.append(f"{{metric.status:8}} {{metric.id}} = {{metric.value}}")
        return "\\n".join(lines) + "\\n"


@kpiframe.hookimpl
def kpiframe_register_reporters():
    return [{cls}()]
'''
    ),
}

TESTS = {
    "connector": (
        """\
from kpiframe.testing import ConnectorContract

from {module} import {cls}


class Test{cls}(ConnectorContract):
    connector = {cls}()
    columns = {{"id", "value"}}

    def params(self, tmp_path):
        (tmp_path / "data.csv").write_text("id,value\\n1,2.5\\n2,\\n3,7\\n")
        return {{"path": "data.csv"}}

    def bad_params(self, tmp_path):
        return {{"path": "missing.csv"}}
"""
    ),
    "calculator": (
        """\
from kpiframe.testing import CalculatorContract

from {module} import {cls}


class Test{cls}(CalculatorContract):
    calculator = {cls}()
    params = {{"column": "x"}}
    rows = [{{"x": 3.0}}, {{"x": None}}, {{"x": 10.5}}, {{"x": -1.0}}]

    def reference(self, rows):
        values = [r["x"] for r in rows if r["x"] is not None]
        return max(values) - min(values) if values else None
"""
    ),
    "reporter": (
        """\
from kpiframe.testing import ReporterContract

from {module} import {cls}


class Test{cls}(ReporterContract):
    reporter = {cls}()
"""
    ),
}


def registered_name(ident: str, kind: str) -> str:
    """The name the generated plugin registers: ``acme_metrics`` (``acme_metrics.range`` for a calculator)."""
    return f"{ident}.range" if kind == "calculator" else ident


def new_plugin(name: str, kind: str, folder: Path) -> Path:
    """Write the package for plugin ``name`` of ``kind`` under ``folder``; return its path.

    ``acme-metrics`` (or ``acme_metrics``) gives the distribution ``kpiframe-acme-metrics``
    and the module ``kpiframe_acme_metrics``, as ``plugins/kpiframe-zendesk`` is named.
    """
    from kpiframe.plugins import make_plugin_manager

    if not re.fullmatch(r"[a-z][a-z0-9]*(?:[-_][a-z0-9]+)*", name):
        raise ConfigError(
            f"plugin name {name!r}: use lower-case letters and digits, words joined by - or _ (e.g. acme-metrics)"
        )
    if kind not in KINDS:
        raise ConfigError(f"--kind: expected one of {', '.join(KINDS)}, got {kind!r}")
    ident = name.replace("-", "_")
    registry = make_plugin_manager()
    table = {"connector": registry.connectors, "calculator": registry.calculators, "reporter": registry.reporters}[kind]
    taken = registered_name(ident, kind)
    if taken in table:
        raise ConfigError(
            f"a {kind} named {taken!r} is already installed (from {table[taken].origin}); choose another plugin name"
        )
    dist = f"kpiframe-{ident.replace('_', '-')}"
    root = folder / dist
    if root.exists():
        raise ConfigError(f"{root} already exists; kpiframe never overwrites it. Choose another name or folder")
    module = f"kpiframe_{ident}"
    cls = "".join(part.title() for part in ident.split("_")) + kind.title()
    filters = ",\n".join(f'  "{warning}"' for warning in THIRD_PARTY_WARNINGS)
    values = {"name": ident, "kind": kind, "module": module, "cls": cls, "dist": dist, "filters": filters}
    files = {
        root / "pyproject.toml": PYPROJECT.format(**values),
        root / "README.md": README.format(**values),
        root / "src" / module / "__init__.py": CODE[kind].format(**values),
        root / "tests" / f"test_{name}.py": TESTS[kind].format(**values),
    }
    for path, text in files.items():
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(textwrap.dedent(text), encoding="utf-8")
    return root
