"""Windows: rolling, calendar and explicit ranges, half-open, in the right time zone."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

import kpiframe
from conftest import write_parquet
from kpiframe.config.model import WindowSpec
from kpiframe.engine.windows import resolve

UTC = UTC


def at(text: str) -> datetime:
    return datetime.fromisoformat(text).replace(tzinfo=UTC) if "+" not in text else datetime.fromisoformat(text)


@pytest.mark.parametrize(
    ("calendar", "as_of", "start", "end"),
    [
        ("current_month", "2026-03-15T10:00", "2026-03-01T00:00", "2026-03-15T10:00"),
        ("previous_month", "2026-03-15T10:00", "2026-02-01T00:00", "2026-03-01T00:00"),
        ("previous_month", "2026-01-01T00:00", "2025-12-01T00:00", "2026-01-01T00:00"),
        ("previous_week", "2026-03-05T10:00", "2026-02-23T00:00", "2026-03-02T00:00"),  # ISO weeks start Monday
        ("current_quarter", "2026-05-20T00:00", "2026-04-01T00:00", "2026-05-20T00:00"),
        ("previous_quarter", "2026-02-10T00:00", "2025-10-01T00:00", "2026-01-01T00:00"),
        ("previous_year", "2026-02-10T00:00", "2025-01-01T00:00", "2026-01-01T00:00"),
    ],
)
def test_calendar_windows_in_utc(calendar, as_of, start, end):
    window = resolve(WindowSpec("calendar", calendar=calendar), at(as_of))
    assert (window.start, window.end) == (at(start), at(end))


def test_calendar_month_in_a_time_zone_starts_at_local_midnight():
    window = resolve(WindowSpec("calendar", calendar="previous_month"), at("2026-04-10T12:00"), "Europe/Berlin")
    # 1 March 00:00 CET is 23:00 UTC the day before; 1 April 00:00 CEST (after the DST switch) is 22:00 UTC.
    assert window.start == at("2026-02-28T23:00")
    assert window.end == at("2026-03-31T22:00")


def test_rolling_window_ends_at_as_of():
    window = resolve(WindowSpec("last", last=timedelta(days=7)), at("2026-03-08T06:00"))
    assert (window.start, window.end) == (at("2026-03-01T06:00"), at("2026-03-08T06:00"))


EDGES = [
    {"id": 1, "ts": datetime(2026, 2, 1, 0, 0, 0)},  # on the start bound: in
    {"id": 2, "ts": datetime(2026, 2, 28, 23, 59, 59)},  # last second: in
    {"id": 3, "ts": datetime(2026, 3, 1, 0, 0, 0)},  # on the end bound: out (half-open)
    {"id": 4, "ts": datetime(2026, 1, 31, 23, 59, 59)},  # just before: out
    {"id": 5, "ts": None},  # no timestamp: in no window
]


def count(
    write_config, path, window: str, extra: str = "", as_of: str = "2026-03-10T00:00:00Z", metric: str = "count"
) -> int:
    """The count of rows in the window (or, with metric="sum", the sum of their ids)."""
    calc = "{calc: count, source: s}" if metric == "count" else "{calc: sum, source: s, params: {column: id}}"
    config = (
        f"version: 1\nwindow: {window}\nsources:\n  s: {{connector: parquet, path: {path}, time:"
        f" ts{extra}}}\nmetrics:\n  n: {calc}\n"
    )
    card = kpiframe.run(write_config(config), as_of=datetime.fromisoformat(as_of.replace("Z", "+00:00")))
    return card.metric("n").value


def test_windows_are_half_open(tmp_path, write_config):
    path = write_parquet(tmp_path / "e.parquet", EDGES)
    assert count(write_config, path, "{calendar: previous_month}") == 2
    assert count(write_config, path, '{between: ["2026-02-01", "2026-03-01"]}') == 2
    assert count(write_config, path, "all") == 5


def test_naive_timestamps_are_read_in_the_source_time_zone(tmp_path, write_config):
    path = write_parquet(tmp_path / "e.parquet", EDGES)
    # The window [Feb 1, Mar 1) UTC is [Jan 31 19:00, Feb 28 19:00) in New York local time:
    # row 4 (Jan 31 23:59 local) is in, row 2 (Feb 28 23:59 local) is out, row 1 stays in.
    window = '{between: ["2026-02-01T00:00:00Z", "2026-03-01T00:00:00Z"]}'
    assert count(write_config, path, window, ", timezone: America/New_York", metric="sum") == 1 + 4
    assert count(write_config, path, window, metric="sum") == 1 + 2


def test_zone_aware_timestamps_are_compared_as_instants(tmp_path, write_config):
    import pyarrow as pa

    schema = pa.schema([("id", pa.int64()), ("ts", pa.timestamp("us", tz="UTC"))])
    rows = [{"id": r["id"], "ts": r["ts"].replace(tzinfo=UTC) if r["ts"] else None} for r in EDGES]
    path = write_parquet(tmp_path / "aware.parquet", rows, schema)
    assert count(write_config, path, "{calendar: previous_month}") == 2


def test_text_timestamps_are_cast(tmp_path, write_config):
    path = tmp_path / "e.csv"
    path.write_text(
        "id,ts\n" + "\n".join(f"{r['id']},{r['ts'].isoformat(sep=' ') if r['ts'] else ''}" for r in EDGES) + "\n"
    )
    config = (
        "version: 1\nwindow: {calendar: previous_month}\nsources:\n  s: {connector: csv, path: e.csv, time:"
        " ts}\nmetrics:\n  n: {calc: count, source: s}\n"
    )
    card = kpiframe.run(write_config(config), as_of=at("2026-03-10T00:00"))
    assert card.metric("n").value == 2


def test_metric_window_overrides_the_default_and_as_of_comes_from_the_config(tmp_path, write_config):
    path = write_parquet(tmp_path / "e.parquet", EDGES)
    config = f"""
