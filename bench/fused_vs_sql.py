"""Fused kpiframe query vs the hand-written DuckDB SQL floor vs pandas.

Ten metrics over one Parquet source, computed three ways:

1. ``kpiframe.run`` on a config (config load, plan, one fused query, evaluation);
2. one hand-written DuckDB SQL query computing the same ten numbers (the floor);
3. pandas, as a user without kpiframe might write it.

Prints the median of several runs and the ratios to the floor, and checks the
three agree. Usage: ``python bench/fused_vs_sql.py [--rows 5000000] [--repeat 5]``.
"""

from __future__ import annotations

import argparse
import statistics
import tempfile
import time
from datetime import UTC, datetime
from pathlib import Path

import duckdb

CONFIG = """
version: 1
window: {{between: ["2026-01-01", "2026-03-01"]}}
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
  within_20s: {{calc: share, source: t, params: {{match: "wait <= 20"}}}}
  frt_p90: {{calc: duration, source: t, params: {{start: created_at, end: first_response_at, stat: p90, unit: s}}}}
  handle_sum: {{calc: sum, source: t, params: {{column: handle}}}}
"""

FLOOR_SQL = """
select
  count(*) as n,
  count(*) filter (where channel = 'email') as email,
  avg(wait) as wait_mean,
  quantile_cont(wait, 0.9) as wait_p90,
  quantile_cont(wait, 0.5) filter (where channel = 'chat') as wait_median_chat,
  max(wait) as wait_max,
  count(distinct agent) as agents,
  100.0 * count(*) filter (where wait <= 20) / count(*) as within_20s,
  quantile_cont(epoch(first_response_at) - epoch(created_at), 0.9)
      filter (where first_response_at >= created_at) as frt_p90,
  sum(handle) as handle_sum
from '{path}'
where created_at >= '2026-01-01' and created_at < '2026-03-01'
"""


def make_data(path: Path, rows: int) -> None:
    duckdb.sql(f"""
        copy (
          select
            i as id,
            timestamp '2025-12-15' + to_seconds((hash(i) % 7776000)::bigint) as created_at,
            case when hash(i * 3) % 10 = 0 then null
                 else timestamp '2025-12-15' + to_seconds((hash(i) % 7776000)::bigint + (hash(i * 5) % 86400)::bigint - 600)
            end as first_response_at,
            ['email', 'chat', 'phone', 'web'][(hash(i * 7) % 4)::int + 1] as channel,
            case when hash(i * 11) % 20 = 0 then null else 'agent-' || (hash(i * 13) % 200)::varchar end as agent,
            case when hash(i * 17) % 25 = 0 then null else (hash(i * 19) % 12000) / 100.0 end as wait,
            (hash(i * 23) % 3600)::double as handle
          from range({rows}) t(i)
        ) to '{path}' (format parquet, row_group_size 500000)
        """)


def timed(fn, repeat: int) -> tuple[float, object]:
    times, result = [], None
    for _ in range(repeat):
        start = time.perf_counter()
        result = fn()
        times.append(time.perf_counter() - start)
    return statistics.median(times), result


