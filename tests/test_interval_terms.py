"""Interval-only terms (a mean's AVG(x * x)) are computed where an interval is shown, and only there."""

from __future__ import annotations

import math
import random
import re
from datetime import datetime, timedelta
from pathlib import Path

import pandas as pd
import pytest

import kpiframe
from conftest import write_parquet
from kpiframe.engine.interval_terms import shows_interval

AS_OF = datetime.fromisoformat("2026-03-01T12:00:00+00:00")  # the window is February, compared with January
Z95 = 1.959963984540054  # the normal quantile, which the product uses for a t with over 120 degrees of freedom
SQUARE_OF_X = re.compile(r'AVG\("t\d+"\."x" \* "t\d+"\."x"\)')
MEAN_OF_X = re.compile(r'AVG\("t\d+"\."x"\)')


@pytest.fixture(scope="module")
def data(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, pd.DataFrame]:
    """3,000 rows over January and February: 300+ values per team and month, 1 in 10 null."""
    rng = random.Random(13)
    rows = [
        {
            "created_at": datetime(2026, 1, 1) + timedelta(minutes=rng.randrange(0, 59 * 24 * 60)),
            "team": rng.choice(["a", "b", "c"]),
            "x": None if rng.random() < 0.1 else round(rng.gauss(50, 20), 3),
        }
        for _ in range(3000)
    ]
    path = write_parquet(tmp_path_factory.mktemp("intervals") / "t.parquet", rows)
    return path, pd.DataFrame(rows)


def config(path: Path, metrics: str) -> str:
    return (
        "version: 1\nwindow: {calendar: previous_month}\nsources:\n"
        f"  t: {{connector: parquet, path: {path}, time: created_at}}\nmetrics:\n{metrics}"
    )


def sql(cli, write_config, text: str) -> str:
    result = cli("sql", write_config(text), "--as-of", AS_OF.isoformat())
    assert result.exit_code == 0, result.stderr
    return result.stdout


def t_interval(values: pd.Series) -> tuple[float, float]:
    values = values.dropna()
    assert len(values) > 121  # so the quantile is Z95
    half = Z95 * values.std(ddof=1) / math.sqrt(len(values))
    return (values.mean() - half, values.mean() + half)


def test_a_mean_shown_with_its_interval_computes_its_mean_square(data, cli, write_config):
    text = sql(cli, write_config, config(data[0], "  m: {calc: mean, source: t, params: {column: x}, by: [team]}\n"))
    assert len(SQUARE_OF_X.findall(text)) == 1  # overall and segments share the column


def test_the_compare_window_of_a_mean_computes_no_mean_square(data, cli, write_config):
    metric = "  m: {calc: mean, source: t, params: {column: x}, compare: previous_period}\n"
    text = sql(cli, write_config, config(data[0], metric))
    assert len(MEAN_OF_X.findall(text)) == 2  # February's mean and January's
    assert len(SQUARE_OF_X.findall(text)) == 1  # February's only: its interval is shown, January's is not


def test_a_per_metric_computes_no_mean_square(data, cli, write_config):
    metric = "  m: {calc: mean, source: t, params: {column: x}, per: [team], per_stat: max}\n"
    assert not SQUARE_OF_X.findall(sql(cli, write_config, config(data[0], metric)))


@pytest.mark.parametrize(
    ("kind", "per", "shown"),
    [
        ("overall", (), True),
        ("segments", (), True),
        ("series", (), False),
        ("heatmap", (), False),
        ("previous", (), False),
        ("previous_segments", (), False),
        ("overall", ("team",), False),
        ("segments", ("team",), False),
    ],
)
def test_only_the_overall_value_and_segments_of_a_one_level_metric_show_an_interval(kind, per, shown):
    class Spec:  # the one key the decision reads
        pass

    spec = Spec()
    spec.per = per  # type: ignore[attr-defined]
    assert shows_interval(kind, spec) is shown  # type: ignore[arg-type]


