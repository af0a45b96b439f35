"""Speed and accessibility KPIs: response, handling and queue times, service level."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, ClassVar

from kpiframe.business_hours import business_seconds, parse_schedule
from kpiframe.calculators.stats import STAT_SCHEMA, both
from kpiframe.config.schema import BUSINESS_HOURS_PARAM
from kpiframe.contracts import Period
from kpiframe.expr import epoch
from kpiframe.packs.support.base import (
    DURATION_TEXT,
    DURATION_UNIT,
    ColumnStatKpi,
    DurationKpi,
    RateKpi,
    answered,
    flag,
    seconds_param,
)


class FirstResponseTime(DurationKpi):
    name = "support.first_response_time"
    title = "First response time"
    start_role, end_role, seconds_role = "created_at", "first_response_at", "first_response_seconds"
    censored_label = "unanswered"
    doc = (
        "first_response_at − created_at over tickets that got a first response, as `stat` "
        "(mean by default, as most helpdesks report; Intercom reports the median). Tickets with "
        "no response yet are counted in details.unanswered, never as 0. With `business_hours`, "
        "only working time counts. An export's precomputed first-reply duration "
        "(role first_response_seconds) is used when there is no first_response_at."
    )
    example = {"stat": "p90", "unit": "h"}


class TimeToResolution(DurationKpi):
    name = "support.time_to_resolution"
    title = "Time to resolution"
    unit = "h"
    start_role, end_role, seconds_role = "created_at", "resolved_at", "resolution_seconds"
    censored_label = "unresolved"
    time_role = "resolved_at"
    doc = (
        "resolved_at − created_at over tickets resolved in the window (the window filters on "
        "resolved_at, as Help Scout and Zendesk's resolution reports do), as `stat`. Negative "
        "durations (resolved before created, a data error) are counted, never averaged in."
    )
    example = {"stat": "median", "unit": "h"}


class AverageSpeedOfAnswer(ColumnStatKpi):
    name = "support.average_speed_of_answer"
    title = "Average speed of answer"
    value_role = "wait_seconds"
    direction = "lower"
    table_kind = "calls"
    doc = (
        "Mean wait_seconds of answered calls (abandoned and blocked calls left out, where those "
        "roles exist; a blank wait is left out, never counted as 0). `stat` gives the median or a percentile."
    )

    def population(self, table: Any, params: Mapping[str, Any]) -> Any:
        return answered(table)


class HoldTime(AverageSpeedOfAnswer):
    name = "support.hold_time"
    title = "Hold time"
    value_role = "hold_seconds"
    doc = "Mean hold_seconds over answered calls (nulls left out)."


class CallDuration(AverageSpeedOfAnswer):
    name = "support.call_duration"
    title = "Call duration"
    value_role = "talk_seconds"
    direction = "neutral"
    doc = "Mean talk_seconds over answered calls. Easy to game on its own: pair it with FCR or CSAT."


class AverageHandleTime(ColumnStatKpi):
    name = "support.average_handle_time"
    title = "Average handle time"
    direction = "lower"
    table_kind = "calls"
    value_role = "talk_seconds"
    doc = (
        "Mean of the handle components over answered calls: talk + hold + wrap by default "
        "(`components` picks others, e.g. [talk, wrap] as some vendors do). A call with any "
        "component blank is left out rather than counted with 0. For tickets, `basis: tickets` "
        "uses the handle_seconds role."
    )
    params_schema: ClassVar[dict[str, Any]] = {
        "type": "object",
        "properties": {
            "components": {
                "type": "array",
                "items": {"enum": ["talk", "hold", "wrap"]},
                "minItems": 1,
                "uniqueItems": True,
            },
            "basis": {"enum": ["calls", "tickets"], "description": "calls (default) or tickets (handle_seconds)"},
            "stat": STAT_SCHEMA,
            "unit": DURATION_UNIT,
        },
        "additionalProperties": False,
    }
    example = {"components": ["talk", "hold", "wrap"], "unit": "min"}

    def roles_for(self, params: Mapping[str, Any]) -> tuple[str, ...]:
        if params.get("basis") == "tickets":
            return ("handle_seconds",)
        return tuple(f"{c}_seconds" for c in params.get("components", ["talk", "hold", "wrap"]))

    def values(self, table: Any, params: Mapping[str, Any]) -> Any:
        roles = self.roles_for(params)
        total = table[roles[0]]
        for role in roles[1:]:
            total = total + table[role]
        return total

    def population(self, table: Any, params: Mapping[str, Any]) -> Any:
        return None if params.get("basis") == "tickets" else answered(table)


_SHORT_ABANDON = {**DURATION_TEXT, "description": "abandons shorter than this are not counted as offered (e.g. 5s)"}


def _offered(table: Any, params: Mapping[str, Any]) -> Any:
    """Calls offered to the queue: not blocked, and not a short abandon when asked to ignore those."""
    scope = ~flag(table, "blocked").fill_null(False) if "blocked" in table.columns else None
    if "short_abandon" in params:
        short = flag(table, "abandoned").fill_null(False) & (
            table.wait_seconds < seconds_param(params["short_abandon"])
        )
        scope = both(scope, ~short)
    return scope


class ServiceLevel(RateKpi):
    name = "support.service_level"
    title = "Service level"
    direction = "higher"
    roles = ("wait_seconds", "abandoned")
    table_kind = "calls"
    doc = (
        "Calls answered within `threshold` (default 20 s) ÷ calls offered (answered + abandoned; "
        "blocked calls never reached the queue). Abandoned calls count against it (Cisco's "
        "'negative' treatment, the stricter common choice). `short_abandon: 5s` drops abandons "
        "shorter than that from the offered calls. The industry standard target is 80/20."
    )
    params_schema: ClassVar[dict[str, Any]] = {
        "type": "object",
        "properties": {
            "threshold": {**DURATION_TEXT, "description": "answered within this (default 20s)"},
            "short_abandon": _SHORT_ABANDON,
        },
        "additionalProperties": False,
    }
    example = {"threshold": "20s"}

    def population(self, table: Any, params: Mapping[str, Any], window: Period | None) -> Any:
        return _offered(table, params)

    def success(self, table: Any, params: Mapping[str, Any], window: Period | None) -> Any:
        threshold = seconds_param(params.get("threshold", "20s"))
        return ~flag(table, "abandoned").fill_null(False) & (table.wait_seconds <= threshold)


class AbandonmentRate(RateKpi):
    name = "support.abandonment_rate"
    title = "Abandonment rate"
    direction = "lower"
    roles = ("abandoned",)
    table_kind = "calls"
    doc = "Abandoned calls ÷ calls offered (blocked calls excluded; `short_abandon` as for service level)."
    params_schema: ClassVar[dict[str, Any]] = {
        "type": "object",
        "properties": {"short_abandon": _SHORT_ABANDON},
        "additionalProperties": False,
    }

    def roles_for(self, params: Mapping[str, Any]) -> tuple[str, ...]:
        return ("abandoned", "wait_seconds") if "short_abandon" in params else ("abandoned",)

    def population(self, table: Any, params: Mapping[str, Any], window: Period | None) -> Any:
        return _offered(table, params)

    def success(self, table: Any, params: Mapping[str, Any], window: Period | None) -> Any:
        return flag(table, "abandoned")


class BlockedCalls(RateKpi):
    name = "support.blocked_calls"
    title = "Blocked calls"
    direction = "lower"
    roles = ("blocked",)
    table_kind = "calls"
    doc = "Calls not offered to the queue (no agent free, trunk or network failure) ÷ all call attempts."

    def success(self, table: Any, params: Mapping[str, Any], window: Period | None) -> Any:
        return flag(table, "blocked")


class SlaBreachRate(RateKpi):
    name = "support.sla_breach_rate"
    title = "SLA breach rate"
    direction = "lower"
    roles = ("created_at",)
    doc = (
        "Tickets whose first response (`of: first_response`, default) or resolution took longer "
        "than `threshold` ÷ tickets created in the window. A ticket still waiting at as-of and "
        "already older than the threshold is breached too: leaving a ticket unanswered must not "
        "improve the rate. With `business_hours`, the threshold counts working time only."
    )
    params_schema: ClassVar[dict[str, Any]] = {
        "type": "object",
        "properties": {
            "of": {"enum": ["first_response", "resolution"]},
            "threshold": {**DURATION_TEXT, "description": "the SLA target, e.g. 4h"},
            "business_hours": BUSINESS_HOURS_PARAM,
        },
        "required": ["threshold"],
        "additionalProperties": False,
    }
    example = {"of": "first_response", "threshold": "4h"}

    def roles_for(self, params: Mapping[str, Any]) -> tuple[str, ...]:
        return ("created_at", "resolved_at" if params.get("of") == "resolution" else "first_response_at")

    def success(self, table: Any, params: Mapping[str, Any], window: Period | None) -> Any:
        import ibis

        assert window is not None
        end_role = self.roles_for(params)[1]
        start, end = table.created_at, table[end_role]
        threshold = seconds_param(params["threshold"])
        as_of = ibis.literal(window.as_of).cast(start.type())
        if params.get("business_hours"):
            schedule = parse_schedule(params["business_hours"])
            took = business_seconds(start, end, window.timezone, schedule)
            waited = business_seconds(start, as_of, window.timezone, schedule)
        else:
            took = epoch(end) - epoch(start)
            waited = epoch(as_of) - epoch(start)
        return (end.notnull() & (took > threshold)) | (end.isnull() & (waited > threshold))


KPIS = [
    FirstResponseTime(),
    TimeToResolution(),
    AverageSpeedOfAnswer(),
    HoldTime(),
    CallDuration(),
    AverageHandleTime(),
    ServiceLevel(),
    AbandonmentRate(),
    BlockedCalls(),
    SlaBreachRate(),
]
