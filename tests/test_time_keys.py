"""Complete time keys: every hour, weekday and period shows, empty ones as no_data with n = 0, with labels that read.

The calls are written here; expected counts come from Python's datetime over the same rows.
"""

from __future__ import annotations

import csv
import json
from collections import Counter
from datetime import date, datetime, timedelta

import jsonschema
import pytest

import kpiframe
from conftest import AS_OF

#: Calls on a few days of September 2026, in a few hours only; "Call time" needs backticks in an expression.
CALLS = [
    (datetime(2026, 9, 7, 9, 5), "ann"),  # Monday
    (datetime(2026, 9, 7, 9, 40), "bob"),
    (datetime(2026, 9, 7, 14, 0), "ann"),
    (datetime(2026, 9, 9, 9, 30), "ann"),  # Wednesday
    (datetime(2026, 9, 9, 23, 59), "bob"),
    (datetime(2026, 9, 12, 0, 15), "ann"),  # Saturday
    (datetime(2026, 11, 2, 10, 0), "bob"),  # Monday, November: October has none
]
WEEKDAYS = ["Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun"]


@pytest.fixture
def calls(tmp_path):
    with open(tmp_path / "calls.csv", "w", newline="", encoding="utf-8") as handle:
        writer = csv.writer(handle)
        writer.writerow(["Call time", "agent"])
        writer.writerows((moment.isoformat(sep=" "), agent) for moment, agent in CALLS)
    return tmp_path / "calls.csv"


HEAD = """\
version: 1
window: {between: ["2026-09-01", "2026-12-01"]}
sources:
  calls: {connector: csv, path: calls.csv, time: Call time}
metrics:
"""


def _run(write_config, metrics: str) -> kpiframe.Scorecard:
    return kpiframe.run(write_config(HEAD + metrics), as_of=AS_OF)


def test_by_hour_gives_all_24_hours_in_order_with_empty_ones_as_no_data(calls, write_config):
    card = _run(write_config, '  by_hour: {calc: count, source: calls, by: ["hour(`Call time`)"]}\n')
    segments = card.metric("by_hour").segments
    assert [s.label for s in segments] == [f"hour(Call time)={h:02d}:00" for h in range(24)]
    expected = Counter(moment.hour for moment, _ in CALLS)
    for hour, segment in enumerate(segments):
        if expected[hour]:
            assert (segment.status, segment.value, segment.n) == ("info", expected[hour], expected[hour])
        else:
            assert (segment.status, segment.value, segment.n) == ("no_data", None, 0)
            assert segment.key == {"hour(`Call time`)": hour}


def test_by_weekday_gives_all_seven_days_monday_first(calls, write_config):
    card = _run(write_config, '  by_day: {calc: count, source: calls, by: ["weekday(`Call time`)"]}\n')
    segments = card.metric("by_day").segments
    assert [s.label.split("=")[1] for s in segments] == WEEKDAYS
    expected = Counter(moment.weekday() for moment, _ in CALLS)
    assert [s.n for s in segments] == [expected[d] for d in range(7)]


def test_by_month_gives_every_month_of_the_window(calls, write_config):
    card = _run(write_config, '  by_month: {calc: count, source: calls, by: ["month(`Call time`)"]}\n')
    segments = card.metric("by_month").segments
    assert [s.label for s in segments] == [f"month(Call time)=2026-{m:02d}" for m in (9, 10, 11)]
    assert [(s.status, s.n) for s in segments] == [("info", 6), ("no_data", 0), ("info", 1)]


def test_a_daily_series_has_every_day_of_the_window(calls, write_config):
    metrics = (
        "  daily:\n    calc: count\n    source: calls\n    grain: day\n"
        '    window: {between: ["2026-09-06", "2026-09-13"]}\n'
    )
    series = _run(write_config, metrics).metric("daily").series
    days = [date(2026, 9, 6) + timedelta(days=i) for i in range(7)]
    assert [p.period for p in series] == [d.isoformat() for d in days]
    expected = Counter(moment.date() for moment, _ in CALLS)
    assert [p.n for p in series] == [expected[d] for d in days]
    assert [p.value for p in series] == [expected[d] or None for d in days]  # an empty day has no value, not 0


def test_a_weekly_series_over_an_open_window_spans_the_data(calls, write_config):
    metrics = "  weekly: {calc: count, source: calls, grain: week, window: all}\n"
    series = _run(write_config, metrics).metric("weekly").series
    mondays = [date(2026, 9, 7) + timedelta(weeks=i) for i in range(9)]  # 7 Sep to 2 Nov
    assert [p.period for p in series] == [d.isoformat() for d in mondays]
    expected = Counter(moment.date() - timedelta(days=moment.weekday()) for moment, _ in CALLS)
    assert [p.n for p in series] == [expected[d] for d in mondays]


def test_time_keys_are_completed_for_each_agent(calls, write_config):
    card = _run(write_config, '  grid: {calc: count, source: calls, by: [agent, "weekday(`Call time`)"]}\n')
    segments = card.metric("grid").segments
    assert [s.label for s in segments] == [
        f"agent={agent}, weekday(Call time)={day}" for agent in ("ann", "bob") for day in WEEKDAYS
    ]
    expected = Counter((agent, moment.weekday()) for moment, agent in CALLS)
    assert [s.n for s in segments] == [expected[(a, d)] for a in ("ann", "bob") for d in range(7)]


