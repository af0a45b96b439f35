"""The trends page and `history show --format md|json`: a year of weekly runs read back from every
history store, checked against the stored rows read with each database's own JSON SQL."""

from __future__ import annotations

import json
import re
from datetime import datetime, timedelta
from html.parser import HTMLParser
from pathlib import Path

import pytest
from test_html import open_page
from trend_history import record, weekly_scorecards

WEEKS, METRICS = 52, 12


@pytest.fixture(params=["duckdb", "sqlite", "postgres"])
def store(request, tmp_path):
    if request.param == "duckdb":
        return str(tmp_path / "h.duckdb")
    if request.param == "sqlite":
        return str(tmp_path / "h.sqlite")
    return request.getfixturevalue("postgres_schema")


def stored_points(store: str) -> list[tuple[str, str, str, float | None, str]]:
    """(window end, run id, metric id, value, status) of every metric of every run, by SQL on the raw rows."""
    if store.startswith("postgresql://"):
        import psycopg

        query = (
            "select r.window_end, r.run_id, m->>'id', (m->>'value')::float8, m->>'status' from kpiframe_runs r,"
            " jsonb_array_elements(r.scorecard::jsonb->'metrics') m order by 1, 3"
        )
        with psycopg.connect(store) as con:
            return [tuple(row) for row in con.execute(query).fetchall()]
    if store.endswith(".sqlite"):
        import sqlite3

        query = (
            "select r.window_end, r.run_id, json_extract(m.value, '$.id'), json_extract(m.value, '$.value'),"
            " json_extract(m.value, '$.status') from kpiframe_runs r, json_each(r.scorecard, '$.metrics') m"
            " order by 1, 3"
        )
        with sqlite3.connect(store) as con:
            return [(a, b, c, None if d is None else float(d), e) for a, b, c, d, e in con.execute(query).fetchall()]
    import duckdb

    query = (
        "select r.window_end, r.run_id, m->>'$.id', (m->>'$.value')::double, m->>'$.status' from kpiframe_runs r,"
        " unnest(cast(json_extract(r.scorecard::json, '$.metrics[*]') as json[])) t(m) order by 1, 3"
    )
    with duckdb.connect(store, read_only=True) as con:
        return [tuple(row) for row in con.execute(query).fetchall()]


def by_metric(rows):
    """metric id → [(run id, value, status)] oldest first, and the run ids oldest first."""
    runs = sorted({(end, run) for end, run, *_ in rows})
    series: dict[str, list] = {}
    for _, run, metric, value, status in sorted(rows):
        series.setdefault(metric, []).append((run, value, status))
    return series, [run for _, run in runs]


class PageValues(HTMLParser):
    """Every card's latest value and per-run (run id, value, status), as the page shows them."""

    def __init__(self):
        super().__init__()
        self.cards: dict[str, dict] = {}
        self.current = self.run = None

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        if tag == "article":
            self.current = attrs["data-metric"]
            self.cards[self.current] = {"status": attrs["data-status"], "recent": attrs["data-recent"], "runs": []}
        elif self.current and tag == "span" and attrs.get("class") == "number":
            self.cards[self.current]["latest"] = attrs["data-value"]
        elif self.current and tag == "tr" and "data-run" in attrs:
            self.run = [attrs["data-run"]]
        elif self.run is not None and tag == "td" and "data-value" in attrs:
            self.run.append(float(attrs["data-value"]) if attrs["data-value"] else None)
        elif self.run is not None and tag == "td" and "data-status" in attrs:
            self.run.append(attrs["data-status"] or None)
            self.cards[self.current]["runs"].append(tuple(self.run))
            self.run = None


def status_changes(points):
    """(run id, before, after) wherever a status differs from the metric's previous run: by hand."""
    changes, previous = [], None
    for run, _, status in points:
        if previous is not None and status != previous:
            changes.append((run, previous, status))
        previous = status
    return changes


@pytest.fixture(scope="module")
def recorded_files(tmp_path_factory):
    """A DuckDB and an SQLite file with the year recorded once per module (52 DuckDB commits take seconds)."""
    folder = tmp_path_factory.mktemp("year")
    for name in ("h.duckdb", "h.sqlite"):
        record(str(folder / name), weekly_scorecards(METRICS, WEEKS))
    return folder