def test_shown_values_and_intervals_match_pandas_with_segments_series_compare_and_per(data, write_config):
    path, frame = data
    metrics = (
        "  m: {calc: mean, source: t, params: {column: x}, by: [team], grain: day, compare: previous_period}\n"
        "  twice: {calc: expr, params: {expr: m * 2}, compare: previous_period}\n"
        "  best_team: {calc: mean, source: t, params: {column: x}, per: [team], per_stat: max}\n"
    )
    card = kpiframe.run(write_config(config(path, metrics)), as_of=AS_OF)
    february = frame[(frame.created_at >= "2026-02-01") & (frame.created_at < "2026-03-01")]
    january = frame[(frame.created_at >= "2026-01-01") & (frame.created_at < "2026-02-01")]
    m = card.metric("m")
    assert m.value == pytest.approx(february.x.mean(), rel=1e-12)
    assert m.n == february.x.notna().sum()
    assert m.interval == pytest.approx(t_interval(february.x), rel=1e-9)
    assert m.baseline == pytest.approx(january.x.mean(), rel=1e-12)
    for segment in m.segments:
        team = segment.key["team"]
        assert segment.value == pytest.approx(february[february.team == team].x.mean(), rel=1e-12)
        assert segment.interval == pytest.approx(t_interval(february[february.team == team].x), rel=1e-9)
        assert segment.baseline == pytest.approx(january[january.team == team].x.mean(), rel=1e-12)
    daily = february.groupby(february.created_at.dt.date).x.agg(["mean", "count"])
    assert [(p.period, p.n) for p in m.series] == [(d.isoformat(), c) for d, c in daily["count"].items()]
    assert [p.value for p in m.series] == pytest.approx(list(daily["mean"]), rel=1e-12)
    twice = card.metric("twice")
    assert (twice.value, twice.baseline) == pytest.approx((2 * february.x.mean(), 2 * january.x.mean()), rel=1e-12)
    lo, hi = t_interval(february.x)
    assert twice.interval == pytest.approx((2 * lo, 2 * hi), rel=1e-9)  # the delta method on a linear f
    best = card.metric("best_team")
    assert best.value == pytest.approx(february.groupby("team").x.mean().max(), rel=1e-12)
    assert best.interval is None  # a statistic over groups has none, as before


CALLS = """
version: 1
window: all
sources:
  calls: {{connector: parquet, path: {path}, time: queued_at}}
metrics:
  {metric}: {{calc: {calc}, source: calls, params: {{components: [talk]}}}}
"""


@pytest.mark.parametrize(
    ("calc", "squares"),
    [("support.service_rate", 1), ("support.offered_load", 0), ("support.erlang_c_agents", 0)],
)
def test_of_the_workforce_kpis_only_the_service_rate_computes_the_handle_time_spread(
    calc, squares, tmp_path, cli, write_config
):
    rows = [{"queued_at": datetime(2026, 2, 2, 9, i), "talk_seconds": 100.0 + 7 * i} for i in range(20)]
    path = write_parquet(tmp_path / "calls.parquet", rows)
    result = cli("sql", write_config(CALLS.format(path=path, metric="k", calc=calc)))
    assert result.exit_code == 0, result.stderr
    assert len(re.findall(r'"talk_seconds" \* "t\d+"\."talk_seconds"', result.stdout)) == squares


def test_the_service_rate_interval_still_maps_the_aht_t_interval(tmp_path, write_config):
    talk = [100.0 + 7 * i for i in range(20)]
    rows = [{"queued_at": datetime(2026, 2, 2, 9, i), "talk_seconds": t} for i, t in enumerate(talk)]
    path = write_parquet(tmp_path / "calls.parquet", rows)
    card = kpiframe.run(write_config(CALLS.format(path=path, metric="k", calc="support.service_rate")), as_of=AS_OF)
    series = pd.Series(talk)
    half = 2.093 * series.std(ddof=1) / math.sqrt(20)  # t(0.975, 19 degrees of freedom), from a printed table
    low, high = series.mean() - half, series.mean() + half
    assert card.metric("k").interval == pytest.approx((3600 / high, 3600 / low), rel=1e-9)
