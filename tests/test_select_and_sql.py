"""`run --select/--exclude` runs some metrics with their inputs; `kpiframe sql` shows the fused queries."""

from __future__ import annotations

import json
import re

import duckdb
import pytest

from conftest import TICKETS

CONFIG = """
version: 1
title: Selection
as_of: "2026-03-01T00:00:00Z"
window: {{last: 30d}}
sources:
  t: {{connector: parquet, path: {path}, time: created_at}}
metrics:
  frt_count: {{calc: count, source: t, where: "first_response_at is not null", tags: [speed]}}
  frt_share: {{calc: share, source: t, params: {{match: "first_response_at is not null"}}, tags: [speed]}}
  tickets: {{calc: count, source: t}}
  per_ticket: {{calc: expr, params: {{expr: "frt_count / tickets"}}}}
  wait_by_channel: {{calc: mean, source: t, params: {{column: wait}}, by: [channel]}}
"""


@pytest.fixture
def config(tickets, write_config):
    return write_config(CONFIG.format(path=tickets))


def ids(cli, *args):
    result = cli("run", *args, "--format", "json")
    assert result.exit_code == 0, result.stderr
    return [m["id"] for m in json.loads(result.stdout)["metrics"]]


def test_select_takes_ids_globs_and_tags(config, cli):
    assert ids(cli, config, "--select", "tickets") == ["tickets"]
    assert ids(cli, config, "--select", "frt_*") == ["frt_count", "frt_share"]
    assert ids(cli, config, "--select", "tag:speed", "--exclude", "frt_share") == ["frt_count"]


def test_a_derived_metric_brings_the_metrics_it_is_computed_from(config, cli):
    assert ids(cli, config, "--select", "per_ticket") == ["frt_count", "tickets", "per_ticket"]


def test_excluding_an_input_of_a_selected_metric_is_a_usage_error(config, cli):
    result = cli("run", config, "--select", "per_ticket", "--exclude", "tickets")
    assert result.exit_code == 2 and "which per_ticket is computed from" in result.stderr


def test_a_pattern_that_matches_nothing_is_a_usage_error_with_a_suggestion(config, cli):
    result = cli("run", config, "--select", "ticket")
    assert result.exit_code == 2 and "matches no metric" in result.stderr and "did you mean 'tickets'?" in result.stderr


def test_sql_prints_every_fused_query_and_each_gives_the_numbers_pandas_gives(config, cli, tickets):
    import pandas as pd

    result = cli("sql", config)
    assert result.exit_code == 0, result.stderr
    run = json.loads(cli("run", config, "--format", "json").stdout)
    headers = re.findall(r"^-- query \d+ of (\d+): source t \(duckdb\)", result.stdout, re.M)
    assert len(headers) == int(headers[0]) == run["run"]["queries"]
    # Each query runs as printed: its window edges' SET VARIABLE statements, then the SELECT.
    statements = [s.strip() for s in result.stdout.split(";\n") if s.strip()]
    frame = pd.read_parquet(tickets)
    in_window = frame[(frame.created_at >= "2026-01-30") & (frame.created_at < "2026-03-01")]
    with duckdb.connect() as con:
        con.execute(f"create view src_t as select * from read_parquet('{tickets}')")
        *variables, statement = statements  # one source: every grouping in one GROUPING SETS query
        assert all(v.split("\n")[-1].startswith("SET VARIABLE kpf_") for v in variables) and "SELECT" in statement
        for variable in variables:
            con.execute(variable)
        frame_rows = con.execute(statement).fetchdf()
    # The overall grouping set (every key aggregated away) holds the plain count among its parts.
    overall = frame_rows[frame_rows["_grouping"] == frame_rows["_grouping"].max()].iloc[0]
    assert len(in_window) in set(overall.tolist())
    by_channel = frame_rows[frame_rows["_grouping"] == 0]
    assert sorted(by_channel["key0"]) == sorted(in_window.channel.unique())
    assert len(in_window) == len([t for t in TICKETS if t["id"] != 7])


def test_sql_follows_the_selection(config, cli):
    text = cli("sql", config, "--select", "wait_by_channel").stdout
    assert "-- metrics: wait_by_channel" in text and "frt_count" not in text


def test_sql_shows_the_row_limit_a_grouped_query_runs_with_when_it_is_not_fused(config, cli, monkeypatch):
    """On a server engine (here: the fast path turned off) each grouping is a query of its own;
    it is printed as the run sends it, bounded to one row past the most groups a run reads."""
    from kpiframe.context import Backends
    from kpiframe.engine.execute import MAX_GROUPS

    monkeypatch.setattr(Backends, "runs_here", lambda self, expr: False)
    text = cli("sql", config, "--select", "wait_by_channel").stdout
    queries = [q for q in text.split("-- query ")[1:] if "by channel" in q.split("\n")[0]]
    assert queries and all(re.search(rf"LIMIT {MAX_GROUPS + 1}\b", q) for q in queries), text
