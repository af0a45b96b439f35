"""Workforce KPIs: Erlang C staffing, offered load, service rate and occupancy.

Erlang C is checked three ways: against figures published with their inputs, against
the textbook factorial formula computed exactly in this test with fractions (a
different algorithm from the Erlang B recursion kpiframe uses), and end to end on
calls written here, with λ and AHT per segment worked out with pandas.
"""

from __future__ import annotations

import math
import time
from fractions import Fraction
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

import kpiframe
from kpiframe.packs.support.erlang import MAX_LOAD, StaffingError, agents_needed, erlang_c, service_level


def factorial_erlang_c(agents: int, load: Fraction) -> Fraction:
    """P(wait) by the textbook formula: (A^N/N! · N/(N−A)) ÷ (Σ_{k<N} A^k/k! + A^N/N! · N/(N−A)), exactly."""
    top = load**agents / math.factorial(agents) * Fraction(agents) / (agents - load)
    return top / (sum(load**k / math.factorial(k) for k in range(agents)) + top)


def factorial_agents(load: Fraction, aht: float, threshold: float, level: float) -> int:
    agents = math.floor(load) + 1
    while 1 - float(factorial_erlang_c(agents, load)) * math.exp(-(agents - float(load)) * threshold / aht) < level:
        agents += 1
    return agents


@pytest.mark.parametrize(
    ("agents", "load"),
    [(1, Fraction(1, 2)), (11, Fraction(10)), (14, Fraction(10)), (55, Fraction(48)), (230, Fraction(2105, 10))],
)
def test_erlang_c_equals_the_factorial_formula_computed_exactly(agents, load):
    assert erlang_c(agents, float(load)) == pytest.approx(float(factorial_erlang_c(agents, load)), rel=1e-9)


def test_the_call_centre_helper_worked_example():
    # Call Centre Helper, "Erlang C Formula - Made Simple With an Easy Worked Example": 100 calls in
    # 30 minutes, AHT 180 s, 80% within 20 s → 10 Erlangs; P(wait) with 11 agents 0.6821;
    # 14 agents needed, at 71.4% occupancy. Each figure is rechecked by the factorial formula.
    load = Fraction(100 * 180, 1800)
    assert load == 10
    assert erlang_c(11, 10.0) == pytest.approx(0.6821, abs=5e-5)
    assert float(factorial_erlang_c(11, load)) == pytest.approx(0.6821, abs=5e-5)
    staffing = agents_needed(10.0, 180.0, threshold=20.0, target_service_level=0.8)
    assert staffing.agents == 14 == factorial_agents(load, 180.0, 20.0, 0.8)
    assert 100 * staffing.occupancy == pytest.approx(71.4, abs=0.05)
    assert staffing.service_level >= 0.8 > service_level(13, 10.0, 180.0, 20.0)


def test_the_anonymous_bank_staffing_published_in_mtpa_chapter_6():
    # T. W. Miller, "Modeling Techniques in Predictive Analytics", chapter 6 (program in
    # mtpa/mtpa, MTPA_Chapter_6/chapter_6_program.py): Wednesday hourly arrival rates of the
    # Anonymous Bank call centre, 15 calls per agent-hour, P(wait) at most 0.50; the book
    # prints the servers needed per hour from 00:00 to 23:00.
    rates = [6.75, 1.75, 1.25, 0.00, 0.50, 0.25, 4.75, 39.50, 97.25, 107.50, 124.00, 110.25]
    rates += [95.50, 203.50, 115.75, 115.50, 67.75, 75.00, 88.75, 85.50, 68.00, 61.50, 57.50, 44.25]
    published = [1, 1, 1, 0, 1, 1, 1, 4, 8, 9, 10, 9, 8, 16, 10, 10, 6, 7, 8, 8, 6, 6, 5, 4]
    got = [
        agents_needed(rate / 15, 240.0, target_service_level=None, max_wait_probability=0.5).agents for rate in rates
    ]
    assert got == published


