"""Targets: ``"<= 60"``, ``">= 85%"``, ``"< 4h"``, ``"between 10 and 20"``."""

from __future__ import annotations

import math
import operator
import re
from dataclasses import dataclass

from kpiframe.config.literals import DURATION_UNITS, Quantity, parse_quantity

_OPS = {"<": operator.lt, "<=": operator.le, ">": operator.gt, ">=": operator.ge, "==": operator.eq}
_SIMPLE = re.compile(r"\s*(<=|>=|==|<|>|=)\s*(.+?)\s*$")
_BETWEEN = re.compile(r"\s*between\s+(.+?)\s+and\s+(.+?)\s*$", re.IGNORECASE)


@dataclass(frozen=True)
class Span:
    """An interval of the real line, each end open or closed (``-inf``/``inf`` when unbounded)."""

    low: float
    low_closed: bool
    high: float
    high_closed: bool

    def within(self, other: Span) -> bool:
        """Whether every value in this span is in ``other``."""
        low_ok = other.low < self.low or (other.low == self.low and (other.low_closed or not self.low_closed))
        high_ok = self.high < other.high or (self.high == other.high and (other.high_closed or not self.high_closed))
        return low_ok and high_ok


def _span(op: str, bound: float) -> Span:
    return {
        "<": Span(-math.inf, False, bound, False),
        "<=": Span(-math.inf, False, bound, True),
        ">": Span(bound, False, math.inf, False),
        ">=": Span(bound, True, math.inf, False),
        "==": Span(bound, True, bound, True),
    }[op]


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

    def empty(self) -> bool:
        """``between 5 and 1``: no value lies between a larger and a smaller bound."""
        return self.op == "between" and self.bounds[0].value > self.bounds[1].value

    def span(self, unit: str) -> Span:
        """The values that satisfy this comparison, as an interval."""
        numbers = [b.in_unit(unit) for b in self.bounds]
        if self.op == "between":
            return Span(min(numbers), True, max(numbers), True)
        return _span(self.op, numbers[0])

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


_CHANGE = re.compile(
    r"\s*(<=|>=|<|>)\s*([-+]?\s*(?:\d+(?:\.\d*)?|\.\d+))\s*(%|points?|pts|ms|sec|min|s|m|h|d|w)?\s*(worse)?\s*$"
)


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
        change = (
            (None if baseline == 0 else 100.0 * (value - baseline) / abs(baseline))
            if self.relative
            else value - baseline
        )
        if change is None or not self.worse:
            return change
        return change if direction == "lower" else -change if direction == "higher" else abs(change)

    def limit(self, unit: str) -> float:
        """The bound on the change, in % for relative ones, else in the metric's unit."""
        return self.amount.value if self.relative or self.amount.kind == "number" else self.amount.in_unit(unit)

    def span(self, unit: str) -> Span:
        """The changes that satisfy this comparison."""
        return _span(self.op, self.limit(unit))

    def comparable(self, other: ChangeComparison) -> bool:
        """Whether both judge the same quantity (both relative or both absolute, both ``worse`` or not)."""
        return self.relative == other.relative and self.worse == other.worse

    def holds(self, value: float, baseline: float, unit: str, direction: str = "neutral") -> bool | None:
        """Whether the change from ``baseline`` satisfies it; ``None`` when undefined (baseline 0)."""
        change = self.change(value, baseline, unit, direction)
        if change is None:
            return None
        return bool(_OPS[self.op](change, self.limit(unit)))


def parse_change(text: str | int | float) -> ChangeComparison:
    """Parse a change target; raises ``ValueError`` with the expected form on failure."""
    match = _CHANGE.fullmatch(text) if isinstance(text, str) else None
    if not match or not isinstance(text, str):
        raise ValueError(f'expected a change such as "<= +10%", ">= -2 points" or "<= +30s", got {text!r}')
    op, number, suffix, worse = match.group(1), match.group(2).replace(" ", ""), match.group(3), bool(match.group(4))
    if suffix == "%":
        return ChangeComparison(op, Quantity(parse_quantity(number).value, "number", text), True, text, worse)
    if suffix in (None, "point", "points", "pts"):
        return ChangeComparison(op, Quantity(parse_quantity(number).value, "number", text), False, text, worse)
    return ChangeComparison(op, parse_quantity(number + suffix), False, text, worse)


def _written_scale(bound: Quantity, unit: str) -> tuple[float, str]:
    """How to write a number in ``unit`` the way ``bound`` was written: (factor, suffix)."""
    if bound.kind == "duration":
        suffix = bound.text.lstrip("+-.0123456789eE ").strip() or "s"
        return DURATION_UNITS.get(unit, 1.0) / DURATION_UNITS.get(suffix, 1.0), suffix
    return 1.0, "%" if bound.kind == "percent" else ""


def never_fires(target: Comparison, warn: Comparison, unit: str) -> str | None:
    """Why ``warn`` can never fire beside ``target``, or ``None`` when it can.

    A warn level fires on a value that passes the target but misses the warn
    level. When every value passing the target also passes the warn level
    (target ``>= 80``, warn ``>= 70``), there is no such value: the warn level is
    dead config that looks like an early warning.
    """
    if not target.span(unit).within(warn.span(unit)):
        return None
    return (
        f"warn {warn.text.strip()!r} can never fire: every value that passes the target {target.text.strip()!r} passes"
        " it too"
    )


def stricter_hint(target: Comparison, warn: Comparison, unit: str) -> str:
    """An example of a warn level that fires before ``target`` fails (written like the target)."""
    base = "a warn level must be stricter than the target"
    if target.op == "==":
        return f"{base}, and nothing is stricter than {target.text.strip()!r}: remove `warn`"
    if target.op == "between" or warn.op in ("between", "=="):
        return f"{base}: a range inside {target.text.strip()!r}"
    bound, other = target.bounds[0].in_unit(unit), warn.bounds[0].in_unit(unit)
    shift = abs(bound - other) or max(abs(bound) * 0.1, 1.0)
    if target.op in ("<", "<="):
        shift = -shift if bound - shift > 0 or bound <= 0 else -bound / 2
    factor, suffix = _written_scale(target.bounds[0], unit)
    return f"{base}: {target.op} {(bound + shift) * factor:g}{suffix}"


def change_never_fires(target: ChangeComparison, warn: ChangeComparison, unit: str) -> str | None:
    """Like :func:`never_fires`, for the change parts of two levels judged the same way."""
    if not target.comparable(warn) or not target.span(unit).within(warn.span(unit)):
        return None
    return (
        f"warn change {warn.text.strip()!r} can never fire: every change that passes the target's"
        f" {target.text.strip()!r} passes it too"
    )


def unit_fits(level: object, unit: str) -> bool:
    """Whether a target or warn level as written (``"<= 85%"`` or ``{value:, change:}``) can be read in ``unit``.

    False only when it is well written but in another kind of unit (a percentage
    for a metric in minutes): a level that does not parse "fits", so that the
    check of the level itself reports it. This is how a ``defaults:`` warn is
    kept from the metrics it was not meant for (see the config guide).
    """
    parts = [level.get("value")] if isinstance(level, dict) else [level]
    changes = [level.get("change")] if isinstance(level, dict) else []
    try:
        comparisons = [parse_comparison(text) for text in parts if isinstance(text, (str, int, float))]
        amounts = [parse_change(text).amount for text in changes if isinstance(text, (str, int, float))]
    except ValueError:
        return True
    try:
        for comparison in comparisons:
            comparison.check_unit(unit)
        for amount in amounts:
            if amount.kind == "duration":
                amount.in_unit(unit)
    except ValueError:
        return False
    return True
