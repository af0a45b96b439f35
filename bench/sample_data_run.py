"""``kpiframe sample-data DIR --rows N``, timed as one whole process, and its output kept for the support run.

The generator is timed once per bench (it is the slowest step, and its target is a
budget, not a ratio), writing a fresh set next to the cached one; on success the fresh
set replaces the cache in ``bench/data/support-N`` (Parquet only: the CSV copies it
also writes are deleted, as configs/support.yaml reads Parquet). A run that goes past
``LIMITS`` is stopped, so a slow generator cannot exhaust the machine; the support run
then uses the cached set from an earlier bench, if there is one.
"""

from __future__ import annotations

import shutil
import sys
from dataclasses import dataclass
from pathlib import Path

from harness import BENCH, Limits, Run, Tool, run_once

#: The targets at 10M tickets (issue 13, item 5).
TARGET_SECONDS, TARGET_RSS_MB, TARGET_ROWS = 30.0, 1536, 10_000_000


def limits(rows: int) -> Limits:
    """Four times the time budget and twice the memory budget (time scaled to ``rows``, at least 2 minutes)."""
    return Limits(seconds=max(120.0, 4 * TARGET_SECONDS * rows / TARGET_ROWS), rss_mb=2 * TARGET_RSS_MB)


@dataclass(frozen=True)
class Generated:
    """The timed run, and the folder the support run reads (None: no set to run on)."""

    run: Run
    data: Path | None
    #: True when ``data`` was written by this run, False when it is an earlier bench's set.
    fresh: bool


def generate(rows: int, scratch: Path) -> Generated:
    """Time the generator on ``rows`` tickets and keep its Parquet files as the cached set."""
    cached = BENCH / "data" / f"support-{rows}"
    fresh = BENCH / "data" / f"support-{rows}.partial"
    shutil.rmtree(fresh, ignore_errors=True)
    fresh.parent.mkdir(exist_ok=True)
    argv = (sys.executable, "-m", "kpiframe", "sample-data", str(fresh), "--rows", str(rows))
    run = run_once(Tool("kpiframe sample-data", argv), scratch, limits=limits(rows))
    if run.stopped:
        shutil.rmtree(fresh, ignore_errors=True)
        return Generated(run, cached if cached.exists() else None, fresh=False)
    for csv in fresh.glob("*.csv"):
        csv.unlink()
    shutil.rmtree(cached, ignore_errors=True)
    fresh.rename(cached)
    return Generated(run, cached, fresh=True)
