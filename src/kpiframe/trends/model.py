"""The trend of every metric over the last runs of one scorecard title, read from the history.

A recorded run keeps its whole scorecard (redacted when it was recorded), with
each metric's structured ``target_level`` and ``warn_level``, so the trend needs
nothing beyond what the history already stores: the values, statuses and
levels of each run are taken from it as they were then. A target that changed
between runs is drawn as it was for each run.

Runs are shown oldest first. A metric that a run did not have (added or
removed from the config later) has an empty point there, never a made-up value.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from kpiframe.errors import ConfigError
from kpiframe.history import HistoryStore, Run
from kpiframe.period_labels import period_label
from kpiframe.status import SEVERITY

__all__ = ["MetricTrend", "Point", "RunPoint", "SegmentTrend", "StatusChange", "Trends", "load_trends"]


@dataclass(frozen=True)
class RunPoint:
    """One run on the time axis."""

    run_id: str
    as_of: str
    recorded_at: str
    window_start: str | None
    window_end: str | None
    status: str
    git_commit: str | None
    #: The zone the window was set in (None for runs recorded before it was kept: read as UTC).
    zone: str | None = None

    @property
    def label(self) -> str:
        """What a person calls the run: its window's period in the scorecard's zone (``2026-10``, a week's
        first day), see :mod:`kpiframe.period_labels`."""
        return period_label(self.window_start, self.window_end, self.as_of, self.zone)


@dataclass(frozen=True)
class Point:
    """A metric in one run; ``status`` is None when the run did not have the metric."""

    value: float | None = None
    status: str | None = None
    target: str | None = None
    warn: str | None = None
    target_level: dict[str, Any] | None = None
    warn_level: dict[str, Any] | None = None
    reason: str | None = None
    #: Segment label → (value, status), as the run recorded its segments (``by:``).
    segments: dict[str, tuple[float | None, str]] = field(default_factory=dict)
    #: Segments the run computed but did not list (``top:``/``worst:``): which ones is not recorded.
    hidden_segments: int = 0


@dataclass(frozen=True)
class SegmentTrend:
    """One segment of a metric (``channel=email``) run over run; ``None`` where a run lacked it."""

    label: str
    points: tuple[tuple[float | None, str] | None, ...]
    #: Not listed by the newest run while that run hid some segments (``top:``/``worst:``): it may be one of
    #: them (the scorecard counts hidden segments, it does not name them), so it is not called absent.
    hidden_in_latest: bool = False

    @property
    def latest(self) -> tuple[float | None, str] | None:
        return self.points[-1] if self.points else None

    @property
    def change_indices(self) -> list[int]:
        """The runs whose status differs from the segment's previous run (runs without it passed over)."""
        found, previous = [], None
        for index, point in enumerate(self.points):
            if point is None:
                continue
            if previous is not None and point[1] != previous:
                found.append(index)
            previous = point[1]
        return found

    @property
    def changes(self) -> int:
        return len(self.change_indices)


@dataclass(frozen=True)
class StatusChange:
    index: int  # the run (in :attr:`Trends.runs`) where the new status first shows
    before: str
    after: str


