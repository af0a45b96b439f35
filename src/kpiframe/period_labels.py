"""What a person calls a recorded run: its window read in the scorecard's own zone.

A window is stored as UTC instants, and a calendar month in Berlin starts at
22:00 or 23:00 UTC the day before: its UTC date is a day early. So labels read
the edges in the zone the run recorded (``run.window.zone``), and in UTC for
runs recorded before the zone was kept. A whole calendar month is ``2026-10``,
a quarter ``2026-Q4``, a year ``2026``, a day or a week its first day, other
whole days ``2026-10-01 → 2026-10-14``; a window that does not start and end at
midnight (``last: 30d``) is the day it ends.
"""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta, tzinfo
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

__all__ = ["calendar_period", "period_label", "window_text", "zone_of"]


def zone_of(name: object) -> tzinfo:
    """The zone named in a scorecard; UTC for a run without one (or a name this machine does not know)."""
    if not isinstance(name, str) or not name:
        return UTC
    try:
        return ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError):
        return UTC


def _local(text: str | None, zone: tzinfo) -> datetime | None:
    if not text:
        return None
    try:
        moment = datetime.fromisoformat(text.replace("Z", "+00:00"))
    except ValueError:
        return None
    return (moment if moment.tzinfo else moment.replace(tzinfo=UTC)).astimezone(zone)


def _at_midnight(moment: datetime) -> bool:
    return (moment.hour, moment.minute, moment.second, moment.microsecond) == (0, 0, 0, 0)


def calendar_period(first: date, after: date) -> str | None:
    """``2026-10``, ``2026-Q4`` or ``2026`` when [first, after) is exactly that calendar period."""
    if first.day != 1 or after.day != 1:
        return None
    months = (after.year - first.year) * 12 + after.month - first.month
    if months == 1:
        return f"{first:%Y-%m}"
    if months == 3 and first.month % 3 == 1:
        return f"{first.year}-Q{(first.month - 1) // 3 + 1}"
    if months == 12 and first.month == 1:
        return str(first.year)
    return None


def period_label(start: str | None, end: str | None, as_of: str, zone: object = None) -> str:
    """The run's name on a time axis: its window's period in ``zone`` (see the module docstring)."""
    tz = zone_of(zone)
    local_start, local_end = _local(start, tz), _local(end, tz)
    if local_end is None:
        moment = _local(as_of, tz)
        return moment.date().isoformat() if moment else as_of[:10]
    if local_start is None or not (_at_midnight(local_start) and _at_midnight(local_end)):
        return local_end.date().isoformat()
    first, after = local_start.date(), local_end.date()
    days = (after - first).days
    named = calendar_period(first, after)
    if named:
        return named
    if days in (1, 7):
        return first.isoformat()
    return f"{first.isoformat()} → {(after - timedelta(days=1)).isoformat()}" if days > 1 else first.isoformat()


def window_text(start: str | None, end: str | None, zone: object = None) -> str:
    """The window's edges as local wall-clock times with the zone: ``2026-11-01 00:00 to 2026-12-01 00:00
    Europe/Berlin`` (UTC for runs recorded before the zone was kept)."""
    tz = zone_of(zone)
    edges = [_local(text, tz) for text in (start, end)]
    shown = [f"{moment:%Y-%m-%d %H:%M}" if moment else "…" for moment in edges]
    return f"{shown[0]} to {shown[1]} {zone if tz is not UTC else 'UTC'}"
