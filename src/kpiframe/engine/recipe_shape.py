"""The shape a recipe read from a cache file must have before any of it is replayed.

A recipe (:mod:`kpiframe.engine.recipe`) is data from disk, and its values become the
fields of a plan that code far from the cache trusts: a metric's time zone, a grouping's
grain, a fused query's layout. One of the wrong type failed a run long after the replay
(in the results, in the evaluation) where it should have planned afresh. So an entry is
checked first: types, lengths, the closed sets of words, zone names, and that its queries
cover each query group once (:func:`well_formed`); then, rebuilt as a plan's skeleton, that
each metric has the requests and groupings its config asks for (:func:`fits_config`). What
the SQL computes is the key's concern.
"""

from __future__ import annotations

from collections.abc import Callable
from functools import cache
from typing import Any
from zoneinfo import ZoneInfo

from kpiframe.engine.plan import Plan, groupings

__all__ = ["fits_config", "not_replayed", "well_formed"]

Shape = Callable[[Any], bool]

KINDS = ("overall", "segments", "series", "heatmap", "previous", "previous_segments")
GRAINS = (None, "day", "week", "month")


def text(value: Any) -> bool:
    return isinstance(value, str)


def flag(value: Any) -> bool:
    return isinstance(value, bool)


def count(value: Any) -> bool:
    return isinstance(value, int) and not isinstance(value, bool) and value >= 0


@cache
def _zone(name: str) -> bool:
    try:
        ZoneInfo(name)
    except (ValueError, LookupError, OSError):  # unknown, a path, a folder of zones
        return False
    return True


def zone(value: Any) -> bool:
    return isinstance(value, str) and _zone(value)


def maybe(shape: Shape) -> Shape:
    return lambda value: value is None or shape(value)


def one_of(*words: str | None) -> Shape:
    return lambda value: (value is None and None in words) or (isinstance(value, str) and value in words)


def items(shape: Shape) -> Shape:
    return lambda value: isinstance(value, list) and all(shape(item) for item in value)


def row(*shapes: Shape) -> Shape:
    """A list of exactly these shapes, in order (``[start, end]``)."""
    return lambda value: (
        isinstance(value, list) and len(value) == len(shapes) and all(s(v) for s, v in zip(shapes, value))
    )


def names(shape: Shape) -> Shape:
    """An object of any keys, each value of ``shape``."""
    return lambda value: isinstance(value, dict) and all(shape(v) for v in value.values())


def record(fields: dict[str, Shape], optional: tuple[str, ...] = ()) -> Shape:
    """An object with these keys (those in ``optional`` may be missing) and no others."""

    def check(value: Any) -> bool:
        if not isinstance(value, dict) or not set(fields) - set(optional) <= set(value) <= set(fields):
            return False
        return all(fields[key](item) for key, item in value.items())

    return check


WINDOW = row(maybe(text), maybe(text))
REQUEST = record(
    {"metric": text, "kind": one_of(*KINDS), "time_column": maybe(text), "parts": items(text), "window": WINDOW}
)
GROUP = record(
    {
        "source": text,
        "grouping": row(items(text), items(text), one_of(*GRAINS), flag),
        "clock": maybe(text),
        "keys": items(text),
        "requests": items(REQUEST),
    }
)
VARIABLE = record(
    {"aware": flag, "from": items(row(maybe(text), maybe(text), one_of("start", "end", "as_of"), maybe(zone)))}
)
LAYOUT = record(
    {"order": items(text), "group_sets": items(items(text)), "names": items(names(text)), "columns": items(names(text))}
)
QUERY = record(
    {"sql": text, "groups": items(count), "columns": names(text), "fused": LAYOUT}, optional=("columns", "fused")
)
PROBE = record({"source": text, "window": WINDOW, "time_column": text, "zone": zone, "where": flag, "sql": text})
RECIPE = record(
    {
        "format": count,
        "key": text,
        "groups": items(GROUP),
        "metrics": names(record({"time_column": maybe(text), "min_rows": maybe(count), "timezone": zone})),
        "variables": names(VARIABLE),
        "queries": items(QUERY),
        "probes": items(PROBE),
    }
)


def _query_fits(query: dict[str, Any], groups: int) -> bool:
    """One group's query has its columns; a fused one a layout entry per group, over its own keys."""
    if any(index >= groups for index in query["groups"]) or not query["groups"]:
        return False
    if "fused" not in query:
        return "columns" in query and len(query["groups"]) == 1
    layout = query["fused"]
    sizes = {len(layout["group_sets"]), len(layout["names"]), len(layout["columns"])}
    order = set(layout["order"])
    return sizes == {len(query["groups"])} and all(set(keys) <= order for keys in layout["group_sets"])


#: What an entry says of a config whose recipe does not replay (``compile_cache.remember``).
NOT_REPLAYED = record({"format": count, "key": text, "replays": one_of("never")})


def not_replayed(entry: Any) -> bool:
    """Whether ``entry`` says its config is planned afresh every run."""
    return NOT_REPLAYED(entry)


def well_formed(recipe: Any) -> bool:
    """Whether ``recipe`` has a recipe's shape, and its queries cover each query group exactly once."""
    if not RECIPE(recipe):
        return False
    groups = len(recipe["groups"])
    covered = sorted(index for query in recipe["queries"] for index in query["groups"])
    return covered == list(range(groups)) and all(_query_fits(query, groups) for query in recipe["queries"])


def fits_config(plan: Plan) -> bool:
    """Whether each metric of a replayed plan has exactly the requests its spec makes, each in
    its grouping, and each group the key columns its grouping names."""
    for metric in plan.metrics:
        if metric in plan.derived:
            continue
        asked = {request.kind: request.group.grouping for request in metric.requests}
        if len(asked) != len(metric.requests) or asked != groupings(metric.spec):
            return False
    return all(list(group.keys) == group.grouping.outer() + group.grouping.inner() for group in plan.groups)
