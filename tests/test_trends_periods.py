"""Trends of monthly runs in a Berlin scorecard: runs are named by their window in the scorecard's own zone,
a run with no data has no value (no point, not where a change starts), and a segment hidden by ``worst:``
is not called absent. Expected values come from the stored rows read with DuckDB's JSON SQL."""

from __future__ import annotations

import json
from datetime import datetime
from zoneinfo import ZoneInfo

import pytest

CONFIG = """
version: 1
title: Berlin months
timezone: Europe/Berlin
window: {calendar: previous_month}
defaults: {source: calls, min_sample: 3}
sources:
  calls: {connector: csv, path: calls.csv, time: called_at}
metrics:
  offered: {title: Calls offered, calc: count}
  fast:
    title: Answered fast
    calc: share
    params: {match: "wait <= 20"}
    target: ">= 80%"
  by_agent:
    title: Fast by agent
    calc: share
    params: {match: "wait <= 20"}
    target: ">= 80%"
    by: [agent]
    worst: 2
"""

#: Agent → the waits of their calls in October and November (Berlin wall clock); none in September.
WAITS = {
    "Ana": ([30, 30, 30, 5], [5, 5, 5, 30]),
    "Ben": ([5, 5, 5, 5], [30, 30, 5, 5]),
    "Cem": ([5, 5, 5, 30], [30, 30, 30, 5]),
    "Eli": ([30, 30, 30, 5], [5, 5, 5, 5]),
}


def _calls(path):
    lines = ["called_at,agent,wait"]
    for agent, months in WAITS.items():
        for month, waits in zip((10, 11), months, strict=True):
            # The first call of each month is at 00:30 on the 1st in Berlin: the day before in UTC.
            lines += [
                f"2026-{month:02d}-{1 + i:02d} {'00:30' if i == 0 else '12:00'}:00,{agent},{w}"
                for i, w in enumerate(waits)
            ]
    path.write_text("\n".join(lines) + "\n")


@pytest.fixture(scope="module")
def months(tmp_path_factory):
    """A history of three monthly runs (September without data, October, November) and its rows by SQL."""
    import duckdb
    from typer.testing import CliRunner

    from kpiframe.cli import app

    folder = tmp_path_factory.mktemp("berlin")
    (folder / "kpis.yaml").write_text(CONFIG.lstrip())
    _calls(folder / "calls.csv")
    store = str(folder / "h.duckdb")
    runner = CliRunner()
    for as_of in ("2026-10-05", "2026-11-05", "2026-12-05"):
        args = ["run", str(folder / "kpis.yaml"), "--as-of", as_of, "--history", store, "--quiet"]
        result = runner.invoke(app, [*args, "-o", str(folder / "c.json")], catch_exceptions=False)
        assert result.exit_code in (0, 1), result.output
    query = (
        "select r.run_id, r.window_start, r.window_end, r.scorecard::json->>'$.run.window.zone', m->>'$.id',"
        " (m->>'$.value')::double, m->>'$.status', (m->>'$.hidden_segments')::int, m->'$.segments'"
        " from kpiframe_runs r, unnest(cast(json_extract(r.scorecard::json, '$.metrics[*]') as json[])) t(m)"
        " order by r.window_end, 5"
    )
    with duckdb.connect(store, read_only=True) as con:
        rows = con.execute(query).fetchall()
    return store, folder, rows


def _local_month(start: str, zone: str) -> str:
    return datetime.fromisoformat(start.replace("Z", "+00:00")).astimezone(ZoneInfo(zone)).strftime("%Y-%m")


def _runs(rows):
    """(run id, label by hand from the stored window start and zone), oldest first."""
    seen: dict[str, str] = {}
    for run, start, _, zone, *_ in rows:
        seen.setdefault(run, _local_month(start, zone))
    return list(seen.items())


def _series(rows, metric):
    return [(run, value, status) for run, _, _, _, m, value, status, _, _ in rows if m == metric]


def test_the_scorecard_records_its_window_zone_and_berlin_months_start_the_day_before_in_utc(months):
    _, _, rows = months
    windows = sorted({(start, end, zone) for _, start, end, zone, *_ in rows})
    assert windows == [
        ("2026-08-31T22:00:00Z", "2026-09-30T22:00:00Z", "Europe/Berlin"),
        ("2026-09-30T22:00:00Z", "2026-10-31T23:00:00Z", "Europe/Berlin"),
        ("2026-10-31T23:00:00Z", "2026-11-30T23:00:00Z", "Europe/Berlin"),
    ]


