"""Hostile and careless input found by probing the CLI: each case ends with a contract
exit code and a located, fixable message, never a crash (exit 4) or a raw Python error."""

from __future__ import annotations

import math
import textwrap
from fractions import Fraction
from pathlib import Path

import pytest

import kpiframe
from conftest import TICKETS, write_parquet
from kpiframe.calculators.delta import delta_interval
from kpiframe.calculators.intervals import Z95
from kpiframe.expr import parse

#: Longer than any file system's NAME_MAX (255 bytes on ext4, xfs, btrfs, tmpfs, APFS).
LONG_NAME = "x" * 300

CONFIG = """
version: 1
as_of: "2026-03-01T00:00:00Z"
window: {{last: 30d}}
{include}
sources:
  t: {{connector: parquet, path: tickets.parquet, time: created_at}}
metrics:
  n: {{calc: count, source: t, target: ">= 1"}}
  {extra}
"""


@pytest.fixture
def folder(tmp_path: Path) -> Path:
    write_parquet(tmp_path / "tickets.parquet", TICKETS)
    return tmp_path


def config(folder: Path, include: str = "", extra: str = "") -> Path:
    path = folder / "kpis.yaml"
    path.write_text(textwrap.dedent(CONFIG.format(include=include, extra=extra)).lstrip(), encoding="utf-8")
    return path


def assert_clean(result, code: int, *needles: str) -> str:
    output = result.stdout + result.stderr
    assert result.exit_code == code, output
    assert "Traceback" not in output and "kpiframe crashed" not in output, output
    for needle in needles:
        assert needle in output, output
    return output


# --- paths the file system refuses: usage errors, not crashes --------------------------------


@pytest.mark.parametrize(
    ("item", "message"),
    [
        ('["a\\0b.yaml"]', "the included path holds a NUL byte"),
        ("[~no-such-user-kpiframe/shared.yaml]", "included file not found: ~no-such-user-kpiframe/shared.yaml"),
        (f"[{LONG_NAME}.yaml]", "File name too long"),
        (f"[{LONG_NAME}/shared.yaml]", "File name too long"),
    ],
    ids=["nul-byte", "unknown-home", "long-name", "long-folder"],
)
def test_an_include_path_the_file_system_refuses_is_a_located_config_error(folder, cli, item, message):
    path = config(folder, include=f"include: {item}")
    assert_clean(cli("validate", path), 2, "kpis.yaml:4:11: include[0]", message)


def test_a_config_name_too_long_for_the_file_system_is_a_config_error(folder, cli):
    assert_clean(cli("validate", folder / f"{LONG_NAME}.yaml"), 2, "File name too long")


@pytest.mark.parametrize("option", ["-o", "--history"])
def test_an_output_or_history_name_too_long_for_the_file_system_is_a_usage_error(folder, cli, option):
    target = folder / f"{LONG_NAME}.{'json' if option == '-o' else 'duckdb'}"
    output = assert_clean(cli("run", config(folder), option, target), 2, "File name too long", "give another path")
    assert LONG_NAME not in output  # the name is cut in the middle, not printed whole


def test_sample_data_into_a_folder_name_too_long_is_a_usage_error(folder, cli):
    assert_clean(cli("sample-data", folder / LONG_NAME / "data"), 2, "File name too long")


# --- plugins written for another kpiframe ------------------------------------------------------


@pytest.mark.parametrize(
    ("source", "message"),
    [
        (
            "from kpiframe import hookimpl\n\n@hookimpl\n"
            "def kpiframe_scorecard_ready(scorecard, config, a_future_argument):\n    pass\n",
            "does not fit this kpiframe's hooks",
        ),
        ('KPIFRAME_PLUGIN_API = "one"\n', "was written for kpiframe plugin API one"),
    ],
    ids=["hook-arguments-from-a-newer-kpiframe", "api-version-not-a-number"],
)
def test_a_plugin_that_does_not_fit_this_kpiframe_is_a_plugin_error(folder, cli, source, message):
    (folder / "mine.py").write_text(source, encoding="utf-8")
    path = config(folder, include="plugins: [mine.py]")
    assert_clean(cli("validate", path), 2, "plugins", message)


