"""Config checks that catch silent mistakes: the unit ``m``, warn levels that can never fire,
empty ranges, and durations or dates too large or too small for a window (issue 10).

Each mistake is exit 2 with file:line:column and a hint, never a traceback and never a
run that quietly reports every metric as no_data.
"""

from __future__ import annotations

import pytest

from kpiframe.config.comparisons import never_fires, parse_change, parse_comparison
from kpiframe.config.literals import parse_duration, parse_quantity
from kpiframe.errors import ConfigError

HEAD = """\
version: 1
title: Checks
{window}
sources:
  tickets: {{connector: parquet, path: tickets.parquet, time: created_at}}
metrics:
  volume:
    calc: count
    source: tickets
{metric}
"""


def config(write_config, metric: str = "", window: str = "window: {last: 30d}") -> object:
    return write_config(
        HEAD.format(window=window, metric="\n".join("    " + line for line in metric.strip("\n").splitlines()))
    )


def problems(write_config, metric: str = "", window: str = "window: {last: 30d}") -> list[str]:
    import kpiframe

    with pytest.raises(ConfigError) as caught:
        kpiframe.load_config(config(write_config, metric, window))
    return [problem.render() for problem in caught.value.problems]


# --- the unit m -------------------------------------------------------------------


@pytest.mark.parametrize("text", ["1m", "5m", "0.5 m"])
def test_m_is_not_a_duration_unit(text):
    with pytest.raises(ValueError, match="`m` is not a unit"):
        parse_quantity(text)


def test_m_is_refused_in_change_targets():
    with pytest.raises(ValueError, match="`m` is not a unit"):
        parse_change("<= +5m")


def test_min_still_means_minutes():
    assert parse_quantity("5min").value == 300.0
    assert parse_duration("90min").total_seconds() == 5400.0


def test_a_window_of_1m_is_a_config_error_that_suggests_min_or_a_calendar_month(write_config):
    (line,) = problems(write_config, window="window: {last: 1m}")
    assert "kpis.yaml:3:16: window.last:" in line
    assert "`m` is not a unit" in line
    assert "write `min` for minutes" in line and "calendar: previous_month" in line and "30d" in line


def test_m_in_a_target_is_a_config_error_at_the_target(write_config):
    (line,) = problems(write_config, 'target: "<= 5m"')
    assert "kpis.yaml:10:13: metrics.volume.target: '5m': `m` is not a unit" in line


# --- warn levels that can never fire ----------------------------------------------


@pytest.mark.parametrize(
    ("target", "warn", "unit", "dead"),
    [
        (">= 80", ">= 70", "number", True),  # under 70 already fails
        (">= 80", ">= 80", "number", True),  # equal: nothing passes one and misses the other
        (">= 80", "> 80", "number", False),  # exactly 80 passes and warns
        (">= 80", ">= 90", "number", False),
        ("<= 60", "<= 45", "s", False),
        ("<= 4h", "<= 300min", "min", True),  # 300 min is looser than 240 min
        ("<= 4h", "<= 200min", "min", False),
        ("between 10 and 20", "between 5 and 25", "number", True),
        ("between 10 and 20", "between 12 and 18", "number", False),
        (">= 80", "<= 90", "number", False),  # warns on values above 90
        ("== 0", "<= 1", "count", True),
    ],
)
def test_a_warn_level_is_dead_when_every_value_passing_the_target_passes_it(target, warn, unit, dead):
    assert (never_fires(parse_comparison(target), parse_comparison(warn), unit) is not None) is dead


def test_a_looser_warn_is_a_config_error_with_a_stricter_example(write_config):
    (line,) = problems(write_config, 'target: ">= 80"\nwarn: ">= 70"')
    assert line.startswith(str(config(write_config, 'target: ">= 80"\nwarn: ">= 70"')) + ":11:11: metrics.volume.warn:")
    assert "warn '>= 70' can never fire" in line
    assert "(a warn level must be stricter than the target: >= 90)" in line


def test_a_looser_warn_on_a_duration_suggests_in_the_targets_unit(write_config):
    metric = 'calc: mean\nparams: {column: wait, unit: min}\ntarget: "<= 4h"\nwarn: "<= 5h"'
    text = (
        HEAD.format(window="window: {last: 30d}", metric="").replace("    calc: count\n", "")
        + "\n".join("    " + line for line in metric.splitlines())
        + "\n"
    )
    import kpiframe

    with pytest.raises(ConfigError) as caught:
        kpiframe.load_config(write_config(text))
    (problem,) = caught.value.problems
    assert problem.path == "metrics.volume.warn"
    assert problem.hint == "a warn level must be stricter than the target: <= 3h"


