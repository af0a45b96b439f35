"""Date and time functions of the expression language, compiled to Ibis so every engine runs them.

Call-centre exports write dates as ``990201`` integers and times of day as
``7:02:47`` text; helpdesk exports write ISO timestamps. These functions read
all of them, build timestamps from a date and a time of day, and take the same
parts (``date``, ``week``, ``month``, ``hour``, ``weekday``) of DATE, TIMESTAMP
and TIME values alike, so that no config needs arithmetic date formulas.

A part that a value does not have (the hour of a date, the date of a time of
day) is an error that says what to build instead, never a silent 0.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import Any

from kpiframe.errors import ExpressionError

__all__ = ["TIME_FUNCTION_DOCS", "add", "kind", "like", "seconds", "seconds_between", "time_functions"]

#: strftime directives the formats of ``to_timestamp``, ``to_date`` and ``to_time`` accept
#: (every engine Ibis compiles to understands these), with the digits each one takes when
#: it is zero-padded (``None``: a word such as a month name, of no fixed width).
DIRECTIVES: dict[str, int | None] = {
    "Y": 4,
    "y": 2,
    "m": 2,
    "d": 2,
    "H": 2,
    "I": 2,
    "M": 2,
    "S": 2,
    "f": 6,
    "j": 3,
    "b": None,
    "B": None,
    "%": 1,
}
_DIRECTIVE = re.compile(r"%(.?)")


def kind(value: Any) -> str:
    """What a compiled value holds: timestamp, date, time, interval, string, integer, number, or other."""
    import ibis

    if not isinstance(value, ibis.Expr):
        if isinstance(value, bool) or value is None:
            return "other"
        return {str: "string", int: "integer", float: "number"}.get(type(value), "other")
    dtype = value.type()
    for name in ("timestamp", "date", "time", "interval", "string", "integer"):
        if getattr(dtype, f"is_{name}")():
            return name
    return "number" if dtype.is_numeric() else "other"


def _expr(value: Any) -> Any:
    import ibis

    return value if isinstance(value, ibis.Expr) else ibis.literal(value)


def _instant(value: Any, function: str) -> Any:
    """A timestamp, date or timestamp text as a timestamp; a time of day has no date."""
    found = kind(value)
    if found == "timestamp":
        return value
    if found in ("date", "string"):
        return _expr(value).cast("timestamp")
    if found == "time":
        raise ExpressionError(
            f"{function}() of a time of day: a time has no date",
            "build a timestamp first: timestamp(date_column, time_column), or date_column + time_column",
        )
    raise ExpressionError(
        f"{function}() needs a date or a timestamp, not a {_expr(value).type()} value",
        "read text or YYMMDD numbers first: to_date(x, '%y%m%d') or to_timestamp(x, '%Y-%m-%d %H:%M')",
    )


def date(value: Any) -> Any:
    return value if kind(value) == "date" else _instant(value, "date").date()


def week(value: Any) -> Any:
    """The Monday its ISO week starts on. Truncating to the week is twice as fast on DuckDB as
    going back by days, which only MySQL (no week truncation) needs."""
    instant = _instant(value, "week")
    backends, _ = instant._find_backends()
    if any(backend.name == "mysql" for backend in backends):
        return (instant - instant.day_of_week.index().cast("int32").as_interval("D")).date()
    return instant.truncate("W").date()


def month(value: Any) -> Any:
    return _instant(value, "month").truncate("M").date()


def weekday(value: Any) -> Any:
    found = kind(value)
    return (value if found == "date" else _instant(value, "weekday")).day_of_week.index()  # Monday = 0


def _clock(value: Any, function: str) -> Any:
    """A value with a time of day: a timestamp or a time (text is read as a timestamp)."""
    found = kind(value)
    if found in ("timestamp", "time"):
        return value
    if found == "string":
        return _expr(value).cast("timestamp")
    if found == "date":
        raise ExpressionError(
            f"{function}() of a date: a date has no time of day",
            "build a timestamp from the date and a time column: timestamp(date_column, time_column)",
        )
    raise ExpressionError(f"{function}() needs a timestamp or a time of day, not a {_expr(value).type()} value")


def hour(value: Any) -> Any:
    return _clock(value, "hour").hour()


def minute(value: Any) -> Any:
    return _clock(value, "minute").minute()


def _time_seconds(value: Any) -> Any:
    return value.hour() * 3600 + value.minute() * 60 + value.second() + value.millisecond() / 1000


def seconds(value: Any) -> Any:
    """Seconds in a value: since 1970 for a timestamp or date; the seconds a time of day or an
    ``hh:mm:ss`` text spans (how call-centre exports write durations); an interval's length."""
    import ibis

    found = kind(value)
    if found == "string":
        return _time_seconds(_expr(value).cast("time"))
    if found == "time":
        return _time_seconds(value)
    if found == "interval":
        # An interval's length, on every engine: the instant it reaches from 1970, since 1970.
        return epoch(ibis.timestamp("1970-01-01 00:00:00") + value)
    if found in ("timestamp", "date"):
        return epoch(value if found == "timestamp" else value.cast("timestamp"))
    raise ExpressionError(
        f"seconds() needs a timestamp, a date, a time of day or an interval, not a {_expr(value).type()} value",
        "a number of seconds already is one: use the column as it is",
    )


