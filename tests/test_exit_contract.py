"""The exit-code contract under hostile and broken input: 2 for the config or the command
line, 3 for a source, 4 when kpiframe itself crashes, and never a traceback or a 1
that a CI job would read as "a KPI regressed"."""

from __future__ import annotations

import json
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

from conftest import TICKETS, write_parquet

GOOD = """
version: 1
title: Exit contract
as_of: "2026-03-01T00:00:00Z"
window: {{last: 30d}}
sources:
  t: {{connector: parquet, path: tickets.parquet, time: created_at}}
metrics:
  n: {{calc: count, source: t, target: ">= 1"}}
  {extra}
"""


@pytest.fixture
def folder(tmp_path: Path) -> Path:
    write_parquet(tmp_path / "tickets.parquet", TICKETS)
    return tmp_path


def config(folder: Path, extra: str = "", **replace: str) -> Path:
    text = GOOD.format(extra=extra)
    for old, new in replace.items():
        text = text.replace(old, new)
    path = folder / "kpis.yaml"
    path.write_text(textwrap.dedent(text).lstrip(), encoding="utf-8")
    return path


def assert_clean(result, code: int, *needles: str) -> None:
    output = result.stdout + result.stderr
    assert result.exit_code == code, output
    assert "Traceback" not in output
    for needle in needles:
        assert needle in output, output


# --- config mistakes that used to crash: each is exit 2 with a location ---------------------


def test_a_recursive_alias_is_a_located_config_error(folder, cli):
    path = folder / "kpis.yaml"
    path.write_text("version: 1\ntitle: &a [*a]\nsources: {}\nmetrics: {}\n")
    assert_clean(cli("validate", path), 2, "kpis.yaml:2:8: title[0]: this alias refers to the collection it is inside")


def test_an_impossible_date_is_a_located_config_error_with_a_hint_to_quote_it(folder, cli):
    path = config(folder, **{"title: Exit contract": "title: 2026-02-30"})
    assert_clean(
        cli("validate", path),
        2,
        "kpis.yaml:2:8: title: cannot read '2026-02-30': day is out of range for month",
        "quote it",
    )


def test_a_source_that_is_a_number_is_a_config_error(folder, cli):
    path = config(folder, **{"source: t,": "source: 1,"})
    assert_clean(cli("validate", path), 2, "metrics.n.source: expected text, got 1")


@pytest.mark.parametrize("params", ["", ", params: {}", ", params: {unit: s}", ", params: 5", ", params: {expr: 7}"])
def test_an_expr_metric_without_a_usable_expression_is_a_config_error(folder, cli, params):
    path = config(folder, extra=f"x: {{calc: expr{params}}}")
    assert_clean(cli("validate", path), 2, "metrics.x")


def test_a_duplicate_key_is_reported_beside_every_other_mistake(folder, cli):
    from test_config_errors import TEN_MISTAKES

    path = folder / "kpis.yaml"
    path.write_text(TEN_MISTAKES + "  volume:\n    calc: count\n    source: tickets\n")
    result = cli("validate", path)
    assert_clean(result, 2, "duplicate key 'volume'", "unknown calculator 'cont'", "unknown connector 'parquett'")
    assert "13 problems found" in result.stderr  # the twelve of the ten mistakes, and the duplicate


def test_an_alias_bomb_is_refused_quickly_and_with_a_location(folder, cli):
    lines = ["version: 1", 'a: &a ["lol","lol","lol","lol","lol","lol","lol","lol","lol"]']
    for name in "bcdefghi":
        previous = chr(ord(name) - 1)
        lines.append(f"{name}: &{name} [" + ",".join([f"*{previous}"] * 9) + "]")
    path = folder / "bomb.yaml"
    path.write_text("\n".join(lines) + "\n")  # 9**9 = 387 million strings once expanded
    assert_clean(cli("validate", path), 2, "bomb.yaml:", "expands to more than 100,000 values")


def test_nesting_deeper_than_the_limit_is_refused_before_python_recurses(folder, cli):
    path = folder / "deep.yaml"
    path.write_text("version: " + "[" * 5000 + "]" * 5000 + "\n")
    assert_clean(cli("validate", path), 2, "deep.yaml:1:73: the config nests deeper than 64 levels")


# --- command-line values and files given on the command line -------------------------------


@pytest.mark.parametrize(
    "content",
    [
        "{not json",
        "[]",
        '{"schema_version": 1, "metrics": 5}',
        '{"schema_version": 1, "metrics": [{"x": 1}]}',
        '{"schema_version": 2, "title": "t", "metrics": []}',
    ],
    ids=["not-json", "a-list", "metrics-not-a-list", "metric-without-fields", "another-version"],
)
def test_a_malformed_scorecard_is_a_usage_error_for_baseline_and_diff(folder, cli, content):
    bad = folder / "bad.json"
    bad.write_text(content)
    good = folder / "good.json"
    assert cli("run", config(folder), "-o", f"json={good}").exit_code == 0
    assert_clean(cli("run", config(folder), "--baseline", bad), 2, str(bad))
    assert_clean(cli("diff", bad, good), 2, str(bad))
    assert_clean(cli("diff", good, bad), 2, str(bad))


def test_an_output_that_is_a_folder_or_unwritable_is_a_usage_error(folder, cli):
    (folder / "reports").mkdir()
    assert_clean(cli("run", config(folder), "-o", f"json={folder / 'reports'}"), 2, "is a folder")
    assert_clean(
        cli("run", config(folder), "-o", "json=/proc/kpiframe/card.json"),
        2,
        "cannot write --output json /proc/kpiframe/card.json",
    )


