"""Run each fused query once and hand the numbers back to the calculators."""

from __future__ import annotations

import math
from collections import defaultdict
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date, datetime
from decimal import Decimal
from typing import Any

from kpiframe.contracts import Value
from kpiframe.engine.failures import calculator_failure, engine_reason
from kpiframe.engine.plan import ROWS, WINDOW_ROWS, MetricPlan, Plan, QueryGroup, Request, part_name
from kpiframe.engine.windows import local_naive, time_column, window_predicate

Key = tuple[Any, ...]


@dataclass
class Outcome:
    """What one metric came to: values by request kind and key, or an error message."""

    plan: MetricPlan
    values: dict[str, dict[Key, Value]] = field(default_factory=dict)
    error: str | None = None
    note: str | None = None  # why its window is empty, with the range its source's data covers
    window_rows: int | None = None  # rows in its window, counted when its source has min_rows

    @property
    def value(self) -> Value | None:
        return self.values.get("overall", {}).get(())


@dataclass
class Execution:
    outcomes: dict[str, Outcome] = field(default_factory=dict)
    queries: int = 0
    scans: int = 0  # queries that read a source to compute metrics (the no-data probe is not one)
    notes: list[str] = field(default_factory=list)  # once per source: no rows in the window, below min_rows
    #: Runs a query expression, returns its rows as dicts (the run's Backends.fetch).
    fetch: Callable[[Any], list[dict[str, Any]]] = field(
        default=lambda query: query.to_pyarrow().to_pylist(), repr=False
    )
    #: The run's Backends, when its engine can fuse groupings into GROUPING SETS.
    backends: Any = field(default=None, repr=False)
    #: The SQL each scan ran, and how its rows were split, for the compiled-query cache
    #: (:mod:`kpiframe.engine.recipe`); ``None`` once a scan took another way (a Ibis backend,
    #: a failure isolated request by request), which the cache does not replay.
    journal: list[dict[str, Any]] | None = field(default_factory=list, repr=False)


def _plain(value: Any) -> Any:
    """Engine scalars → plain Python (Decimal → float).

    A NaN stays NaN: Arrow keeps SQL NULL apart from NaN, and a NaN here came
    from the data. It makes the value NaN, which the evaluation reports as an
    error instead of passing it off as "no data".
    """
    if isinstance(value, Decimal):
        return float(value)
    if hasattr(value, "item") and not isinstance(value, (datetime, date)):
        return value.item()
    return value


def quantile(values: list[float], q: float) -> float:
    """Linear interpolation between order statistics (numpy's default, DuckDB's quantile_cont)."""
    ordered = sorted(values)
    position = (len(ordered) - 1) * q
    low = math.floor(position)
    high = min(low + 1, len(ordered) - 1)
    return ordered[low] + (ordered[high] - ordered[low]) * (position - low)


def over_groups(values: list[float], stat: str) -> float:
    """A statistic of per-group values (the second level of ``per:``)."""
    if stat == "mean":
        return sum(values) / len(values)
    if stat == "median":
        return quantile(values, 0.5)
    if stat == "min":
        return min(values)
    if stat == "max":
        return max(values)
    if stat == "sum":
        return sum(values)
    return quantile(values, float(stat[1:]) / 100)


def _finalize(request: Request, parts: dict[str, Any]) -> Value:
    return request.metric.calculator.finalize(parts, request.metric.spec.params)