version: 1
as_of: "2026-03-01T00:00:00Z"
window: {{last: 1d}}
sources:
  s: {{connector: parquet, path: {path}, time: ts}}
metrics:
  day: {{calc: count, source: s}}
  month: {{calc: count, source: s, window: {{calendar: previous_month}}}}
"""
    card = kpiframe.run(write_config(config))
    assert card.metric("day").value == 1  # only 23:59:59 on Feb 28
    assert card.metric("month").value == 2
    assert card.run.as_of == "2026-03-01T00:00:00Z"
    assert card.metric("month").window.start == "2026-02-01T00:00:00Z"


def test_the_machine_s_time_zone_never_moves_a_window(tmp_path, write_config):
    """Windows are UTC instants; the fast path's DuckDB session must not take the machine's zone."""
    import subprocess
    import sys
    from datetime import UTC, datetime

    import pyarrow as pa
    import pyarrow.parquet as pq

    times = [
        datetime(2026, 2, 27, 23, 30, tzinfo=UTC),
        datetime(2026, 2, 28, 23, 30, tzinfo=UTC),
        datetime(2026, 3, 1, 0, 30, tzinfo=UTC),
    ]
    pq.write_table(pa.table({"at": pa.array(times, pa.timestamp("us", tz="UTC"))}), tmp_path / "aware.parquet")
    config = write_config(
        f"version: 1\nas_of: '2026-03-01T00:00:00Z'\nwindow: {{last: 1d}}\nsources: {{t: {{connector: parquet, path: {tmp_path / 'aware.parquet'}, time: at}}}}\n"
        "metrics: {n: {calc: count, source: t, by: ['hour(at)']}}\n"
    )
    answers = []
    for zone in ("UTC", "Asia/Tokyo", "America/Los_Angeles"):
        code = f"import kpiframe; m = kpiframe.run({str(config)!r}).metric('n'); print(m.value, [s.label for s in m.segments if s.value])"
        out = subprocess.run(
            [sys.executable, "-c", code],
            capture_output=True,
            text=True,
            env={"TZ": zone, "PATH": "/usr/bin:/bin"},
            check=True,
        )
        answers.append(out.stdout.strip())
    # Only 28 Feb 23:30 UTC lies in [28 Feb 00:00, 1 Mar 00:00), and its hour is 23 in UTC, wherever kpiframe runs
    # (the other 23 hours are listed too, without data).
    assert answers == ["1 ['hour(at)=23:00']"] * 3
