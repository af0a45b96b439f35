"""A run's queries as plain data, and how to run them again without Ibis.

A *recipe* is what the compiled-query cache (:mod:`kpiframe.engine.compile_cache`)
keeps of a run on the embedded DuckDB: the SQL of each scan, how its rows split
into query groups, each group's requests (metric, kind, time column, part names),
and where each window-edge variable's value comes from (:mod:`kpiframe.engine.edges`).
Replaying it at another as-of rebuilds the plan's skeleton in plain Python (windows
resolved afresh, no Ibis expressions), sets the variables and runs the same SQL.

Replay refuses (returns ``None``, and the run plans afresh) whenever the recipe
might not be what planning would give now:

- the windows of the requests must map one to one: two requests that shared a
  window when it was recorded must share one now (they may have shared one filter);
- every variable's derivations must agree on one value, and its name be one kpiframe
  gives (``kpf_0``): it is spliced into ``SET VARIABLE``;
- an empty result needs the no-data probe, which needs Ibis, so the run plans afresh.

:func:`record` itself only keeps a recipe that it has replayed on paper at a
second, distant as-of and found equal, SQL text and variable values, to what
planning gives there (see ``compile_cache.remember``).
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from kpiframe.config.model import Config
from kpiframe.contracts import DerivedCalculator
from kpiframe.engine.edges import NAME
from kpiframe.engine.execute import (
    MAX_GROUPS,
    Execution,
    FusedGroups,
    Outcome,
    _collect,
    _derive,
    _explain_empty,
    _fail_all,
    _note_short,
    coverage_note,
    coverage_query,
    empty_requests,
)
from kpiframe.engine.plan import Grouping, MetricPlan, Plan, QueryGroup, Request
from kpiframe.engine.recipe_shape import fits_config
from kpiframe.engine.windows import comparison_window, local_naive, resolve

__all__ = ["FORMAT", "compile_probes", "describe_groups", "edge_values", "layout", "record", "replay"]

#: The recipe layout; a change makes older cache entries miss.
FORMAT = 1

WindowKey = tuple[datetime | None, datetime | None]


def _iso(moment: datetime | None) -> str | None:
    return None if moment is None else moment.isoformat()


def _moment(text: str | None) -> datetime | None:
    return None if text is None else datetime.fromisoformat(text)


def layout(plan: Plan, state: Execution) -> list[tuple[list[int], bool]] | None:
    """How a finished run scanned: per scan, its query groups (by index) and whether they were
    fused into GROUPING SETS; ``None`` when a scan took a way other than the embedded SQL
    (an Ibis backend, a failure isolated request by request) or a metric failed."""
    if state.journal is None or plan.problems or plan.failed:
        return None
    index = {id(group): number for number, group in enumerate(plan.groups)}
    scans = [([index[g] for g in entry["groups"] if g in index], "fused" in entry) for entry in state.journal]
    if sorted(i for groups, _ in scans for i in groups) != list(range(len(plan.groups))):
        return None
    return scans


def record(plan: Plan, queries: list[dict[str, Any]], edges: Any) -> dict[str, Any]:
    """The recipe of ``plan``, whose scans compiled to ``queries`` with the variables of ``edges``."""
    groups = describe_groups(plan)
    probes = compile_probes(plan, edges)  # before the variables: a probe may bind an edge of its own
    metrics = {
        m.spec.id: {"time_column": m.time_column, "min_rows": m.min_rows, "timezone": m.timezone}
        for m in plan.metrics
        if m not in plan.derived
    }
    variables = {
        name: {
            "aware": aware,
            "from": sorted(
                ([*map(_iso, window or (None, None)), edge, zone] for window, edge, zone in edges.derivations[name]),
                key=json.dumps,
            ),
        }
        for name, (_, aware) in edges.values.items()
    }
    return {
        "format": FORMAT,
        "groups": groups,
        "metrics": metrics,
        "variables": variables,
        "queries": queries,
        "probes": probes,
    }


def compile_probes(plan: Plan, edges: Any) -> list[dict[str, Any]]:
    """The no-data probe of each (source, window, time column), compiled now: a cached run whose
    window comes back empty says what the source holds without planning through Ibis."""
    from kpiframe.engine.duckdb_sql import to_duckdb_sql

    probes = []
    for request in empty_requests(plan):
        source = plan.sources[request.group.source_id]
        column = request.time_column or ""
        probes.append(
            {
                "source": request.group.source_id,
                "window": [_iso(request.window.start), _iso(request.window.end)],
                "time_column": column,
                "zone": source.spec.timezone,
                "where": bool(source.spec.where),
                "sql": to_duckdb_sql(coverage_query(source, request.window, column, edges.bind)),
            }
        )
    return probes


def describe_groups(plan: Plan, windows: bool = True) -> list[dict[str, Any]]:
    """The plan's query groups and their requests as plain data (``windows=False``: without the
    requests' windows, which differ from one as-of to another)."""
    return [
        {
            "source": group.source_id,
            "grouping": [
                list(group.grouping.keys),
                list(group.grouping.per),
                group.grouping.grain,
                group.grouping.heatmap,
            ],
            "clock": group.clock,
            "keys": list(group.keys),
            "requests": [
                {
                    "metric": r.metric.spec.id,
                    "kind": r.kind,
                    "time_column": r.time_column,
                    "parts": list(r.parts),
                    **({"window": [_iso(r.window.start), _iso(r.window.end)]} if windows else {}),
                }
                for r in group.requests
            ],
        }
        for group in plan.groups
    ]


