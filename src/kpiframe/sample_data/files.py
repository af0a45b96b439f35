"""Writing a query's rows to Parquet and CSV, one row group at a time.

DuckDB computes a batch of rows on every core while pyarrow writes the one before as
one Parquet row group and appends it to the CSV, the two writers in parallel (all
three release the GIL), so memory holds two batches whatever the table's size. Batch sizes depend only on
the row count, so the same rows give byte-identical files. (DuckDB's own ordered
``COPY`` cost twice the CPU here: it buffers and re-scans every batch to keep order.)
"""

from __future__ import annotations

import math
import os
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

__all__ = ["batch_rows", "write_query"]

#: The largest row group: about 150 MB of tickets in memory at once.
MAX_BATCH = 1_000_000


def batch_rows(rows: int) -> int:
    """Rows per row group: at least as many groups as cores (and 8), so DuckDB scans in parallel."""
    groups = max(8, os.cpu_count() or 1)
    return max(1, min(MAX_BATCH, math.ceil(rows / groups)))


def write_query(
    con: Any,
    sql: str,
    parquet: Path,
    csv: Path | None,
    batch: int,
    on_batch: Callable[[int], None] = lambda rows: None,
) -> int:
    """Write the rows of ``sql`` to ``parquet`` (and ``csv``); return how many there were."""
    import pyarrow.csv as pacsv
    import pyarrow.parquet as pq

    result = con.execute(sql)
    # to_arrow_reader is the newer name (DuckDB 1.4+); fetch_record_batch the older one.
    reader = (getattr(result, "to_arrow_reader", None) or result.fetch_record_batch)(batch)
    count = 0
    with ThreadPoolExecutor(max_workers=2) as pool:
        with pq.ParquetWriter(parquet, reader.schema, compression="zstd") as tables:
            with pacsv.CSVWriter(csv, reader.schema) if csv else _NoCsv() as text:
                # DuckDB computes the next batch while this one is written: one reader, one batch at a time.
                coming = pool.submit(_next, reader)
                while (rows := coming.result()) is not None:
                    coming = pool.submit(_next, reader)
                    pending = pool.submit(tables.write_batch, rows, row_group_size=len(rows))
                    text.write_batch(rows)
                    pending.result()
                    count += len(rows)
                    on_batch(len(rows))
    return count


def _next(reader: Any) -> Any:
    try:
        return reader.read_next_batch()
    except StopIteration:
        return None


class _NoCsv:
    """Stands in for the CSV writer when only Parquet is asked for."""

    def __enter__(self) -> _NoCsv:
        return self

    def __exit__(self, *exc: object) -> None:
        return None

    def write_batch(self, rows: Any) -> None:
        return None
