"""What counts as news: status changes between two scorecards, metric by metric and segment by segment."""

from __future__ import annotations

import sys
from pathlib import Path

import pytest

try:
    import kpiframe_notify  # noqa: F401  (installed: make test)
except ImportError:  # a checkout without the package installed
    sys.path.insert(0, str(Path(__file__).parents[1] / "src"))

from kpiframe_notify.changes import changes, event
from kpiframe_notify.messages import BUILDERS, slack
from kpiframe_notify.settings import DEFAULT_EVENTS, EVENTS, read_settings

ALL = frozenset(EVENTS)
DEFAULT = frozenset(DEFAULT_EVENTS)

# (before, after) → event, written out by hand from the rules in the README.
TABLE = {
    (None, "pass"): None,
    (None, "fail"): "failed",
    (None, "error"): "error",
    (None, "warn"): "warned",
    (None, "no_data"): "no_data",
    ("pass", "pass"): None,
    ("pass", "info"): None,
    ("pass", "warn"): "warned",
    ("pass", "fail"): "failed",
    ("warn", "fail"): "failed",
    ("no_data", "fail"): "failed",
    ("error", "fail"): "failed",
    ("fail", "fail"): None,
    ("fail", "error"): "error",
    ("error", "error"): None,
    ("fail", "pass"): "recovered",
    ("fail", "warn"): "recovered",
    ("error", "info"): "recovered",
    ("fail", "no_data"): "no_data",
    ("warn", "warn"): None,
    ("warn", "pass"): None,
    ("no_data", "no_data"): None,
    ("no_data", "pass"): None,
}


@pytest.mark.parametrize(("before", "after"), list(TABLE))
def test_each_status_change_is_the_event_the_rules_name(before, after):
    assert event(before, after) == TABLE[(before, after)]


def card(*metrics: dict) -> dict:
    return {
        "title": "T",
        "status": "fail",
        "summary": {},
        "run": {"window": {"label": "last 1w"}},
        "metrics": list(metrics),
    }


def metric(mid: str, status: str, value: float | None = 1.0, segments: tuple = ()) -> dict:
    return {
        "id": mid,
        "title": mid.upper(),
        "unit": "h",
        "status": status,
        "value": value,
        "target": "<= 4h",
        "segments": list(segments),
    }


def test_by_default_only_red_errors_and_recoveries_are_news():
    before = card(
        metric("a", "pass"), metric("b", "fail"), metric("c", "pass"), metric("d", "pass"), metric("e", "fail")
    )
    after = card(
        metric("a", "fail"), metric("b", "pass"), metric("c", "warn"), metric("d", "error"), metric("e", "fail")
    )
    found = changes(after, before, DEFAULT)
    assert [(c.metric, c.event, c.before, c.after) for c in found] == [
        ("a", "failed", "pass", "fail"),
        ("b", "recovered", "fail", "pass"),
        ("d", "error", "pass", "error"),
    ]
    assert [c.metric for c in changes(after, before, ALL)] == ["a", "b", "c", "d"]


def test_a_segment_turning_red_is_news_even_when_its_metric_was_already_red():
    seg = lambda label, status: {"label": label, "status": status, "value": 5.0, "target": "<= 4h"}  # noqa: E731
    before = card(metric("frt", "fail", segments=(seg("channel=email", "pass"), seg("channel=chat", "fail"))))
    after = card(metric("frt", "fail", segments=(seg("channel=email", "fail"), seg("channel=chat", "fail"))))
    (found,) = changes(after, before, DEFAULT)
    assert (found.metric, found.segment, found.event) == ("frt", "channel=email", "failed")


def test_with_nothing_recorded_before_what_is_red_now_is_news():
    found = changes(card(metric("a", "pass"), metric("b", "fail")), None, DEFAULT)
    assert [(c.metric, c.before) for c in found] == [("b", None)]


def test_a_garbled_previous_scorecard_counts_as_nothing_recorded():
    found = changes(card(metric("a", "fail")), {"metrics": [None, {"id": 3}, "x"]}, DEFAULT)
    assert [c.metric for c in found] == ["a"]


def test_a_long_list_of_changes_is_capped_and_the_rest_counted():
    after = card(*[metric(f"m{i}", "fail") for i in range(30)])
    found = changes(after, None, DEFAULT)
    payload = BUILDERS["json"](after, found, 20, None)
    assert len(payload["changes"]) == 20 and payload["more_changes"] == 10
    assert slack(after, found, 20, None)["blocks"][1]["text"]["text"].endswith("… and 10 more")


def test_the_environment_can_add_a_webhook_and_bad_values_are_named():
    settings, problems = read_settings(None, frozenset(), {"KPIFRAME_NOTIFY_URL": "https://x.example/h"})
    assert [(h.format, h.from_environment) for h in settings.webhooks] == [("json", True)]
    _, problems = read_settings(
        None, frozenset(), {"KPIFRAME_NOTIFY_URL": "https://x.example/h", "KPIFRAME_NOTIFY_FORMAT": "discord"}
    )
    assert problems == [
        "KPIFRAME_NOTIFY_FORMAT='discord' is not one of json, slack, teams, teams-messagecard; nothing posted to it"
    ]