@pytest.mark.parametrize(
    ("load", "aht", "threshold", "level"), [(48, 240, 15, 0.8), (210.5, 300, 30, 0.9), (0.3, 600, 20, 0.95)]
)
def test_agents_needed_equals_the_factorial_search(load, aht, threshold, level):
    exact = factorial_agents(Fraction(str(load)), aht, threshold, level)
    assert agents_needed(float(load), aht, threshold=threshold, target_service_level=level).agents == exact


def test_large_loads_stay_finite_and_fast():
    # A^N/N! overflows a float past N ≈ 170; the recursion does not.
    started = time.perf_counter()
    staffing = agents_needed(5000.0, 300.0, threshold=20.0, target_service_level=0.8)
    assert 5000 < staffing.agents < 5100
    assert 0 < staffing.wait_probability < 1 and math.isfinite(staffing.asa_seconds)
    assert time.perf_counter() - started < 1.0


def test_absurd_inputs_give_clear_errors_in_bounded_time():
    with pytest.raises(StaffingError, match="past what kpiframe staffs"):
        agents_needed(MAX_LOAD * 10, 300.0)
    with pytest.raises(StaffingError, match="finite"):
        agents_needed(float("nan"), 300.0)
    with pytest.raises(StaffingError, match="handle time"):
        agents_needed(5.0, 0.0)
    started = time.perf_counter()
    # The strictest targets end where P(wait) underflows to 0, a few hundred agents past the load.
    strict = agents_needed(MAX_LOAD, 300.0, threshold=0.0, target_service_level=1 - 1e-12, max_asa=0.0)
    assert MAX_LOAD < strict.agents < MAX_LOAD + 20_000
    assert time.perf_counter() - started < 2.0


def test_occupancy_cap_and_no_load():
    assert agents_needed(0.0, 300.0).agents == 0
    capped = agents_needed(10.0, 180.0, max_occupancy=0.6)
    assert capped.agents == math.ceil(10 / 0.6) and capped.occupancy <= 0.6


# End to end: calls over one week, by hour of day and by day.

START = pd.Timestamp("2026-09-07")  # a Monday
INTERVAL = 1800


@pytest.fixture(scope="module")
def calls(tmp_path_factory) -> tuple[pd.DataFrame, Path]:
    rng = np.random.default_rng(14)
    n = 4000
    hours = rng.choice(np.arange(8, 18), size=n, p=np.linspace(1, 2, 10) / np.linspace(1, 2, 10).sum())
    queued = (
        START
        + pd.to_timedelta(rng.integers(0, 7, n), "D")
        + pd.to_timedelta(hours * 3600 + rng.integers(0, 3600, n), "s")
    )
    frame = pd.DataFrame(
        {
            "queued_at": queued,
            "talk_seconds": rng.exponential(200, n).round(),
            "hold_seconds": rng.exponential(20, n).round(),
            "wrap_seconds": rng.exponential(30, n).round(),
            "abandoned": rng.random(n) < 0.08,
            "blocked": rng.random(n) < 0.02,
            "queue": rng.choice(["sales", "billing"], n),
        }
    )
    frame.loc[frame.abandoned | frame.blocked, ["talk_seconds", "hold_seconds", "wrap_seconds"]] = np.nan
    frame.loc[rng.choice(n, 30, replace=False), "talk_seconds"] = np.nan  # blank handle times are left out
    folder = tmp_path_factory.mktemp("workforce")
    frame.to_parquet(folder / "calls.parquet")
    staffed = pd.DataFrame(
        {"day": pd.date_range(START, periods=7, freq="D"), "staffed_hours": [80.0, 82, 79, 85, 90, 40, 20]}
    )
    staffed["handled_seconds"] = [200_000.0, 210_000, 190_000, 220_000, 230_000, 90_000, 40_000]
    staffed.to_parquet(folder / "staffing.parquet")
    return frame, folder


