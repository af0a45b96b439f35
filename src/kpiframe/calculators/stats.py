"""Named statistics (``mean``, ``median``, ``p90``...) as Ibis reductions.

Percentiles are exact and continuous: linear interpolation between the two
nearest order statistics, as DuckDB's ``quantile_cont``, PostgreSQL's
``percentile_cont`` and numpy's default (``method="linear"``) compute them.
Nearest-rank percentiles (Excel's PERCENTILE.EXC, some helpdesk reports) can
differ by up to one order statistic on small samples.
"""

from __future__ import annotations

import re
from typing import Any

STAT_PATTERN = r"^(mean|median|min|max|sum|p(\d{1,2}(\.\d+)?|100))$"

STAT_SCHEMA: dict[str, Any] = {
    "type": "string",
    "pattern": STAT_PATTERN,
    "description": "mean, median, min, max, sum, or a percentile p50, p90, p95, p99.9...",
    "x-kpiframe-expected": "a statistic: mean, median, min, max, sum or a percentile such as p90",
}


def reduce(values: Any, stat: str, where: Any) -> Any:
    """The reduction of ``values`` for ``stat``; rows where ``where`` is false are skipped."""
    if stat == "mean":
        return values.mean(where=where)
    if stat == "median":
        return values.quantile(0.5, where=where)
    if stat in ("min", "max", "sum"):
        return getattr(values, stat)(where=where)
    match = re.fullmatch(r"p(\d{1,2}(?:\.\d+)?|100)", stat)
    if not match:
        raise ValueError(f"unknown statistic {stat!r}")
    return values.quantile(float(match.group(1)) / 100, where=where)


def both(left: Any, right: Any) -> Any:
    """``left and right`` where either may be ``None`` (no condition)."""
    if left is None:
        return right
    if right is None:
        return left
    return left & right
