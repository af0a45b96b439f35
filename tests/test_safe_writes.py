"""Nothing a user wrote is ever overwritten or lost: reports are written whole or not at
all, and --output can never replace the config, a source or the history store."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import textwrap
import time
from pathlib import Path

import pytest

from conftest import TICKETS, write_parquet

CONFIG = """
version: 1
title: Safe writes
as_of: "2026-03-01T00:00:00Z"
window: {last: 30d}
sources:
  t: {connector: parquet, path: data/tickets.parquet, time: created_at}
metrics:
  n: {calc: count, source: t, target: ">= 1"}
"""


@pytest.fixture
def folder(tmp_path: Path) -> Path:
    (tmp_path / "data").mkdir()
    write_parquet(tmp_path / "data" / "tickets.parquet", TICKETS)
    (tmp_path / "kpis.yaml").write_text(textwrap.dedent(CONFIG).lstrip())
    return tmp_path


@pytest.mark.parametrize(
    ("name", "starts_with"),
    [
        ("report.html", "<!DOCTYPE html>"),
        ("card.json", "{"),
        ("junit.xml", "<?xml"),
        ("card.md", "## "),
        ("card.csv", "metric,"),
        ("card.txt", "Safe writes"),
    ],
)
def test_the_output_format_comes_from_the_extension(folder, cli, name, starts_with):
    result = cli("run", folder / "kpis.yaml", "-o", folder / name)
    assert result.exit_code == 0, result.stderr
    assert (folder / name).read_text().startswith(starts_with)


def test_an_unknown_extension_without_a_format_is_a_usage_error(folder, cli):
    result = cli("run", folder / "kpis.yaml", "-o", folder / "report.pdf")
    assert result.exit_code == 2
    assert "cannot tell the format from the extension .pdf" in result.stderr and "FORMAT=PATH" in result.stderr
    assert not (folder / "report.pdf").exists()


def test_an_explicit_format_wins_over_the_extension(folder, cli):
    assert cli("run", folder / "kpis.yaml", "-f", "json", "-o", folder / "card.out").exit_code == 0
    assert (folder / "card.out").read_text().startswith("{")
    assert cli("run", folder / "kpis.yaml", "-o", f"markdown={folder / 'card.html'}").exit_code == 0
    assert (folder / "card.html").read_text().startswith("## ")


@pytest.mark.parametrize(
    ("target", "why"),
    [
        ("kpis.yaml", "is the config file"),
        ("config-link.yaml", "is the config file"),  # a hard link: same inode, another name
        ("data/tickets.parquet", "is a file of source 't'"),
        ("data/../data/tickets.parquet", "is a file of source 't'"),
        ("h.duckdb", "is the history store"),
    ],
)
def test_output_never_replaces_the_config_a_source_or_the_history(folder, cli, target, why):
    os.link(folder / "kpis.yaml", folder / "config-link.yaml")
    history = folder / "h.duckdb"
    assert cli("run", folder / "kpis.yaml", "--history", history).exit_code == 0
    before = {p: p.read_bytes() for p in (folder / "kpis.yaml", folder / "data" / "tickets.parquet", history)}
    result = cli("run", folder / "kpis.yaml", "--history", history, "-o", f"csv={folder / target}")
    assert result.exit_code == 2 and why in result.stderr and "never overwrites" in result.stderr
    assert {p: p.read_bytes() for p in before} == before


def test_the_step_summary_keeps_what_earlier_steps_wrote(folder, cli):
    summary = folder / "summary.md"
    summary.write_text("# Build\n\nearlier step\n")
    assert cli("run", folder / "kpis.yaml", env={"GITHUB_STEP_SUMMARY": str(summary)}).exit_code == 0
    text = summary.read_text()
    assert text.startswith("# Build\n\nearlier step\n") and "Safe writes" in text


def test_init_never_replaces_a_file(tmp_path, cli):
    existing = tmp_path / "kpis.yaml"
    existing.write_text("mine\n")
    result = cli("init", "--output", existing)
    assert result.exit_code == 2 and "already exists" in result.stderr
    assert existing.read_text() == "mine\n"


# --- a run killed mid-write leaves the previous report whole ---------------------------------

BIG_REPORTER = '''
from kpiframe import hookimpl
from kpiframe.contracts import Reporter


class Big(Reporter):
    """A report large enough that writing it takes a while: a window to kill the run in."""

    name = "big"
    extension = "big"
    description = "Hundreds of megabytes."

    def render(self, scorecard, options):
        return b"x" * (400 * 1024 * 1024)


@hookimpl
def kpiframe_register_reporters():
    return [Big()]
'''


@pytest.mark.parametrize("signum", [signal.SIGTERM, signal.SIGINT], ids=["SIGTERM", "SIGINT"])
def test_a_run_killed_while_writing_leaves_the_previous_report_whole(folder, signum):
    (folder / "big.py").write_text(BIG_REPORTER)
    config = folder / "kpis.yaml"
    config.write_text(config.read_text().replace("title: Safe writes", "title: Safe writes\nplugins: [./big.py]"))
    report = folder / "report.big"
    report.write_bytes(b"the previous report\n")
    process = subprocess.Popen(
        [sys.executable, "-m", "kpiframe", "run", str(config), "-o", f"big={report}", "--quiet"],
        cwd=folder,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
    )
    deadline = time.monotonic() + 120
    try:
        while not list(folder.glob(".report.big.*.tmp")):
            assert process.poll() is None, process.stderr.read().decode()  # type: ignore[union-attr]
            assert time.monotonic() < deadline, "the write never started"
            time.sleep(0.002)
        process.send_signal(signum)
        _, stderr = process.communicate(timeout=120)
    finally:
        process.kill()
    assert process.returncode == 128 + signum or (signum == signal.SIGINT and process.returncode == 130), (
        stderr.decode()
    )
    assert b"Traceback" not in stderr
    content = report.read_bytes()
    # Whole either way: the old report, or (had the rename already happened) the whole new one.
    assert content == b"the previous report\n" or len(content) == 400 * 1024 * 1024
    assert not list(folder.glob(".report.big.*")), "the temporary file was left behind"


def test_the_step_summary_may_not_be_the_config(folder, cli):
    config = folder / "kpis.yaml"
    before = config.read_text()
    result = cli("run", config, env={"GITHUB_STEP_SUMMARY": str(config)})
    assert result.exit_code == 2 and "GITHUB_STEP_SUMMARY" in result.stderr and "is the config file" in result.stderr
    assert config.read_text() == before
