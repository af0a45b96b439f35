"""Working-time durations, computed by the engine (no row-by-row Python).

A schedule is a weekly pattern of opening hours in a time zone, plus holidays::

    business_hours:
      support:
        timezone: Europe/Berlin
        hours: {mon-fri: "09:00-17:00", sat: "10:00-14:00"}
        holidays: ["2026-12-25", "2026-12-26"]

The duration between two timestamps is ``W(end) - W(start)``, where ``W(t)`` is
the working time from a fixed Monday up to ``t``, in closed form:

    W(t) = weeks(t) × week_seconds + before_weekday[weekday(t)] + today(t) - holidays_before(t)

Every term is arithmetic and ``CASE`` on the timestamp, so the whole duration is
one expression inside the fused aggregate query, on any SQL engine.

Timestamps are converted to the schedule's wall-clock time first. Opening
hours are wall-clock hours, so on a DST day a 09:00–17:00 schedule still
counts 8 hours; only an interval that spans the switch itself (02:00–03:00 in
Europe) would differ from elapsed time, and schedules rarely do.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date
from typing import Any

DAYS = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")
_INTERVAL = re.compile(r"^\s*(\d{1,2}):(\d{2})\s*-\s*(\d{1,2}):(\d{2})\s*$")
_EPOCH_MONDAY = 4 * 86400  # 1970-01-05 was a Monday: day 4 after the epoch

SCHEDULE_SCHEMA: dict[str, Any] = {
    "type": "object",
    "properties": {
        "timezone": {"type": "string", "description": "IANA zone of the opening hours (default UTC)"},
        "hours": {
            "type": "object",
            "propertyNames": {"pattern": r"^(mon|tue|wed|thu|fri|sat|sun)(-(mon|tue|wed|thu|fri|sat|sun))?$"},
            "additionalProperties": {"type": "string"},
            "description": 'weekday or range → "09:00-17:00", several as "09:00-12:00, 13:00-17:00", or "closed"',
        },
        "holidays": {
            "type": "array",
            "items": {"type": "string", "format": "date"},
            "description": "closed days, YYYY-MM-DD",
        },
    },
    "required": ["hours"],
    "additionalProperties": False,
}


@dataclass(frozen=True)
class Schedule:
    """Opening intervals per weekday (seconds after local midnight), zone and holidays."""

    timezone: str
    week: tuple[tuple[tuple[int, int], ...], ...]  # 7 days, Monday first
    holidays: tuple[date, ...] = ()

    def day_seconds(self, weekday: int) -> int:
        return sum(end - start for start, end in self.week[weekday])


def _day_range(key: str) -> list[int]:
    first, _, last = key.partition("-")
    a, b = DAYS.index(first), DAYS.index(last or first)
    return list(range(a, b + 1)) if a <= b else list(range(a, 7)) + list(range(0, b + 1))


def parse_schedule(raw: Mapping[str, Any]) -> Schedule:
    """Read a schedule from config; raises ``ValueError`` with a human sentence."""
    week: list[list[tuple[int, int]]] = [[] for _ in DAYS]
    for key, text in raw.get("hours", {}).items():
        intervals = []
        if text.strip().lower() != "closed":
            for part in text.split(","):
                match = _INTERVAL.match(part)
                if not match:
                    raise ValueError(f'opening hours {part.strip()!r} for {key}: expected "HH:MM-HH:MM" or "closed"')
                h1, m1, h2, m2 = (int(g) for g in match.groups())
                start, end = h1 * 3600 + m1 * 60, h2 * 3600 + m2 * 60
                if not (0 <= start < end <= 86400) or m1 > 59 or m2 > 59:
                    raise ValueError(
                        f"opening hours {part.strip()!r} for {key}: the start must be before the end, within"
                        " 00:00-24:00"
                    )
                intervals.append((start, end))
        for day in _day_range(key):
            week[day] = sorted(intervals)
    for day, intervals in enumerate(week):
        for (_, end), (start, _) in zip(intervals, intervals[1:]):
            if start < end:
                raise ValueError(f"opening hours overlap on {DAYS[day]}")
    holidays = tuple(sorted({date.fromisoformat(h) for h in raw.get("holidays", [])}))
    return Schedule(raw.get("timezone", "UTC"), tuple(tuple(d) for d in week), holidays)


def _builtin_timezone() -> tuple[Any, Any]:
    import ibis
    import ibis.expr.datatypes as dt

    # DuckDB and PostgreSQL share timezone(zone, ts): naive → instant read in `zone`,
    # and instant → naive wall-clock time in `zone`.
    @ibis.udf.scalar.builtin(name="timezone", signature=((dt.string, dt.timestamp), dt.Timestamp(timezone="UTC")))  # type: ignore[untyped-decorator]
    def instant_from_local(zone: str, ts: Any) -> Any: ...

    @ibis.udf.scalar.builtin(name="timezone", signature=((dt.string, dt.Timestamp(timezone="UTC")), dt.timestamp))  # type: ignore[untyped-decorator]
    def local_from_instant(zone: str, ts: Any) -> Any: ...

    return instant_from_local, local_from_instant


def to_schedule_clock(ts: Any, source_zone: str, schedule: Schedule) -> Any:
    """A naive timestamp in ``source_zone`` as wall-clock time in the schedule's zone."""
    if source_zone == schedule.timezone:
        return ts
    instant_from_local, local_from_instant = _builtin_timezone()
    return local_from_instant(schedule.timezone, instant_from_local(source_zone, ts))


