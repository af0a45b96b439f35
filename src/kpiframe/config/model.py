"""The typed, validated config: frozen dataclasses the engine plans from.

Pure data: what the YAML says, checked. The services a run uses (the plugin
registry, the redactor, engine handles) travel in :class:`kpiframe.context.RunContext`.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

from kpiframe.config.comparisons import ChangeComparison, Comparison
from kpiframe.config.yaml_source import Document


@dataclass(frozen=True)
class WindowSpec:
    """A window as written: ``all``, ``last`` (a duration), ``calendar`` or ``between``."""

    kind: str
    last: timedelta | None = None
    calendar: str | None = None
    between: tuple[datetime, datetime] | None = None


@dataclass(frozen=True)
class SourceSpec:
    id: str
    connector: str
    params: dict[str, Any]  # the connector's own keys
    time: str | None = None
    timezone: str = "UTC"
    #: derived column → expression (``derive:``), in an order where each uses only earlier ones
    derive: dict[str, str] = field(default_factory=dict)
    columns: dict[str, str] = field(default_factory=dict)
    where: str | None = None
    preset: str | None = None
    preset_columns: dict[str, str] = field(default_factory=dict)  # mapped when the export has the columns
    min_rows: int | None = None  # fewer rows in a metric's window: the metric fails
    #: The folder its relative paths resolve against when it comes from an included file (else the config's).
    base_dir: Path | None = None


@dataclass(frozen=True)
class Level:
    """A target or warn level: on the value, on the change from a baseline, or both."""

    value: Comparison | None = None
    change: ChangeComparison | None = None
    noise_runs: int | None = None  # judge a change only beyond the range of the last N runs

    @property
    def text(self) -> str:
        parts = [self.value.text.strip()] if self.value else []
        if self.change:
            parts.append(f"change {self.change.text.strip()}")
        return ", ".join(parts)


@dataclass(frozen=True)
class MetricSpec:
    id: str
    calc: str
    source: str | None
    title: str
    params: dict[str, Any]
    unit: str
    direction: str
    where: str | None = None
    window: WindowSpec | None = None
    target: Level | None = None
    warn: Level | None = None
    min_sample: int | None = None
    confidence: str = "point"
    description: str | None = None
    tags: tuple[str, ...] = ()
    by: tuple[str, ...] = ()
    segment_levels: dict[tuple[tuple[str, str], ...], tuple[Level | None, Level | None]] = field(default_factory=dict)
    top: int | None = None
    worst: int | None = None
    grain: str | None = None
    compare: str | None = None
    per: tuple[str, ...] = ()
    per_stat: str = "mean"
    heatmap: bool = False
    max_segments: int = 1000
    baseline: Any = "previous"  # previous | {"median_of_last": N} | {"pinned": id}


@dataclass(frozen=True)
class Config:
    path: Path
    title: str
    sources: dict[str, SourceSpec]
    metrics: dict[str, MetricSpec]
    window: WindowSpec
    timezone: str
    as_of: datetime | None
    hash: str
    secrets: frozenset[str]
    #: Where each value stands in the file (line, column): data, read by the run context's locator.
    document: Document = field(repr=False, compare=False)
    #: Plugin modules or files the config names (``plugins:``), loaded into the run's registry.
    plugins: tuple[str, ...] = ()
    #: The embedded engine's limits (``engine: {memory_limit: 4GB, threads: 2}``).
    engine: dict[str, Any] = field(default_factory=dict)
    baseline: Any = "previous"  # the default baseline of change targets, with --history
    #: The files ``include:`` brought in (directly or not), in the order they were read.
    included: tuple[Path, ...] = ()
    #: The top-level sections plugins registered (``notify:``), validated, with ``${VAR}`` substituted.
    sections: dict[str, Any] = field(default_factory=dict)

    @property
    def base_dir(self) -> Path:
        return self.path.parent
