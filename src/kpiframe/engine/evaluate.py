"""Targets → statuses, and statuses → the exit code (DESIGN §5, a contract)."""

from __future__ import annotations

from kpiframe.config.comparisons import Comparison
from kpiframe.config.model import MetricSpec
from kpiframe.contracts import Value
from kpiframe.exit_codes import ExitCode
from kpiframe.scorecard import Scorecard

#: ``--fail-on`` levels, from most to least lenient; each breaks the build on
#: its own status and every worse one (warn < fail < error).
FAIL_ON = ("never", "error", "fail", "warn")
_SEVERITY = {"pass": 0, "info": 0, "no_data": 0, "warn": 1, "fail": 2, "error": 3}
_THRESHOLD = {"warn": 1, "fail": 2, "error": 3}


def status_of(spec: MetricSpec, value: Value | None, error: str | None) -> tuple[str, str | None]:
    """The status of one metric, and the reason when it is not plain pass/fail."""
    if error is not None:
        return "error", error
    assert value is not None
    if value.value is None:
        return "no_data", value.reason or "no rows in the window"
    if spec.min_sample is not None and value.n is not None and value.n < spec.min_sample:
        return "no_data", f"sample of {value.n} is below min_sample {spec.min_sample}"
    if spec.target is None and spec.warn is None:
        return "info", None

    def misses(level: Comparison) -> bool:
        if spec.confidence == "significant" and value.interval is not None:
            # Only a shortfall the sample cannot explain: no point of the interval meets the level.
            return not level.possible(value.interval[0], value.interval[1], spec.unit)
        return not level.holds(value.value, spec.unit)  # type: ignore[arg-type]

    if spec.target is not None and misses(spec.target):
        return "fail", None
    if spec.warn is not None and misses(spec.warn):
        reason = "the interval does not reach the warn level" if spec.confidence == "significant" else None
        return "warn", reason
    if spec.confidence == "significant" and value.interval is not None and spec.target is not None and not spec.target.holds(value.value, spec.unit):
        return "pass", "below the target, but within the noise of the sample (confidence: significant)"
    return "pass", None


def exit_code(scorecard: Scorecard, fail_on: str = "fail") -> ExitCode:
    """0 when nothing is at or above ``fail_on``; 3 when an error is; else 1.

    An error wins over a failure: the verdict is incomplete until the source is
    fixed. With the default ``fail``, a run where every metric errored exits 3 too.
    """
    if fail_on == "never":
        return ExitCode.OK
    threshold = _THRESHOLD[fail_on]
    severities = [_SEVERITY[m.status] for m in scorecard.metrics]
    if 3 in severities:
        return ExitCode.SOURCE_ERROR
    if any(threshold <= s < 3 for s in severities):
        return ExitCode.TARGET_FAILED
    return ExitCode.OK
