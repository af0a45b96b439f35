"""median and percentile: exact, continuous (see :mod:`kpiframe.calculators.stats`)."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, ClassVar

from kpiframe.api import column
from kpiframe.calculators.basic import COLUMN, UNIT
from kpiframe.contracts import Calculator, Period, Value
from kpiframe.plugins import hookimpl


class Percentile(Calculator):
    name = "percentile"
    doc = (
        "The q-th quantile of `column` (q between 0 and 1), exact and continuous: linear "
        "interpolation between the two nearest order statistics, like DuckDB quantile_cont, "
        "PostgreSQL percentile_cont and numpy's default. Nulls are left out."
    )
    params_schema: ClassVar[dict[str, Any]] = {
        "type": "object",
        "properties": {
            "column": COLUMN,
            "q": {"type": "number", "minimum": 0, "maximum": 1, "description": "the quantile: 0.9 for p90"},
            "unit": UNIT,
        },
        "required": ["column", "q"],
        "additionalProperties": False,
    }

    def quantile(self, params: Mapping[str, Any]) -> float:
        return float(params["q"])

    def unit_for(self, params: Mapping[str, Any]) -> str:
        return params.get("unit", self.unit)

    def parts(self, table: Any, params: Mapping[str, Any], where: Any, window: Period) -> dict[str, Any]:
        values = column(table, params["column"])
        return {"value": values.quantile(self.quantile(params), where=where), "n": values.count(where=where)}

    def finalize(self, parts: Mapping[str, Any], params: Mapping[str, Any]) -> Value:
        n = int(parts["n"] or 0)
        if n == 0 or parts["value"] is None:
            return Value.no_data("no non-null values in the window", n=n)
        return Value(float(parts["value"]), n=n)


class Median(Percentile):
    name = "median"
    doc = "The median of `column` (the 0.5 continuous quantile: the mean of the two middle values when n is even)."
    params_schema: ClassVar[dict[str, Any]] = {
        "type": "object",
        "properties": {"column": COLUMN, "unit": UNIT},
        "required": ["column"],
        "additionalProperties": False,
    }

    def quantile(self, params: Mapping[str, Any]) -> float:
        return 0.5


@hookimpl
def kpiframe_register_calculators() -> list[Calculator]:
    return [Percentile(), Median()]
