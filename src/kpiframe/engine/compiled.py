"""The SQL a run would send, per query group: ``kpiframe sql``, the way ``dbt compile`` shows it.

It opens the sources (to learn their columns and dialect) and plans the run
exactly as ``kpiframe run`` does, but executes nothing.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from kpiframe.config.model import Config
from kpiframe.context import RunContext
from kpiframe.errors import ConfigError, SourceError

__all__ = ["CompiledQuery", "compile_queries"]


@dataclass(frozen=True)
class CompiledQuery:
    source: str
    window: str
    grouping: str
    metrics: tuple[str, ...]
    dialect: str
    sql: str


def _grouping_text(group: object) -> str:
    grouping = group.grouping  # type: ignore[attr-defined]
    if grouping.grain:
        return f"series by {grouping.grain}"
    if grouping.heatmap:
        return "weekday × hour"
    parts = []
    if grouping.keys:
        parts.append("by " + ", ".join(grouping.keys))
    if grouping.per:
        parts.append("per " + ", ".join(grouping.per))
    return "; ".join(parts) or "overall"


def _window_text(window: object) -> str:
    start, end, label = window.start, window.end, window.label  # type: ignore[attr-defined]
    return f"{label} [{start:%Y-%m-%d %H:%M} → {end:%Y-%m-%d %H:%M})" if start and end else label


def _compiled(groups: list[Any], dialect: str, sql: str, grouping: str) -> CompiledQuery:
    requests = [r for group in groups for r in group.requests]
    return CompiledQuery(
        source=groups[0].source_id,
        window=" + ".join(_window_text(window) for window in dict.fromkeys(r.window for r in requests)),
        grouping=grouping,
        metrics=tuple(dict.fromkeys(r.metric.spec.id for r in requests)),
        dialect=dialect,
        sql=sql,
    )


def _with_variables(sql: str, context: RunContext) -> str:
    """``sql`` after the ``SET VARIABLE`` statements of the window edges it reads, so it runs as shown."""
    edges = context.backends.edges
    used = [line for line, name in zip(edges.preamble().splitlines(), edges.values) if f"'{name}'" in sql]
    return "\n".join([*used, sql])


def compile_queries(config: Config, context: RunContext, as_of: datetime) -> list[CompiledQuery]:
    """Every fused query of ``config`` at ``as_of``, as SQL in its engine's dialect."""
    import ibis

    from kpiframe.engine.execute import bounded_query, bundles, fuse
    from kpiframe.engine.plan import build_plan
    from kpiframe.engine.sources import open_sources

    needed = {m.source for m in config.metrics.values() if m.source}
    sources, problems = open_sources(config, needed, context)
    plan = build_plan(config, sources, as_of, context)
    problems += plan.problems
    if problems:
        raise ConfigError(problems)
    failed = sorted({m.spec.source for m in plan.failed if m.spec.source})
    if failed:
        reasons = "; ".join(f"{sid}: {sources[sid].error}" for sid in failed if sid in sources and sources[sid].error)
        raise SourceError(f"cannot compile queries for sources that did not open ({reasons or ', '.join(failed)})")
    compiled = []
    for bundle in bundles(plan.groups):
        fused = fuse(bundle) if context.backends.runs_here(bundle[0].table) else None
        sql = None
        if fused is not None:
            try:
                sql = context.backends.grouping_sets_sql(fused.query, fused.sets)
            except ValueError:
                sql = None
        if sql is not None:
            sql = _with_variables(sql, context)
            compiled.append(
                _compiled(bundle, "duckdb", sql, "grouping sets: " + "; ".join(_grouping_text(g) for g in bundle))
            )
            continue
        for group in bundle:
            query, _ = bounded_query(group)  # as the run sends it: a grouped query bounded
            backends, _ = query._find_backends()
            dialect = backends[0].name if backends else "duckdb"  # unbound: the embedded DuckDB
            sql = str(ibis.to_sql(query, dialect=dialect))
            compiled.append(_compiled([group], dialect, _with_variables(sql, context), _grouping_text(group)))
    return compiled
