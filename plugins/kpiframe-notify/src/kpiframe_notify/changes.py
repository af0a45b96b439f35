"""Which statuses changed since the previous run, metric by metric and segment by segment.

Both sides are scorecards in their JSON form (the previous one comes from the
history), so a metric is matched by id and a segment by metric id and label,
as baselines are. A metric or segment the previous run did not have counts as
new: if it is red now, that is news.

The events, from a previous status ``p`` (``None`` when new) to ``c``:

- ``failed``: ``c`` is ``fail`` and ``p`` was not;
- ``error``: ``c`` is ``error`` and ``p`` was not;
- ``recovered``: ``p`` was ``fail`` or ``error`` and ``c`` is ``pass``, ``info`` or ``warn``;
- ``warned``: ``c`` is ``warn`` and ``p`` was ``pass``, ``info`` or new;
- ``no_data``: ``c`` is ``no_data`` and ``p`` was not.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from typing import Any

Key = tuple[str, str | None]  # (metric id, segment label or None)
_GOOD = ("pass", "info", "warn")


@dataclass(frozen=True)
class Change:
    event: str
    metric: str
    segment: str | None
    title: str
    before: str | None  # None: the previous run did not have it
    after: str
    value: float | None
    unit: str
    target: str | None
    reason: str | None


def event(before: str | None, after: str) -> str | None:
    """The event a status change is, or None when it is no news."""
    if after == "fail" and before != "fail":
        return "failed"
    if after == "error" and before != "error":
        return "error"
    if before in ("fail", "error") and after in _GOOD:
        return "recovered"
    if after == "warn" and before in ("pass", "info", None):
        return "warned"
    if after == "no_data" and before != "no_data":
        return "no_data"
    return None


def _entries(scorecard: Mapping[str, Any]) -> Iterator[tuple[Key, Mapping[str, Any], Mapping[str, Any]]]:
    """(key, the metric, the entry: the metric itself or one of its segments); garbled entries are skipped."""
    metrics = scorecard.get("metrics")
    for metric in metrics if isinstance(metrics, list) else []:
        if not isinstance(metric, dict) or not isinstance(metric.get("id"), str):
            continue
        yield (metric["id"], None), metric, metric
        segments = metric.get("segments")
        for segment in segments if isinstance(segments, list) else []:
            if isinstance(segment, dict) and isinstance(segment.get("label"), str):
                yield (metric["id"], segment["label"]), metric, segment


def statuses(scorecard: Mapping[str, Any]) -> dict[Key, str]:
    return {key: str(entry.get("status")) for key, _, entry in _entries(scorecard)}


def changes(current: Mapping[str, Any], previous: Mapping[str, Any] | None, events: frozenset[str]) -> list[Change]:
    """The changes from ``previous`` (None: nothing recorded before) to ``current`` among ``events``, in scorecard order."""
    before = statuses(previous) if previous is not None else {}
    found = []
    for key, metric, entry in _entries(current):
        after = str(entry.get("status"))
        kind = event(before.get(key), after)
        if kind is None or kind not in events:
            continue
        value = entry.get("value")
        found.append(
            Change(
                event=kind,
                metric=key[0],
                segment=key[1],
                title=str(metric.get("title") or key[0]),
                before=before.get(key),
                after=after,
                value=value if isinstance(value, (int, float)) else None,
                unit=str(metric.get("unit") or ""),
                target=entry.get("target") if isinstance(entry.get("target"), str) else None,
                reason=entry.get("reason") if isinstance(entry.get("reason"), str) else None,
            )
        )
    return found
