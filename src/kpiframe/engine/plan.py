"""Fusion: plan one aggregate query per source × window × time column × grouping.

Each metric makes *requests*: its overall value, its segments (``by:``), its
series (``grain:``), its weekday × hour matrix (``heatmap:``) and the same on a
comparison window (``compare:``). A request lands in the query group with the
same source, window, time column and grouping, so twenty metrics with the same
segments still cost one query for their segments and one for their totals.

A metric's own ``where`` is not applied to the table (that would need a second
scan); calculators pass it to each reduction, which SQL engines compile to
``agg(x) FILTER (WHERE ...)``.
"""

from __future__ import annotations

import functools
import operator
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from kpiframe import expr_time
from kpiframe.config.literals import DateRangeError, check_date
from kpiframe.config.model import Config, MetricSpec
from kpiframe.context import RunContext
from kpiframe.contracts import Calculator, DerivedCalculator, Period, call_parts
from kpiframe.engine.checks import check_metric, part_problems, parts_failed
from kpiframe.engine.edges import AS_OF
from kpiframe.engine.failures import calculator_failure
from kpiframe.engine.interval_terms import needed_parts
from kpiframe.engine.sources import OpenedSource
from kpiframe.engine.time_keys import key_expression
from kpiframe.engine.windows import Window, comparison_window, local_naive, resolve, time_column, window_predicate
from kpiframe.errors import ConfigError, ConfigProblem, ExpressionError
from kpiframe.expr import suggest, to_condition

PERIOD_OF = {"day": expr_time.date, "week": expr_time.week, "month": expr_time.month}
ROWS = "_rows_in_scope"
#: The rows in a metric's window, for its source's ``min_rows``; a plain COUNT(*),
#: so it shares the column of any other metric's COUNT(*) in the fused query.
WINDOW_ROWS = "_rows_in_window"


@dataclass(frozen=True)
class Grouping:
    """How a query's rows are grouped: segment keys, two-level keys, a time grain, or weekday × hour."""

    keys: tuple[str, ...] = ()
    per: tuple[str, ...] = ()
    grain: str | None = None
    heatmap: bool = False

    def outer(self) -> list[str]:
        """Column names of the keys a result is reported by (segments, periods, cells)."""
        if self.grain:
            return ["period"]
        if self.heatmap:
            return ["weekday", "hour"]
        return [f"k{i}" for i in range(len(self.keys))]

    def inner(self) -> list[str]:
        return [f"q{i}" for i in range(len(self.per))]


def groupings(spec: MetricSpec) -> dict[str, Grouping]:
    """The requests a metric makes, by kind, each with the grouping it is computed in.

    The planner asks for them in this order; a replayed recipe (:mod:`kpiframe.engine.recipe`)
    must hold exactly these, since the results read the values the config's ``by:``,
    ``grain:`` and ``heatmap:`` promise.
    """
    kinds = {"overall": Grouping(per=spec.per)}
    if spec.by:
        kinds["segments"] = Grouping(keys=spec.by, per=spec.per)
    if spec.grain:
        kinds["series"] = Grouping(grain=spec.grain, per=spec.per)
    if spec.heatmap:
        kinds["heatmap"] = Grouping(heatmap=True)
    if spec.compare:
        kinds["previous"] = Grouping(per=spec.per)
        if spec.by:
            kinds["previous_segments"] = Grouping(keys=spec.by, per=spec.per)
    return kinds


@dataclass
class MetricPlan:
    spec: MetricSpec
    calculator: Calculator
    window: Window
    previous_window: Window | None = None
    error: str | None = None
    requests: list[Request] = field(default_factory=list)
    time_column: str | None = None  # the column its window filters on; None: not windowed
    min_rows: int | None = None  # its source's min_rows
    timezone: str = "UTC"  # its source's zone: the local days its window spans


@dataclass
class Request:
    """One thing a metric needs from one query group, over one window."""

    metric: MetricPlan
    kind: str  # overall | segments | series | heatmap | previous | previous_segments
    group: QueryGroup
    window: Window
    time_column: str | None  # the column its window filters on; None: every row (not windowed)
    parts: dict[str, Any] = field(default_factory=dict)  # prefixed part name → aggregate expression

    @property
    def key(self) -> str:
        """Names its parts apart from its metric's other requests in the same query (now and the period before)."""
        return f"{self.metric.spec.id}@{self.kind}"