def _results(request: Request, rows: list[dict[str, Any]], columns: dict[str, str]) -> dict[Key, Value]:
    """Values by outer key (segment, period, cell); two-level metrics take their stat over inner groups."""
    grouping = request.group.grouping
    outer = grouping.outer()
    prefix = part_name(request.key, "")
    mine = {name[len(prefix) :]: column for name, column in columns.items() if name.startswith(prefix)}
    if not rows and not outer and not grouping.per:
        rows = [{}]  # an aggregate over no rows still has one row of empty totals

    def parts_of(row: dict[str, Any]) -> dict[str, Any]:
        return {name: _plain(row.get(column)) for name, column in mine.items() if name not in (ROWS, WINDOW_ROWS)}

    if ROWS in mine:
        rows = [row for row in rows if row.get(mine[ROWS])]

    if not grouping.per:
        return {tuple(_plain(row[k]) for k in outer): _finalize(request, parts_of(row)) for row in rows}
    by_outer: dict[Key, list[Value]] = defaultdict(list)
    inner = grouping.inner()
    for row in rows:
        if any(row.get(k) is None for k in inner):
            continue  # a ticket with no agent is not an agent: null `per` keys form no group
        by_outer[tuple(_plain(row[k]) for k in outer)].append(_finalize(request, parts_of(row)))
    if not outer and () not in by_outer:
        by_outer[()] = []
    stat = request.metric.spec.per_stat
    result = {}
    for key, groups in by_outer.items():
        values = [v.value for v in groups if v.value is not None]
        if not values:
            result[key] = Value.no_data("no groups with data in the window")
        else:
            result[key] = Value(
                over_groups(values, stat),
                n=len(values),
                details={"groups": len(values), "per": list(request.metric.spec.per), "stat": stat},
            )
    return result


def _run(
    group: QueryGroup, only: list[Request] | None, state: Execution
) -> tuple[list[dict[str, Any]], dict[str, str]]:
    state.queries += 1
    state.scans += 1
    query, columns = bounded_query(group, only)
    if only is None and state.journal is not None and state.backends is not None and state.backends.runs_here(query):
        from kpiframe.engine.duckdb_sql import to_duckdb_sql

        sql = to_duckdb_sql(query)
        rows = state.backends.fetch_sql(sql)
        state.journal.append({"sql": sql, "groups": [id(group)], "columns": columns})
    else:
        state.journal = None
        rows = state.fetch(query)
    if len(rows) > MAX_GROUPS:
        raise TooManyGroups(
            f"the query by {', '.join(group.grouping.keys or group.grouping.per or ('time',))} has more than"
            f" {MAX_GROUPS:,} groups"
        )
    return rows, columns


#: The most groups one query may return (segments × `per` groups × periods).
MAX_GROUPS = 1_000_000


def bounded_query(group: QueryGroup, only: list[Request] | None = None) -> tuple[Any, dict[str, str]]:
    """The group's query as it runs, and each part's column (:meth:`QueryGroup.query`).

    Memory stays bounded whatever the keys: a grouped query returns at most one row
    past :data:`MAX_GROUPS`, which says "too many".
    """
    query, columns = group.query(only)
    return (query.limit(MAX_GROUPS + 1) if group.keys else query), columns


class TooManyGroups(Exception):
    pass


def _too_many_segments(request: Request, values: dict[Key, Value]) -> str | None:
    spec = request.metric.spec
    if (
        request.kind not in ("segments", "previous_segments")
        or spec.top
        or spec.worst
        or len(values) <= spec.max_segments
    ):
        return None
    return (
        f"{len(values):,} segments by {', '.join(spec.by)}, more than max_segments ({spec.max_segments:,}); "
        "keep some with `top: 20` (the largest) or `worst: 20`, or raise `max_segments`"
    )


def execute(
    plan: Plan,
    redact: Callable[[str], str] = lambda text: text,
    fetch: Callable[[Any], list[dict[str, Any]]] | None = None,
    backends: Any = None,
    progress: Any = None,
) -> Execution:
    """Execute the groups of each source in as few queries as the engine allows; if a
    fused query fails, isolate the failing metrics.

    :param fetch: runs one query expression (the run's ``Backends.fetch``: the fast
        path on the embedded DuckDB); Ibis' own execution when not given.
    :param backends: the run's :class:`~kpiframe.context.Backends`; on its DuckDB the
        groupings of one source (overall, segments, series) are one GROUPING SETS query.
    :param progress: told of each scan (a :class:`~kpiframe.context.Progress`).
    """
    state = Execution(backends=backends) if fetch is None else Execution(fetch=fetch, backends=backends)
    for metric in plan.metrics:
        state.outcomes[metric.spec.id] = Outcome(metric, error=metric.error)
    scans = bundles(plan.groups)
    for number, bundle in enumerate(scans):
        if progress is not None:
            progress.update("source scans", number, len(scans))
        batches = _fetch_sets(bundle, state) if len(bundle) > 1 else None
        if batches is None:
            batches = [batch for group in bundle for batch in _fetch(group, state, redact)]
        _collect(batches, state, redact)
    if progress is not None:
        progress.update("source scans", len(scans), len(scans))
    _derive(plan, state)
    _explain_empty(plan, state, redact)
    _note_short(state)
    return state


