"""The pytest plugin, run as a user runs it: ``pytest --kpiframe kpis.yaml`` in a fresh project (pytester).

Each run is a subprocess, so the plugin loads as pytest loads it and nothing
leaks between runs. ``-p no:kpiframe -p kpiframe.pytest_plugin`` loads this
worktree's module whether or not the entry point is installed yet. The expected
values are worked out by hand from the CSV each test writes.
"""

from __future__ import annotations

import json
import sys
import textwrap
from importlib.metadata import entry_points
from pathlib import Path
from typing import Any
from xml.etree import ElementTree as ET

import pytest

pytest_plugins = ["pytester"]

PLUGIN = ("-p", "no:kpiframe", "-p", "kpiframe.pytest_plugin", "-p", "no:cacheprovider")

WAITS = """\
ts,channel,wait
2026-02-10T10:00:00,phone,10
2026-02-11T10:00:00,phone,20
2026-02-12T10:00:00,email,100
2026-02-13T10:00:00,email,300
"""
# mean 107.5, max 300, min 10; phone mean 15, email mean 200.

CONFIG = """\
version: 1
title: Waits
as_of: "2026-03-01T00:00:00Z"
window: {last: 30d}
plugins: [./counter.py]
sources:
  waits: {connector: csv, path: waits.csv, time: ts}
  gone: {connector: csv, path: missing.csv, time: ts}
metrics:
  mean_wait:
    calc: mean
    source: waits
    params: {column: wait}
    target: "<= 200"
  max_wait:
    calc: max
    source: waits
    params: {column: wait}
    target: "<= 200"
  wait_by_channel:
    calc: mean
    source: waits
    params: {column: wait}
    by: [channel]
    target: "<= 250"
    targets: {"channel=phone": "<= 12"}
  min_wait:
    calc: min
    source: waits
    params: {column: wait}
    target: "<= 100"
    warn: "<= 5"
  broken:
    calc: mean
    source: gone
    params: {column: wait}
    target: "<= 1"
"""

# A config plugin that counts runs: one line per scorecard.
COUNTER = """\
from pathlib import Path

from kpiframe import hookimpl


@hookimpl
def kpiframe_scorecard_ready(scorecard):
    with open(Path(__file__).with_name("runs.txt"), "a") as runs:
        runs.write(scorecard.run.as_of + "\\n")
"""


@pytest.fixture
def project(pytester: pytest.Pytester) -> pytest.Pytester:
    (pytester.path / "waits.csv").write_text(WAITS, encoding="utf-8")
    (pytester.path / "counter.py").write_text(COUNTER, encoding="utf-8")
    (pytester.path / "kpis.yaml").write_text(CONFIG, encoding="utf-8")
    return pytester


def run(pytester: pytest.Pytester, *args: str) -> pytest.RunResult:
    return pytester.runpytest_subprocess(*PLUGIN, *args)


def runs_recorded(pytester: pytest.Pytester) -> list[str]:
    path = pytester.path / "runs.txt"
    return path.read_text(encoding="utf-8").splitlines() if path.exists() else []


def test_pass_fail_error_and_warn_become_passed_failed_error_and_a_warning(project):
    result = run(project, "--kpiframe", "kpis.yaml", "-rA")
    # passed: mean_wait (107.5), wait_by_channel (email 200 <= 250; phone has its own item), min_wait (warn)
    result.assert_outcomes(passed=3, failed=2, errors=1, warnings=1)
    assert result.ret == pytest.ExitCode.TESTS_FAILED
    out = result.stdout.str()
    result.stdout.fnmatch_lines(
        [
            "ERROR kpis.yaml::broken - KpiError: broken: error: source 'gone' could not*",
            "FAILED kpis.yaml::max_wait - KpiFailure: max_wait: fail 300 (target <= 200)*",
            "FAILED kpis.yaml::wait_by_channel[[]channel=phone[]] - *",
        ]
    )
    assert "channel=phone: fail 15 (target <= 12): 15 > 12 (the target is <= 12)" in out
    assert "max_wait: fail 300 (target <= 200): 300 > 200 (the target is <= 200)" in out  # the failure says why
    assert "at kpis.yaml:15" in out  # max_wait's line in the config
    # warn is a pass with a warning in the summary, attributed to the metric's line
    result.stdout.fnmatch_lines(["*kpis.yaml:27: KpiframeWarning: min_wait: warn 10 (target <= 100, warn <= 5)*"])
    assert "PASSED kpis.yaml::min_wait" in out
    # A KPI's verdict is a message, not a traceback through the plugin.
    assert "pytest_plugin.py" not in out and "Traceback" not in out


