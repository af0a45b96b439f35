"""Markdown: a table fit for a pull-request comment or a GitHub step summary."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from kpiframe.contracts import Reporter
from kpiframe.engine.evaluate import gate_reasons
from kpiframe.formatting import STATUS_LABELS, counted, delta_text, interval_text, number, sparkline, value_text
from kpiframe.plugins import hookimpl
from kpiframe.scorecard import MetricResult, Scorecard

# An emoji for a quick scan, and the status as a word for readers and greyscale.
ICONS = {"pass": "✅", "info": "ℹ️", "no_data": "⚪", "warn": "⚠️", "fail": "❌", "error": "🛑"}


def _cell(text: Any) -> str:
    return str(text).replace("|", "\\|").replace("\n", " ") if text is not None else ""


def _row(cells: list[str]) -> str:
    return "| " + " | ".join(_cell(c) for c in cells) + " |"


def _problems(m: MetricResult) -> list[str]:
    """A bullet per reason of a metric and its segments that did not pass."""
    lines = []
    if m.reason and m.status in ("error", "no_data", "warn", "fail"):
        lines.append(f"- **{m.id}** ({STATUS_LABELS[m.status]}): {_cell(m.reason)}")
    shown, more = m.segment_reasons()
    lines += [f"- **{m.id}** {_cell(s.label)} ({STATUS_LABELS[s.status]}): {_cell(why)}" for s, why in shown]
    if more:
        lines.append(f"- **{m.id}**: … and {more} more segments (every reason is in the JSON and CSV reports)")
    return lines


class MarkdownReporter(Reporter):
    name = "markdown"
    extension = "md"
    description = "A Markdown table for a pull-request comment or GitHub step summary, with ▲▼ deltas."

    def rows(self, m: MetricResult) -> list[str]:
        status = f"{ICONS[m.status]} {STATUS_LABELS[m.status]}"
        trend = sparkline([p.value for p in m.series]) if m.series else ""
        rows = [
            _row(
                [
                    status,
                    f"**{m.title}**",
                    value_text(m.value, m.unit),
                    delta_text(m.delta, m.delta_pct, m.unit, m.direction),
                    " ".join(x for x in (m.target or "", f"(warn {m.warn})" if m.warn else "") if x),
                    number(m.n) if m.n is not None else "",
                    interval_text(m.interval, m.unit),
                    trend,
                ]
            )
        ]
        for s in m.segments:
            rows.append(
                _row(
                    [
                        f"{ICONS[s.status]} {STATUS_LABELS[s.status]}",
                        f"↳ {s.label}",
                        value_text(s.value, m.unit),
                        delta_text(s.delta, s.delta_pct, m.unit, m.direction),
                        s.target if s.target and s.target != m.target else "",
                        number(s.n) if s.n is not None else "",
                        interval_text(s.interval, m.unit),
                        "",
                    ]
                )
            )
        if m.hidden_segments:
            rows.append(_row(["", f"↳ … {m.hidden_segments} more segments", "", "", "", "", "", ""]))
        return rows

    def render(self, scorecard: Scorecard, options: Mapping[str, Any]) -> str:
        summary = ", ".join(f"{count} {STATUS_LABELS[s].lower()}" for s, count in scorecard.summary.items() if count)
        lines = [
            f"## {ICONS[scorecard.status]} {scorecard.title}",
            "",
            (
                f"**{STATUS_LABELS[scorecard.status]}**: {summary}. As of {scorecard.run.as_of}, window"
                f" {scorecard.run.window.label}."
            ),
            "",
            _row(["Status", "Metric", "Value", "Δ", "Target", "n", "95% CI", "Trend"]),
            "|---|---|--:|--:|---|--:|--:|---|",
        ]
        for metric in scorecard.metrics:
            lines.extend(self.rows(metric))
        problems = [line for m in scorecard.metrics for line in _problems(m)]
        if problems:
            lines += ["", *problems]
        notes = [*scorecard.run.notes, *gate_reasons(scorecard, str(options.get("fail_on", "fail")))]
        if notes:
            lines += ["", *(f"- **Note:** {_cell(note)}" for note in notes)]
        lines += [
            "",
            (
                f"<sub>kpiframe {scorecard.run.kpiframe_version} · config {scorecard.run.config_hash} ·"
                f" {counted(scorecard.run.queries, 'query', 'queries')}</sub>"
            ),
            "",
        ]
        return "\n".join(lines)


@hookimpl
def kpiframe_register_reporters() -> list[Reporter]:
    return [MarkdownReporter()]
