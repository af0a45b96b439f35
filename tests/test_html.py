"""The HTML scorecard in a real browser: self-contained, accessible, equal to the JSON, escaped."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest

import kpiframe
from conftest import require_service
from kpiframe.reporters.html import HtmlReporter
from kpiframe.scorecard import MetricResult, RunInfo, Scorecard, SegmentResult, SeriesPoint, WindowInfo

ROOT = Path(__file__).parents[1]
CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser")
ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]


@pytest.fixture(scope="module")
def demo(tmp_path_factory):
    """The demo scorecard (sample data, configs/demo.yaml) as JSON and as HTML, plus a heat-map metric."""
    folder = tmp_path_factory.mktemp("html")
    from kpiframe.sample_data import write_sample_data

    write_sample_data(folder / "sample-data", tickets=3000, seed=2)
    (folder / "configs").mkdir()
    text = (ROOT / "configs" / "demo.yaml").read_text()
    text += (
        "  frt_heat:\n    title: First response by hour\n    calc: support.first_response_time\n    source: tickets\n  "
        "  params: {stat: median}\n    heatmap: true\n"
    )
    (folder / "configs" / "demo.yaml").write_text(text)
    card = kpiframe.run(folder / "configs" / "demo.yaml")
    page = folder / "report.html"
    page.write_text(HtmlReporter().render(card, {}))
    return card, page, folder


@pytest.fixture(scope="module")
def browser():
    require_service("chromium", CHROMIUM is not None, "Debian's chromium package is not installed")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        instance = p.chromium.launch(executable_path=CHROMIUM, args=ARGS)
        yield instance
        instance.close()


def open_page(browser, page_path: Path, javascript: bool = True):
    context = browser.new_context(java_script_enabled=javascript, viewport={"width": 1300, "height": 900})
    page = context.new_page()
    events = {"console": [], "requests": [], "errors": []}
    page.on("console", lambda msg: events["console"].append((msg.type, msg.text)))
    page.on("request", lambda request: events["requests"].append(request.url))
    page.on("pageerror", lambda error: events["errors"].append(str(error)))
    page.goto(page_path.as_uri())
    page.wait_for_load_state("load")
    return context, page, events


def test_the_demo_page_in_chromium(browser, demo):
    card, page_path, folder = demo
    context, page, events = open_page(browser, page_path)
    try:
        assert events["errors"] == []
        assert [m for m in events["console"] if m[0] in ("error", "warning")] == []
        assert events["requests"] == [page_path.as_uri()]  # the page itself, nothing else
        cards = page.locator("article.card")
        assert cards.count() == len(card.metrics)
        for metric in card.metrics:
            article = page.locator(f"#metric-{metric.id}")
            assert article.is_visible()
            assert (
                article.locator(".badge")
                .first.inner_text()
                .strip()
                .endswith({"no_data": "NO DATA"}.get(metric.status, metric.status.upper()))
            )
            # A bullet when there is a value and a value target to measure it against.
            drawn = metric.value is not None and metric.target_level is not None and metric.target_level.op is not None
            assert article.locator("svg.bullet").count() == (1 if drawn else 0), metric.id
        assert page.locator("#metric-service_level svg.series").count() == 1
        assert page.locator("#metric-service_level table.segments tbody tr").count() == 3
        assert page.locator("#metric-frt_heat svg.heatmap rect").count() == 7 * 24
        assert page.locator("nav.controls").is_visible()  # scripts ran under the page's CSP
        page.screenshot(path=str(folder / "report.png"), full_page=True)
        assert (folder / "report.png").stat().st_size > 10_000
    finally:
        context.close()


def test_the_page_without_javascript_shows_the_same_cards(browser, demo):
    card, page_path, _ = demo
    context, page, events = open_page(browser, page_path, javascript=False)
    try:
        assert page.locator("article.card").count() == len(card.metrics)
        assert all(page.locator(f"#metric-{m.id}").is_visible() for m in card.metrics)
        assert not page.locator("nav.controls").is_visible()  # controls need scripts, so they hide
        assert (
            page.locator("svg.chart").count()
            == page.locator("svg.bullet").count()
            + page.locator("svg.series").count()
            + page.locator("svg.heatmap").count()
            > 0
        )
        assert page.locator(".summary tbody tr").count() == len(card.metrics)
    finally:
        context.close()


def test_filter_and_sort(browser, demo):
    card, page_path, _ = demo
    context, page, _ = open_page(browser, page_path)
    try:
        failing = [m.id for m in card.metrics if m.status == "fail"]
        page.click("button[data-filter='fail']")
        visible = [a.get_attribute("id") for a in page.locator("article.card").all() if a.is_visible()]
        assert visible == [f"metric-{m}" for m in failing]
        page.click("button[data-filter='all']")
        page.select_option("#sort", "severity")
        first = page.locator("article.card").first.get_attribute("data-status")
        assert first == card.status if card.status != "pass" else True
        page.select_option("#sort", "title")
        titles = [a.get_attribute("data-title") for a in page.locator("article.card").all()]
        assert titles == sorted(titles)
    finally:
        context.close()


def test_values_in_the_page_equal_the_json(demo):
    card, page_path, _ = demo
    from html.parser import HTMLParser

    data = json.loads(card.to_json())
    found: dict[str, str] = {}

    class Values(HTMLParser):
        current = None

        def handle_starttag(self, tag, attrs):
            attrs = dict(attrs)
            if tag == "article":
                self.current = attrs["id"].removeprefix("metric-")
            if "data-value" in attrs and attrs.get("class") == "number":
                found[self.current] = attrs["data-value"]

    Values().feed(page_path.read_text())
    for metric in data["metrics"]:
        shown = found[metric["id"]]
        assert (float(shown) if shown else None) == metric["value"], metric["id"]


def test_the_page_is_self_contained_and_strict():
    page = HtmlReporter().render(synthetic(2, 2, 5), {})
    assert "http://" not in page.replace("http://www.w3.org", "") and "https://" not in page
    import html

    csp = html.unescape(page.split('http-equiv="Content-Security-Policy" content="', 1)[1].split('"', 1)[0])
    assert csp.startswith("default-src 'none'; style-src 'sha256-") and "script-src 'sha256-" in csp
    assert "unsafe-inline" not in csp and ' style="' not in page


def test_titles_and_segment_values_are_escaped(browser, tmp_path):
    hostile = '<script>alert("x")</script> "quoted" & \'single\''
    card = synthetic(1, 1, 0, title=hostile, segment=hostile)
    page_path = tmp_path / "hostile.html"
    page_path.write_text(HtmlReporter().render(card, {}))
    text = page_path.read_text()
    assert '<script>alert("x")' not in text
    context, page, events = open_page(browser, page_path)
    try:
        assert page.locator("script").count() == 1  # only the page's own
        assert page.locator("article h2").inner_text() == hostile
        assert page.locator("table.segments th[scope=row]").inner_text() == f"channel={hostile}"
        assert events["errors"] == []
    finally:
        context.close()


def synthetic(metrics: int, segments: int, days: int, title: str = "Metric", segment: str = "email") -> Scorecard:
    window = WindowInfo("2026-06-01T00:00:00Z", "2026-09-01T00:00:00Z", "last 92d")
    run = RunInfo(
        "c.yaml", "abc", "2026-09-01T00:00:00Z", "2026-09-01T00:00:00Z", 0.5, "0.1.0", {"kpiframe": "0.1.0"}, window, 3
    )
    results = []
    for i in range(metrics):
        segs = tuple(
            SegmentResult(
                {"channel": f"{segment}{j or ''}"},
                f"channel={segment}{j or ''}",
                "fail" if j % 3 == 0 else "pass",
                50.0 + j,
                n=100,
                interval=(45.0, 55.0),
                target=">= 60%",
                baseline=52.0,
                delta=-2.0,
                delta_pct=-3.8,
            )
            for j in range(segments)
        )
        series = (
            tuple(SeriesPoint(f"2026-06-{(d % 28) + 1:02d}", 50 + (d * 7919 % 13), 40) for d in range(days))
            if days
            else None
        )
        results.append(
            MetricResult(
                f"m{i}",
                f"{title} {i}" if metrics > 1 else title,
                "share",
                "s",
                "%",
                "higher",
                "fail",
                55.5,
                n=1000,
                interval=(52.0, 59.0),
                target=">= 60%",
                warn=">= 65%",
                window=window,
                segments=segs,
                series=series,
                baseline=57.0,
                delta=-1.5,
                delta_pct=-2.6,
            )
        )
    return Scorecard("Synthetic", run, tuple(results))


def test_fifty_metrics_with_segments_and_a_90_day_series_stay_under_a_megabyte():
    page = HtmlReporter().render(synthetic(50, 10, 90), {})
    assert len(page.encode()) < 1_000_000, len(page.encode())


def test_the_summary_table_comes_first_and_links_every_metric_to_its_card(browser, demo):
    card, page_path, _ = demo
    context, page, _ = open_page(browser, page_path)
    try:
        summary, first_card = page.locator("section.summary"), page.locator("article.card").first
        assert summary.bounding_box()["y"] < first_card.bounding_box()["y"]
        rows = page.locator(".summary tbody tr")
        assert rows.count() == len(card.metrics)
        for i, metric in enumerate(card.metrics):
            row = rows.nth(i)
            assert row.locator("th a").get_attribute("href") == f"#metric-{metric.id}"
            assert row.locator("th a").inner_text() == metric.title
            assert row.get_attribute("data-status") == metric.status
        page.locator(f".summary a[href='#metric-{card.metrics[-1].id}']").click()
        assert page.evaluate("location.hash") == f"#metric-{card.metrics[-1].id}"
    finally:
        context.close()


def test_axes_carry_units_percentages_run_0_to_100_and_hours_targets_draw_in_hours(browser, tmp_path, write_config):
    import kpiframe
    from conftest import AS_OF, TICKETS, write_parquet

    data = write_parquet(tmp_path / "t.parquet", TICKETS)
    config = write_config(
        f"version: 1\nwindow: {{last: 30d}}\nsources: {{t: {{connector: parquet, path: {data}, time:"
        " created_at}}\nmetrics:\n  email: {calc: share, source: t, params: {match: \"channel == 'email'\"},"
        " target: '>= 40%'}\n  frt: {calc: duration, source: t, params: {start: created_at, end: first_response_at,"
        " unit: min}, target: '<= 2h'}\n  plain: {calc: count, source: t}\n"
    )
    scorecard = kpiframe.run(config, as_of=AS_OF)
    page_path = tmp_path / "axes.html"
    from kpiframe.reporters.html import HtmlReporter

    page_path.write_text(HtmlReporter().render(scorecard, {}))
    context, page, _ = open_page(browser, page_path)
    try:
        share_ticks = page.locator("#metric-email svg.bullet text.axis").all_text_contents()
        assert share_ticks == ["0%", "50%", "100%"]
        hour_ticks = page.locator("#metric-frt svg.bullet text.axis").all_text_contents()
        assert hour_ticks[0] == "0 h" and all(t.endswith(" h") for t in hour_ticks)
        assert page.locator("#metric-plain svg.bullet").count() == 0  # info: nothing to measure against
        assert page.locator("#metric-frt code.calc").inner_text() == "duration"
    finally:
        context.close()


def test_the_dark_theme_follows_the_system(browser, demo, tmp_path):
    _, page_path, folder = demo
    context = browser.new_context(color_scheme="dark", viewport={"width": 1100, "height": 900})
    try:
        page = context.new_page()
        page.goto(page_path.as_uri())
        background = page.evaluate("getComputedStyle(document.body).backgroundColor")
        track = page.evaluate("getComputedStyle(document.querySelector('svg.bullet .track')).fill")
        assert background == "rgb(13, 17, 23)" and track == "rgb(38, 44, 54)"
        page.screenshot(path=str(folder / "report-dark.png"), full_page=False)
    finally:
        context.close()
