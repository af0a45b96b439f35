"""Targets: ``"<= 60"``, ``">= 85%"``, ``"< 4h"``, ``"between 10 and 20"``."""

from __future__ import annotations

import math
import operator
import re
from dataclasses import dataclass

from kpiframe.config.literals import Quantity, parse_quantity

_OPS = {"<": operator.lt, "<=": operator.le, ">": operator.gt, ">=": operator.ge, "==": operator.eq}
_SIMPLE = re.compile(r"\s*(<=|>=|==|<|>|=)\s*(.+?)\s*$")
_BETWEEN = re.compile(r"\s*between\s+(.+?)\s+and\s+(.+?)\s*$", re.IGNORECASE)


@dataclass(frozen=True)
class Comparison:
    """A parsed target. Bounds stay as written until a unit is known."""

    op: str  # < <= > >= == between
    bounds: tuple[Quantity, ...]
    text: str

    def check_unit(self, unit: str) -> None:
        """Raise ``ValueError`` if a bound cannot be expressed in ``unit``."""
        for bound in self.bounds:
            bound.in_unit(unit)

    def holds(self, value: float, unit: str) -> bool:
        numbers = [b.in_unit(unit) for b in self.bounds]
        if self.op == "between":
            low, high = sorted(numbers)
            return low <= value <= high
        if self.op == "==":
            return math.isclose(value, numbers[0], rel_tol=1e-9, abs_tol=1e-12)
        return bool(_OPS[self.op](value, numbers[0]))

    def possible(self, low: float, high: float, unit: str) -> bool:
        """Whether some value in [low, high] satisfies the comparison (for interval-aware targets)."""
        if self.op == "between":
            a, b = sorted(q.in_unit(unit) for q in self.bounds)
            return low <= b and high >= a
        return self.holds(low, unit) or self.holds(high, unit)


def parse_comparison(text: str | int | float) -> Comparison:
    """Parse a target; raises ``ValueError`` with the expected form on failure."""
    if isinstance(text, str):
        between = _BETWEEN.fullmatch(text)
        if between:
            return Comparison("between", (parse_quantity(between.group(1)), parse_quantity(between.group(2))), text)
        simple = _SIMPLE.fullmatch(text)
        if simple:
            op = "==" if simple.group(1) == "=" else simple.group(1)
            return Comparison(op, (parse_quantity(simple.group(2)),), text)
    raise ValueError(f'expected a comparison such as "<= 60", ">= 85%" or "between 10 and 20", got {text!r}')


_CHANGE = re.compile(r"\s*(<=|>=|<|>)\s*([-+]?\s*(?:\d+(?:\.\d*)?|\.\d+))\s*(%|points?|pts|ms|sec|min|s|m|h|d|w)?\s*(worse)?\s*$")


@dataclass(frozen=True)
class ChangeComparison:
    """A target on the change from a baseline: ``"<= +10%"`` (relative), ``">= -2 points"`` (absolute).

    ``%`` always means a relative change ((new − old) ÷ |old|); ``points`` (or a
    bare number, or a duration) an absolute difference in the metric's unit, so
    "+2%" on a percentage metric is never ambiguous.
    """

    op: str
    amount: Quantity
    relative: bool
    text: str
    worse: bool = False  # "<= 10% worse": the change in the metric's worse direction

    def change(self, value: float, baseline: float, unit: str, direction: str = "neutral") -> float | None:
        """The change this comparison judges: a % for relative ones, else value − baseline.

        For a ``worse`` comparison, the change is measured in the metric's worse
        direction: up for a lower-is-better KPI, down for a higher-is-better one,
        either way for a neutral one.
        """
        change = (None if baseline == 0 else 100.0 * (value - baseline) / abs(baseline)) if self.relative else value - baseline
        if change is None or not self.worse:
            return change
        return change if direction == "lower" else -change if direction == "higher" else abs(change)

    def holds(self, value: float, baseline: float, unit: str, direction: str = "neutral") -> bool | None:
        """Whether the change from ``baseline`` satisfies it; ``None`` when undefined (baseline 0)."""
        change = self.change(value, baseline, unit, direction)
        if change is None:
            return None
        limit = self.amount.value if self.relative or self.amount.kind == "number" else self.amount.in_unit(unit)
        return bool(_OPS[self.op](change, limit))


def parse_change(text: str | int | float) -> ChangeComparison:
    """Parse a change target; raises ``ValueError`` with the expected form on failure."""
    match = _CHANGE.fullmatch(text) if isinstance(text, str) else None
    if not match:
        raise ValueError(f'expected a change such as "<= +10%", ">= -2 points" or "<= +30s", got {text!r}')
    op, number, suffix, worse = match.group(1), match.group(2).replace(" ", ""), match.group(3), bool(match.group(4))
    if suffix == "%":
        return ChangeComparison(op, Quantity(float(number), "number", text), True, text, worse)
    if suffix in (None, "point", "points", "pts"):
        return ChangeComparison(op, Quantity(float(number), "number", text), False, text, worse)
    return ChangeComparison(op, parse_quantity(number + suffix), False, text, worse)
