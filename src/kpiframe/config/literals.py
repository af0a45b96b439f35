"""The literals a config may write: durations (``20s``, ``4h``), percentages (``85%``), numbers.

Duration values are converted to the unit of the metric they are compared with,
so ``target: "< 4h"`` works on a metric reported in minutes.
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass
from datetime import date, datetime, timedelta

#: Seconds per duration unit. There is no ``m``: ``window: {last: 1m}`` was read
#: as one minute where people meant a month, and every metric came back empty.
DURATION_UNITS: dict[str, float] = {
    "ms": 0.001,
    "s": 1.0,
    "sec": 1.0,
    "min": 60.0,
    "h": 3600.0,
    "d": 86400.0,
    "w": 604800.0,
}

_NUMBER = r"[-+]?(?:\d+(?:\.\d*)?|\.\d+)(?:[eE][-+]?\d+)?"
_QUANTITY = re.compile(rf"\s*({_NUMBER})\s*(%|ms|sec|min|s|m|h|d|w)?\s*$")

#: What to write instead of the refused unit ``m``.
M_HINT = "write `min` for minutes; for a month, a calendar window (`window: {calendar: previous_month}`) or `30d`"

#: The dates kpiframe computes windows for. Every window derived from them (the
#: previous period, a year earlier, 100 years back) stays inside what Python's
#: datetime and the engines' timestamps hold (pandas' nanoseconds end in 2262).
EARLIEST = date(1900, 1, 1)
LATEST = date(2199, 12, 31)
#: The longest duration :func:`parse_duration` accepts (a window's length): 100 years.
LONGEST = timedelta(days=36525)
#: The largest number a literal may be.
MAGNITUDE = 1e300
DATE_RANGE = f"{EARLIEST.isoformat()} to {LATEST.isoformat()}"


class UnitError(ValueError):
    """A literal with the refused unit ``m``; ``hint`` says what to write instead."""

    def __init__(self, text: str):
        self.message = f"{text!r}: `m` is not a unit (minutes or months?)"
        self.hint = M_HINT
        super().__init__(f"{self.message}; {self.hint}")


class DateRangeError(ValueError):
    """A well-formed date outside :data:`DATE_RANGE`."""


def check_date(moment: date | datetime) -> None:
    """Raise :class:`DateRangeError` naming the allowed range when ``moment`` is outside it."""
    day = moment.date() if isinstance(moment, datetime) else moment
    if not EARLIEST <= day <= LATEST:
        raise DateRangeError(f"{day.isoformat()} is outside the dates kpiframe accepts ({DATE_RANGE})")


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


def _check_magnitude(number: float, text: object, underflowed: bool = False) -> None:
    """Refuse what a float cannot hold: ``1e400`` became inf, ``1e-400`` silently 0."""
    if underflowed or not math.isfinite(number) or abs(number) > MAGNITUDE:
        shown = str(text).strip()
        shown = shown if len(shown) <= 40 else shown[:37] + "..."
        raise ValueError(
            f"{shown!r} is out of range: numbers run from -1e300 to 1e300, and a non-zero one is at least 1e-300 in"
            " size"
        )


def parse_quantity(text: str | int | float) -> Quantity:
    """Parse ``60``, ``85%``, ``20s``, ``1.5h``. Raises ``ValueError`` on anything else."""
    if isinstance(text, bool):
        raise ValueError(f"expected a number, got {text!r}")
    if isinstance(text, (int, float)):
        try:
            number = float(text)
        except OverflowError:  # an int beyond a float's range
            number = math.inf
        _check_magnitude(number, text)
        return Quantity(number, "number", str(text))
    match = _QUANTITY.fullmatch(text)
    if not match:
        raise ValueError(f"expected a number such as 60, 85% or 4h, got {text!r}")
    number, suffix = float(match.group(1)), match.group(2)
    if suffix == "m":
        raise UnitError(text.strip())
    _check_magnitude(
        number, text, underflowed=number == 0 and bool(re.search(r"[1-9]", match.group(1).lower().split("e")[0]))
    )
    if suffix is None:
        return Quantity(number, "number", text.strip())
    if suffix == "%":
        return Quantity(number, "percent", text.strip())
    return Quantity(number * DURATION_UNITS[suffix], "duration", text.strip())


def parse_duration(text: str | int | float) -> timedelta:
    """Parse a positive duration such as ``30d`` or ``12h`` (a bare number means seconds).

    At most 100 years: a longer one took windows before year 1 (``1000000w``
    crashed with an OverflowError). Windows also refuse less than a second.
    """
    quantity = parse_quantity(text)
    if quantity.kind == "percent":
        raise ValueError(f"expected a duration such as 30d or 12h, got {text!r}")
    if quantity.value <= 0:
        raise ValueError(f"expected a positive duration, got {text!r}")
    if quantity.value > LONGEST.total_seconds():
        raise ValueError(f"{str(text).strip()!r} is out of range: a duration is at most 100 years (36525d)")
    return timedelta(seconds=quantity.value)
