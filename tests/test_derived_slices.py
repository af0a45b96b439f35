"""Derived (expr) metrics per segment and per period, with delta-method intervals.

Values are checked against pandas group-bys written here; intervals against the
delta-method formula written out by hand, and against a bootstrap with a fixed seed.
"""

from __future__ import annotations

import math
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

import kpiframe
from kpiframe.errors import ConfigError

START, END = pd.Timestamp("2026-09-01"), pd.Timestamp("2026-10-01")
AS_OF = pd.Timestamp("2026-10-01", tz="UTC").to_pydatetime()
Z = 1.959963984540054


@pytest.fixture(scope="module")
def data(tmp_path_factory) -> tuple[Path, pd.DataFrame, pd.DataFrame]:
    rng = np.random.default_rng(9)
    n = 3000
    tickets = pd.DataFrame(
        {
            "created_at": START + pd.to_timedelta(rng.integers(0, 30 * 86400, n), "s"),
            "channel": rng.choice(["email", "chat", "phone"], n, p=[0.5, 0.3, 0.2]),
            "agent": rng.choice([f"a{i}" for i in range(25)], n),
            "handle": rng.gamma(2.0, 150.0, n),
        }
    )
    # Solved depends on the handle time: the two metrics of this source are correlated.
    tickets["solved"] = rng.random(n) < 1 / (1 + np.exp((tickets.handle - 300) / 150))
    m = 900
    surveys = pd.DataFrame(
        {
            "answered_at": START + pd.to_timedelta(rng.integers(0, 30 * 86400, m), "s"),
            "channel": rng.choice(["email", "chat"], m),  # no phone surveys
            "score": rng.integers(1, 6, m).astype(float),
        }
    )
    folder = tmp_path_factory.mktemp("derived")
    tickets.to_parquet(folder / "tickets.parquet")
    surveys.to_parquet(folder / "surveys.parquet")
    return folder, tickets, surveys


CONFIG = """
version: 1
window: {{between: ["2026-09-01", "2026-10-01"]}}
sources:
  tickets: {{connector: parquet, path: {folder}/tickets.parquet, time: created_at}}
  surveys: {{connector: parquet, path: {folder}/surveys.parquet, time: answered_at}}
metrics:
  tickets_n: {{calc: count, source: tickets, by: [channel], grain: week}}
  agents_n: {{calc: distinct_count, source: tickets, params: {{column: agent}}, by: [channel], grain: week}}
  per_agent:
    calc: expr
    params: {{expr: "tickets_n / agents_n"}}
    by: [channel]
    grain: week
    target: ">= 10"
    targets: {{"channel=email": ">= 1000", "channel=phone": ">= 5"}}
  per_agent_inherited: {{calc: expr, params: {{expr: "tickets_n / agents_n"}}}}
  all_agents: {{calc: distinct_count, source: tickets, params: {{column: agent}}}}
  agent_share: {{calc: expr, params: {{expr: "agents_n / all_agents * 100"}}, by: [channel]}}
  handle: {{calc: mean, source: tickets, params: {{column: handle}}, by: [channel]}}
  solved: {{calc: share, source: tickets, params: {{match: solved}}, by: [channel]}}
  score: {{calc: mean, source: surveys, params: {{column: score}}, by: [channel]}}
  handle_per_point: {{calc: expr, params: {{expr: "handle / score"}}, by: [channel]}}
  solved_handle: {{calc: expr, params: {{expr: "handle * solved / 100"}}, by: [channel]}}
  no_interval: {{calc: expr, params: {{expr: "round(handle, 0) + tickets_n"}}}}
  thin: {{calc: expr, params: {{expr: "handle / score"}}, by: [channel], min_sample: 450}}
"""


@pytest.fixture(scope="module")
def card(data):
    folder = data[0]
    (folder / "kpis.yaml").write_text(CONFIG.format(folder=folder))
    return kpiframe.run(folder / "kpis.yaml", as_of=AS_OF)


def segments(card, metric: str) -> dict:
    return {s.key["channel"]: s for s in card.metric(metric).segments}


def test_an_expr_over_segmented_metrics_is_computed_per_segment(card, data):
    _, tickets, _ = data
    grouped = tickets.groupby("channel")
    expected = grouped.size() / grouped.agent.nunique()
    got = segments(card, "per_agent")
    assert set(got) == set(expected.index)
    for channel, value in expected.items():
        assert got[channel].value == pytest.approx(value, rel=1e-12), channel
    assert card.metric("per_agent").value == pytest.approx(len(tickets) / tickets.agent.nunique(), rel=1e-12)


def test_an_expr_over_metrics_with_a_grain_is_computed_per_period(card, data):
    _, tickets, _ = data
    week = tickets.created_at.dt.to_period("W-SUN").dt.start_time.dt.date
    grouped = tickets.groupby(week)
    expected = {d.isoformat(): v for d, v in (grouped.size() / grouped.agent.nunique()).items()}
    got = {p.period[:10]: p.value for p in card.metric("per_agent").series if p.value is not None}
    assert got == pytest.approx(expected, rel=1e-12)


