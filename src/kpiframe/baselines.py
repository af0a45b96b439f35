"""Baselines for change targets: an earlier scorecard file, or runs from the history.

A metric's baseline is looked up by metric id, and a segment's by metric id and
segment label, so a scorecard from another day compares like with like.

From the history, only runs of **earlier windows** count: runs whose window ends
at or before this run's window starts. A run never compares with itself or with
another run of its own window, so re-running a CI job gives the same verdict.
"""

from __future__ import annotations

import statistics
from dataclasses import dataclass, field, replace
from typing import Any

from kpiframe.engine.windows import period_name, span_text
from kpiframe.history import HistoryError, HistoryStore, Run

Key = tuple[str, str | None]  # (metric id, segment label or None)


@dataclass(frozen=True)
class Source:
    """What a baseline is, for people: ``name`` goes into reasons ("the run of 2026-10"),
    ``label`` onto the card (with the dates in the scorecard's zone and the run id);
    ``start`` and ``end`` are the run's window (ISO, UTC) when it has one."""

    name: str
    label: str
    start: str | None = None
    end: str | None = None


def _run_source(kind: str, run: Run, zone: str) -> Source:
    """``the run of 2026-10: 2026-10-01 to 2026-11-01, run 2823ef46f79a``, dates in ``zone``."""
    if run.window_end is None:
        return Source(f"the {kind} {run.run_id}", f"the {kind} {run.run_id} (all time)")
    name = f"the {kind} of {period_name(run.window_start, run.window_end, zone)}"
    return Source(
        name,
        f"{name}: {span_text(run.window_start, run.window_end, zone)}, run {run.run_id}",
        run.window_start,
        run.window_end,
    )


def _values(scorecard: dict[str, Any]) -> dict[Key, float]:
    """Metric (and segment) values by key; entries a hand-edited or damaged scorecard garbled are left out."""
    values: dict[Key, float] = {}
    for metric in scorecard.get("metrics", []):
        if not isinstance(metric, dict) or not isinstance(metric.get("id"), str):
            continue
        if isinstance(metric.get("value"), (int, float)):
            values[(metric["id"], None)] = metric["value"]
        for segment in metric.get("segments", []) if isinstance(metric.get("segments"), list) else []:
            if (
                isinstance(segment, dict)
                and isinstance(segment.get("label"), str)
                and isinstance(segment.get("value"), (int, float))
            ):
                values[(metric["id"], segment["label"])] = segment["value"]
    return values


@dataclass
class Baselines:
    """Where baselines come from for one run, and what each metric compares with."""

    description: str
    file: dict[Key, float] | None = None
    runs: list[Run] = field(default_factory=list)  # newest first, earlier windows only
    _history_values: list[dict[Key, float]] = field(default_factory=list)
    _store: HistoryStore | None = None
    _title: str | None = None
    _pinnable: list[Run] | None = None  # every run of the title, read once when a metric pins
    zone: str = "UTC"  # the scorecard's reporting zone: the one people read the baseline's dates in

    @classmethod
    def from_scorecard(cls, scorecard: dict[str, Any], name: str, zone: str = "UTC") -> Baselines:
        """Baselines from an earlier scorecard file, described by its window in ``zone`` when it has one."""
        found = scorecard.get("run")
        run: dict[str, Any] = found if isinstance(found, dict) else {}
        window: dict[str, Any] = run["window"] if isinstance(run.get("window"), dict) else {}
        try:
            when = f"window {span_text(window.get('start'), window['end'], zone)}"
        except (AttributeError, KeyError, TypeError, ValueError):  # hand-made or older: its as-of as written
            when = f"as of {run.get('as_of', '?')}"
        return cls(description=f"scorecard {name} ({when})", file=_values(scorecard), zone=zone)

    @classmethod
    def from_history(
        cls, store: HistoryStore, title: str, window_start: str | None, depth: int = 50, zone: str = "UTC"
    ) -> Baselines:
        """Baselines from the runs of ``title`` whose windows end by ``window_start``, described in ``zone``.

        A window without a start (``all``) has no earlier window: nothing to compare with.
        """
        runs = store.runs(title, limit=depth, before=window_start) if window_start else []
        baselines = cls(
            description=f"history {store.location} ({len(runs)} runs of earlier windows)", runs=runs, zone=zone
        )
        baselines._history_values = [_values(run.scorecard) for run in runs]
        baselines._store, baselines._title = store, title
        return baselines

    def value(self, spec: Any, segment: str | None = None) -> tuple[float | None, Source | None]:
        """The baseline of a metric (or segment) by its `baseline:` rule, and what it is."""
        key = (spec.id, segment)
        if self.file is not None:
            return self.file.get(key), Source("the baseline scorecard", self.description)
        rule = spec.baseline
        if rule == "previous" or (isinstance(rule, dict) and "last_passing" in rule):
            passing_only = isinstance(rule, dict) and rule.get("last_passing") is True
            for run, values in zip(self.runs, self._history_values):
                if key in values and (run.passed or not passing_only):
                    return values[key], _run_source("last passing run" if passing_only else "run", run, self.zone)
            return None, None
        if isinstance(rule, dict) and "median_of_last" in rule:
            found = [values[key] for values in self._history_values if key in values][: rule["median_of_last"]]
            if not found:
                return None, None
            name = f"the median of the last {len(found)} runs"
            return statistics.median(found), Source(name, f"{name} of earlier windows")
        if isinstance(rule, dict) and "pinned" in rule:
            if self._pinnable is None:
                self._pinnable = self._store.runs(self._title) if self._store is not None else self.runs
            for run in self._pinnable:
                values = _values(run.scorecard)
                if (
                    run.run_id.startswith(rule["pinned"])
                    or run.as_of.startswith(rule["pinned"])
                    or run.recorded_at.startswith(rule["pinned"])
                ):
                    source = _run_source("pinned run", run, self.zone)
                    return values.get(key), replace(source, label=f"{source.label}, recorded {run.recorded_at}")
            raise HistoryError(f"metric {spec.id!r}: no run {rule['pinned']!r} to pin the baseline to in the history")
        return None, None

    def noise(self, metric_id: str, segment: str | None, runs: int) -> tuple[float, float] | None:
        """The range of the last ``runs`` values in the history: the run-to-run noise."""
        found = [values[(metric_id, segment)] for values in self._history_values if (metric_id, segment) in values][
            :runs
        ]
        return (min(found), max(found)) if len(found) >= 2 else None
