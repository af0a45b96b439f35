"""Volume and workload KPIs."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, ClassVar

from kpiframe.calculators.intervals import share_value
from kpiframe.calculators.stats import both
from kpiframe.contracts import Period, Value
from kpiframe.packs.support.base import DURATION_TEXT, SupportKpi, seconds_param


class TicketVolume(SupportKpi):
    name = "support.ticket_volume"
    title = "Ticket volume"
    unit = "count"
    doc = "Tickets created in the window, all channels together (tickets, calls, chats, social)."

    def parts(self, table: Any, params: Mapping[str, Any], where: Any, window: Period) -> dict[str, Any]:
        return {"count": table.count(where=where)}

    def finalize(self, parts: Mapping[str, Any], params: Mapping[str, Any]) -> Value:
        return Value(int(parts["count"] or 0), n=int(parts["count"] or 0))


class VolumeByChannel(SupportKpi):
    name = "support.volume_by_channel"
    title = "Volume by channel"
    unit = "count"
    roles = ("channel",)
    doc = (
        "Tickets created in the window on one `channel`, with that channel's share of all tickets "
        "(details.share, with a Wilson 95% interval). Use one metric per channel, or `by: [channel]`."
    )
    params_schema: ClassVar[dict[str, Any]] = {
        "type": "object",
        "properties": {"channel": {"type": "string", "description": "the channel to count (case-insensitive)"}},
        "required": ["channel"],
        "additionalProperties": False,
    }
    example = {"channel": "email"}

    def parts(self, table: Any, params: Mapping[str, Any], where: Any, window: Period) -> dict[str, Any]:
        on_channel = table.channel.lower() == params["channel"].lower()
        return {"count": table.count(where=both(where, on_channel)), "all": table.count(where=where)}

    def finalize(self, parts: Mapping[str, Any], params: Mapping[str, Any]) -> Value:
        count, total = int(parts["count"] or 0), int(parts["all"] or 0)
        details: dict[str, Any] = {"total": total}
        if total:
            share = share_value(count, total, "")
            details.update(share=share.value, share_interval=list(share.interval or ()))
        return Value(count, n=total, details=details)


class ConversationsPerTeammate(SupportKpi):
    name = "support.conversations_per_teammate"
    title = "Conversations per teammate"
    unit = "count"
    roles = ("agent",)
    doc = "Tickets handled (with an agent) ÷ distinct agents who handled at least one, in the window."

    def parts(self, table: Any, params: Mapping[str, Any], where: Any, window: Period) -> dict[str, Any]:
        return {"handled": table.agent.count(where=where), "agents": table.agent.nunique(where=where)}

    def finalize(self, parts: Mapping[str, Any], params: Mapping[str, Any]) -> Value:
        agents = int(parts["agents"] or 0)
        if not agents:
            return Value.no_data("no handled tickets in the window")
        return Value(int(parts["handled"]) / agents, n=agents, details={"handled": int(parts["handled"])})


class ConversationsPerTeammatePerDay(SupportKpi):
    name = "support.conversations_per_teammate_per_day"
    title = "Conversations per teammate per day"
    unit = "count"
    roles = ("agent", "created_at")
    doc = (
        "Tickets per (agent, calendar day) over the agent-days with work, then the mean. "
        "The mean of per-group counts equals handled tickets ÷ distinct agent-days, so it is "
        "computed in the same single query as every other metric (no second pass). n is the "
        "number of agent-days. A commonly quoted (unverified) benchmark is 30–35 a day."
    )

    def parts(self, table: Any, params: Mapping[str, Any], where: Any, window: Period) -> dict[str, Any]:
        agent_day = table.agent.cast("string").concat("|", table.created_at.date().cast("string"))
        return {"handled": table.agent.count(where=where), "agent_days": agent_day.nunique(where=where)}

    def finalize(self, parts: Mapping[str, Any], params: Mapping[str, Any]) -> Value:
        days = int(parts["agent_days"] or 0)
        if not days:
            return Value.no_data("no handled tickets in the window")
        return Value(int(parts["handled"]) / days, n=days, details={"handled": int(parts["handled"])})


class Backlog(SupportKpi):
    name = "support.backlog"
    title = "Backlog (open tickets)"
    unit = "count"
    direction = "lower"
    roles = ("created_at", "resolved_at")
    windowing = "none"
    doc = (
        "A snapshot at as-of, not a window count: tickets with created_at ≤ as-of and resolved_at "
        "empty or after as-of. `older_than: 24h` keeps only tickets created that long before "
        "as-of (the aging backlog)."
    )
    params_schema: ClassVar[dict[str, Any]] = {
        "type": "object",
        "properties": {"older_than": {**DURATION_TEXT, "description": "aging backlog: only tickets at least this old"}},
        "additionalProperties": False,
    }
    example = {"older_than": "24h"}

    def parts(self, table: Any, params: Mapping[str, Any], where: Any, window: Period) -> dict[str, Any]:
        import ibis

        assert window is not None
        as_of = ibis.literal(window.as_of)
        # The age is subtracted in SQL, not here: the as-of stays one value the engine binds
        # (kpiframe.engine.edges), so the compiled query serves every run.
        older = seconds_param(params["older_than"]) if "older_than" in params else 0
        cutoff = as_of - ibis.interval(seconds=older) if older else as_of
        open_at_as_of = (table.created_at <= cutoff) & (table.resolved_at.isnull() | (table.resolved_at > as_of))
        return {"open": table.count(where=both(where, open_at_as_of))}

    def finalize(self, parts: Mapping[str, Any], params: Mapping[str, Any]) -> Value:
        return Value(int(parts["open"] or 0), n=int(parts["open"] or 0))


class OpenCases(Backlog):
    name = "support.open_cases"
    title = "Open cases"
    doc = "Another name for support.backlog: " + Backlog.doc


class CustomerEngagement(SupportKpi):
    name = "support.customer_engagement"
    title = "Customer engagement"
    unit = "count"
    roles = ("customer_id",)
    doc = "Interactions per active customer: rows in the window ÷ distinct customer_id among them."

    def parts(self, table: Any, params: Mapping[str, Any], where: Any, window: Period) -> dict[str, Any]:
        return {
            "interactions": table.customer_id.count(where=where),
            "customers": table.customer_id.nunique(where=where),
        }

    def finalize(self, parts: Mapping[str, Any], params: Mapping[str, Any]) -> Value:
        customers = int(parts["customers"] or 0)
        if not customers:
            return Value.no_data("no customers in the window")
        return Value(int(parts["interactions"]) / customers, n=customers)


KPIS = [
    TicketVolume(),
    VolumeByChannel(),
    ConversationsPerTeammate(),
    ConversationsPerTeammatePerDay(),
    Backlog(),
    OpenCases(),
    CustomerEngagement(),
]
