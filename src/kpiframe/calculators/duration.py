"""duration: the time between two timestamp columns, as a statistic over rows."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, ClassVar

from kpiframe.api import column
from kpiframe.business_hours import business_seconds, parse_schedule
from kpiframe.calculators.stats import STAT_SCHEMA, both, reduce
from kpiframe.config.literals import DURATION_UNITS
from kpiframe.config.schema import BUSINESS_HOURS_PARAM
from kpiframe.contracts import Calculator, Period, Value
from kpiframe.errors import ExpressionError
from kpiframe.expr import epoch
from kpiframe.plugins import hookimpl

DISPLAY_UNITS = ["s", "min", "h", "d"]


def seconds_between(table: Any, start: str, end: str) -> tuple[Any, Any, Any]:
    """(end − start in seconds, start, end) as Ibis expressions; both must be timestamps."""
    start_col, end_col = column(table, start), column(table, end)
    for name, col in ((start, start_col), (end, end_col)):
        dtype = col.type()
        if dtype.is_string() or dtype.is_date():
            col = col.cast("timestamp")
        elif not dtype.is_timestamp():
            raise ExpressionError(f"{name!r} is {dtype}, not a timestamp")
        if name == start:
            start_col = col
        else:
            end_col = col
    # EPOCH keeps fractional seconds on DuckDB and PostgreSQL.
    return epoch(end_col) - epoch(start_col), start_col, end_col


class Duration(Calculator):
    name = "duration"
    unit = "min"
    direction = "lower"
    doc = (
        "end − start over rows where both are set, as `stat` (mean by default; median or a percentile such as p90), in"
        " `unit`; with `business_hours`, only working time counts. Rows with end before start are data errors: counted"
        " in `negative` and left out, never averaged in. Rows with a start but no end yet are counted in `censored`."
    )
    params_schema: ClassVar[dict[str, Any]] = {
        "type": "object",
        "properties": {
            "start": {"type": "string", "format": "kpiframe-expression", "description": "the start timestamp column"},
            "end": {"type": "string", "format": "kpiframe-expression", "description": "the end timestamp column"},
            "stat": STAT_SCHEMA,
            "unit": {"enum": DISPLAY_UNITS, "description": "the unit of the value (default min)"},
            "business_hours": BUSINESS_HOURS_PARAM,
        },
        "required": ["start", "end"],
        "additionalProperties": False,
    }

    def unit_for(self, params: Mapping[str, Any]) -> str:
        return params.get("unit", self.unit)

    def parts(self, table: Any, params: Mapping[str, Any], where: Any, window: Period) -> dict[str, Any]:
        seconds, start, end = seconds_between(table, params["start"], params["end"])
        if params.get("business_hours"):
            zone = window.timezone if window else "UTC"
            seconds = business_seconds(start, end, zone, parse_schedule(params["business_hours"]))
        # Compare the timestamps, not the difference: cheaper, and the same rows.
        valid = both(where, end >= start)
        return {
            "value": reduce(seconds, params.get("stat", "mean"), valid),
            "n": table.count(where=valid),
            "negative": table.count(where=both(where, end < start)),
            "censored": table.count(where=both(where, start.notnull() & end.isnull())),
        }

    def finalize(self, parts: Mapping[str, Any], params: Mapping[str, Any]) -> Value:
        n = int(parts["n"] or 0)
        details = {"negative": int(parts["negative"] or 0), "censored": int(parts["censored"] or 0)}
        if n == 0 or parts["value"] is None:
            return Value.no_data("no completed durations in the window", n=n, details=details)
        unit = self.unit_for(params)
        return Value(float(parts["value"]) / DURATION_UNITS[unit], n=n, details=details)


@hookimpl
def kpiframe_register_calculators() -> list[Calculator]:
    return [Duration()]
