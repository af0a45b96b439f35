"""Sources are read, never written, and hostile files cannot hang or crash a run."""

from __future__ import annotations

import os
import sqlite3
import subprocess
import sys

import duckdb
import pytest

import kpiframe
from conftest import AS_OF, TICKETS, write_parquet


def one_metric(write_config, source: str, where: str = "") -> object:
    return write_config(
        f"version: 1\nwindow: all\nsources:\n  s: {source}\nmetrics:\n  n: {{calc: count, source: s{where}}}\n"
    )


@pytest.mark.parametrize(
    "query",
    [
        "VACUUM INTO 'copy.db'",
        "ATTACH DATABASE 'other.db' AS other",
        "PRAGMA journal_mode = wal",
        "DELETE FROM tickets",
        "SELECT * FROM pragma_table_info('tickets')",
    ],
)
def test_a_sqlite_query_can_only_read(tmp_path, write_config, query):
    db = tmp_path / "t.db"
    with sqlite3.connect(db) as con:
        con.execute("create table tickets (id int)")
        con.execute("insert into tickets values (1), (2)")
    card = kpiframe.run(one_metric(write_config, f'{{connector: sqlite, path: {db}, query: "{query}"}}'), as_of=AS_OF)
    assert card.metric("n").status == "error"
    assert not (tmp_path / "copy.db").exists() and not (tmp_path / "other.db").exists()
    with sqlite3.connect(db) as con:
        assert con.execute("select count(*) from tickets").fetchone()[0] == 2


@pytest.mark.parametrize(
    "query",
    [
        "SELECT * FROM read_csv('/etc/passwd')",
        "SELECT * FROM tickets UNION ALL SELECT * FROM read_parquet('elsewhere.parquet')",
    ],
)
def test_a_duckdb_query_cannot_reach_other_files(tmp_path, write_config, query):
    db = tmp_path / "t.duckdb"
    write_parquet(tmp_path / "elsewhere.parquet", [{"id": 1}])
    with duckdb.connect(str(db)) as con:
        con.execute("create table tickets (id int)")
    card = kpiframe.run(one_metric(write_config, f'{{connector: duckdb, path: {db}, query: "{query}"}}'), as_of=AS_OF)
    assert card.metric("n").status == "error"


def test_a_fifo_as_a_source_is_refused_without_hanging(tmp_path, write_config):
    fifo = tmp_path / "tickets.parquet"
    os.mkfifo(fifo)
    config = one_metric(write_config, f"{{connector: parquet, path: {fifo}}}")
    done = subprocess.run(
        [sys.executable, "-m", "kpiframe", "run", str(config)], capture_output=True, text=True, timeout=60
    )
    assert done.returncode == 3 and "is not a regular file" in done.stdout and "Traceback" not in done.stderr


def test_json_nested_deeper_than_the_limit_is_refused_before_duckdb_reads_it(tmp_path, write_config):
    deep = tmp_path / "deep.json"
    deep.write_text("[" + "[" * 100_000 + "]" * 100_000 + "]")
    config = one_metric(write_config, f"{{connector: json, path: {deep}}}")
    done = subprocess.run(
        [sys.executable, "-m", "kpiframe", "run", str(config)], capture_output=True, text=True, timeout=60
    )
    assert done.returncode == 3 and "nests deeper than 64 levels" in done.stdout


def test_json_with_brackets_and_escaped_quotes_inside_strings_is_read(tmp_path, write_config):
    records = tmp_path / "ok.jsonl"
    records.write_text('{"id": 1, "note": "[[[[ \\" {{{{"}\n{"id": 2, "note": "]]]"}\n')
    card = kpiframe.run(one_metric(write_config, f"{{connector: jsonl, path: {records}}}"), as_of=AS_OF)
    assert card.metric("n").value == 2


def test_a_folder_as_a_source_is_named(tmp_path, write_config):
    (tmp_path / "data.parquet").mkdir()
    write_parquet(tmp_path / "t.parquet", TICKETS)
    card = kpiframe.run(
        one_metric(write_config, f"{{connector: parquet, path: {tmp_path / 'data.parquet'}}}"), as_of=AS_OF
    )
    assert card.metric("n").status == "error" and "is a folder" in card.metric("n").reason


@pytest.mark.parametrize(
    "command",
    [
        ["validate", "{fifo}"],
        ["run", "{config}", "--baseline", "{fifo}"],
        ["diff", "{fifo}", "{fifo}"],
        ["run", "{config}", "--history", "{fifo}"],
    ],
)
def test_a_fifo_anywhere_a_file_is_read_is_refused_without_hanging(tmp_path, write_config, command):
    fifo = tmp_path / "named.pipe"
    os.mkfifo(fifo)
    write_parquet(tmp_path / "t.parquet", TICKETS)
    config = one_metric(write_config, f"{{connector: parquet, path: {tmp_path / 't.parquet'}}}")
    args = [part.format(fifo=fifo, config=config) for part in command]
    done = subprocess.run([sys.executable, "-m", "kpiframe", *args], capture_output=True, text=True, timeout=60)
    assert done.returncode == 2 and "not a regular file" in done.stdout + done.stderr and "Traceback" not in done.stderr
