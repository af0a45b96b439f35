"""A deterministic, realistic support data set for demos, docs and benchmarks.

Eight tables shaped like real exports: ``tickets`` (email, chat, phone, web, social),
``calls`` (a contact-centre queue), ``surveys`` (CSAT, NPS, CES and a staff pulse),
``agents``, ``customers``, ``kb_views``, ``quality_reviews`` and ``servqual``.
Arrivals follow weekday and hour-of-day seasonality; 200 agents work in five teams;
one September week is understaffed, so SLA breaches cluster there; nulls sit where
real exports have them (unanswered tickets, abandoned calls, unassigned tickets,
skipped survey questions) and a few rows carry the data errors real exports have
(resolved before created).

Every table is one DuckDB query over the row numbers 1 to n whose random draws are
hashes of (seed, column, row) (:mod:`.randomness`), so no row depends on the rows before
it and DuckDB computes them on every core, a batch ahead of the writers, which write the
batch before a row group at a time (:mod:`.files`): memory holds a few batches whatever
the size, and the same seed gives byte-identical files.
"""

from __future__ import annotations

import os
import tempfile
from collections.abc import Callable
from pathlib import Path
from typing import Any

from kpiframe.sample_data import calls, small
from kpiframe.sample_data import tickets as tickets_sql
from kpiframe.sample_data.files import batch_rows, write_query
from kpiframe.sample_data.randomness import Draws, as_doubles
from kpiframe.sample_data.shape import AGENTS, END, ROW_IDS, START

__all__ = ["END", "START", "write_sample_data"]

# DuckDB's own cap: a batch being computed takes far less, and the 1.5 GB goal holds.
MEMORY_LIMIT = "1GB"
# How far DuckDB computes ahead of the writers. With its default (about 1 MB) one thread
# worked at a time while the others spun: 1M tickets took 3.9 CPU-s over 2.2 s, and
# 2.5 CPU-s over 1.4 s with this.
STREAMING_BUFFER = "100MB"


def write_sample_data(
    directory: str | os.PathLike[str],
    *,
    tickets: int = 20000,
    seed: int = 7,
    progress: Any = None,
    csv: bool = True,
) -> dict[Path, int]:
    """Write the support tables as Parquet (and CSV unless ``csv=False``); return path → row count.

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
    plan: list[tuple[str, Callable[[], str], int]] = [
        ("tickets", lambda: tickets_sql.tickets(draws, 1, tickets), tickets),
        ("calls", lambda: calls.calls(draws, 1, n_calls), n_calls),
        # Read back from tickets.parquet: a survey follows its ticket's resolution.
        # About half a survey per ticket; the progress total is corrected once it is known.
        ("surveys", lambda: _surveys_sql(draws, tickets_file, tickets), tickets // 2),
        ("agents", lambda: small.agents(draws), AGENTS),
        ("customers", lambda: small.customers(draws), 8000),
        ("kb_views", lambda: small.kb_views(draws, 1, n_views), n_views),
        ("quality_reviews", lambda: small.quality_reviews(draws), 1500),
        ("servqual", lambda: small.servqual(draws), 2000),
    ]
    tracker = _Tracker(progress, sum(rows for _, _, rows in plan))
    written: dict[Path, int] = {}
    with tempfile.TemporaryDirectory(prefix="kpiframe-sample-") as spill:
        con = duckdb.connect(config={"memory_limit": MEMORY_LIMIT, "temp_directory": spill})
        try:
            con.execute("SET enable_progress_bar = false")  # kpiframe.progress draws its own
            con.execute(f"SET streaming_buffer_size = '{STREAMING_BUFFER}'")
            # The row numbers the large tables are drawn over: 16 bytes a ticket, inside DuckDB's memory limit.
            con.execute(f"CREATE TEMP TABLE {ROW_IDS} AS SELECT range AS i FROM range(1, {max(n_calls, n_views) + 1})")
            for name, sql, rows in plan:
                parquet, text = out / f"{name}.parquet", (out / f"{name}.csv" if csv else None)
                count = write_query(con, as_doubles(sql()), parquet, text, batch_rows(rows), tracker.add)
                tracker.correct(rows, count)
                written[parquet] = count
                if text is not None:
                    written[text] = count
        finally:
            con.close()
    return written


def _surveys_sql(draws: Draws, tickets_file: str, count: int) -> str:
    # Staff pulse ids follow every possible ticket survey id (3 per ticket).
    return (
        f"SELECT * FROM ({tickets_sql.ticket_surveys(draws, tickets_file)})"
        f" UNION ALL BY NAME SELECT * FROM ({small.agent_surveys(draws, 3 * count + 1)})"
    )


def _sql_path(path: Path) -> str:
    return str(path).replace("'", "''")


class _Tracker:
    """Counts rows written for a progress display (anything with ``update(what, done, total)``)."""

    def __init__(self, progress: Any, total: int):
        self.progress, self.total, self.done = progress, total, 0

    def add(self, rows: int) -> None:
        self.done += rows
        if self.progress is not None:
            self.progress.update("rows written", self.done, self.total)

    def correct(self, expected: int, count: int) -> None:
        """A table came out with ``count`` rows where ``expected`` were counted (surveys)."""
        self.total += count - expected