def test_monthly_runs_are_labelled_by_their_local_month_on_the_page_json_and_terminal(cli, months, tmp_path):
    store, _, rows = months
    runs = _runs(rows)
    assert [label for _, label in runs] == ["2026-09", "2026-10", "2026-11"]
    data = json.loads(cli("history", "show", store, "--format", "json").stdout)
    assert [(r["run_id"], r["label"]) for r in data["runs"]] == runs
    assert {r["window"]["zone"] for r in data["runs"]} == {"Europe/Berlin"}
    table = cli("history", "show", store).stdout
    assert "3 runs, 2026-09 to 2026-11" in table and "2026-09-30" not in table
    page_path = tmp_path / "t.html"
    assert cli("report", "--history", store, "-o", page_path).exit_code == 0
    page = page_path.read_text()
    assert "<dd>3, 2026-09 to 2026-11</dd>" in page
    fast = _series(rows, "fast")
    first_valued = next(i for i, (_, value, _) in enumerate(fast) if value is not None)
    # The status change of the first month with data is dated by that month, not by the UTC day before it.
    assert f"NO DATA → FAIL, {runs[first_valued][1]}" in page or f"NO DATA → PASS, {runs[first_valued][1]}" in page
    for run, label in runs:
        assert (
            f'<tr data-run="{run}"><th>{label}</th>' in page
            or f'<tr data-run="{run}" class="changed"><th>{label}</th>' in page
        )


def test_history_list_shows_window_edges_in_the_scorecards_zone(cli, months):
    store, _, _ = months
    listing = cli("history", "list", store).stdout
    assert "2026-11-01 00:00 to 2026-12-01 00:00 Europe/Berlin" in listing
    assert "2026-09-01 00:00 to 2026-10-01 00:00 Europe/Berlin" in listing
    assert "23:00" not in listing and "22:00" not in listing


def test_the_change_since_is_dated_and_valued_by_the_first_run_with_a_value(cli, months, tmp_path):
    store, _, rows = months
    runs = _runs(rows)
    fast = _series(rows, "fast")
    assert fast[0][2] == "no_data" and fast[0][1] is None
    valued = [(i, value) for i, (_, value, _) in enumerate(fast) if value is not None]
    (first, start), (_, last) = valued[0], valued[-1]
    data = json.loads(cli("history", "show", store, "--format", "json").stdout)
    change = next(m for m in data["metrics"] if m["id"] == "fast")["change"]
    assert (change["first"], change["last"], change["from_run_id"]) == (start, last, runs[first][0])
    page_path = tmp_path / "t.html"
    cli("report", "--history", store, "-o", page_path)
    card = page_path.read_text().split('id="trend-fast"', 1)[1].split("</article>", 1)[0]
    assert f"since {runs[first][1]} ({start * 100:.1f}%)" in card or f"since {runs[first][1]} ({start:.1f}%)" in card


def test_a_count_of_a_run_with_no_data_is_no_point_and_not_the_start_of_the_change(cli, months, tmp_path):
    store, _, rows = months
    runs = _runs(rows)
    offered = _series(rows, "offered")
    assert offered[0][2] == "no_data"  # September: recorded as a count, but with no data
    expected = [None if status == "no_data" else value for _, value, status in offered]
    data = json.loads(cli("history", "show", store, "--format", "json").stdout)
    metric = next(m for m in data["metrics"] if m["id"] == "offered")
    assert [p["value"] for p in metric["points"]] == expected
    assert (metric["change"]["first"], metric["change"]["from_run_id"]) == (expected[1], runs[1][0])
    page_path = tmp_path / "t.html"
    cli("report", "--history", store, "-o", page_path)
    card = page_path.read_text().split('id="trend-offered"', 1)[1].split("</article>", 1)[0]
    assert f"since {runs[1][1]} ({expected[1]:,.0f})" in card and "(0)" not in card
    chart = card.split("<svg", 1)[1].split("</svg>", 1)[0]
    assert chart.count('<circle class="pt') == 2  # October and November; September sits on the axis, no value
    assert f'<tr data-run="{runs[0][0]}"><th>{runs[0][1]}</th><td data-value="">' in card


