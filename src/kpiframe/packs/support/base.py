"""Building blocks of the support pack: rates, durations and column statistics over roles.

Each KPI asks for roles (``created_at``, ``wait_seconds``...) rather than column
names; a source maps roles with ``columns:`` or a ``preset:``.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from typing import Any, ClassVar

from kpiframe.business_hours import business_seconds, parse_schedule
from kpiframe.calculators.intervals import Z95, mean_interval, mean_of_squares, sample_sd, share_value
from kpiframe.calculators.stats import STAT_SCHEMA, both, reduce
from kpiframe.config.literals import DURATION_UNITS, parse_duration
from kpiframe.config.schema import BUSINESS_HOURS_PARAM
from kpiframe.contracts import Calculator, Period, Value
from kpiframe.errors import ExpressionError
from kpiframe.expr import epoch

DURATION_UNIT = {"enum": ["s", "min", "h", "d"], "description": "unit of the value"}
DURATION_TEXT = {
    "type": ["string", "number"],
    "format": "kpiframe-duration",
    "pattern": r"^\s*\d+(\.\d+)?\s*(ms|s|sec|min|h|d|w)?\s*$",
    "x-kpiframe-expected": "a duration such as 20s, 90min, 4h or 2d",
}
_TRUE_TEXT = ("y", "yes", "true", "t", "1")


def flag(table: Any, role: str) -> Any:
    """A role as a condition: booleans as they are, counts as ``> 0``, Y/N-style text as yes/no.

    Real exports write flags as ``Y``/``N``, ``yes``/``no``, ``TRUE``, 0/1 or a count
    (Zendesk's ``reopens``); a null stays null (unknown), never false.
    """
    col = table[role]
    dtype = col.type()
    if dtype.is_boolean():
        return col
    if dtype.is_numeric():
        return col > 0
    if dtype.is_string():
        return col.strip().lower().isin(_TRUE_TEXT)
    return col.notnull()


def seconds_param(value: Any) -> float:
    return parse_duration(value).total_seconds()


class SupportKpi(Calculator):
    """A KPI of the support pack. ``example`` is the params block ``kpiframe explain`` shows."""

    example: ClassVar[dict[str, Any]] = {}
    table_kind: ClassVar[str] = "tickets"  # which canonical table the KPI reads (for docs)


class RateKpi(SupportKpi):
    """success ÷ population, in %, with n (the population) and a Wilson 95% interval."""

    unit = "%"

    def population(self, table: Any, params: Mapping[str, Any], window: Period | None) -> Any:
        return None  # every row

    def success(self, table: Any, params: Mapping[str, Any], window: Period | None) -> Any:
        raise NotImplementedError

    def parts(self, table: Any, params: Mapping[str, Any], where: Any, window: Period) -> dict[str, Any]:
        scope = both(where, self.population(table, params, window))
        return {
            "matching": table.count(where=both(scope, self.success(table, params, window))),
            "rows": table.count(where=scope),
        }

    def finalize(self, parts: Mapping[str, Any], params: Mapping[str, Any]) -> Value:
        matching = int(parts["matching"] or 0)
        return share_value(matching, int(parts["rows"] or 0), "nothing to rate in the window", matching=matching)


class DurationKpi(SupportKpi):
    """end − start (or a precomputed seconds role), as a statistic; negatives and censored rows counted."""

    unit = "min"
    direction = "lower"
    start_role: ClassVar[str]
    end_role: ClassVar[str]
    seconds_role: ClassVar[str | None] = None  # a precomputed duration some exports carry
    censored_label: ClassVar[str] = "censored"
    interval_parts = ("mean_square",)  # only with stat: mean
    params_schema: ClassVar[dict[str, Any]] = {
        "type": "object",
        "properties": {
            "stat": STAT_SCHEMA,
            "unit": DURATION_UNIT,
            "business_hours": BUSINESS_HOURS_PARAM,
        },
        "additionalProperties": False,
    }

    def roles_for(self, params: Mapping[str, Any]) -> tuple[str, ...]:
        return (self.start_role,)  # and `end_role` or `seconds_role`: checked in parts

    def unit_for(self, params: Mapping[str, Any]) -> str:
        return params.get("unit", self.unit)

    def seconds(self, table: Any, params: Mapping[str, Any], window: Period | None) -> tuple[Any, Any, Any]:
        """(duration in seconds, the valid-row condition, the censored-row condition)."""
        start = table[self.start_role]
        has_end = self.end_role in table.columns
        if params.get("business_hours") or (has_end and not (self.seconds_role and self.seconds_role in table.columns)):
            if not has_end:
                raise ExpressionError(
                    f"{self.name} with business_hours needs the role {self.end_role!r}; the source has:"
                    f" {', '.join(table.columns)}"
                )
            end = table[self.end_role]
            if params.get("business_hours"):
                seconds = business_seconds(
                    start, end, window.timezone if window else "UTC", parse_schedule(params["business_hours"])
                )
            else:
                seconds = epoch(end) - epoch(start)
            return seconds, end >= start, start.notnull() & end.isnull()
        if self.seconds_role and self.seconds_role in table.columns:
            seconds = table[self.seconds_role].cast("float64")
            return seconds, seconds >= 0, start.notnull() & seconds.isnull()
        raise ExpressionError(
            f"{self.name} needs the role {self.end_role!r} (or {self.seconds_role!r}); the source has:"
            f" {', '.join(table.columns)}",
            f"map it with `columns: {{{self.end_role}: <column>}}`",
        )

    def parts(self, table: Any, params: Mapping[str, Any], where: Any, window: Period) -> dict[str, Any]:
        seconds, valid, censored = self.seconds(table, params, window)
        parts = {
            "value": reduce(seconds, params.get("stat", "mean"), both(where, valid)),
            "n": table.count(where=both(where, valid)),
            "negative": table.count(where=both(where, ~valid)),
            "censored": table.count(where=both(where, censored)),
        }
        if params.get("stat", "mean") == "mean":
            parts["mean_square"] = mean_of_squares(seconds, both(where, valid))
        return parts

    def finalize(self, parts: Mapping[str, Any], params: Mapping[str, Any]) -> Value:
        n = int(parts["n"] or 0)
        details = {"negative": int(parts["negative"] or 0), self.censored_label: int(parts["censored"] or 0)}
        if n == 0 or parts["value"] is None:
            return Value.no_data("no completed durations in the window", n=n, details=details)
        scale = DURATION_UNITS[self.unit_for(params)]
        sd = sample_sd(parts["value"], parts.get("mean_square"), n)
        interval = mean_interval(float(parts["value"]), sd, n) if sd is not None else None
        return Value(
            float(parts["value"]) / scale,
            n=n,
            details=details,
            interval=(interval[0] / scale, interval[1] / scale) if interval else None,
        )


class ColumnStatKpi(SupportKpi):
    """A statistic of one numeric role (seconds, a score) over a population; nulls left out."""

    value_role: ClassVar[str]
    default_unit: ClassVar[str] = "s"
    is_duration: ClassVar[bool] = True
    interval_parts = ("mean_square",)  # only with stat: mean
    params_schema: ClassVar[dict[str, Any]] = {
        "type": "object",
        "properties": {"stat": STAT_SCHEMA, "unit": DURATION_UNIT},
        "additionalProperties": False,
    }

    def roles_for(self, params: Mapping[str, Any]) -> tuple[str, ...]:
        return (self.value_role,)

    def unit_for(self, params: Mapping[str, Any]) -> str:
        return params.get("unit", self.default_unit) if self.is_duration else self.default_unit

    def population(self, table: Any, params: Mapping[str, Any]) -> Any:
        return None

    def values(self, table: Any, params: Mapping[str, Any]) -> Any:
        return table[self.value_role]

    def parts(self, table: Any, params: Mapping[str, Any], where: Any, window: Period) -> dict[str, Any]:
        values = self.values(table, params)
        scope = both(both(where, self.population(table, params)), values.notnull())
        parts = {"value": reduce(values, params.get("stat", "mean"), scope), "n": table.count(where=scope)}
        if params.get("stat", "mean") == "mean":
            parts["mean_square"] = mean_of_squares(values, scope)
        return parts

    def finalize(self, parts: Mapping[str, Any], params: Mapping[str, Any]) -> Value:
        n = int(parts["n"] or 0)
        if n == 0 or parts["value"] is None:
            return Value.no_data("no values in the window", n=n)
        value = float(parts["value"])
        sd = sample_sd(value, parts.get("mean_square"), n)
        interval = mean_interval(value, sd, n) if sd is not None else None
        scale = DURATION_UNITS[self.unit_for(params)] if self.is_duration else 1.0
        return Value(value / scale, n=n, interval=(interval[0] / scale, interval[1] / scale) if interval else None)


def answered(table: Any) -> Any:
    """Calls that reached an agent: not abandoned and not blocked (where those roles exist)."""
    scope = None
    for role in ("abandoned", "blocked"):
        if role in table.columns:
            scope = both(scope, ~flag(table, role).fill_null(False))
    return scope


def net_score(promoters: int, detractors: int, n: int) -> Value:
    """Promoters % − detractors % (−100..100) with a 95% interval.

    Each answer scores +1, 0 or −1; the net score is their mean × 100, and its
    variance is (p + d − (p − d)²) / n, with p and d the promoter and detractor shares.
    """
    if n == 0:
        return Value.no_data("no answers in the window")
    p, d = promoters / n, detractors / n
    value = 100 * (p - d)
    half = 100 * Z95 * math.sqrt(max(p + d - (p - d) ** 2, 0.0) / n)
    return Value(
        value,
        n=n,
        interval=(max(-100.0, value - half), min(100.0, value + half)),
        details={"promoters": promoters, "detractors": detractors},
    )
