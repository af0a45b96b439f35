"""Writing a query's rows to Parquet and CSV, one row group at a time.

DuckDB computes the next batch of rows while the one before is written: pyarrow encodes
it as one Parquet row group on one thread and formats its CSV text in a slice per core
on others (all release the GIL; the slices are appended in order), so every core is busy
and memory holds two batches and one batch's text whatever the table's size. CSV text
costs more than the rest together, which is why it is split. Only string columns are
dictionary-encoded: the writer's attempt on ids, times and measures failed and cost
half its time. Batch sizes depend only on the row count, so the same rows give
byte-identical files. (DuckDB's own ordered ``COPY`` cost twice the CPU here: it buffers
and re-scans every batch to keep order, and its CSV text cost twice pyarrow's.)
"""

from __future__ import annotations

import math
import os
from collections.abc import Callable
from concurrent.futures import Future, ThreadPoolExecutor
from pathlib import Path
from typing import Any, BinaryIO

__all__ = ["batch_rows", "write_query"]

#: The largest row group: about 150 MB of tickets in memory at once.
MAX_BATCH = 1_000_000


def batch_rows(rows: int) -> int:
    """Rows per row group: at least as many groups as cores (and 8), so the work is spread evenly."""
    groups = max(8, _cores())
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
    import pyarrow as pa
    import pyarrow.parquet as pq

    result = con.execute(sql)
    # to_arrow_reader is the newer name (DuckDB 1.4+); fetch_record_batch the older one.
    reader = (getattr(result, "to_arrow_reader", None) or result.fetch_record_batch)(batch)
    strings = [field.name for field in reader.schema if pa.types.is_string(field.type)]
    count = 0
    with ThreadPoolExecutor(max_workers=2 + _cores()) as pool:
        with pq.ParquetWriter(parquet, reader.schema, compression="zstd", use_dictionary=strings) as tables:
            with open(csv, "wb") if csv else _NoCsv() as text:
                text.write(_csv_text(reader.schema.empty_table(), header=True))
                # DuckDB computes the next batch while this one is written: one reader, one batch at a time.
                coming = pool.submit(_next, reader)
                while (rows := coming.result()) is not None:
                    coming = pool.submit(_next, reader)
                    pending = pool.submit(tables.write_batch, rows, row_group_size=len(rows))
                    for part in _csv_parts(pool, rows) if csv else []:
                        text.write(part.result())
                    pending.result()
                    count += len(rows)
                    on_batch(len(rows))
    return count


def _csv_parts(pool: ThreadPoolExecutor, rows: Any) -> list[Future[Any]]:
    """The CSV text of ``rows``, a slice per core formatted at once, in order."""
    size = math.ceil(len(rows) / _cores())
    return [pool.submit(_csv_text, rows.slice(start, size)) for start in range(0, len(rows), size)]


def _csv_text(rows: Any, header: bool = False) -> Any:
    import pyarrow as pa
    import pyarrow.csv as pacsv

    sink = pa.BufferOutputStream()
    pacsv.write_csv(rows, sink, pacsv.WriteOptions(include_header=header))
    return sink.getvalue()


def _cores() -> int:
    return os.cpu_count() or 1


def _next(reader: Any) -> Any:
    try:
        return reader.read_next_batch()
    except StopIteration:
        return None


class _NoCsv:
    """Stands in for the CSV file when only Parquet is asked for."""

    def __enter__(self) -> BinaryIO | _NoCsv:
        return self

    def __exit__(self, *exc: object) -> None:
        return None

    def write(self, text: Any) -> None:
        return None