def seconds_between(left: Any, right: Any) -> Any | None:
    """``seconds(end - start)`` for two temporal values of one kind (times of day too, which
    engines cannot subtract), exactly; ``None`` when they are not temporal."""
    kinds = {kind(left), kind(right)}
    if len(kinds) == 1 and kinds <= {"timestamp", "date", "time"}:
        return seconds(left) - seconds(right)
    return None


def epoch(ts: Any) -> Any:
    """Seconds since 1970 as a float on every engine (PostgreSQL's EXTRACT(EPOCH) is numeric)."""
    return ts.epoch_seconds().cast("float64")


def from_unix(value: Any) -> Any:
    return _expr(value).cast("int64").as_timestamp("s")  # Intercom and many APIs: seconds since 1970


# ---------------------------------------------------------------- parsing text and numbers
def _format(fmt: Any, function: str) -> str:
    if not isinstance(fmt, str):
        raise ExpressionError(f"{function}()'s format must be a quoted text such as '%y%m%d'")
    for match in _DIRECTIVE.finditer(fmt):
        if match.group(1) not in DIRECTIVES:
            known = " ".join(f"%{d}" for d in DIRECTIVES)
            raise ExpressionError(
                f"{function}(): unsupported directive {match.group(0)!r} in format {fmt!r}", f"use {known}"
            )
    return fmt


def _width(fmt: str) -> int | None:
    """The length of text that ``fmt`` reads when each field is zero-padded, or ``None`` (a month name)."""
    width = 0
    for piece in re.split(r"(%.)", fmt):
        if piece.startswith("%") and len(piece) == 2:
            digits = DIRECTIVES[piece[1]]
            if digits is None:
                return None
            width += digits
        else:
            width += len(piece)
    return width


def _text(value: Any, fmt: str, function: str) -> Any:
    """Text to parse with ``fmt``: an integer (``990201``, YYMMDD) becomes text, zero-padded to the
    format's width, so ``10203`` reads as ``010203`` (2001-02-03)."""
    found = kind(value)
    if found == "string":
        return _expr(value)
    if found == "integer":
        text = _expr(value).cast("string")
        width = _width(fmt)
        return text.lpad(width, "0") if width else text
    raise ExpressionError(f"{function}() with a format reads text or whole numbers, not a {_expr(value).type()} value")


def to_timestamp(value: Any, fmt: Any = None) -> Any:
    found = kind(value)
    if fmt is not None:
        return _text(value, _format(fmt, "to_timestamp"), "to_timestamp").as_timestamp(fmt).cast("timestamp")
    if found == "timestamp":
        return value
    if found in ("date", "string"):
        return _expr(value).cast("timestamp")
    raise ExpressionError(
        f"to_timestamp() of a {_expr(value).type()} value needs a format",
        "to_timestamp(x, '%y%m%d%H%M%S') for digits; from_unix(x) for seconds since 1970",
    )


def to_date(value: Any, fmt: Any = None) -> Any:
    found = kind(value)
    if fmt is not None:
        return _text(value, _format(fmt, "to_date"), "to_date").as_date(fmt)
    if found == "date":
        return value
    if found == "timestamp":
        return value.date()
    if found == "string":
        return _expr(value).cast("date")
    if found == "integer":
        return _digits_date(_expr(value))
    raise ExpressionError(
        f"to_date() of a {_expr(value).type()} value needs a format", "for example to_date(x, '%y%m%d')"
    )


def _digits_date(number: Any) -> Any:
    """A date written as a whole number: YYYYMMDD from 8 digits (``20260914``), else YYMMDD
    (``990201``; ``105`` is 2000-01-05), as call-centre exports write them."""
    import ibis

    return ibis.ifelse(
        number >= 10_000_000,
        _text(number, "%Y%m%d", "to_date").as_date("%Y%m%d"),
        _text(number, "%y%m%d", "to_date").as_date("%y%m%d"),
    )