@dataclass
class QueryGroup:
    """One query: a source's rows in the union of its requests' windows, grouped one way.

    Requests over different windows (the current one, ``compare:``'s previous one)
    or windowed on different time columns share the scan: the table keeps the rows
    of any of their windows, and each request's window becomes part of its
    reductions' ``FILTER (WHERE ...)``.
    """

    source_id: str
    grouping: Grouping
    clock: str | None = None  # the time column a series or heat map is keyed by
    table: Any = None
    keys: dict[str, Any] = field(default_factory=dict)  # key column name → expression
    requests: list[Request] = field(default_factory=list)

    @property
    def spans(self) -> list[tuple[Window, str | None]]:
        """The distinct (window, time column) pairs of its requests, in order."""
        return list(dict.fromkeys((request.window, request.time_column) for request in self.requests))

    def query(self, only: list[Request] | None = None) -> tuple[Any, dict[str, str]]:
        """The fused query, and for each part the column that holds its value.

        Identical aggregates (the ``COUNT(*)`` of several metrics) are computed
        once: Ibis expressions compare structurally, so equal ones share a column.
        """
        unique: dict[Any, str] = {}
        columns: dict[str, str] = {}
        for request in only or self.requests:
            for name, expr in request.parts.items():
                op = expr.op()
                if op not in unique:
                    unique[op] = f"p{len(unique)}"
                columns[name] = unique[op]
        exprs = {column: op.to_expr().name(column) for op, column in unique.items()}
        if self.keys:
            return self.table.group_by(**self.keys).aggregate(**exprs), columns
        return self.table.aggregate(**exprs), columns


@dataclass
class Plan:
    groups: list[QueryGroup]
    failed: list[MetricPlan]  # could not be planned (their source failed)
    derived: list[MetricPlan]
    metrics: list[MetricPlan]
    problems: list[ConfigProblem]
    sources: dict[str, OpenedSource] = field(default_factory=dict)  # for the no-data probe


def part_name(metric_id: str, part: str) -> str:
    return f"{metric_id}__{part}"