def _clamp_sum(seconds: Any, intervals: tuple[tuple[int, int], ...]) -> Any:
    """Σ over intervals of the part of [start, end) before ``seconds``."""
    import ibis

    total: Any = ibis.literal(0)
    for start, end in intervals:
        total = total + (ibis.greatest(ibis.least(seconds, end), start) - start)
    return total


def working_seconds_until(ts: Any, schedule: Schedule) -> Any:
    """W(ts): working seconds from the epoch Monday to ``ts`` (a naive wall-clock timestamp)."""
    import ibis

    from kpiframe.expr import epoch as seconds_since_1970

    epoch = seconds_since_1970(ts) - _EPOCH_MONDAY
    day = (epoch / 86400).floor()
    seconds = epoch - day * 86400
    week = (day / 7).floor()
    weekday = day - week * 7
    week_seconds = sum(schedule.day_seconds(d) for d in range(7))

    before = 0
    cumulative = []
    for d in range(7):
        cumulative.append(before)
        before += schedule.day_seconds(d)
    today = ibis.cases(
        *[(weekday == d, _clamp_sum(seconds, schedule.week[d])) for d in range(7) if schedule.week[d]], else_=0
    )
    start_of_day = ibis.cases(*[(weekday == d, cumulative[d]) for d in range(7) if cumulative[d]], else_=0)
    total = week * week_seconds + start_of_day + today

    for holiday in schedule.holidays:
        weekday_h = holiday.weekday()
        if not schedule.week[weekday_h]:
            continue  # a holiday on a closed day removes nothing
        holiday_day = (holiday - date(1970, 1, 5)).days
        lost = ibis.cases(
            (day > holiday_day, schedule.day_seconds(weekday_h)),
            (day == holiday_day, _clamp_sum(seconds, schedule.week[weekday_h])),
            else_=0,
        )
        total = total - lost
    return total


def business_seconds(start: Any, end: Any, source_zone: str, schedule: Schedule) -> Any:
    """Working seconds between two naive timestamps (in ``source_zone``), as an Ibis expression."""
    local_start = to_schedule_clock(start, source_zone, schedule)
    local_end = to_schedule_clock(end, source_zone, schedule)
    return working_seconds_until(local_end, schedule) - working_seconds_until(local_start, schedule)
