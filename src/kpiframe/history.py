"""The run history: every scorecard of a config, in a database file the team owns.

``--history FILE`` appends each run to a DuckDB file (the default), an SQLite
file (``.sqlite``, ``.sqlite3``, ``.db``) or a PostgreSQL database
(``postgresql://...``, needs ``kpiframe[postgres]``). Change targets then compare
with an earlier run: ``baseline: previous``, ``{median_of_last: N}`` or
``{pinned: <run id or date>}``.

A history is marked by a ``kpiframe_history_meta`` table. A file that is not a
database, or a database kpiframe did not create, is refused with a clear error
and never written to. Two CI jobs writing at once both land: DuckDB allows one
writing process at a time, so a writer that finds the file locked retries with
backoff; SQLite waits on its busy timeout; PostgreSQL takes concurrent inserts.
"""

from __future__ import annotations

import json
import os
import random
import re
import subprocess
import time
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

from kpiframe.errors import HistoryError, first_line  # noqa: F401  (HistoryError: re-exported for callers)

SCHEMA_VERSION = "1"
_SQLITE_MAGIC = b"SQLite format 3\x00"
_DUCKDB_MAGIC_AT_8 = b"DUCK"


@dataclass(frozen=True)
class Run:
    run_id: str
    recorded_at: str
    as_of: str
    title: str
    config_hash: str
    git_commit: str | None
    status: str
    scorecard: dict[str, Any]


def git_commit(folder: Path) -> str | None:
    """The commit being tested: the CI's variable, else ``git rev-parse HEAD``, else nothing."""
    for name in ("GITHUB_SHA", "CI_COMMIT_SHA", "BUILD_VCS_NUMBER", "GIT_COMMIT"):
        if os.environ.get(name):
            return os.environ[name]
    try:
        out = subprocess.run(["git", "rev-parse", "HEAD"], cwd=folder, capture_output=True, text=True, timeout=5)
    except (OSError, subprocess.SubprocessError):
        return None
    return out.stdout.strip() or None if out.returncode == 0 else None


class HistoryStore:
    """Append and read runs. Subclasses say how to connect and which placeholder to use."""

    placeholder = "?"
    location: str

    def connect(self) -> Any:
        raise NotImplementedError

    @contextmanager
    def session(self) -> Iterator[Any]:
        con = self.connect()
        try:
            yield con
        finally:
            con.close()

    def _sql(self, text: str) -> str:
        return text.replace("?", self.placeholder)

    def _tables(self, con: Any) -> set[str]:
        rows = con.execute("select table_name from information_schema.tables").fetchall()
        return {r[0].lower() for r in rows}

    def _check(self, con: Any) -> bool:
        """Whether the store is a kpiframe history (False: empty). Refuses a foreign one."""
        tables = self._tables(con)
        if "kpiframe_history_meta" in tables:
            version = con.execute(self._sql("select value from kpiframe_history_meta where key = ?"), ("schema_version",)).fetchone()
            if not version or version[0] != SCHEMA_VERSION:
                raise HistoryError(f"{self.location} is a kpiframe history of another format version ({version[0] if version else 'unknown'}); use a new path")
            return True
        others = sorted(t for t in tables if t != "kpiframe_runs")
        if others:
            raise HistoryError(
                f"{self.location} holds tables kpiframe did not create ({', '.join(others[:5])}); "
                "kpiframe will not write into it. Give --history a new path"
            )
        return False

    def _prepare(self, con: Any) -> None:
        """Create the tables in an empty store; refuse a store kpiframe did not create."""
        if self._check(con):
            return
        con.execute("create table if not exists kpiframe_history_meta (key varchar primary key, value varchar)")
        con.execute(
            "create table if not exists kpiframe_runs (run_id varchar primary key, recorded_at varchar, as_of varchar, "
            "title varchar, config_hash varchar, git_commit varchar, status varchar, scorecard text)"
        )
        con.execute(self._sql("insert into kpiframe_history_meta values (?, ?) on conflict do nothing"), ("schema_version", SCHEMA_VERSION))

    def append(self, scorecard: dict[str, Any], git: str | None) -> Run:
        run = Run(
            run_id=uuid.uuid4().hex[:12],
            recorded_at=datetime.now(timezone.utc).isoformat(timespec="microseconds").replace("+00:00", "Z"),
            as_of=scorecard["run"]["as_of"],
            title=scorecard["title"],
            config_hash=scorecard["run"]["config_hash"],
            git_commit=git,
            status=scorecard["status"],
            scorecard=scorecard,
        )
        with self.session() as con:
            self._prepare(con)
            con.execute(
                self._sql("insert into kpiframe_runs values (?, ?, ?, ?, ?, ?, ?, ?)"),
                (run.run_id, run.recorded_at, run.as_of, run.title, run.config_hash, run.git_commit, run.status, json.dumps(scorecard)),
            )
            self.commit(con)
        return run

    def commit(self, con: Any) -> None:
        if hasattr(con, "commit"):
            con.commit()

    def runs(self, title: str | None = None, limit: int | None = None) -> list[Run]:
        """Runs newest first, optionally of one scorecard title."""
        with self.session() as con:
            if not self._check(con):
                return []
            query = "select run_id, recorded_at, as_of, title, config_hash, git_commit, status, scorecard from kpiframe_runs"
            params: tuple[Any, ...] = ()
            if title is not None:
                query += " where title = ?"
                params = (title,)
            query += " order by recorded_at desc, run_id desc"
            if limit:
                query += f" limit {int(limit)}"
            rows = con.execute(self._sql(query), params).fetchall()
        return [Run(*row[:7], scorecard=json.loads(row[7])) for row in rows]  # type: ignore[misc]

    def find(self, ref: str, title: str | None = None) -> Run:
        """A run by id (or id prefix), or the latest run on a date (YYYY-MM-DD)."""
        runs = self.runs(title)
        matches = [r for r in runs if r.run_id.startswith(ref)]
        if not matches and re.fullmatch(r"\d{4}-\d{2}-\d{2}", ref):
            matches = [r for r in runs if r.as_of.startswith(ref) or r.recorded_at.startswith(ref)]
        if not matches:
            raise HistoryError(f"no run {ref!r} in {self.location}; `kpiframe history list` shows the runs")
        return matches[0]

    def prune(self, keep: int | None = None, before: str | None = None) -> int:
        """Delete runs beyond the newest ``keep`` per title, or recorded before a date. Returns how many."""
        runs = self.runs()
        doomed: list[str] = []
        if keep is not None:
            seen: dict[str, int] = {}
            for run in runs:
                seen[run.title] = seen.get(run.title, 0) + 1
                if seen[run.title] > keep:
                    doomed.append(run.run_id)
        if before is not None:
            doomed += [r.run_id for r in runs if r.recorded_at < before and r.run_id not in doomed]
        if doomed:
            with self.session() as con:
                for run_id in doomed:
                    con.execute(self._sql("delete from kpiframe_runs where run_id = ?"), (run_id,))
                self.commit(con)
        return len(doomed)


