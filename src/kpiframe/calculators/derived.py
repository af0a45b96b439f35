"""expr: a metric computed from other metrics' values (``conversations / teammates``)."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, ClassVar

from kpiframe.contracts import DerivedCalculator, Value
from kpiframe.expr import evaluate, names, parse
from kpiframe.plugins import hookimpl


class Expression(DerivedCalculator):
    name = "expr"
    doc = (
        "Arithmetic (+ - * / and abs, round, coalesce) on other metrics' values, named by "
        "their ids. A metric with no data makes the result no data; dividing by zero too."
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

    def derive(self, inputs: Mapping[str, Value], params: Mapping[str, Any]) -> Value:
        values = {k: v.value for k, v in inputs.items()}
        result = evaluate(parse(params["expr"]), values)
        missing = sorted(k for k, v in values.items() if v is None)
        if result is None:
            reason = f"no data for {', '.join(missing)}" if missing else "division by zero"
            return Value.no_data(reason, n=None)
        return Value(float(result))


@hookimpl
def kpiframe_register_calculators() -> list[DerivedCalculator]:
    return [Expression()]
