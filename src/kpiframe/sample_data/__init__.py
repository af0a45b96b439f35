"""A deterministic, realistic support data set for demos, docs and benchmarks.

Eight tables shaped like real exports: ``tickets`` (email, chat, phone, web, social),
``calls`` (a contact-centre queue), ``surveys`` (CSAT, NPS, CES and a staff pulse),
``agents``, ``customers``, ``kb_views``, ``quality_reviews`` and ``servqual``.
Arrivals follow weekday and hour-of-day seasonality; 200 agents work in five teams;
one September week is understaffed, so SLA breaches cluster there; nulls sit where
real exports have them (unanswered tickets, abandoned calls, unassigned tickets,
skipped survey questions) and a few rows carry the data errors real exports have
(resolved before created).

Every table is one DuckDB query over ``range(n)`` whose random draws are hashes of
(seed, column, row) (:mod:`.randomness`), copied straight to Parquet and then to CSV.
DuckDB computes and writes it on every core, a row group at a time, so 10 million
tickets take seconds and memory stays flat; the same seed gives byte-identical files.
"""

from __future__ import annotations

import math
import os
import tempfile
import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from kpiframe.sample_data import calls, small, tickets
from kpiframe.sample_data.randomness import Draws, as_doubles
from kpiframe.sample_data.shape import AGENTS, END, START

__all__ = ["END", "START", "write_sample_data"]

# DuckDB's own cap: enough for a row group of every table in flight, far under the 1.5 GB goal.
MEMORY_LIMIT = "1GB"


def write_sample_data(
    directory: str | os.PathLike[str], *, tickets: int = 20000, seed: int = 7, progress: Any = None
) -> dict[Path, int]:
    """Write the support tables as Parquet and CSV; return path → row count.

    Tables: tickets, calls, surveys (customer CSAT/NPS/CES and a staff pulse), agents,
    customers, kb_views, quality_reviews and servqual. Calls are 1.5 and help-centre
    views 2 per ticket. Only these files are written; other files in ``directory`` are
    left alone.
    """
    import duckdb

    out = Path(directory)
    out.mkdir(parents=True, exist_ok=True)
    draws = Draws(seed)
    n_calls, n_views = int(tickets * 1.5), tickets * 2
    tickets_file = _sql_path(out / "tickets.parquet")
    plan: list[tuple[str, Callable[[], str], int | None]] = [
        ("tickets", lambda: _tickets_sql(draws, tickets), tickets),
        ("calls", lambda: calls.calls(draws, 1, n_calls), n_calls),
        # Read back from tickets.parquet: a survey follows its ticket's resolution.
        ("surveys", lambda: _surveys_sql(draws, tickets_file, tickets), None),
        ("agents", lambda: small.agents(draws), AGENTS),
        ("customers", lambda: small.customers(draws), 8000),
        ("kb_views", lambda: small.kb_views(draws, 1, n_views), n_views),
        ("quality_reviews", lambda: small.quality_reviews(draws), 1500),
        ("servqual", lambda: small.servqual(draws), 2000),
    ]
    tracker = _Tracker(progress, sum(2 * (rows or tickets) for _, _, rows in plan))
    written: dict[Path, int] = {}
    with tempfile.TemporaryDirectory(prefix="kpiframe-sample-") as spill:
        con = duckdb.connect(config={"memory_limit": MEMORY_LIMIT, "temp_directory": spill})
        try:
            for name, sql, rows in plan:
                parquet, csv = out / f"{name}.parquet", out / f"{name}.csv"
                expected = rows or tickets
                groups = max(8, os.cpu_count() or 1)
                options = f"FORMAT parquet, COMPRESSION zstd, ROW_GROUP_SIZE {max(1, math.ceil(expected / groups))}"
                with tracker.step(con, expected):
                    count = _copy(con, sql(), parquet, options)
                with tracker.step(con, count):
                    _copy(con, f"SELECT * FROM read_parquet('{_sql_path(parquet)}')", csv, "FORMAT csv, HEADER")
                written[parquet] = written[csv] = count
        finally:
            con.close()
    return written


def _tickets_sql(draws: Draws, count: int) -> str:
    return tickets.tickets(draws, 1, count)


def _surveys_sql(draws: Draws, tickets_file: str, count: int) -> str:
    # Staff pulse ids follow every possible ticket survey id (3 per ticket).
    return (
        f"SELECT * FROM ({tickets.ticket_surveys(draws, tickets_file)})"
        f" UNION ALL BY NAME SELECT * FROM ({small.agent_surveys(draws, 3 * count + 1)})"
    )


def _sql_path(path: Path) -> str:
    return str(path).replace("'", "''")


def _copy(con: Any, sql: str, target: Path, options: str) -> int:
    """COPY a query's rows to a file; return how many."""
    row = con.execute(f"COPY ({as_doubles(sql)}) TO '{_sql_path(target)}' ({options})").fetchone()
    return int(row[0]) if row else 0


class _Tracker:
    """Reports rows written to a progress display, polling DuckDB during each COPY."""

    def __init__(self, progress: Any, total: int):
        self.progress, self.total, self.done = progress, total, 0

    @contextmanager
    def step(self, con: Any, rows: int) -> Iterator[None]:
        if self.progress is None:
            yield
            return
        stop = threading.Event()

        def poll() -> None:
            while not stop.wait(0.25):
                share = con.query_progress()
                if share > 0:
                    self.progress.update("rows written", self.done + int(rows * min(share, 100) / 100), self.total)

        watcher = threading.Thread(target=poll, daemon=True)
        watcher.start()
        try:
            yield
        finally:
            stop.set()
            watcher.join()
        self.done += rows
        self.progress.update("rows written", self.done, self.total)