# --- derived (expr) metrics: refused at load what cannot run ------------------------------------


@pytest.mark.parametrize(
    ("expression", "message"),
    [
        ("n > 1", "a derived metric is arithmetic on other metrics"),
        ("n and n", "a derived metric is arithmetic on other metrics"),
        ("if(n > 1, n, 0)", "if() is for `where:` and columns"),
        ("'text'", "'text' is not a number"),
        ("n + 'x'", "'x' is not a number"),
        ("true + n", "True is not a number"),
        ("abs(n, n)", "abs() takes 1 argument(s), got 2"),
        ("round(n, n)", "round(x, digits) needs digits as a whole number"),
        ("round(n, 'x')", "round(x, digits) needs digits as a whole number"),
    ],
)
def test_a_derived_expression_that_is_not_arithmetic_is_a_located_config_error(folder, cli, expression, message):
    quoted = expression.replace('"', '\\"')
    path = config(folder, extra=f'd: {{calc: expr, params: {{expr: "{quoted}"}}}}')
    assert_clean(cli("validate", path), 2, "kpis.yaml:9:34: metrics.d.params.expr", message)


@pytest.mark.parametrize(
    "expression", ["n * 1e308 * 10", "n / 1e-320", "n * " + " * ".join(["99999999999999999"] * 20)]
)
def test_a_derived_value_beyond_a_float_is_an_error_that_says_it_overflows(folder, expression):
    path = config(folder, extra=f'd: {{calc: expr, params: {{expr: "{expression}"}}}}')
    metric = kpiframe.run(path).metric("d")
    assert metric.status == "error"
    assert metric.reason.startswith("the expression overflows"), metric.reason
    assert "Error:" not in metric.reason  # no Python exception name


def test_round_keeps_its_whole_number_digits(folder):
    n = sum(1 for row in TICKETS if row["created_at"].month == 2)  # the 30 days before 2026-03-01
    path = config(folder, extra='d: {calc: expr, params: {expr: "round(n * 1000 / 7, -2)"}}')
    assert kpiframe.run(path).metric("d").value == round(n * 1000 / 7, -2)


def test_the_delta_interval_of_a_ratio_over_a_tiny_divisor_does_not_underflow():
    """b² of b = 1e-200 is 0.0 in floats; the gradient -a/b² must still be computed (it is -1e150)."""
    a, b = 1e-250, 1e-200
    intervals = {"a": (0.0, 2e-250), "b": (0.5e-200, 1.5e-200)}
    low, high = delta_interval(parse("a / b"), {"a": a, "b": b}, intervals, [["a"], ["b"]])  # type: ignore[misc]
    # Exact rationals: nothing underflows.
    sa, sb = (Fraction(2e-250) / 2 / Fraction(Z95)), (Fraction(1e-200) / 2 / Fraction(Z95))
    fa, fb = Fraction(a), Fraction(b)
    variance = (sa / fb) ** 2 + (fa * sb / fb**2) ** 2
    half = Z95 * math.sqrt(float(variance))
    assert (low, high) == pytest.approx((float(fa / fb) - half, float(fa / fb) + half), rel=1e-12)


def test_a_tiny_divisor_in_a_derived_metric_gives_a_value_not_a_zero_division(folder):
    path = config(
        folder,
        extra="r: {calc: share, source: t, params: {match: \"channel == 'email'\"}}\n"
        '  d: {calc: expr, params: {expr: "r * 1e-200 / 1e-200"}}',
    )
    card = kpiframe.run(path)
    assert card.metric("d").status == "info", card.metric("d").reason
    assert card.metric("d").value == pytest.approx(card.metric("r").value, rel=1e-12)


# --- numbers and durations YAML can write but no KPI can use -----------------------------------

WORKFORCE = """
version: 1
as_of: "2026-03-01T00:00:00Z"
window: {{last: 30d}}
sources:
  calls: {{connector: parquet, path: calls.parquet, time: queued_at}}
metrics:
  w: {{calc: {calc}, source: calls, params: {{{params}}}}}
"""


