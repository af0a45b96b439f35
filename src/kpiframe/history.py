"""The run history: every scorecard of a config, in a database file the team owns.

``--history FILE`` records each run in a DuckDB file (the default), an SQLite
file (``.sqlite``, ``.sqlite3``, ``.db``) or a PostgreSQL database
(``postgresql://...``, needs ``kpiframe[postgres]``). Change targets then compare
with an earlier run: ``baseline: previous``, ``{median_of_last: N}``,
``{last_passing: true}`` or ``{pinned: <run id or date>}``.

A recorded run is identified by its title, its window and its as-of. A run only
ever compares with runs of **earlier windows** (ending at or before its own
start), and recording the same window again **replaces** that run (unless
``--history-mode append``). So a CI job that is re-run gives the first run's
verdict every time: a failed run can never become its own baseline.

Every write is one transaction, so a process killed mid-write leaves the store as
it was. A row that cannot be read (corrupt JSON, missing fields) is skipped with
a warning that names it, and never breaks later runs.

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
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from kpiframe.contracts import PreviousRun
from kpiframe.errors import HistoryError, first_line
from kpiframe.redaction import mask_url_passwords

__all__ = ["HistoryError", "HistoryStore", "Run", "git_commit", "open_history", "parse_before"]

SCHEMA_VERSION = "2"  # 2 added window_start and window_end; version-1 stores are migrated in place
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
    window_start: str | None = None  # ISO, UTC; None: unbounded
    window_end: str | None = None

    @property
    def window_zone(self) -> str | None:
        """The zone the run's window was set in (its scorecard records it); None for older runs: read as UTC."""
        window = self.scorecard.get("run", {}).get("window") if isinstance(self.scorecard, dict) else None
        zone = window.get("zone") if isinstance(window, dict) else None
        return zone if isinstance(zone, str) else None

    @property
    def passed(self) -> bool:
        """No metric or segment failed or errored (warnings and no data still pass)."""
        return self.status not in ("fail", "error")


