"""The trends page: one self-contained HTML file, under the rules of the HTML scorecard.

No network request: the Content-Security-Policy forbids every remote load and
allows only the page's own inline style and script, by hash. Everything reads
with scripts off (every metric shows, each with a table of its values per run);
the script only adds the status and "changed recently" filters.
"""

from __future__ import annotations

import base64
import hashlib
from importlib.resources import files
from typing import Any

from markupsafe import Markup

from kpiframe.formatting import STATUS_LABELS, delta_text, value_text
from kpiframe.reporters.html import ICONS
from kpiframe.scorecard import SEVERITY
from kpiframe.trends import chart
from kpiframe.trends.model import MetricTrend, SegmentTrend, Trends

__all__ = ["render_page"]

_ORDER = ("fail", "error", "warn", "no_data", "pass", "info", "absent")
#: The statuses' words, and one for a metric the newest run did not have.
_LABELS = {**STATUS_LABELS, "absent": "NOT IN LATEST RUN", "hidden": "NOT SHOWN IN LATEST RUN (TOP/WORST)"}


def _card(m: MetricTrend, trends: Trends, index: int) -> dict[str, Any]:
    latest = m.latest
    # A metric the newest run lacks is not shown with a status it no longer has.
    status = (latest.status or "absent") if m.in_latest_run else "absent"
    last_seen = trends.runs[m.latest_index].label if m.latest_index is not None and not m.in_latest_run else ""
    changes = m.changes
    changed = {c.index for c in changes}
    rows = [
        {
            "run": run,
            "value": value_text(p.value, m.unit),
            "raw": "" if p.value is None else repr(p.value),
            "status": p.status,
            "label": STATUS_LABELS.get(p.status, "") if p.status else "not in this run",
            # The target only where it differs from the run before: the table stays light at 52 runs.
            "target": (p.target or "") if i == 0 or p.target != m.points[i - 1].target else "",
            "changed": i in changed,
        }
        for i, (run, p) in enumerate(zip(trends.runs, m.points, strict=True))
    ]
    ends = m.change
    return {
        "m": m,
        "index": index,
        "status": status,
        "label": _LABELS.get(status, status.upper()),
        "icon": ICONS.get(status, "–"),
        "severity": SEVERITY.get(status, 0),
        "value": value_text(latest.value, m.unit),
        "raw": "" if latest.value is None else repr(latest.value),
        "target": latest.target or "",
        "warn": latest.warn or "",
        "reason": latest.reason or "",
        "last_seen": last_seen,
        "last_seen_status": STATUS_LABELS.get(latest.status or "", "") if last_seen else "",
        "delta": delta_text(m.delta, m.delta_pct, m.unit, m.direction),
        "moved": m.moved,
        "change_pct": "" if m.delta_pct is None else abs(round(m.delta_pct, 3)),
        "from": value_text(ends[0], m.unit) if ends else "",
        # The run the change starts from: the oldest with a value, so the date and the value agree.
        "since": trends.runs[m.change_from_index].label if m.change_from_index is not None else "",
        "recent": trends.changed_recently(m),
        "changes": [
            {
                "when": trends.runs[c.index].label,
                "before": STATUS_LABELS.get(c.before, c.before),
                "after": STATUS_LABELS.get(c.after, c.after),
                "status": c.after,
            }
            for c in reversed(changes)
        ],
        "last_change": m.last_change_text(trends, _LABELS),
        "chart": chart.trend_line(m, trends.runs, {c.index for c in changes}),
        "strip": chart.status_strip([p.status for p in m.points], m.title),
        "rows": rows,
        "segments": [_segment(seg, m) for seg in m.segments[:SEGMENTS_SHOWN]],
        "more_segments": max(0, len(m.segments) - SEGMENTS_SHOWN),
        "segment_changes": sum(segment.changes for segment in m.segments),
    }


#: Segments a card lists (worst first in the latest run); the JSON has them all.
SEGMENTS_SHOWN = 12


def _segment(segment: SegmentTrend, m: MetricTrend) -> dict[str, Any]:
    latest = segment.latest
    status = latest[1] if latest else "hidden" if segment.hidden_in_latest else "absent"
    return {
        "label": segment.label,
        "status": status,
        "status_label": _LABELS.get(status, status.upper()),
        "icon": ICONS.get(status, "–"),
        "value": value_text(latest[0], m.unit) if latest else "",
        "raw": "" if not latest or latest[0] is None else repr(latest[0]),
        "changes": segment.changes,
        "strip": chart.status_strip([p[1] if p else None for p in segment.points], segment.label),
    }


def _sha256(text: str) -> str:
    """A CSP source for an inline block: the page allows its own style and script, and nothing else."""
    return "sha256-" + base64.b64encode(hashlib.sha256(text.encode()).digest()).decode()


def render_page(trends: Trends, version: str) -> str:
    import jinja2

    folder = files("kpiframe.reporters").joinpath("templates")
    # The scorecard's stylesheet first: one theme (status colours, dark mode, print rules) for both pages.
    css = folder.joinpath("scorecard.css").read_text(encoding="utf-8") + folder.joinpath("trends.css").read_text(
        encoding="utf-8"
    )
    script = folder.joinpath("trends.js").read_text(encoding="utf-8")
    env = jinja2.Environment(autoescape=True, trim_blocks=True, lstrip_blocks=True, undefined=jinja2.StrictUndefined)
    template = env.from_string(folder.joinpath("trends.html.j2").read_text(encoding="utf-8"))
    cards = [_card(m, trends, i) for i, m in enumerate(trends.metrics, 1)]
    counts: dict[str, int] = {}
    for card in cards:
        counts[card["status"]] = counts.get(card["status"], 0) + 1
    csp = (
        f"default-src 'none'; style-src '{_sha256(css)}'; script-src '{_sha256(script)}'; img-src data:; base-uri"
        " 'none'; form-action 'none'"
    )
    latest = trends.runs[-1]
    return template.render(
        trends=trends,
        latest=latest,
        latest_label=STATUS_LABELS.get(latest.status, latest.status.upper()),
        latest_icon=ICONS.get(latest.status, ""),
        counts=[(s, _LABELS[s], counts[s]) for s in _ORDER if counts.get(s)],
        recent_count=sum(1 for c in cards if c["recent"]),
        verdicts=chart.status_strip([r.status for r in trends.runs], "The scorecard"),
        cards=cards,
        version=version,
        css=Markup(css),
        script=Markup(script),
        csp=csp,
        svg=lambda text: Markup(text),
    )