def test_per_segment_targets_match_a_time_key_by_its_label_or_its_value(calls, write_config):
    metrics = (
        '  by_day:\n    calc: count\n    source: calls\n    by: ["weekday(`Call time`)"]\n'
        '    targets: {"weekday(`Call time`)=Mon": ">= 5", "weekday(`Call time`)=2": ">= 1"}\n'
    )
    segments = {s.label: s for s in _run(write_config, metrics).metric("by_day").segments}
    assert segments["weekday(Call time)=Mon"].status == "fail"  # 4 calls on Mondays, 5 wanted
    assert segments["weekday(Call time)=Wed"].status == "pass"
    assert segments["weekday(Call time)=Tue"].status == "no_data"


def test_with_top_only_hours_with_rows_compete(calls, write_config):
    metrics = '  busiest: {calc: count, source: calls, by: ["hour(`Call time`)"], top: 2}\n'
    segments = _run(write_config, metrics).metric("busiest").segments
    assert [s.label for s in segments] == ["hour(Call time)=00:00", "hour(Call time)=09:00"]


METRICS = (
    '  by_hour: {calc: count, source: calls, by: ["hour(`Call time`)"]}\n'
    '  by_month: {calc: count, source: calls, by: ["month(`Call time`)"], grain: week}\n'
)


@pytest.mark.parametrize("fmt", ["table", "json", "markdown", "csv", "junit", "html"])
def test_every_reporter_shows_the_completed_keys_and_their_labels(calls, write_config, cli, fmt, tmp_path):
    config = write_config(HEAD + METRICS)
    out = tmp_path / f"card.{fmt}"
    result = cli("run", config, "--as-of", "2026-12-01", "--output", f"{fmt}={out}", "--quiet")
    assert result.exit_code == 0, result.stderr
    text = out.read_text(encoding="utf-8")
    for label in ("hour(Call time)=03:00", "month(Call time)=2026-10"):
        assert label in text, (fmt, label)
    assert "`Call time`)=" not in text  # labels name columns without backticks
    if fmt == "json":
        card = json.loads(text)
        schema = json.loads(cli("schema", "--scorecard").stdout)
        jsonschema.Draft202012Validator(schema, format_checker=jsonschema.FormatChecker()).validate(card)
        hours = next(m for m in card["metrics"] if m["id"] == "by_hour")["segments"]
        assert len(hours) == 24 and hours[3]["status"] == "no_data" and hours[3]["n"] == 0


def test_a_time_part_alone_is_that_part_of_the_sources_time_column(calls, write_config):
    card = _run(
        write_config,
        "  by_hour: {calc: count, source: calls, by: [hour]}\n  by_day: {calc: count, source: calls, by: [weekday]}\n",
    )
    hours = card.metric("by_hour").segments
    assert [s.label for s in hours] == [f"hour={h:02d}:00" for h in range(24)]
    expected = Counter(moment.hour for moment, _ in CALLS)
    assert [s.n for s in hours] == [expected[h] for h in range(24)]
    assert [s.label for s in card.metric("by_day").segments] == [f"weekday={d}" for d in WEEKDAYS]


def test_a_column_named_like_a_time_part_is_that_column_and_is_not_filled(tmp_path, write_config):
    (tmp_path / "calls.csv").write_text("Call time,hour\n2026-09-07 09:05:00,morning\n2026-09-07 15:00:00,afternoon\n")
    card = _run(write_config, "  by_hour: {calc: count, source: calls, by: [hour]}\n")
    assert sorted(s.label for s in card.metric("by_hour").segments) == ["hour=afternoon", "hour=morning"]


def test_periods_past_max_segments_are_not_filled_in(calls, write_config):
    metrics = (
        '  daily: {calc: count, source: calls, by: ["date(`Call time`)"], max_segments: 50,'
        ' window: {between: ["2000-01-01", "2100-01-01"]}}\n'
    )
    segments = _run(write_config, metrics).metric("daily").segments
    assert [s.key["date(`Call time`)"] for s in segments] == sorted({moment.date() for moment, _ in CALLS})


@pytest.mark.parametrize("part", ["hour", "month"])
def test_a_time_part_alone_on_a_source_without_time_says_why_and_names_the_timestamp_column(
    calls, write_config, cli, part
):
    path = write_config(f"""\
        version: 1
        window: all
        sources:
          calls: {{connector: csv, path: calls.csv}}
        metrics:
          n: {{calc: count, source: calls, by: [{part}]}}
        """)
    for command in (["validate", "--data"], ["run"]):
        result = cli(*command, path)
        assert result.exit_code == 2, result.output
        assert f"metrics.n.by[0]: unknown column '{part}'" in result.stderr
        assert f"{part} alone means the {part} of the source's `time:` column, and this source has no `time:`" in (
            result.stderr
        )
        assert f"give the source `time: Call time`, or write the key as {part}(`Call time`)" in result.stderr