class DuckDBHistory(HistoryStore):
    def __init__(self, path: Path):
        self.path = path
        self.location = str(path)

    def connect(self) -> Any:
        import duckdb

        if self.path.exists():
            head = self.path.read_bytes()[:16]
            if head.startswith(_SQLITE_MAGIC):
                raise HistoryError(f"{self.path} is an SQLite file; name it .sqlite or .db to use it as an SQLite history")
            if self.path.stat().st_size and head[8:12] != _DUCKDB_MAGIC_AT_8:
                raise HistoryError(f"{self.path} is not a DuckDB database (corrupt, or another kind of file); kpiframe leaves it as it is")
        deadline = time.monotonic() + 60
        delay = 0.05
        while True:
            try:
                return duckdb.connect(str(self.path))
            except duckdb.IOException as exc:
                # Another process holds the write lock: wait for it, with jittered backoff.
                if "lock" not in str(exc).lower() or time.monotonic() > deadline:
                    raise HistoryError(f"cannot open {self.path}: {first_line(exc)}") from None
                time.sleep(delay * (1 + random.random()))
                delay = min(delay * 2, 1.0)
            except duckdb.Error as exc:
                raise HistoryError(f"{self.path} cannot be read as a DuckDB history: {first_line(exc)}") from None


class SQLiteHistory(HistoryStore):
    def __init__(self, path: Path):
        self.path = path
        self.location = str(path)

    def connect(self) -> Any:
        import sqlite3

        if self.path.exists() and self.path.stat().st_size and not self.path.read_bytes()[:16].startswith(_SQLITE_MAGIC):
            raise HistoryError(f"{self.path} is not an SQLite database (corrupt, or another kind of file); kpiframe leaves it as it is")
        return sqlite3.connect(self.path, timeout=60)

    def _tables(self, con: Any) -> set[str]:
        return {r[0].lower() for r in con.execute("select name from sqlite_master where type = 'table'").fetchall()}


class PostgresHistory(HistoryStore):
    placeholder = "%s"

    def __init__(self, url: str):
        self.url = url
        self.location = re.sub(r"//[^@/]*@", "//***@", url)  # never show credentials

    def connect(self) -> Any:
        try:
            import psycopg
        except ImportError:
            raise HistoryError("a PostgreSQL history needs psycopg: pip install 'kpiframe[postgres]'") from None
        try:
            return psycopg.connect(self.url, connect_timeout=10)
        except psycopg.Error as exc:
            message = first_line(exc)
            raise HistoryError(f"cannot connect to the history database {self.location}: {message.replace(self.url, self.location)}") from None

    def _tables(self, con: Any) -> set[str]:
        rows = con.execute("select table_name from information_schema.tables where table_schema = current_schema()").fetchall()
        return {r[0].lower() for r in rows}

    def _prepare(self, con: Any) -> None:
        # Two first runs may race to create the tables: serialise that with an advisory lock.
        con.execute("select pg_advisory_xact_lock(764823)")
        super()._prepare(con)


def open_history(location: str | os.PathLike[str]) -> HistoryStore:
    text = str(location)
    if text.startswith(("postgresql://", "postgres://")):
        return PostgresHistory(text)
    path = Path(text)
    if path.is_dir():
        raise HistoryError(f"--history {path} is a folder; give a file such as {path / 'kpi-history.duckdb'}")
    if path.suffix.lower() in (".sqlite", ".sqlite3", ".db"):
        return SQLiteHistory(path)
    return DuckDBHistory(path)