@dataclass(frozen=True)
class MetricTrend:
    id: str
    title: str
    unit: str
    direction: str
    points: tuple[Point, ...]  # one per run, oldest first

    @property
    def latest_index(self) -> int | None:
        """The newest run that had this metric."""
        return next((i for i in range(len(self.points) - 1, -1, -1) if self.points[i].status is not None), None)

    @property
    def in_latest_run(self) -> bool:
        """False for a metric the newest run did not have (taken out of the config, say)."""
        return bool(self.points) and self.points[-1].status is not None

    @property
    def latest(self) -> Point:
        index = self.latest_index
        return self.points[index] if index is not None else Point()

    @property
    def changes(self) -> list[StatusChange]:
        """Each run whose status differs from the metric's previous run (runs without it are passed over)."""
        found, previous = [], None
        for index, point in enumerate(self.points):
            if point.status is None:
                continue
            if previous is not None and point.status != previous:
                found.append(StatusChange(index, previous, point.status))
            previous = point.status
        return found

    @property
    def valued_indices(self) -> list[int]:
        """The runs that had a value for this metric (a run with no data has none, not 0)."""
        return [i for i, p in enumerate(self.points) if p.value is not None]

    @property
    def change_from_index(self) -> int | None:
        """The run the change over the period starts from: the oldest with a value (None: fewer than two)."""
        valued = self.valued_indices
        return valued[0] if len(valued) >= 2 else None

    @property
    def change(self) -> tuple[float, float] | None:
        """(first, last) value over the period: the oldest and newest runs with a value."""
        valued = self.valued_indices
        if len(valued) < 2:
            return None
        first, last = self.points[valued[0]].value, self.points[valued[-1]].value
        assert first is not None and last is not None
        return first, last

    @property
    def delta(self) -> float | None:
        ends = self.change
        return None if ends is None else ends[1] - ends[0]

    @property
    def delta_pct(self) -> float | None:
        ends = self.change
        return None if ends is None or ends[0] == 0 else (ends[1] - ends[0]) / abs(ends[0]) * 100

    @property
    def moved(self) -> str:
        """``better``, ``worse`` or ``""`` (no change, no direction, or too few values)."""
        delta = self.delta
        if not delta or self.direction not in ("higher", "lower"):
            return ""
        return "better" if (delta > 0) == (self.direction == "higher") else "worse"

    @property
    def segments(self) -> list[SegmentTrend]:
        """Every segment any run had, worst first in the newest run (then by label)."""
        labels = {label for point in self.points for label in point.segments}
        hides = bool(self.points) and self.points[-1].status is not None and self.points[-1].hidden_segments > 0
        trends = [
            SegmentTrend(
                label,
                tuple(p.segments.get(label) for p in self.points),
                hides and label not in self.points[-1].segments,
            )
            for label in labels
        ]

        def rank(segment: SegmentTrend) -> tuple[int, str]:
            latest = segment.latest
            return (-(SEVERITY.get(latest[1], 0) + 1) if latest else 0, segment.label)

        return sorted(trends, key=rank)

    @property
    def last_change(self) -> tuple[StatusChange, str | None] | None:
        """The newest status change of the metric or of a segment (with its label); the metric's own on a tie."""
        found: list[tuple[int, int, StatusChange, str | None]] = [(c.index, 1, c, None) for c in self.changes]
        for segment in self.segments:
            for index in segment.change_indices:
                before = next(p for p in reversed(segment.points[:index]) if p is not None)
                after = segment.points[index]
                if after is None:  # never: a change index is a run that had the segment
                    continue
                found.append((index, 0, StatusChange(index, before[1], after[1]), segment.label))
        if not found:
            return None
        _, _, change, label = max(found, key=lambda item: (item[0], item[1]))
        return change, label

    def last_change_text(self, trends: Trends, labels: dict[str, str], before_run: str = ", ") -> str:
        """The newest status change in words (``channel=email: PASS → FAIL, 2026-10``), or ``""``."""
        found = self.last_change
        if found is None:
            return ""
        change, segment = found
        text = f"{labels.get(change.before, change.before)} → {labels.get(change.after, change.after)}"
        return f"{segment + ': ' if segment else ''}{text}{before_run}{trends.runs[change.index].label}"

    def changed_within(self, runs: int, total: int) -> bool:
        """Whether the status of the metric, or of one of its segments, changed in the last ``runs`` runs of
        ``total``: segments gate a run like metrics, so ``channel=email`` turning red is news too."""
        first = total - runs
        return any(change.index >= first for change in self.changes) or any(
            index >= first for segment in self.segments for index in segment.change_indices
        )


@dataclass(frozen=True)
class Trends:
    title: str
    location: str
    runs: tuple[RunPoint, ...]  # oldest first
    metrics: tuple[MetricTrend, ...]
    recent: int  # "changed recently" means: in the last this-many runs
    #: What the reader should know: unreadable rows skipped, runs of mixed window lengths.
    warnings: tuple[str, ...] = field(default=())

    def changed_recently(self, metric: MetricTrend) -> bool:
        return metric.changed_within(self.recent, len(self.runs))

    @property
    def period(self) -> str:
        if not self.runs:
            return ""
        first, last = self.runs[0].label, self.runs[-1].label
        return first if first == last else f"{first} to {last}"


