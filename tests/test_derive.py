"""Derived columns (``derive:``): columns made from expressions, used like the export's own."""

from __future__ import annotations

from datetime import datetime, timedelta

import pytest
from test_sql_sources import MARIADB, mariadb  # noqa: F401

import kpiframe
from conftest import AS_OF, TICKETS, write_parquet

#: A call log with the date and the time of day in separate columns, as phone systems export it.
CALLS = [
    # date, time of day, outcome, wait (s), queue
    ("2026-02-01", "23:59:30", "AGENT", 12, "sales"),  # before the window
    ("2026-02-02", "00:00:10", "AGENT", 40, "sales"),
    ("2026-02-02", "09:15:00", "ABANDON", 95, "support"),
    ("2026-02-02", "12:00:00", "AGENT", 25, "support"),
    ("2026-02-03", "08:30:00", "AGENT", 70, "support"),
    ("2026-02-03", "23:59:59", "ABANDON", 5, "sales"),
    ("2026-02-04", "00:00:00", "AGENT", 30, "sales"),  # the window's end: outside
]


def called_at(row: tuple[str, str, str, int, str]) -> datetime:
    return datetime.fromisoformat(f"{row[0]}T{row[1]}")


@pytest.fixture
def calls_csv(tmp_path):
    lines = ["call_date,call_time,outcome,wait,queue"] + [",".join(map(str, row)) for row in CALLS]
    path = tmp_path / "calls.csv"
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path


CONFIG = """
version: 1
window: {between: ['2026-02-02', '2026-02-04']}
sources:
  calls:
    connector: csv
    path: calls.csv
    time: called_at
    derive:
      # declared before the columns it uses: derived columns are ordered by dependency
      answered_late: "answered and wait > 30"
      called_at: "from_unix(seconds(call_date) + seconds(call_time))"
      answered: "outcome == 'AGENT'"
      wait_min: "wait / 60"
    columns:
      picked: answered
metrics:
  calls: {calc: count, source: calls, by: [queue, answered]}
  answer_rate: {calc: share, source: calls, params: {match: picked}}
  late: {calc: count, source: calls, where: answered_late}
  wait: {calc: mean, source: calls, where: answered, params: {column: wait_min}}
"""


def test_derived_columns_serve_time_roles_by_where_and_metric_columns(calls_csv, write_config):
    card = kpiframe.run(write_config(CONFIG), as_of=AS_OF)
    inside = [r for r in CALLS if datetime(2026, 2, 2) <= called_at(r) < datetime(2026, 2, 4)]
    answered = [r for r in inside if r[2] == "AGENT"]
    assert card.metric("calls").value == len(inside) == 5
    segments = {s.label: s.value for s in card.metric("calls").segments}
    expected: dict[str, int] = {}
    for r in inside:
        label = f"queue={r[4]}, answered={r[2] == 'AGENT'}"
        expected[label] = expected.get(label, 0) + 1
    assert segments == expected
    assert card.metric("answer_rate").value == pytest.approx(100 * len(answered) / len(inside))
    assert card.metric("late").value == sum(1 for r in answered if r[3] > 30) == 2
    assert card.metric("wait").value == pytest.approx(sum(r[3] / 60 for r in answered) / len(answered))


def test_derived_columns_keep_one_scan_per_source(calls_csv, write_config):
    card = kpiframe.run(write_config(CONFIG), as_of=AS_OF)
    assert [m.status for m in card.metrics] == ["info"] * 4
    assert card.run.queries == 1  # totals and segments fused in one scan; no query per derived column


def test_a_cycle_of_derived_columns_is_a_config_error_located_at_its_first_column(calls_csv, write_config, cli):
    text = CONFIG.replace('"wait / 60"', '"answered_late + 1"').replace(
        '"answered and wait > 30"', '"answered and wait_min > 0.5"'
    )
    result = cli("validate", write_config(text))
    assert result.exit_code == 2
    assert "kpis.yaml:10:22: sources.calls.derive.answered_late: derived columns form a cycle:" in result.output
    assert "answered_late → wait_min → answered_late" in result.output


def test_a_derived_column_that_names_itself_is_a_config_error(calls_csv, write_config, cli):
    result = cli("validate", write_config(CONFIG.replace('"wait / 60"', '"wait_min / 60"')))
    assert result.exit_code == 2
    assert "kpis.yaml:13:17: sources.calls.derive.wait_min: derived column 'wait_min' uses itself" in result.output


def test_an_unknown_name_in_a_derived_column_is_located_with_a_suggestion(calls_csv, write_config, cli):
    result = cli("run", write_config(CONFIG.replace('"wait / 60"', '"waits / 60"')))
    assert result.exit_code == 2
    assert "kpis.yaml:13:17: sources.calls.derive.wait_min: derived column 'wait_min' uses unknown column 'waits'" in (
        result.output
    )
    assert "did you mean 'wait'?" in result.output
    assert "Traceback" not in result.output


def test_a_derived_column_may_not_take_the_name_of_an_export_column(calls_csv, write_config, cli):
    result = cli("run", write_config(CONFIG.replace("wait_min:", "queue:").replace("column: wait_min", "column: wait")))
    assert result.exit_code == 2
    assert "sources.calls.derive.queue: derived column 'queue' has the name of a column the source already has" in (
        result.output
    )