def interleaved(fns: dict[str, object], repeat: int) -> dict[str, tuple[float, object]]:
    """Median time of each function, run in turn (a, b, a, b...) so drift hits all alike."""
    times: dict[str, list[float]] = {name: [] for name in fns}
    results: dict[str, object] = {}
    for _ in range(repeat):
        for name, fn in fns.items():
            start = time.perf_counter()
            results[name] = fn()
            times[name].append(time.perf_counter() - start)
    return {name: (statistics.median(times[name]), results[name]) for name in fns}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=5_000_000)
    parser.add_argument("--repeat", type=int, default=5)
    parser.add_argument("--no-pandas", action="store_true")
    args = parser.parse_args()

    import kpiframe

    with tempfile.TemporaryDirectory() as tmp:
        data = Path(tmp) / "events.parquet"
        make_data(data, args.rows)
        config_path = Path(tmp) / "bench.yaml"
        config_path.write_text(CONFIG.format(path=data))
        config = kpiframe.load_config(config_path)
        as_of = datetime(2026, 3, 1, tzinfo=UTC)

        floor_con = duckdb.connect()
        measured = interleaved(
            {
                "floor": lambda: floor_con.execute(FLOOR_SQL.format(path=data)).fetchall()[0],
                "kpiframe": lambda: kpiframe.run(config, as_of=as_of),
            },
            args.repeat,
        )
        (floor_time, floor), (kpi_time, card) = measured["floor"], measured["kpiframe"]
        load_time, _ = timed(lambda: kpiframe.load_config(config_path), args.repeat)

        names = list(config.metrics)
        for name, expected in zip(names, floor):
            got = card.metric(name).value
            assert abs(got - float(expected)) <= 1e-9 * max(1.0, abs(float(expected))), (name, got, expected)

        rows = [("hand-written DuckDB SQL (floor)", floor_time), ("kpiframe.run (load excluded)", kpi_time)]
        if not args.no_pandas:
            pandas_time, result = timed(lambda: pandas_version(data), max(1, args.repeat // 2))
            check("pandas", result, card)
            rows.append(("pandas (read_parquet + 10 aggregates)", pandas_time))
        try:
            import polars  # noqa: F401  (a peer, measured when installed; not a dependency)
        except ImportError:
            print("polars not installed: pip install polars to compare with it")
        else:
            polars_time, result = timed(lambda: polars_version(data), args.repeat)
            check("polars", result, card)
            rows.append(("polars (lazy scan_parquet, 10 aggregates)", polars_time))

    print(f"{args.rows:,} rows, 10 metrics, median of {args.repeat} runs; every kpiframe value equals the SQL floor's")
    print(f"{'method':40} {'seconds':>9} {'× floor':>8}")
    for label, seconds in rows:
        print(f"{label:40} {seconds:9.3f} {seconds / floor_time:8.2f}")
    print(f"{'(config load + validation, once per run)':40} {load_time:9.3f}")
    print(f"fused queries sent by kpiframe: {card.run.queries}")


def check(name: str, result: dict[str, float], card) -> None:
    """A peer's numbers must be the same numbers, or the timing means nothing."""
    for metric, value in result.items():
        ours = card.metric(metric).value
        assert abs(float(value) - ours) <= 1e-6 * max(1.0, abs(ours)), (name, metric, value, ours)


def polars_version(path: Path) -> dict[str, float]:
    import polars as pl

    frame = pl.scan_parquet(path).filter(
        (pl.col("created_at") >= pl.datetime(2026, 1, 1)) & (pl.col("created_at") < pl.datetime(2026, 3, 1))
    )
    frt = (pl.col("first_response_at") - pl.col("created_at")).dt.total_microseconds() / 1e6
    out = frame.select(
        n=pl.len(),
        email=(pl.col("channel") == "email").sum(),
        wait_mean=pl.col("wait").mean(),
        wait_p90=pl.col("wait").quantile(0.9, interpolation="linear"),
        wait_median_chat=pl.col("wait").filter(pl.col("channel") == "chat").median(),
        wait_max=pl.col("wait").max(),
        agents=pl.col("agent").drop_nulls().n_unique(),
        within_20s=100 * (pl.col("wait") <= 20).sum() / pl.len(),
        frt_p90=frt.filter(frt >= 0).quantile(0.9, interpolation="linear"),
        handle_sum=pl.col("handle").sum(),
    ).collect()
    return out.to_dicts()[0]


def pandas_version(path: Path) -> dict[str, float]:
    import pandas as pd

    df = pd.read_parquet(path)
    df = df[(df.created_at >= "2026-01-01") & (df.created_at < "2026-03-01")]
    frt = (df.first_response_at - df.created_at).dt.total_seconds()
    return {
        "n": len(df),
        "email": int((df.channel == "email").sum()),
        "wait_mean": df.wait.mean(),
        "wait_p90": df.wait.quantile(0.9),
        "wait_median_chat": df.loc[df.channel == "chat", "wait"].median(),
        "wait_max": df.wait.max(),
        "agents": df.agent.nunique(),
        "within_20s": 100 * (df.wait <= 20).sum() / len(df),
        "frt_p90": frt[frt >= 0].quantile(0.9),
        "handle_sum": df.handle.sum(),
    }


if __name__ == "__main__":
    main()