def test_a_segment_hidden_by_worst_in_the_latest_run_is_not_called_absent(cli, months, tmp_path):
    store, _, rows = months
    latest = [row for row in rows if row[4] == "by_agent"][-1]
    shown = {s["label"] for s in json.loads(latest[8])}
    assert latest[7] == 2 and len(shown) == 2  # worst: 2 of four agents
    hidden = {f"agent={a}" for a in WAITS} - shown
    everyone = {s["label"] for row in rows if row[4] == "by_agent" and row[8] for s in json.loads(row[8])}
    assert hidden == {"agent=Ana", "agent=Eli"} and hidden <= everyone  # both among October's worst two
    page_path = tmp_path / "t.html"
    cli("report", "--history", store, "-o", page_path)
    page = page_path.read_text()
    for label in hidden:
        row = page.split(f'<tr data-segment="{label}"', 1)[1].split("</tr>", 1)[0]
        assert "NOT SHOWN IN LATEST RUN (TOP/WORST)" in row and "NOT IN LATEST RUN" not in row
    data = json.loads(cli("history", "show", store, "--format", "json").stdout)
    segments = {s["label"]: s for m in data["metrics"] if m["id"] == "by_agent" for s in m["segments"]}
    assert {label for label, s in segments.items() if s["hidden_in_latest_run"]} == hidden
    markdown = cli("history", "show", store, "--format", "md").stdout
    assert markdown.count("not shown in the latest run (top/worst)") == min(len(hidden), 5)


def test_a_segment_missing_from_a_latest_run_that_hid_none_is_still_absent():
    from kpiframe.trends.model import MetricTrend, Point

    before = Point(1.0, "pass", segments={"agent=Eli": (1.0, "pass"), "agent=Ana": (1.0, "pass")})
    after = Point(1.0, "pass", segments={"agent=Ana": (1.0, "pass")})
    eli = {s.label: s for s in MetricTrend("m", "M", "%", "higher", (before, after)).segments}["agent=Eli"]
    assert eli.latest is None and eli.hidden_in_latest is False
    hid = Point(1.0, "pass", segments={"agent=Ana": (1.0, "pass")}, hidden_segments=1)
    eli = {s.label: s for s in MetricTrend("m", "M", "%", "higher", (before, hid)).segments}["agent=Eli"]
    assert eli.hidden_in_latest is True


@pytest.mark.parametrize(
    ("start", "end", "zone", "label"),
    [
        ("2026-09-30T22:00:00Z", "2026-10-31T23:00:00Z", "Europe/Berlin", "2026-10"),
        ("2026-09-30T22:00:00Z", "2026-10-31T23:00:00Z", None, "2026-10-31"),  # an old row: UTC, not midnight
        ("2026-10-01T00:00:00Z", "2026-11-01T00:00:00Z", None, "2026-10"),
        ("2026-09-30T22:00:00Z", "2026-12-31T23:00:00Z", "Europe/Berlin", "2026-Q4"),
        ("2025-12-31T23:00:00Z", "2026-12-31T23:00:00Z", "Europe/Berlin", "2026"),
        ("2026-11-29T23:00:00Z", "2026-12-06T23:00:00Z", "Europe/Berlin", "2026-11-30"),  # a week: its Monday
        ("2026-11-29T23:00:00Z", "2026-12-13T23:00:00Z", "Europe/Berlin", "2026-11-30 → 2026-12-13"),
        ("2026-10-31T18:54:00Z", "2026-11-30T23:30:00Z", "Europe/Berlin", "2026-12-01"),  # last: 30d, its end
    ],
)
def test_a_run_is_named_by_its_window_period_in_its_zone(start, end, zone, label):
    from kpiframe.period_labels import period_label

    assert period_label(start, end, end, zone) == label


def test_runs_recorded_before_the_zone_was_kept_read_in_utc(cli, tmp_path):
    import duckdb
    from trend_history import record, weekly_scorecards

    store = str(tmp_path / "old.duckdb")
    record(store, weekly_scorecards(1, 2))
    with duckdb.connect(store, read_only=True) as con:
        rows = con.execute(
            "select window_start, window_end, scorecard::json->>'$.run.window.zone' from kpiframe_runs order by 2"
        ).fetchall()
    assert {zone for *_, zone in rows} == {None}
    listing = cli("history", "list", store).stdout
    for start, end, _ in rows:
        assert f"{start[:10]} {start[11:16]} to {end[:10]} {end[11:16]} UTC" in listing
    data = json.loads(cli("history", "show", store, "--format", "json").stdout)
    assert [(r["label"], r["window"]["zone"]) for r in data["runs"]] == [(start[:10], None) for start, _, _ in rows]
