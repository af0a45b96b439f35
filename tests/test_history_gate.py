"""The history gate cannot be fooled: re-runs keep their verdict, baselines come from
earlier windows only, and the store defends itself (bad prune dates, corrupt rows,
read-only databases, runs killed mid-write)."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
from test_ci import CONFIG, as_of, p90, tickets


@pytest.fixture(params=["duckdb", "sqlite", "postgres"])
def store(request, tmp_path):
    """Each kind of history store: a DuckDB file, an SQLite file, a PostgreSQL schema."""
    if request.param == "duckdb":
        return str(tmp_path / "h.duckdb")
    if request.param == "sqlite":
        return str(tmp_path / "h.sqlite")
    return request.getfixturevalue("postgres_schema")


@pytest.fixture
def config(tmp_path, write_config):
    tickets(tmp_path / "tickets.parquet")
    return write_config(CONFIG)


def run(cli, config, month, store, *extra):
    out = Path(config).parent / "card.json"
    result = cli("run", config, "--as-of", as_of(month), "--history", store, "-o", f"json={out}", "--quiet", *extra)
    return result, json.loads(out.read_text()) if out.exists() else None


def test_a_failed_job_re_run_stays_failed_on_every_store(cli, config, store):
    folder = Path(config).parent
    assert run(cli, config, 0, store)[0].exit_code == 0
    tickets(folder / "tickets.parquet", email_factor=1.2, month=1)  # the next window: 20% worse
    first, card = run(cli, config, 1, store)
    assert first.exit_code == 1
    email = next(s for s in card["metrics"][0]["segments"] if s["label"] == "channel=email")
    assert email["baseline"] == pytest.approx(p90([float(i) for i in range(1, 101)]))
    for _ in range(3):  # the CI job is re-run: same data, same window
        again, card = run(cli, config, 1, store)
        assert again.exit_code == 1
        again_email = next(s for s in card["metrics"][0]["segments"] if s["label"] == "channel=email")
        assert again_email["baseline"] == email["baseline"] and again_email["status"] == "fail"
    from kpiframe.history import open_history

    assert len(open_history(store).runs()) == 2  # one run per window: re-runs replaced theirs


def test_re_running_an_older_window_compares_with_the_window_before_it(cli, config, tmp_path):
    store = str(tmp_path / "h.duckdb")
    for month, factor in enumerate((1.0, 2.0, 3.0)):
        tickets(tmp_path / "tickets.parquet", email_factor=factor, month=month)
        run(cli, config, month, store)
    tickets(tmp_path / "tickets.parquet", email_factor=2.0, month=1)
    _, card = run(cli, config, 1, store)  # window 1 again, after window 2 was recorded
    email = next(s for s in card["metrics"][0]["segments"] if s["label"] == "channel=email")
    assert email["baseline"] == pytest.approx(p90([float(i) for i in range(1, 101)]))  # window 0, not window 2


def test_last_passing_skips_failed_runs(cli, tmp_path, write_config):
    config = write_config(
        CONFIG.replace("    by: [channel]\n", "    by: [channel]\n    baseline: {last_passing: true}\n")
    )
    store = str(tmp_path / "h.duckdb")
    tickets(tmp_path / "tickets.parquet", month=0)
    assert run(cli, config, 0, store)[0].exit_code == 0
    tickets(tmp_path / "tickets.parquet", email_factor=1.2, month=1)
    assert run(cli, config, 1, store)[0].exit_code == 1  # failed, and recorded as failed
    tickets(tmp_path / "tickets.parquet", email_factor=1.2, month=2)
    result, card = run(cli, config, 2, store)
    # Compared with window 0 (the last that passed), not window 1: the regression is still there.
    assert result.exit_code == 1 and "last passing run" in card["metrics"][0]["baseline_window"]["label"]
    from kpiframe.history import open_history

    assert [r.status for r in open_history(store).runs()] == ["fail", "fail", "pass"]


def test_history_mode_append_keeps_every_run_of_a_window(cli, config, tmp_path):
    store = str(tmp_path / "h.duckdb")
    for _ in range(2):
        run(cli, config, 0, store, "--history-mode", "append")
    run(cli, config, 0, store)
    from kpiframe.history import open_history

    assert len(open_history(store).runs()) == 1  # the default, replace, removed both earlier runs of the window
    for _ in range(2):
        run(cli, config, 0, store, "--history-mode", "append")
    assert len(open_history(store).runs()) == 3


@pytest.mark.parametrize("before", ["yesterday", "last week", "2026-13-01", "30", "1m", ""])
def test_prune_refuses_a_date_it_cannot_read(cli, config, tmp_path, before):
    store = str(tmp_path / "h.duckdb")
    run(cli, config, 0, store)
    result = cli("history", "prune", store, "--before", before)
    assert result.exit_code == 2 and "--before: expected a date" in result.stderr
    from kpiframe.history import open_history

    assert len(open_history(store).runs()) == 1


def test_prune_before_compares_instants_not_text(cli, config, tmp_path):
    store = str(tmp_path / "h.duckdb")
    run(cli, config, 0, store)
    assert cli("history", "prune", store, "--before", "2020-01-01").stdout.strip() == "removed 0 runs"
    assert cli("history", "prune", store, "--before", "1d").stdout.strip() == "removed 0 runs"  # recorded just now
    assert cli("history", "prune", store, "--before", "2999-01-01T00:00:00").stdout.strip() == "removed 1 runs"


def test_a_corrupt_row_is_skipped_with_a_warning_that_names_it(cli, config, tmp_path):
    import duckdb

    store = str(tmp_path / "h.duckdb")
    run(cli, config, 0, store)
    with duckdb.connect(store) as con:
        con.execute(
            "insert into kpiframe_runs values ('badrow000001', '2026-01-01T00:00:00Z', '2026-01-01T00:00:00Z', 'Support"
            " SLA', 'x', null, 'pass', '{not json', '2025-12-01T00:00:00Z', '2025-12-31T00:00:00Z')"
        )
        con.execute(
            "insert into kpiframe_runs values ('badrow000002', '2026-01-01T00:00:00Z', '2026-01-01T00:00:00Z', 'Support"
            " SLA', 'x', null, 'pass', '[1, 2]', '2025-11-01T00:00:00Z', '2025-12-01T00:00:00Z')"
        )
    tickets(tmp_path / "tickets.parquet", email_factor=1.2, month=1)
    result, card = run(cli, config, 1, store)
    assert result.exit_code == 1  # still compared with window 0, the readable run
    assert "skipped run 'badrow000001'" in result.stderr and "skipped run 'badrow000002'" in result.stderr
    assert any("badrow000001" in note for note in card["run"]["notes"])
    listed = cli("history", "list", store)
    assert (
        listed.exit_code == 0
        and "skipped run 'badrow000001'" in listed.stderr
        and listed.stdout.count("Support SLA") == 2
    )


def test_a_version_1_store_is_migrated_in_place(cli, config, tmp_path):
    import duckdb

    store = str(tmp_path / "old.duckdb")
    scorecard = {
        "title": "Support SLA",
        "status": "pass",
        "run": {
            "as_of": "2026-03-01T00:00:00Z",
            "config_hash": "x",
            "window": {"start": "2026-01-30T00:00:00Z", "end": "2026-03-01T00:00:00Z", "label": "last 30d"},
        },
        "metrics": [{"id": "frt_p90", "value": 95.0, "segments": [{"label": "channel=email", "value": 90.0}]}],
    }
    with duckdb.connect(store) as con:
        con.execute("create table kpiframe_history_meta (key varchar primary key, value varchar)")
        con.execute("insert into kpiframe_history_meta values ('schema_version', '1')")
        con.execute(
            "create table kpiframe_runs (run_id varchar primary key, recorded_at varchar, as_of varchar, title varchar,"
            " config_hash varchar, git_commit varchar, status varchar, scorecard text)"
        )
        con.execute(
            "insert into kpiframe_runs values ('oldrun000001', '2026-03-01T01:00:00Z', '2026-03-01T00:00:00Z', 'Support"
            " SLA', 'x', null, 'pass', ?)",
            [json.dumps(scorecard)],
        )
    tickets(tmp_path / "tickets.parquet", month=1)
    _, card = run(cli, config, 1, store)
    email = next(s for s in card["metrics"][0]["segments"] if s["label"] == "channel=email")
    assert email["baseline"] == 90.0  # the old run, found by its window
    with duckdb.connect(store, read_only=True) as con:
        assert con.execute("select value from kpiframe_history_meta").fetchone()[0] == "2"
        assert (
            con.execute("select window_end from kpiframe_runs where run_id = 'oldrun000001'").fetchone()[0]
            == "2026-03-01T00:00:00Z"
        )


def test_a_read_only_postgres_store_is_a_usage_error_with_the_reason(cli, config, postgres_schema):
    assert run(cli, config, 0, postgres_schema)[0].exit_code == 0  # creates the tables
    read_only = postgres_schema.replace("options=", "options=-cdefault_transaction_read_only%3Don%20")
    result, _ = run(cli, config, 1, read_only)
    assert result.exit_code == 2 and "is read-only" in result.stderr and "Traceback" not in result.output


def test_an_unreachable_postgres_store_is_a_usage_error(cli, config):
    result, _ = run(cli, config, 0, "postgresql://kpi:pw123456@127.0.0.1:1/nowhere")
    assert (
        result.exit_code == 2
        and "cannot connect to the history database" in result.stderr
        and "pw123456" not in result.output
    )


@pytest.mark.parametrize("signum", [signal.SIGKILL, signal.SIGTERM], ids=["SIGKILL", "SIGTERM"])
def test_a_run_killed_while_recording_leaves_the_history_whole(config, tmp_path, signum):
    """Kill runs at random moments around the history write; the store always reads, with every earlier run."""
    from kpiframe.history import open_history

    store = str(tmp_path / "h.duckdb")
    env = {**os.environ, "NO_COLOR": "1"}
    base = [
        sys.executable,
        "-m",
        "kpiframe",
        "run",
        str(config),
        "--history",
        store,
        "--history-mode",
        "append",
        "-q",
        "-o",
        f"json={tmp_path / 'o.json'}",
    ]
    assert subprocess.run([*base, "--as-of", as_of(0)], env=env, capture_output=True, timeout=120).returncode == 0
    for delay in (0.3, 0.45, 0.6, 0.75):
        process = subprocess.Popen(
            [*base, "--as-of", as_of(0)], env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL
        )
        time.sleep(delay)
        process.send_signal(signum)
        process.wait(timeout=120)
        runs = open_history(store).runs()  # opens, reads, and has the first run
        assert len(runs) >= 1 and all(r.scorecard["title"] == "Support SLA" for r in runs)
    done = subprocess.run([*base, "--as-of", as_of(1)], env=env, capture_output=True, timeout=120)
    assert done.returncode in (0, 1), done.stderr.decode()