def test_junitxml_has_one_testcase_per_item_with_failure_error_and_the_status_as_a_property(project):
    run(project, "--kpiframe", "kpis.yaml", "--junitxml", "report.xml")
    suite = ET.parse(project.path / "report.xml").getroot().find("testsuite")
    assert suite is not None
    assert (suite.get("tests"), suite.get("failures"), suite.get("errors"), suite.get("skipped")) == (
        "6",
        "2",
        "1",
        "0",
    )
    cases = {case.get("name"): case for case in suite.iter("testcase")}
    assert list(cases) == [
        "mean_wait",
        "max_wait",
        "wait_by_channel",
        "wait_by_channel[channel=phone]",
        "min_wait",
        "broken",
    ]
    assert {case.get("classname") for case in cases.values()} == {"kpis.yaml"}
    failure = cases["max_wait"].find("failure")
    assert failure is not None and "max_wait: fail 300 (target <= 200)" in (failure.text or "")
    error = cases["broken"].find("error")
    assert error is not None and "missing.csv" in (error.text or "")
    assert cases["mean_wait"].find("failure") is None and cases["mean_wait"].find("error") is None
    statuses = {
        name: {p.get("name"): p.get("value") for p in case.iter("property")}["kpiframe_status"]
        for name, case in cases.items()
    }
    assert statuses == {
        "mean_wait": "pass",
        "max_wait": "fail",
        "wait_by_channel": "pass",
        "wait_by_channel[channel=phone]": "fail",
        "min_wait": "warn",
        "broken": "error",
    }


def test_k_selects_items_by_metric_id(project):
    result = run(project, "--kpiframe", "kpis.yaml", "-k", "wait_by_channel", "-v")
    result.assert_outcomes(passed=1, failed=1, deselected=4)
    result = run(project, "--kpiframe", "kpis.yaml", "-k", "mean or min", "-v")
    result.assert_outcomes(passed=2, warnings=1, deselected=4)
    assert result.ret == pytest.ExitCode.OK


def test_x_stops_at_the_first_failing_kpi(project):
    result = run(project, "--kpiframe", "kpis.yaml", "-x")
    result.assert_outcomes(passed=1, failed=1)  # mean_wait, then max_wait fails and nothing else runs
    assert result.ret == pytest.ExitCode.TESTS_FAILED


def test_the_config_runs_once_per_session_and_only_when_an_item_is_selected(project):
    run(project, "--kpiframe", "kpis.yaml")
    assert runs_recorded(project) == ["2026-03-01T00:00:00Z"]
    (project.path / "runs.txt").unlink()
    result = run(project, "--kpiframe", "kpis.yaml", "-k", "no_such_metric")
    assert result.ret == pytest.ExitCode.NO_TESTS_COLLECTED
    result = run(project, "--kpiframe", "kpis.yaml", "--collect-only", "-q")
    assert "kpis.yaml::wait_by_channel[channel=phone]" in result.stdout.str()
    assert runs_recorded(project) == []


def test_as_of_moves_the_window_and_history_records_the_run(project):
    # Windows end 2026-02-12T00:00Z: the last 30 days hold only the two phone rows (10, 20).
    result = run(
        project,
        "--kpiframe",
        "kpis.yaml",
        "--kpiframe-as-of",
        "2026-02-12",
        "--kpiframe-history",
        "h.duckdb",
        "-k",
        "max",
    )
    result.assert_outcomes(passed=1, deselected=5)  # max 20 <= 200
    # Read in another process: pytester drops the modules a test imports (DuckDB's cannot be imported twice).
    read = project.run(
        sys.executable,
        "-c",
        "import json; from kpiframe.history import open_history;"
        " print(json.dumps([r.scorecard for r in open_history('h.duckdb').runs('Waits')]))",
    )
    (recorded,) = json.loads(read.stdout.lines[-1])
    assert recorded["run"]["as_of"] == "2026-02-12T00:00:00Z"
    assert {m["id"]: m["value"] for m in recorded["metrics"]}["max_wait"] == 20


def test_a_bad_as_of_is_a_usage_error(project):
    result = run(project, "--kpiframe", "kpis.yaml", "--kpiframe-as-of", "last tuesday")
    assert result.ret == pytest.ExitCode.USAGE_ERROR
    result.stderr.fnmatch_lines(["*--kpiframe-as-of: expected a date or timestamp*'last tuesday'*"])


def test_no_data_is_skipped_with_its_reason_and_fails_with_fail_on_no_data(project):
    (project.path / "empty.yaml").write_text(
        textwrap.dedent(
            """\
            version: 1
            as_of: "2026-06-01T00:00:00Z"
            window: {last: 7d}
            sources:
              waits: {connector: csv, path: waits.csv, time: ts}
            metrics:
              mean_wait: {calc: mean, source: waits, params: {column: wait}, target: "<= 200"}
            """
        ),
        encoding="utf-8",
    )
    result = run(project, "--kpiframe", "empty.yaml", "-rs")
    result.assert_outcomes(skipped=1)
    result.stdout.fnmatch_lines(
        ["SKIPPED [[]1[]] empty.yaml:7: mean_wait: no_data (target <= 200): waits has 4 rows *"]
    )
    assert result.ret == pytest.ExitCode.OK
    result = run(project, "--kpiframe", "empty.yaml", "--kpiframe-fail-on", "no_data")
    result.assert_outcomes(failed=1)