@pytest.fixture
def year(tmp_path, store, recorded_files):
    """The store of this test's kind holding the year of weekly runs."""
    import shutil

    if store.startswith("postgresql://"):
        record(store, weekly_scorecards(METRICS, WEEKS))
    else:
        shutil.copy(recorded_files / Path(store).name, store)
    return store


def test_a_year_of_weekly_runs_shows_on_the_page_as_the_history_holds_it_on_every_store(cli, year, tmp_path):
    page_path = tmp_path / "trends.html"
    result = cli("report", "--history", year, "--last", "52", "-o", page_path)
    assert result.exit_code == 0, result.output
    assert f"trends of {METRICS} metrics over {WEEKS} runs" in result.stdout
    series, runs = by_metric(stored_points(year))
    assert len(runs) == WEEKS
    parser = PageValues()
    parser.feed(page_path.read_text())
    assert sorted(parser.cards) == sorted(series)
    for metric, points in series.items():
        card = parser.cards[metric]
        shown = sorted(card["runs"], key=lambda row: runs.index(row[0]))
        assert [(run, value, status) for run, value, status in shown if status] == points, metric
        # Runs before the metric was added (m1) or after it was removed (m2) are shown as absent, not as values.
        assert len(shown) == WEEKS and all(value is None for _, value, status in shown if status is None)
        in_latest = points[-1][0] == runs[-1]
        assert card["status"] == (points[-1][2] if in_latest else "absent")
        latest_value = points[-1][1]
        assert (float(card["latest"]) if card["latest"] else None) == latest_value
        recent = {run for run, *_ in status_changes(points)} & set(runs[-4:])
        assert card["recent"] == ("yes" if recent else "no"), metric


def test_history_show_json_carries_the_stored_points_changes_and_change_over_the_period(cli, year):
    result = cli("history", "show", year, "--format", "json", "--last", "26")
    assert result.exit_code == 0, result.output
    data = json.loads(result.stdout)
    assert data["kind"] == "kpiframe.trends" and data["schema_version"] == 1
    series, runs = by_metric(stored_points(year))
    shown_runs = runs[-26:]
    assert [r["run_id"] for r in data["runs"]] == shown_runs
    for metric in data["metrics"]:
        points = [p for p in series[metric["id"]] if p[0] in shown_runs]
        assert [(p["run_id"], p["value"], p["status"]) for p in metric["points"] if p["status"]] == points
        assert [(c["run_id"], c["from"], c["to"]) for c in metric["status_changes"]] == status_changes(points)
        values = [v for _, v, _ in points if v is not None]
        if len(values) >= 2:
            assert metric["change"]["first"] == values[0] and metric["change"]["last"] == values[-1]
            assert metric["change"]["delta"] == pytest.approx(values[-1] - values[0])
        else:
            assert metric["change"] is None
        assert metric["in_latest_run"] == (points[-1][0] == shown_runs[-1])
    # The structured levels each run had: m0's target moved from 80% to 85% in week 31.
    m0 = next(m for m in data["metrics"] if m["id"] == "m0")
    assert [p["target_level"]["bounds"] for p in m0["points"]] == [[80.0]] * 4 + [[85.0]] * 22
    full = json.loads(cli("history", "show", year, "--format", "json", "--last", "52").stdout)
    bounds = [p["target_level"]["bounds"][0] for p in next(m for m in full["metrics"] if m["id"] == "m0")["points"]]
    assert bounds == [80.0] * 30 + [85.0] * 22


def test_history_show_markdown_is_one_table_row_per_metric(cli, year):
    result = cli("history", "show", year, "--format", "md")
    assert result.exit_code == 0, result.output
    lines = result.stdout.splitlines()
    rows = [line for line in lines if line.startswith("| ") and "Status" not in line]
    assert lines[0] == "### Trends: Support weekly" and len(rows) == METRICS
    assert "26 runs, 2026-06-29 to 2026-12-21" in result.stdout  # a week is named by its first day (a Monday)
    series, runs = by_metric(stored_points(year))
    latest = series["m3"][-1]
    row = next(r for r in rows if "**Metric 3**" in r)
    assert row.split(" | ")[2] == f"{latest[1]:.1f}%"
    m2_end, m2_status = next((end, status) for end, run, m, _, status in stored_points(year)[::-1] if m == "m2")
    m2_week = (datetime.fromisoformat(m2_end) - timedelta(days=7)).date().isoformat()
    assert f"not in the latest run (last {m2_week}: {m2_status.upper()})" in next(
        r for r in rows if "**Metric 2**" in r
    )