_COLUMNS = "run_id, recorded_at, as_of, title, config_hash, git_commit, status, scorecard, window_start, window_end"


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
    """Record and read runs. Subclasses say how to connect and which placeholder to use."""

    placeholder = "?"
    location: str
    #: Warnings about rows that could not be read (one per row), for the caller to show.
    skipped: list[str]

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

    def _check(self, con: Any, in_transaction: bool = False) -> bool:
        """Whether the store is a kpiframe history (False: empty). Refuses a foreign one; migrates version 1."""
        tables = self._tables(con)
        if "kpiframe_history_meta" in tables:
            version = con.execute(
                self._sql("select value from kpiframe_history_meta where key = ?"), ("schema_version",)
            ).fetchone()
            if version and version[0] == "1":
                if in_transaction:
                    self._migrate_1_to_2(con)
                else:
                    self.begin(con)
                    try:
                        self._migrate_1_to_2(con)
                    except BaseException:
                        self.rollback(con)
                        raise
                    self.commit(con)
                return True
            if not version or version[0] != SCHEMA_VERSION:
                raise HistoryError(
                    f"{self.location} is a kpiframe history of another format version"
                    f" ({version[0] if version else 'unknown'}); use a new path"
                )
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
        if self._check(con, in_transaction=True):
            return
        con.execute("create table if not exists kpiframe_history_meta (key varchar primary key, value varchar)")
        con.execute(
            "create table if not exists kpiframe_runs (run_id varchar primary key, recorded_at varchar, as_of varchar, "
            "title varchar, config_hash varchar, git_commit varchar, status varchar, scorecard text, "
            "window_start varchar, window_end varchar)"
        )
        con.execute(
            self._sql("insert into kpiframe_history_meta values (?, ?) on conflict do nothing"),
            ("schema_version", SCHEMA_VERSION),
        )

    def _migrate_1_to_2(self, con: Any) -> None:
        """Version 1 had no window columns: add them, fill them from each stored scorecard."""
        con.execute("alter table kpiframe_runs add column window_start varchar")
        con.execute("alter table kpiframe_runs add column window_end varchar")
        for run_id, text in con.execute("select run_id, scorecard from kpiframe_runs").fetchall():
            try:
                window = json.loads(text)["run"]["window"]
                start, end = window.get("start"), window.get("end")
            except (ValueError, TypeError, KeyError, AttributeError):
                continue  # an unreadable row stays unreadable; reading skips it with a warning
            con.execute(
                self._sql("update kpiframe_runs set window_start = ?, window_end = ? where run_id = ?"),
                (start, end, run_id),
            )
        con.execute(
            self._sql("update kpiframe_history_meta set value = ? where key = ?"), (SCHEMA_VERSION, "schema_version")
        )

    def append(self, scorecard: dict[str, Any], git: str | None, mode: str = "replace") -> Run:
        """Record a run. ``replace`` (the default) first removes runs of the same title and window,
        so a re-run is recorded once; ``append`` keeps them (a series of runs over one window)."""
        window = scorecard["run"].get("window") or {}
        run = Run(
            run_id=uuid.uuid4().hex[:12],
            recorded_at=datetime.now(UTC).isoformat(timespec="microseconds").replace("+00:00", "Z"),
            as_of=scorecard["run"]["as_of"],
            title=scorecard["title"],
            config_hash=scorecard["run"]["config_hash"],
            git_commit=git,
            status=scorecard["status"],
            scorecard=scorecard,
            window_start=window.get("start"),
            window_end=window.get("end"),
        )
        with self.writing() as con:
            self._prepare(con)
            if mode == "replace":
                con.execute(
                    self._sql(
                        "delete from kpiframe_runs where title = ? and coalesce(window_start, '') = coalesce(?, '') "
                        "and coalesce(window_end, '') = coalesce(?, '')"
                    ),
                    (run.title, run.window_start, run.window_end),
                )
            con.execute(
                self._sql(f"insert into kpiframe_runs ({_COLUMNS}) values (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)"),
                (
                    run.run_id,
                    run.recorded_at,
                    run.as_of,
                    run.title,
                    run.config_hash,
                    run.git_commit,
                    run.status,
                    json.dumps(scorecard),
                    run.window_start,
                    run.window_end,
                ),
            )
        return run

    @contextmanager
    def writing(self) -> Iterator[Any]:
        """One transaction: every change lands, or (an error, a killed process) none does."""
        with self.session() as con:
            self.begin(con)
            try:
                yield con
            except BaseException:
                self.rollback(con)
                raise
            self.commit(con)

    def begin(self, con: Any) -> None:
        con.execute("begin transaction")

    def rollback(self, con: Any) -> None:
        try:
            con.execute("rollback")
        except Exception:
            pass

    def commit(self, con: Any) -> None:
        con.execute("commit")

    def runs(
        self,
        title: str | None = None,
        limit: int | None = None,
        before: str | None = None,
        window: tuple[str | None, str | None] | None = None,
    ) -> list[Run]:
        """Runs newest first (by window end, then recording time), optionally of one title.

        :param before: only runs whose window ends at or before this instant (ISO):
            the runs of earlier windows, which a run may compare with.
        :param window: only runs of this window (start, end), as ``replace`` matches them.

        A row that cannot be read is left out, and :attr:`skipped` says which.
        """
        with self.session() as con:
            if not self._check(con):
                return []
            query = f"select {_COLUMNS} from kpiframe_runs"
            conditions: list[str] = []
            params: list[str | None] = []
            if title is not None:
                conditions.append("title = ?")
                params.append(title)
            if before is not None:
                conditions.append("window_end is not null and window_end <= ?")
                params.append(before)
            if window is not None:
                conditions.append(
                    "coalesce(window_start, '') = coalesce(?, '') and coalesce(window_end, '') = coalesce(?, '')"
                )
                params.extend(window)
            if conditions:
                query += " where " + " and ".join(conditions)
            query += " order by coalesce(window_end, as_of) desc, recorded_at desc, run_id desc"
            if limit:
                query += f" limit {int(limit)}"
            rows = con.execute(self._sql(query), tuple(params)).fetchall()
        return [run for row in rows if (run := self._read(row)) is not None]

    def titles(self) -> dict[str, int]:
        """Each scorecard title in the store and how many runs it has (reads no scorecard)."""
        with self.session() as con:
            if not self._check(con):
                return {}
            rows = con.execute("select title, count(*) from kpiframe_runs group by title").fetchall()
        return {str(title): int(count) for title, count in rows}

    def _read(self, row: tuple[Any, ...]) -> Run | None:
        """A stored row as a Run, or None (and a warning in :attr:`skipped`) when it is unreadable."""
        try:
            scorecard = json.loads(row[7])
            if (
                not isinstance(scorecard, dict)
                or not isinstance(scorecard.get("metrics"), list)
                or not isinstance(scorecard.get("run"), dict)
            ):
                raise ValueError("not a scorecard")
            text = [str(v) if v is not None else None for v in row[:10]]
            return Run(
                run_id=str(text[0]),
                recorded_at=str(text[1]),
                as_of=str(text[2]),
                title=str(text[3]),
                config_hash=str(text[4]),
                git_commit=text[5],
                status=text[6] or "",
                scorecard=scorecard,
                window_start=text[8],
                window_end=text[9],
            )
        except (ValueError, TypeError, IndexError) as exc:
            warning = f"history {self.location}: skipped run {row[0]!r}, which cannot be read ({first_line(exc)})"
            if warning not in self.skipped:
                self.skipped.append(warning)
            return None

    def previous(self, title: str, window_start: str | None, window_end: str | None) -> PreviousRun | None:
        """The run a new run of ``title`` over this window follows (see :class:`kpiframe.PreviousRun`).

        The newest run of the same window when one is recorded (a re-run), else the
        newest run of an earlier window: the one ``baseline: previous`` compares with.
        """
        same = self.runs(title, limit=1, window=(window_start, window_end))
        if same:
            return _previous(same[0], same_window=True)
        earlier = self.runs(title, limit=1, before=window_start) if window_start else []
        return _previous(earlier[0], same_window=False) if earlier else None

    def find(self, ref: str, title: str | None = None) -> Run:
        """A run by id (or id prefix), or the latest run on a date (YYYY-MM-DD)."""
        ref = ref.strip()
        if not ref:
            raise HistoryError("give a run id (or its first characters) or a date; `kpiframe history list` shows them")
        runs = self.runs(title)
        matches = [r for r in runs if r.run_id.startswith(ref)]
        ids = sorted({r.run_id for r in matches})
        if len(ids) > 1:  # an id prefix picks one run or none; a date picks the latest run that day
            shown = ", ".join(ids[:5]) + (", ..." if len(ids) > 5 else "")
            raise HistoryError(f"run {ref!r} is ambiguous in {self.location}: {shown}; give more of the id")
        if not matches and re.fullmatch(r"\d{4}-\d{2}-\d{2}", ref):
            matches = [r for r in runs if r.as_of.startswith(ref) or r.recorded_at.startswith(ref)]
        if not matches:
            raise HistoryError(f"no run {ref!r} in {self.location}; `kpiframe history list` shows the runs")
        return matches[0]

    def prune(self, keep: int | None = None, before: datetime | None = None) -> int:
        """Delete runs beyond the newest ``keep`` per title, or recorded before an instant. Returns how many."""
        runs = self.runs()
        doomed: list[str] = []
        if keep is not None:
            seen: dict[str, int] = {}
            for run in runs:
                seen[run.title] = seen.get(run.title, 0) + 1
                if seen[run.title] > keep:
                    doomed.append(run.run_id)
        if before is not None:
            doomed += [r.run_id for r in runs if _instant(r.recorded_at) < before and r.run_id not in doomed]
        if doomed:
            with self.writing() as con:
                for run_id in doomed:
                    con.execute(self._sql("delete from kpiframe_runs where run_id = ?"), (run_id,))
        return len(doomed)