def test_a_step_summary_that_is_a_folder_is_a_usage_error(folder, cli):
    (folder / "summary").mkdir()
    result = cli("run", config(folder), env={"GITHUB_STEP_SUMMARY": str(folder / "summary")})
    assert_clean(result, 2, "GITHUB_STEP_SUMMARY", "is a folder")


# --- a crash is exit 4, one line, and the traceback only with --debug, redacted -------------

BOOM_PLUGIN = """
from kpiframe import hookimpl
from kpiframe.contracts import Reporter
import os


class Boom(Reporter):
    name = "boom"
    extension = "boom"
    description = "A reporter with a bug."

    def render(self, scorecard, options):
        raise RuntimeError("reporter bug while holding " + os.environ["KPI_TOKEN"])


@hookimpl
def kpiframe_register_reporters():
    return [Boom()]
"""


@pytest.fixture
def crashing(folder: Path) -> Path:
    (folder / "boom.py").write_text(BOOM_PLUGIN)
    return config(
        folder, **{"title: Exit contract": 'title: Exit contract\nplugins: [./boom.py]\ndescription: "${KPI_TOKEN}"'}
    )


def test_a_crash_exits_4_with_one_line_and_no_secret(crashing, cli):
    result = cli("run", crashing, "-o", "boom=out.boom", env={"KPI_TOKEN": "tok-5ecr3t-value"})
    assert_clean(
        result, 4, "kpiframe crashed: RuntimeError: reporter bug while holding ***; rerun with --debug and report it"
    )
    assert "tok-5ecr3t-value" not in result.stdout + result.stderr
    assert len(result.stderr.strip().splitlines()) == 1


def test_debug_shows_the_crash_traceback_with_secrets_masked(crashing, cli):
    result = cli("--debug", "run", crashing, "-o", "boom=out.boom", env={"KPI_TOKEN": "tok-5ecr3t-value"})
    assert result.exit_code == 4
    assert "Traceback (most recent call last)" in result.stderr and "boom.py" in result.stderr
    assert "tok-5ecr3t-value" not in result.stdout + result.stderr


def test_a_crash_in_a_real_process_exits_4_not_1(crashing):
    env = {"KPI_TOKEN": "tok-5ecr3t-value", "PATH": "/usr/bin:/bin"}
    done = subprocess.run(
        [sys.executable, "-m", "kpiframe", "run", str(crashing), "-o", "boom=out.boom"],
        capture_output=True,
        text=True,
        env=env,
        cwd=crashing.parent,
        timeout=120,
    )
    assert done.returncode == 4, done.stderr
    assert "Traceback" not in done.stderr and "kpiframe crashed" in done.stderr


# --- numbers that are not finite ------------------------------------------------------------


@pytest.mark.parametrize("bad", [float("inf"), float("-inf"), float("nan")], ids=["inf", "-inf", "nan"])
def test_a_value_that_is_not_finite_is_an_error_in_every_format(folder, cli, bad):
    rows = [dict(t) for t in TICKETS]
    rows[0]["wait"] = bad
    write_parquet(folder / "tickets.parquet", rows)
    path = config(
        folder,
        extra="wait: {calc: sum, source: t, params: {column: wait}, target: '<= 100', grain: day, by: [channel]}",
    )
    name = "NaN" if bad != bad else ("+inf" if bad > 0 else "-inf")
    for fmt in ("table", "markdown", "junit", "csv", "html"):
        result = cli("run", path, "--format", fmt)
        assert_clean(result, 3, f"the value is {name}, not a finite number")
    card_text = cli("run", path, "--format", "json").stdout
    card = json.loads(card_text, parse_constant=lambda c: pytest.fail(f"non-standard JSON constant {c}"))
    wait = next(m for m in card["metrics"] if m["id"] == "wait")
    assert wait["status"] == "error" and wait["value"] is None and f"the value is {name}" in wait["reason"]
    # The other metrics still get their verdicts: n counts the six tickets of the window.
    assert next(m for m in card["metrics"] if m["id"] == "n")["value"] == 6


# --- a reader that stops early ---------------------------------------------------------------


@pytest.mark.parametrize("args", [["run", "--help"], ["--help"], ["run", "kpis.yaml", "--format", "json"]])
def test_a_pipe_closed_by_the_reader_is_not_a_crash(folder, args):
    """`kpiframe run ... | head -1` in a CI script: the reader stopping early is how shells
    work, not a bug to report; the process ends like any Unix tool on SIGPIPE (141)."""
    config(folder, extra="\n".join(f"  m{i}: {{calc: count, source: t}}" for i in range(300)).lstrip())
    done = subprocess.run(
        f"{sys.executable} -m kpiframe {' '.join(args)} | head -c 10 >/dev/null; echo exit=${{PIPESTATUS[0]}} >&2",
        shell=True,
        capture_output=True,
        text=True,
        cwd=folder,
        env={"PATH": "/usr/bin:/bin", "COLUMNS": "80"},
        timeout=120,
        executable="/bin/bash",
    )
    assert "crashed" not in done.stderr and "Traceback" not in done.stderr, done.stderr
    assert "Broken pipe" not in done.stderr, done.stderr
    assert done.stderr.strip().splitlines()[-1] in ("exit=0", "exit=141"), done.stderr


@pytest.mark.skipif(not Path("/dev/full").exists(), reason="needs /dev/full")
def test_a_full_disk_under_stdout_is_a_clear_error_not_a_crash(folder):
    config(folder)
    done = subprocess.run(
        f"{sys.executable} -m kpiframe run kpis.yaml >/dev/full",
        shell=True,
        capture_output=True,
        text=True,
        cwd=folder,
        env={"PATH": "/usr/bin:/bin"},
        timeout=120,
    )
    assert done.returncode == 2, done.stderr
    assert "No space left on device" in done.stderr and "crashed" not in done.stderr
