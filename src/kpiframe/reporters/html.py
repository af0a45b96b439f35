"""The HTML scorecard: one self-contained file with inline CSS, script and SVG charts.

No network request of any kind: the page's Content-Security-Policy forbids
every remote load and allows only its own inline style and script, by hash.
The page works with scripts disabled; scripts only add sorting and filtering.
"""

from __future__ import annotations

import base64
import hashlib
from collections.abc import Mapping
from typing import Any

from kpiframe.contracts import Reporter
from kpiframe.formatting import STATUS_LABELS, delta_text, interval_text, number, value_text
from kpiframe.plugins import hookimpl
from kpiframe.scorecard import SEVERITY, MetricResult, Scorecard

ICONS = {"pass": "✓", "info": "i", "no_data": "–", "warn": "!", "fail": "✗", "error": "⚠"}


def _limits(metric: MetricResult) -> dict[str, tuple[str, list[float]]]:
    """Target and warn thresholds in the metric's unit, for the charts, from the scorecard's
    structured levels (change targets are not drawn: they have no place on the value's axis)."""
    limits = {}
    for name, level in (("target", metric.target_level), ("warn", metric.warn_level)):
        if level is not None and level.op is not None and level.bounds:
            limits[name] = (level.op, list(level.bounds))
    return limits


def _sha256(text: str) -> str:
    return "sha256-" + base64.b64encode(hashlib.sha256(text.encode()).digest()).decode()


def _card(metric: MetricResult, run_window: str) -> dict[str, Any]:
    from kpiframe.reporters import svg

    limits = _limits(metric)
    written = metric.target_level.written_unit if metric.target_level else None
    axis = svg.Axis(metric.unit, written)
    label = f"{metric.title}: {value_text(metric.value, metric.unit)}, {STATUS_LABELS[metric.status]}"
    target_line = limits.get("target", ("", [None]))[1]
    series = [(p.period, p.value) for p in metric.series] if metric.series else []
    better = metric.direction
    delta = delta_text(metric.delta, metric.delta_pct, metric.unit, metric.direction)
    moved = (
        ""
        if not metric.delta or better == "neutral"
        else ("better" if (metric.delta > 0) == (better == "higher") else "worse")
    )
    segments = [
        {
            "status": s.status,
            "label_status": STATUS_LABELS[s.status],
            "icon": ICONS[s.status],
            "label": s.label,
            "value": value_text(s.value, metric.unit),
            "raw": "" if s.value is None else repr(s.value),
            "delta": delta_text(s.delta, s.delta_pct, metric.unit, metric.direction),
            "n": number(s.n) if s.n is not None else "",
            "ci": interval_text(s.interval, metric.unit),
            "target": s.target if s.target and s.target != metric.target else "",
            "reason": s.reason if s.reason and s.status not in ("pass", "info") else "",
        }
        for s in metric.segments
    ]
    return {
        "m": metric,
        "status_label": STATUS_LABELS[metric.status],
        "icon": ICONS[metric.status],
        "severity": SEVERITY[metric.status] * 1000 + max((SEVERITY[s.status] for s in metric.segments), default=0),
        "value": value_text(metric.value, metric.unit),
        "raw": "" if metric.value is None else repr(metric.value),
        "delta": delta,
        "moved": moved,
        "change": metric.delta_pct if metric.delta_pct is not None else "",
        "n": number(metric.n) if metric.n is not None else "",
        "ci": interval_text(metric.interval, metric.unit),
        "baseline": value_text(metric.baseline, metric.unit) if metric.baseline is not None else "",
        # A metric without a target has nothing to be measured against: no bullet (its series, if any, shows).
        "bullet": (
            svg.bullet(metric.value, metric.status, limits, metric.interval, metric.direction, label, axis)
            if limits
            else ""
        ),
        "series": (
            svg.line(
                series,
                target_line[0] if len(target_line) == 1 else None,
                f"{metric.title} per period",
                svg.COLORS.get(metric.status, "#0969da"),
            )
            if series
            else ""
        ),
        "heatmap": (
            svg.heatmap(metric.matrix, metric.direction, metric.unit, f"{metric.title} by weekday and hour")
            if metric.matrix
            else ""
        ),
        "segments": segments,
        "hidden": metric.hidden_segments,
        # The page's header shows the run's window once; a card says its own only when it differs.
        "own_window": metric.window.label if metric.window and metric.window.label != run_window else "",
        "target": metric.target or "",
    }


class HtmlReporter(Reporter):
    name = "html"
    extension = "html"
    description = "A self-contained HTML page with charts (no network), sortable and filterable, printable."

    def render(self, scorecard: Scorecard, options: Mapping[str, Any]) -> str:
        # Imported here: registering the reporter (every run does) needs none of them.
        from importlib.resources import files

        import jinja2
        from markupsafe import Markup

        folder = files("kpiframe.reporters").joinpath("templates")
        css = folder.joinpath("scorecard.css").read_text(encoding="utf-8")
        script = folder.joinpath("scorecard.js").read_text(encoding="utf-8")
        env = jinja2.Environment(
            autoescape=True, trim_blocks=True, lstrip_blocks=True, undefined=jinja2.StrictUndefined
        )
        template = env.from_string(folder.joinpath("scorecard.html.j2").read_text(encoding="utf-8"))
        summary = scorecard.summary
        segments = scorecard.segment_summary
        csp = (
            f"default-src 'none'; style-src '{_sha256(css)}'; script-src '{_sha256(script)}'; img-src data:; base-uri"
            " 'none'; form-action 'none'"
        )
        return template.render(
            card=scorecard,
            run=scorecard.run,
            overall=scorecard.status,
            overall_label=STATUS_LABELS[scorecard.status],
            icons=ICONS,
            labels=STATUS_LABELS,
            counts=[
                (s, STATUS_LABELS[s], summary[s])
                for s in ("fail", "error", "warn", "no_data", "pass", "info")
                if summary[s]
            ],
            segment_counts=[
                (s, STATUS_LABELS[s], segments[s])
                for s in ("fail", "error", "warn", "no_data", "pass", "info")
                if segments[s]
            ],
            cards=[_card(m, scorecard.run.window.label) for m in scorecard.metrics],
            css=Markup(css),
            script=Markup(script),
            csp=csp,
            svg=lambda text: Markup(text),
        )


@hookimpl
def kpiframe_register_reporters() -> list[Reporter]:
    return [HtmlReporter()]
