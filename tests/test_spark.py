"""Spark sources: the same config on Spark gives the DuckDB numbers (a real local Spark session)."""

from __future__ import annotations

import shutil

import pytest

import kpiframe
from conftest import AS_OF, TICKETS, require_service, write_parquet

METRICS = """
  n_{s}: {{calc: count, source: {s}}}
  wait_{s}: {{calc: mean, source: {s}, params: {{column: wait}}}}
  wait_p90_{s}: {{calc: percentile, source: {s}, params: {{column: wait, q: 0.9}}}}
  email_{s}: {{calc: share, source: {s}, params: {{match: "channel == 'email'"}}}}
  agents_{s}: {{calc: distinct_count, source: {s}, params: {{column: agent}}}}
  frt_{s}: {{calc: support.first_response_time, source: {s}, params: {{stat: p90, unit: min}}}}
  by_channel_{s}: {{calc: count, source: {s}, by: [channel]}}
"""


@pytest.fixture(scope="module")
def spark_available():
    try:
        import pyspark  # noqa: F401
    except ImportError as exc:
        require_service("PySpark (kpiframe[spark])", False, str(exc))
    require_service("Java for Spark", shutil.which("java") is not None, "no java on PATH")


def test_spark_equals_duckdb_on_the_same_file(spark_available, tmp_path, write_config):
    write_parquet(tmp_path / "tickets.parquet", TICKETS)
    config = write_config(
        "version: 1\nwindow: {last: 30d}\nsources:\n"
        "  sp: {connector: spark, path: tickets.parquet, master: 'local[1]', time: created_at}\n"
        "  dk: {connector: parquet, path: tickets.parquet, time: created_at}\n"
        "metrics:\n" + METRICS.format(s="sp") + METRICS.format(s="dk")
    )
    card = kpiframe.run(config, as_of=AS_OF)
    for name in ("n", "wait", "wait_p90", "email", "agents", "frt", "by_channel"):
        spark, duck = card.metric(f"{name}_sp"), card.metric(f"{name}_dk")
        assert spark.status != "error", (name, spark.reason)
        assert spark.value == pytest.approx(duck.value, rel=1e-9), name
        assert {s.label: s.value for s in spark.segments} == {s.label: s.value for s in duck.segments}


def test_a_missing_spark_file_is_a_clear_error(spark_available, write_config):
    config = write_config(
        "version: 1\nwindow: all\nsources:\n  sp: {connector: spark, path: nowhere/*.parquet, master:"
        " 'local[1]'}\nmetrics:\n  n: {calc: count, source: sp}\n"
    )
    metric = kpiframe.run(config, as_of=AS_OF).metric("n")
    assert metric.status == "error" and "no file matches 'nowhere/*.parquet'" in metric.reason
