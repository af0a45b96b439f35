"""Every generic calculator against an independent computation (pandas or hand-written SQL)."""

from __future__ import annotations

import math
import random
from datetime import datetime, timedelta
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

import kpiframe
from conftest import AS_OF, sql_value, write_parquet

REL = 1e-9


@pytest.fixture(scope="module")
def events(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, pd.DataFrame]:
    """1,000 rows with nulls in every nullable column, negative durations and ties."""
    rng = random.Random(42)
    rows = []
    for i in range(1000):
        start = datetime(2026, 2, 1) + timedelta(minutes=rng.randrange(0, 27 * 24 * 60))
        delay = rng.choice([None, rng.uniform(-30, 600), rng.uniform(0, 60), 15.0])
        rows.append(
            {
                "id": i,
                "start_at": start,
                "end_at": None if delay is None else start + timedelta(minutes=delay),
                "x": None if rng.random() < 0.1 else round(rng.gauss(50, 20), 3),
                "y": None if rng.random() < 0.05 else rng.randrange(0, 5),
                "team": rng.choice(["a", "b", "c", None]),
                "flag": rng.choice([True, False, None]),
            }
        )
    path = write_parquet(tmp_path_factory.mktemp("events") / "events.parquet", rows)
    return path, pd.DataFrame(rows)


CONFIG = """
version: 1
window: all
sources:
  events: {{connector: parquet, path: {path}, time: start_at}}
metrics:
  rows: {{calc: count, source: events}}
  rows_x: {{calc: count, source: events, params: {{column: x}}}}
  rows_team_a: {{calc: count, source: events, where: "team == 'a'"}}
  sum_x: {{calc: sum, source: events, params: {{column: x}}}}
  mean_x: {{calc: mean, source: events, params: {{column: x}}}}
  mean_x_b: {{calc: mean, source: events, where: "team == 'b'", params: {{column: x}}}}
  min_x: {{calc: min, source: events, params: {{column: x}}}}
  max_x: {{calc: max, source: events, params: {{column: x}}}}
  median_x: {{calc: median, source: events, params: {{column: x}}}}
  p90_x: {{calc: percentile, source: events, params: {{column: x, q: 0.9}}}}
  p05_expr: {{calc: percentile, source: events, params: {{column: "x * 2 + y", q: 0.05}}}}
  teams: {{calc: distinct_count, source: events, params: {{column: team}}}}
  flagged: {{calc: share, source: events, params: {{match: flag}}}}
  big_x_in_c: {{calc: share, source: events, where: "team == 'c'", params: {{match: "x > 60"}}}}
  x_per_y: {{calc: ratio, source: events, params: {{numerator: {{agg: sum, column: x}}, denominator: {{agg: sum, column: y}}}}}}
  a_over_b: {{calc: ratio, source: events, params: {{numerator: {{where: "team == 'a'"}}, denominator: {{where: "team == 'b'"}}, scale: 100, unit: "%"}}}}
  dur_mean: {{calc: duration, source: events, params: {{start: start_at, end: end_at, unit: min}}}}
  dur_p90: {{calc: duration, source: events, params: {{start: start_at, end: end_at, stat: p90, unit: h}}}}
  dur_median_a: {{calc: duration, source: events, where: "team == 'a'", params: {{start: start_at, end: end_at, stat: median, unit: s}}}}
  derived: {{calc: expr, params: {{expr: "sum_x / rows_x - mean_x"}}}}
"""


@pytest.fixture(scope="module")
def card(events: tuple[Path, pd.DataFrame], tmp_path_factory: pytest.TempPathFactory) -> kpiframe.Scorecard:
    path, _ = events
    config = tmp_path_factory.mktemp("cfg") / "calc.yaml"
    config.write_text(CONFIG.format(path=path))
    return kpiframe.run(config, as_of=AS_OF)


def value(card: kpiframe.Scorecard, metric: str) -> float | None:
    return card.metric(metric).value


def test_count_counts_rows_and_non_null_values(card, events):
    _, df = events
    assert value(card, "rows") == len(df)
    assert value(card, "rows_x") == df["x"].notna().sum()
    assert value(card, "rows_team_a") == (df["team"] == "a").sum()


def test_column_statistics_leave_nulls_out(card, events):
    _, df = events
    x = df["x"].dropna()
    assert value(card, "sum_x") == pytest.approx(x.sum(), rel=REL)
    assert value(card, "mean_x") == pytest.approx(x.mean(), rel=REL)
    assert card.metric("mean_x").n == len(x)
    assert value(card, "mean_x_b") == pytest.approx(df.loc[df.team == "b", "x"].dropna().mean(), rel=REL)
    assert value(card, "min_x") == pytest.approx(x.min(), rel=REL)
    assert value(card, "max_x") == pytest.approx(x.max(), rel=REL)


def test_percentiles_interpolate_linearly_like_numpy(card, events):
    _, df = events
    x = df["x"].dropna().to_numpy()
    assert value(card, "median_x") == pytest.approx(np.median(x), rel=REL)
    assert value(card, "p90_x") == pytest.approx(np.quantile(x, 0.9, method="linear"), rel=REL)
    combined = (df["x"] * 2 + df["y"]).dropna().to_numpy()
    assert value(card, "p05_expr") == pytest.approx(np.quantile(combined, 0.05), rel=REL)


def test_distinct_count_ignores_null(card, events):
    _, df = events
    assert value(card, "teams") == df["team"].nunique(dropna=True) == 3


