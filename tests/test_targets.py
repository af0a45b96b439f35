"""Targets, warn levels, min_sample, statuses and the exit-code contract."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from kpiframe.config.comparisons import parse_comparison
from kpiframe.config.model import Level, MetricSpec
from kpiframe.contracts import Value
from kpiframe.engine.evaluate import exit_code, status_of
from kpiframe.exit_codes import ExitCode
from kpiframe.scorecard import MetricResult, RunInfo, Scorecard, WindowInfo


@pytest.mark.parametrize(
    ("target", "unit", "value", "holds"),
    [
        ("<= 60", "s", 60, True),
        ("<= 60", "s", 60.0001, False),
        ("< 60", "s", 60, False),
        (">= 85%", "%", 85.0, True),
        (">= 85%", "%", 84.99, False),
        ("> 0", "count", 1, True),
        ("== 0", "count", 0, True),
        ("= 3", "count", 3, True),
        ("< 4h", "min", 239, True),
        ("< 4h", "min", 240, False),
        ("<= 1.5h", "s", 5400, True),
        ("<= 90min", "h", 1.5, True),
        ("<= 20s", "min", 0.5, False),
        ("between 10 and 20", "number", 10, True),
        ("between 10 and 20", "number", 20, True),
        ("between 20 and 10", "number", 15, True),
        ("between 10 and 20", "number", 20.5, False),
        ("between 1h and 2h", "min", 90, True),
        (">= -5", "number", -4, True),
    ],
)
def test_comparisons(target, unit, value, holds):
    assert parse_comparison(target).holds(value, unit) is holds


@pytest.mark.parametrize("bad", ["sixty", "<=", "~ 5", "between 1", "<= 5 apples", "> 5%%", 60])
def test_malformed_targets_are_refused(bad):
    with pytest.raises(ValueError, match="expected"):
        parse_comparison(bad)


def test_unit_mismatches_are_refused():
    with pytest.raises(ValueError, match="'4h' is a duration but the metric's unit is '%'"):
        parse_comparison("< 4h").check_unit("%")
    with pytest.raises(ValueError, match="'85%' is a percentage but the metric's unit is 'count'"):
        parse_comparison(">= 85%").check_unit("count")


def spec(
    target: str | None = None, warn: str | None = None, min_sample: int | None = None, unit: str = "s"
) -> MetricSpec:
    return MetricSpec(
        id="m",
        calc="mean",
        source="s",
        title="M",
        params={},
        unit=unit,
        direction="lower",
        target=Level(value=parse_comparison(target)) if target else None,
        warn=Level(value=parse_comparison(warn)) if warn else None,
        min_sample=min_sample,
    )


@pytest.mark.parametrize(
    ("target", "warn", "min_sample", "value", "n", "status"),
    [
        ("<= 60", "<= 45", None, 30, 100, "pass"),
        ("<= 60", "<= 45", None, 50, 100, "warn"),
        ("<= 60", "<= 45", None, 70, 100, "fail"),
        ("<= 60", None, 30, 70, 29, "no_data"),  # too few rows for a verdict
        ("<= 60", None, 30, 70, 30, "fail"),
        (None, None, None, 70, 3, "info"),
        (None, "<= 45", None, 50, 3, "warn"),
        ("<= 60", None, None, None, 0, "no_data"),
    ],
)
def test_status_of(target, warn, min_sample, value, n, status):
    assert status_of(spec(target, warn, min_sample), Value(value, n=n), None)[0] == status


def test_error_wins_and_keeps_its_reason():
    assert status_of(spec("<= 60"), None, "source down") == ("error", "source down")


def card(*statuses: str) -> Scorecard:
    window = WindowInfo(None, None, "all time")
    run = RunInfo("c.yaml", "h", "2026-01-01T00:00:00Z", "2026-01-01T00:00:00Z", 0.1, "0", {}, window, 1)
    metrics = tuple(
        MetricResult(f"m{i}", "M", "count", "s", "count", "neutral", s, 1.0) for i, s in enumerate(statuses)
    )
    return Scorecard("T", run, metrics)


@pytest.mark.parametrize(
    ("statuses", "fail_on", "code"),
    [
        (("pass", "info"), "warn", ExitCode.OK),
        (("pass", "no_data"), "fail", ExitCode.OK),
        (("pass", "no_data"), "no_data", ExitCode.TARGET_FAILED),
        (("pass", "no_data"), "warn", ExitCode.TARGET_FAILED),  # warn < no_data: --fail-on warn gates it too
        (("pass", "warn"), "no_data", ExitCode.OK),
        (("pass", "fail"), "no_data", ExitCode.TARGET_FAILED),
        (("pass", "error"), "no_data", ExitCode.SOURCE_ERROR),
        (("pass", "warn"), "fail", ExitCode.OK),
        (("pass", "warn"), "warn", ExitCode.TARGET_FAILED),
        (("pass", "fail"), "fail", ExitCode.TARGET_FAILED),
        (("pass", "fail"), "error", ExitCode.OK),
        (("pass", "fail"), "never", ExitCode.OK),
        (("pass", "error"), "fail", ExitCode.SOURCE_ERROR),
        (("fail", "error"), "warn", ExitCode.SOURCE_ERROR),  # an incomplete verdict wins
        (("pass", "error"), "error", ExitCode.SOURCE_ERROR),
        (("error", "error"), "never", ExitCode.OK),
        ((), "fail", ExitCode.OK),
    ],
)
def test_exit_code_contract(statuses, fail_on, code):
    assert exit_code(card(*statuses), fail_on) == code


def test_exit_code_values_are_the_documented_ones():
    assert [int(c) for c in ExitCode] == [0, 1, 2, 3, 4]


def test_one_severity_order_serves_the_scorecard_the_gate_and_the_reports():
    from kpiframe.engine.evaluate import FAIL_ON, gates
    from kpiframe.scorecard import SEVERITY, STATUSES
    from kpiframe.status import Status

    assert [s.value for s in STATUSES] == ["pass", "info", "warn", "no_data", "fail", "error"]
    assert [Status(s).severity for s in STATUSES] == [0, 0, 1, 2, 3, 4] == [SEVERITY[s] for s in STATUSES]
    assert (
        Status.worst([Status.WARN, Status.NO_DATA, Status.INFO]) is Status.NO_DATA and Status.worst([]) is Status.PASS
    )
    # --fail-on X fails on X and every worse status, never on a better one.
    for level in FAIL_ON[1:]:
        assert [s.value for s in STATUSES if gates(s, level)] == [
            s.value for s in STATUSES if s.severity >= Status(level).severity
        ]
    assert Status.FAIL == "fail" and f"{Status.NO_DATA}" == "no_data"


def test_the_scorecard_carries_targets_as_data_so_reporters_never_parse_text(tickets, write_config):
    import jsonschema

    import kpiframe
    from kpiframe.scorecard import Scorecard

    path = write_config(f"""
        version: 1
        as_of: "2026-03-01T00:00:00Z"
        window: {{last: 30d}}
        sources: {{t: {{connector: parquet, path: {tickets}, time: created_at}}}}
        metrics:
          frt: {{calc: duration, source: t, params: {{start: created_at, end: first_response_at, unit: min}}, target: "<= 2h", warn: "<= 90min"}}
          wait: {{calc: mean, source: t, params: {{column: wait}}, target: {{value: "between 5 and 60", change: "<= 10% worse"}}, by: [channel], targets: {{"channel=chat": "<= 20"}}}}
        """)
    card = kpiframe.run(path)
    frt, wait = card.metric("frt"), card.metric("wait")
    assert (frt.target_level.op, frt.target_level.bounds, frt.target_level.written_unit) == ("<=", (120.0,), "h")
    assert (frt.warn_level.bounds, frt.warn_level.written_unit) == ((90.0,), "min")
    level = wait.target_level
    assert (level.op, level.bounds, level.change_op, level.change_limit, level.change_relative, level.change_worse) == (
        "between",
        (5.0, 60.0),
        "<=",
        10.0,
        True,
        True,
    )
    chat = next(s for s in wait.segments if s.label == "channel=chat")
    assert (chat.target_level.op, chat.target_level.bounds) == ("<=", (20.0,))
    data = card.to_dict()
    schema = json.loads((Path(kpiframe.__file__).parent / "schemas" / "scorecard-1.schema.json").read_text())
    jsonschema.Draft202012Validator(schema).validate(data)
    assert Scorecard.from_dict(data).metric("frt").target_level == frt.target_level
