"""Business-hours durations in the engine against a plain-Python reference, case by case and at random."""

from __future__ import annotations

from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

import ibis
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from kpiframe.business_hours import business_seconds, parse_schedule

SCHEDULES = {
    "office": {"timezone": "UTC", "hours": {"mon-fri": "09:00-17:00"}, "holidays": ["2026-03-04", "2026-12-25"]},
    "split": {
        "timezone": "Europe/Berlin",
        "hours": {"mon-thu": "08:00-12:00, 13:00-17:30", "fri": "08:00-14:00", "sat": "10:00-12:00"},
        "holidays": ["2026-03-30", "2026-10-26"],
    },
    "late": {"timezone": "America/New_York", "hours": {"sun-thu": "18:00-24:00"}},
}


def reference(start: datetime, end: datetime, source_zone: str, raw: dict) -> float:
    """Working seconds between two naive timestamps, by walking the days (independent of the engine's formula)."""
    schedule = parse_schedule(raw)
    zone = ZoneInfo(schedule.timezone)

    def local(moment: datetime) -> datetime:
        return moment.replace(tzinfo=ZoneInfo(source_zone)).astimezone(zone).replace(tzinfo=None)

    a, b = local(start), local(end)
    sign = 1
    if b < a:
        a, b, sign = b, a, -1
    total = 0.0
    day = a.date()
    while day <= b.date():
        if day not in schedule.holidays:
            midnight = datetime(day.year, day.month, day.day)
            for open_s, close_s in schedule.week[day.weekday()]:
                lo = max(a, midnight + timedelta(seconds=open_s))
                hi = min(b, midnight + timedelta(seconds=close_s))
                if hi > lo:
                    total += (hi - lo).total_seconds()
        day += timedelta(days=1)
    return sign * total


def engine(pairs: list[tuple[datetime, datetime]], source_zone: str, raw: dict) -> list[float]:
    table = ibis.memtable(
        {"a": [p[0] for p in pairs], "b": [p[1] for p in pairs]}, schema={"a": "timestamp", "b": "timestamp"}
    )
    expr = table.mutate(w=business_seconds(table.a, table.b, source_zone, parse_schedule(raw)))
    return [float(v) for v in expr.to_pyarrow()["w"].to_pylist()]


EDGE_CASES = [
    ("both outside hours, same night", datetime(2026, 3, 2, 18, 0), datetime(2026, 3, 2, 23, 0)),
    ("start before opening", datetime(2026, 3, 2, 6, 0), datetime(2026, 3, 2, 10, 30)),
    ("end after closing", datetime(2026, 3, 2, 16, 0), datetime(2026, 3, 2, 20, 0)),
    ("over a weekend", datetime(2026, 3, 6, 16, 0), datetime(2026, 3, 9, 10, 0)),
    ("weekend to weekend", datetime(2026, 3, 7, 12, 0), datetime(2026, 3, 15, 12, 0)),
    ("across a holiday", datetime(2026, 3, 3, 10, 0), datetime(2026, 3, 5, 10, 0)),
    ("starting on a holiday", datetime(2026, 3, 4, 10, 0), datetime(2026, 3, 4, 16, 0)),
    ("spring DST switch in Berlin", datetime(2026, 3, 27, 12, 0), datetime(2026, 3, 31, 12, 0)),
    ("autumn DST switch in Berlin", datetime(2026, 10, 23, 12, 0), datetime(2026, 10, 27, 12, 0)),
    ("New York DST", datetime(2026, 3, 6, 12, 0), datetime(2026, 3, 10, 12, 0)),
    ("multi-week span", datetime(2026, 2, 11, 13, 17), datetime(2026, 4, 2, 9, 41)),
    ("year end", datetime(2026, 12, 23, 9, 0), datetime(2027, 1, 4, 9, 0)),
    ("end before start (negative)", datetime(2026, 3, 9, 10, 0), datetime(2026, 3, 6, 16, 0)),
    ("identical", datetime(2026, 3, 2, 10, 0), datetime(2026, 3, 2, 10, 0)),
    ("midnight closing time", datetime(2026, 3, 1, 23, 0), datetime(2026, 3, 2, 1, 0)),
]


@pytest.mark.parametrize("schedule", SCHEDULES)
def test_edge_cases_match_the_reference(schedule):
    pairs = [(a, b) for _, a, b in EDGE_CASES]
    got = engine(pairs, "UTC", SCHEDULES[schedule])
    for (label, a, b), value in zip(EDGE_CASES, got):
        assert value == pytest.approx(reference(a, b, "UTC", SCHEDULES[schedule]), abs=1e-6), label


def test_a_source_in_another_zone_is_converted():
    pairs = [(a, b) for _, a, b in EDGE_CASES[:12]]
    raw = SCHEDULES["office"] | {"timezone": "Asia/Tokyo"}
    got = engine(pairs, "Europe/London", raw)
    assert got == pytest.approx([reference(a, b, "Europe/London", raw) for a, b in pairs], abs=1e-6)


timestamps = st.datetimes(min_value=datetime(2025, 12, 1), max_value=datetime(2027, 2, 1)).map(
    lambda t: t.replace(microsecond=0)
)


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    pairs=st.lists(st.tuples(timestamps, timestamps), min_size=1, max_size=25),
    schedule=st.sampled_from(sorted(SCHEDULES)),
)
def test_random_timestamps_match_the_reference(pairs, schedule):
    got = engine(pairs, "UTC", SCHEDULES[schedule])
    expected = [reference(a, b, "UTC", SCHEDULES[schedule]) for a, b in pairs]
    assert got == pytest.approx(expected, abs=1e-6)


@pytest.mark.parametrize(
    ("raw", "message"),
    [
        ({"hours": {"mon": "9-17"}}, 'expected "HH:MM-HH:MM" or "closed"'),
        ({"hours": {"mon": "17:00-09:00"}}, "the start must be before the end"),
        ({"hours": {"mon": "09:00-12:00, 11:00-13:00"}}, "overlap on mon"),
    ],
)
def test_bad_schedules_are_explained(raw, message):
    with pytest.raises(ValueError, match=message):
        parse_schedule(raw)


def test_ranges_wrap_around_the_week():
    schedule = parse_schedule({"hours": {"fri-mon": "10:00-11:00"}})
    assert [bool(day) for day in schedule.week] == [True, False, False, False, True, True, True]
    assert schedule.holidays == ()
    assert parse_schedule({"hours": {}, "holidays": ["2026-01-01"]}).holidays == (date(2026, 1, 1),)
