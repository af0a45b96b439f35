"""The scorecard: the one object every reporter renders from (DESIGN §6, a contract).

Its JSON form (:meth:`Scorecard.to_dict`) is published as a JSON Schema in
``kpiframe/schemas/scorecard-1.schema.json`` and carries ``schema_version``.
"""

from __future__ import annotations

import json
from dataclasses import asdict, dataclass, field
from typing import Any

SCHEMA_VERSION = 1

#: Every status a metric can have, from best to worst. ``info`` is a metric
#: with no target: reported, never gating.
STATUSES = ("pass", "info", "no_data", "warn", "fail", "error")


@dataclass(frozen=True)
class WindowInfo:
    start: str | None  # ISO 8601, UTC
    end: str | None
    label: str


@dataclass(frozen=True)
class MetricResult:
    id: str
    title: str
    calc: str
    source: str | None
    unit: str
    direction: str
    status: str
    value: float | None
    n: int | None = None
    interval: tuple[float, float] | None = None
    target: str | None = None
    warn: str | None = None
    reason: str | None = None
    window: WindowInfo | None = None
    details: dict[str, Any] = field(default_factory=dict)
    description: str | None = None


@dataclass(frozen=True)
class RunInfo:
    config_path: str
    config_hash: str
    as_of: str
    started_at: str
    duration_s: float
    kpiframe_version: str
    plugins: dict[str, str]
    window: WindowInfo
    queries: int


@dataclass(frozen=True)
class Scorecard:
    title: str
    run: RunInfo
    metrics: tuple[MetricResult, ...]

    @property
    def summary(self) -> dict[str, int]:
        counts = {status: 0 for status in STATUSES}
        for metric in self.metrics:
            counts[metric.status] += 1
        return counts

    @property
    def status(self) -> str:
        """The worst status of any metric (``pass`` for an empty scorecard)."""
        worst = "pass"
        for metric in self.metrics:
            if STATUSES.index(metric.status) > STATUSES.index(worst):
                worst = metric.status
        return worst

    def metric(self, metric_id: str) -> MetricResult:
        for metric in self.metrics:
            if metric.id == metric_id:
                return metric
        raise KeyError(metric_id)

    def to_dict(self) -> dict[str, Any]:
        data = {
            "schema_version": SCHEMA_VERSION,
            "title": self.title,
            "status": self.status,
            "summary": self.summary,
            "run": asdict(self.run),
            "metrics": [asdict(m) for m in self.metrics],
        }
        for metric in data["metrics"]:
            if metric["interval"] is not None:
                metric["interval"] = list(metric["interval"])
        return data

    def to_json(self, indent: int | None = 2) -> str:
        return json.dumps(self.to_dict(), indent=indent, sort_keys=False, default=str)

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> Scorecard:
        """Read a scorecard back from its JSON form (for baselines and ``diff``)."""
        run = dict(data["run"])
        run["window"] = WindowInfo(**run["window"])
        metrics = []
        for raw in data["metrics"]:
            item = dict(raw)
            item["window"] = WindowInfo(**item["window"]) if item.get("window") else None
            item["interval"] = tuple(item["interval"]) if item.get("interval") else None
            metrics.append(MetricResult(**item))
        return cls(title=data["title"], run=RunInfo(**run), metrics=tuple(metrics))
