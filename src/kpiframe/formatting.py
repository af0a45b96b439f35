"""How values, intervals and statuses read in human-facing reports."""

from __future__ import annotations

import math
import re

STATUS_LABELS = {
    "pass": "PASS",
    "info": "INFO",
    "no_data": "NO DATA",
    "warn": "WARN",
    "fail": "FAIL",
    "error": "ERROR",
}

_ANSI = {"pass": "32", "info": "36", "no_data": "90", "warn": "33", "fail": "1;31", "error": "1;35"}


#: Units shown as a bare number: their name would add nothing beside the metric's title.
PLAIN_UNITS = {"count", "number", "", "score", "points", "gap", "money"}


def _digits(magnitude: float) -> int:
    return 1 if magnitude >= 100 else 2 if magnitude >= 1 else 3


def number(value: float, digits: int | None = None) -> str:
    """Up to three significant decimals, thousands separated; integers stay integers."""
    if digits is None and math.isfinite(value) and float(value).is_integer() and abs(value) < 1e15:
        return f"{int(value):,}"
    return f"{value:,.{_digits(abs(value)) if digits is None else digits}f}"


#: Units of a value that is an instant (seconds since 1970, UTC): the first or last date of a column.
INSTANT_UNITS = {"date", "timestamp"}


def instant_text(seconds: float, unit: str) -> str:
    """``2026-02-10`` for unit ``date``, ``2026-02-10 09:30:00`` for ``timestamp``."""
    from datetime import UTC, datetime

    moment = datetime.fromtimestamp(seconds, UTC)
    return moment.date().isoformat() if unit == "date" else moment.strftime("%Y-%m-%d %H:%M:%S")


def value_text(value: float | None, unit: str) -> str:
    if value is None:
        return "-"
    if unit in INSTANT_UNITS and -62135596800 <= value < 253402300800:  # within the years 1 to 9999
        return instant_text(value, unit)
    if unit == "%":
        return f"{value:.1f}%"
    if unit in PLAIN_UNITS:
        return number(value)
    return f"{number(value)} {unit}"


def interval_text(interval: tuple[float, float] | list[float] | None, unit: str) -> str:
    if not interval:
        return ""
    low, high = interval
    if unit == "%":
        return f"{low:.1f}–{high:.1f}%"
    digits = _digits(max(abs(low), abs(high)))  # both ends alike: 0.3–28.8, not 0.263–28.80
    return f"{number(low, digits)}–{number(high, digits)}"


def counted(count: int, noun: str, plural: str | None = None) -> str:
    """``1 query``, ``3 queries``, ``1,204 metrics``: a count with its noun in the right number."""
    return f"{count:,} {noun if count == 1 else (plural or noun + 's')}"


def status_text(status: str, color: bool = False) -> str:
    label = STATUS_LABELS.get(status, status.upper())
    if not color:
        return label
    return f"\x1b[{_ANSI.get(status, '0')}m{label}\x1b[0m"


_BARS = "▁▂▃▄▅▆▇█"


def sparkline(values: list[float | None]) -> str:
    """A one-line chart of a series; gaps (no data, or a value that is not finite) are spaces."""
    values = [v if v is not None and math.isfinite(v) else None for v in values]
    present = [v for v in values if v is not None]
    if not present:
        return ""
    low, high = min(present), max(present)
    span = high - low
    return "".join(
        " " if v is None else _BARS[0 if span == 0 else min(7, int((v - low) / span * 7 + 0.5))] for v in values
    )


def delta_text(delta: float | None, delta_pct: float | None, unit: str, direction: str, color: bool = False) -> str:
    """▲ or ▼ with the change; green when it moved the better way, red when the worse."""
    if delta is None:
        return ""
    arrow = "▲" if delta > 0 else "▼" if delta < 0 else "="
    if unit == "%":
        text = f"{arrow}{abs(delta):.1f} pts"
    elif unit in INSTANT_UNITS:
        text = f"{arrow}{number(abs(delta) / 86400)} d"  # a change of a date is a number of days, not a percentage
    elif delta_pct is not None:
        text = f"{arrow}{abs(delta_pct):.1f}%"
    else:
        text = f"{arrow}{number(abs(delta))}"
    if not color or delta == 0 or direction == "neutral":
        return text
    better = (delta > 0) == (direction == "higher")
    return f"\x1b[{'32' if better else '31'}m{text}\x1b[0m"


# --- text from the data, made safe for where it is printed --------------------------------------
# Titles, segment labels and reasons come from configs and data: a terminal escape
# sequence in a ticket's channel must not recolour (or retitle) the CI log, a control
# character must not make the JUnit file invalid XML, and a CSV cell must not become a
# spreadsheet formula.

#: C0 and C1 controls, and the bidirectional overrides and isolates that make a terminal
#: show text in another order than it is written ("Trojan Source", CVE-2021-42574).
_CONTROL = re.compile(r"[\x00-\x08\x0b-\x1f\x7f-\x9f\u200e\u200f\u202a-\u202e\u2066-\u2069]")
#: The complement of XML 1.0's Char production (#x9 | #xA | #xD | [#x20-#xD7FF] | [#xE000-#xFFFD] |
#: [#x10000-#x10FFFF]), written as the few ranges it leaves out: the negated class of the
#: production itself costs the regex compiler some 50 M instructions, on every command's start-up.
_XML_FORBIDDEN = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ud800-\udfff\ufffe\uffff]")
#: OWASP's list: a cell starting with one of these is a formula to Excel, LibreOffice and Sheets.
_FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


def _visible(match: re.Match[str]) -> str:
    code = ord(match.group(0))
    return f"\\x{code:02x}" if code <= 0xFF else f"\\u{code:04x}"


def printable(text: str) -> str:
    """Control characters (ESC, BEL, backspace, C1...) as visible ``\\xNN``, bidirectional overrides
    as ``\\uNNNN``; newlines and tabs stay."""
    return _CONTROL.sub(_visible, text)


def xml_safe(text: str) -> str:
    """The characters XML 1.0 cannot hold (most C0 controls, lone surrogates) as visible ``\\xNN``."""
    return _XML_FORBIDDEN.sub(_visible, text)


def csv_safe(value: object) -> object:
    """A text cell that a spreadsheet would run as a formula gets a leading ``'`` (OWASP's advice); numbers stay."""
    if isinstance(value, str) and value.startswith(_FORMULA_START):
        return "'" + value
    return value
