"""``kpiframe validate --data``: open every source, plan every metric, run nothing.

Opening a source reads its schema only (a file source is a DuckDB view typed by
``DESCRIBE``; a database table's schema comes from its catalogue), and planning
compiles every metric against it (see :mod:`kpiframe.engine.checks`), so the
check costs no scan. ``run`` makes the same checks before its first query.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

from kpiframe.config.model import Config, SourceSpec
from kpiframe.context import RunContext
from kpiframe.errors import ConfigError, ConfigProblem

__all__ = ["DataCheck", "check_data"]


@dataclass(frozen=True)
class DataCheck:
    """What ``validate --data`` found.

    :param problems: config mistakes found against the data (unknown columns, types
        that do not fit): exit 2, as ``run`` would.
    :param unreadable: sources that could not be opened (a missing file, a database
        down), located at the source: exit 3, as ``run`` would; their metrics were not checked.
    :param failing: metrics whose calculator failed while they were planned (a bug in
        it, not the config): ``run`` would give them the status ``error``, exit 3.
    :param sources: how many sources were opened.
    :param metrics: how many metrics were checked against their source's columns.
    """

    problems: list[ConfigProblem]
    unreadable: list[ConfigProblem]
    failing: list[ConfigProblem]
    sources: int
    metrics: int

    @property
    def errors(self) -> list[ConfigProblem]:
        """What would make ``run`` exit 3: sources that do not open, metrics whose calculator fails."""
        return sorted(self.unreadable + self.failing, key=_position)

    def raise_for_problems(self) -> None:
        """Raise :class:`ConfigError` with every finding (the exit-3 kinds too) when there is a config mistake."""
        if self.problems:
            raise ConfigError(sorted(self.problems + self.errors, key=_position))


def _position(problem: ConfigProblem) -> tuple[int, int]:
    return (problem.line or 0, problem.column or 0)


def check_data(config: Config, context: RunContext, as_of: datetime) -> DataCheck:
    """Open every source of ``config`` (used by a metric or not) and check every metric against it."""
    from kpiframe.contracts import DerivedCalculator
    from kpiframe.engine.plan import build_plan
    from kpiframe.engine.sources import open_sources

    try:
        sources, problems = open_sources(config, set(config.sources), context)
        plan = build_plan(config, sources, as_of, context)
    finally:
        context.backends.close()
    problems += plan.problems
    unreadable = [
        _unreadable(config, spec, source.error, context)
        for spec, source in ((s.spec, s) for s in sources.values())
        if source.error is not None
    ]
    failing = [
        context.locator.problem(("metrics", metric.spec.id, "calc"), f"metric {metric.spec.id!r}: {metric.error}")
        for metric in plan.failed
        if metric.error and sources.get(metric.spec.source or "") and sources[metric.spec.source or ""].error is None
    ]
    checked = sum(
        1
        for spec in config.metrics.values()
        if not isinstance(context.registry.calculator(spec.calc), DerivedCalculator)
        and spec.source in sources
        and sources[spec.source].error is None
    )
    opened = sum(1 for source in sources.values() if source.error is None)
    scrub = context.redactor.scrub
    return DataCheck(scrub(problems), scrub(unreadable), scrub(failing), sources=opened, metrics=checked)


def _unreadable(config: Config, spec: SourceSpec, error: str, context: RunContext) -> ConfigProblem:
    path = spec.params.get("path")
    key = ("sources", spec.id, "path") if isinstance(path, str) else ("sources", spec.id)
    hint = _close_files(config.base_dir, path) if isinstance(path, str) else None
    return context.locator.problem(key, f"source {spec.id!r} cannot be opened: {error}", hint)


def _close_files(base_dir: Path, path: str) -> str | None:
    """``did you mean 'data/calls.csv'?`` from the files beside the one the path names."""
    if "://" in path:
        return None
    wanted = Path(path).expanduser()
    folder = wanted.parent if wanted.is_absolute() else base_dir / wanted.parent
    try:
        names = sorted(entry.name for entry in folder.iterdir() if entry.is_file())[:10_000]
    except OSError:
        return None
    import difflib  # only a mistake needs a suggestion

    close = difflib.get_close_matches(wanted.name, names, n=1, cutoff=0.6)
    return (
        f"did you mean {str(wanted.parent / close[0]) if str(wanted.parent) != '.' else close[0]!r}?" if close else None
    )
