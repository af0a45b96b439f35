"""The segments and periods of a derived (``expr``) metric: those its inputs share.

``tickets / agents`` where both inputs are ``by: [channel]`` is computed per channel;
where both have ``grain: week``, per week. The derived metric may say ``by:`` and
``grain:`` itself (it must, for per-segment ``targets:``); then every input that has
segments must have those, and inputs without segments count with their overall value
in each segment. When it says nothing, it takes the ``by:`` (and ``grain:``) every
one of its inputs has, if they all have the same.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import replace
from typing import Any

from kpiframe.config.model import MetricSpec
from kpiframe.contracts import DerivedCalculator

Problem = Callable[..., None]  # (path, message, hint)


def _inputs(spec: MetricSpec, registry: Any, metrics: Mapping[str, MetricSpec]) -> list[str] | None:
    calculator = registry.calculator(spec.calc)
    if not isinstance(calculator, DerivedCalculator):
        return None
    try:
        return sorted(calculator.inputs(spec.params) & set(metrics))
    except Exception:  # a bad expression: reported by the dependency check
        return None


def _shared(spec: MetricSpec, deps: list[str], metrics: Mapping[str, MetricSpec], key: str, add: Problem) -> Any:
    """The ``by`` (tuple) or ``grain`` the derived metric gets, after checking its inputs agree."""
    empty: Any = () if key == "by" else None
    own = getattr(spec, key)
    theirs = {dep: getattr(metrics[dep], key) for dep in deps}
    sliced = {dep: value for dep, value in theirs.items() if value != empty}
    if own == empty:
        values = set(theirs.values())
        return values.pop() if len(values) == 1 and deps else empty
    if not sliced:
        add(
            ("metrics", spec.id, key),
            f"{key}: on a derived metric needs inputs with that {key}; none of {', '.join(deps)} has one",
            f"give its inputs `{key}: {_text(own)}`, or remove `{key}:` here",
        )
        return own
    for dep, value in sliced.items():
        if value != own:
            add(
                ("metrics", spec.id, key),
                f"{key}: {_text(own)} differs from that of its input {dep!r} ({key}: {_text(value)})",
                f"a derived metric is computed per segment and period its inputs share: give {dep!r} "
                f"`{key}: {_text(own)}` too",
            )
    return own


def _compare(spec: MetricSpec, deps: list[str], metrics: Mapping[str, MetricSpec], add: Problem) -> str | None:
    """``compare:`` on a derived metric needs every input to compare the same way: their
    previous values are its inputs there. (Not taken from the inputs when not given: a
    metric without ``compare:`` takes its baseline from the history.)"""
    theirs = {dep: metrics[dep].compare for dep in deps}
    if spec.compare is None:
        return None
    for dep, value in theirs.items():
        if value != spec.compare:
            add(
                ("metrics", spec.id, "compare"),
                f"compare: {spec.compare} needs its input {dep!r} to compare the same way"
                + (f" (it has compare: {value})" if value else " (it has no compare:)"),
                f"give {dep!r} `compare: {spec.compare}` too",
            )
    return spec.compare


def _refuse_unsliced(spec: MetricSpec, add: Problem) -> None:
    """``heatmap:`` and ``per:`` need rows, which a derived metric has none of: say so, not ignore them."""
    if spec.heatmap:
        add(
            ("metrics", spec.id, "heatmap"),
            "a derived metric has no weekday × hour cells: it is computed from other metrics' values",
            "remove `heatmap:`, or give the heat map to one of its inputs",
        )
    if spec.per:
        add(
            ("metrics", spec.id, "per"),
            "a derived metric has no rows to group with `per:`: it is computed from other metrics' values",
            "remove `per:`, or give `per:` to its inputs",
        )


def _text(value: Any) -> str:
    return "[" + ", ".join(value) + "]" if isinstance(value, tuple) else str(value)


def derived_slices(metrics: dict[str, MetricSpec], registry: Any, add: Problem) -> None:
    """Give each derived metric the segments and periods of its inputs (in place), inputs first."""
    done: set[str] = set()
    derived = {mid: deps for mid, spec in metrics.items() if (deps := _inputs(spec, registry, metrics)) is not None}
    for _ in range(len(derived) + 1):  # a cycle is reported elsewhere; this stops anyway
        ready = [
            mid for mid, deps in derived.items() if mid not in done and all(d not in derived or d in done for d in deps)
        ]
        if not ready:
            return
        for mid in ready:
            spec, deps = metrics[mid], derived[mid]
            _refuse_unsliced(spec, add)
            compare = _compare(spec, deps, metrics, add)
            metrics[mid] = replace(
                spec,
                by=_shared(spec, deps, metrics, "by", add),
                grain=_shared(spec, deps, metrics, "grain", add),
                compare=compare,
            )
            done.add(mid)