@pytest.mark.parametrize(
    ("calc", "params", "key", "message"),
    [
        ("support.occupancy", "agents: .inf", "agents", "expected a number, got inf"),
        ("support.occupancy", "agents: .nan", "agents", "expected a number, got nan"),
        ("support.erlang_c_agents", "interval: 36526d", "interval", "a duration is at most 100 years"),
        ("support.erlang_c_agents", "aht: 999999999999d", "aht", "a duration is at most 100 years"),
        ("support.erlang_c_agents", "wrap: 999999999999d", "wrap", "a duration is at most 100 years"),
        ("support.erlang_c_agents", "answer_within: 999999999999d", "answer_within", "at most 100 years"),
        ("support.erlang_c_agents", "max_asa: 999999999999d", "max_asa", "a duration is at most 100 years"),
        ("support.offered_load", "interval: 0.0001ms", "interval", "is under a second"),
        ("support.service_rate", "aht: 0.0000001s", "aht", "shorter than a microsecond"),
    ],
)
def test_workforce_params_out_of_range_are_located_config_errors(write_config, cli, calc, params, key, message):
    path = write_config(WORKFORCE.format(calc=calc, params=params))
    assert_clean(cli("validate", path), 2, f"metrics.w.params.{key}", message)


def test_an_erlang_c_interval_of_one_second_is_still_accepted(write_config, cli):
    path = write_config(WORKFORCE.format(calc="support.erlang_c_agents", params="interval: 1s"))
    assert_clean(cli("validate", path), 0)


# --- hostile baseline scorecards ---------------------------------------------------------------


def _scorecard_with_value(folder: Path, value_text: str) -> Path:
    import json

    data = kpiframe.run(config(folder)).to_dict()
    text = json.dumps(data).replace('"value": ' + json.dumps(data["metrics"][0]["value"]), '"value": ' + value_text, 1)
    assert value_text in text
    path = folder / "baseline.json"
    path.write_text(text, encoding="utf-8")
    return path


@pytest.mark.parametrize(
    ("value_text", "message"),
    [("9" * 309, "a whole number of 309 digits is beyond the range"), ("9" * 5000, "5,000 digits"), ("NaN", "NaN")],
    ids=["past-a-float", "past-python-int-parsing", "nan"],
)
@pytest.mark.parametrize("command", ["run", "diff"])
def test_a_baseline_value_no_float_can_hold_is_a_usage_error(folder, cli, value_text, message, command):
    baseline = _scorecard_with_value(folder, value_text)
    args = ("run", config(folder), "--baseline", baseline) if command == "run" else ("diff", baseline, baseline)
    assert_clean(cli(*args), 2, "baseline.json is not a scorecard JSON file", message)


def test_a_change_from_a_baseline_near_the_float_limit_is_a_finite_percentage(folder):
    baseline = _scorecard_with_value(folder, "1e308")
    import json

    metric = kpiframe.run(config(folder), baseline=json.loads(baseline.read_text())).metric("n")
    # (n - 1e308) / 1e308 is -1 to float precision: -100%, not -inf (100 × -1e308 overflows first).
    assert metric.delta_pct == pytest.approx(-100.0)


# --- history commands -----------------------------------------------------------------------


@pytest.fixture
def store(folder: Path, cli) -> Path:
    """A store with runs of two windows (so two run ids), written by `run --history`."""
    path = folder / "h.duckdb"
    for window in ("{last: 30d}", "{last: 7d}"):
        kpis = config(folder)
        kpis.write_text(kpis.read_text().replace("{last: 30d}", window), encoding="utf-8")
        assert cli("run", kpis, "--history", path).exit_code == 0
    return path


@pytest.mark.parametrize("limit", ["-1", "0", "99999999999999999999999"])
def test_a_history_list_limit_out_of_range_is_a_usage_error(store, cli, limit):
    assert_clean(cli("history", "list", store, "--limit", limit), 2, "--limit")


@pytest.mark.parametrize("command", [("list",), ("show", "abc"), ("prune", "--keep", "1")])
def test_history_commands_on_a_store_that_does_not_exist_say_so_and_create_nothing(folder, cli, command):
    missing = folder / "typo.duckdb"
    name, *rest = command
    assert_clean(cli("history", name, missing, *rest), 2, f"no history store at {missing}")
    assert not missing.exists()


