"""Workforce KPIs: agent satisfaction, promotions and attrition."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, ClassVar

from kpiframe.calculators.stats import both
from kpiframe.contracts import Period, Value
from kpiframe.packs.support.base import SupportKpi, net_score
from kpiframe.packs.support.customers import _needs_bounds
from kpiframe.packs.support.experience import KIND, survey_scope


class AgentSatisfaction(SupportKpi):
    name = "support.agent_satisfaction"
    title = "Agent satisfaction"
    unit = "score"
    direction = "higher"
    roles = ("score",)
    table_kind = "surveys"
    doc = (
        "Mean score of agent (employee) survey answers (rows whose kind is `agent`, when the source "
        "maps `kind`). `formula: enps` gives the employee NPS on a 0–10 question instead: % "
        "promoters (9–10) − % detractors (0–6), with an interval."
    )
    params_schema: ClassVar[dict[str, Any]] = {
        "type": "object",
        "properties": {"formula": {"enum": ["mean", "enps"]}, "kind": KIND},
        "additionalProperties": False,
    }

    def unit_for(self, params: Mapping[str, Any]) -> str:
        return "points" if params.get("formula") == "enps" else "score"

    def parts(self, table: Any, params: Mapping[str, Any], where: Any, window: Period) -> dict[str, Any]:
        scope = survey_scope(table, params, "agent", where)
        return {
            "mean": table.score.mean(where=scope),
            "promoters": table.count(where=both(scope, table.score >= 9)),
            "detractors": table.count(where=both(scope, table.score <= 6)),
            "n": table.count(where=scope),
        }

    def finalize(self, parts: Mapping[str, Any], params: Mapping[str, Any]) -> Value:
        n = int(parts["n"] or 0)
        if params.get("formula") == "enps":
            return net_score(int(parts["promoters"] or 0), int(parts["detractors"] or 0), n)
        if not n:
            return Value.no_data("no agent survey answers in the window")
        return Value(float(parts["mean"]), n=n)


def _employed_at(table: Any, moment: Any) -> Any:
    return (table.hired_at <= moment) & (table.left_at.isnull() | (table.left_at > moment))


class _HeadcountRate(SupportKpi):
    """Events in the window ÷ mean headcount ((headcount at start + at end) / 2)."""

    unit = "%"
    windowing = "none"
    table_kind = "agents"
    event_role: ClassVar[str]

    @property
    def roles(self) -> tuple[str, ...]:  # type: ignore[override]
        return ("hired_at", "left_at", self.event_role)

    def parts(self, table: Any, params: Mapping[str, Any], where: Any, window: Period) -> dict[str, Any]:
        w = _needs_bounds(window)
        event = table[self.event_role]
        return {
            "events": table.count(where=both(where, (event >= w.start) & (event < w.end))),
            "at_start": table.count(where=both(where, _employed_at(table, w.start))),
            "at_end": table.count(where=both(where, _employed_at(table, w.end))),
        }

    def finalize(self, parts: Mapping[str, Any], params: Mapping[str, Any]) -> Value:
        mean_headcount = (int(parts["at_start"] or 0) + int(parts["at_end"] or 0)) / 2
        if not mean_headcount:
            return Value.no_data("no agents employed in the window")
        events = int(parts["events"] or 0)
        return Value(
            100 * events / mean_headcount,
            n=round(mean_headcount),
            details={"events": events, "mean_headcount": mean_headcount},
        )


class InternalPromotionRate(_HeadcountRate):
    name = "support.internal_promotion_rate"
    title = "Internal promotion rate"
    direction = "higher"
    event_role = "promoted_at"
    doc = "Agents promoted (out of support or up a level) in the window ÷ mean headcount ((at start + at end) / 2)."


class AgentAttrition(_HeadcountRate):
    name = "support.agent_attrition"
    title = "Agent attrition"
    direction = "lower"
    event_role = "left_at"
    doc = "Agents who left in the window ÷ mean headcount ((at start + at end) / 2)."


KPIS = [AgentSatisfaction(), InternalPromotionRate(), AgentAttrition()]
