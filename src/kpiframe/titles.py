"""Titles for metrics that have none: read from the id, the way a person would write it.

``frt_p90`` → "FRT p90", ``asa`` → "ASA", ``tickets_per_agent_day`` →
"Tickets per agent day". Abbreviations come from the plugins (the support pack
knows FRT and ASA; the core only knows words every field uses), so a pack's
words never need to live in the core.
"""

from __future__ import annotations

import re
from collections.abc import Iterable

__all__ = ["title_from_id"]

#: Abbreviations that mean the same in every field.
COMMON = frozenset({"kpi", "sla", "slo", "id", "api", "url", "sql", "csv", "roi", "mrr", "arr", "eta"})
#: Statistic suffixes stay as people write them: p90, p99.9.
_STAT = re.compile(r"p\d+(\.\d+)?")


def title_from_id(metric_id: str, abbreviations: Iterable[str] = ()) -> str:
    """A readable title from a metric id (words split on ``_``, ``-`` and spaces)."""
    upper = COMMON | {a.lower() for a in abbreviations}
    words = [w for w in re.split(r"[_\-\s]+", metric_id) if w]
    out = []
    for i, word in enumerate(words):
        lowered = word.lower()
        if lowered in upper:
            out.append(lowered.upper())
        elif _STAT.fullmatch(lowered) or not word.islower():
            out.append(word)  # p90 stays; so does a word the author already cased (iOS, eNPS)
        else:
            out.append(word.capitalize() if i == 0 else word)
    return " ".join(out) or metric_id
