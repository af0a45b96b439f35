"""Complete time keys: every hour, weekday and period a metric is sliced by, with labels that read well.

A grouped query returns only the groups that have rows, so a 24-hour profile
from ``by: [hour(called_at)]`` had holes where no call came in, and a daily
series skipped quiet days. After the query (Python over the few result rows,
never another scan) the missing keys are filled in, to be shown as ``no_data``
with ``n = 0``: hours 0 to 23, weekdays Monday to Sunday, and every day, week or
month of the window (of the data's own range when the window is unbounded).
"""

from __future__ import annotations

import itertools
from collections.abc import Iterable
from datetime import date, datetime, timedelta
from typing import Any

from kpiframe.errors import ExpressionError

__all__ = ["WEEKDAYS", "fill_keys", "normalized", "key_expression", "key_name", "key_text", "periods", "time_part"]

WEEKDAYS = ("Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun")
#: Parts whose every value is known beforehand.
FIXED = {"hour": range(24), "weekday": range(7), "minute": range(60)}
#: Parts that are periods (the first day of each), and the grain each steps by.
PERIODS = {"date": "day", "week": "week", "month": "month"}


def key_expression(key: str, table: Any, time_column: str | None) -> Any:
    """A ``by:`` or ``per:`` key as an Ibis expression. A time part's name alone (``by: [hour]``)
    is that part of the source's ``time:`` column, unless the source has a column of that name."""
    from kpiframe.expr import quote_name
    from kpiframe.expr_names import column_named, compile_text

    part = key.strip()
    if (part in FIXED or part in PERIODS) and column_named(key, list(table.columns)) is None:
        if not time_column:
            raise ExpressionError(f"unknown column {part!r}", _no_time_column_hint(part, table))
        return compile_text(f"{part}({quote_name(time_column)})", table)
    return compile_text(key, table)


def _no_time_column_hint(part: str, table: Any) -> str:
    """Why ``hour`` alone names nothing here, and the two ways to make it name something."""
    from kpiframe.expr import quote_name

    times = [c for c in table.columns if table[c].type().is_timestamp() or table[c].type().is_date()]
    column = quote_name(times[0]) if times else "<timestamp column>"
    return (
        f"{part} alone means the {part} of the source's `time:` column, and this source has no `time:`;"
        f" give the source `time: {column.strip('`')}`, or write the key as {part}({column})"
    )


def time_part(key: str) -> str | None:
    """``hour`` for the key ``hour(created_at)`` (or ``hour`` alone); ``None`` for a key that is no time part."""
    from kpiframe.expr import parse

    if key.strip() in FIXED or key.strip() in PERIODS:
        return key.strip()
    try:
        node = parse(key)
    except ExpressionError:
        return None
    if node.kind == "call" and len(node.args) == 1 and (node.value in FIXED or node.value in PERIODS):
        return str(node.value)
    return None


def key_name(key: str) -> str:
    """A key as a label shows it: ``hour(Call time)``, without the backticks the config needs."""
    return key.replace("`", "")


def key_text(value: Any, part: str | None = None) -> str:
    """A key's value as a label shows it: ``Mon``, ``09:00``, ``2026-09``, ``2026-W36``, ``2026-09-14``."""
    if value is None:
        return ""
    if part in FIXED and isinstance(value, float) and value.is_integer():
        value = int(value)  # an engine that returns EXTRACT as a decimal
    if part == "weekday" and isinstance(value, int) and 0 <= value < 7:
        return WEEKDAYS[value]
    if part == "hour" and isinstance(value, int):
        return f"{value:02d}:00"
    if part == "minute" and isinstance(value, int):
        return f"{value:02d}"
    if isinstance(value, datetime):
        value = value.date() if part in PERIODS else value
    if isinstance(value, date) and not isinstance(value, datetime):
        if part == "month":
            return f"{value:%Y-%m}"
        if part == "week":
            year, week, _ = value.isocalendar()
            return f"{year}-W{week:02d}"
    if isinstance(value, (date, datetime)):
        return value.isoformat()
    return str(value)


def _first(day: date, grain: str) -> date:
    if grain == "week":
        return day - timedelta(days=day.weekday())
    if grain == "month":
        return day.replace(day=1)
    return day


def _next(day: date, grain: str) -> date:
    if grain == "month":
        return date(day.year + day.month // 12, day.month % 12 + 1, 1)
    return day + timedelta(days=7 if grain == "week" else 1)


def periods(grain: str, first: date, last: date, limit: int) -> list[date] | None:
    """The first day of every ``grain`` period from ``first``'s to ``last``'s, or ``None`` past ``limit``."""
    found: list[date] = []
    day, end = _first(first, grain), _first(last, grain)
    while day <= end:
        if len(found) >= limit:
            return None
        found.append(day)
        day = _next(day, grain)
    return found


def _as_day(value: Any) -> date | None:
    if isinstance(value, datetime):
        return value.date()
    return value if isinstance(value, date) else None


def _typed(part: str, values: Iterable[Any]) -> bool:
    """Whether a key's values are what its part gives (a column named ``hour`` may hold text)."""
    wanted: Any = (int, float) if part in FIXED else date
    return all(isinstance(v, wanted) and not isinstance(v, bool) for v in values if v is not None)


def _domain(part: str, seen: Iterable[Any], span: tuple[date | None, date | None], limit: int) -> list[Any] | None:
    """Every value a time key takes: fixed ones, or the periods of the window (else of the data)."""
    if part in FIXED:
        return list(FIXED[part])
    days = [d for d in (_as_day(v) for v in seen) if d is not None]
    first = span[0] or (min(days) if days else None)
    last = span[1] or (max(days) if days else None)
    if first is None or last is None:
        return []
    return periods(PERIODS[part], first, last, limit)


def normalized(key: tuple[Any, ...], parts: list[str | None]) -> tuple[Any, ...]:
    """A key whose periods are dates (an engine may return a DATE key as a midnight timestamp)."""
    return tuple(v.date() if parts[i] in PERIODS and isinstance(v, datetime) else v for i, v in enumerate(key))


def fill_keys(
    keys: list[tuple[Any, ...]], parts: list[str | None], span: tuple[date | None, date | None], limit: int
) -> list[tuple[Any, ...]]:
    """The keys missing from ``keys`` for every time part to be complete, for each combination of the
    other keys that has rows. ``span`` is the window's first and last local day (``None``: unbounded).
    Nothing is filled when the total would pass ``limit`` (a key with one value per row)."""
    timed = [i for i, part in enumerate(parts) if part and _typed(parts[i] or "", (key[i] for key in keys))]
    if not timed or not keys:
        return []
    domains = []
    for i in timed:
        domain = _domain(parts[i] or "", (key[i] for key in keys), span, limit)
        if domain is None:
            return []
        domains.append(domain)
    others = list(dict.fromkeys(tuple(v for i, v in enumerate(key) if i not in timed) for key in keys))
    total = len(others)
    for domain in domains:
        total *= len(domain)
    if total > limit:
        return []
    present = {
        tuple(_as_day(v) if i in timed and parts[i] in PERIODS else v for i, v in enumerate(key)) for key in keys
    }
    missing = []
    for rest, values in itertools.product(others, itertools.product(*domains)):
        rest_iter, values_iter = iter(rest), iter(values)
        key = tuple(next(values_iter) if i in timed else next(rest_iter) for i in range(len(parts)))
        if key not in present:
            missing.append(key)
    return missing
