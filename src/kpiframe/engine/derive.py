"""Derived metrics: computed from their inputs' values, overall, per segment and per period.

A derived metric with ``by:`` (or ``grain:``) gets one value per segment key (or
period) of its inputs: an input with the same ``by:`` gives its value for that key;
an input without segments gives its overall value to every key; a key some input
lacks gives ``no_data`` for that segment, naming the input. Inputs computed from the
same source and window are correlated, which the ``expr`` interval takes into
account (see :mod:`kpiframe.calculators.delta`).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

from kpiframe.calculators.delta import correlated_groups
from kpiframe.calculators.derived import DerivedError, Expression
from kpiframe.contracts import Value

if TYPE_CHECKING:
    from kpiframe.engine.execute import Execution, Key, Outcome
    from kpiframe.engine.plan import MetricPlan, Plan

#: A derived metric's sliced values: (kind, the spec key that asks for it, the kind an
#: input without that slice gives to every key instead).
SLICES = (("segments", "by", "overall"), ("series", "grain", "overall"), ("previous_segments", "by", "previous"))


def derive(plan: Plan, state: Execution) -> None:
    """Compute every derived metric once its inputs are done, inputs first."""
    pending = list(plan.derived)
    bases: dict[str, frozenset[Any]] = {
        m.spec.id: frozenset({(m.spec.source, m.window.key())}) for m in plan.metrics if m not in plan.derived
    }
    while pending:
        progressed = False
        for metric in list(pending):
            needs = metric.calculator.inputs(metric.spec.params)  # type: ignore[attr-defined]
            if not all(dep in state.outcomes and _done(state.outcomes[dep]) for dep in needs):
                continue
            pending.remove(metric)
            progressed = True
            bases[metric.spec.id] = frozenset().union(*(bases.get(dep, frozenset({dep})) for dep in needs))
            _derive_one(metric, sorted(needs), state, bases)
        if not progressed:  # inputs that were never planned (their source had a config problem)
            for metric in pending:
                state.outcomes[metric.spec.id].error = "depends on metrics that could not be computed"
            return


def _done(outcome: Outcome) -> bool:
    return bool(outcome.value or outcome.error)


def _derive_one(metric: MetricPlan, needs: list[str], state: Execution, bases: Mapping[str, frozenset[Any]]) -> None:
    outcome = state.outcomes[metric.spec.id]
    broken = [dep for dep in needs if state.outcomes[dep].error]
    if broken:
        outcome.error = f"depends on metrics that failed: {', '.join(broken)}"
        return
    groups = correlated_groups({dep: bases.get(dep, frozenset({dep})) for dep in needs})
    inputs = {dep: state.outcomes[dep] for dep in needs}
    try:
        outcome.values["overall"] = {(): _compute(metric, {d: o.value for d, o in inputs.items()}, groups)}  # type: ignore[misc]
        if metric.spec.compare:
            _previous(metric, inputs, groups, outcome)
        for kind, attribute, fallback in SLICES:
            if getattr(metric.spec, attribute) and (fallback == "overall" or "previous" in outcome.values):
                outcome.values[kind] = _sliced(metric, inputs, (kind, attribute, fallback), groups)
    except DerivedError as exc:
        outcome.values.clear()
        outcome.error = str(exc)
    except Exception as exc:
        outcome.values.clear()
        outcome.error = f"{type(exc).__name__}: {exc}"


def _previous(metric: MetricPlan, inputs: Mapping[str, Outcome], groups: list[set[str]], outcome: Outcome) -> None:
    """The value over the comparison window (``compare:``), from the inputs' own (the loader
    made them all compare the same way)."""
    found = {dep: o.values.get("previous", {}).get(()) for dep, o in inputs.items()}
    previous = {dep: value for dep, value in found.items() if value is not None}
    if len(previous) < len(found):
        return
    outcome.values["previous"] = {(): _compute(metric, previous, groups)}
    metric.previous_window = next(o.plan.previous_window for o in inputs.values())


def _sliced(
    metric: MetricPlan, inputs: Mapping[str, Outcome], slice_: tuple[str, str, str], groups: list[set[str]]
) -> dict[Key, Value]:
    """One value per key that any sliced input has."""
    kind, attribute, fallback = slice_
    sliced = {dep for dep, outcome in inputs.items() if getattr(outcome.plan.spec, attribute)}
    keys = dict.fromkeys(key for dep in sorted(sliced) for key in inputs[dep].values.get(kind, {}))
    results: dict[Key, Value] = {}
    for key in keys:
        values: dict[str, Value] = {}
        absent = []
        for dep, outcome in inputs.items():
            value = outcome.values.get(kind if dep in sliced else fallback, {}).get(key if dep in sliced else ())
            if value is None:
                absent.append(dep)
            else:
                values[dep] = value
        if absent:
            results[key] = Value.no_data(f"no data for {', '.join(absent)} in this {_noun(kind)}", n=None)
        else:
            results[key] = _compute(metric, values, groups)
    return results


def _noun(kind: str) -> str:
    return "period" if kind == "series" else "segment"


def _compute(metric: MetricPlan, inputs: Mapping[str, Value], groups: list[set[str]]) -> Value:
    calculator = metric.calculator
    if isinstance(calculator, Expression):
        return calculator.derive(inputs, metric.spec.params, groups)
    return calculator.derive(inputs, metric.spec.params)  # type: ignore[attr-defined]