def bundles(groups: list[QueryGroup]) -> list[list[QueryGroup]]:
    """Groups that scan the same table (one source, the union of its windows), in plan order."""
    bundles: dict[int, list[QueryGroup]] = {}
    for group in groups:
        bundles.setdefault(id(group.table), []).append(group)
    return list(bundles.values())


Batch = tuple[list[Request], list[dict[str, Any]], dict[str, str]]


def _fetch(group: QueryGroup, state: Execution, redact: Callable[[str], str]) -> list[Batch]:
    """One group's rows; when its query fails, each request alone, so only the culprit gets ``error``."""
    try:
        rows, columns = _run(group, None, state)
        return [(group.requests, rows, columns)]
    except TimeoutError as exc:  # no point asking again, request by request
        state.journal = None
        _fail_all(group.requests, state, redact(f"query on source {group.source_id!r} stopped: {exc}"))
        return []
    except Exception:
        # One bad metric (a cast that fails on this data, say) must not take the
        # others down: run each request alone so only the culprit gets `error`.
        state.journal = None
        batches = []
        for request in group.requests:
            try:
                batches.append(([request], *_run(group, [request], state)))
            except TooManyGroups as exc:
                message = f"{exc}: keep some segments with `top:`, or group by a coarser key"
                state.outcomes[request.metric.spec.id].error = redact(message)
            except Exception as exc:
                message = f"query on source {group.source_id!r} failed: {engine_reason(exc, redact)}"
                state.outcomes[request.metric.spec.id].error = redact(message)
        return batches


@dataclass
class FusedGroups:
    """The groupings of one source as one GROUPING SETS query (see :func:`fuse`)."""

    groups: list[QueryGroup]
    query: Any  # the aggregate grouped by every key column
    sets: list[list[str]]  # the distinct grouping sets, as key columns
    order: list[str]  # every key column, in GROUPING()'s argument order
    group_sets: list[list[str]]  # per group: its key columns
    names: list[dict[str, str]]  # per group: its key name → the shared key column
    columns: list[dict[str, str]]  # per group: part name → result column

    def layout(self) -> dict[str, Any]:
        """How :meth:`split` reads the rows, as plain data (what the compiled-query cache keeps)."""
        return {"order": self.order, "group_sets": self.group_sets, "names": self.names, "columns": self.columns}

    def split(self, rows: list[dict[str, Any]]) -> list[Batch]:
        """Each group's rows (its grouping set's, keys under the group's own names)."""
        batches: list[Batch] = []
        for group, own_set, names, columns in zip(self.groups, self.group_sets, self.names, self.columns):
            mask = sum(1 << (len(self.order) - 1 - j) for j, column in enumerate(self.order) if column not in own_set)
            own = [
                {**row, **{name: row[column] for name, column in names.items()}}
                for row in rows
                if row["_grouping"] == mask
            ]
            batches.append((group.requests, own, columns))
        return batches


