"""Why a level was missed, in words a reader can act on: which part, the number, the bound.

A ``FAIL`` that does not say why sends people to the config and a calculator to
find out. Every missed level gets a sentence here: ``22.79 s > 20 s (the target
is <= 20s)`` for a value, ``change +33.9% against the run of 2026-10 (17.02 s)
is worse than the target's +10%`` for a change. :func:`kpiframe.engine.evaluate.status_of`
joins the parts a level missed; every reporter prints that one reason.
"""

from __future__ import annotations

from kpiframe.config.comparisons import ChangeComparison, Comparison
from kpiframe.formatting import PLAIN_UNITS, interval_text, value_text

#: What each operator's miss reads as: a value missing "<= 20" is "> 20".
_MISSED = {"<=": ">", "<": ">=", ">=": "<", ">": "<=", "==": "≠"}


def level_name(is_warn: bool) -> str:
    return "warn level" if is_warn else "target"


def value_missed(comparison: Comparison, value: float, unit: str, is_warn: bool) -> str:
    """``22.79 s > 20 s (the target is <= 20s)``: the value, how it misses, the level as written."""
    bounds = [value_text(number, unit) for number in sorted(bound.in_unit(unit) for bound in comparison.bounds)]
    if comparison.op == "between":
        missed = f"{value_text(value, unit)} is outside {bounds[0]} to {bounds[1]}"
    else:
        missed = f"{value_text(value, unit)} {_MISSED[comparison.op]} {bounds[0]}"
    return f"{missed} (the {level_name(is_warn)} is {comparison.text.strip()})"


def interval_missed(interval: tuple[float, float], unit: str) -> str:
    """What ``confidence: significant`` adds: the whole interval misses, not just the point."""
    text = interval_text(interval, unit)
    return f"and so is the whole 95% interval {text if unit == '%' or unit in PLAIN_UNITS else f'{text} {unit}'}"


def change_text(change: float, comparison: ChangeComparison, unit: str) -> str:
    """``+33.9%``, ``+2.5 pts``, ``+4 s``; ``12.0% worse`` for a ``worse`` comparison."""
    if comparison.relative:
        text = f"{change:+.1f}%"
    elif unit == "%":
        text = f"{change:+.1f} pts"
    else:
        text = ("+" if change >= 0 else "-") + value_text(abs(change), unit)
    if comparison.worse:
        return f"{text.lstrip('+')} worse"
    return text


def change_missed(
    comparison: ChangeComparison,
    change: float,
    baseline: float,
    unit: str,
    against: str | None,
    is_warn: bool,
) -> str:
    """``change +33.9% against the run of 2026-10 (17.02 s) is worse than the target's +10%``."""
    written = comparison.text.strip()
    limit = written[len(comparison.op) :].strip() if written.startswith(comparison.op) else written
    source = f"against {against} ({value_text(baseline, unit)})" if against else f"against {value_text(baseline, unit)}"
    return f"change {change_text(change, comparison, unit)} {source} is worse than the {level_name(is_warn)}'s {limit}"


def beyond_noise(noise: tuple[float, float], runs: int, unit: str) -> str:
    """What the noise gate adds: the value left the range of the recent runs."""
    low, high = noise
    return f"outside the range of the last {runs} runs ({value_text(low, unit)} to {value_text(high, unit)})"