def test_share_counts_null_condition_as_not_matching(card, events):
    _, df = events
    flagged = (df["flag"] == True).sum()  # noqa: E712 (None is not True)
    assert value(card, "flagged") == pytest.approx(100 * flagged / len(df), rel=REL)
    assert card.metric("flagged").n == len(df)
    c = df[df.team == "c"]
    assert value(card, "big_x_in_c") == pytest.approx(100 * (c["x"] > 60).sum() / len(c), rel=REL)


def test_share_reports_a_wilson_interval(card, events):
    _, df = events
    k, n = int((df["flag"] == True).sum()), len(df)  # noqa: E712
    z = 1.959963984540054
    p = k / n
    centre = (p + z * z / (2 * n)) / (1 + z * z / n)
    half = z / (1 + z * z / n) * math.sqrt(p * (1 - p) / n + z * z / (4 * n * n))
    low, high = card.metric("flagged").interval
    assert low == pytest.approx(100 * (centre - half), rel=1e-9)
    assert high == pytest.approx(100 * (centre + half), rel=1e-9)


def test_ratio_of_two_filtered_aggregates(card, events):
    _, df = events
    assert value(card, "x_per_y") == pytest.approx(df["x"].sum() / df["y"].sum(), rel=REL)
    assert value(card, "a_over_b") == pytest.approx(100 * (df.team == "a").sum() / (df.team == "b").sum(), rel=REL)


def test_duration_excludes_negative_and_counts_censored(card, events):
    path, df = events
    minutes = (df["end_at"] - df["start_at"]).dt.total_seconds() / 60
    valid = minutes[minutes >= 0]
    metric = card.metric("dur_mean")
    assert metric.value == pytest.approx(valid.mean(), rel=REL)
    assert metric.n == len(valid)
    assert metric.details["negative"] == int((minutes < 0).sum()) > 0
    assert metric.details["censored"] == int(df["end_at"].isna().sum())
    assert value(card, "dur_p90") == pytest.approx(np.quantile(valid.to_numpy() / 60, 0.9), rel=REL)
    # and the same as hand-written SQL
    sql = f"""
        select median(epoch(end_at) - epoch(start_at)) from '{path}'
        where team = 'a' and end_at >= start_at
    """
    assert value(card, "dur_median_a") == pytest.approx(sql_value(sql), rel=REL)


def test_derived_metric_is_arithmetic_on_other_metrics(card):
    assert value(card, "derived") == pytest.approx(
        value(card, "sum_x") / value(card, "rows_x") - value(card, "mean_x"), abs=1e-9
    )


def test_all_metrics_of_one_source_and_window_run_as_one_query(card):
    assert card.run.queries == 1


EDGE = """
version: 1
window: {{last: 30d}}
sources:
  t: {{connector: parquet, path: {path}, time: created_at}}
metrics:
  n: {{calc: count, source: t, where: "id == -1"}}
  mean_empty: {{calc: mean, source: t, where: "id == -1", params: {{column: wait}}}}
  p90_empty: {{calc: percentile, source: t, where: "id == -1", params: {{column: wait, q: 0.9}}}}
  share_empty: {{calc: share, source: t, where: "id == -1", params: {{match: escalated}}}}
  ratio_zero: {{calc: ratio, source: t, params: {{numerator: {{}}, denominator: {{where: "id == -1"}}}}}}
  single: {{calc: percentile, source: t, where: "id == 5", params: {{column: wait, q: 0.9}}}}
  derived_empty: {{calc: expr, params: {{expr: "mean_empty * 2"}}}}
"""


def test_empty_window_gives_no_data_not_zero(tickets, write_config):
    card = kpiframe.run(write_config(EDGE.format(path=tickets)), as_of=AS_OF)
    assert card.metric("n").value == 0 and card.metric("n").status == "info"  # a count of nothing is 0
    for metric in ("mean_empty", "p90_empty", "share_empty", "ratio_zero", "derived_empty"):
        assert card.metric(metric).value is None, metric
        assert card.metric(metric).status == "no_data", metric
        assert card.metric(metric).reason
    assert card.metric("single").value == 61.0  # one row: every percentile is that row


def test_means_report_a_student_t_interval(tmp_path, write_config):
    rows = [{"x": float(v)} for v in (3, 7, 8, 10, 12, 15, 16, 20, 21, 28)] + [{"x": None}]
    path = write_parquet(tmp_path / "x.parquet", rows)
    card = kpiframe.run(
        write_config(
            f"version: 1\nwindow: all\nsources:\n  s: {{connector: parquet, path: {path}}}\nmetrics:\n  m: {{calc:"
            " mean, source: s, params: {column: x}}\n"
        ),
        as_of=AS_OF,
    )
    import statistics

    values = [r["x"] for r in rows if r["x"] is not None]
    mean, sd = statistics.mean(values), statistics.stdev(values)
    half = 2.262 * sd / math.sqrt(10)  # t(0.975, 9 degrees of freedom), from a printed table
    assert card.metric("m").interval == pytest.approx((mean - half, mean + half), rel=1e-9)


@pytest.mark.parametrize(
    "values",
    [
        [12.0, 30.0, 5.5, 61.0, 0.0],
        [1e6 + v for v in (0.1, 0.2, 0.4, 0.8)],
        [7.0] * 5,
        [86400.0 * 30 + v for v in range(1000)],
    ],
    ids=["waits", "large-mean-small-spread", "constant", "month-long-durations"],
)
def test_a_mean_s_interval_from_mean_and_mean_square_equals_pandas_std(values):
    from kpiframe.calculators.intervals import sample_sd

    series = pd.Series(values)
    sd = sample_sd(series.mean(), (series * series).mean(), len(series))
    # The spread sets an interval's width: within 1e-6 of the mean is exact enough.
    assert sd == pytest.approx(series.std(ddof=1), abs=1e-6 * abs(series.mean()))
