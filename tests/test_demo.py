"""The demo: `kpiframe sample-data` + configs/demo.yaml, checked against hand-written SQL."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import duckdb
import pyarrow.parquet as pq
import pytest

ROOT = Path(__file__).parents[1]

WINDOW = "'2026-09-01' <= {col} and {col} < '2026-10-01'"

# Each metric of configs/demo.yaml, written again by hand as plain DuckDB SQL.
EXPECTED_SQL = {
    "tickets_created": "select count(*) from tickets where {w}",
    "first_response_p90": (
        "select quantile_cont(epoch(first_response_at) - epoch(created_at), 0.9) / 3600 from tickets where {w} and"
        " channel = 'email' and first_response_at >= created_at"
    ),
    "first_response_median": (
        "select median(epoch(first_response_at) - epoch(created_at)) / 60 from tickets where {w} and first_response_at"
        " >= created_at"
    ),
    "resolution_time_mean": (
        "select avg(epoch(resolved_at) - epoch(created_at)) / 3600 from tickets where {w} and resolved_at >= created_at"
    ),
    "escalation_rate": "select 100.0 * sum(case when escalated then 1 else 0 end) / count(*) from tickets where {w}",
    "agents_active": "select count(distinct agent) from tickets where {w}",
    "tickets_per_agent": "select count(*) / count(distinct agent) from tickets where {w}",
    "service_level": (
        "select 100.0 * sum(case when not abandoned and wait_seconds <= 20 then 1 else 0 end) / count(*) from calls"
        " where {w} and not blocked"
    ),
    "abandonment_rate": (
        "select 100.0 * sum(case when abandoned then 1 else 0 end) / count(*) from calls where {w} and not blocked"
    ),
    "speed_of_answer": "select avg(wait_seconds) from calls where {w} and not abandoned and not blocked",
    "handle_time_p90": (
        "select quantile_cont(talk_seconds + hold_seconds + wrap_seconds, 0.9) from calls where {w} and not abandoned"
        " and not blocked"
    ),
    "csat": (
        "select 100.0 * sum(case when score >= 4 then 1 else 0 end) / count(*) from surveys where {w} and kind = 'csat'"
        " and score is not null"
    ),
    "nps_responses": "select count(score) from surveys where {w} and kind = 'nps'",
}
TIME = {"tickets": "created_at", "calls": "queued_at", "surveys": "answered_at"}


@pytest.fixture(scope="module")
def demo(tmp_path_factory: pytest.TempPathFactory) -> Path:
    root = tmp_path_factory.mktemp("demo")
    (root / "configs").mkdir()
    shutil.copy(ROOT / "configs" / "demo.yaml", root / "configs" / "demo.yaml")
    from kpiframe.sample_data import write_sample_data

    write_sample_data(root / "sample-data", tickets=4000, seed=11)
    return root


def test_demo_scorecard_equals_hand_written_sql(demo, cli):
    result = cli("run", demo / "configs" / "demo.yaml", "--format", "json")
    card = {m["id"]: m for m in json.loads(result.stdout)["metrics"]}
    assert set(card) == set(EXPECTED_SQL)
    con = duckdb.connect()
    for table in TIME:
        con.execute(f"create view {table} as select * from '{demo / 'sample-data' / (table + '.parquet')}'")
    for metric, sql in EXPECTED_SQL.items():
        table = sql.split(" from ")[1].split()[0]
        expected = con.execute(sql.format(w=WINDOW.format(col=TIME[table]))).fetchall()[0][0]
        assert card[metric]["value"] == pytest.approx(float(expected), rel=1e-9), metric
    assert card["service_level"]["status"] in {"pass", "warn", "fail"}
    assert all(m["status"] != "error" for m in card.values())


def test_demo_scans_each_source_once(demo, cli):
    card = json.loads(cli("run", demo / "configs" / "demo.yaml", "--format", "json").stdout)
    # tickets, calls and surveys: for calls, September and August, the totals, the queues and
    # the daily series share one scan (GROUPING SETS)
    assert card["run"]["queries"] == card["run"]["scans"] == 3


def test_sample_data_is_byte_identical_for_a_seed_and_differs_for_another(tmp_path):
    from kpiframe.sample_data import write_sample_data

    first = write_sample_data(tmp_path / "a", tickets=500, seed=3)
    write_sample_data(tmp_path / "b", tickets=500, seed=3)
    write_sample_data(tmp_path / "c", tickets=500, seed=4)
    assert len(first) == 16  # eight tables, Parquet and CSV
    for path in first:
        assert path.read_bytes() == (tmp_path / "b" / path.name).read_bytes(), path.name
    for name in ("tickets", "calls", "surveys", "kb_views"):
        a, c = pq.read_table(tmp_path / "a" / f"{name}.parquet"), pq.read_table(tmp_path / "c" / f"{name}.parquet")
        assert a.schema == c.schema and not a.equals(c), name


def test_sample_data_splits_large_tables_into_a_row_group_per_core_the_same_way_each_time(tmp_path):
    import os

    from kpiframe.sample_data import write_sample_data

    write_sample_data(tmp_path / "a", tickets=20000, seed=3, csv=False)
    write_sample_data(tmp_path / "b", tickets=20000, seed=3, csv=False)
    for name in ("tickets", "calls", "kb_views"):
        first, again = tmp_path / "a" / f"{name}.parquet", tmp_path / "b" / f"{name}.parquet"
        assert pq.ParquetFile(first).num_row_groups >= (os.cpu_count() or 1), name
        assert first.read_bytes() == again.read_bytes(), name  # written a group at a time, the next computed meanwhile
    assert not list((tmp_path / "a").glob("*.csv"))  # csv=False: Parquet only


def test_sample_data_looks_like_a_real_export(tmp_path):
    from kpiframe.sample_data import write_sample_data

    write_sample_data(tmp_path, tickets=5000, seed=7)
    tickets = pq.read_table(tmp_path / "tickets.parquet").to_pandas()
    calls = pq.read_table(tmp_path / "calls.parquet").to_pandas()
    assert tickets["agent"].nunique() > 150  # about 200 agents
    assert set(tickets["channel"]) == {"email", "chat", "phone", "web", "social"}
    assert tickets["first_response_at"].isna().any() and tickets["resolved_at"].isna().any()
    assert tickets["priority"].isna().any()
    weekday = tickets["created_at"].dt.day_of_week
    assert (weekday < 5).mean() > 0.8  # weekday seasonality
    hours = tickets["created_at"].dt.hour
    assert (hours.between(9, 17)).mean() > 0.5  # office-hours seasonality
    assert ((tickets["resolved_at"] - tickets["created_at"]).dt.total_seconds() < 0).any()  # real-export clock errors
    assert calls["abandoned"].any() and calls["blocked"].any()
    assert calls.loc[calls["abandoned"], "talk_seconds"].isna().all()


def test_pick_by_takes_the_first_option_whose_cumulative_share_exceeds_the_draw():
    from kpiframe.sample_data.randomness import pick_by

    options = [("a", 0.5), ("b", 0.0), ("c", 0.2), ("d", 0.05), ("e", 0.25)]
    cumulative = [0.5, 0.5, 0.7, 0.75]
    draws = [0.0, 0.25, 0.5, 0.6, 0.7, 0.74, 0.75, 0.9, 0.999999]
    picked = duckdb.sql(f"select u, {pick_by('u', options)} from unnest({draws}::double[]) t(u)").fetchall()
    expected = [next((options[k][0] for k, c in enumerate(cumulative) if u < c), "e") for u in draws]
    assert [value for _, value in picked] == expected