def test_fail_on_warn_fails_a_warn(project):
    result = run(project, "--kpiframe", "kpis.yaml", "-k", "min_wait", "--kpiframe-fail-on", "warn")
    result.assert_outcomes(failed=1, deselected=5)
    result.stdout.fnmatch_lines(
        [
            "min_wait: warn 10 (target <= 100, warn <= 5): 10 > 5 (the warn level is <= 5)",
            "FAILED kpis.yaml::min_wait - KpiFailure: *",
        ]
    )
    # Warnings turned into errors, as pytest users do, fail it the same way.
    result = run(
        project, "--kpiframe", "kpis.yaml", "-k", "min_wait", "-W", "error::kpiframe.pytest_plugin.KpiframeWarning"
    )
    result.assert_outcomes(failed=1, deselected=5)
    result.stdout.fnmatch_lines(
        ["min_wait: warn 10 (target <= 100, warn <= 5): 10 > 5 (the warn level is <= 5)", "  at kpis.yaml:27"]
    )
    assert "pytest_plugin.py" not in result.stdout.str()


def test_a_config_error_is_a_collection_error_that_names_the_line_without_a_traceback(project):
    (project.path / "kpis.yaml").write_text(CONFIG.replace("calc: max", "calc: maxx"), encoding="utf-8")
    result = run(project, "--kpiframe", "kpis.yaml")
    assert result.ret == pytest.ExitCode.INTERRUPTED
    out = result.stdout.str()
    result.stdout.fnmatch_lines(["*ERROR collecting kpis.yaml*", "kpis.yaml:16:11: metrics.max_wait.calc: *maxx*"])
    assert "Traceback" not in out and "pytest_plugin.py" not in out
    assert runs_recorded(project) == []


def test_a_run_that_cannot_start_is_an_error_of_every_item_and_is_tried_once(project):
    (project.path / "h.duckdb").write_text("not a history store", encoding="utf-8")
    result = run(project, "--kpiframe", "kpis.yaml", "--kpiframe-history", "h.duckdb")
    result.assert_outcomes(errors=6)
    assert result.stdout.str().count("ERROR at setup of") == 6
    result.stdout.fnmatch_lines(["ERROR kpis.yaml::mean_wait - KpiError: kpis.yaml: *h.duckdb*"])
    assert runs_recorded(project) == []  # refused before any metric was computed
    assert (project.path / "h.duckdb").read_text(encoding="utf-8") == "not a history store"


def test_a_crash_is_shown_once_with_its_traceback_and_the_config_is_not_run_again(project):
    (project.path / "counter.py").write_text(
        COUNTER + "    raise RuntimeError('the notifier broke')\n", encoding="utf-8"
    )
    result = run(project, "--kpiframe", "kpis.yaml")
    result.assert_outcomes(errors=6)
    assert runs_recorded(project) == ["2026-03-01T00:00:00Z"]
    out = result.stdout.str()
    assert out.count("RuntimeError: the notifier broke") == 2  # the traceback and the short summary
    assert out.count("the run of kpis.yaml crashed (RuntimeError); see the first error") >= 5


def test_a_column_the_source_lacks_errors_the_items_with_the_located_problem(project):
    # kpiframe checks every metric against its source's columns before the first query:
    # a config mistake, reported at its key with the closest name, not a metric's verdict.
    (project.path / "kpis.yaml").write_text(
        CONFIG.replace("params: {column: wait}", "params: {column: wiat}", 1), encoding="utf-8"
    )
    result = run(project, "--kpiframe", "kpis.yaml", "-k", "mean_wait")
    result.assert_outcomes(errors=1, deselected=5)
    result.stdout.fnmatch_lines(
        ["*kpis.yaml:13:22: metrics.mean_wait.params.column: unknown column 'wiat'*did you mean 'wait'*"]
    )


def test_the_ini_option_lists_configs_to_test(project):
    project.makeini("[pytest]\nkpiframe_configs = kpis.yaml\n")
    result = run(project, "-k", "mean_wait")
    result.assert_outcomes(passed=1, deselected=5)


def test_the_users_own_tests_run_beside_the_kpis(project):
    project.makepyfile(test_mine="def test_mine():\n    assert 1 + 1 == 2\n")
    result = run(project, "--kpiframe", "kpis.yaml", "-k", "mine or mean_wait")
    result.assert_outcomes(passed=2, deselected=5)


