"""Resolution quality KPIs."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, ClassVar

from kpiframe.calculators.stats import both
from kpiframe.contracts import Calculator, Period
from kpiframe.packs.support.base import ColumnStatKpi, RateKpi, answered, flag


class ResolutionRate(RateKpi):
    name = "support.resolution_rate"
    title = "Resolution rate"
    direction = "higher"
    roles = ("resolved_at",)
    doc = (
        "Tickets created in the window that are resolved by as-of ÷ tickets created in the window "
        "(a cohort rate, so it can never exceed 100%)."
    )

    def success(self, table: Any, params: Mapping[str, Any], window: Period | None) -> Any:
        assert window is not None
        return table.resolved_at.notnull() & (table.resolved_at <= window.as_of)


class FirstContactResolution(RateKpi):
    name = "support.first_contact_resolution"
    title = "First contact resolution"
    direction = "higher"
    doc = (
        "Resolved tickets with contacts = 1 and not reopened ÷ resolved tickets (window on "
        "resolved_at). Tickets without a contacts count are left out of both. `basis: calls` "
        "uses the calls' resolved_first_contact flag over answered calls instead, windowed on the calls' time."
    )
    params_schema: ClassVar[dict[str, Any]] = {
        "type": "object",
        "properties": {"basis": {"enum": ["tickets", "calls"], "description": "tickets (default) or calls"}},
        "additionalProperties": False,
    }

    time_role = "resolved_at"

    def roles_for(self, params: Mapping[str, Any]) -> tuple[str, ...]:
        return ("resolved_first_contact",) if params.get("basis") == "calls" else ("resolved_at", "contacts")

    def time_role_for(self, params: Mapping[str, Any]) -> str | None:
        return None if params.get("basis") == "calls" else "resolved_at"  # calls: the call's own time

    def population(self, table: Any, params: Mapping[str, Any], window: Period | None) -> Any:
        if params.get("basis") == "calls":
            return both(answered(table), table.resolved_first_contact.notnull())
        return table.resolved_at.notnull() & table.contacts.notnull()

    def success(self, table: Any, params: Mapping[str, Any], window: Period | None) -> Any:
        if params.get("basis") == "calls":
            return flag(table, "resolved_first_contact")
        first = table.contacts == 1
        if "reopened" in table.columns:
            first = first & ~flag(table, "reopened").fill_null(False)
        return first


class ContactsToResolution(ColumnStatKpi):
    name = "support.contacts_to_resolution"
    title = "Contacts to resolution"
    value_role = "contacts"
    default_unit = "count"
    is_duration = False
    direction = "lower"
    time_role = "resolved_at"
    doc = "Mean `contacts` over tickets resolved in the window (repeat contacts mean frustration)."
    params_schema = Calculator.params_schema  # no `stat` or `unit`: unlike other column statistics

    def roles_for(self, params: Mapping[str, Any]) -> tuple[str, ...]:
        return ("contacts", "resolved_at")

    def population(self, table: Any, params: Mapping[str, Any]) -> Any:
        return table.resolved_at.notnull()


class ReopenRate(RateKpi):
    name = "support.reopen_rate"
    title = "Reopen rate"
    direction = "lower"
    roles = ("resolved_at", "reopened")
    time_role = "resolved_at"
    doc = (
        "Resolved tickets later reopened ÷ resolved tickets (window on resolved_at); reopened may be a flag or a count."
    )

    def population(self, table: Any, params: Mapping[str, Any], window: Period | None) -> Any:
        return table.resolved_at.notnull() & table.reopened.notnull()

    def success(self, table: Any, params: Mapping[str, Any], window: Period | None) -> Any:
        return flag(table, "reopened")


class EscalationRate(RateKpi):
    name = "support.escalation_rate"
    title = "Escalation rate"
    direction = "lower"
    roles = ("escalated",)
    doc = "Escalated tickets ÷ tickets created in the window (tickets with no escalation flag left out)."

    def population(self, table: Any, params: Mapping[str, Any], window: Period | None) -> Any:
        return table.escalated.notnull()

    def success(self, table: Any, params: Mapping[str, Any], window: Period | None) -> Any:
        return flag(table, "escalated")


KPIS = [ResolutionRate(), FirstContactResolution(), ContactsToResolution(), ReopenRate(), EscalationRate()]