class _Planner:
    def __init__(self, config: Config, sources: dict[str, OpenedSource], as_of: datetime, run: RunContext):
        self.config = config
        self.run = run
        self.sources = sources
        self.as_of = as_of
        self.groups: dict[tuple[Any, ...], QueryGroup] = {}
        self.problems: list[ConfigProblem] = []
        self.failed: list[MetricPlan] = []

    def bind(self, table: Any) -> Any:
        """Window edges as variables on the embedded DuckDB (:mod:`kpiframe.engine.edges`), else literals."""
        backends = self.run.backends
        return backends.edges.bind if backends.runs_here(table) else None

    def problem(self, path: tuple[Any, ...], message: str, hint: str | None = None) -> None:
        self.problems.append(self.run.locator.problem(path, message, hint))

    def group(self, source: OpenedSource, time_role: str | None, grouping: Grouping) -> QueryGroup:
        # A series or heat map is keyed by its time column, so that column is part of the group.
        clock = (time_role or source.spec.time) if (grouping.grain or grouping.heatmap) else None
        key = (source.spec.id, clock, grouping)
        if key not in self.groups:
            self.groups[key] = QueryGroup(source.spec.id, grouping, clock)
        return self.groups[key]

    def request(self, plan: MetricPlan, kind: str, group: QueryGroup, window: Window, windowed: bool) -> None:
        """Ask ``group`` for one of the metric's values; its parts are built once the group is complete."""
        req = Request(plan, kind, group, window, plan.time_column if windowed else None)
        group.requests.append(req)
        plan.requests.append(req)

    def build(self, groups: list[QueryGroup]) -> None:
        """The table the groups of one source share (the source, in the union of all their
        windows), then each group's keys and every request's parts."""
        source = self.sources[groups[0].source_id]
        spans = list(dict.fromkeys(span for group in groups for span in group.spans))
        table = source.table
        bind = self.bind(table)
        predicates = [
            window_predicate(table, source.spec, window, column, bind) if column else None for window, column in spans
        ]
        if all(p is not None for p in predicates):
            # Every request is windowed: the scan keeps the rows of any of their windows.
            table = table.filter(functools.reduce(operator.or_, predicates))
        shared = len(spans) > 1  # one window (or none): the table's filter already is it
        for group in groups:
            self.build_group(group, table, source, shared)

    def build_group(self, group: QueryGroup, table: Any, source: OpenedSource, shared: bool) -> None:
        group.table = table
        grouping = group.grouping
        for name, text in zip(grouping.outer() if not (grouping.grain or grouping.heatmap) else [], grouping.keys):
            group.keys[name] = key_expression(text, table, source.spec.time)
        if grouping.grain or grouping.heatmap:
            column = time_column(table, group.clock or "")
            if grouping.grain:  # the day, week or month as `by: [week(...)]` gives it
                group.keys["period"] = PERIOD_OF[grouping.grain](column)
            else:
                group.keys["weekday"] = column.day_of_week.index()
                group.keys["hour"] = column.hour()
        for name, text in zip(grouping.inner(), grouping.per):
            group.keys[name] = key_expression(text, table, source.spec.time)
        for request in list(group.requests):
            if request in group.requests:  # not when its metric was rejected by an earlier request
                self.compile(request, table, source, shared)

    def compile(self, request: Request, table: Any, source: OpenedSource, shared: bool) -> None:
        """Build the request's parts; a type that does not fit is a located problem, anything else a bug."""
        plan = request.metric
        try:
            self.parts(request, table, source, shared)
        except Exception as exc:
            problems = parts_failed(plan.spec, plan.calculator, table, source.spec, exc, self.run.locator.problem)
            if not problems and isinstance(exc, ExpressionError):  # a param's expression: at the param's key
                problems = [self.run.locator.problem(_location(plan.spec, exc), exc.message, exc.hint)]
            if problems:  # the config's doing: a type that does not fit, located at its key
                self.reject(plan, problems)
            else:  # a calculator bug: only this metric fails
                what = f"calculator {plan.spec.calc} could not be planned"
                self.fail(plan, calculator_failure(what, plan.calculator, exc, self.run.redactor))

    def check_types(self, groups: list[QueryGroup]) -> None:
        """The type checks alone, for a source whose own problems (a time column of numbers) keep it
        from being windowed: each metric's parts compiled once against the whole table, never run."""
        source = self.sources[groups[0].source_id]
        metrics = {id(r.metric): r.metric for group in groups for r in group.requests}
        for plan in metrics.values():
            if plan.requests:
                self.compile(plan.requests[0], source.table, source, shared=False)

    def parts(self, request: Request, table: Any, source: OpenedSource, shared: bool) -> None:
        plan, kind, window = request.metric, request.kind, request.window
        spec = plan.spec
        in_window = (
            window_predicate(table, source.spec, window, request.time_column, self.bind(table))
            if (shared and request.time_column)
            else None
        )
        where = to_condition(spec.where, table) if spec.where else None
        if in_window is not None:
            where = in_window if where is None else (in_window & where)
        zone = source.spec.timezone
        as_of = self.as_of if kind in ("overall", "segments", "series", "heatmap") else (window.end or self.as_of)
        period = Period(local_naive(window.start, zone), local_naive(window.end, zone), local_naive(as_of, zone), zone)  # type: ignore[arg-type]
        raw = call_parts(plan.calculator, table, spec.params, where, period)
        bind = self.bind(table)
        if bind is not None:
            own = kind in ("overall", "segments", "series", "heatmap")
            raw = self.run.backends.edges.bind_period(raw, period, window, (AS_OF, "as_of") if own else (window, "end"))
        problems = part_problems(spec, plan.calculator, table, source.spec, raw, self.run.locator.problem)
        if problems:
            self.reject(plan, problems)
            return
        raw = needed_parts(plan.calculator, kind, spec, raw)  # no interval terms where none is shown
        request.parts = {part_name(request.key, name): expr for name, expr in raw.items()}
        if request.group.keys:
            # Rows the metric's own `where` keeps in each group: groups it empties are dropped,
            # so `by: [channel]` with `where: "channel == 'email'"` has one segment, not five.
            request.parts[part_name(request.key, ROWS)] = table.count(where=where)
        if kind == "overall" and plan.min_rows is not None:
            request.parts[part_name(request.key, WINDOW_ROWS)] = table.count(where=in_window)

    def fail(self, plan: MetricPlan, error: str) -> None:
        """The metric gets ``error``; its requests leave their groups."""
        plan.error = error
        self.withdraw(plan)
        self.failed.append(plan)

    def reject(self, plan: MetricPlan, problems: list[ConfigProblem]) -> None:
        """The metric's config does not fit its source's data: its problems are reported, nothing runs."""
        self.problems.extend(problems)
        self.withdraw(plan)

    def withdraw(self, plan: MetricPlan) -> None:
        for request in plan.requests:
            if request in request.group.requests:
                request.group.requests.remove(request)
        plan.requests.clear()

    def metric(self, plan: MetricPlan) -> None:
        spec, calculator = plan.spec, plan.calculator
        source = self.sources[spec.source or ""]
        if {*calculator.roles_for(spec.params), calculator.time_role_for(spec.params)} & source.broken_roles:
            return  # the role's mapping is a problem already reported at the source
        missing = _missing_roles(self.run, spec, calculator, source)
        if missing:
            self.problems.append(missing)
            return
        time_role = calculator.time_role_for(spec.params) if calculator.windowing == "rows" else None
        window = plan.window
        windowed = calculator.windowing == "rows" and bool(window.start or window.end)
        plan.time_column = (time_role or source.spec.time) if windowed else None
        plan.min_rows = source.spec.min_rows
        plan.timezone = source.spec.timezone
        if (windowed or spec.grain or spec.heatmap) and not (time_role or source.spec.time):
            self.problem(
                ("sources", spec.source),
                f"metric {spec.id!r} needs a time column (for its window, grain or heatmap) but source {spec.source!r}"
                " has none",
                "add `time: <timestamp column>` to the source, or give the metric `window: all`",
            )
            return
        problems = check_metric(spec, calculator, source.table, source.spec, self.run.locator.problem)
        if problems:
            self.problems.extend(problems)
            return
        wanted = groupings(spec)
        try:
            for kind in ("overall", "segments", "series", "heatmap"):
                if kind in wanted:
                    self.request(plan, kind, self.group(source, time_role, wanted[kind]), window, windowed)
            if spec.compare:
                previous = comparison_window(
                    spec.window or self.config.window, window, self.as_of, self.config.timezone, spec.compare
                )
                if previous is None:
                    self.problem(("metrics", spec.id, "compare"), "`compare` needs a bounded window, not `all`")
                    return
                plan.previous_window = previous
                prev_windowed = calculator.windowing == "rows"
                if prev_windowed and plan.time_column is None:
                    plan.time_column = time_role or source.spec.time
                for kind in ("previous", "previous_segments"):
                    if kind in wanted:
                        self.request(plan, kind, self.group(source, time_role, wanted[kind]), previous, prev_windowed)
        except ExpressionError as exc:
            self.problem(_location(spec, exc), exc.message, exc.hint)


