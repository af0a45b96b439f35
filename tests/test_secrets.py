"""A secret planted through `${VAR}` never appears in any output: terminal, every report
format, the step summary, the history and its commands, config errors found with the data
open, run-time errors, and --debug tracebacks."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from conftest import TICKETS, write_parquet

SECRET = "pl4nted-s3cret-9f7c"
ENV = {"KPI_SECRET": SECRET}

CONFIG = """
version: 1
title: "Board ${KPI_SECRET}"
description: "owned by ${KPI_SECRET}"
as_of: "2026-03-01T00:00:00Z"
window: {last: 30d}
sources:
  t:
    connector: parquet
    path: tickets.parquet
    time: created_at
    columns: {team: "coalesce(agent, '${KPI_SECRET}')"}
metrics:
  n: {calc: count, source: t, where: "channel != '${KPI_SECRET}'", target: ">= 1", description: "${KPI_SECRET}"}
  email: {calc: share, source: t, params: {match: "channel == '${KPI_SECRET}' or channel == 'email'"}, target: ">= 10%", title: "Email ${KPI_SECRET}"}
  by_team: {calc: count, source: t, by: [team]}
"""


@pytest.fixture
def folder(tmp_path: Path) -> Path:
    write_parquet(tmp_path / "tickets.parquet", TICKETS)
    (tmp_path / "kpis.yaml").write_text(CONFIG)
    return tmp_path


def every_file(folder: Path) -> dict[str, bytes]:
    return {str(p): p.read_bytes() for p in folder.rglob("*") if p.is_file() and p.suffix != ".parquet"}


def test_no_output_of_a_run_holds_the_secret(folder, cli):
    summary = folder / "summary.md"
    history = folder / "history.duckdb"
    outputs = [
        f"-o{folder / name}" for name in ("card.json", "card.html", "card.md", "card.csv", "card.xml", "card.txt")
    ]
    result = cli(
        "run", folder / "kpis.yaml", "--history", history, *outputs, env={**ENV, "GITHUB_STEP_SUMMARY": str(summary)}
    )
    assert result.exit_code == 0, result.stderr
    card = json.loads((folder / "card.json").read_text())
    assert card["title"] == "Board ***" and card["metrics"][1]["title"] == "Email ***"
    # The segment whose key came from the secret is masked too.
    assert any(s["label"] == "team=***" for s in card["metrics"][2]["segments"])
    listed = cli("history", "list", history)
    shown = [
        cli("history", "show", history, run, "--format", fmt)
        for run in [listed.stdout.splitlines()[2].split()[0]]
        for fmt in ("json", "table")
    ]
    texts = [result.stdout, result.stderr, listed.stdout, listed.stderr, *(r.stdout + r.stderr for r in shown)]
    assert not [t for t in texts if SECRET in t]
    import duckdb

    with duckdb.connect(str(history), read_only=True) as con:
        stored = json.dumps(con.execute("select * from kpiframe_runs").fetchall(), default=str)
    assert SECRET not in stored
    leaked = [
        name for name, data in every_file(folder).items() if SECRET.encode() in data and not name.endswith("kpis.yaml")
    ]
    assert leaked == []


def test_config_errors_found_with_the_data_open_do_not_show_the_secret(folder, cli):
    config = folder / "kpis.yaml"
    config.write_text(CONFIG.replace("channel != '${KPI_SECRET}'", "chanel != '${KPI_SECRET}'"))
    result = cli("run", config, env=ENV)
    assert result.exit_code == 2 and "unknown column 'chanel'" in result.stderr
    assert SECRET not in result.stdout + result.stderr


def test_source_errors_do_not_show_the_secret(folder, cli):
    config = folder / "kpis.yaml"
    config.write_text(CONFIG.replace("path: tickets.parquet", "path: ${KPI_SECRET}/tickets.parquet"))
    result = cli("run", config, env=ENV)
    assert result.exit_code == 3 and "***/tickets.parquet" in result.stdout
    assert SECRET not in result.stdout + result.stderr


def test_debug_tracebacks_do_not_show_the_secret(folder):
    (folder / "boom.py").write_text(
        "import kpiframe, os\n"
        "@kpiframe.hookimpl\n"
        "def kpiframe_scorecard_ready(scorecard, config):\n"
        "    raise RuntimeError('hook saw ' + os.environ['KPI_SECRET'])\n"
    )
    config = folder / "kpis.yaml"
    config.write_text(CONFIG.replace("version: 1", "version: 1\nplugins: [./boom.py]"))
    done = subprocess.run(
        [sys.executable, "-m", "kpiframe", "--debug", "run", str(config)],
        capture_output=True,
        text=True,
        env={**ENV, "PATH": "/usr/bin:/bin"},
        cwd=folder,
        timeout=120,
    )
    assert done.returncode == 4 and "Traceback" in done.stderr and "hook saw ***" in done.stderr
    assert SECRET not in done.stdout + done.stderr


def test_no_config_plugins_refuses_a_config_that_names_plugins_and_runs_none_of_their_code(tmp_path, cli):
    write_parquet(tmp_path / "tickets.parquet", TICKETS)
    canary = tmp_path / "ran"
    (tmp_path / "evil.py").write_text(f"open({str(canary)!r}, 'w').write('x')\n")
    config = tmp_path / "kpis.yaml"
    config.write_text(
        "version: 1\nplugins: [./evil.py]\nsources: {t: {connector: parquet, path: tickets.parquet}}\nmetrics: {n:"
        " {calc: count, source: t}}\n"
    )
    for args, env in (
        (["--no-config-plugins", "validate", config], None),
        (["run", config], {"KPIFRAME_NO_CONFIG_PLUGINS": "1"}),
    ):
        result = cli(*args, env=env)
        assert (
            result.exit_code == 2 and "kpis.yaml:2:10: plugins: the config names plugins (./evil.py)" in result.stderr
        )
        assert not canary.exists()
    assert cli("validate", config).exit_code == 0 and canary.exists()  # without the flag, the plugin loads: documented
