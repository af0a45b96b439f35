"""Every verdict that is not a pass says why: which level was missed and by how much,
in every report format, and the baseline it was measured against in the scorecard's zone.

The story: a voice team's average wait was 17 s in October and 22.8 s in November.
The value target (<= 30 s) holds, the change target (<= +10%) does not, so the
metric fails, and each report must say "change +X% against the run of 2026-10".
The percentage is worked out here from the rows, in plain Python.
"""

from __future__ import annotations

import csv
import html
import json
import xml.etree.ElementTree as ET
from dataclasses import replace
from datetime import datetime, timedelta
from pathlib import Path

import pytest

from kpiframe.config.comparisons import parse_comparison
from kpiframe.config.model import Level, MetricSpec
from kpiframe.contracts import Value
from kpiframe.engine.evaluate import status_of
from kpiframe.engine.windows import period_name

OCTOBER = [12, 15, 17, 19, 22] * 8  # mean 17
NOVEMBER = [18, 21, 23, 25, 27] * 8  # mean 22.8

CONFIG = """
version: 1
title: Voice waits
timezone: Europe/Berlin
window: {calendar: previous_month}
sources:
  calls: {connector: csv, path: calls.csv, time: called_at}
metrics:
  asa:
    title: Average speed of answer
    calc: mean
    source: calls
    params: {column: wait, unit: s}
    target: {value: "<= 30s", change: "<= +10%"}
    by: [queue]
"""


def write_calls(path: Path) -> None:
    """October's and November's calls, local Berlin times at noon, two queues alike."""
    with path.open("w", newline="") as handle:
        out = csv.writer(handle)
        out.writerow(["called_at", "queue", "wait"])
        for month, waits in ((10, OCTOBER), (11, NOVEMBER)):
            for i, wait in enumerate(waits):
                day = datetime(2026, month, 1, 12) + timedelta(days=i % 28)
                out.writerow([day.isoformat(sep=" "), "billing" if i % 2 else "sales", wait])


def change_pct(new: list[int], old: list[int]) -> float:
    new_mean, old_mean = sum(new) / len(new), sum(old) / len(old)
    return 100 * (new_mean - old_mean) / old_mean


@pytest.fixture
def story(tmp_path, write_config, cli):
    """Run October (recorded in the history), then November, with every report written."""
    write_calls(tmp_path / "calls.csv")
    config = write_config(CONFIG)
    store = tmp_path / "h.duckdb"
    first = cli("run", config, "--as-of", "2026-11-05T10:00:00Z", "--history", store, "--quiet")
    assert first.exit_code == 0, first.output
    outputs = {kind: tmp_path / f"card.{ext}" for kind, ext in (("json", "json"), ("html", "html"), ("markdown", "md"))}
    outputs["junit"], outputs["csv"] = tmp_path / "junit.xml", tmp_path / "card.csv"
    args = [arg for kind, path in outputs.items() for arg in ("-o", f"{kind}={path}")]
    result = cli("run", config, "--as-of", "2026-12-05T10:00:00Z", "--history", store, *args)
    return result, outputs


def expected_change_reason() -> str:
    pct = change_pct(NOVEMBER, OCTOBER)
    return f"change +{pct:.1f}% against the run of 2026-10 (17 s) is worse than the target's +10%"


def test_a_change_failure_with_the_value_inside_its_target_says_so_in_the_json(story):
    result, outputs = story
    assert result.exit_code == 1
    metric = json.loads(outputs["json"].read_text())["metrics"][0]
    assert metric["value"] == pytest.approx(sum(NOVEMBER) / len(NOVEMBER)) and metric["value"] <= 30
    assert metric["status"] == "fail"
    assert metric["reason"] == expected_change_reason()
    for segment in metric["segments"]:  # each queue moved by the same share
        assert segment["status"] == "fail" and segment["reason"] == expected_change_reason()


def test_the_terminal_table_lists_the_reason_under_the_table(story):
    result, _ = story
    assert f"FAIL asa: {expected_change_reason()}" in result.stdout
    assert f"FAIL asa queue=billing: {expected_change_reason()}" in result.stdout


def test_markdown_junit_csv_and_html_carry_the_same_reason(story):
    _, outputs = story
    reason = expected_change_reason()
    markdown = outputs["markdown"].read_text()
    assert f"- **asa** (FAIL): {reason}" in markdown and f"- **asa** queue=sales (FAIL): {reason}" in markdown
    failures = [f.get("message", "") for f in ET.parse(outputs["junit"]).iter("failure")]
    assert any(reason in message for message in failures)
    rows = list(csv.DictReader(outputs["csv"].open()))
    assert {row["reason"] for row in rows if row["status"] == "fail"} == {reason}
    page = html.unescape(outputs["html"].read_text())
    assert page.count(reason) == 1 + len(json.loads(outputs["json"].read_text())["metrics"][0]["segments"])


def test_the_baseline_window_is_shown_in_the_scorecards_zone_not_raw_utc(story):
    _, outputs = story
    metric = json.loads(outputs["json"].read_text())["metrics"][0]
    label = metric["baseline_window"]["label"]
    # October in Berlin starts 2026-09-30T22:00Z and ends 2026-10-31T23:00Z; people read local dates.
    assert label.startswith("the run of 2026-10: 2026-10-01 to 2026-11-01, run ")
    assert "T22:00:00Z" not in label and "T22:00:00Z" not in outputs["html"].read_text().split("<main", 1)[-1]
    assert metric["baseline_window"]["start"] == "2026-09-30T22:00:00Z"


def spec(target: str | None = None, warn: str | None = None) -> MetricSpec:
    level = lambda text: Level(value=parse_comparison(text)) if text else None  # noqa: E731
    return MetricSpec("asa", "mean", "calls", "ASA", {}, "s", "lower", target=level(target), warn=level(warn))