def test_without_kpiframe_the_plugin_collects_nothing_and_imports_nothing_heavy(pytester):
    pytester.makepyfile(test_mine="def test_mine():\n    pass\n")
    probe = textwrap.dedent(
        """\
        import sys
        import pytest
        code = pytest.main(["-p", "no:kpiframe", "-p", "kpiframe.pytest_plugin", "-q", "-p", "no:cacheprovider"])
        assert "kpiframe.pytest_plugin" in sys.modules
        heavy = sorted(m for m in ("ibis", "duckdb", "pyarrow", "yaml", "jinja2", "jsonschema", "typer", "kpiframe.api")
                       if m in sys.modules)
        print("HEAVY", heavy, "CODE", int(code))
        """
    )
    result = pytester.run(sys.executable, "-c", probe)
    result.stdout.fnmatch_lines(["*1 passed*", "HEAVY [[][]] CODE 0"])


def test_kpiframe_options_without_a_config_are_a_usage_error(pytester):
    result = pytester.runpytest_subprocess(*PLUGIN, "--kpiframe-history", "h.duckdb")
    assert result.ret == pytest.ExitCode.USAGE_ERROR
    result.stderr.fnmatch_lines(["*need a config: add --kpiframe CONFIG*"])


def test_the_entry_point_is_declared_in_the_installed_metadata():
    """pytest finds the plugin by this entry point (``make test`` reinstalls when pyproject.toml changes)."""
    found = {ep.name: ep.value for ep in entry_points(group="pytest11") if ep.dist and ep.dist.name == "kpiframe"}
    assert found == {"kpiframe": "kpiframe.pytest_plugin"}
    assert (
        Path(__file__)
        .parents[1]
        .joinpath("pyproject.toml")
        .read_text(encoding="utf-8")
        .count('kpiframe = "kpiframe.pytest_plugin"')
        == 1
    )


def test_a_segment_target_with_no_such_segment_in_the_window_is_skipped(project):
    # Windows end 14 March: the last 30 days hold only the email rows.
    result = run(project, "--kpiframe", "kpis.yaml", "--kpiframe-as-of", "2026-03-14", "-k", "phone", "-rs")
    result.assert_outcomes(skipped=1, deselected=5)
    result.stdout.fnmatch_lines(["SKIPPED * wait_by_channel: no segment channel=phone in the window"])


def frt(*segments: tuple[dict[str, str], str, float], hidden: int = 0) -> Any:
    from kpiframe.scorecard import MetricResult, SegmentResult
    from kpiframe.status import Status

    return MetricResult(
        id="frt",
        title="FRT",
        calc="duration",
        source="tickets",
        unit="h",
        direction="lower",
        status=Status.PASS,
        value=20.0,
        target="<= 24h",
        hidden_segments=hidden,
        segments=tuple(
            SegmentResult(
                key=key,
                label=", ".join(f"{k}={v}" for k, v in key.items()),
                status=Status(status),
                value=value,
                target="<= 24h",
            )
            for key, status, value in segments
        ),
    )


PHONE, GOLD = (("channel", "phone"),), (("tier", "gold"),)


def test_a_segment_belongs_to_the_first_own_target_it_matches_case_insensitively_as_the_run_judged_it():
    from kpiframe.pytest_verdicts import verdict

    metric = frt(
        ({"channel": "Phone", "tier": "gold"}, "fail", 30.0),  # matches both: the first target judged it
        ({"channel": "email", "tier": "gold"}, "warn", 22.0),
        ({"channel": "email", "tier": "basic"}, "fail", 26.0),  # no own target: the metric's item
    )
    levels = {PHONE: object(), GOLD: object()}
    assert verdict(metric, PHONE, levels) == (
        "fail",
        "frt segments channel=phone\n  channel=Phone, tier=gold: fail 30 h (target <= 24h)",
    )
    assert verdict(metric, GOLD, levels)[0] == "warn"
    assert verdict(metric, None, levels) == (
        "fail",
        "frt: pass 20 h (target <= 24h)\n  channel=email, tier=basic: fail 26 h (target <= 24h)",
    )


def test_a_metric_item_lists_only_its_segments_that_did_not_pass():
    from kpiframe.pytest_verdicts import verdict

    metric = frt(({"channel": "chat"}, "pass", 1.0), ({"channel": "email"}, "warn", 23.5))
    assert verdict(metric, None, {}) == (
        "warn",
        "frt: pass 20 h (target <= 24h)\n  channel=email: warn 23.50 h (target <= 24h)",
    )


def test_a_segment_target_without_its_segment_says_how_many_segments_top_hid():
    from kpiframe.pytest_verdicts import verdict

    assert verdict(frt(({"channel": "chat"}, "pass", 1.0), hidden=3), PHONE, {PHONE: object()}) == (
        "no_data",
        "frt: no segment channel=phone in the window (3 segments hidden by top/worst)",
    )
