"""The terminal table: one row per metric, status in words (and colour on a terminal)."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from tabulate import tabulate

from kpiframe.contracts import Reporter
from kpiframe.formatting import STATUS_LABELS, interval_text, number, status_text, value_text
from kpiframe.plugins import hookimpl
from kpiframe.scorecard import Scorecard


class TableReporter(Reporter):
    name = "table"
    extension = "txt"
    description = "A terminal table (tabulate); coloured status when the terminal supports it."

    def render(self, scorecard: Scorecard, options: Mapping[str, Any]) -> str:
        color = bool(options.get("color"))
        rows = []
        for m in scorecard.metrics:
            target = m.target or ""
            if m.warn:
                target += f" (warn {m.warn})" if target else f"warn {m.warn}"
            rows.append(
                [
                    status_text(m.status, color),
                    m.title,
                    value_text(m.value, m.unit),
                    target,
                    number(m.n) if m.n is not None else "",
                    interval_text(m.interval, m.unit),
                ]
            )
        table = tabulate(
            rows,
            headers=["Status", "Metric", "Value", "Target", "n", "95% CI"],
            tablefmt="simple",
            disable_numparse=True,
            colalign=("left", "left", "right", "left", "right", "right"),
        )
        run = scorecard.run
        lines = [
            f"{scorecard.title}",
            f"as of {run.as_of} · window {run.window.label} · {len(scorecard.metrics)} metrics in {run.queries} queries, {run.duration_s:.2f}s",
            "",
            table,
            "",
        ]
        notes = [m for m in scorecard.metrics if m.reason]
        for m in notes:
            lines.append(f"{STATUS_LABELS[m.status]} {m.id}: {m.reason}")
        if notes:
            lines.append("")
        summary = scorecard.summary
        lines.append("  ".join(f"{count} {STATUS_LABELS[status].lower()}" for status, count in summary.items() if count))
        return "\n".join(lines) + "\n"


@hookimpl
def kpiframe_register_reporters() -> list[Reporter]:
    return [TableReporter()]
