"""Open each source once through its connector and apply the source-level filters."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo

from kpiframe.config.interpolate import redact
from kpiframe.config.model import Config, SourceSpec
from kpiframe.contracts import SourceContext
from kpiframe.engine.windows import Window
from kpiframe.errors import ConfigProblem, ExpressionError, SourceError
from kpiframe.expr import parse, suggest, to_ibis


@dataclass
class OpenedSource:
    """A source's table (after its ``where``), or why it could not be opened."""

    spec: SourceSpec
    table: Any = None
    error: str | None = None


def open_sources(config: Config, needed: set[str], duckdb: Any = None) -> tuple[dict[str, OpenedSource], list[ConfigProblem]]:
    """Open every needed source. A source that fails gets ``error``; config mistakes become problems."""
    opened: dict[str, OpenedSource] = {}
    problems: list[ConfigProblem] = []
    shared = {"duckdb": duckdb}
    for sid in sorted(needed):
        spec = config.sources[sid]
        connector = config.registry.connector(spec.connector)
        context = SourceContext(source_id=sid, base_dir=config.base_dir, timezone=spec.timezone, _duckdb=shared["duckdb"])
        try:
            table = connector.open(spec.params, context)
        except SourceError as exc:
            opened[sid] = OpenedSource(spec, error=redact(str(exc), set(config.secrets)))
            continue
        except Exception as exc:  # a connector bug or driver error: still only this source fails
            opened[sid] = OpenedSource(spec, error=redact(f"{spec.connector} connector failed: {type(exc).__name__}: {exc}", set(config.secrets)))
            continue
        finally:
            shared["duckdb"] = context._duckdb
        if spec.columns:
            missing = {role: col for role, col in spec.columns.items() if col not in table.columns}
            for role, col in missing.items():
                problems.append(
                    config.document.problem(
                        ("sources", sid, "columns", role),
                        f"role {role!r} maps to {col!r}, which the source does not have; it has: {', '.join(table.columns)}",
                        suggest(col, list(table.columns)),
                    )
                )
            if missing:
                continue
            # Roles become extra column names; the original names stay usable too.
            table = table.mutate(**{role: table[col] for role, col in spec.columns.items() if role != col})
        if spec.where:
            try:
                table = table.filter(to_ibis(parse(spec.where), table))
            except ExpressionError as exc:
                problems.append(config.document.problem(("sources", sid, "where"), exc.message, exc.hint))
                continue
        if spec.time and spec.time not in table.columns:
            problems.append(
                config.document.problem(
                    ("sources", sid, "time"),
                    f"unknown time column {spec.time!r}; the source has: {', '.join(table.columns)}",
                    suggest(spec.time, list(table.columns)),
                )
            )
            continue
        opened[sid] = OpenedSource(spec, table=table)
    return opened, problems


def _local_naive(moment: datetime, zone: str) -> datetime:
    return moment.astimezone(ZoneInfo(zone)).replace(tzinfo=None)


def time_column(table: Any, column: str) -> Any:
    """The time column as a timestamp (text and date columns are cast)."""
    col = table[column]
    dtype = col.type()
    if dtype.is_string() or dtype.is_date():
        col = col.cast("timestamp")
    return col


def apply_window(table: Any, spec: SourceSpec, window: Window) -> Any:
    """Keep the rows whose time falls in ``[window.start, window.end)``.

    Naive timestamps are read in the source's time zone (``timezone:``, UTC by
    default); zone-aware ones are compared as instants.
    """
    if window.start is None and window.end is None:
        return table
    if not spec.time:
        raise SourceError(f"source {spec.id!r} has no `time:` column, so it cannot be filtered to the window {window.label!r}")
    col = time_column(table, spec.time)
    aware = col.type().timezone is not None
    predicates = []
    for bound, op in ((window.start, "ge"), (window.end, "lt")):
        if bound is None:
            continue
        value = bound if aware else _local_naive(bound, spec.timezone)
        predicates.append(col >= value if op == "ge" else col < value)
    return table.filter(*predicates)
