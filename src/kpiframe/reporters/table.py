"""The terminal table: one row per metric (and per segment), status in words and colour."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from kpiframe.contracts import Reporter
from kpiframe.engine.evaluate import gate_reasons
from kpiframe.formatting import (
    STATUS_LABELS,
    counted,
    delta_text,
    interval_text,
    number,
    printable,
    sparkline,
    status_text,
    value_text,
)
from kpiframe.plugins import hookimpl
from kpiframe.scorecard import MetricResult, Scorecard


def _target(target: str | None, warn: str | None) -> str:
    text = target or ""
    if warn:
        text += f" (warn {warn})" if text else f"warn {warn}"
    return text


class TableReporter(Reporter):
    name = "table"
    extension = "txt"
    description = "A terminal table (tabulate); coloured status when the terminal supports it."

    def rows(self, m: MetricResult, color: bool) -> list[list[str]]:
        trend = sparkline([p.value for p in m.series]) if m.series else ""
        rows = [
            [
                status_text(m.status, color),
                printable(m.title),
                value_text(m.value, m.unit),
                delta_text(m.delta, m.delta_pct, m.unit, m.direction, color),
                printable(_target(m.target, m.warn)),
                number(m.n) if m.n is not None else "",
                interval_text(m.interval, m.unit),
                trend,
            ]
        ]
        for s in m.segments:
            rows.append(
                [
                    status_text(s.status, color),
                    f"  {printable(s.label)}",
                    value_text(s.value, m.unit),
                    delta_text(s.delta, s.delta_pct, m.unit, m.direction, color),
                    printable(s.target) if s.target and s.target != m.target else "",
                    number(s.n) if s.n is not None else "",
                    interval_text(s.interval, m.unit),
                    "",
                ]
            )
        if m.hidden_segments:
            rows.append(["", f"  … {m.hidden_segments} more segments not shown", "", "", "", "", "", ""])
        return rows

    def render(self, scorecard: Scorecard, options: Mapping[str, Any]) -> str:
        from tabulate import tabulate  # only when a table is printed (not for `--quiet -o json=`)

        color = bool(options.get("color"))
        rows = [row for m in scorecard.metrics for row in self.rows(m, color)]
        has = {
            "delta": any(m.baseline is not None for m in scorecard.metrics),
            "trend": any(m.series for m in scorecard.metrics),
        }
        headers = ["Status", "Metric", "Value", "Δ", "Target", "n", "95% CI", "Trend"]
        keep = [i for i, h in enumerate(headers) if (h != "Δ" or has["delta"]) and (h != "Trend" or has["trend"])]
        align = ("left", "left", "right", "right", "left", "right", "right", "left")
        table = tabulate(
            [[row[i] for i in keep] for row in rows],
            headers=[headers[i] for i in keep],
            tablefmt="simple",
            disable_numparse=True,
            colalign=tuple(align[i] for i in keep),
        )
        run = scorecard.run
        lines = [
            printable(scorecard.title),
            (
                f"as of {run.as_of} · window {run.window.label} · {counted(len(scorecard.metrics), 'metric')} in"
                f" {counted(run.queries, 'query', 'queries')}, {run.duration_s:.2f}s"
            ),
            "",
            table,
            "",
        ]
        reasons = [m for m in scorecard.metrics if m.reason or m.segment_reasons()[0]]
        for m in reasons:
            if m.reason:
                lines.append(printable(f"{STATUS_LABELS[m.status]} {m.id}: {m.reason}"))
            shown, more = m.segment_reasons()
            lines.extend(printable(f"{STATUS_LABELS[s.status]} {m.id} {s.label}: {why}") for s, why in shown)
            if more:
                lines.append(f"  … and {more} more segments of {m.id} (every reason is in the JSON and CSV reports)")
        notes = [f"Note: {note}" for note in scorecard.run.notes] + gate_reasons(
            scorecard, str(options.get("fail_on", "fail"))
        )
        lines.extend(printable(note) for note in notes)
        if reasons or notes:
            lines.append("")
        summary = scorecard.summary
        line = "  ".join(f"{count} {STATUS_LABELS[status].lower()}" for status, count in summary.items() if count)
        segments = {k: v for k, v in scorecard.segment_summary.items() if v}
        if segments:
            line += (
                "  (segments: "
                + ", ".join(f"{count} {STATUS_LABELS[status].lower()}" for status, count in segments.items())
                + ")"
            )
        lines.append(line)
        return "\n".join(lines) + "\n"


@hookimpl
def kpiframe_register_reporters() -> list[Reporter]:
    return [TableReporter()]