def to_time(value: Any, fmt: Any = None) -> Any:
    found = kind(value)
    if fmt is not None:
        return _text(value, _format(fmt, "to_time"), "to_time").as_time(fmt)
    if found == "time":
        return value
    if found == "timestamp":
        return value.time()
    if found == "string":
        return _expr(value).cast("time")
    raise ExpressionError(
        f"to_time() of a {_expr(value).type()} value needs a format", "for example to_time(x, '%H%M%S')"
    )


def timestamp(day: Any, clock: Any = None) -> Any:
    """The instant a date and a time of day name together (to the second), or ``to_timestamp(x)``."""
    if clock is None:
        return to_timestamp(day)
    day = day if kind(day) == "date" else to_date(day)
    clock = clock if kind(clock) == "time" else to_time(clock)
    if kind(day) != "date" or kind(clock) != "time":
        raise ExpressionError("timestamp(date, time) needs a date and a time of day")
    # Midnight plus the time's whole seconds: MySQL has no MAKE_TIMESTAMP, every engine adds intervals.
    return day.cast("timestamp") + (clock.hour() * 3600 + clock.minute() * 60 + clock.second()).as_interval("s")


def add(left: Any, right: Any) -> Any | None:
    """``date + time`` (either order) is the timestamp they name; ``None`` for any other sum."""
    kinds = (kind(left), kind(right))
    if kinds == ("date", "time"):
        return timestamp(left, right)
    if kinds == ("time", "date"):
        return timestamp(right, left)
    return None


def like(value: Any, other: Any) -> Any:
    """A text literal beside a date, timestamp or time value is read as one, so comparisons,
    ``coalesce()`` and ``if()`` keep the column's type (``coalesce(ended_at, '2026-01-01')``)."""
    import ibis

    if isinstance(value, str) and isinstance(other, ibis.Expr) and kind(other) in ("timestamp", "date", "time"):
        return ibis.literal(value).cast(other.type())
    return value


def time_functions() -> dict[str, Callable[..., Any]]:
    return {
        "date": date,
        "week": week,
        "month": month,
        "weekday": weekday,
        "hour": hour,
        "minute": minute,
        "seconds": seconds,
        "from_unix": from_unix,
        "to_timestamp": to_timestamp,
        "to_date": to_date,
        "to_time": to_time,
        "timestamp": timestamp,
    }


#: (signature, what it gives, an example) for each function above.
TIME_FUNCTION_DOCS: dict[str, tuple[str, str, str]] = {
    "date": (
        "date(x)",
        "the calendar date of a timestamp or date (text is read as a timestamp)",
        "date(created_at) == '2026-03-02'",
    ),
    "from_unix": (
        "from_unix(seconds)",
        "a timestamp from seconds since 1970 (Intercom and many APIs)",
        "from_unix(created_at_epoch)",
    ),
    "hour": (
        "hour(x)",
        "the hour of a timestamp or a time of day, 0 to 23",
        "hour(created_at) >= 9 and hour(created_at) < 17",
    ),
    "minute": ("minute(x)", "the minute of a timestamp or a time of day, 0 to 59", "minute(vru_entry) < 30"),
    "month": ("month(x)", "the first day of the month of a timestamp or date", "month(Date)"),
    "seconds": (
        "seconds(x)",
        "seconds since 1970 for a timestamp or date; the seconds an `hh:mm:ss` time or text spans;"
        " the length of an interval such as `seconds(end - start)`",
        "seconds(q_exit - q_start)",
    ),
    "timestamp": (
        "timestamp(date, time)",
        "the timestamp a date and a time of day name, to the second (also written `date + time`); the date"
        " and time are read as `to_date` and `to_time` read them, so a YYMMDD number works",
        "timestamp(date, vru_entry)",
    ),
    "to_date": (
        "to_date(x[, format])",
        "a date from text, or from a whole number: YYMMDD such as 990201 or YYYYMMDD such as 20260914"
        " without a format; with one, the number is zero-padded to the format's width",
        "to_date(date, '%y%m%d')",
    ),
    "to_time": (
        "to_time(x[, format])",
        "a time of day from text such as `7:02:47`, or from digits with a format",
        "to_time(ser_start)",
    ),
    "to_timestamp": (
        "to_timestamp(x[, format])",
        "a timestamp from text, or from digits with a format (%Y %y %m %d %H %I %M %S %f %j %b %B)",
        "to_timestamp(opened, '%d/%m/%Y %H:%M')",
    ),
    "week": ("week(x)", "the Monday the ISO week of a timestamp or date starts on", "week(created_at)"),
    "weekday": (
        "weekday(x)",
        "the day of the week of a timestamp or date, Monday = 0 to Sunday = 6",
        "weekday(created_at) < 5",
    ),
}
