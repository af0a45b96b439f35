"""Fusion: the metrics that share a source and a window reach the engine as one query."""

from __future__ import annotations

from datetime import datetime
from typing import Any

import pytest

import kpiframe
from conftest import AS_OF, TICKETS


class CountingConnection:
    """Wraps the raw DuckDB connection and records every SELECT sent through it."""

    def __init__(self, inner: Any):
        self._inner = inner
        self.selects: list[str] = []

    def _record(self, query: Any) -> None:
        text = str(query).lstrip().upper()
        if text.startswith(("SELECT", "WITH")):
            self.selects.append(str(query))

    def sql(self, query: Any, *args: Any, **kwargs: Any) -> Any:
        self._record(query)
        return self._inner.sql(query, *args, **kwargs)

    def execute(self, query: Any, *args: Any, **kwargs: Any) -> Any:
        self._record(query)
        return self._inner.execute(query, *args, **kwargs)

    def __getattr__(self, name: str) -> Any:
        return getattr(self._inner, name)


@pytest.fixture
def counted(monkeypatch: pytest.MonkeyPatch) -> list[CountingConnection]:
    """Every DuckDB connection a run opens, wrapped to record the queries that reach it."""
    from kpiframe import context

    connections: list[CountingConnection] = []
    real_connect = context.duckdb_connect

    def connect() -> Any:
        connection = CountingConnection(real_connect())
        connections.append(connection)
        return connection

    monkeypatch.setattr(context, "duckdb_connect", connect)
    return connections


TEN_METRICS = """
version: 1
window: {{last: 30d}}
sources:
  t: {{connector: parquet, path: {path}, time: created_at}}
metrics:
  n: {{calc: count, source: t}}
  email: {{calc: count, source: t, where: "channel == 'email'"}}
  wait_mean: {{calc: mean, source: t, params: {{column: wait}}}}
  wait_p90: {{calc: percentile, source: t, params: {{column: wait, q: 0.9}}}}
  wait_median_chat: {{calc: median, source: t, where: "channel == 'chat'", params: {{column: wait}}}}
  wait_max: {{calc: max, source: t, params: {{column: wait}}}}
  agents: {{calc: distinct_count, source: t, params: {{column: agent}}}}
  escalated: {{calc: share, source: t, params: {{match: escalated}}}}
  frt: {{calc: duration, source: t, params: {{start: created_at, end: first_response_at, stat: p90}}}}
  per_agent: {{calc: ratio, source: t, params: {{numerator: {{}}, denominator: {{agg: distinct_count, column: agent}}}}}}
"""


def test_ten_metrics_on_one_source_compile_to_one_aggregate_query(tickets, write_config, counted):
    card = kpiframe.run(write_config(TEN_METRICS.format(path=tickets)), as_of=AS_OF)
    assert [m.status for m in card.metrics] == ["info"] * 10
    aggregate_queries = [q for c in counted for q in c.selects if "tickets.parquet" in q or "src_t" in q]
    assert len(aggregate_queries) == 1, aggregate_queries
    assert card.run.queries == 1
    # the values are the real ones, not an artefact of fusing
    assert card.metric("n").value == 6
    assert card.metric("email").value == 3


def test_other_windows_and_time_columns_share_the_scan_of_a_source(tickets, write_config, counted):
    config = (
        TEN_METRICS.format(path=tickets) + "  n_all: {calc: count, source: t, window: all}\n"
        "  n_feb: {calc: count, source: t, window: {between: ['2026-02-01', '2026-02-15']}}\n"
        "  responded: {calc: count, source: t, where: 'first_response_at is not null', params: {}}\n"
        "  resolved_by_week: {calc: count, source: t, compare: previous_period, where: 'resolved_at is not null'}\n"
    )
    card = kpiframe.run(write_config(config), as_of=AS_OF)
    assert card.run.queries == card.run.scans == 1
    assert [q for c in counted for q in c.selects if "src_t" in q and "GROUP BY" not in q].__len__() == 1
    # Each value equals its own window's count (the fixture's 7 tickets: 6 in the last 30 days, 4 in 1-14 Feb).
    in_30d = [t for t in TICKETS if t["id"] != 7]
    assert card.metric("n_all").value == len(TICKETS) and card.metric("n").value == len(in_30d)
    assert card.metric("n_feb").value == len(
        [t for t in TICKETS if datetime(2026, 2, 1) <= t["created_at"] < datetime(2026, 2, 15)]
    )
    assert card.metric("resolved_by_week").baseline == len(
        [t for t in TICKETS if t["resolved_at"] and datetime(2025, 12, 31) <= t["created_at"] < datetime(2026, 1, 30)]
    )


def test_a_metric_whose_query_fails_does_not_take_the_others_down(tickets, write_config):
    config = (
        TEN_METRICS.format(path=tickets)
        + "  broken: {calc: duration, source: t, params: {start: channel, end: created_at}}\n"
    )
    card = kpiframe.run(write_config(config), as_of=AS_OF)
    assert card.metric("n").value == 6 and card.metric("n").status == "info"
    assert card.metric("broken").status == "error"
    assert "query on source 't' failed" in card.metric("broken").reason


def test_the_embedded_fast_path_imports_no_ibis_backend_pandas_or_pyarrow(tickets, write_config):
    """File sources run as SQL on DuckDB's own connection: Ibis only compiles, with its DuckDB compiler alone."""
    import subprocess
    import sys

    path = write_config(TEN_METRICS.format(path=tickets))
    code = (
        "import sys, kpiframe, datetime\n"
        f"card = kpiframe.run({str(path)!r}, as_of=datetime.datetime.fromisoformat({AS_OF.isoformat()!r}))\n"
        "assert card.metric('n').value == 6, card.metric('n')\n"
        "heavy = ('pandas', 'pyarrow', 'numpy', 'ibis.backends.duckdb', 'ibis.backends.sql.compilers.athena')\n"
        "print('HEAVY', sorted(m for m in heavy if m in sys.modules))"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True, timeout=120).stdout
    assert "HEAVY []" in out
