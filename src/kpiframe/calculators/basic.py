"""count, sum, mean, min, max, distinct_count."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, ClassVar

from kpiframe.api import column
from kpiframe.calculators.intervals import mean_interval, mean_of_squares, sample_sd
from kpiframe.contracts import Calculator, Period, Value
from kpiframe.expr import epoch
from kpiframe.plugins import hookimpl

COLUMN = {
    "type": "string",
    "format": "kpiframe-expression",
    "description": "a column, or an expression such as `talk_seconds + hold_seconds`",
}
UNIT = {"type": "string", "description": "the unit shown beside the value (count, %, s, min, h, d, or a word)"}


class Count(Calculator):
    name = "count"
    unit = "count"
    doc = "Rows in the window (after `where`); with `column`, rows where that column is not null."
    params_schema: ClassVar[dict[str, Any]] = {
        "type": "object",
        "properties": {"column": COLUMN},
        "additionalProperties": False,
    }

    def parts(self, table: Any, params: Mapping[str, Any], where: Any, window: Period) -> dict[str, Any]:
        if "column" in params:
            return {"count": column(table, params["column"]).count(where=where)}
        return {"count": table.count(where=where)}

    def finalize(self, parts: Mapping[str, Any], params: Mapping[str, Any]) -> Value:
        count = int(parts["count"] or 0)
        return Value(count, n=count)


class _ColumnStat(Calculator):
    """A reduction of one column; ``n`` is the count of non-null values used."""

    stat: ClassVar[str]
    interval_parts = ("mean_square",)  # only a mean has it
    params_schema: ClassVar[dict[str, Any]] = {
        "type": "object",
        "properties": {"column": COLUMN, "unit": UNIT},
        "required": ["column"],
        "additionalProperties": False,
    }

    def unit_for(self, params: Mapping[str, Any]) -> str:
        return params.get("unit", self.unit)

    def parts(self, table: Any, params: Mapping[str, Any], where: Any, window: Period) -> dict[str, Any]:
        values = column(table, params["column"])
        dtype = values.type()
        if self.stat in ("min", "max") and (dtype.is_date() or dtype.is_timestamp()):
            # The first or last date: as seconds since 1970 (a value is a number), shown as a date.
            instants = values.cast("timestamp") if dtype.is_date() else values
            kind = "date" if dtype.is_date() else "timestamp"
            return {kind: epoch(getattr(instants, self.stat)(where=where)), "n": values.count(where=where)}
        parts = {"value": getattr(values, self.stat)(where=where), "n": values.count(where=where)}
        if self.stat == "mean":
            parts["mean_square"] = mean_of_squares(values, where)
        return parts

    def finalize(self, parts: Mapping[str, Any], params: Mapping[str, Any]) -> Value:
        n = int(parts["n"] or 0)
        kind = next((k for k in ("date", "timestamp") if k in parts), None)
        if kind is not None:
            if n == 0 or parts[kind] is None:
                return Value.no_data("no non-null values in the window", n=n)
            return Value(float(parts[kind]), n=n, unit=kind)  # an instant: any `unit:` would mislabel it
        if n == 0 or parts["value"] is None:
            return Value.no_data("no non-null values in the window", n=n)
        value = float(parts["value"])
        sd = sample_sd(value, parts.get("mean_square"), n)
        return Value(value, n=n, interval=mean_interval(value, sd, n) if sd is not None else None)


class Sum(_ColumnStat):
    name, stat = "sum", "sum"
    doc = "Sum of `column` over non-null values. No non-null value: no data (never 0)."


class Mean(_ColumnStat):
    name, stat = "mean", "mean"
    doc = "Arithmetic mean of `column`; nulls are left out, not counted as 0. Reports a Student-t 95% interval."


class Min(_ColumnStat):
    name, stat = "min", "min"
    doc = "Smallest non-null value of `column`; of a date or timestamp column, the first one (unit `date` or `timestamp`)."


class Max(_ColumnStat):
    name, stat = "max", "max"
    doc = (
        "Largest non-null value of `column`; of a date or timestamp column, the last one (unit `date` or `timestamp`)."
    )


class DistinctCount(Calculator):
    name = "distinct_count"
    unit = "count"
    doc = "Number of distinct non-null values of `column` (exact, not approximate)."
    params_schema: ClassVar[dict[str, Any]] = {
        "type": "object",
        "properties": {"column": COLUMN},
        "required": ["column"],
        "additionalProperties": False,
    }

    def parts(self, table: Any, params: Mapping[str, Any], where: Any, window: Period) -> dict[str, Any]:
        values = column(table, params["column"])
        return {"distinct": values.nunique(where=where), "n": values.count(where=where)}

    def finalize(self, parts: Mapping[str, Any], params: Mapping[str, Any]) -> Value:
        return Value(int(parts["distinct"] or 0), n=int(parts["n"] or 0))


@hookimpl
def kpiframe_register_calculators() -> list[Calculator]:
    return [Count(), Sum(), Mean(), Min(), Max(), DistinctCount()]