def test_a_looser_change_warn_is_a_config_error(write_config):
    (line,) = problems(write_config, 'target: {change: "<= +10%"}\nwarn: {change: "<= +20%"}')
    assert ":11:20: metrics.volume.warn.change: warn change '<= +20%' can never fire" in line


def test_a_warn_with_a_live_part_is_kept(write_config):
    import kpiframe

    # the value part can fire (the target has none), so the level is not dead
    loaded = kpiframe.load_config(
        config(write_config, 'target: {change: "<= +10%"}\nwarn: {value: ">= 5", change: "<= +20%"}')
    )
    assert loaded.metrics["volume"].warn is not None


def test_a_relative_and_an_absolute_change_are_not_compared(write_config):
    import kpiframe

    loaded = kpiframe.load_config(config(write_config, 'target: {change: "<= +10%"}\nwarn: {change: "<= +50 points"}'))
    assert loaded.metrics["volume"].warn is not None


def test_a_segment_target_that_kills_the_metrics_warn_is_a_config_error(write_config):
    (line,) = problems(
        write_config, 'target: ">= 10"\nwarn: ">= 20"\nby: [channel]\ntargets:\n  "channel=phone": ">= 30"'
    )
    assert (
        ":14:24: metrics.volume.targets.channel=phone: for segment channel=phone, warn '>= 20' can never fire" in line
    )
    assert "passes its target '>= 30'" in line
    assert "loosen this segment's target" in line


# --- empty ranges -----------------------------------------------------------------


def test_between_with_the_larger_bound_first_is_an_empty_range(write_config):
    (line,) = problems(write_config, 'target: "between 5 and 1"')
    assert ":10:13: metrics.volume.target: 'between 5 and 1' is an empty range" in line
    assert "write the smaller bound first: between 1 and 5" in line


def test_between_with_equal_bounds_is_one_value_not_an_error():
    comparison = parse_comparison("between 5 and 5")
    assert not comparison.empty() and comparison.holds(5, "count")


# --- out of range -------------------------------------------------------------------


@pytest.mark.parametrize("text", ["1e400", "-1e400", "1e-400", "1e400s", 10**400])
def test_numbers_a_float_cannot_hold_are_refused(text):
    with pytest.raises(ValueError, match="out of range"):
        parse_quantity(text)


@pytest.mark.parametrize("text", ["1000000w", "36526d", "1e300s"])
def test_durations_over_100_years_are_refused(text):
    with pytest.raises(ValueError, match=r"out of range: a duration is at most 100 years \(36525d\)"):
        parse_duration(text)


@pytest.mark.parametrize("text", ["0.5s", "0.0000001s"])
def test_a_window_shorter_than_a_second_is_a_config_error(write_config, text):
    (line,) = problems(write_config, window=f"window: {{last: {text}}}")
    assert f":3:16: window.last: '{text}' is out of range: a window runs from 1s to 100 years (36525d)" in line


def test_a_huge_window_is_a_located_config_error_not_an_overflow(write_config, cli):
    path = config(write_config, window="window: {last: 1000000w}")
    result = cli("run", path)
    assert result.exit_code == 2
    assert "Traceback" not in result.output
    assert (
        f"{path}:3:16: window.last: '1000000w' is out of range: a duration is at most 100 years (36525d)"
        in result.stderr
    )


def test_a_huge_target_is_a_located_config_error(write_config):
    (line,) = problems(write_config, 'target: "< 1e400"')
    assert ":10:13: metrics.volume.target: '1e400' is out of range" in line


def test_between_dates_outside_the_range_name_the_key_and_the_range(write_config):
    (line,) = problems(write_config, "window: {between: ['0001-01-01', '2026-01-01']}")
    assert ":10:23: metrics.volume.window.between:" in line
    assert "0001-01-01 is outside the dates kpiframe accepts (1900-01-01 to 2199-12-31)" in line


def test_as_of_in_the_config_outside_the_range_is_a_config_error(write_config):
    (line,) = problems(write_config, window="window: {last: 30d}\nas_of: '9999-12-31'")
    assert ":4:8: as_of:" in line and "9999-12-31 is outside the dates kpiframe accepts" in line


def test_m_in_a_support_pack_duration_param_is_a_config_error_not_a_metric_error(write_config):
    import kpiframe

    text = """\
version: 1
sources:
  calls: {connector: parquet, path: calls.parquet, time: queued_at}
metrics:
  service_level:
    calc: support.service_level
    source: calls
    params: {threshold: 5m}
"""
    with pytest.raises(ConfigError) as caught:
        kpiframe.load_config(write_config(text))
    (problem,) = caught.value.problems
    assert (problem.line, problem.path) == (8, "metrics.service_level.params.threshold")
    assert problem.message == "expected a duration such as 20s, 90min, 4h or 2d, got '5m'"
