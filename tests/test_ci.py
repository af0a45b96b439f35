"""CI gating: the scripted story, history stores, baselines, JUnit/Markdown/CSV, diff."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from datetime import datetime, timedelta
from pathlib import Path

import pytest
import xmlschema

from conftest import write_parquet

XSD = Path(__file__).parent / "fixtures" / "junit.xsd"
AS_OF = "2026-03-01T00:00:00Z"  # window `last: 30d`: 30 Jan to 1 Mar


def as_of(month: int) -> str:
    """The as-of of the ``month``-th window after AS_OF's: consecutive 30-day windows."""
    return (datetime(2026, 3, 1) + timedelta(days=30 * month)).strftime("%Y-%m-%dT00:00:00Z")


def tickets(path: Path, email_factor: float = 1.0, month: int = 0) -> None:
    """100 email tickets answered in 1..100 min (× factor) and 100 chat tickets in 0.5..50 min,
    created from 10 February 2026 (plus ``month`` times 30 days: the next window)."""
    start = datetime(2026, 2, 10, 9) + timedelta(days=30 * month)
    rows = []
    for i in range(1, 101):
        for channel, minutes in (("email", i * email_factor), ("chat", i / 2)):
            created = start + timedelta(hours=i)
            rows.append(
                {
                    "id": len(rows),
                    "channel": channel,
                    "created_at": created,
                    "first_response_at": created + timedelta(minutes=minutes),
                }
            )
    write_parquet(path, rows)


CONFIG = """
version: 1
title: Support SLA
window: {last: 30d}
sources:
  tickets: {connector: parquet, path: tickets.parquet, time: created_at}
metrics:
  frt_p90:
    title: First response time p90
    calc: support.first_response_time
    source: tickets
    params: {stat: p90, unit: min}
    by: [channel]
    target: {value: "<= 240min", change: "<= +10%"}
    warn: {change: "<= +3%"}
"""


@pytest.fixture
def story(tmp_path, write_config):
    tickets(tmp_path / "tickets.parquet")
    return write_config(CONFIG), tmp_path


def p90(values: list[float]) -> float:
    ordered = sorted(values)
    position = 0.9 * (len(ordered) - 1)
    low = int(position)
    return ordered[low] + (ordered[low + 1] - ordered[low]) * (position - low)


def test_the_ci_story(story, cli, monkeypatch):
    config, folder = story
    history = folder / "kpi-history.duckdb"
    summary = folder / "step-summary.md"
    monkeypatch.setenv("GITHUB_STEP_SUMMARY", str(summary))

    # Run 1: nothing to compare with yet; passes and writes history.
    first = cli("run", config, "--as-of", AS_OF, "--history", history, "--output", f"json={folder / 'run1.json'}")
    assert first.exit_code == 0, first.output
    assert "no baseline to compare with yet" in (folder / "run1.json").read_text()
    assert "Support SLA" in cli("history", "list", history).stdout

    # The next window: email's first responses got 15% slower.
    tickets(folder / "tickets.parquet", email_factor=1.15, month=1)
    second = cli(
        "run",
        config,
        "--as-of",
        as_of(1),
        "--history",
        history,
        "--output",
        f"junit={folder / 'report.xml'}",
        "--output",
        f"md={folder / 'summary.md'}",
        "--output",
        f"json={folder / 'run2.json'}",
    )
    assert second.exit_code == 1
    xml = (folder / "report.xml").read_text()
    xmlschema.XMLSchema(XSD).validate(folder / "report.xml")
    failing = [
        case
        for case in xmlschema.XMLSchema(XSD).to_dict(folder / "report.xml")["testsuite"][0]["testcase"]
        if "failure" in case
    ]
    # the overall p90 (email dominates the slow tail) and the email segment fail; chat does not
    assert [case["@name"] for case in failing] == ["First response time p90", "First response time p90 [channel=email]"]
    assert "change ▲15.0%" in xml
    markdown = (folder / "summary.md").read_text()
    assert "| ❌ FAIL | ↳ channel=email |" in markdown and "▲15.0%" in markdown
    run2 = json.loads((folder / "run2.json").read_text())
    email = next(s for s in run2["metrics"][0]["segments"] if s["label"] == "channel=email")
    assert email["baseline"] == pytest.approx(p90([float(i) for i in range(1, 101)]))
    assert email["value"] == pytest.approx(p90([i * 1.15 for i in range(1, 101)]))
    assert "❌ Support SLA" in summary.read_text()  # the step summary got the Markdown too

    # Re-running the failed job must not turn it green: the run of this window replaces
    # itself and still compares with the previous window, however often it is re-run.
    for _ in range(2):
        again = cli(
            "run", config, "--as-of", as_of(1), "--history", history, "--output", f"json={folder / 'again.json'}"
        )
        assert again.exit_code == 1
        assert json.loads((folder / "again.json").read_text())["metrics"][0]["delta_pct"] == pytest.approx(
            run2["metrics"][0]["delta_pct"]
        )

    # Run 3: a further 5% (a warning, not a failure), judged against run 2's scorecard.
    tickets(folder / "tickets.parquet", email_factor=1.15 * 1.05, month=2)
    baseline = folder / "run2.json"
    assert cli("run", config, "--as-of", as_of(2), "--baseline", baseline, "--fail-on", "fail").exit_code == 0
    warned = cli("run", config, "--as-of", as_of(2), "--baseline", baseline, "--fail-on", "warn")
    assert warned.exit_code == 1 and "WARN" in warned.stdout

    listing = cli("history", "list", history).stdout
    assert listing.count("Support SLA") == 2  # one run per window, re-runs replaced


