"""share and ratio: rates built from filtered aggregates."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, ClassVar

from kpiframe.api import column, condition
from kpiframe.calculators.basic import COLUMN, UNIT
from kpiframe.calculators.intervals import share_value
from kpiframe.contracts import Calculator, Period, Value
from kpiframe.plugins import hookimpl

CONDITION = {
    "type": "string",
    "format": "kpiframe-expression",
    "description": "a condition such as `wait_seconds <= 20 and not abandoned`",
}


class Share(Calculator):
    name = "share"
    unit = "%"
    direction = "higher"
    doc = (
        "Rows matching `match` ÷ rows in the window (after the metric's `where`), in %. "
        "A row where `match` is null counts as not matching. Reports n (the denominator) "
        "and a Wilson 95% interval."
    )
    params_schema: ClassVar[dict[str, Any]] = {
        "type": "object",
        "properties": {"match": CONDITION},
        "required": ["match"],
        "additionalProperties": False,
    }

    def parts(self, table: Any, params: Mapping[str, Any], where: Any, window: Period) -> dict[str, Any]:
        matching = condition(table, params["match"], where)
        return {"matching": table.count(where=matching), "rows": table.count(where=where)}

    def finalize(self, parts: Mapping[str, Any], params: Mapping[str, Any]) -> Value:
        matching = int(parts["matching"] or 0)
        return share_value(matching, int(parts["rows"] or 0), "no rows in the window", matching=matching)


_AGGREGATE: dict[str, Any] = {
    "type": "object",
    "properties": {
        "agg": {
            "enum": ["count", "sum", "mean", "min", "max", "distinct_count"],
            "description": "how to aggregate (default count)",
        },
        "column": COLUMN,
        "where": CONDITION,
    },
    "additionalProperties": False,
}


def _aggregate(table: Any, spec: Mapping[str, Any], where: Any) -> Any:
    agg = spec.get("agg", "count")
    scope = condition(table, spec["where"], where) if "where" in spec else where
    if agg == "count" and "column" not in spec:
        return table.count(where=scope)
    if "column" not in spec:
        raise ValueError(f"`{agg}` needs a `column`")
    values = column(table, spec["column"])
    if agg == "distinct_count":
        return values.nunique(where=scope)
    return getattr(values, agg)(where=scope)


class Ratio(Calculator):
    name = "ratio"
    doc = (
        "numerator ÷ denominator, each an aggregate (count, sum, mean, min, max, distinct_count) "
        "with its own optional `where`; times `scale` (100 with unit % gives a percentage). "
        "A zero or empty denominator gives no data, never infinity or 0."
    )
    params_schema: ClassVar[dict[str, Any]] = {
        "type": "object",
        "properties": {
            "numerator": _AGGREGATE,
            "denominator": _AGGREGATE,
            "scale": {"type": "number", "description": "multiply the ratio (default 1)"},
            "unit": UNIT,
        },
        "required": ["numerator", "denominator"],
        "additionalProperties": False,
    }

    def unit_for(self, params: Mapping[str, Any]) -> str:
        return params.get("unit", self.unit)

    def parts(self, table: Any, params: Mapping[str, Any], where: Any, window: Period) -> dict[str, Any]:
        return {
            "numerator": _aggregate(table, params["numerator"], where),
            "denominator": _aggregate(table, params["denominator"], where),
            "rows": table.count(where=where),
        }

    def finalize(self, parts: Mapping[str, Any], params: Mapping[str, Any]) -> Value:
        numerator, denominator = parts["numerator"], parts["denominator"]
        rows = int(parts["rows"] or 0)
        if numerator is None or denominator in (None, 0):
            return Value.no_data("the denominator is zero or has no data", n=rows)
        return Value(
            float(numerator) / float(denominator) * float(params.get("scale", 1)),
            n=rows,
            details={"numerator": numerator, "denominator": denominator},
        )


@hookimpl
def kpiframe_register_calculators() -> list[Calculator]:
    return [Share(), Ratio()]