def test_a_derived_column_is_not_restricted_in_the_functions_it_calls(calls_csv, write_config):
    # any function of the expression language may appear; coalesce and if() here
    text = CONFIG.replace('"wait / 60"', "\"if(queue == 'sales', coalesce(wait, 0) * 2, wait) / 60\"")
    card = kpiframe.run(write_config(text), as_of=AS_OF)
    inside = [r for r in CALLS if datetime(2026, 2, 2) <= called_at(r) < datetime(2026, 2, 4) and r[2] == "AGENT"]
    expected = sum((r[3] * 2 if r[4] == "sales" else r[3]) / 60 for r in inside) / len(inside)
    assert card.metric("wait").value == pytest.approx(expected)


PG_METRICS = """
  slow_{s}: {{calc: count, source: {s}, where: slow}}
  by_kind_{s}: {{calc: count, source: {s}, by: [kind]}}
  reply_{s}: {{calc: mean, source: {s}, params: {{column: reply_s}}}}
  late_{s}: {{calc: share, source: {s}, params: {{match: slow_reply}}}}
"""
PG_DERIVE = (
    "    time: opened\n"
    "    derive:\n"
    '      slow_reply: "slow and reply_s > 1000"\n'
    '      slow: "wait > 10"\n'
    "      kind: \"if(escalated, 'escalated', channel)\"\n"
    '      reply_s: "seconds(first_response_at) - seconds(created_at)"\n'
    '      opened: "created_at"\n'
)


def test_derived_columns_on_postgres_equal_those_on_a_parquet_copy(
    postgres_schema, tmp_path, write_config, monkeypatch
):
    from test_sql_sources import load_postgres

    load_postgres(postgres_schema, TICKETS)
    write_parquet(tmp_path / "tickets.parquet", TICKETS)
    monkeypatch.setenv("SUPPORT_PG_DSN", postgres_schema)
    config = write_config(
        "version: 1\nwindow: {last: 30d}\nsources:\n"
        '  pg:\n    connector: postgres\n    dsn: "${SUPPORT_PG_DSN}"\n    table: tickets\n'
        + PG_DERIVE
        + "  pq:\n    connector: parquet\n    path: tickets.parquet\n"
        + PG_DERIVE
        + "metrics:\n"
        + "".join(PG_METRICS.format(s=s) for s in ("pg", "pq"))
    )
    card = kpiframe.run(config, as_of=AS_OF)
    window = [t for t in TICKETS if t["created_at"] >= AS_OF.replace(tzinfo=None) - timedelta(days=30)]
    slow = [t for t in window if t["wait"] is not None and t["wait"] > 10]
    replies = [
        (t["first_response_at"] - t["created_at"]).total_seconds() for t in window if t["first_response_at"] is not None
    ]
    for s in ("pg", "pq"):
        assert card.metric(f"slow_{s}").value == len(slow) == 3
        assert card.metric(f"reply_{s}").value == pytest.approx(sum(replies) / len(replies))
        kinds: dict[str, int] = {}
        for t in window:
            kind = "escalated" if t["escalated"] else t["channel"]
            kinds[f"kind={kind}"] = kinds.get(f"kind={kind}", 0) + 1
        # a NULL `escalated` makes if() take its else branch, as SQL's CASE does
        assert {seg.label: seg.value for seg in card.metric(f"by_kind_{s}").segments} == kinds
        late = [t for t in slow if t["first_response_at"] and (t["first_response_at"] - t["created_at"]).seconds > 1000]
        assert card.metric(f"late_{s}").value == pytest.approx(100 * len(late) / len(window))


def test_a_source_derives_at_most_a_hundred_columns(calls_csv, write_config, cli):
    many = "".join(f'      extra_{i}: "wait + {i}"\n' for i in range(98))
    result = cli("validate", write_config(CONFIG.replace("    columns:\n", many + "    columns:\n")))
    assert result.exit_code == 2
    assert "sources.calls.derive: a source derives at most 100 columns; this one has 102" in result.output


def test_derived_columns_on_mariadb_and_a_zone_it_cannot_convert_is_a_clear_source_error(
    mariadb,  # noqa: F811
    write_config,
    cli,
):
    text = (
        "version: 1\nwindow: {last: 30d}\nsources:\n"
        f"  my:\n    connector: mysql\n    dsn: '{MARIADB}'\n    table: {mariadb}\n    time: opened\n"
        '    derive: {opened: "created_at", slow: "wait > 10"}\n'
        "metrics:\n  slow: {calc: count, source: my, where: slow}\n"
    )
    card = kpiframe.run(write_config(text), as_of=AS_OF)
    window = [t for t in TICKETS if t["created_at"] >= AS_OF.replace(tzinfo=None) - timedelta(days=30)]
    assert card.metric("slow").value == sum(1 for t in window if t["wait"] is not None and t["wait"] > 10)
    # naive times in Jerusalem on a UTC scorecard would need the server's zone tables: refused, not guessed
    zoned = text.replace("    time: opened\n", "    time: opened\n    timezone: Asia/Jerusalem\n")
    result = cli("run", write_config("timezone: UTC\n" + zoned))
    assert result.exit_code == 3
    assert "kpiframe converts between zones on DuckDB and PostgreSQL, not on mysql" in result.output


def test_the_source_where_may_filter_on_a_derived_column(calls_csv, write_config):
    text = CONFIG.replace("    columns:\n", '    where: "not answered_late"\n    columns:\n')
    card = kpiframe.run(write_config(text), as_of=AS_OF)
    inside = [r for r in CALLS if datetime(2026, 2, 2) <= called_at(r) < datetime(2026, 2, 4)]
    kept = [r for r in inside if not (r[2] == "AGENT" and r[3] > 30)]
    assert card.metric("calls").value == len(kept) == 3
    assert card.metric("late").value == 0