def test_junit_maps_statuses(story, cli, tmp_path):
    config, folder = story
    out = folder / "r.xml"
    tickets(folder / "tickets.parquet")
    cli("run", config, "--as-of", AS_OF, "--baseline", _scorecard(cli, config, folder, 1.0), "--output", f"junit={out}")
    tickets(folder / "tickets.parquet", email_factor=1.05)
    base = _scorecard(cli, config, folder, 1.0)
    tickets(folder / "tickets.parquet", email_factor=1.05)
    for fail_on, expected in (("fail", "skipped"), ("warn", "failure")):
        cli("run", config, "--as-of", AS_OF, "--baseline", base, "--fail-on", fail_on, "--output", f"junit={out}")
        xmlschema.XMLSchema(XSD).validate(out)
        cases = xmlschema.XMLSchema(XSD).to_dict(out)["testsuite"][0]["testcase"]
        email = next(c for c in cases if c["@name"].endswith("[channel=email]"))
        assert expected in email, (fail_on, email)


def _scorecard(cli, config, folder, factor) -> Path:
    tickets(folder / "tickets.parquet", email_factor=factor)
    out = folder / f"base-{factor}.json"
    cli("run", config, "--as-of", AS_OF, "--output", f"json={out}", "--quiet")
    return out


def test_two_concurrent_runs_both_land(story):
    config, folder = story
    history = folder / "shared.duckdb"
    env = {**os.environ, "NO_COLOR": "1"}
    procs = [
        subprocess.Popen(
            [
                sys.executable,
                "-m",
                "kpiframe",
                "run",
                str(config),
                "--as-of",
                as_of(i),
                "--history",
                str(history),
                "--quiet",
                "--output",
                f"json={folder / f'o{i}.json'}",
            ],
            env=env,
            stderr=subprocess.PIPE,
        )
        for i in range(4)
    ]
    for proc in procs:
        _, err = proc.communicate(timeout=120)
        assert proc.returncode == 0, err.decode()
    from kpiframe.history import open_history

    runs = open_history(history).runs()
    assert len(runs) == 4 and len({r.run_id for r in runs}) == 4


def test_a_foreign_or_corrupt_history_is_refused_and_left_alone(story, cli):
    config, folder = story
    text = folder / "notes.duckdb"
    text.write_text("these are my notes\n")
    result = cli("run", config, "--as-of", AS_OF, "--history", text)
    assert result.exit_code == 2 and "is not a DuckDB database" in result.stderr
    assert text.read_text() == "these are my notes\n"

    import duckdb

    foreign = folder / "warehouse.duckdb"
    with duckdb.connect(str(foreign)) as con:
        con.execute("create table orders as select 1 as id")
    before = foreign.read_bytes()
    result = cli("run", config, "--as-of", AS_OF, "--history", foreign)
    assert result.exit_code == 2 and "holds tables kpiframe did not create (orders)" in result.stderr
    assert foreign.read_bytes() == before


def test_sqlite_history_and_history_commands(story, cli):
    config, folder = story
    history = folder / "h.sqlite"
    for month in range(3):
        tickets(folder / "tickets.parquet", month=month)
        assert (
            cli(
                "run",
                config,
                "--as-of",
                as_of(month),
                "--history",
                history,
                "--quiet",
                "--output",
                str(folder / "x.json"),
            ).exit_code
            == 0
        )
    from kpiframe.history import open_history

    runs = open_history(history).runs()
    assert len(runs) == 3
    shown = cli("history", "show", history, runs[1].run_id[:6], "--format", "json")
    assert json.loads(shown.stdout)["title"] == "Support SLA"
    assert cli("history", "prune", history, "--keep", "1").stdout.strip() == "removed 2 runs"
    assert [r.run_id for r in open_history(history).runs()] == [runs[0].run_id]
    assert cli("history", "prune", history).exit_code == 2


def test_postgres_history(story, cli, postgres_schema):
    config, folder = story
    for month, factor in enumerate((1.0, 1.15)):
        tickets(folder / "tickets.parquet", email_factor=factor, month=month)
        result = cli(
            "run",
            config,
            "--as-of",
            as_of(month),
            "--history",
            postgres_schema,
            "--quiet",
            "--output",
            str(folder / "p.json"),
        )
    assert result.exit_code == 1  # the second window compared with the first, through PostgreSQL
    from kpiframe.history import open_history

    assert len(open_history(postgres_schema).runs()) == 2


def test_postgres_history_errors_hide_the_password(story, cli):
    config, _ = story
    result = cli("run", config, "--as-of", AS_OF, "--history", "postgresql://kpi:s3cretpw@127.0.0.1:1/nowhere")
    assert result.exit_code == 2 and "s3cretpw" not in result.output and "***@127.0.0.1" in result.stderr