def fuse(bundle: list[QueryGroup]) -> FusedGroups | None:
    """The groupings of one source (overall, segments, series, heat map) as one aggregate
    over every key, to run as GROUPING SETS; ``None`` when there is nothing to fuse."""
    unique: dict[Any, str] = {}
    columns: list[dict[str, str]] = []
    # One column per distinct key expression: `by: [agent]` and `per: [agent]` group by the
    # same column, and GROUPING() could not tell two copies of one expression apart.
    key_columns: dict[Any, str] = {}
    keys: dict[str, Any] = {}
    names: list[dict[str, str]] = []
    for group in bundle:
        mine: dict[str, str] = {}
        for request in group.requests:
            for name, expr in request.parts.items():
                mine[name] = unique.setdefault(expr.op(), f"p{len(unique)}")
        columns.append(mine)
        names.append({})
        for name, expr in group.keys.items():
            column = key_columns.setdefault(expr.op(), f"key{len(key_columns)}")
            keys[column] = expr
            names[-1][name] = column
    if len(bundle) < 2 or not keys:
        return None
    order = list(keys)
    group_sets = [[column for column in order if column in mine.values()] for mine in names]
    sets = [list(s) for s in dict.fromkeys(tuple(s) for s in group_sets)]
    aggregates = {column: op.to_expr().name(column) for op, column in unique.items()}
    query = bundle[0].table.group_by(**keys).aggregate(**aggregates).limit(MAX_GROUPS + 1)
    return FusedGroups(bundle, query, sets, order, group_sets, names, columns)


def _fetch_sets(bundle: list[QueryGroup], state: Execution) -> list[Batch] | None:
    """Every grouping of one source in one scan, or ``None`` when the engine cannot or the
    fused query fails (the groups then run one by one, each isolating its failures)."""
    if state.backends is None or not state.backends.runs_here(bundle[0].table):
        return None
    fused = fuse(bundle)
    if fused is None:
        return None
    sql = None
    try:
        sql = state.backends.grouping_sets_sql(fused.query, fused.sets)
        rows = state.backends.fetch_sql(sql)
    except TimeoutError as exc:
        state.journal = None
        state.queries += 1
        state.scans += 1
        _fail_all(
            [r for group in bundle for r in group.requests],
            state,
            f"query on source {bundle[0].source_id!r} stopped: {exc}",
        )
        return []
    except Exception:
        state.journal = None
        return None
    state.queries += 1
    state.scans += 1
    if len(rows) > MAX_GROUPS:
        state.journal = None
        return None
    if state.journal is not None:
        state.journal.append({"sql": sql, "groups": [id(group) for group in bundle], "fused": fused.layout()})
    return fused.split(rows)


def _fail_all(requests: list[Request], state: Execution, message: str) -> None:
    for request in requests:
        state.outcomes[request.metric.spec.id].error = message


def _collect(batches: list[Batch], state: Execution, redact: Callable[[str], str]) -> None:
    """Hand each request its rows: values per key, or the reason it has none."""
    for requests, rows, columns in batches:
        for request in requests:
            outcome = state.outcomes[request.metric.spec.id]
            if outcome.error:
                continue
            try:
                values = _results(request, rows, columns)
            except Exception as exc:
                what = f"calculator {request.metric.spec.calc} failed"
                outcome.error = redact(calculator_failure(what, request.metric.calculator, exc, redact))
                continue
            outcome.error = _too_many_segments(request, values)
            if outcome.error is None:
                outcome.values[request.kind] = values
            if request.kind == "overall" and part_name(request.key, WINDOW_ROWS) in columns:
                column = columns[part_name(request.key, WINDOW_ROWS)]
                outcome.window_rows = sum(int(row.get(column) or 0) for row in rows)


def empty_requests(plan: Plan) -> list[Request]:
    """One overall request per (source, window, time column) the no-data probe may ask about."""
    found: dict[tuple[Any, ...], Request] = {}
    for metric in plan.metrics:
        request = next((r for r in metric.requests if r.kind == "overall"), None)
        if request is not None and metric.time_column is not None and request.time_column is not None:
            found.setdefault((request.group.source_id, request.window.key(), request.time_column), request)
    return list(found.values())


def _empty(outcome: Outcome) -> bool:
    """A windowed metric that computed fine but on nothing: no value, or a count of 0 rows.

    Worth asking its source why; a count of 0 may be right (no escalations), and
    then the probe finds rows in the window and says nothing.
    """
    value = outcome.value
    if outcome.error is not None or outcome.plan.time_column is None or value is None:
        return False
    return value.value is None or value.n == 0


