"""The scorecard: the one object every reporter renders from (DESIGN §6, a contract).

Its JSON form (:meth:`Scorecard.to_dict`) is published as a JSON Schema in
``kpiframe/schemas/scorecard-1.schema.json`` and carries ``schema_version``.
"""

from __future__ import annotations

import json
import math
from dataclasses import asdict, dataclass, field
from typing import Any

from kpiframe.status import SEVERITY, STATUSES, Status

__all__ = [
    "SEVERITY",
    "STATUSES",
    "MetricResult",
    "RunInfo",
    "Scorecard",
    "SegmentResult",
    "SeriesPoint",
    "Status",
    "WindowInfo",
    "LevelInfo",
]

SCHEMA_VERSION = 1


def _jsonable(value: Any) -> Any:
    """Segment keys may be dates or decimals; JSON gets their ISO text or float."""
    if hasattr(value, "isoformat"):
        return value.isoformat()
    if isinstance(value, tuple):
        return list(value)
    return str(value)


def _strict(value: Any) -> Any:
    """Infinite and NaN numbers (a plugin's details, say) become null: strict JSON has no such numbers."""
    if isinstance(value, float) and not math.isfinite(value):
        return None
    if isinstance(value, dict):
        return {k: _strict(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_strict(v) for v in value]
    return value


@dataclass(frozen=True)
class WindowInfo:
    start: str | None  # ISO 8601, UTC
    end: str | None
    label: str
    #: The scorecard's reporting zone (IANA name), so a report reads the edges as local dates: a Berlin
    #: month is 2026-10-01 to 2026-11-01 there, 2026-09-30T22:00Z in UTC. None in scorecards from before it.
    zone: str | None = None


@dataclass(frozen=True)
class SegmentResult:
    """One segment of a metric (``by:``): its key, value and verdict."""

    key: dict[str, Any]
    label: str
    status: Status
    value: float | None
    n: int | None = None
    interval: tuple[float, float] | None = None
    target: str | None = None
    warn: str | None = None
    reason: str | None = None
    baseline: float | None = None
    delta: float | None = None
    delta_pct: float | None = None
    target_level: LevelInfo | None = None


@dataclass(frozen=True)
class LevelInfo:
    """A target or warn level as data, so that reporters draw and compare without parsing text.

    Bounds are in the metric's unit; ``written_unit`` is the unit the author wrote
    them in (``h`` for ``"<= 24h"``, ``%``), so a chart can label its axis the way
    the target reads. A change part is in % when ``change_relative``, else in the
    metric's unit. ``text`` is the level as written, for display.
    """

    text: str
    op: str | None = None  # < <= > >= == between; None when the level is only on the change
    bounds: tuple[float, ...] = ()
    written_unit: str | None = None
    change_op: str | None = None
    change_limit: float | None = None
    change_relative: bool = False
    change_worse: bool = False
    noise_runs: int | None = None


@dataclass(frozen=True)
class SeriesPoint:
    """One period of a metric's series (``grain:``)."""

    period: str  # ISO date of the period's first day
    value: float | None
    n: int | None = None


#: How many segment reasons a text report lists per metric (the JSON and CSV keep every one).
SEGMENT_REASONS = 5


@dataclass(frozen=True)
class MetricResult:
    id: str
    title: str
    calc: str
    source: str | None
    unit: str
    direction: str
    status: Status
    value: float | None
    n: int | None = None
    interval: tuple[float, float] | None = None
    target: str | None = None
    warn: str | None = None
    reason: str | None = None
    window: WindowInfo | None = None
    details: dict[str, Any] = field(default_factory=dict)
    description: str | None = None
    segments: tuple[SegmentResult, ...] = ()
    hidden_segments: int = 0
    series: tuple[SeriesPoint, ...] | None = None
    baseline: float | None = None
    baseline_window: WindowInfo | None = None
    delta: float | None = None
    delta_pct: float | None = None
    matrix: dict[str, Any] | None = None
    target_level: LevelInfo | None = None
    warn_level: LevelInfo | None = None

    def verdicts(self) -> list[str]:
        """This metric's status and every segment's: what the exit code looks at."""
        return [self.status, *(segment.status for segment in self.segments)]

    def segment_reasons(self, limit: int = SEGMENT_REASONS) -> tuple[list[tuple[SegmentResult, str]], int]:
        """The reasons of the segments that did not pass, worst first, at most ``limit``, and how
        many more there are: reports list them under the metric's own, so a failing segment says why."""
        found = [(s, s.reason) for s in self.segments if s.reason and s.status not in ("pass", "info")]
        found.sort(key=lambda item: -SEVERITY[item[0].status])
        return found[:limit], max(0, len(found) - limit)


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
    #: What the run noticed beyond single metrics, once each: a source with no
    #: rows in the window and the range its data covers, a source below min_rows.
    notes: tuple[str, ...] = ()
    #: Queries that scanned a source to compute metrics (``queries`` also counts the no-data probe).
    scans: int = 0


@dataclass(frozen=True)
class Scorecard:
    title: str
    run: RunInfo
    metrics: tuple[MetricResult, ...]

    @property
    def summary(self) -> dict[str, int]:
        """How many metrics have each status (segments are counted in ``segment_summary``)."""
        counts = {status.value: 0 for status in STATUSES}
        for metric in self.metrics:
            counts[Status(metric.status).value] += 1
        return counts

    @property
    def segment_summary(self) -> dict[str, int]:
        counts = {status.value: 0 for status in STATUSES}
        for metric in self.metrics:
            for segment in metric.segments:
                counts[Status(segment.status).value] += 1
        return counts

    @property
    def status(self) -> Status:
        """The worst status of any metric or segment (``pass`` for an empty scorecard)."""
        return Status.worst([Status(status) for metric in self.metrics for status in metric.verdicts()])

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
            "segment_summary": self.segment_summary,
            "run": asdict(self.run),
            "metrics": [asdict(m) for m in self.metrics],
        }
        return _strict(json.loads(json.dumps(data, default=_jsonable)))

    def to_json(self, indent: int | None = 2) -> str:
        # allow_nan=False: `Infinity` and `NaN` are not JSON, and strict parsers reject the file.
        return json.dumps(self.to_dict(), indent=indent, sort_keys=False, default=str, allow_nan=False)

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> Scorecard:
        """Read a scorecard back from its JSON form (for baselines and ``diff``)."""
        run = dict(data["run"])
        run["window"] = WindowInfo(**run["window"])
        run["notes"] = tuple(run.get("notes", ()))
        metrics = []
        for raw in data["metrics"]:
            item = dict(raw)
            for key in ("window", "baseline_window"):
                item[key] = WindowInfo(**item[key]) if item.get(key) else None
            item["interval"] = tuple(item["interval"]) if item.get("interval") else None
            item["status"] = Status(item["status"])
            for key in ("target_level", "warn_level"):
                item[key] = _level(item.get(key))
            item["segments"] = tuple(
                SegmentResult(
                    **{
                        **seg,
                        "status": Status(seg["status"]),
                        "interval": tuple(seg["interval"]) if seg.get("interval") else None,
                        "target_level": _level(seg.get("target_level")),
                    }
                )
                for seg in item.get("segments", ())
            )
            item["series"] = (
                tuple(SeriesPoint(**point) for point in item["series"]) if item.get("series") is not None else None
            )
            metrics.append(MetricResult(**item))
        return cls(title=data["title"], run=RunInfo(**run), metrics=tuple(metrics))


def _level(data: dict[str, Any] | None) -> LevelInfo | None:
    return LevelInfo(**{**data, "bounds": tuple(data.get("bounds", ()))}) if data else None