def test_without_by_an_expr_takes_the_segments_and_periods_its_inputs_share(card):
    inherited = card.metric("per_agent_inherited")
    explicit = card.metric("per_agent")
    assert {s.label: s.value for s in inherited.segments} == {s.label: s.value for s in explicit.segments}
    assert [(p.period, p.value) for p in inherited.series] == [(p.period, p.value) for p in explicit.series]


def test_an_input_without_segments_counts_with_its_overall_value_in_each(card, data):
    _, tickets, _ = data
    expected = 100 * tickets.groupby("channel").agent.nunique() / tickets.agent.nunique()
    got = segments(card, "agent_share")
    for channel, value in expected.items():
        assert got[channel].value == pytest.approx(value, rel=1e-12)


def test_a_segment_one_input_lacks_is_no_data(card):
    phone = segments(card, "handle_per_point")["phone"]
    assert phone.status == "no_data" and phone.value is None
    assert "score" in phone.reason


def test_per_segment_targets_on_an_expr_gate_like_any_metric(card, data, tmp_path):
    got = segments(card, "per_agent")
    assert got["email"].target == ">= 1000" and got["email"].status == "fail"
    assert got["phone"].target == ">= 5" and got["phone"].status == "pass"
    assert got["chat"].target == ">= 10" and got["chat"].status == ("pass" if got["chat"].value >= 10 else "fail")
    folder = data[0]
    from typer.testing import CliRunner

    from kpiframe.cli import app

    result = CliRunner().invoke(app, ["run", str(folder / "kpis.yaml"), "--as-of", "2026-10-01", "--format", "json"])
    assert result.exit_code == 1  # the email segment fails its own target


def delta_sigma(a, sa, b, sb, op):
    """σ of a/b or a·b by the first-order delta method, written out."""
    if op == "/":
        return math.sqrt((sa / b) ** 2 + (a * sb / b**2) ** 2)
    return abs(b) * sa + abs(a) * sb  # same source and window: σs add (the most any correlation gives)


def sigma(metric) -> float:
    low, high = metric.interval
    return (high - low) / (2 * Z)


def test_a_ratio_of_independent_inputs_carries_the_delta_method_interval(card, data):
    _, tickets, surveys = data
    handle, score, ratio = (segments(card, m)["email"] for m in ("handle", "score", "handle_per_point"))
    expected = delta_sigma(handle.value, sigma(handle), score.value, sigma(score), "/")
    assert ratio.value == pytest.approx(handle.value / score.value, rel=1e-12)
    assert sigma(ratio) == pytest.approx(expected, rel=1e-9)
    assert ratio.interval[0] < ratio.value < ratio.interval[1]
    # Bootstrap (fixed seed): resample each source's email rows independently.
    rng = np.random.default_rng(3)
    h = tickets[tickets.channel == "email"].handle.to_numpy()
    s = surveys[surveys.channel == "email"].score.to_numpy()
    boots = [rng.choice(h, h.size).mean() / rng.choice(s, s.size).mean() for _ in range(2000)]
    assert sigma(ratio) == pytest.approx(np.std(boots), rel=0.1)


def test_inputs_from_one_source_and_window_get_a_conservative_interval(card, data):
    _, tickets, _ = data
    handle, solved, product = (segments(card, m)["email"] for m in ("handle", "solved", "solved_handle"))
    # solved is in %, the expression divides by 100.
    expected = delta_sigma(handle.value, sigma(handle), solved.value / 100, sigma(solved) / 100, "*")
    assert sigma(product) == pytest.approx(expected, rel=1e-9)
    rng = np.random.default_rng(4)
    rows = tickets[tickets.channel == "email"][["handle", "solved"]].to_numpy()
    boots = []
    for _ in range(2000):
        sample = rows[rng.integers(0, len(rows), len(rows))]
        boots.append(sample[:, 0].mean() * sample[:, 1].mean())
    assert np.std(boots) <= sigma(product) * 1.05  # the bound covers the real (correlated) spread


def test_its_n_is_the_smallest_of_its_inputs_so_min_sample_applies(card, data):
    _, tickets, surveys = data
    for channel, segment in segments(card, "thin").items():
        if channel == "phone":
            continue
        n = min((tickets.channel == channel).sum(), (surveys.channel == channel).sum())
        assert segment.n == n
        assert segment.status == ("no_data" if n < 450 else "info"), channel  # chat 446, email 454


def test_no_interval_where_the_expression_or_an_input_cannot_carry_one(card):
    assert card.metric("no_interval").interval is None  # round() is a step; a count has no interval
    assert card.metric("per_agent").interval is None