def _explain_empty(
    plan: Plan, state: Execution, redact: Callable[[str], str], probe: Callable[[Request], str | None] | None = None
) -> None:
    """For each source whose metrics came back empty, one query: its rows, their time range, and
    how many fall in the window. When none do, that is the reason of each empty metric.

    :param probe: asks the source about one request's window (:func:`_coverage` by default;
        a cached run asks with the probe's compiled SQL).
    """
    probe = probe or (lambda request: _coverage(plan, request, state, redact))
    asked: dict[tuple[Any, ...], str | None] = {}
    for outcome in state.outcomes.values():
        if not _empty(outcome):
            continue
        request = next((r for r in outcome.plan.requests if r.kind == "overall"), None)
        if request is None:
            continue
        key = (request.group.source_id, request.window.key(), request.time_column)
        if key not in asked:
            asked[key] = probe(request)
            if asked[key]:
                state.notes.append(asked[key])  # type: ignore[arg-type]
        outcome.note = asked[key]


def _coverage(plan: Plan, request: Request, state: Execution, redact: Callable[[str], str]) -> str | None:
    """What the source holds when the window holds nothing, or ``None``.

    For example "tickets has 8,469 rows from 2021-01-01 to 2021-03-31; none in
    2026-10-25 to 2026-11-24". ``None`` when the window has rows (the metric's own
    filter emptied it) or the probe fails.
    """
    source = plan.sources[request.group.source_id]
    try:
        query = coverage_query(source, request.window, request.time_column or "")
        state.queries += 1
        (row,) = state.fetch(query)
    except Exception:  # the probe only explains; a failure here must not hide the results
        return None
    return coverage_note(row, request.group.source_id, source.spec, request.window, request.time_column or "", redact)


def coverage_query(source: Any, window: Any, column: str, bind: Any = None) -> Any:
    """The no-data probe: the source's rows, the range of its time column, and how many are in ``window``."""
    table = source.table
    col = time_column(table, column)
    inside = window_predicate(table, source.spec, window, column, bind)
    return table.aggregate(rows=table.count(), first=col.min(), last=col.max(), inside=table.count(where=inside))


def coverage_note(
    row: dict[str, Any], sid: str, spec: Any, window: Any, column: str, redact: Callable[[str], str]
) -> str | None:
    """The probe's answer as a reason, or ``None`` when the window has rows."""
    if row["inside"]:
        return None
    zone = spec.timezone
    where = " after its `where`" if spec.where else ""
    bounds = " to ".join(_day(local_naive(b, zone)) if b else "…" for b in (window.start, window.end))
    if not row["rows"]:
        return redact(f"{sid} has no rows{where}; none in {bounds}")
    if row["first"] is None:
        return redact(f"{sid} has {row['rows']:,} rows{where} but no {column}; none in {bounds}")
    return redact(
        f"{sid} has {row['rows']:,} rows{where} from {_day(row['first'])} to {_day(row['last'])}; none in {bounds}"
    )


def _day(moment: Any) -> str:
    return moment.date().isoformat() if isinstance(moment, datetime) else str(moment)


def _note_short(state: Execution) -> None:
    """A source below its ``min_rows`` in a metric's window: noted once per source and count."""
    for outcome in state.outcomes.values():
        short = short_of_rows(outcome)
        if short and short not in state.notes:
            state.notes.append(short)


def short_of_rows(outcome: Outcome) -> str | None:
    """Why the metric's window is short of its source's ``min_rows``, or ``None``.

    For example: "tickets has 12 rows in the window; min_rows is 100".
    """
    rows, minimum = outcome.window_rows, outcome.plan.min_rows
    if outcome.error or rows is None or minimum is None or rows >= minimum:
        return None
    return f"{outcome.plan.spec.source} has {rows:,} rows in the window; min_rows is {minimum:,}"


def _derive(plan: Plan, state: Execution) -> None:
    from kpiframe.engine.derive import derive

    derive(plan, state)
