"""The trends as JSON (a documented shape, see docs/reports.md), Markdown and a terminal table.

The three carry the same numbers as the trends page: latest value and status,
the change over the runs shown, the status changes, and every run's value.
Text from configs and data is escaped for where it lands (Markdown cells, the
terminal) by the caller's usual helpers.
"""

from __future__ import annotations

import json
from typing import Any

from kpiframe.formatting import STATUS_LABELS, delta_text, printable, sparkline, value_text
from kpiframe.trends.model import MetricTrend, SegmentTrend, Trends

__all__ = ["TRENDS_SCHEMA_VERSION", "to_dict", "to_json", "to_markdown", "to_table"]

TRENDS_SCHEMA_VERSION = 1
_ICONS = {"pass": "✅", "info": "ℹ️", "no_data": "⚪", "warn": "⚠️", "fail": "❌", "error": "🛑"}


def to_dict(trends: Trends) -> dict[str, Any]:
    """The trends as plain data: runs oldest first, and per metric one point per run."""
    runs = trends.runs
    return {
        "kind": "kpiframe.trends",
        "schema_version": TRENDS_SCHEMA_VERSION,
        "title": trends.title,
        "history": trends.location,
        "recent_runs": trends.recent,
        "runs": [
            {
                "run_id": r.run_id,
                "as_of": r.as_of,
                "recorded_at": r.recorded_at,
                "label": r.label,
                "window": {"start": r.window_start, "end": r.window_end, "zone": r.zone},
                "status": r.status,
                "git_commit": r.git_commit,
            }
            for r in runs
        ],
        "metrics": [_metric(m, trends) for m in trends.metrics],
    }


def _metric(m: MetricTrend, trends: Trends) -> dict[str, Any]:
    latest_index = m.latest_index
    latest = m.latest
    ends = m.change
    return {
        "id": m.id,
        "title": m.title,
        "unit": m.unit,
        "direction": m.direction,
        "in_latest_run": m.in_latest_run,
        "latest": {
            "run_id": trends.runs[latest_index].run_id if latest_index is not None else None,
            "value": latest.value,
            "status": latest.status,
            "target": latest.target,
            "warn": latest.warn,
        },
        "change": (
            {
                "first": ends[0],
                "last": ends[1],
                "from_run_id": trends.runs[m.change_from_index].run_id if m.change_from_index is not None else None,
                "delta": m.delta,
                "delta_pct": m.delta_pct,
                "moved": m.moved or None,
            }
            if ends
            else None
        ),
        "status_changes": [
            {
                "run_id": trends.runs[c.index].run_id,
                "as_of": trends.runs[c.index].as_of,
                "from": c.before,
                "to": c.after,
            }
            for c in m.changes
        ],
        "changed_recently": trends.changed_recently(m),
        "segments": [
            {
                "label": seg.label,
                "hidden_in_latest_run": seg.hidden_in_latest,
                "points": [None if p is None else {"value": p[0], "status": p[1]} for p in seg.points],
            }
            for seg in m.segments
        ],
        "points": [
            {
                "run_id": run.run_id,
                "value": p.value,
                "status": p.status,
                "target": p.target,
                "warn": p.warn,
                "target_level": p.target_level,
                "warn_level": p.warn_level,
            }
            for run, p in zip(trends.runs, m.points, strict=True)
        ],
    }


def to_json(trends: Trends) -> str:
    return json.dumps(to_dict(trends), indent=2, allow_nan=False) + "\n"


def _cell(text: Any) -> str:
    """Text as one Markdown table cell: pipes escaped, ``<`` and ``&`` as entities (GitHub renders
    ``&lt;`` as ``<``, while a raw tag from a title would be stripped or break the table)."""
    if text is None:
        return ""
    plain = str(text).replace("&", "&amp;").replace("<", "&lt;")  # ">= 80%" stays readable: no tag opens without "<"
    return plain.replace("|", "\\|").replace("\n", " ")


def _row_cells(m: MetricTrend, trends: Trends, icons: bool) -> list[str]:
    latest = m.latest
    status = latest.status if m.in_latest_run else None
    label = STATUS_LABELS.get(status, status) if status else "not in the latest run"
    if not m.in_latest_run and m.latest_index is not None:
        label += f" (last {trends.runs[m.latest_index].label}: {STATUS_LABELS.get(latest.status or '', '')})"
    return [
        f"{_ICONS.get(status or '', '–')} {label}" if icons else label,
        m.title,
        value_text(latest.value, m.unit),
        latest.target or "",
        delta_text(m.delta, m.delta_pct, m.unit, m.direction),
        sparkline([p.value for p in m.points]),
        m.last_change_text(trends, STATUS_LABELS, " on ") + (" (recent)" if trends.changed_recently(m) else ""),
    ]


_HEADERS = ["Status", "Metric", "Latest", "Target", "Change", "Trend", "Last status change"]


def to_markdown(trends: Trends) -> str:
    """A table for a pull-request comment: one row per metric, worst news first in the text above it."""
    changed = [m for m in trends.metrics if trends.changed_recently(m)]
    lines = [
        f"### Trends: {_cell(trends.title)}",
        "",
        f"{len(trends.runs)} runs, {trends.period}. Change is from the first to the latest value shown;"
        f" {len(changed)} of {len(trends.metrics)} metrics changed status in the last {trends.recent} runs.",
        "",
        "| " + " | ".join(_HEADERS) + " |",
        "|" + "|".join(["---"] * 2 + ["---:"] + ["---"] + ["---:"] + ["---"] * 2) + "|",
    ]
    for m in trends.metrics:
        cells = _row_cells(m, trends, icons=True)
        cells[1] = f"**{cells[1]}**"
        lines.append("| " + " | ".join(_cell(c) for c in cells) + " |")
        lines += [
            "| " + " | ".join(_cell(c) for c in _segment_cells(seg, m)) + " |" for seg in m.segments[:SEGMENT_ROWS]
        ]
    return "\n".join(lines) + "\n"


#: Segments listed under a metric in Markdown, worst first (the JSON has them all).
SEGMENT_ROWS = 5


def _segment_cells(segment: SegmentTrend, m: MetricTrend) -> list[str]:
    latest = segment.latest
    status = latest[1] if latest else None
    absent = "not shown in the latest run (top/worst)" if segment.hidden_in_latest else "not in the latest run"
    label = STATUS_LABELS.get(status, status) if status else absent
    values = [p[0] if p else None for p in segment.points]
    return [
        f"{_ICONS.get(status or '', '–')} {label}",
        f"↳ {segment.label}",
        value_text(latest[0], m.unit) if latest else "",
        "",
        "",
        sparkline(values),
        f"{segment.changes} status changes" if segment.changes else "",
    ]


def to_table(trends: Trends) -> str:
    from tabulate import tabulate

    rows = [_row_cells(m, trends, icons=False) for m in trends.metrics]
    head = f"{trends.title}: {len(trends.runs)} runs, {trends.period}\n"
    return printable(head + tabulate(rows, headers=_HEADERS) + "\n")
