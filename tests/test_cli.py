"""The command line: formats, output files, exit codes, and a fast --help."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import jsonschema
import pytest

from conftest import TICKETS

CONFIG = """
version: 1
title: CLI test
as_of: "2026-03-01T00:00:00Z"
window: {{last: 30d}}
sources:
  t: {{connector: parquet, path: {path}, time: created_at}}
metrics:
  n: {{calc: count, source: t, target: ">= 5"}}
  wait: {{calc: mean, source: t, params: {{column: wait, unit: s}}, target: "<= {wait_target}", warn: "<= 10s"}}
  email: {{calc: share, source: t, params: {{match: "channel == 'email'"}}}}
"""


@pytest.fixture
def config(tickets, write_config):
    def make(wait_target: str = "60s") -> Path:
        return write_config(CONFIG.format(path=tickets, wait_target=wait_target))

    return make


def test_table_output_and_exit_codes_by_fail_on(config, cli):
    path = config()  # mean wait 21.7 s: passes the target, misses the warn level
    result = cli("run", path, "--no-color")
    assert result.exit_code == 0
    assert "WARN" in result.stdout and "21.70 s" in result.stdout and "\x1b[" not in result.stdout
    assert cli("run", path, "--fail-on", "warn").exit_code == 1
    assert cli("run", config("20s"), "--fail-on", "fail").exit_code == 1
    assert cli("run", config("20s"), "--fail-on", "never").exit_code == 0
    assert cli("run", config("20s"), "--fail-on", "error").exit_code == 0


def test_colour_only_when_asked_or_on_a_terminal(config, cli):
    assert "\x1b[33mWARN\x1b[0m" in cli("run", config(), "--color").stdout
    assert "\x1b[" not in cli("run", config(), env={"FORCE_COLOR": "1", "NO_COLOR": "1"}).stdout


def test_the_header_counts_in_words_that_agree_with_the_number(config, cli):
    card = json.loads(cli("run", config(), "--format", "json").stdout)
    metrics, queries = len(card["metrics"]), card["run"]["queries"]
    words = f"{metrics} metric{'s' if metrics != 1 else ''} in {queries} quer{'ies' if queries != 1 else 'y'}"
    assert words in cli("run", config()).stdout
    assert f"{queries} quer{'ies' if queries != 1 else 'y'}" in cli("run", config(), "--format", "markdown").stdout


def test_json_output_is_valid_against_the_published_schema(config, cli):
    result = cli("run", config(), "--format", "json")
    card = json.loads(result.stdout)
    schema = json.loads(cli("schema", "--scorecard").stdout)
    jsonschema.Draft202012Validator(schema, format_checker=jsonschema.FormatChecker()).validate(card)
    waits = [t["wait"] for t in TICKETS if t["wait"] is not None and t["id"] != 7]
    wait = next(m for m in card["metrics"] if m["id"] == "wait")
    assert wait["value"] == pytest.approx(sum(waits) / len(waits)) and wait["status"] == "warn"
    assert card["summary"]["warn"] == 1 and card["status"] == "warn"
    assert card["run"]["as_of"] == "2026-03-01T00:00:00Z" and card["run"]["queries"] == 1


def test_output_file_gets_the_report_and_the_terminal_the_table(config, cli, tmp_path):
    out = tmp_path / "reports" / "card.json"
    result = cli("run", config(), "--format", "json", "--output", out)
    assert json.loads(out.read_text())["title"] == "CLI test"
    assert "Status" in result.stdout and f"json report written to {out}" in result.stdout
    assert cli("run", config(), "--format", "json", "--output", tmp_path / "q.json", "--quiet").stdout == ""


def test_output_never_overwrites_the_config(config, cli):
    path = config()
    before = path.read_text()
    result = cli("run", path, "--output", f"json={path}")
    assert result.exit_code == 2 and "is the config file; kpiframe never overwrites it" in result.stderr
    assert path.read_text() == before


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--fail-on", "sometimes"], "Invalid value for '--fail-on'"),
        (["--format", "pdf"], "--format: unknown format 'pdf'; installed: csv, html, json, junit, markdown, table"),
        (["--as-of", "yesterday"], "--as-of: expected a date or timestamp"),
    ],
)
def test_usage_errors_exit_2_without_a_traceback(config, cli, args, message):
    result = cli("run", config(), *args)
    assert result.exit_code == 2
    assert message in result.stderr and "Traceback" not in result.output


def test_as_of_moves_the_window(config, cli):
    card = json.loads(cli("run", config(), "--format", "json", "--as-of", "2026-02-01").stdout)
    assert next(m for m in card["metrics"] if m["id"] == "n")["value"] == 1  # only the January ticket


def test_validate_reads_no_data(write_config, cli):
    path = write_config(
        "version: 1\nsources: {t: {connector: parquet, path: does-not-exist.parquet}}\nmetrics: {n: {calc: count,"
        " source: t}}\n"
    )
    result = cli("validate", path)
    assert result.exit_code == 0 and "ok (1 sources, 1 metrics)" in result.stdout


def test_schema_includes_plugin_params(cli):
    schema = json.loads(cli("schema").stdout)
    metric = schema["properties"]["metrics"]["additionalProperties"]
    percentile = next(v for v in metric["allOf"] if v["if"]["properties"]["calc"]["const"] == "percentile")
    assert percentile["then"]["properties"]["params"]["required"] == ["column", "q"]
    jsonschema.Draft202012Validator.check_schema(schema)


def test_the_demo_config_validates_against_the_full_schema(cli):
    import yaml

    schema = json.loads(cli("schema").stdout)
    demo = yaml.safe_load((Path(__file__).parents[1] / "configs" / "demo.yaml").read_text())
    jsonschema.Draft202012Validator(schema).validate(demo)


def test_plugins_lists_origins(cli):
    rows = json.loads(cli("plugins", "--json").stdout)
    count = next(r for r in rows if r["name"] == "count")
    assert count["kind"] == "calculator" and count["package"] == "kpiframe"
    assert {r["name"] for r in rows if r["kind"] == "connector"} >= {
        "csv",
        "parquet",
        "jsonl",
        "json",
        "duckdb",
        "sqlite",
    }


def test_help_does_not_import_the_engine():
    code = (
        "import sys, kpiframe.cli as c; sys.argv=['kpiframe','--help']\ntry:\n    c.main()\nexcept SystemExit:\n   "
        " pass\nheavy=[m for m in ('ibis','duckdb','pyarrow','pandas') if m in sys.modules]\nprint('HEAVY', heavy)"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
    assert "HEAVY []" in out
    assert "Exit codes" in out


def test_debug_shows_the_traceback_and_keeps_the_exit_code(write_config, cli):
    path = write_config("version: 2\n")
    plain, debug = cli("validate", path), cli("--debug", "validate", path)
    assert plain.exit_code == debug.exit_code == 2
    assert "Traceback" not in plain.stderr
    assert "Traceback (most recent call last)" in debug.stderr and "ConfigError" in debug.stderr


@pytest.mark.parametrize("config", sorted((Path(__file__).parents[1] / "configs").glob("*.yaml")), ids=lambda p: p.name)
def test_every_bundled_config_validates(cli, config):
    result = cli("validate", config)
    assert result.exit_code == 0, result.stderr


def test_fail_on_choices_are_the_engine_s_levels():
    from kpiframe.cli import FailOn
    from kpiframe.engine.evaluate import FAIL_ON

    assert tuple(level.value for level in FailOn) == FAIL_ON