def test_a_run_still_shows_its_scorecard_with_history_show_run(cli, tmp_path):
    store = str(tmp_path / "h.duckdb")
    record(store, weekly_scorecards(2, 3))
    run_id = stored_points(store)[-1][1]
    shown = cli("history", "show", store, run_id, "--format", "json")
    assert shown.exit_code == 0 and json.loads(shown.stdout)["title"] == "Support weekly"


def test_the_page_in_chromium_filters_by_status_and_by_recent_change(browser, cli, tmp_path, recorded_files):
    store = str(recorded_files / "h.duckdb")
    page_path = tmp_path / "trends.html"
    assert cli("report", "--history", store, "--last", "52", "-o", page_path).exit_code == 0
    series, runs = by_metric(stored_points(store))
    latest = {m: (p[-1][2] if p[-1][0] == runs[-1] else "absent") for m, p in series.items()}
    recent = {m for m, p in series.items() if {r for r, *_ in status_changes(p)} & set(runs[-4:])}
    context, page, events = open_page(browser, page_path)
    try:
        assert events["errors"] == [] and events["requests"] == [page_path.as_uri()]
        assert [m for m in events["console"] if m[0] in ("error", "warning")] == []
        cards = page.locator("article.card")
        assert cards.count() == METRICS
        for metric, points in series.items():
            chart = page.locator(f"#trend-{metric} svg.trend")
            assert chart.locator("circle.chg").count() == len(status_changes(points)), metric
            assert chart.locator(".pt").count() == len(points)
        assert page.locator("#trend-m0 svg.trend path.lim.target").count() == 2  # 80%, then 85%
        assert page.locator("#trend-m0 svg.trend path.lim.warn").count() == 2

        def visible():
            return sorted(a.get_attribute("data-metric") for a in cards.all() if a.is_visible())

        page.click("button[data-filter='fail']")
        assert visible() == sorted(m for m, s in latest.items() if s == "fail")
        rows = page.locator(".summary tbody tr")
        assert sorted(r.get_attribute("data-metric") for r in rows.all() if r.is_visible()) == visible()
        page.check("#recent")
        assert visible() == sorted(m for m, s in latest.items() if s == "fail" and m in recent)
        page.click("button[data-filter='all']")
        assert visible() == sorted(recent)
        page.uncheck("#recent")
        assert len(visible()) == METRICS
        page.select_option("#sort", "changes")
        order = [a.get_attribute("data-metric") for a in cards.all()]
        counts = {m: len(status_changes(p)) for m, p in series.items()}
        assert [counts[m] for m in order] == sorted(counts.values(), reverse=True)
        assert [r.get_attribute("data-metric") for r in rows.all()] == order  # the summary follows
        page.select_option("#sort", "severity")
        severity = {"error": 4, "fail": 3, "no_data": 2, "warn": 1}
        ranks = [severity.get(latest[a.get_attribute("data-metric")], 0) for a in cards.all()]
        assert ranks == sorted(ranks, reverse=True)
        page.screenshot(path=str(tmp_path / "trends.png"), full_page=True)
    finally:
        context.close()


def test_without_scripts_every_metric_shows_with_its_values(browser, cli, tmp_path):
    store = str(tmp_path / "h.sqlite")
    record(store, weekly_scorecards(4, 12))
    page_path = tmp_path / "trends.html"
    assert cli("report", "--history", store, "-o", page_path).exit_code == 0
    context, page, _ = open_page(browser, page_path, javascript=False)
    try:
        assert page.locator("article.card").count() == 4 and all(
            c.is_visible() for c in page.locator("article.card").all()
        )
        assert not page.locator("nav.controls").is_visible()
        page.locator("#trend-m0 details summary").click()
        assert page.locator("#trend-m0 table.runs tbody tr").count() == 12
    finally:
        context.close()


