"""What a command imports is what it uses: start-up is most of a CI job's run (docs/performance.md).

Each command runs in a fresh interpreter, as a CI job pays for it, and reports which of
the modules below it imported.
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from conftest import TICKETS, write_parquet

WATCHED = (
    "importlib.metadata",
    "jsonschema",
    "yaml",
    "http.client",
    "ssl",
    "tabulate",
    "xml.etree.ElementTree",
    "markupsafe",
    "rich.markdown",  # typer.rich_utils imports it for a markup mode kpiframe does not use
    "rich.traceback",  # ... and for pretty exceptions, which kpiframe turns off
    "pygments",
)


def imported(tmp_path: Path, *argv: str, watched: tuple[str, ...] = WATCHED) -> set[str]:
    code = (
        "import sys, io, json, contextlib, kpiframe.cli as c\n"
        f"sys.argv = ['kpiframe', *{list(argv)!r}]\n"
        "try:\n    with contextlib.redirect_stdout(io.StringIO()):\n        c.main()\nexcept SystemExit:\n    pass\n"
        f"print('IMPORTED', json.dumps([m for m in {watched!r} if m in sys.modules]))"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, cwd=tmp_path, check=True).stdout
    line = next(line for line in out.splitlines() if line.startswith("IMPORTED"))
    return set(json.loads(line.split(" ", 1)[1]))


def test_help_reads_no_package_metadata_and_no_config_machinery(tmp_path):
    assert imported(tmp_path, "--help") == set()


def test_help_and_version_need_neither_the_plugin_contract_nor_pluggy(tmp_path):
    plugin_machinery = ("pluggy", "kpiframe.contracts", "kpiframe.plugins", "kpiframe.hookspecs", "kpiframe.context")
    assert imported(tmp_path, "--help", watched=plugin_machinery) == set()
    assert imported(tmp_path, "--version", watched=plugin_machinery) == set()


def test_import_kpiframe_imports_none_of_its_modules_until_a_name_is_used():
    code = (
        "import sys, kpiframe\n"
        "before = sorted(m for m in sys.modules if m.startswith('kpiframe.'))\n"
        "from kpiframe import Value, hookimpl\n"
        "print(before, 'kpiframe.contracts' in sys.modules, 'pluggy' in sys.modules, 'kpiframe.api' in sys.modules)"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
    assert out.split() == ["[]", "True", "True", "False"]


def test_every_public_name_is_the_object_its_module_defines_and_is_listed_by_dir():
    import kpiframe
    from kpiframe import api, contracts, errors, exit_codes, http, plugins, redaction, scorecard, sql_literals

    defined = {
        **{name: getattr(contracts, name) for name in ("Calculator", "Connector", "DerivedCalculator", "Period")},
        **{name: getattr(contracts, name) for name in ("Preset", "PreviousRun", "Reporter", "SourceContext", "Value")},
        "PLUGIN_API_VERSION": 1,
        "PLUGIN_API_MINOR": contracts.PLUGIN_API_MINOR,
        **{name: getattr(errors, name) for name in ("CalculationError", "ConfigError", "DeliveryError")},
        **{name: getattr(errors, name) for name in ("ExpressionError", "KpiframeError", "PluginError", "SourceError")},
        "ExitCode": exit_codes.ExitCode,
        "hookimpl": plugins.hookimpl,
        "Redactor": redaction.Redactor,
        "sql_literal": sql_literals.sql_literal,
        **{name: getattr(api, name) for name in ("RunContext", "check_data", "column", "condition", "load_config")},
        "prepare": api.prepare,
        "run": api.run,
        "get_json": http.get_json,
        "post_json": http.post_json,
        "Scorecard": scorecard.Scorecard,
        "__version__": "0.1.0",
    }
    assert sorted(kpiframe.__all__) == sorted(defined)
    assert {name: getattr(kpiframe, name) for name in kpiframe.__all__} == defined
    assert set(kpiframe.__all__) <= set(dir(kpiframe))
    with pytest.raises(AttributeError, match="no attribute 'Valu'"):
        kpiframe.Valu  # noqa: B018


def test_a_usage_error_imports_neither_rich_markdown_nor_its_traceback_renderer(tmp_path):
    assert imported(tmp_path, "run") == set()
    assert imported(tmp_path, "validate", "--no-such-option") == set()


def test_a_quiet_run_to_json_imports_neither_jsonschema_nor_the_http_client_nor_other_reporters(tmp_path):
    write_parquet(tmp_path / "tickets.parquet", TICKETS)
    (tmp_path / "kpis.yaml").write_text(
        "version: 1\nsources: {t: {connector: parquet, path: tickets.parquet}}\n"
        "metrics: {n: {calc: count, source: t}, w: {calc: mean, source: t, params: {column: wait}}}\n"
    )
    found = imported(tmp_path, "run", "kpis.yaml", "--quiet", "-o", "json=out.json")
    assert (tmp_path / "out.json").exists()
    assert found == {"importlib.metadata", "yaml"}


def test_an_invalid_config_still_loads_jsonschema_for_its_messages(tmp_path):
    (tmp_path / "kpis.yaml").write_text("version: 1\nsources: {}\nmetrics: {n: {calc: count, sorce: t}}\n")
    assert "jsonschema" in imported(tmp_path, "validate", "kpis.yaml")
