"""Writing a query's rows to Parquet and CSV, one row group at a time.

DuckDB computes the next batch of rows while the one before is written: pyarrow encodes
it as one Parquet row group on one thread and formats its CSV text in slices on the
others (all release the GIL; the slices are appended in order), so every core is busy
and memory holds a few batches and slices of text whatever the table's size. CSV text
costs about as much as computing the rows, which is why it is split. Only string
columns are dictionary-encoded: the writer's attempt on ids, times and measures failed
and cost half its time. Batch sizes depend only on the row count, so the same rows give
byte-identical files. (DuckDB's own ordered ``COPY`` cost twice the CPU here: it buffers
and re-scans every batch to keep order, and its CSV text cost twice pyarrow's.)
"""

from __future__ import annotations

import math
import os
from collections import deque
from collections.abc import Callable
from concurrent.futures import Future, ThreadPoolExecutor
from contextlib import nullcontext
from pathlib import Path
from typing import Any, BinaryIO

__all__ = ["batch_rows", "write_query"]

#: The largest row group: about 75 MB of tickets in memory at once.
MAX_BATCH = 500_000
#: Rows of CSV text formatted at once: about 2.5 MB of calls, which the allocator reuses
#: (64k-row slices, 10 MB, came fresh from the kernel: a third more system time).
CSV_SLICE = 16_384


def batch_rows(rows: int) -> int:
    """Rows per row group: at least as many groups as cores (and 8), so computing and writing overlap."""
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
            with open(csv, "wb") if csv else nullcontext() as text:
                if text is not None:
                    text.write(_csv_text(reader.schema.empty_table(), header=True))
                # DuckDB computes the next batch while this one is written: one reader, one batch at a time.
                coming = pool.submit(_next, reader)
                while (rows := coming.result()) is not None:
                    coming = pool.submit(_next, reader)
                    pending = pool.submit(tables.write_batch, rows, row_group_size=len(rows))
                    if text is not None:
                        _write_csv(pool, rows, text)
                    pending.result()
                    count += len(rows)
                    on_batch(len(rows))
    return count


def _write_csv(pool: ThreadPoolExecutor, rows: Any, text: BinaryIO) -> None:
    """Append the CSV text of ``rows``: slices formatted a core each, written in order.

    At most one slice per core waits to be written, so the text in memory stays a few
    megabytes (a whole batch's text at once: 260 MB more at peak at 10M tickets).
    """
    waiting: deque[Future[Any]] = deque()
    for start in range(0, len(rows), CSV_SLICE):
        waiting.append(pool.submit(_csv_text, rows.slice(start, CSV_SLICE)))
        if len(waiting) > _cores():
            text.write(waiting.popleft().result())
    while waiting:
        text.write(waiting.popleft().result())


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
