"""Built-in connectors: each format gives the same numbers; a failing source only fails its metrics."""

from __future__ import annotations

import json
import sqlite3

import duckdb
import pytest

import kpiframe
from conftest import AS_OF, TICKETS

METRICS = """
metrics:
  n: {{calc: count, source: s}}
  wait_mean: {{calc: mean, source: s, params: {{column: wait}}}}
  email: {{calc: share, source: s, params: {{match: "channel == 'email'"}}}}
"""


def expected() -> dict[str, float]:
    in_window = [t for t in TICKETS if t["created_at"].month == 2]
    waits = [t["wait"] for t in in_window if t["wait"] is not None]
    return {
        "n": len(in_window),
        "wait_mean": sum(waits) / len(waits),
        "email": 100 * sum(t["channel"] == "email" for t in in_window) / len(in_window),
    }


def run(write_config, source: str) -> kpiframe.Scorecard:
    config = f"version: 1\nwindow: {{last: 30d}}\nsources:\n  s: {source}\n" + METRICS.format()
    return kpiframe.run(write_config(config), as_of=AS_OF)


def check(card: kpiframe.Scorecard) -> None:
    for metric, value in expected().items():
        assert card.metric(metric).value == pytest.approx(value, rel=1e-12), metric


def _csv_text() -> str:
    lines = ["id,created_at,channel,wait"]
    for t in TICKETS:
        wait = "" if t["wait"] is None else t["wait"]
        lines.append(f"{t['id']},{t['created_at']:%Y-%m-%d %H:%M:%S},{t['channel']},{wait}")
    return "\n".join(lines) + "\n"


def test_parquet(tickets, write_config):
    check(run(write_config, f"{{connector: parquet, path: {tickets.name}, time: created_at}}"))


def test_csv_with_path_relative_to_the_config(tmp_path, write_config):
    (tmp_path / "data").mkdir()
    (tmp_path / "data" / "t.csv").write_text(_csv_text())
    check(run(write_config, "{connector: csv, path: data/t.csv, time: created_at}"))


def test_csv_with_semicolons_and_custom_nulls(tmp_path, write_config):
    text = _csv_text().replace(",", ";").replace(";\n", ";N/A\n")
    (tmp_path / "t.csv").write_text(text)
    check(run(write_config, "{connector: csv, path: t.csv, delimiter: ';', null_values: ['N/A'], time: created_at}"))


def test_jsonl_and_json(tmp_path, write_config):
    records = [
        {**t, "created_at": t["created_at"].isoformat(), "first_response_at": None, "resolved_at": None}
        for t in TICKETS
    ]
    (tmp_path / "t.jsonl").write_text("\n".join(json.dumps(r) for r in records) + "\n")
    (tmp_path / "t.json").write_text(json.dumps(records))
    check(run(write_config, "{connector: jsonl, path: t.jsonl, time: created_at}"))
    check(run(write_config, "{connector: json, path: t.json, time: created_at}"))


def test_duckdb_table_and_query(tmp_path, tickets, write_config):
    with duckdb.connect(str(tmp_path / "support.duckdb")) as con:
        con.execute(f"create table tickets as select * from '{tickets}'")
    check(run(write_config, "{connector: duckdb, path: support.duckdb, table: tickets, time: created_at}"))
    check(
        run(
            write_config,
            "{connector: duckdb, path: support.duckdb, query: 'select * from tickets where id > 0', time: created_at}",
        )
    )


def test_sqlite_table_with_text_timestamps(tmp_path, write_config):
    with sqlite3.connect(tmp_path / "support.sqlite") as db:
        db.execute('create table "my tickets" (id integer, created_at text, channel text, wait real)')
        db.executemany(
            'insert into "my tickets" values (?, ?, ?, ?)',
            [(t["id"], f"{t['created_at']:%Y-%m-%d %H:%M:%S}", t["channel"], t["wait"]) for t in TICKETS],
        )
    check(run(write_config, "{connector: sqlite, path: support.sqlite, table: my tickets, time: created_at}"))


def test_role_columns_are_usable_by_their_role_name(tickets, write_config):
    config = f"""
version: 1
window: all
sources:
  s: {{connector: parquet, path: {tickets}, columns: {{queue: channel}}}}
metrics:
  email: {{calc: count, source: s, where: "queue == 'email'"}}
"""
    assert kpiframe.run(write_config(config), as_of=AS_OF).metric("email").value == 4


def test_a_missing_file_fails_its_metrics_and_the_rest_still_run(tmp_path, tickets, write_config, cli):
    config = f"""
version: 1
window: {{last: 30d}}
sources:
  good: {{connector: parquet, path: {tickets.name}, time: created_at}}
  gone: {{connector: csv, path: missing/calls.csv, time: queued_at}}
metrics:
  n: {{calc: count, source: good, target: ">= 1"}}
  calls: {{calc: count, source: gone}}
"""
    path = write_config(config)
    card = kpiframe.run(path, as_of=AS_OF)
    assert card.metric("n").status == "pass" and card.metric("n").value == 6
    assert card.metric("calls").status == "error"
    assert "no file matches 'missing/calls.csv'" in card.metric("calls").reason
    result = cli("run", path, "--as-of", "2026-03-01")
    assert result.exit_code == 3
    assert "ERROR calls: source 'gone' could not be read" in result.stdout
    assert cli("run", path, "--as-of", "2026-03-01", "--fail-on", "never").exit_code == 0


def test_secrets_from_the_environment_never_reach_the_output(tmp_path, write_config, cli):
    secret = "s3cr3t-token-value"
    config = """
version: 1
window: all
sources:
  db: {connector: duckdb, path: "${DB_DIR}/nowhere-${TOKEN}.duckdb", table: t}
metrics:
  n: {calc: count, source: db}
"""
    path = write_config(config)
    env = {"TOKEN": secret, "DB_DIR": str(tmp_path)}
    card = kpiframe.run(path, environ=env, as_of=AS_OF)
    assert card.metric("n").status == "error"
    assert secret not in card.to_json() and "***" in card.metric("n").reason
    for fmt in ("table", "json"):
        result = cli("run", path, "--format", fmt, env=env)
        assert secret not in result.output


def test_error_messages_keep_one_line_and_never_crash_on_an_empty_one():
    from kpiframe.errors import first_line

    assert (
        first_line(RuntimeError("Binder Error: no column x\n\nLINE 1: select x\n   ^")) == "Binder Error: no column x"
    )
    assert first_line(RuntimeError("")) == "RuntimeError"  # before: str(exc).splitlines()[0] raised IndexError
    assert first_line(RuntimeError("  \n ")) == "RuntimeError"