def test_the_dark_theme_recolours_the_charts(browser, cli, tmp_path, recorded_files):
    store = str(recorded_files / "h.sqlite")
    page_path = tmp_path / "trends.html"
    assert cli("report", "--history", store, "-o", page_path).exit_code == 0
    context = browser.new_context(color_scheme="dark", viewport={"width": 1300, "height": 1000})
    try:
        page = context.new_page()
        page.goto(page_path.as_uri())
        background = page.evaluate("getComputedStyle(document.body).backgroundColor")
        band = page.evaluate("getComputedStyle(document.querySelector('svg.trend .band-bad')).fill")
        assert background == "rgb(13, 17, 23)" and band == "rgb(76, 29, 34)"
        page.screenshot(path=str(tmp_path / "trends-dark.png"))
    finally:
        context.close()


def test_a_hundred_metrics_over_52_runs_stay_under_two_megabytes(tmp_path):
    from kpiframe.history import open_history
    from kpiframe.trends import load_trends
    from kpiframe.trends.page import render_page

    store = str(tmp_path / "h.sqlite")
    record(store, weekly_scorecards(100, 52))
    trends = load_trends(open_history(store), last=52)
    assert len(trends.metrics) == 100 and len(trends.runs) == 52
    page = render_page(trends, "0.1.0")
    assert len(page.encode()) < 2_000_000, len(page.encode())


def test_the_page_is_self_contained_and_strict(cli, tmp_path):
    store = str(tmp_path / "h.duckdb")
    record(store, weekly_scorecards(3, 4))
    page_path = tmp_path / "trends.html"
    assert cli("report", "--history", store, "-o", page_path).exit_code == 0
    page = page_path.read_text()
    assert "http://" not in page.replace("http://www.w3.org", "") and "https://" not in page
    import html

    csp = html.unescape(page.split('http-equiv="Content-Security-Policy" content="', 1)[1].split('"', 1)[0])
    assert csp.startswith("default-src 'none'; style-src 'sha256-") and "script-src 'sha256-" in csp
    assert "unsafe-inline" not in csp and ' style="' not in page
    assert not [p.name for p in tmp_path.iterdir() if p.name.endswith(".tmp")]


@pytest.mark.parametrize("extension", ["json", "md"])
def test_report_writes_json_and_markdown_by_extension(cli, tmp_path, extension):
    store = str(tmp_path / "h.duckdb")
    record(store, weekly_scorecards(3, 4))
    out = tmp_path / f"trends.{extension}"
    assert cli("report", "--history", store, "-o", out).exit_code == 0
    shown = cli("history", "show", store, "--format", extension).stdout
    assert out.read_text() == shown


def test_an_empty_history_is_a_usage_error(cli, tmp_path):
    import duckdb

    store = tmp_path / "empty.duckdb"
    duckdb.connect(str(store)).close()
    result = cli("report", "--history", store, "-o", tmp_path / "t.html")
    assert result.exit_code == 2 and "has no runs yet" in result.stderr and "Traceback" not in result.output
    assert not (tmp_path / "t.html").exists()


def test_a_missing_store_is_a_usage_error_and_is_not_created(cli, tmp_path):
    result = cli("history", "show", tmp_path / "nope.duckdb", "--format", "md")
    assert result.exit_code == 2 and "no such file" in result.stderr
    assert not (tmp_path / "nope.duckdb").exists()


def test_an_unknown_title_lists_the_titles_present(cli, tmp_path):
    store = str(tmp_path / "h.duckdb")
    record(store, weekly_scorecards(2, 3, title="Support weekly"))
    record(store, weekly_scorecards(2, 2, title="Sales monthly"))
    result = cli("report", "--history", store, "--title", "Support", "-o", tmp_path / "t.html")
    assert result.exit_code == 2
    assert "no runs titled 'Support'" in result.stderr and "'Sales monthly', 'Support weekly'" in result.stderr
    several = cli("report", "--history", store, "-o", tmp_path / "t.html")
    assert several.exit_code == 2 and "choose one with --title" in several.stderr
    chosen = cli("report", "--history", store, "--title", "Sales monthly", "-o", tmp_path / "t.json")
    assert chosen.exit_code == 0 and len(json.loads((tmp_path / "t.json").read_text())["runs"]) == 2