def _previous(run: Run, same_window: bool) -> PreviousRun:
    return PreviousRun(
        run_id=run.run_id,
        recorded_at=run.recorded_at,
        window_start=run.window_start,
        window_end=run.window_end,
        same_window=same_window,
        scorecard=run.scorecard,
    )


def _head(path: Path) -> bytes:
    """The first bytes of a file (its format's magic), refusing what is not a regular file."""
    if not path.is_file():
        raise HistoryError(f"--history {path} is not a regular file (a folder, a FIFO or a device?); give a file path")
    with open(path, "rb") as handle:
        return handle.read(16)


def _instant(text: str) -> datetime:
    """A stored ISO timestamp as an aware datetime (recorded times are UTC with a Z)."""
    moment = datetime.fromisoformat(text.replace("Z", "+00:00"))
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)


def parse_before(text: str, now: datetime | None = None) -> datetime:
    """``--before``: a date (``2026-01-31``), a timestamp, or a duration back from now (``30d``, ``12w``, ``6h``).

    :raises HistoryError: anything else; "yesterday" or a typo must never prune everything.
    """
    now = now or datetime.now(UTC)
    value = text.strip()
    duration = re.fullmatch(r"(\d{1,6})\s*(d|w|h)", value)
    if duration:
        amount, unit = int(duration.group(1)), duration.group(2)
        unit_name = {"d": "days", "w": "weeks", "h": "hours"}[unit]
        return now - timedelta(**{unit_name: amount})
    try:
        moment = datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError:
        raise HistoryError(
            "--before: expected a date (2026-01-31), a timestamp or a duration back from now (30d, 12w, 6h), got"
            f" {text!r}"
        ) from None
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)


