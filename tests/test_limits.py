"""Resource guards: the embedded engine's memory and threads, and a cap on segments."""

from __future__ import annotations

import json
from datetime import datetime, timedelta

import pytest

import kpiframe
from conftest import write_parquet


@pytest.fixture
def many(tmp_path):
    rows = [
        {
            "id": i,
            "created_at": datetime(2026, 2, 1) + timedelta(minutes=i),
            "channel": ["email", "chat", "phone"][i % 3],
        }
        for i in range(1500)
    ]
    return write_parquet(tmp_path / "many.parquet", rows)


def config_text(path, extra=""):
    return f"""
    version: 1
    as_of: "2026-03-01T00:00:00Z"
    window: all
    {extra}
    sources: {{t: {{connector: parquet, path: {path}, time: created_at}}}}
    metrics:
      per_ticket: {{calc: count, source: t, by: [id]}}
      per_channel: {{calc: count, source: t, by: [channel]}}
    """


def test_more_segments_than_max_segments_is_an_error_that_suggests_top(many, write_config, cli):
    result = cli("run", write_config(config_text(many)), "--format", "json")
    card = json.loads(result.stdout)
    per_ticket = next(m for m in card["metrics"] if m["id"] == "per_ticket")
    assert result.exit_code == 3 and per_ticket["status"] == "error"
    assert (
        "1,500 segments by id, more than max_segments (1,000)" in per_ticket["reason"]
        and "top: 20" in per_ticket["reason"]
    )
    # The other metric on the same source is unaffected: three channels of 500.
    per_channel = next(m for m in card["metrics"] if m["id"] == "per_channel")
    assert sorted(s["value"] for s in per_channel["segments"]) == [500, 500, 500]


def test_top_keeps_the_largest_segments_past_the_cap(many, write_config, cli):
    path = write_config(config_text(many).replace("by: [id]}", "by: [id], top: 5}"))
    card = json.loads(cli("run", path, "--format", "json").stdout)
    per_ticket = next(m for m in card["metrics"] if m["id"] == "per_ticket")
    assert per_ticket["status"] == "info" and len(per_ticket["segments"]) == 5 and per_ticket["hidden_segments"] == 1495


def test_engine_settings_from_the_config_and_the_command_line_reach_duckdb(many, write_config):
    path = write_config(config_text(many, "engine: {memory_limit: 300MB, threads: 1}"))
    config, context = kpiframe.prepare(path)
    con = context.backends.duckdb()
    assert con.raw_sql("select current_setting('threads')").fetchone()[0] == 1
    assert con.raw_sql("select current_setting('memory_limit')").fetchone()[0] in ("286.1 MiB", "300.0 MB")
    _, overridden = kpiframe.prepare(path, engine={"threads": 2, "memory_limit": None})
    assert overridden.backends.duckdb().raw_sql("select current_setting('threads')").fetchone()[0] == 2


@pytest.mark.parametrize(
    ("args", "message"),
    [(["--memory-limit", "lots"], "--memory-limit: expected a size such as 4GB"), (["--threads", "0"], "--threads")],
)
def test_bad_engine_settings_are_usage_errors(many, write_config, cli, args, message):
    result = cli("run", write_config(config_text(many)), *args)
    assert result.exit_code == 2 and message in result.stderr


def test_a_file_source_s_timeout_stops_a_long_query(tmp_path, write_config):
    import duckdb

    path = tmp_path / "big.parquet"
    duckdb.sql(
        f"copy (select i as id, (i * 7919 % 1000)::double as wait, i % 97 as k from range(3000000) t(i)) to '{path}'"
        " (format parquet)"
    )
    config = write_config(
        f"version: 1\nwindow: all\nsources:\n  t: {{connector: parquet, path: {path}, timeout: 0.01}}\n"
        "metrics:\n"
        "  ids: {calc: distinct_count, source: t, params: {column: id}, by: [k]}\n"
        "  p: {calc: percentile, source: t, params: {column: wait, q: 0.9}, by: [k]}\n"
    )
    card = kpiframe.run(config)
    assert {m.status for m in card.metrics} == {"error"}
    assert "ran longer than the source's timeout (0.01 s)" in card.metric("ids").reason
    assert card.run.queries == 1  # stopped once, not retried metric by metric