def _skeleton(recipe: dict[str, Any], config: Config, registry: Any, as_of: datetime) -> Plan:
    """The plan the recipe was recorded from, without its Ibis expressions, with windows at ``as_of``."""
    metrics: list[MetricPlan] = []
    derived: list[MetricPlan] = []
    by_id: dict[str, MetricPlan] = {}
    for spec in config.metrics.values():
        calculator = registry.calculator(spec.calc)
        plan = MetricPlan(spec, calculator, resolve(spec.window or config.window, as_of, config.timezone))
        metrics.append(plan)
        by_id[spec.id] = plan
        if isinstance(calculator, DerivedCalculator):
            derived.append(plan)
            continue
        kept = recipe["metrics"][spec.id]
        plan.time_column, plan.min_rows, plan.timezone = kept["time_column"], kept["min_rows"], kept["timezone"]
        if spec.compare:
            plan.previous_window = comparison_window(
                spec.window or config.window, plan.window, as_of, config.timezone, spec.compare
            )
    groups = []
    for kept in recipe["groups"]:
        keys, per, grain, heatmap = kept["grouping"]
        group = QueryGroup(kept["source"], Grouping(tuple(keys), tuple(per), grain, heatmap), kept["clock"])
        group.keys = dict.fromkeys(kept["keys"])
        for asked in kept["requests"]:
            metric = by_id[asked["metric"]]
            window = metric.previous_window if asked["kind"].startswith("previous") else metric.window
            if window is None:
                raise LookupError(f"{metric.spec.id} has no previous window now")
            request = Request(metric, asked["kind"], group, window, asked["time_column"], dict.fromkeys(asked["parts"]))
            group.requests.append(request)
            metric.requests.append(request)
        groups.append(group)
    skeleton = Plan(groups, [], derived, metrics, [])
    if not fits_config(skeleton):
        raise ValueError("the recipe's requests are not the ones the config makes")
    return skeleton


def moved_windows(recipe: dict[str, Any], plan: Plan) -> dict[WindowKey, WindowKey] | None:
    """Each recorded window (UTC edges) → the same request's window in ``plan``; ``None`` when
    two requests that shared a window when recorded (and maybe one filter) no longer do."""
    moved: dict[WindowKey, WindowKey] = {}
    for kept, group in zip(recipe["groups"], plan.groups, strict=True):
        for asked, request in zip(kept["requests"], group.requests, strict=True):
            old = (_moment(asked["window"][0]), _moment(asked["window"][1]))
            if moved.setdefault(old, request.window.key()) != request.window.key():
                return None
    return moved


