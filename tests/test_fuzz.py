"""Fuzzing: mutated configs and expressions always end with a contract exit code
(0, 1, 2 or 3), never a traceback or a crash (4), and never execute anything.

The number of examples is bounded so `make test` stays quick; raise it locally
with HYPOTHESIS_PROFILE=deep. Cases that once crashed live in tests/hostile/.
"""

from __future__ import annotations

import copy
import os
import re
from pathlib import Path
from typing import Any

import pytest
import yaml
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from conftest import TICKETS, write_parquet

settings.register_profile(
    "ci", max_examples=60, deadline=None, suppress_health_check=list(HealthCheck), derandomize=True
)
settings.register_profile("deep", max_examples=2000, deadline=None, suppress_health_check=list(HealthCheck))
settings.load_profile(os.environ.get("HYPOTHESIS_PROFILE", "ci"))

CONTRACT = {0, 1, 2, 3}
FOLDER = Path(__file__).parent / "fuzz-data"
CANARY = FOLDER / "executed.canary"

VALID: dict[str, Any] = {
    "version": 1,
    "title": "Fuzz",
    "as_of": "2026-03-01T00:00:00Z",
    "window": {"last": "30d"},
    "sources": {"t": {"connector": "parquet", "path": "tickets.parquet", "time": "created_at", "where": "id > 0"}},
    "metrics": {
        "n": {"calc": "count", "source": "t", "target": ">= 1"},
        "wait": {
            "calc": "mean",
            "source": "t",
            "params": {"column": "wait", "unit": "s"},
            "target": "<= 60s",
            "warn": "<= 30s",
            "by": ["channel"],
        },
        "share": {
            "calc": "share",
            "source": "t",
            "params": {"match": "channel == 'email'"},
            "target": ">= 10%",
            "grain": "week",
        },
        "p90": {"calc": "percentile", "source": "t", "params": {"column": "wait", "q": 0.9}, "min_sample": 2},
        "ratio": {"calc": "expr", "params": {"expr": "n / 2"}},
    },
}

# Values of every type and shape a hand-edited YAML file can hold.
scalars = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(min_value=-(10**20), max_value=10**20),
    st.floats(allow_nan=True, allow_infinity=True),
    st.text(max_size=40),
    st.sampled_from(
        [
            "",
            "30d",
            "1m",
            "-5d",
            "99999999999w",
            "<= 60s",
            ">= 85%",
            "between 5 and 1",
            "p90",
            "tag:x",
            "${HOME}",
            "${NOPE}",
            "all",
        ]
    ),
)
values = st.recursive(
    scalars,
    lambda inner: st.one_of(st.lists(inner, max_size=3), st.dictionaries(st.text(max_size=8), inner, max_size=3)),
    max_leaves=8,
)
HOSTILE_EXPRESSIONS = [
    "__import__('os').system('touch executed.canary')",
    "().__class__.__bases__[0].__subclasses__()",
    "wait.__class__",
    "open('executed.canary', 'w')",
    "eval('1')",
    "exec('import os')",
    "import os",
    "1; DROP TABLE t; --",
    "channel = 'a' OR 1=1 --",
    "channel == 'it''s'",
    '"channel" == "\\""',
    "channel == 'x' /* comment */",
    "(" * 300 + "1" + ")" * 300,
    "not " * 500 + "ok",
    "- " * 500 + "1",
    "`a` `b`",
    "wait >",
    "in [",
    "lambda: 1",
    "{1: 2}",
    "[x for x in y]",
    "\x00",
    "é > 1",
]
expressions = st.one_of(
    st.sampled_from(HOSTILE_EXPRESSIONS),
    st.text(alphabet=st.characters(blacklist_categories=("Cs",)), max_size=60),
    st.lists(
        st.sampled_from(
            [
                "wait",
                "channel",
                "(",
                ")",
                "and",
                "or",
                "not",
                "==",
                ">",
                "+",
                "'x'",
                "1",
                ",",
                "if",
                "coalesce",
                "__dict__",
                ".",
                "[",
                "]",
                "in",
            ]
        ),
        max_size=25,
    ).map(" ".join),
)


def _paths(data: Any, prefix: tuple[Any, ...] = ()) -> list[tuple[Any, ...]]:
    found = [prefix] if prefix else []
    if isinstance(data, dict):
        for key, value in data.items():
            found += _paths(value, prefix + (key,))
    elif isinstance(data, list):
        for i, value in enumerate(data):
            found += _paths(value, prefix + (i,))
    return found


