"""The literals a config may write: durations (``20s``, ``4h``), percentages (``85%``), numbers.

Duration values are converted to the unit of the metric they are compared with,
so ``target: "< 4h"`` works on a metric reported in minutes.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import timedelta

#: Seconds per duration unit. ``m`` means minutes, never months (calendar
#: windows use ``month`` instead), as in Prometheus and most SLO tools.
DURATION_UNITS: dict[str, float] = {
    "ms": 0.001,
    "s": 1.0,
    "sec": 1.0,
    "m": 60.0,
    "min": 60.0,
    "h": 3600.0,
    "d": 86400.0,
    "w": 604800.0,
}

_NUMBER = r"[-+]?(?:\d+(?:\.\d*)?|\.\d+)(?:[eE][-+]?\d+)?"
_QUANTITY = re.compile(rf"\s*({_NUMBER})\s*(%|ms|sec|min|s|m|h|d|w)?\s*$")


@dataclass(frozen=True)
class Quantity:
    """A number as the user wrote it: ``value`` plus ``kind`` (number, percent or duration)."""

    value: float
    kind: str  # "number" | "percent" | "duration" (value in seconds)
    text: str

    def in_unit(self, unit: str) -> float:
        """The value expressed in a metric's ``unit``.

        Raises ``ValueError`` with a human sentence when the kinds do not fit.
        """
        if self.kind == "duration":
            if unit not in DURATION_UNITS:
                raise ValueError(f"{self.text!r} is a duration but the metric's unit is {unit!r}")
            return self.value / DURATION_UNITS[unit]
        if self.kind == "percent":
            if unit != "%":
                raise ValueError(f"{self.text!r} is a percentage but the metric's unit is {unit!r}")
            return self.value
        return self.value


def parse_quantity(text: str | int | float) -> Quantity:
    """Parse ``60``, ``85%``, ``20s``, ``1.5h``. Raises ``ValueError`` on anything else."""
    if isinstance(text, bool):
        raise ValueError(f"expected a number, got {text!r}")
    if isinstance(text, (int, float)):
        return Quantity(float(text), "number", str(text))
    match = _QUANTITY.fullmatch(text)
    if not match:
        raise ValueError(f"expected a number such as 60, 85% or 4h, got {text!r}")
    number, suffix = float(match.group(1)), match.group(2)
    if suffix is None:
        return Quantity(number, "number", text.strip())
    if suffix == "%":
        return Quantity(number, "percent", text.strip())
    return Quantity(number * DURATION_UNITS[suffix], "duration", text.strip())


def parse_duration(text: str | int | float) -> timedelta:
    """Parse a positive duration such as ``30d`` or ``12h`` (a bare number means seconds)."""
    quantity = parse_quantity(text)
    if quantity.kind == "percent":
        raise ValueError(f"expected a duration such as 30d or 12h, got {text!r}")
    if quantity.value <= 0:
        raise ValueError(f"expected a positive duration, got {text!r}")
    return timedelta(seconds=quantity.value)