@pytest.mark.parametrize(
    ("metrics", "message"),
    [
        (
            "  a: {calc: count, source: t, by: [channel]}\n  b: {calc: count, source: t, by: [agent]}\n"
            "  c: {calc: expr, params: {expr: a / b}, by: [channel]}\n",
            "differs from that of its input 'b'",
        ),
        (
            "  a: {calc: count, source: t}\n  c: {calc: expr, params: {expr: a * 2}, grain: week}\n",
            "needs inputs with that grain",
        ),
        (
            "  a: {calc: count, source: t}\n  c: {calc: expr, params: {expr: a * 2}, heatmap: true}\n",
            "has no weekday × hour cells",
        ),
        (
            "  a: {calc: count, source: t}\n  c: {calc: expr, params: {expr: a * 2}, per: [agent]}\n",
            "has no rows to group with `per:`",
        ),
    ],
)
def test_slices_an_expr_cannot_share_are_config_errors(tmp_path, data, metrics, message):
    config = tmp_path / "kpis.yaml"
    config.write_text(
        "version: 1\nwindow: all\nsources:\n"
        f"  t: {{connector: parquet, path: {data[0]}/tickets.parquet, time: created_at}}\n"
        "metrics:\n" + metrics
    )
    with pytest.raises(ConfigError) as raised:
        kpiframe.run(config)
    assert message in str(raised.value)
    assert "kpis.yaml:" in str(raised.value)


@pytest.mark.parametrize(
    "text",
    ["a / b", "a * b - c", "abs(a - 2 * b) / (c + 1)", "-(a + b) / c * 3", "coalesce(d, a) / b", "(a + b + c) / 3"],
)
def test_the_expression_gradient_equals_finite_differences(text):
    from kpiframe.calculators.delta import gradient
    from kpiframe.expr import parse

    point = {"a": 3.0, "b": 1.25, "c": 4.0, "d": None}
    value, grad = gradient(parse(text), point)

    def f(values):
        return gradient(parse(text), values)[0]

    assert value == pytest.approx(f(point))
    for name in ("a", "b", "c"):
        h = 1e-6
        up, down = dict(point, **{name: point[name] + h}), dict(point, **{name: point[name] - h})
        assert grad.get(name, 0.0) == pytest.approx((f(up) - f(down)) / (2 * h), rel=1e-6, abs=1e-8), name


def test_a_sum_of_independent_estimates_adds_variances():
    from kpiframe.calculators.derived import Expression
    from kpiframe.contracts import Value

    a, b = Value(10.0, n=50, interval=(8.0, 12.0)), Value(5.0, n=80, interval=(4.0, 6.0))
    total = Expression().derive({"a": a, "b": b}, {"expr": "a + b"})
    half = math.sqrt(2.0**2 + 1.0**2)  # half-widths in quadrature
    assert total.value == 15.0 and total.n == 50
    assert total.interval == pytest.approx((15 - half, 15 + half))
    correlated = Expression().derive({"a": a, "b": b}, {"expr": "a + b"}, groups=[{"a", "b"}])
    assert correlated.interval == pytest.approx((12.0, 18.0))  # half-widths add


def test_compare_gives_an_expr_its_baseline_overall_and_per_segment(tmp_path):
    rng = np.random.default_rng(21)
    n = 2000
    tickets = pd.DataFrame(
        {
            "created_at": pd.Timestamp("2026-08-01") + pd.to_timedelta(rng.integers(0, 61 * 86400, n), "s"),
            "channel": rng.choice(["email", "chat"], n),
            "agent": rng.choice([f"a{i}" for i in range(30)], n),
        }
    )
    tickets.to_parquet(tmp_path / "tickets.parquet")
    (tmp_path / "kpis.yaml").write_text(
        "version: 1\nwindow: {calendar: previous_month}\nsources:\n"
        f"  t: {{connector: parquet, path: {tmp_path}/tickets.parquet, time: created_at}}\n"
        "metrics:\n"
        "  tickets_n: {calc: count, source: t, by: [channel], compare: previous_period}\n"
        "  agents_n: {calc: distinct_count, source: t, params: {column: agent}, by: [channel], compare: previous_period}\n"
        "  per_agent: {calc: expr, params: {expr: tickets_n / agents_n}, compare: previous_period,"
        ' target: {change: "<= +1000%"}}\n'
    )
    card = kpiframe.run(tmp_path / "kpis.yaml", as_of=AS_OF)

    def ratio(frame):
        return len(frame) / frame.agent.nunique()

    august = tickets[tickets.created_at < START]
    metric = card.metric("per_agent")
    assert metric.baseline == pytest.approx(ratio(august), rel=1e-12)
    assert metric.delta == pytest.approx(ratio(tickets[tickets.created_at >= START]) - ratio(august), rel=1e-9)
    assert metric.baseline_window is not None and metric.status == "pass"
    for segment in metric.segments:
        channel = segment.key["channel"]
        assert segment.baseline == pytest.approx(ratio(august[august.channel == channel]), rel=1e-12), channel


def test_compare_on_an_expr_needs_inputs_that_compare_the_same_way(tmp_path, data):
    config = tmp_path / "kpis.yaml"
    config.write_text(
        "version: 1\nwindow: {calendar: previous_month}\nsources:\n"
        f"  t: {{connector: parquet, path: {data[0]}/tickets.parquet, time: created_at}}\n"
        "metrics:\n  a: {calc: count, source: t}\n"
        "  c: {calc: expr, params: {expr: a * 2}, compare: previous_period}\n"
    )
    with pytest.raises(ConfigError, match="needs its input 'a' to compare the same way"):
        kpiframe.run(config)
