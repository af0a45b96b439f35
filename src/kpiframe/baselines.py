"""Baselines for change targets: an earlier scorecard file, or runs from the history.

A metric's baseline is looked up by metric id, and a segment's by metric id and
segment label, so a scorecard from another day compares like with like.
"""

from __future__ import annotations

import statistics
from dataclasses import dataclass, field
from typing import Any

from kpiframe.history import HistoryError, HistoryStore, Run

Key = tuple[str, str | None]  # (metric id, segment label or None)


def _values(scorecard: dict[str, Any]) -> dict[Key, float]:
    values: dict[Key, float] = {}
    for metric in scorecard.get("metrics", []):
        if metric.get("value") is not None:
            values[(metric["id"], None)] = metric["value"]
        for segment in metric.get("segments", []):
            if segment.get("value") is not None:
                values[(metric["id"], segment["label"])] = segment["value"]
    return values


@dataclass
class Baselines:
    """Where baselines come from for one run, and what each metric compares with."""

    description: str
    file: dict[Key, float] | None = None
    runs: list[Run] = field(default_factory=list)  # newest first
    _history_values: list[dict[Key, float]] = field(default_factory=list)

    @classmethod
    def from_scorecard(cls, scorecard: dict[str, Any], name: str) -> Baselines:
        return cls(description=f"scorecard {name} (as of {scorecard.get('run', {}).get('as_of', '?')})", file=_values(scorecard))

    @classmethod
    def from_history(cls, store: HistoryStore, title: str, depth: int = 50) -> Baselines:
        runs = store.runs(title, limit=depth)
        baselines = cls(description=f"history {store.location} ({len(runs)} earlier runs)", runs=runs)
        baselines._history_values = [_values(run.scorecard) for run in runs]
        return baselines

    def value(self, spec: Any, segment: str | None = None) -> tuple[float | None, str | None]:
        """The baseline of a metric (or segment) by its `baseline:` rule, and what it is."""
        key = (spec.id, segment)
        if self.file is not None:
            return self.file.get(key), self.description
        rule = spec.baseline
        if rule == "previous":
            for run, values in zip(self.runs, self._history_values):
                if key in values:
                    return values[key], f"run {run.run_id} ({run.recorded_at})"
            return None, None
        if isinstance(rule, dict) and "median_of_last" in rule:
            found = [values[key] for values in self._history_values if key in values][: rule["median_of_last"]]
            return (statistics.median(found), f"median of the last {len(found)} runs") if found else (None, None)
        if isinstance(rule, dict) and "pinned" in rule:
            for run, values in zip(self.runs, self._history_values):
                if run.run_id.startswith(rule["pinned"]) or run.as_of.startswith(rule["pinned"]) or run.recorded_at.startswith(rule["pinned"]):
                    return values.get(key), f"pinned run {run.run_id} ({run.recorded_at})"
            raise HistoryError(f"metric {spec.id!r}: no run {rule['pinned']!r} to pin the baseline to in the history")
        return None, None

    def noise(self, metric_id: str, segment: str | None, runs: int) -> tuple[float, float] | None:
        """The range of the last ``runs`` values in the history: the run-to-run noise."""
        found = [values[(metric_id, segment)] for values in self._history_values if (metric_id, segment) in values][:runs]
        return (min(found), max(found)) if len(found) >= 2 else None
