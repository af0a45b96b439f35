"""expr: a metric computed from other metrics' values (``conversations / teammates``)."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any, ClassVar

from kpiframe.calculators.delta import delta_interval
from kpiframe.contracts import DerivedCalculator, Value
from kpiframe.expr import evaluate, names, parse
from kpiframe.plugins import hookimpl


class Expression(DerivedCalculator):
    name = "expr"
    doc = (
        "Arithmetic (+ - * / and abs, round, coalesce) on other metrics' values, named by "
        "their ids. A metric with no data makes the result no data; dividing by zero too. Over inputs "
        "with the same `by:` or `grain:`, it is computed per segment and per period. It carries a 95% "
        "interval where its inputs do (the delta method; see the configuration guide); its n is the "
        "smallest n of its inputs, so `min_sample` applies to it."
    )
    params_schema: ClassVar[dict[str, Any]] = {
        "type": "object",
        "properties": {
            "expr": {"type": "string", "format": "kpiframe-expression", "description": "e.g. `tickets / agents`"},
            "unit": {"type": "string", "description": "the unit of the result (default number)"},
        },
        "required": ["expr"],
        "additionalProperties": False,
    }

    def unit_for(self, params: Mapping[str, Any]) -> str:
        return params.get("unit", self.unit)

    def inputs(self, params: Mapping[str, Any]) -> set[str]:
        return names(parse(params["expr"]))

    def derive(
        self, inputs: Mapping[str, Value], params: Mapping[str, Any], groups: Iterable[Iterable[str]] | None = None
    ) -> Value:
        """The expression on the inputs' values, with a delta-method interval.

        :param groups: the inputs that share a source and window (correlated); by
            default every input is its own group (independent).
        """
        values = {k: v.value for k, v in inputs.items()}
        tree = parse(params["expr"])
        result = evaluate(tree, values)
        missing = sorted(k for k, v in values.items() if v is None)
        if result is None:
            reason = f"no data for {', '.join(missing)}" if missing else "division by zero"
            return Value.no_data(reason, n=None)
        intervals = {k: v.interval for k, v in inputs.items()}
        interval = delta_interval(tree, values, intervals, groups if groups is not None else [[k] for k in inputs])
        # The smallest sample it rests on, so that `min_sample` can make a thin segment no_data.
        sizes = [v.n for v in inputs.values() if v.n is not None]
        return Value(float(result), n=min(sizes) if sizes else None, interval=interval)


@hookimpl
def kpiframe_register_calculators() -> list[DerivedCalculator]:
    return [Expression()]
