"""Turn a window as written (``last: 30d``, ``calendar: previous_month``) into [start, end).

Windows are half-open: ``start <= t < end``, so consecutive windows never
count a row twice. The result is always in UTC.

Time zones follow one rule:

1. **The reporting zone** is the top-level ``timezone:``. When the config sets
   none, it is the zone the sources' ``timezone:`` name, if they name exactly
   one; otherwise UTC (:func:`kpiframe.config.zones.reporting_zone`).
2. **Window edges** are in the reporting zone: calendar periods start at its
   midnight, and ``between:`` and ``as_of:`` times written without an offset are
   its wall-clock times. ``last: 30d`` is a span of instants and has no zone.
3. **A source's naive timestamps** are wall-clock times in its own
   ``timezone:``; when it sets none, in the reporting zone. Zone-aware
   timestamps are instants.
4. **Hour, weekday, date, week and month keys** (``grain:``, ``heatmap:``,
   ``hour()``, ``weekday()``... in ``by:`` and expressions) read the wall clock
   in the reporting zone. So when a source's zone differs from the reporting
   zone, or it holds zone-aware timestamps and the reporting zone is not UTC, its
   timestamps (derived columns included) are converted to naive reporting-zone
   times as the source opens (:func:`to_reporting_clock`); every later step
   sees one clock. Dates (without a time) are days as written.

``kpiframe validate`` warns where a source's zone differs from the reporting
zone (:func:`kpiframe.config.zones.zone_warnings`).
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import UTC, date, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from kpiframe.config.model import SourceSpec, WindowSpec
from kpiframe.errors import SourceError


@dataclass(frozen=True)
class Window:
    start: datetime | None  # aware, UTC; None: unbounded
    end: datetime | None
    label: str
    #: The reporting zone the edges were set in: what a report reads them in (a Berlin month starts at 23:00 UTC).
    zone: str = "UTC"

    def key(self) -> tuple[datetime | None, datetime | None]:
        return (self.start, self.end)


def _period_start(day: date, period: str) -> date:
    if period == "week":
        return day - timedelta(days=day.weekday())  # ISO weeks start on Monday
    if period == "month":
        return day.replace(day=1)
    if period == "quarter":
        return day.replace(month=(day.month - 1) // 3 * 3 + 1, day=1)
    return day.replace(month=1, day=1)


def _previous_start(start: date, period: str) -> date:
    if period == "week":
        return start - timedelta(days=7)
    months = {"month": 1, "quarter": 3, "year": 12}[period]
    month_index = start.year * 12 + start.month - 1 - months
    return date(month_index // 12, month_index % 12 + 1, 1)


def _midnight(day: date, zone: ZoneInfo) -> datetime:
    return datetime(day.year, day.month, day.day, tzinfo=zone).astimezone(UTC)


def resolve(spec: WindowSpec, as_of: datetime, zone: str = "UTC") -> Window:
    """The concrete window for ``spec`` at ``as_of`` (aware), carrying ``zone`` for its labels."""
    return replace(_resolve(spec, as_of, zone), zone=zone)


def _resolve(spec: WindowSpec, as_of: datetime, zone: str) -> Window:
    as_of = as_of.astimezone(UTC)
    if spec.kind == "all":
        return Window(None, None, "all time")
    if spec.kind == "last":
        assert spec.last is not None
        return Window(as_of - spec.last, as_of, f"last {_human(spec.last)}")
    if spec.kind == "between":
        assert spec.between is not None
        start, end = (t.astimezone(UTC) for t in spec.between)
        return Window(start, end, f"{start:%Y-%m-%d %H:%M} to {end:%Y-%m-%d %H:%M} UTC")
    assert spec.calendar is not None
    which, period = spec.calendar.split("_", 1)
    tz = ZoneInfo(zone)
    local_today = as_of.astimezone(tz).date()
    current = _period_start(local_today, period)
    if which == "current":
        return Window(_midnight(current, tz), as_of, f"{period} to date ({current:%Y-%m-%d})")
    previous = _previous_start(current, period)
    return Window(
        _midnight(previous, tz),
        _midnight(current, tz),
        f"previous {period} ({previous:%Y-%m-%d} to {current:%Y-%m-%d})",
    )


def _human(delta: timedelta) -> str:
    seconds = int(delta.total_seconds())
    for unit, size in (("w", 604800), ("d", 86400), ("h", 3600), ("min", 60)):
        if seconds % size == 0:
            return f"{seconds // size}{unit}"
    return f"{seconds}s"


def _year_earlier(moment: datetime) -> datetime:
    try:
        return moment.replace(year=moment.year - 1)
    except ValueError:  # 29 February
        return moment.replace(year=moment.year - 1, day=28)


def comparison_window(spec: WindowSpec, window: Window, as_of: datetime, zone: str, compare: str) -> Window | None:
    """The window a metric is compared with (``compare:``), or ``None`` for an unbounded window.

    ``previous_period``: a previous calendar period for calendar windows (the whole
    previous month before a month, even if it is shorter), else the window shifted
    back by its own length. ``same_period_last_year``: the same dates a year earlier.
    """
    if window.start is None or window.end is None:
        return None
    if compare == "same_period_last_year":
        start, end = _year_earlier(window.start), _year_earlier(window.end)
        return Window(start, end, f"{window.label}, a year earlier", zone)
    if spec.kind == "calendar" and spec.calendar and spec.calendar.startswith("previous_"):
        # The period before a whole calendar period: resolve it at the previous period's start.
        earlier = resolve(spec, window.start, zone)
        return Window(earlier.start, earlier.end, f"the period before: {earlier.label}", zone)
    length = window.end - window.start
    return Window(window.start - length, window.start, f"the {_human(length)} before", zone)


def _local(moment: datetime | str | None, zone: str) -> datetime | None:
    if isinstance(moment, str):
        moment = datetime.fromisoformat(moment.replace("Z", "+00:00"))
    return None if moment is None else moment.astimezone(ZoneInfo(zone))


def _is_midnight(moment: datetime | None) -> bool:
    return moment is None or (moment.hour, moment.minute, moment.second, moment.microsecond) == (0, 0, 0, 0)


def span_text(start: datetime | str | None, end: datetime | str | None, zone: str) -> str:
    """A window's edges as people read them, in the reporting zone (rule 2): ``2026-10-01 to
    2026-11-01`` at local midnights, else with the times and the zone; ``…`` where unbounded."""
    first, last = _local(start, zone), _local(end, zone)
    if _is_midnight(first) and _is_midnight(last):
        return f"{f'{first:%Y-%m-%d}' if first else '…'} to {f'{last:%Y-%m-%d}' if last else '…'}"
    shown = [f"{moment:%Y-%m-%d %H:%M}" if moment else "…" for moment in (first, last)]
    return f"{shown[0]} to {shown[1]} ({zone})"


def period_name(start: datetime | str | None, end: datetime | str | None, zone: str) -> str:
    """A short name for a window in the reporting zone: ``2026-10`` for a whole month, ``2026-Q4``,
    ``2026``, ``the week of 2026-10-05``, ``2026-10-05`` for a day; else :func:`span_text`."""
    first, last = _local(start, zone), _local(end, zone)
    if first is None or last is None or not (_is_midnight(first) and _is_midnight(last)):
        return span_text(start, end, zone)
    from kpiframe.period_labels import calendar_period

    day, until = first.date(), last.date()
    named = calendar_period(day, until)
    if named:
        return named
    if until - day == timedelta(days=7) and day.weekday() == 0:
        return f"the week of {day:%Y-%m-%d}"
    if until - day == timedelta(days=1):
        return f"{day:%Y-%m-%d}"
    return span_text(start, end, zone)


# ---------------------------------------------------------------- windows on tables
# Applying a window to a source's table: the one place that decides how window
# edges (aware instants) meet a source's timestamps (naive ones are wall-clock
# times in the source's zone).


def to_reporting_clock(table: Any, spec: SourceSpec, zone: str) -> tuple[Any, SourceSpec]:
    """The source's table with its timestamps as naive wall-clock times in ``zone`` (rule 4 above).

    Returns the table and the spec as the engine must now read it: naive times in
    ``zone``. Nothing changes when the source's clock already is ``zone``. The
    conversion is the engine's (``timezone(zone, ts)`` on DuckDB and PostgreSQL),
    inside the source's one scan.
    """
    naive_shift = spec.timezone != zone
    columns = {}
    for name, dtype in table.schema().items():
        if dtype.is_timestamp() and (
            dtype.timezone is not None and zone != "UTC" or dtype.timezone is None and naive_shift
        ):
            columns[name] = dtype.timezone
        elif name == spec.time and dtype.is_string() and naive_shift:
            columns[name] = None
    if not columns:
        return table, spec
    backends, _ = table._find_backends()
    engine = backends[0].name if backends else "duckdb"
    if engine not in ("duckdb", "postgres"):
        raise SourceError(
            f"source {spec.id!r} holds times in {spec.timezone} and the scorecard's zone is {zone}; kpiframe converts"
            f" between zones on DuckDB and PostgreSQL, not on {engine}: set the top-level `timezone:` and the source's"
            " to one zone"
        )
    import ibis.expr.datatypes as dt
    import ibis.expr.operations as ops

    from kpiframe.business_hours import _builtin_timezone

    instant_from_local, local_from_instant = _builtin_timezone()
    converted = {}
    for name, aware in columns.items():
        if aware is not None:
            converted[name] = local_from_instant(zone, table[name])
        else:
            # An explicit CAST: an expression Ibis types as naive may be an instant in SQL (to_timestamp).
            naive = ops.Cast(table[name], to=dt.timestamp).to_expr()
            converted[name] = local_from_instant(zone, instant_from_local(spec.timezone, naive))
    return table.mutate(**converted), replace(spec, timezone=zone)


def local_naive(moment: datetime | None, zone: str) -> datetime | None:
    """An aware instant as a naive wall-clock time in ``zone`` (how naive columns store time)."""
    return None if moment is None else moment.astimezone(ZoneInfo(zone)).replace(tzinfo=None)


def time_column(table: Any, column: str) -> Any:
    """The time column as a timestamp (text and date columns are cast)."""
    col = table[column]
    dtype = col.type()
    if dtype.is_string() or dtype.is_date():
        col = col.cast("timestamp")
    return col


def window_predicate(table: Any, spec: SourceSpec, window: Window, column: str | None = None, bind: Any = None) -> Any:
    """The condition "the row's time falls in ``[window.start, window.end)``", or ``None`` for an unbounded window.

    ``column`` overrides the source's ``time:`` (resolution KPIs window on
    ``resolved_at``). Naive timestamps are read in the source's time zone
    (``timezone:``, UTC by default); zone-aware ones are compared as instants.
    ``bind`` (an :meth:`EdgeVariables.bind <kpiframe.engine.edges.EdgeVariables.bind>`)
    turns each edge into a variable instead of a literal, on the embedded DuckDB.
    """
    if window.start is None and window.end is None:
        return None
    column = column or spec.time
    if not column:
        raise SourceError(
            f"source {spec.id!r} has no `time:` column, so it cannot be filtered to the window {window.label!r}"
        )
    col = time_column(table, column)
    aware = col.type().timezone is not None
    predicate = None
    for bound, op in ((window.start, "ge"), (window.end, "lt")):
        if bound is None:
            continue
        value: Any = bound if aware else local_naive(bound, spec.timezone)
        if bind is not None:
            value = bind(window, "start" if op == "ge" else "end", spec.timezone, aware, value)
        term = col >= value if op == "ge" else col < value
        predicate = term if predicate is None else (predicate & term)
    return predicate


def apply_window(table: Any, spec: SourceSpec, window: Window, column: str | None = None) -> Any:
    """Keep the rows whose time falls in the window (see :func:`window_predicate`)."""
    predicate = window_predicate(table, spec, window, column)
    return table if predicate is None else table.filter(predicate)
