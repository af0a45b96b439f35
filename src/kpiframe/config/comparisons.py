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

    def describe(self, unit: str) -> str:
        return self.text.strip()


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
