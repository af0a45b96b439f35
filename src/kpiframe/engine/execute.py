"""Run each fused query once and hand the numbers back to the calculators."""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from datetime import date, datetime
from decimal import Decimal
from typing import Any

from kpiframe.contracts import Value
from kpiframe.engine.plan import MetricPlan, Plan, QueryGroup, part_name


@dataclass
class Outcome:
    """What one metric came to: a value, or an error message."""

    plan: MetricPlan
    value: Value | None = None
    error: str | None = None


@dataclass
class Execution:
    outcomes: dict[str, Outcome] = field(default_factory=dict)
    queries: int = 0


def _plain(value: Any) -> Any:
    """Engine scalars → plain Python (Decimal → float, NaN → None)."""
    if isinstance(value, Decimal):
        return float(value)
    if isinstance(value, float) and math.isnan(value):
        return None
    if hasattr(value, "item") and not isinstance(value, (datetime, date)):
        return value.item()
    return value


def _run(group: QueryGroup, only: list[MetricPlan] | None, state: Execution) -> dict[str, Any]:
    state.queries += 1
    query, columns = group.aggregate(only)
    table = query.to_pyarrow()
    row = table.to_pylist()[0] if table.num_rows else {}
    return {part: _plain(row.get(column)) for part, column in columns.items()}


def _finalize(plan: MetricPlan, row: dict[str, Any]) -> Outcome:
    prefix = part_name(plan.spec.id, "")
    parts = {name[len(prefix):]: value for name, value in row.items() if name.startswith(prefix)}
    try:
        return Outcome(plan, value=plan.calculator.finalize(parts, plan.spec.params))
    except Exception as exc:
        return Outcome(plan, error=f"calculator {plan.spec.calc} failed: {type(exc).__name__}: {exc}")


def execute(plan: Plan, redact: Any = lambda text: text) -> Execution:
    """Execute every group as one query; if a fused query fails, isolate the failing metrics."""
    state = Execution()
    for failed in plan.failed:
        state.outcomes[failed.spec.id] = Outcome(failed, error=failed.error)
    for group in plan.groups:
        try:
            row = _run(group, None, state)
        except Exception:
            # One bad metric (a cast that fails on this data, say) must not take the
            # others down: run each metric alone so only the culprit gets `error`.
            for metric in group.metrics:
                try:
                    state.outcomes[metric.spec.id] = _finalize(metric, _run(group, [metric], state))
                except Exception as exc:
                    message = f"query on source {group.source_id!r} failed: {type(exc).__name__}: {_first_line(exc)}"
                    state.outcomes[metric.spec.id] = Outcome(metric, error=redact(message))
            continue
        for metric in group.metrics:
            state.outcomes[metric.spec.id] = _finalize(metric, row)
    _derive(plan, state)
    return state


def _derive(plan: Plan, state: Execution) -> None:
    pending = list(plan.derived)
    while pending:
        progressed = False
        for metric in list(pending):
            needs = metric.calculator.inputs(metric.spec.params)  # type: ignore[attr-defined]
            if not needs <= set(state.outcomes):
                continue
            pending.remove(metric)
            progressed = True
            broken = sorted(dep for dep in needs if state.outcomes[dep].error)
            if broken:
                state.outcomes[metric.spec.id] = Outcome(metric, error=f"depends on metrics that failed: {', '.join(broken)}")
                continue
            inputs = {dep: state.outcomes[dep].value for dep in needs}
            try:
                state.outcomes[metric.spec.id] = Outcome(metric, value=metric.calculator.derive(inputs, metric.spec.params))  # type: ignore[attr-defined]
            except Exception as exc:
                state.outcomes[metric.spec.id] = Outcome(metric, error=f"{type(exc).__name__}: {exc}")
        if not progressed:  # inputs that were never planned (their source had a config problem)
            for metric in pending:
                state.outcomes[metric.spec.id] = Outcome(metric, error="depends on metrics that could not be computed")
            return


def _first_line(exc: Exception) -> str:
    return str(exc).strip().splitlines()[0] if str(exc).strip() else ""
