"""Targets → statuses, and statuses → the exit code (DESIGN §5, a contract)."""

from __future__ import annotations

import math

from kpiframe.config.model import Level, MetricSpec
from kpiframe.contracts import Value
from kpiframe.engine import reasons
from kpiframe.exit_codes import ExitCode
from kpiframe.scorecard import SEVERITY, Scorecard
from kpiframe.status import Status

#: ``--fail-on`` levels, from most to least lenient; each breaks the build on its
#: own status and every worse one, in :data:`~kpiframe.scorecard.SEVERITY` order
#: (pass, info < warn < no_data < fail < error): ``--fail-on no_data`` fails on
#: no_data, fail and error; ``--fail-on warn`` on all four.
FAIL_ON = ("never", "error", "fail", "no_data", "warn")


def gates(status: str, fail_on: str) -> bool:
    """Whether ``status`` breaks the build under ``--fail-on fail_on``."""
    return fail_on != "never" and SEVERITY[status] >= SEVERITY[fail_on]


def gate_reasons(scorecard: Scorecard, fail_on: str) -> list[str]:
    """Why a run fails although nothing failed: the warn and no_data verdicts ``fail_on`` gates.

    Reporters print these, so a red build from ``--fail-on no_data`` says which
    metrics had no data instead of showing a table with no failure in it.
    """
    lines = []
    for status in ("warn", "no_data"):
        if not gates(status, fail_on):
            continue
        names = [m.id for m in scorecard.metrics if status in m.verdicts()]
        if names:
            label = status.replace("_", " ")
            lines.append(f"--fail-on {fail_on}: {label} fails the run ({', '.join(names)})")
    return lines


def _value_miss(level: Level, spec: MetricSpec, value: Value, number: float, is_warn: bool) -> str | None:
    """Why the value part of ``level`` is missed, or ``None`` when it holds (or there is none)."""
    if level.value is None:
        return None
    if spec.confidence == "significant" and value.interval is not None:
        # Only a shortfall the sample cannot explain: no point of the interval meets the level.
        if level.value.possible(value.interval[0], value.interval[1], spec.unit):
            return None
        why = reasons.value_missed(level.value, number, spec.unit, is_warn)
        return f"{why}, {reasons.interval_missed(value.interval, spec.unit)}"
    return (
        None if level.value.holds(number, spec.unit) else reasons.value_missed(level.value, number, spec.unit, is_warn)
    )


def _change_miss(
    level: Level,
    spec: MetricSpec,
    number: float,
    baseline: float,
    noise: tuple[float, float] | None,
    *,
    is_warn: bool,
    against: str | None,
) -> str | None:
    """Why the change part of ``level`` is missed, or ``None`` when it holds (the baseline is known)."""
    assert level.change is not None
    if level.change.holds(number, baseline, spec.unit, spec.direction) is not False:
        return None
    # The noise gate: a change inside the range of recent runs is not a regression.
    if level.noise_runs is not None and noise is not None and noise[0] <= number <= noise[1]:
        return None
    change = level.change.change(number, baseline, spec.unit, spec.direction)
    assert change is not None
    why = reasons.change_missed(level.change, change, baseline, spec.unit, against, is_warn)
    if level.noise_runs is not None and noise is not None:
        why += f", {reasons.beyond_noise(noise, level.noise_runs, spec.unit)}"
    return why


def _misses(
    level: Level,
    spec: MetricSpec,
    value: Value,
    baseline: float | None,
    noise: tuple[float, float] | None = None,
    *,
    is_warn: bool = False,
    against: str | None = None,
) -> tuple[list[str], bool]:
    """(why each part of the level is missed, empty when it holds; a change part could not be
    judged for lack of a baseline)."""
    number = value.value
    assert isinstance(number, (int, float))
    missed = [_value_miss(level, spec, value, number, is_warn)]
    unjudged = level.change is not None and (
        baseline is None or level.change.holds(number, baseline, spec.unit, spec.direction) is None
    )
    if level.change is not None and not unjudged:
        assert baseline is not None
        missed.append(_change_miss(level, spec, number, baseline, noise, is_warn=is_warn, against=against))
    return [why for why in missed if why], unjudged


def status_of(
    spec: MetricSpec,
    value: Value | None,
    error: str | None,
    *,
    baseline: float | None = None,
    target: Level | None = None,
    warn: Level | None = None,
    noise: dict[int, tuple[float, float] | None] | None = None,
    against: str | None = None,
) -> tuple[Status, str | None]:
    """The status of one metric (or segment), and the reason when it needs one.

    Every status but a plain pass or info has a reason; a missed level says which
    part missed and by how much. ``target`` and ``warn`` default to the metric's
    own; segments pass theirs. ``against`` names the baseline (``the run of 2026-10``).
    """
    target = target if target is not None else spec.target
    warn = warn if warn is not None else spec.warn
    if error is not None:
        return Status.ERROR, error
    assert value is not None
    if isinstance(value.value, float) and not math.isfinite(value.value):
        return Status.ERROR, non_finite_reason(value.value)
    if value.value is None:
        return Status.NO_DATA, value.reason or "no rows in the window"
    if spec.min_sample is not None and value.n is not None and value.n < spec.min_sample:
        return Status.NO_DATA, f"sample of {value.n} is below min_sample {spec.min_sample}"
    if target is None and warn is None:
        return Status.INFO, None
    unjudged = False
    if target is not None:
        ranges = (noise or {}).get(target.noise_runs or 0)
        missed, unjudged = _misses(target, spec, value, baseline, ranges, against=against)
        if missed:
            return Status.FAIL, "; ".join(missed)
    if warn is not None:
        ranges = (noise or {}).get(warn.noise_runs or 0)
        missed, no_base = _misses(warn, spec, value, baseline, ranges, is_warn=True, against=against)
        unjudged = unjudged or no_base
        if missed:
            return Status.WARN, "; ".join(missed)
    if unjudged:
        return Status.PASS, "no baseline to compare with yet, so the change target was not checked"
    if (
        spec.confidence == "significant"
        and value.interval is not None
        and target is not None
        and target.value is not None
        and not target.value.holds(value.value, spec.unit)
    ):
        return Status.PASS, "below the target, but within the noise of the sample (confidence: significant)"
    return Status.PASS, None


def non_finite_reason(number: float) -> str:
    """Why an infinite or NaN value is an error rather than a verdict."""
    name = "NaN" if math.isnan(number) else ("+inf" if number > 0 else "-inf")
    return (
        f"the value is {name}, not a finite number: a column holds an infinite or NaN value; "
        "exclude those rows with the metric's or the source's `where:`"
    )


def exit_code(scorecard: Scorecard, fail_on: str = "fail") -> ExitCode:
    """0 when nothing is at or above ``fail_on``; 3 when an error is; else 1.

    Segments count: a failing segment fails the run like a failing metric. An
    error wins over a failure: the verdict is incomplete until the source is fixed.
    """
    if fail_on == "never":
        return ExitCode.OK
    verdicts = [status for metric in scorecard.metrics for status in metric.verdicts()]
    if "error" in verdicts:
        return ExitCode.SOURCE_ERROR
    if any(gates(status, fail_on) for status in verdicts):
        return ExitCode.TARGET_FAILED
    return ExitCode.OK