def test_history_show_of_an_empty_run_id_is_a_usage_error_not_the_newest_run(store, cli):
    assert_clean(cli("history", "show", store, ""), 2, "give a run id")


def test_history_show_of_a_prefix_two_runs_share_names_both(store, cli):
    import duckdb

    with duckdb.connect(str(store), read_only=True) as con:
        ids = sorted(row[0] for row in con.execute("select run_id from kpiframe_runs").fetchall())
    assert len(ids) == 2
    common = next(i for i in range(12) if ids[0][i] != ids[1][i])
    # Rewrite one id so that the two share a prefix, as ids of a big store do.
    shared = ids[0][:common]
    if not shared:
        with duckdb.connect(str(store)) as con:
            con.execute("update kpiframe_runs set run_id = ? where run_id = ?", ["f" + ids[1][1:], ids[1]])
            con.execute("update kpiframe_runs set run_id = ? where run_id = ?", ["f" + ids[0][1:], ids[0]])
        ids, shared = sorted("f" + i[1:] for i in ids), "f"
    assert_clean(cli("history", "show", store, shared), 2, "is ambiguous", ids[0], ids[1])
    assert cli("history", "show", store, ids[0]).exit_code == 0


# --- reports and the step summary never replace a database or a data file ------------------------


@pytest.fixture
def data_files(folder: Path, cli) -> dict[str, Path]:
    """A history store of another run, a Parquet export no source of this config reads, a binary file."""
    import sqlite3

    store = folder / "other-history.duckdb"
    assert cli("run", config(folder), "--history", store).exit_code == 0
    lite = folder / "other.sqlite"
    sqlite3.connect(lite).execute("create table t (x)").connection.commit()
    export = write_parquet(folder / "export.parquet", TICKETS)
    blob = folder / "blob.bin"
    blob.write_bytes(b"\x00\x01\x02 not text")
    return {"a DuckDB database": store, "an SQLite database": lite, "a Parquet file": export, "a binary file": blob}


@pytest.mark.parametrize("kind", ["a DuckDB database", "an SQLite database", "a Parquet file", "a binary file"])
def test_an_output_onto_a_database_or_data_file_is_refused_and_the_file_kept(folder, cli, data_files, kind):
    target = data_files[kind]
    before = target.read_bytes()
    assert_clean(cli("run", config(folder), "-o", f"json={target}"), 2, f"is {kind}", "never overwrites it")
    assert target.read_bytes() == before


@pytest.mark.parametrize("kind", ["a DuckDB database", "a Parquet file", "a binary file"])
def test_a_step_summary_onto_a_database_or_data_file_is_refused_and_the_file_kept(folder, cli, data_files, kind):
    target = data_files[kind]
    before = target.read_bytes()
    result = cli("run", config(folder), env={"GITHUB_STEP_SUMMARY": str(target)})
    assert_clean(result, 2, f"GITHUB_STEP_SUMMARY {target} is {kind}")
    assert target.read_bytes() == before


def test_a_step_summary_file_bigger_than_github_shows_is_refused_before_it_is_read(folder, cli):
    big = folder / "build.log"
    big.write_text("log line\n" * 200_000, encoding="utf-8")  # 1.8 MB of text
    before = big.stat().st_size
    result = cli("run", config(folder), env={"GITHUB_STEP_SUMMARY": str(big)})
    assert_clean(result, 2, "more than a step summary can (1 MiB)")
    assert big.stat().st_size == before


def test_a_step_summary_and_a_text_report_are_still_written_over_their_previous_selves(folder, cli):
    summary, report = folder / "summary.md", folder / "report.json"
    summary.write_text("## earlier step\n", encoding="utf-8")
    report.write_text("{}", encoding="utf-8")
    result = cli("run", config(folder), "-o", report, env={"GITHUB_STEP_SUMMARY": str(summary)})
    assert_clean(result, 0)
    assert summary.read_text(encoding="utf-8").startswith("## earlier step\n") and "**N**" in summary.read_text()
    assert '"schema_version": 1' in report.read_text(encoding="utf-8")
