"""Open each source once through its connector and apply the source-level filters."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from kpiframe.config.model import Config, SourceSpec
from kpiframe.context import RunContext
from kpiframe.contracts import SourceContext
from kpiframe.derive import DeriveProblem, apply_derived
from kpiframe.engine.column_types import condition_hint, time_column_problem
from kpiframe.engine.windows import to_reporting_clock
from kpiframe.errors import ConfigProblem, ExpressionError, SourceError
from kpiframe.expr import to_condition
from kpiframe.expr_names import compile_text


@dataclass
class OpenedSource:
    """A source's table (after its ``where``), or why it could not be opened."""

    spec: SourceSpec
    table: Any = None
    error: str | None = None
    unmapped: dict[str, str] = field(default_factory=dict)  # preset role → why the export cannot give it
    #: Roles whose ``columns:`` mapping is itself a reported problem: metrics that need them say nothing more.
    broken_roles: set[str] = field(default_factory=set)
    #: The source has config problems: its metrics are checked, but nothing is planned to run.
    faulty: bool = False


def open_sources(
    config: Config, needed: set[str], run: RunContext
) -> tuple[dict[str, OpenedSource], list[ConfigProblem]]:
    """Open every needed source. A source that fails gets ``error``; config mistakes become problems."""
    opened: dict[str, OpenedSource] = {}
    problems: list[ConfigProblem] = []
    locate = run.locator.problem
    for number, sid in enumerate(sorted(needed)):
        run.progress.update("sources opened", number, len(needed))
        spec = config.sources[sid]
        connector = run.registry.connector(spec.connector)
        context = SourceContext(
            source_id=sid, base_dir=spec.base_dir or config.base_dir, timezone=spec.timezone, _backends=run.backends
        )
        try:
            table = connector.open(spec.params, context)
        except SourceError as exc:
            opened[sid] = OpenedSource(spec, error=run.redactor(str(exc)))
            continue
        except Exception as exc:  # a connector bug or driver error: still only this source fails
            opened[sid] = OpenedSource(
                spec, error=run.redactor(f"{spec.connector} connector failed: {type(exc).__name__}: {exc}")
            )
            continue
        # Decimal columns (PostgreSQL's numeric, MySQL's DECIMAL) become doubles, in the SQL:
        # KPIs need no 38-digit precision, and engines disagree on the types of their aggregates.
        decimals = {name: table[name].cast("float64") for name, dtype in table.schema().items() if dtype.is_decimal()}
        if decimals:
            table = table.mutate(**decimals)
        try:
            table = apply_derived(table, spec.derive)
        except DeriveProblem as exc:
            problems.append(locate(("sources", sid, "derive", exc.column), exc.message, exc.hint))
            continue
        try:
            table, spec = to_reporting_clock(table, spec, config.timezone)
        except SourceError as exc:
            opened[sid] = OpenedSource(spec, error=run.redactor(str(exc)))
            continue
        unmapped: dict[str, str] = {}
        preset_roles: dict[str, Any] = {}
        for role, text in spec.preset_columns.items():
            if role in spec.columns:
                continue  # the config's own mapping wins
            try:
                preset_roles[role] = compile_text(text, table)
            except ExpressionError as exc:
                unmapped[role] = f"preset {spec.preset!r} maps it to `{text}`, but {exc.message.split(';')[0]}"
        if preset_roles:
            table = table.mutate(
                **{
                    role: expr
                    for role, expr in preset_roles.items()
                    if not (spec.preset_columns[role] == role and role in table.columns)
                }
            )
        broken: set[str] = set()
        found = len(problems)
        if spec.columns:
            roles = {}
            for role, text in spec.columns.items():
                try:
                    roles[role] = compile_text(text, table)
                except ExpressionError as exc:
                    broken.add(role)
                    message = exc.message.replace("unknown column", f"role {role!r} maps to unknown column", 1)
                    problems.append(locate(("sources", sid, "columns", role), message, exc.hint))
            # Roles become extra columns; the export's own names stay usable too.
            added = {
                role: expr for role, expr in roles.items() if not (role == spec.columns[role] and role in table.columns)
            }
            if added:
                table = table.mutate(**added)
        if spec.where:
            try:
                table = table.filter(to_condition(spec.where, table))
            except ExpressionError as exc:
                hint = condition_hint(spec.where, table) if "not a condition" in exc.message else exc.hint
                problems.append(locate(("sources", sid, "where"), exc.message, hint))
        time_problem = time_column_problem(spec, table, locate) if spec.time not in broken else None
        if time_problem is not None:
            problems.append(time_problem)
        # A source with problems stays open, so its metrics are checked too: every mistake
        # is reported at once, and the run stops before its first query anyway.
        opened[sid] = OpenedSource(
            spec, table=table, unmapped=unmapped, broken_roles=broken, faulty=len(problems) > found
        )
    run.progress.update("sources opened", len(needed), len(needed))
    return opened, problems
