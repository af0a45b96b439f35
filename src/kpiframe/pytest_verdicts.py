"""What a pytest item of a KPI reports: its status and the message a person reads.

The pytest plugin (:mod:`kpiframe.pytest_plugin`) makes one item per metric and one
per segment with its own target; this module turns a scorecard into each item's
verdict. Kept apart so the plugin, loaded by every pytest session, stays small.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from kpiframe.formatting import value_text
from kpiframe.scorecard import MetricResult, SegmentResult
from kpiframe.status import SEVERITY

__all__ = ["segment_label", "verdict"]

#: A per-segment target's key: sorted (name, value) pairs, as the config holds it.
Key = tuple[tuple[str, str], ...]


def segment_label(key: Key, by: Sequence[str]) -> str:
    """``channel=phone, priority=high``: the pairs in the metric's ``by`` order, as segment labels read."""
    return ", ".join(f"{k}={v}" for k, v in sorted(key, key=lambda pair: list(by).index(pair[0])))


def verdict(metric: MetricResult, segment: Key | None, segment_levels: Mapping[Key, Any]) -> tuple[str, str]:
    """(status, message) of one item: the metric with the segments no item of their own judges
    (``segment`` None), or the segments one per-segment target judges.

    The status is the worst of them, as kpiframe's exit code would read them.
    """
    mine = [s for s in metric.segments if _owner(s, segment_levels) == segment]
    if metric.status == "error":
        return "error", f"{metric.id}: error: {metric.reason}"
    if segment is None:
        statuses = [metric.status, *(s.status for s in mine)]
        head = _line(metric.id, metric, metric.unit)
    elif mine:
        statuses = [s.status for s in mine]
        head = f"{metric.id} segments {_label(segment)}"
    else:
        hidden = f" ({metric.hidden_segments} segments hidden by top/worst)" if metric.hidden_segments else ""
        return "no_data", f"{metric.id}: no segment {_label(segment)} in the window{hidden}"
    worst = max(statuses, key=lambda status: SEVERITY[status])
    lines = [head] + [
        "  " + _line(s.label, s, metric.unit) for s in mine if segment is not None or s.status not in ("pass", "info")
    ]
    return worst, "\n".join(lines)


def _owner(segment: SegmentResult, levels: Mapping[Key, Any]) -> Key | None:
    """The per-segment target that judged ``segment`` (the first that matches, as the run chose), or None."""
    have = {(name, _text(value).lower()) for name, value in segment.key.items()}
    return next((key for key in levels if all((k, v.lower()) in have for k, v in key)), None)


def _text(value: Any) -> str:
    if hasattr(value, "isoformat"):
        return str(value.isoformat())
    return "" if value is None else str(value)


def _label(segment: Key) -> str:
    return ", ".join(f"{k}={v}" for k, v in segment)


def _line(name: str, result: MetricResult | SegmentResult, unit: str) -> str:
    """``frt_p90: fail 26.1 h (target <= 24h, warn <= 20h): reason``."""
    levels = [f"target {result.target}"] if result.target else []
    levels += [f"warn {result.warn}"] if result.warn and result.status == "warn" else []
    value = f" {value_text(result.value, unit)}" if result.value is not None else ""
    text = f"{name}: {result.status}{value}" + (f" ({', '.join(levels)})" if levels else "")
    return text + (f": {result.reason}" if result.reason else "")
