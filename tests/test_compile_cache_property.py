"""The compiled-query cache's promise as a property: a recipe recorded at one as-of and
replayed at any other gives the scorecard that planning afresh gives there."""

from __future__ import annotations

import os
import tempfile
from datetime import UTC, datetime, timedelta
from pathlib import Path
from unittest import mock
from zoneinfo import ZoneInfo

import pyarrow as pa
import pyarrow.csv as pacsv
import pytest
from hypothesis import HealthCheck, event, given, settings
from hypothesis import strategies as st

import kpiframe
import kpiframe.engine.plan as plan_module

#: Every window kind, comparison and grouping, on a naive, a zone-aware and a date time column.
#: (No current_quarter beside current_month: the two are one window a third of the time, and
#: a recipe recorded then, or whose check 400 days earlier falls then, is not kept: the test
#: would seldom replay.)
CONFIG = """
version: 1
title: Property
timezone: {zone}
window: {{last: 30d}}
sources:
  naive: {{connector: parquet, path: {parquet}, time: created_at}}
  aware: {{connector: parquet, path: {parquet}, time: created_tz, timezone: America/New_York}}
  days: {{connector: csv, path: {csv}, time: created_date, where: "wait < 90"}}
metrics:
  last_30d: {{calc: count, source: naive, by: [channel], compare: previous_period}}
  last_31d: {{calc: count, source: naive, window: {{last: 31d}}}}
  last_36h: {{calc: sum, source: aware, params: {{column: wait}}, window: {{last: 36h}}, compare: same_period_last_year}}
  week: {{calc: count, source: naive, window: {{calendar: current_week}}, grain: day}}
  month: {{calc: mean, source: days, params: {{column: wait}}, window: {{calendar: current_month}}, compare: previous_period}}
  year: {{calc: count, source: naive, window: {{calendar: current_year}}, heatmap: true}}
  previous_week: {{calc: max, source: aware, params: {{column: wait}}, window: {{calendar: previous_week}}, by: [channel]}}
  previous_month: {{calc: count, source: naive, window: {{calendar: previous_month}}, compare: previous_period}}
  previous_quarter: {{calc: count, source: days, window: {{calendar: previous_quarter}}, compare: same_period_last_year}}
  previous_year: {{calc: count, source: naive, window: {{calendar: previous_year}}, grain: month}}
  between: {{calc: count, source: aware, window: {{between: ["2026-03-29", "2026-11-01"]}}, where: "channel != 'phone'"}}
  share: {{calc: expr, params: {{expr: "last_31d / previous_month"}}}}
"""


def _midnights() -> list[datetime]:
    """Local midnights where windows turn: DST changes, month, quarter and year ends, a leap day."""
    days = ["2026-03-08", "2026-03-29", "2026-03-30", "2026-10-25", "2026-11-01", "2026-11-02", "2026-04-01"]
    days += ["2026-07-01", "2026-12-31", "2027-01-01", "2028-02-29", "2028-03-01", "2027-03-01"]
    return [
        datetime.fromisoformat(day).replace(tzinfo=ZoneInfo(zone)).astimezone(UTC)
        for day in days
        for zone in ("Europe/Berlin", "America/New_York")
    ]


INSTANTS = st.one_of(
    st.sampled_from(_midnights()),
    st.datetimes(min_value=datetime(2025, 6, 1), max_value=datetime(2028, 3, 1), timezones=st.just(UTC)),
)


@pytest.fixture(scope="module")
def configs(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    """The config in each reporting zone, over tickets every 5h17m from 2024-06 to 2028-06."""
    folder = tmp_path_factory.mktemp("property")
    start, step = datetime(2024, 6, 1), timedelta(hours=5, minutes=17)
    times = [start + i * step for i in range(int((datetime(2028, 6, 1) - start) / step))]
    table = pa.table(
        {
            "created_at": times,
            "created_tz": pa.array(times, pa.timestamp("us", tz="UTC")),
            "created_date": [t.date() for t in times],
            "channel": [("email", "chat", "phone")[i % 3] for i in range(len(times))],
            "wait": [float(i * 37 % 101) for i in range(len(times))],
        }
    )
    import pyarrow.parquet as pq

    pq.write_table(table, folder / "t.parquet")
    pacsv.write_csv(table.select(["created_date", "channel", "wait"]), folder / "t.csv")
    written = {}
    for zone in ("Europe/Berlin", "America/New_York"):
        path = folder / f"{zone.replace('/', '_')}.yaml"
        path.write_text(CONFIG.format(zone=zone, parquet=folder / "t.parquet", csv=folder / "t.csv"))
        written[zone] = path
    return written


def _scorecard(config: Path, as_of: datetime, cache: str) -> dict:
    with mock.patch.dict(os.environ, {"KPIFRAME_CACHE_DIR": cache}):
        card = kpiframe.run(config, as_of=as_of).to_dict()
    del card["run"]["duration_s"], card["run"]["started_at"]
    return card


@settings(max_examples=6, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(
    zone=st.sampled_from(["Europe/Berlin", "America/New_York"]),
    recorded=INSTANTS,
    replayed=st.lists(INSTANTS, min_size=1, max_size=3),
)
def test_a_recipe_recorded_at_any_as_of_replays_at_any_other_as_planning_afresh_does(configs, zone, recorded, replayed):
    planned: list[datetime] = []
    real = plan_module.build_plan

    def counted(*args, **kwargs):
        planned.append(args[2])
        return real(*args, **kwargs)

    with tempfile.TemporaryDirectory() as cache, mock.patch.object(plan_module, "build_plan", counted):
        _scorecard(configs[zone], recorded, cache)
        for as_of in replayed:
            planned.clear()
            cached = _scorecard(configs[zone], as_of, cache)
            event("replayed from the cache" if as_of not in planned else "planned afresh")
            assert cached == _scorecard(configs[zone], as_of, "off")