def load_trends(store: HistoryStore, title: str | None = None, last: int = 26, recent: int = 4) -> Trends:
    """The last ``last`` runs of ``title`` (the store's only title when None).

    :raises ConfigError: the store has no runs, ``title`` is not in it, or no title
        was given and it holds several: a usage error that lists the titles present.
    """
    if last < 1 or recent < 1:
        raise ConfigError("--last and --recent count runs: give 1 or more")
    titles = store.titles()
    if not titles:
        raise ConfigError(
            f"the history {store.location} has no runs yet; record some with `kpiframe run CONFIG --history"
            f" {store.location}`"
        )
    present = "; titles present: " + ", ".join(repr(t) for t in sorted(titles))
    if title is None:
        if len(titles) > 1:
            raise ConfigError(
                f"the history {store.location} holds several scorecards: choose one with --title{present}"
            )
        title = next(iter(titles))
    elif title not in titles:
        raise ConfigError(f"no runs titled {title!r} in {store.location}{present}")
    runs = list(reversed(store.runs(title, limit=last)))
    points = tuple(_run_point(run) for run in runs)
    return Trends(
        title=title,
        location=store.location,
        runs=points,
        metrics=tuple(_metric_trends(runs)),
        recent=recent,
        warnings=tuple(store.skipped) + _mixed_windows(points),
    )


def _mixed_windows(runs: tuple[RunPoint, ...]) -> tuple[str, ...]:
    """A warning when the runs cover windows of different lengths (a weekly job and a monthly one under
    one title): their values are not comparable run over run."""
    from datetime import datetime

    lengths = set()
    for run in runs:
        if run.window_start and run.window_end:
            start = datetime.fromisoformat(run.window_start.replace("Z", "+00:00"))
            end = datetime.fromisoformat(run.window_end.replace("Z", "+00:00"))
            lengths.add(round((end - start).total_seconds() / 86400, 2))
    # Calendar months run 28 to 31 days and are one sequence: only a ratio beyond that is a mix.
    if not lengths or max(lengths) <= 1.2 * min(lengths):
        return ()
    shown = ", ".join(f"{days:g}d" for days in sorted(lengths))
    return (
        f"the runs shown cover windows of different lengths ({shown}); values of different windows are not"
        " comparable run over run. Give each job its own title, or record with one window",
    )


def _run_point(run: Run) -> RunPoint:
    return RunPoint(
        run.run_id,
        run.as_of,
        run.recorded_at,
        run.window_start,
        run.window_end,
        run.status,
        run.git_commit,
        run.window_zone,
    )


def _metric_trends(runs: list[Run]) -> list[MetricTrend]:
    """One trend per metric id, in the newest run's order (metrics only older runs had come after)."""
    by_run: list[dict[str, dict[str, Any]]] = [
        {str(m["id"]): m for m in run.scorecard["metrics"] if isinstance(m, dict) and m.get("id")} for run in runs
    ]
    order: list[str] = []
    for metrics in reversed(by_run):
        order += [metric_id for metric_id in metrics if metric_id not in order]
    trends = []
    for metric_id in order:
        newest = next(metrics[metric_id] for metrics in reversed(by_run) if metric_id in metrics)
        trends.append(
            MetricTrend(
                id=str(metric_id),
                title=str(newest.get("title") or metric_id),
                unit=str(newest.get("unit") or ""),
                direction=str(newest.get("direction") or "neutral"),
                points=tuple(_point(metrics.get(metric_id)) for metrics in by_run),
            )
        )
    return trends


def _number(value: Any, status: str) -> float | None:
    """A recorded value as a number; None when the run had no data, whatever it stored (a count's 0, say):
    such a run has no point on the chart and is not where a change starts."""
    if status == "no_data" or not isinstance(value, int | float) or isinstance(value, bool):
        return None
    return float(value)


def _point(metric: dict[str, Any] | None) -> Point:
    if metric is None:
        return Point()
    status = str(metric.get("status") or "error")
    hidden = metric.get("hidden_segments")
    return Point(
        value=_number(metric.get("value"), status),
        status=status,
        target=metric.get("target"),
        warn=metric.get("warn"),
        target_level=metric.get("target_level") if isinstance(metric.get("target_level"), dict) else None,
        warn_level=metric.get("warn_level") if isinstance(metric.get("warn_level"), dict) else None,
        reason=metric.get("reason"),
        segments=_segments(metric.get("segments")),
        hidden_segments=hidden if isinstance(hidden, int) and not isinstance(hidden, bool) and hidden > 0 else 0,
    )


def _segments(raw: Any) -> dict[str, tuple[float | None, str]]:
    found: dict[str, tuple[float | None, str]] = {}
    for segment in raw if isinstance(raw, list) else []:
        if isinstance(segment, dict) and segment.get("label") is not None:
            status = str(segment.get("status") or "error")
            found[str(segment["label"])] = (_number(segment.get("value"), status), status)
    return found