class DuckDBHistory(HistoryStore):
    def __init__(self, path: Path):
        self.path = path
        self.location = str(path)
        self.skipped = []

    def connect(self) -> Any:
        import duckdb

        if self.path.exists():
            head = _head(self.path)
            if head.startswith(_SQLITE_MAGIC):
                raise HistoryError(
                    f"{self.path} is an SQLite file; name it .sqlite or .db to use it as an SQLite history"
                )
            if self.path.stat().st_size and head[8:12] != _DUCKDB_MAGIC_AT_8:
                raise HistoryError(
                    f"{self.path} is not a DuckDB database (corrupt, or another kind of file); kpiframe leaves it as"
                    " it is"
                )
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
        self.skipped = []

    def connect(self) -> Any:
        import sqlite3

        if self.path.exists() and self.path.stat().st_size and not _head(self.path).startswith(_SQLITE_MAGIC):
            raise HistoryError(
                f"{self.path} is not an SQLite database (corrupt, or another kind of file); kpiframe leaves it as it is"
            )
        try:
            # Autocommit mode: `writing()` issues BEGIN and COMMIT itself, one transaction per change.
            return sqlite3.connect(self.path, timeout=60, isolation_level=None)
        except sqlite3.Error as exc:
            raise HistoryError(f"cannot open the SQLite history {self.path}: {first_line(exc)}") from None

    def begin(self, con: Any) -> None:
        con.execute("begin immediate")

    def _tables(self, con: Any) -> set[str]:
        return {r[0].lower() for r in con.execute("select name from sqlite_master where type = 'table'").fetchall()}


class PostgresHistory(HistoryStore):
    placeholder = "%s"

    def __init__(self, url: str):
        self.url = url
        self.location = mask_url_passwords(re.sub(r"//[^@/]*@", "//***@", url))  # never show credentials
        self.skipped = []

    def connect(self) -> Any:
        try:
            import psycopg
        except ImportError:
            raise HistoryError("a PostgreSQL history needs psycopg: pip install 'kpiframe[postgres]'") from None
        try:
            # Autocommit: `writing()` issues BEGIN and COMMIT itself; every statement is bounded in time.
            from psycopg.conninfo import conninfo_to_dict

            # Keep the URL's own options (a search_path, say) and add the statement timeout.
            options = " ".join(
                filter(None, [str(conninfo_to_dict(self.url).get("options") or ""), "-c statement_timeout=30000"])
            )
            return _Guarded(psycopg.connect(self.url, connect_timeout=10, autocommit=True, options=options), self)
        except psycopg.Error as exc:
            raise HistoryError(
                f"cannot connect to the history database {self.location}: {self.clean(first_line(exc))}"
            ) from None

    def clean(self, message: str) -> str:
        return mask_url_passwords(message.replace(self.url, self.location))

    def _tables(self, con: Any) -> set[str]:
        rows = con.execute(
            "select table_name from information_schema.tables where table_schema = current_schema()"
        ).fetchall()
        return {r[0].lower() for r in rows}

    def _prepare(self, con: Any) -> None:
        # Two first runs may race to create the tables: serialise that with an advisory lock.
        con.execute("select pg_advisory_xact_lock(764823)")
        super()._prepare(con)


class _Guarded:
    """A PostgreSQL connection whose errors are HistoryErrors that say why (read-only, timed out)."""

    def __init__(self, con: Any, store: PostgresHistory):
        self._con, self._store = con, store

    def execute(self, *args: Any) -> Any:
        import psycopg

        try:
            return self._con.execute(*args)
        except psycopg.errors.ReadOnlySqlTransaction:
            raise HistoryError(
                f"the history database {self._store.location} is read-only; give --history a store kpiframe may"
                " write to"
            ) from None
        except psycopg.errors.QueryCanceled:
            raise HistoryError(
                f"the history database {self._store.location} did not answer within 30 s (statement timeout)"
            ) from None
        except psycopg.errors.InsufficientPrivilege as exc:
            raise HistoryError(
                f"no permission on the history database {self._store.location}: {self._store.clean(first_line(exc))}"
            ) from None
        except psycopg.Error as exc:
            raise HistoryError(
                f"the history database {self._store.location} failed: {self._store.clean(first_line(exc))}"
            ) from None

    def close(self) -> None:
        self._con.close()


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