def test_an_output_that_names_no_format_or_is_the_store_is_refused(cli, tmp_path):
    store = tmp_path / "h.duckdb"
    record(str(store), weekly_scorecards(2, 3))
    before = store.read_bytes()
    wrong = cli("report", "--history", store, "-o", tmp_path / "trends.pdf")
    assert wrong.exit_code == 2 and "use .html (the trends page), .json or .md" in wrong.stderr
    onto = cli("report", "--history", store, "-o", f"{store}")
    assert onto.exit_code == 2  # .duckdb names no trends format
    link = tmp_path / "h.html"
    link.hardlink_to(store)
    itself = cli("report", "--history", store, "-o", link)
    assert itself.exit_code == 2 and "is the history store" in itself.stderr and store.read_bytes() == before
    fmt = cli("history", "show", store, "--format", "html")
    assert fmt.exit_code == 2 and "table, md or json" in fmt.stderr


def test_runs_recorded_by_kpiframe_run_keep_secrets_out_of_every_trend_output(cli, tmp_path):
    from test_secrets import CONFIG, ENV, SECRET

    from conftest import TICKETS, write_parquet

    write_parquet(tmp_path / "tickets.parquet", TICKETS)
    (tmp_path / "kpis.yaml").write_text(CONFIG)
    store = tmp_path / "h.sqlite"
    for as_of in ("2026-03-01", "2026-03-08", "2026-03-15"):
        run = cli(
            "run",
            tmp_path / "kpis.yaml",
            "--as-of",
            as_of,
            "--history",
            store,
            "--quiet",
            "-o",
            tmp_path / "card.json",
            env=ENV,
        )
        assert run.exit_code in (0, 1), run.output
    outputs = []
    for name in ("t.html", "t.json", "t.md"):
        result = cli("report", "--history", store, "--title", "Board ***", "-o", tmp_path / name, env=ENV)
        assert result.exit_code == 0, result.output
        outputs += [result.stdout, result.stderr, (tmp_path / name).read_text()]
    for fmt in ("table", "md", "json"):
        shown = cli("history", "show", store, "--format", fmt, env=ENV)
        outputs += [shown.stdout, shown.stderr]
    assert not [text for text in outputs if SECRET in text]
    data = json.loads((tmp_path / "t.json").read_text())
    series, runs = by_metric(stored_points(str(store)))
    assert [r["run_id"] for r in data["runs"]] == runs and len(runs) == 3
    for metric in data["metrics"]:
        assert [(p["run_id"], p["value"], p["status"]) for p in metric["points"]] == series[metric["id"]]
    assert re.search(r"Email \*\*\*", (tmp_path / "t.html").read_text())


def test_runs_recorded_before_structured_levels_draw_a_line_without_bands(cli, tmp_path):
    store = str(tmp_path / "h.duckdb")
    record(store, weekly_scorecards(1, 3))
    import duckdb

    with duckdb.connect(store) as con:
        for run_id, text in con.execute("select run_id, scorecard from kpiframe_runs").fetchall():
            card = json.loads(text)
            for metric in card["metrics"]:
                metric.pop("target_level"), metric.pop("warn_level")
            con.execute("update kpiframe_runs set scorecard = ? where run_id = ?", [json.dumps(card), run_id])
    page_path = tmp_path / "t.html"
    assert cli("report", "--history", store, "-o", page_path).exit_code == 0
    page = page_path.read_text()
    assert 'class="band-' not in page.split("<main", 1)[1] and '<polyline class="value"' in page


@pytest.fixture(scope="module")
def browser():
    import shutil

    from conftest import require_service

    chromium = shutil.which("chromium") or shutil.which("chromium-browser")
    require_service("chromium", chromium is not None, "Debian's chromium package is not installed")
    from playwright.sync_api import sync_playwright
    from test_html import ARGS

    with sync_playwright() as p:
        instance = p.chromium.launch(executable_path=chromium, args=ARGS)
        yield instance
        instance.close()