def _location(spec: MetricSpec, exc: ExpressionError) -> tuple[Any, ...]:
    """The config key an expression error most likely comes from (a param's own key when one holds it)."""
    quoted = exc.message.split("'")
    name = quoted[1] if len(quoted) > 1 else None
    for key, texts in (("where", [spec.where or ""]), ("by", list(spec.by)), ("per", list(spec.per))):
        if name and any(name in text for text in texts):
            return ("metrics", spec.id, key)
    for key, value in spec.params.items():
        if name and isinstance(value, str) and name in value:
            return ("metrics", spec.id, "params", key)
    return ("metrics", spec.id, "params")


def check_as_of(as_of: datetime) -> None:
    """Refuse an as-of outside the dates windows are computed for (``0001-01-01`` crashed).

    The CLI and the config already check theirs; this catches the Python API's.
    """
    try:
        check_date(as_of)
    except DateRangeError as exc:
        raise ConfigError(f"as_of: {exc}") from None


def build_plan(config: Config, sources: dict[str, OpenedSource], as_of: datetime, run: RunContext) -> Plan:
    check_as_of(as_of)
    planner = _Planner(config, sources, as_of, run)
    failed: list[MetricPlan] = []
    derived: list[MetricPlan] = []
    metrics: list[MetricPlan] = []
    for spec in config.metrics.values():
        calculator = run.registry.calculator(spec.calc)
        plan = MetricPlan(spec, calculator, resolve(spec.window or config.window, as_of, config.timezone))
        metrics.append(plan)
        if isinstance(calculator, DerivedCalculator):
            derived.append(plan)
            continue
        source = sources.get(spec.source or "")
        if source is None:  # the source had a config problem, already reported
            continue
        if source.error is not None:
            plan.error = f"source {spec.source!r} could not be read: {source.error}"
            failed.append(plan)
            continue
        try:
            planner.metric(plan)
        except Exception as exc:  # a calculator bug: only this metric fails
            what = f"calculator {spec.calc} could not be planned"
            planner.fail(plan, calculator_failure(what, calculator, exc, run.redactor))
    # Compiling every metric's parts finds the types that do not fit (a mean of a TIME column):
    # done even when other problems were found, so that all are reported at once. A source
    # with problems of its own (a time column of numbers) cannot be windowed, so its metrics wait.
    by_source: dict[str, list[QueryGroup]] = {}
    for group in planner.groups.values():
        if group.requests:
            by_source.setdefault(group.source_id, []).append(group)
    for sid, groups in by_source.items():
        if sources[sid].faulty:
            planner.check_types(groups)
        else:
            planner.build(groups)
    groups = [g for g in planner.groups.values() if g.requests]
    return Plan(groups, failed + planner.failed, derived, metrics, planner.problems, sources)


def _missing_roles(
    run: RunContext, spec: MetricSpec, calculator: Calculator, source: OpenedSource
) -> ConfigProblem | None:
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
    hint = (
        f"{close} Map it with `columns: {{{role}: <column>}}` on the source"
        if close
        else f"map it with `columns: {{{role}: <column or expression>}}` on the source, or use a `preset:`"
    )
    return run.locator.problem(("metrics", spec.id, "calc"), message, hint)