CONFIG = """
version: 1
window: {{between: ["2026-09-07", "2026-09-14"]}}
sources:
  calls: {{connector: parquet, path: {folder}/calls.parquet, time: queued_at}}
  staffing:
    connector: parquet
    path: {folder}/staffing.parquet
    time: day
    columns: {{staffed_seconds: staffed_hours * 3600, handle_seconds: handled_seconds}}
metrics:
  agents:
    calc: support.erlang_c_agents
    source: calls
    params: {{interval: 30min, service_level: "80%", answer_within: 20s}}
    by: ["hour(queued_at)"]
    grain: day
  scheduled:
    calc: support.erlang_c_agents
    source: calls
    params: {{interval: 1h, service_level: 0.9, answer_within: 30s, shrinkage: "30%", wrap: 10s}}
    by: [queue]
  matrix: {{calc: support.erlang_c_agents, source: calls, heatmap: true}}
  load:
    calc: support.offered_load
    source: calls
    params: {{interval: 30min}}
    by: ["hour(queued_at)"]
  rate:
    calc: support.service_rate
    source: calls
    params: {{components: [talk], wrap: 60s}}
  occupancy_staffed:
    calc: support.occupancy
    source: staffing
    params: {{basis: tickets}}
  occupancy_agents:
    calc: support.occupancy
    source: calls
    params: {{agents: 8, interval: 30min}}
"""


@pytest.fixture(scope="module")
def card(calls):
    _, folder = calls
    (folder / "kpis.yaml").write_text(CONFIG.format(folder=folder))
    return kpiframe.run(folder / "kpis.yaml", as_of=pd.Timestamp("2026-09-14", tz="UTC").to_pydatetime())


def workload(frame: pd.DataFrame, interval: int, components=("talk", "hold", "wrap"), wrap=0.0):
    """(arrivals per interval with a call, AHT) the way a WFM analyst works them out in pandas."""
    offered = frame[~frame.blocked]
    slots = (offered.queued_at - pd.Timestamp(0)).dt.total_seconds() // interval
    handle = frame[~frame.abandoned & ~frame.blocked][[f"{c}_seconds" for c in components]].dropna().sum(axis=1)
    return len(offered) / slots.nunique(), handle.mean() + wrap


def test_staffing_per_hour_and_per_day_equals_an_independent_erlang_c(card, calls):
    frame, _ = calls
    metric = card.metric("agents")
    by_hour = frame.groupby(frame.queued_at.dt.hour)
    segments = {s.key["hour(queued_at)"]: s for s in metric.segments if s.value is not None}
    assert set(segments) == set(by_hour.groups)
    for hour, rows in by_hour:
        rate, aht = workload(rows, INTERVAL)
        load = Fraction(rate * aht / INTERVAL)
        assert segments[hour].value == factorial_agents(load, aht, 20, 0.8), hour
        assert segments[hour].n == int((~rows.blocked).sum())
    days = {p.period[:10]: p.value for p in metric.series}
    for day, rows in frame.groupby(frame.queued_at.dt.date):
        rate, aht = workload(rows, INTERVAL)
        assert days[day.isoformat()] == factorial_agents(Fraction(rate * aht / INTERVAL), aht, 20, 0.8), day


def test_a_heat_map_gives_the_weekday_by_hour_staffing_matrix(card, calls):
    frame, _ = calls
    matrix = card.metric("matrix").matrix
    cells = frame.groupby([frame.queued_at.dt.day_of_week, frame.queued_at.dt.hour])
    assert sum(v is not None for row in matrix["values"] for v in row) == len(cells)
    for (weekday, hour), rows in cells:
        rate, aht = workload(rows, INTERVAL)
        assert matrix["values"][weekday][hour] == factorial_agents(Fraction(rate * aht / INTERVAL), aht, 20, 0.8)


def test_shrinkage_and_wrap_scale_the_staffing_per_queue(card, calls):
    frame, _ = calls
    segments = {s.key["queue"]: s for s in card.metric("scheduled").segments}
    for queue, rows in frame.groupby("queue"):
        rate, aht = workload(rows, 3600, wrap=10.0)
        on_phones = factorial_agents(Fraction(rate * aht / 3600), aht, 30, 0.9)
        assert segments[queue].value == math.ceil(on_phones / 0.7 - 1e-9), queue


def test_offered_load_is_arrivals_per_interval_times_aht(card, calls):
    frame, _ = calls
    segments = {s.key["hour(queued_at)"]: s.value for s in card.metric("load").segments}
    for hour, rows in frame.groupby(frame.queued_at.dt.hour):
        rate, aht = workload(rows, INTERVAL)
        assert segments[hour] == pytest.approx(rate * aht / INTERVAL, rel=1e-9)