def test_a_postgres_password_never_reaches_the_page_or_the_json(cli, tmp_path, postgres_schema):
    record(postgres_schema, weekly_scorecards(2, 3))
    # The local server trusts the test user, so a password in the URL is accepted and must stay unseen.
    url = postgres_schema.replace("postgres@", "postgres:hunter2-pw@")
    outputs = []
    for name in ("t.html", "t.json"):
        result = cli("report", "--history", url, "-o", tmp_path / name)
        assert result.exit_code == 0, result.output
        outputs += [result.output, (tmp_path / name).read_text()]
    shown = cli("history", "show", url, "--format", "json")
    outputs.append(shown.output)
    assert not [text for text in outputs if "hunter2-pw" in text]
    assert json.loads((tmp_path / "t.json").read_text())["history"].startswith("postgresql://***@")


def test_the_summary_shows_the_change_from_the_first_to_the_latest_value(cli, tmp_path, recorded_files):
    from kpiframe.formatting import delta_text

    page_path = tmp_path / "t.html"
    store = str(recorded_files / "h.duckdb")
    assert cli("report", "--history", store, "--last", "10", "-o", page_path).exit_code == 0
    series, runs = by_metric(stored_points(store))
    page = page_path.read_text()
    for metric, points in series.items():
        values = [v for run, v, _ in points if run in runs[-10:] and v is not None]
        if len(values) < 2:
            continue
        row = page.split(f'data-metric="{metric}" ', 1)[1].split("</tr>", 1)[0]
        unit = "%" if int(metric[1:]) % 3 == 0 else "min" if int(metric[1:]) % 3 == 1 else "count"
        pct = (values[-1] - values[0]) / abs(values[0]) * 100
        direction = {"%": "higher", "min": "lower", "count": "higher"}[unit]
        assert delta_text(values[-1] - values[0], pct, unit, direction) in row, metric


def test_titles_are_escaped_and_a_single_run_still_draws(browser, cli, tmp_path):
    import dataclasses

    hostile = '<script>alert("x")</script> "quoted" & \'single\''
    (card,) = weekly_scorecards(1, 1, title=f"Board {hostile}")
    card = dataclasses.replace(card, metrics=(dataclasses.replace(card.metrics[0], title=hostile),))
    store = str(tmp_path / "h.duckdb")
    record(store, [card])
    page_path = tmp_path / "t.html"
    result = cli("report", "--history", store, "-o", page_path)
    assert result.exit_code == 0, result.output
    assert '<script>alert("x")' not in page_path.read_text()
    context, page, events = open_page(browser, page_path)
    try:
        assert page.locator("script").count() == 1 and events["errors"] == []
        assert page.locator("article h2").inner_text() == hostile
        assert page.locator("h1").inner_text().startswith(f"Board {hostile}")
        assert page.locator("svg.trend .pt").count() == 1 and page.locator("svg.trend .band-good").count() == 1
    finally:
        context.close()
    markdown = cli("history", "show", store, "--format", "md").stdout
    # HTML in a title reads as text in a pull-request comment, and never becomes a tag.
    assert (
        "<script>" not in markdown and '| **&lt;script>alert("x")&lt;/script> "quoted" &amp; \'single\'**' in markdown
    )