def edge_values(recipe: dict[str, Any], plan: Plan, as_of: datetime) -> dict[str, tuple[datetime, bool]] | None:
    """Each variable's value for ``plan``'s windows and ``as_of``, or ``None`` when the recipe does not fit them."""
    moved = moved_windows(recipe, plan)
    if moved is None:
        return None
    values: dict[str, tuple[datetime, bool]] = {}
    for name, variable in recipe["variables"].items():
        if not NAME.fullmatch(name):  # a name from a cache file never reaches `SET VARIABLE`
            return None
        found: set[datetime] = set()
        for start, end, edge, zone in variable["from"]:
            now = moved.get((_moment(start), _moment(end)))
            if edge == "as_of":
                moment: datetime | None = as_of.astimezone(UTC)
            else:
                moment = None if now is None else now[0 if edge == "start" else 1]
            if moment is None:
                return None
            found.add(moment if zone is None else local_naive(moment, zone))  # type: ignore[arg-type]
        if len(found) != 1:
            return None
        values[name] = (found.pop(), bool(variable["aware"]))
    return values


def replay(
    recipe: dict[str, Any], config: Config, context: Any, as_of: datetime, check_sql: Any
) -> tuple[Plan, Execution] | None:
    """Run the recipe's queries at ``as_of`` on the context's DuckDB; ``None`` when it does not fit.

    :param check_sql: refuses (raises) a query that is not one ``SELECT``: a cache file is
        data from disk, and nothing in it may do more than read.
    """
    try:
        plan = _skeleton(recipe, config, context.registry, as_of)
    except (KeyError, LookupError, TypeError, ValueError):
        return None
    values = edge_values(recipe, plan, as_of)
    if values is None:
        return None
    backends = context.backends
    backends.edges.values.update(values)
    state = Execution(backends=backends, journal=None)
    for metric in plan.metrics:
        state.outcomes[metric.spec.id] = Outcome(metric)
    redact = context.redactor
    for number, query in enumerate(recipe["queries"]):
        context.progress.update("source scans", number, len(recipe["queries"]))
        groups = [plan.groups[i] for i in query["groups"]]
        check_sql(query["sql"])
        state.queries += 1
        state.scans += 1
        try:
            rows = backends.fetch_sql(query["sql"])
        except TimeoutError as exc:
            requests = [r for group in groups for r in group.requests]
            _fail_all(requests, state, redact(f"query on source {groups[0].source_id!r} stopped: {exc}"))
            continue
        except Exception:
            return None  # planned afresh, a failing query is isolated metric by metric
        if len(rows) > MAX_GROUPS:
            return None
        if "fused" in query:
            layout = query["fused"]
            fused = FusedGroups(
                groups, None, [], layout["order"], layout["group_sets"], layout["names"], layout["columns"]
            )
            batches = fused.split(rows)
        else:
            batches = [(groups[0].requests, rows, query["columns"])]
        _collect(batches, state, redact)
    context.progress.update("source scans", len(recipe["queries"]), len(recipe["queries"]))
    _derive(plan, state)
    moved = moved_windows(recipe, plan) or {}
    probes = {
        (kept["source"], moved.get((_moment(kept["window"][0]), _moment(kept["window"][1]))), kept["time_column"]): kept
        for kept in recipe["probes"]
    }

    def probe(request: Request) -> str | None:
        kept = probes.get((request.group.source_id, request.window.key(), request.time_column))
        if kept is None:
            raise LookupError("no compiled probe for this window")
        check_sql(kept["sql"])
        state.queries += 1
        try:
            (row,) = backends.fetch_sql(kept["sql"])
        except Exception:  # the probe only explains; as when planned afresh
            return None
        spec = _ProbedSource(kept["zone"], kept["where"])
        return coverage_note(row, kept["source"], spec, request.window, kept["time_column"], redact)

    _explain_empty(plan, state, redact, probe)
    _note_short(state)
    return plan, state


@dataclass(frozen=True)
class _ProbedSource:
    """What the probe's reason reads of a source's spec: the zone its days are in, and whether it has a ``where``."""

    timezone: str
    where: bool
