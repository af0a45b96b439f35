"""The no-data policy (issue 10): an empty window says why with the data's own range, once;
``--fail-on no_data`` gates on it; ``min_rows`` turns too few rows into a failure."""

from __future__ import annotations

import json
from datetime import datetime, timedelta
from pathlib import Path

import pytest

import kpiframe
from conftest import write_parquet
from kpiframe.engine.evaluate import FAIL_ON, exit_code, gates
from kpiframe.exit_codes import ExitCode
from kpiframe.scorecard import SEVERITY, STATUSES, MetricResult, RunInfo, Scorecard, WindowInfo

# 1,260 tickets: 14 a day from 2021-01-01 to 2021-03-31 (90 days), wait = the ticket's number.
START = datetime(2021, 1, 1, 9, 0)
ROWS = [
    {
        "id": i,
        "created_at": START + timedelta(days=i % 90, minutes=i // 90),
        "wait": float(i),
        "channel": "email" if i % 2 else "chat",
    }
    for i in range(1260)
]
STALE = "tickets has 1,260 rows from 2021-01-01 to 2021-03-31; none in 2026-10-25 to 2026-11-24"
AS_OF = "2026-11-24"

CONFIG = """\
version: 1
title: No data
window: {{last: 30d}}
sources:
  tickets: {{connector: parquet, path: tickets.parquet, time: created_at{source_extra}}}
metrics:
  mean_wait:
    calc: mean
    source: tickets
    params: {{column: wait}}
    target: "<= 2000"
  p90_wait:
    calc: percentile
    source: tickets
    params: {{column: wait, q: 0.9}}
    target: "<= 2000"
{extra}"""


@pytest.fixture
def folder(tmp_path: Path) -> Path:
    write_parquet(tmp_path / "tickets.parquet", ROWS)
    return tmp_path


def write(write_config, source_extra: str = "", extra: str = "") -> Path:
    return write_config(CONFIG.format(source_extra=source_extra, extra=extra))


def test_an_empty_window_names_the_range_the_data_covers_in_each_no_data_reason(folder, write_config):
    card = kpiframe.run(write(write_config), as_of=datetime.fromisoformat(AS_OF + "T00:00:00+00:00"))
    assert [(m.status, m.reason) for m in card.metrics] == [("no_data", STALE), ("no_data", STALE)]
    assert card.run.notes == (STALE,)  # once for the source, not once per metric


def test_the_note_is_one_extra_query_for_the_source(folder, write_config):
    empty = kpiframe.run(write(write_config), as_of=datetime.fromisoformat(AS_OF + "T00:00:00+00:00"))
    full = kpiframe.run(write(write_config), as_of=datetime.fromisoformat("2021-03-15T00:00:00+00:00"))
    assert full.run.notes == () and full.metrics[0].status == "pass"
    assert empty.run.queries == full.run.queries + 1


def test_a_metric_emptied_by_its_own_where_gets_no_source_note(folder, write_config):
    extra = """\
  phone_wait:
    calc: mean
    source: tickets
    params: {column: wait}
    where: "channel == 'phone'"
"""
    card = kpiframe.run(write(write_config, extra=extra), as_of=datetime.fromisoformat("2021-03-15T00:00:00+00:00"))
    phone = card.metric("phone_wait")
    assert phone.value is None and phone.status == "no_data"
    assert "tickets has" not in (phone.reason or "")
    assert card.run.notes == ()


def test_a_source_with_no_rows_at_all_says_so(folder, write_config):
    card = kpiframe.run(
        write(write_config, source_extra=', where: "wait < 0"'), as_of=datetime.fromisoformat(AS_OF + "T00:00:00+00:00")
    )
    assert card.run.notes == ("tickets has no rows after its `where`; none in 2026-10-25 to 2026-11-24",)


def test_the_cli_warns_once_on_stderr_and_exits_0_by_default(folder, write_config, cli):
    result = cli("run", write(write_config), "--as-of", AS_OF)
    assert result.exit_code == 0
    assert result.stderr.count(f"warning: {STALE}") == 1
    assert f"Note: {STALE}" in result.stdout


@pytest.mark.parametrize(("fail_on", "code"), [("fail", 0), ("no_data", 1), ("warn", 1), ("error", 0)])
def test_fail_on_no_data_fails_the_run_and_the_table_says_why(folder, write_config, cli, fail_on, code):
    result = cli("run", write(write_config), "--as-of", AS_OF, "--fail-on", fail_on)
    assert result.exit_code == code
    says_why = f"--fail-on {fail_on}: no data fails the run (mean_wait, p90_wait)"
    assert (says_why in result.stdout) is bool(code)


def test_markdown_and_json_carry_the_notes(folder, write_config, cli, tmp_path):
    out = tmp_path / "card.json"
    result = cli(
        "run", write(write_config), "--as-of", AS_OF, "-f", "markdown", "--fail-on", "no_data", "-o", f"json={out}"
    )
    assert result.exit_code == 1
    data = json.loads(out.read_text())
    assert data["run"]["notes"] == [STALE]
    markdown = cli("run", write(write_config), "--as-of", AS_OF, "-f", "markdown", "--fail-on", "no_data").stdout
    assert f"- **Note:** {STALE}" in markdown
    assert "- **Note:** --fail-on no_data: no data fails the run (mean_wait, p90_wait)" in markdown


def test_the_published_schema_accepts_notes_and_old_scorecards_without_them(folder, write_config):
    from importlib.resources import files

    from jsonschema import Draft202012Validator

    schema = json.loads(files("kpiframe").joinpath("schemas/scorecard-1.schema.json").read_text())
    data = kpiframe.run(write(write_config), as_of=datetime.fromisoformat(AS_OF + "T00:00:00+00:00")).to_dict()
    Draft202012Validator(schema).validate(data)
    old = json.loads(json.dumps(data))
    del old["run"]["notes"]
    Draft202012Validator(schema).validate(old)
    assert Scorecard.from_dict(old).run.notes == ()
    assert Scorecard.from_dict(data).run.notes == (STALE,)


def test_junit_reports_a_gating_no_data_as_a_failure(folder, write_config, cli, tmp_path):
    out = tmp_path / "junit.xml"
    cli("run", write(write_config), "--as-of", AS_OF, "--fail-on", "no_data", "-o", f"junit={out}")
    assert 'failures="2"' in out.read_text()
    cli("run", write(write_config), "--as-of", AS_OF, "-o", f"junit={out}")
    assert 'failures="0"' in out.read_text() and 'skipped="2"' in out.read_text()


# --- min_rows ---------------------------------------------------------------------


def in_march(write_config, minimum: int, extra: str = "") -> Scorecard:
    path = write(write_config, source_extra=f", min_rows: {minimum}", extra=extra)
    return kpiframe.run(path, as_of=datetime.fromisoformat("2021-04-01T00:00:00+00:00"))


# March 2021 (the 30 days before 2021-04-01: 2021-03-02..2021-03-31) holds 30 days × 14 tickets.
IN_WINDOW = 30 * 14


def test_min_rows_fails_each_metric_of_a_source_with_fewer_rows_and_says_how_many(folder, write_config):
    card = in_march(write_config, IN_WINDOW + 1)
    reason = f"tickets has {IN_WINDOW} rows in the window; min_rows is {IN_WINDOW + 1}"
    assert [(m.status, m.reason) for m in card.metrics] == [("fail", reason), ("fail", reason)]
    assert card.run.notes == (reason,)


def test_min_rows_met_exactly_passes(folder, write_config):
    card = in_march(write_config, IN_WINDOW)
    assert [m.status for m in card.metrics] == ["pass", "pass"]
    assert card.run.notes == ()


def test_min_rows_costs_no_extra_query(folder, write_config):
    plain = kpiframe.run(write(write_config), as_of=datetime.fromisoformat("2021-04-01T00:00:00+00:00"))
    assert in_march(write_config, 10).run.queries == plain.run.queries == 1


def test_min_rows_fails_an_empty_window_instead_of_no_data(folder, write_config, cli):
    result = cli("run", write(write_config, source_extra=", min_rows: 5"), "--as-of", AS_OF)
    assert result.exit_code == 1
    assert "FAIL mean_wait: tickets has 0 rows in the window; min_rows is 5" in result.stdout


def test_min_rows_must_be_a_positive_whole_number(folder, write_config, cli):
    result = cli("validate", write(write_config, source_extra=", min_rows: 0"))
    assert result.exit_code == 2
    assert "sources.tickets.min_rows: 0 is out of range (minimum 1)" in result.stderr


# --- one severity order -------------------------------------------------------------


def test_one_severity_order_pass_info_warn_no_data_fail_error():
    assert STATUSES == ("pass", "info", "warn", "no_data", "fail", "error")
    assert [SEVERITY[s] for s in STATUSES] == [0, 0, 1, 2, 3, 4]
    assert FAIL_ON == ("never", "error", "fail", "no_data", "warn")


@pytest.mark.parametrize("fail_on", ["warn", "no_data", "fail", "error"])
def test_fail_on_gates_its_own_status_and_every_worse_one(fail_on):
    gated = [s for s in STATUSES if gates(s, fail_on)]
    assert gated == list(STATUSES[STATUSES.index(fail_on) :])


def test_the_worst_status_of_a_scorecard_puts_no_data_above_warn():
    window = WindowInfo(None, None, "all time")
    run = RunInfo("c.yaml", "h", "2026-01-01T00:00:00Z", "2026-01-01T00:00:00Z", 0.1, "0", {}, window, 1)
    card = Scorecard(
        "T",
        run,
        tuple(
            MetricResult(f"m{i}", "M", "count", "s", "count", "neutral", s, None)
            for i, s in enumerate(["warn", "no_data", "pass"])
        ),
    )
    assert card.status == "no_data"
    assert exit_code(card, "no_data") == ExitCode.TARGET_FAILED


def test_the_no_data_probe_and_min_rows_are_pushed_down_to_postgresql(postgres_schema, write_config):
    import psycopg

    with psycopg.connect(postgres_schema, autocommit=True) as con:
        con.execute("create table tickets (id int, created_at timestamp, wait double precision, channel text)")
        with con.cursor() as cur:
            cur.executemany(
                "insert into tickets values (%s, %s, %s, %s)",
                [(r["id"], r["created_at"], r["wait"], r["channel"]) for r in ROWS],
            )
    text = CONFIG.format(source_extra="", extra="").replace(
        "{connector: parquet, path: tickets.parquet, time: created_at}",
        f"{{connector: postgres, dsn: '{postgres_schema}', table: tickets, time: created_at}}",
    )
    card = kpiframe.run(write_config(text), as_of=datetime.fromisoformat(AS_OF + "T00:00:00+00:00"))
    assert [(m.status, m.reason) for m in card.metrics] == [("no_data", STALE), ("no_data", STALE)]
    short = write_config(text.replace("time: created_at}", "time: created_at, min_rows: 421}"))
    card = kpiframe.run(short, as_of=datetime.fromisoformat("2021-04-01T00:00:00+00:00"))
    assert {m.reason for m in card.metrics} == {f"tickets has {IN_WINDOW} rows in the window; min_rows is 421"}