def test_segments_of_real_runs_trend_as_the_history_recorded_them(cli, tmp_path, write_config):
    from test_ci import CONFIG, as_of, tickets

    config = write_config(CONFIG)
    store = str(tmp_path / "h.duckdb")
    for month, factor in enumerate((1.0, 1.0, 1.5, 1.0)):  # email turns red in the third window, then recovers
        tickets(tmp_path / "tickets.parquet", email_factor=factor, month=month)
        run = cli("run", config, "--as-of", as_of(month), "--history", store, "--quiet", "-o", tmp_path / "c.json")
        assert run.exit_code in (0, 1), run.output
    import duckdb

    query = (
        "select r.window_end, s->>'$.label', (s->>'$.value')::double, s->>'$.status' from kpiframe_runs r,"
        " unnest(cast(json_extract(r.scorecard::json, '$.metrics[0].segments[*]') as json[])) t(s) order by 1, 2"
    )
    with duckdb.connect(store, read_only=True) as con:
        rows = con.execute(query).fetchall()
    expected: dict[str, list] = {}
    for _, label, value, status in rows:
        expected.setdefault(label, []).append((value, status))
    assert [s for _, s in expected["channel=email"]] == ["pass", "pass", "fail", "pass"]
    data = json.loads(cli("history", "show", store, "--format", "json").stdout)
    segments = {s["label"]: [(p["value"], p["status"]) for p in s["points"]] for s in data["metrics"][0]["segments"]}
    assert segments == expected
    page_path = tmp_path / "t.html"
    assert cli("report", "--history", store, "-o", page_path).exit_code == 0
    page = page_path.read_text()
    for label, points in expected.items():
        row = page.split(f'<tr data-segment="{label}"', 1)[1].split("</tr>", 1)[0]
        assert f'data-value="{points[-1][0]!r}"' in row and f'data-status="{points[-1][1]}"' in row
    email_changes = page.split('<tr data-segment="channel=email"', 1)[1].split("</tr>", 1)[0]
    assert email_changes.endswith('<td class="num">2</td>')
    markdown = cli("history", "show", store, "--format", "md").stdout
    assert "| ✅ PASS | ↳ channel=email |" in markdown and "2 status changes" in markdown
    ends = sorted({end for end, *_ in rows})
    assert cli("report", "--history", store, "--recent", "1", "-o", page_path).exit_code == 0
    summary_row = page_path.read_text().split('<tr class="status-', 1)[1].split("</tr>", 1)[0]
    assert 'data-recent="yes"' in summary_row
    # A 30-day window from midnight to midnight (UTC, the config sets no zone) is named by its days.
    first, after = (
        (datetime.fromisoformat(ends[-1]) - timedelta(days=30)).date(),
        datetime.fromisoformat(ends[-1]).date(),
    )
    days = f"{first} → {after - timedelta(days=1)}"
    assert f"<td>FAIL → PASS, {days}" in summary_row  # the metric's own change wins a tie


def test_a_segment_that_changed_makes_its_metric_changed_recently():
    from kpiframe.trends.model import MetricTrend, Point

    steady = [Point(10.0, "pass", segments={"channel=email": (9.0, "pass"), "channel=chat": (1.0, "pass")})] * 3
    turned = Point(10.0, "pass", segments={"channel=email": (30.0, "fail"), "channel=chat": (1.0, "pass")})
    metric = MetricTrend("frt", "FRT", "min", "lower", (*steady, turned))
    assert metric.changes == [] and metric.changed_within(1, 4)
    change, segment = metric.last_change
    assert (change.index, change.before, change.after, segment) == (3, "pass", "fail", "channel=email")
    assert [s.label for s in metric.segments] == ["channel=email", "channel=chat"]  # worst first
    quiet = MetricTrend("frt", "FRT", "min", "lower", (turned, *steady))
    assert quiet.changed_within(1, 4) is False and quiet.changed_within(3, 4) is True


def test_runs_of_different_window_lengths_under_one_title_are_flagged(cli, tmp_path):
    import dataclasses

    from kpiframe.scorecard import WindowInfo

    cards = weekly_scorecards(2, 3)
    monthly = cards[-1]
    window = WindowInfo("2026-01-01T00:00:00Z", "2026-02-01T00:00:00Z", "last month")
    cards.append(dataclasses.replace(monthly, run=dataclasses.replace(monthly.run, window=window)))
    store = str(tmp_path / "h.duckdb")
    record(store, cards)
    result = cli("report", "--history", store, "-o", tmp_path / "t.html")
    assert result.exit_code == 0
    assert "windows of different lengths (7d, 31d)" in result.stderr
    assert "windows of different lengths (7d, 31d)" in (tmp_path / "t.html").read_text()
    steady = cli("history", "show", str(tmp_path / "h.duckdb"), "--last", "1")
    assert steady.exit_code == 0 and "different lengths" not in steady.stderr


def test_calendar_months_of_28_to_31_days_are_one_sequence():
    from kpiframe.trends.model import RunPoint, _mixed_windows

    months = [("2026-01-01", "2026-02-01"), ("2026-02-01", "2026-03-01"), ("2026-03-01", "2026-04-01")]
    runs = tuple(
        RunPoint(str(i), e, e, f"{s}T00:00:00Z", f"{e}T00:00:00Z", "pass", None) for i, (s, e) in enumerate(months)
    )
    assert _mixed_windows(runs) == ()
