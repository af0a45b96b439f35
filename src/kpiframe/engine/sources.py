"""Open each source once through its connector and apply the source-level filters."""

from __future__ import annotations

from dataclasses import dataclass, field
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
    unmapped: dict[str, str] = field(default_factory=dict)  # preset role → why the export cannot give it


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
        # Decimal columns (PostgreSQL's numeric, MySQL's DECIMAL) become doubles, in the SQL:
        # KPIs need no 38-digit precision, and engines disagree on the types of their aggregates.
        decimals = {name: table[name].cast("float64") for name, dtype in table.schema().items() if dtype.is_decimal()}
        if decimals:
            table = table.mutate(**decimals)
        unmapped: dict[str, str] = {}
        preset_roles: dict[str, Any] = {}
        for role, text in spec.preset_columns.items():
            if role in spec.columns:
                continue  # the config's own mapping wins
            try:
                preset_roles[role] = to_ibis(parse(text), table)
            except ExpressionError as exc:
                unmapped[role] = f"preset {spec.preset!r} maps it to `{text}`, but {exc.message.split(';')[0]}"
        if preset_roles:
            table = table.mutate(**{role: expr for role, expr in preset_roles.items() if not (spec.preset_columns[role] == role and role in table.columns)})
        if spec.columns:
            roles, failed = {}, False
            for role, text in spec.columns.items():
                try:
                    roles[role] = to_ibis(parse(text), table)
                except ExpressionError as exc:
                    failed = True
                    message = exc.message.replace("unknown column", f"role {role!r} maps to unknown column", 1)
                    problems.append(config.document.problem(("sources", sid, "columns", role), message, exc.hint))
            if failed:
                continue
            # Roles become extra columns; the export's own names stay usable too.
            table = table.mutate(**{role: expr for role, expr in roles.items() if not (role == spec.columns[role] and role in table.columns)})
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
        opened[sid] = OpenedSource(spec, table=table, unmapped=unmapped)
    return opened, problems


def local_naive(moment: datetime | None, zone: str) -> datetime | None:
    """An aware instant as a naive wall-clock time in ``zone`` (how naive columns store time)."""
    return None if moment is None else moment.astimezone(ZoneInfo(zone)).replace(tzinfo=None)


def time_column(table: Any, column: str) -> Any:
    """The time column as a timestamp (text and date columns are cast)."""
    col = table[column]
    dtype = col.type()
    if dtype.is_string() or dtype.is_date():
        col = col.cast("timestamp")
    return col


def apply_window(table: Any, spec: SourceSpec, window: Window, column: str | None = None) -> Any:
    """Keep the rows whose time falls in ``[window.start, window.end)``.

    ``column`` overrides the source's ``time:`` (resolution KPIs window on
    ``resolved_at``). Naive timestamps are read in the source's time zone
    (``timezone:``, UTC by default); zone-aware ones are compared as instants.
    """
    if window.start is None and window.end is None:
        return table
    column = column or spec.time
    if not column:
        raise SourceError(f"source {spec.id!r} has no `time:` column, so it cannot be filtered to the window {window.label!r}")
    col = time_column(table, column)
    aware = col.type().timezone is not None
    predicates = []
    for bound, op in ((window.start, "ge"), (window.end, "lt")):
        if bound is None:
            continue
        value = bound if aware else local_naive(bound, spec.timezone)
        predicates.append(col >= value if op == "ge" else col < value)
    return table.filter(*predicates)
