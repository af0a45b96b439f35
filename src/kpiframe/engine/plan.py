"""Fusion: every metric on one source and window becomes part of one aggregate query.

A metric's own ``where`` is not applied to the table (that would need a second
scan); calculators pass it to each reduction, which SQL engines compile to
``agg(x) FILTER (WHERE ...)`` or ``agg(CASE WHEN ...)``.
"""

from __future__ import annotations

import inspect
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from kpiframe.config.model import Config, MetricSpec
from kpiframe.contracts import Calculator, DerivedCalculator, Period
from kpiframe.engine.sources import OpenedSource, apply_window, local_naive
from kpiframe.engine.windows import Window, resolve
from kpiframe.errors import ConfigProblem, ExpressionError
from kpiframe.expr import parse, suggest, to_ibis


@dataclass
class MetricPlan:
    spec: MetricSpec
    calculator: Calculator
    window: Window
    parts: dict[str, Any] = field(default_factory=dict)  # prefixed part name → aggregate expr
    error: str | None = None


@dataclass
class QueryGroup:
    """Metrics that share a source and a window: one query."""

    source_id: str
    window: Window
    table: Any
    metrics: list[MetricPlan] = field(default_factory=list)

    def aggregate(self, only: list[MetricPlan] | None = None) -> tuple[Any, dict[str, str]]:
        """The fused query, and for each part the column that holds its value.

        Identical aggregates (the ``COUNT(*)`` or ``COUNT(wait)`` of several metrics)
        are computed once: Ibis expressions compare structurally, so equal ones
        share a column.
        """
        unique: dict[Any, str] = {}
        columns: dict[str, str] = {}
        for plan in only or self.metrics:
            for name, expr in plan.parts.items():
                op = expr.op()
                if op not in unique:
                    unique[op] = f"p{len(unique)}"
                columns[name] = unique[op]
        exprs = {column: op.to_expr().name(column) for op, column in unique.items()}
        return self.table.aggregate(**exprs), columns


@dataclass
class Plan:
    groups: list[QueryGroup]
    failed: list[MetricPlan]  # could not be planned (their source failed)
    derived: list[MetricPlan]
    problems: list[ConfigProblem]


def part_name(metric_id: str, part: str) -> str:
    return f"{metric_id}__{part}"


def build_plan(config: Config, sources: dict[str, OpenedSource], as_of: datetime) -> Plan:
    groups: dict[tuple[str, Any], QueryGroup] = {}
    failed: list[MetricPlan] = []
    derived: list[MetricPlan] = []
    problems: list[ConfigProblem] = []

    for spec in config.metrics.values():
        calculator = config.registry.calculator(spec.calc)
        window = resolve(spec.window or config.window, as_of, config.timezone)
        plan = MetricPlan(spec, calculator, window)
        if isinstance(calculator, DerivedCalculator):
            derived.append(plan)
            continue
        assert spec.source is not None
        source = sources.get(spec.source)
        if source is None:  # the source had a config problem, already reported
            continue
        if source.error is not None:
            plan.error = f"source {spec.source!r} could not be read: {source.error}"
            failed.append(plan)
            continue
        missing = _missing_roles(config, spec, calculator, source)
        if missing:
            problems.append(missing)
            continue
        time_column = calculator.time_role_for(spec.params) if calculator.windowing == "rows" else None
        windowed = calculator.windowing == "rows" and bool(window.start or window.end)
        if windowed and not (time_column or source.spec.time):
            problems.append(
                config.document.problem(
                    ("sources", spec.source),
                    f"metric {spec.id!r} asks for the window {window.label!r} but source {spec.source!r} has no `time:` column",
                    "add `time: <timestamp column>` to the source, or give the metric `window: all`",
                )
            )
            continue
        key = (spec.source, window.key() if windowed else None, time_column)
        group = groups.get(key)
        if group is None:
            table = apply_window(source.table, source.spec, window, time_column) if windowed else source.table
            group = groups[key] = QueryGroup(spec.source, window, table)
        try:
            where = to_ibis(parse(spec.where), group.table) if spec.where else None
            if _takes_window(calculator):
                zone = source.spec.timezone
                period = Period(local_naive(window.start, zone), local_naive(window.end, zone), local_naive(as_of, zone), zone)  # type: ignore[arg-type]
                raw_parts = calculator.parts(group.table, spec.params, where, window=period)  # type: ignore[call-arg]
            else:
                raw_parts = calculator.parts(group.table, spec.params, where)
        except ExpressionError as exc:
            location = ("metrics", spec.id, "where") if spec.where and exc.message.startswith("unknown column") and _names_in(spec.where, exc) else ("metrics", spec.id, "params")
            problems.append(config.document.problem(location, exc.message, exc.hint))
            continue
        except Exception as exc:
            plan.error = f"calculator {spec.calc} could not be planned: {type(exc).__name__}: {exc}"
            failed.append(plan)
            continue
        plan.parts = {part_name(spec.id, name): expr for name, expr in raw_parts.items()}
        group.metrics.append(plan)

    return Plan([g for g in groups.values() if g.metrics], failed, derived, problems)


def _takes_window(calculator: Calculator) -> bool:
    """Whether ``parts`` accepts the ``window`` argument (hooks gain arguments, never lose them)."""
    return "window" in inspect.signature(calculator.parts).parameters


def _missing_roles(config: Config, spec: MetricSpec, calculator: Calculator, source: OpenedSource) -> ConfigProblem | None:
    """A problem naming the roles this KPI needs that the source does not provide."""
    columns = list(source.table.columns)
    needed = list(calculator.roles_for(spec.params))
    time_role = calculator.time_role_for(spec.params)
    if time_role and calculator.windowing == "rows":
        needed.append(time_role)
    missing = [role for role in dict.fromkeys(needed) if role not in columns]
    if not missing:
        return None
    role = missing[0]
    others = f" (and {', '.join(repr(r) for r in missing[1:])})" if missing[1:] else ""
    reason = source.unmapped.get(role)
    message = f"{spec.calc} needs the role {role!r}{others}, which source {spec.source!r} does not provide"
    message += f": {reason}" if reason else f"; its columns: {', '.join(columns)}"
    close = suggest(role, columns)
    hint = f"{close} Map it with `columns: {{{role}: <column>}}` on the source" if close else f"map it with `columns: {{{role}: <column or expression>}}` on the source, or use a `preset:`"
    return config.document.problem(("metrics", spec.id, "calc"), message, hint)


def _names_in(where: str, exc: ExpressionError) -> bool:
    """Whether the unknown column of ``exc`` appears in the metric's ``where`` text."""
    quoted = exc.message.split("'")
    return len(quoted) > 1 and quoted[1] in where
