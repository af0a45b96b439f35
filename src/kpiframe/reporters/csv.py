"""CSV: one row per metric and segment, for spreadsheets and further processing."""

from __future__ import annotations

import csv
import io
from collections.abc import Mapping
from typing import Any

from kpiframe.contracts import Reporter
from kpiframe.formatting import csv_safe
from kpiframe.plugins import hookimpl
from kpiframe.scorecard import Scorecard

COLUMNS = [
    "metric",
    "segment",
    "title",
    "status",
    "value",
    "unit",
    "n",
    "ci_low",
    "ci_high",
    "target",
    "warn",
    "baseline",
    "delta",
    "delta_pct",
    "reason",
]


class CsvReporter(Reporter):
    name = "csv"
    extension = "csv"
    description = (
        "One CSV row per metric and segment (values unrounded; text that a spreadsheet would run as a formula starts"
        " with ')."
    )

    def render(self, scorecard: Scorecard, options: Mapping[str, Any]) -> str:
        out = io.StringIO()
        writer = csv.writer(out, lineterminator="\n")
        writer.writerow(COLUMNS)
        for m in scorecard.metrics:
            rows: list[tuple[str, Any]] = [("", m), *((s.label, s) for s in m.segments)]
            for label, r in rows:
                low, high = r.interval or (None, None)
                writer.writerow(
                    [
                        "" if v is None else csv_safe(v)
                        for v in (
                            m.id,
                            label,
                            m.title,
                            r.status,
                            r.value,
                            m.unit,
                            r.n,
                            low,
                            high,
                            r.target,
                            r.warn,
                            r.baseline,
                            r.delta,
                            r.delta_pct,
                            r.reason,
                        )
                    ]
                )
        return out.getvalue()


@hookimpl
def kpiframe_register_reporters() -> list[Reporter]:
    return [CsvReporter()]