@st.composite
def mutated_configs(draw: Any) -> dict[str, Any]:
    config = copy.deepcopy(VALID)
    for _ in range(draw(st.integers(1, 4))):
        paths = _paths(config)
        path = draw(st.sampled_from(paths))
        parent = config
        for key in path[:-1]:
            parent = parent[key]
        action = draw(st.sampled_from(["replace", "delete", "add", "move"]))
        if action == "replace":
            parent[path[-1]] = draw(values)
        elif action == "delete" and isinstance(parent, dict):
            del parent[path[-1]]
        elif action == "add" and isinstance(parent, dict):
            parent[draw(st.text(max_size=10))] = draw(values)
        elif action == "move" and isinstance(parent, dict):
            config[path[-1]] = parent.pop(path[-1])  # a key at the wrong level
    return config


@pytest.fixture(scope="module", autouse=True)
def data_folder() -> None:
    FOLDER.mkdir(exist_ok=True)
    write_parquet(FOLDER / "tickets.parquet", TICKETS)
    yield
    for path in FOLDER.iterdir():
        path.unlink()
    FOLDER.rmdir()


def _run(cli: Any, text: str, *commands: str) -> None:
    path = FOLDER / "kpis.yaml"
    path.write_text(text, encoding="utf-8", errors="surrogateescape")
    for command in commands:
        result = cli(command, path)
        output = result.stdout + result.stderr
        assert result.exit_code in CONTRACT, f"{command} exited {result.exit_code} on:\n{text}\n{output}"
        assert "Traceback" not in output and "kpiframe crashed" not in output, output
    assert not CANARY.exists(), "an expression was executed"


@given(mutated_configs())
def test_mutated_configs_end_with_a_contract_exit_code(cli, config):
    _run(cli, yaml.safe_dump(config, allow_unicode=True), "validate", "run")


@given(expressions, st.sampled_from(["where", "match", "column", "source_where", "expr"]))
def test_hostile_expressions_are_refused_or_computed_never_executed(cli, expression, place):
    config = copy.deepcopy(VALID)
    if place == "where":
        config["metrics"]["n"]["where"] = expression
    elif place == "match":
        config["metrics"]["share"]["params"]["match"] = expression
    elif place == "column":
        config["metrics"]["wait"]["params"]["column"] = expression
    elif place == "source_where":
        config["sources"]["t"]["where"] = expression
    else:
        config["metrics"]["ratio"]["params"]["expr"] = expression
    _run(cli, yaml.safe_dump(config, allow_unicode=True), "validate", "run")


@given(st.binary(max_size=300))
def test_arbitrary_bytes_as_a_config_are_a_config_error(cli, blob):
    path = FOLDER / "kpis.yaml"
    path.write_bytes(blob)
    result = cli("validate", path)
    assert result.exit_code in CONTRACT and "Traceback" not in result.stdout + result.stderr


@given(
    st.sampled_from(["\ufeff", "", "\t", "---\n", "%YAML 1.1\n---\n", "--- !!map\n"]),
    st.sampled_from(["", "\t", "  "]),
    st.sampled_from(["", "\n---\nsecond: doc\n", "\n...\n", "\nextra: &a [*a]\n", "\n<<: {title: x}\n"]),
)
def test_yaml_framing_oddities_are_handled(cli, head, indent, tail):
    body = yaml.safe_dump(VALID)
    text = (
        head
        + "\n".join(indent + line if indent and i % 7 == 3 else line for i, line in enumerate(body.splitlines()))
        + tail
    )
    _run(cli, text, "validate", "run")


HOSTILE_CORPUS = sorted((Path(__file__).parent / "hostile").glob("*.yaml"))


@pytest.mark.parametrize("case", HOSTILE_CORPUS, ids=lambda p: p.name)
def test_the_hostile_corpus_ends_with_a_contract_exit_code(cli, case, tmp_path):
    """Every config here once crashed kpiframe; its first line says how `run` must end."""
    write_parquet(tmp_path / "tickets.parquet", TICKETS)
    target = tmp_path / case.name
    target.write_bytes(case.read_bytes())
    expected = int(re.match(r"# exit (\d+)", case.read_text(errors="replace")).group(1))  # type: ignore[union-attr]
    for command in ("validate", "validate --data", "run"):
        result = cli(*command.split(), target)
        output = result.stdout + result.stderr
        assert "Traceback" not in output and "kpiframe crashed" not in output, output
        assert result.exit_code in CONTRACT, output
        if command == "run":
            assert result.exit_code == expected, output