def test_median_of_last_and_pinned_baselines(tmp_path, write_config, cli):
    import kpiframe

    history = tmp_path / "h.duckdb"
    for month, factor in enumerate((1.0, 2.0, 3.0)):
        tickets(tmp_path / "tickets.parquet", email_factor=factor, month=month)
        kpiframe.run(write_config(CONFIG), as_of=datetime.fromisoformat(as_of(month)), history=history)
    tickets(tmp_path / "tickets.parquet", email_factor=2.0, month=3)
    median_config = write_config(
        CONFIG.replace("    by: [channel]\n", "    by: [channel]\n    baseline: {median_of_last: 3}\n"), "median.yaml"
    )
    card = kpiframe.run(median_config, as_of=datetime.fromisoformat(as_of(3)), history=history)
    email = next(s for s in card.metric("frt_p90").segments if s.label == "channel=email")
    assert email.baseline == pytest.approx(p90([i * 2.0 for i in range(1, 101)]))  # the median of the three runs
    from kpiframe.history import open_history

    first = open_history(history).runs()[-1]
    pinned = write_config(
        CONFIG.replace("    by: [channel]\n", f"    by: [channel]\n    baseline: {{pinned: {first.run_id}}}\n"),
        "pinned.yaml",
    )
    card = kpiframe.run(pinned, as_of=datetime.fromisoformat(as_of(3)), history=history)
    email = next(s for s in card.metric("frt_p90").segments if s.label == "channel=email")
    assert email.baseline == pytest.approx(p90([float(i) for i in range(1, 101)]))


def test_the_noise_gate_ignores_changes_within_recent_runs(tmp_path, write_config):
    import kpiframe

    noisy = CONFIG.replace(
        '    target: {value: "<= 240min", change: "<= +10%"}\n    warn: {change: "<= +3%"}\n',
        '    target: {change: "<= +10%", noise: {last: 5}}\n',
    )
    history = tmp_path / "h.duckdb"
    for month, factor in enumerate((1.0, 1.3, 1.0, 1.25, 1.0)):  # a noisy history: the p90 swings by up to 30%
        tickets(tmp_path / "tickets.parquet", email_factor=factor, month=month)
        kpiframe.run(write_config(noisy), as_of=datetime.fromisoformat(as_of(month)), history=history)
    tickets(
        tmp_path / "tickets.parquet", email_factor=1.2, month=5
    )  # +20% on the previous window, but inside the recent range
    card = kpiframe.run(write_config(noisy), as_of=datetime.fromisoformat(as_of(5)), history=history)
    email = next(s for s in card.metric("frt_p90").segments if s.label == "channel=email")
    assert email.delta_pct == pytest.approx(20.0) and email.status == "pass"
    tickets(tmp_path / "tickets.parquet", email_factor=1.6, month=6)  # beyond anything seen: +33% and outside the range
    card = kpiframe.run(write_config(noisy), as_of=datetime.fromisoformat(as_of(6)), history=history)
    email = next(s for s in card.metric("frt_p90").segments if s.label == "channel=email")
    assert email.status == "fail"


def test_worse_direction_change_targets(tmp_path, write_config):
    from kpiframe.config.comparisons import parse_change

    worse = parse_change("<= 10% worse")
    assert worse.holds(108, 100, "min", "lower") and not worse.holds(112, 100, "min", "lower")
    assert worse.holds(50, 100, "min", "lower")  # getting better is never a regression
    assert not worse.holds(88, 100, "%", "higher") and worse.holds(130, 100, "%", "higher")
    points = parse_change(">= -2 points")
    assert points.holds(83, 85, "%") and not points.holds(82.5, 85, "%")


def test_diff_reports_regressions(story, cli):
    config, folder = story
    old = _scorecard(cli, config, folder, 1.0)
    new = _scorecard(cli, config, folder, 1.0)
    assert cli("diff", old, new).exit_code == 0
    slower = _scorecard(cli, config, folder, 3.0)  # email p90 ~270 min: over the 240 min target
    result = cli("diff", old, slower)
    assert result.exit_code == 1 and "REGRESSION" in result.stdout and "pass → fail" in result.stdout
    slightly = _scorecard(cli, config, folder, 1.2)
    assert cli("diff", old, slightly).exit_code == 0  # status unchanged
    strict = cli("diff", old, slightly, "--max-change", "10%")
    assert strict.exit_code == 1 and "20.0% worse" in strict.stdout


def test_csv_report(story, cli):
    config, folder = story
    out = folder / "card.csv"
    cli("run", config, "--as-of", AS_OF, "--output", f"csv={out}", "--quiet")
    import csv

    rows = list(csv.DictReader(out.open()))
    assert [r["segment"] for r in rows] == ["", "channel=email", "channel=chat"] or [r["segment"] for r in rows] == [
        "",
        "channel=chat",
        "channel=email",
    ]
    email = next(r for r in rows if r["segment"] == "channel=email")
    assert float(email["value"]) == pytest.approx(p90([float(i) for i in range(1, 101)]))