def test_service_rate_is_3600_over_aht_plus_wrap_with_an_interval(card, calls):
    frame, _ = calls
    talk = frame[~frame.abandoned & ~frame.blocked].talk_seconds.dropna()
    metric = card.metric("rate")
    assert metric.value == pytest.approx(3600 / (talk.mean() + 60), rel=1e-9)
    half = 1.96 * talk.std() / math.sqrt(len(talk))  # t ≈ z at this n
    low, high = metric.interval
    assert low == pytest.approx(3600 / (talk.mean() + half + 60), rel=1e-3)
    assert high == pytest.approx(3600 / (talk.mean() - half + 60), rel=1e-3)


def test_occupancy_from_a_staffed_time_column_and_from_an_agent_count(card, calls):
    frame, folder = calls
    staffing = pd.read_parquet(folder / "staffing.parquet")
    expected = 100 * staffing.handled_seconds.sum() / (staffing.staffed_hours.sum() * 3600)
    assert card.metric("occupancy_staffed").value == pytest.approx(expected, rel=1e-9)
    handled = frame[~frame.abandoned & ~frame.blocked][["talk_seconds", "hold_seconds", "wrap_seconds"]].dropna()
    slots = ((frame[~frame.blocked].queued_at - pd.Timestamp(0)).dt.total_seconds() // INTERVAL).nunique()
    expected = 100 * handled.sum(axis=1).sum() / (8 * slots * INTERVAL)
    assert card.metric("occupancy_agents").value == pytest.approx(expected, rel=1e-9)


def test_an_unreachable_target_is_no_data_with_the_reason(write_config, tmp_path, calls):
    _, folder = calls
    config = write_config(
        f"""
        version: 1
        window: all
        sources:
          calls: {{connector: parquet, path: {folder}/calls.parquet, time: queued_at}}
        metrics:
          agents:
            calc: support.erlang_c_agents
            source: calls
            params: {{interval: 1s, aht: 100000h}}
        """
    )
    metric = kpiframe.run(config).metric("agents")
    assert metric.status == "no_data" and "past what kpiframe staffs" in metric.reason


@pytest.mark.parametrize(
    ("params", "key"),
    [('{service_level: "100%"}', "service_level"), ("{interval: 0s}", "interval"), ("{aht: 0min}", "aht")],
)
def test_impossible_params_are_config_errors(write_config, cli, calls, params, key):
    _, folder = calls
    config = write_config(
        f"""
        version: 1
        window: all
        sources:
          calls: {{connector: parquet, path: {folder}/calls.parquet, time: queued_at}}
        metrics:
          agents: {{calc: support.erlang_c_agents, source: calls, params: {params}}}
        """
    )
    result = cli("validate", str(config))
    assert result.exit_code == 2
    assert f"metrics.agents.params.{key}" in result.output


def test_a_negative_handle_time_is_counted_not_averaged_in(write_config, tmp_path):
    frame = pd.DataFrame(
        {
            "queued_at": pd.to_datetime(["2026-09-07 09:00", "2026-09-07 09:10", "2026-09-07 09:20"]),
            "talk_seconds": [100.0, -50.0, 300.0],
        }
    )
    frame.to_parquet(tmp_path / "calls.parquet")
    config = write_config(
        f"""
        version: 1
        window: all
        sources:
          calls: {{connector: parquet, path: {tmp_path}/calls.parquet, time: queued_at}}
        metrics:
          load: {{calc: support.offered_load, source: calls, params: {{components: [talk], interval: 1h}}}}
          rate: {{calc: support.service_rate, source: calls, params: {{components: [talk]}}}}
        """
    )
    card = kpiframe.run(config)
    load = card.metric("load")
    assert load.value == pytest.approx(3 * 200 / 3600)  # 3 arrivals in one hour, AHT of the two valid calls
    assert load.details["negative_handle_times"] == 1
    assert card.metric("rate").value == pytest.approx(3600 / 200)
    assert card.metric("rate").details["negative_handle_times"] == 1