def test_a_missed_warn_level_on_the_value_names_the_value_and_the_bound():
    status, reason = status_of(spec("<= 30s", "<= 20s"), Value(22.79, n=100), None)
    assert status == "warn" and reason == "22.79 s > 20 s (the warn level is <= 20s)"


def test_a_missed_value_target_names_the_value_and_the_bound():
    status, reason = status_of(spec("<= 20s"), Value(22.79, n=100), None)
    assert status == "fail" and reason == "22.79 s > 20 s (the target is <= 20s)"


def test_a_missed_change_warn_names_the_warn_level_and_the_baseline():
    from kpiframe.config.comparisons import parse_change

    metric = replace(spec("<= 30s"), warn=Level(change=parse_change("<= +5%")))
    status, reason = status_of(metric, Value(21.5, n=100), None, baseline=20.0, against="2026-09")
    assert status == "warn"
    assert reason == f"change +{100 * (21.5 - 20) / 20:.1f}% against 2026-09 (20 s) is worse than the warn level's +5%"


def test_a_worse_change_on_a_percentage_metric_reads_in_points_and_both_missed_parts_are_listed():
    from kpiframe.config.comparisons import parse_change

    target = Level(value=parse_comparison(">= 80%"), change=parse_change(">= -2 points"))
    metric = MetricSpec("sl", "share", "calls", "SL", {}, "%", "higher", target=target)
    status, reason = status_of(metric, Value(75.0, n=500), None, baseline=78.5, against="the run of 2026-10")
    assert status == "fail"
    assert reason == (
        "75.0% < 80.0% (the target is >= 80%); "
        f"change {75.0 - 78.5:+.1f} pts against the run of 2026-10 (78.5%) is worse than the target's -2 points"
    )


def test_a_value_outside_a_range_says_outside_and_significance_adds_the_interval():
    metric = replace(spec("between 10s and 20s"), confidence="significant")
    status, reason = status_of(metric, Value(25.0, n=100, interval=(22.0, 28.0)), None)
    assert status == "fail"
    assert (
        reason
        == "25 s is outside 10 s to 20 s (the target is between 10s and 20s), and so is the whole 95% interval 22.00–28.00 s"
    )


def test_missing_the_target_by_a_no_data_or_an_error_keeps_its_own_reason():
    assert status_of(spec("<= 20s"), Value.no_data("no rows in the window", n=0), None) == (
        "no_data",
        "no rows in the window",
    )
    assert status_of(replace(spec("<= 20s"), min_sample=30), Value(40.0, n=3), None)[1] == (
        "sample of 3 is below min_sample 30"
    )
    assert status_of(spec("<= 20s"), None, "source calls: file not found") == ("error", "source calls: file not found")


@pytest.mark.parametrize(
    ("start", "end", "zone", "name"),
    [
        ("2026-09-30T22:00:00Z", "2026-10-31T23:00:00Z", "Europe/Berlin", "2026-10"),
        ("2026-10-01T00:00:00Z", "2027-01-01T00:00:00Z", "UTC", "2026-Q4"),
        ("2026-01-01T00:00:00Z", "2027-01-01T00:00:00Z", "UTC", "2026"),
        ("2026-10-05T00:00:00Z", "2026-10-12T00:00:00Z", "UTC", "the week of 2026-10-05"),
        ("2026-10-05T00:00:00Z", "2026-10-06T00:00:00Z", "UTC", "2026-10-05"),
        # Berlin's October read in UTC is not a whole month there: the local times say so.
        ("2026-09-30T22:00:00Z", "2026-10-31T23:00:00Z", "UTC", "2026-09-30 22:00 to 2026-10-31 23:00 (UTC)"),
        ("2026-10-03T00:00:00Z", "2026-10-13T00:00:00Z", "UTC", "2026-10-03 to 2026-10-13"),
    ],
)
def test_a_baselines_window_is_named_in_the_reporting_zone(start, end, zone, name):
    assert period_name(start, end, zone) == name


def test_a_change_beyond_the_noise_gate_says_the_range_of_the_recent_runs():
    from kpiframe.config.comparisons import parse_change

    target = Level(change=parse_change("<= +10%"), noise_runs=3)
    metric = replace(spec(), target=target)
    noise = {3: (17.0, 18.0)}
    assert status_of(metric, Value(19.5, n=100), None, baseline=17.0, noise=noise, against="2026-10") == (
        "fail",
        f"change +{100 * (19.5 - 17) / 17:.1f}% against 2026-10 (17 s) is worse than the target's +10%,"
        " outside the range of the last 3 runs (17 s to 18 s)",
    )
    # Within the range of the recent runs: noise, not a regression.
    assert status_of(metric, Value(17.9, n=100), None, baseline=16.0, noise=noise)[0] == "pass"


def test_a_baseline_scorecard_file_is_described_by_its_window_in_the_reporting_zone():
    from kpiframe.baselines import Baselines

    card = {
        "run": {
            "as_of": "2026-11-05T10:00:00Z",
            "window": {"start": "2026-09-30T22:00:00Z", "end": "2026-10-31T23:00:00Z"},
        },
        "metrics": [{"id": "asa", "value": 17.0}],
    }
    value, source = Baselines.from_scorecard(card, "given with --baseline", zone="Europe/Berlin").value(spec())
    assert value == 17.0 and source is not None
    assert source.label == "scorecard given with --baseline (window 2026-10-01 to 2026-11-01)"
    garbled = {"run": {"as_of": "2026-11-05T10:00:00Z", "window": {"start": 5, "end": "x"}}, "metrics": []}
    assert (
        Baselines.from_scorecard(garbled, "old.json").description == "scorecard old.json (as of 2026-11-05T10:00:00Z)"
    )
