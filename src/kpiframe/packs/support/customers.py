"""Customer outcome KPIs over a customers table (one row per customer)."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, ClassVar

from kpiframe.calculators.intervals import share_value
from kpiframe.calculators.stats import both
from kpiframe.contracts import Period, Value
from kpiframe.packs.support.base import SupportKpi, flag


def active_at(table: Any, moment: Any) -> Any:
    """Customers (or agents) whose spell covers ``moment``: started before it, not ended by it."""
    return (table.started_at < moment) & (table.ended_at.isnull() | (table.ended_at >= moment))


def _needs_bounds(window: Period | None) -> Period:
    if window is None or window.start is None or window.end is None:
        from kpiframe.errors import ExpressionError

        raise ExpressionError("this KPI needs a bounded window (last: 30d, calendar: previous_month...), not `all`")
    return window


class ChurnRate(SupportKpi):
    name = "support.churn_rate"
    title = "Churn rate"
    unit = "%"
    direction = "lower"
    roles = ("started_at", "ended_at")
    windowing = "none"
    table_kind = "customers"
    doc = (
        "Customers active at the window's start whose ended_at falls in the window ÷ customers "
        "active at the window's start. Customers who both start and leave inside the window are "
        "not counted, so the rate stays a share of one cohort (at most 100%)."
    )

    def parts(self, table: Any, params: Mapping[str, Any], where: Any, window: Period) -> dict[str, Any]:
        w = _needs_bounds(window)
        cohort = both(where, active_at(table, w.start))
        left = cohort & (table.ended_at < w.end)
        return {"left": table.count(where=left), "cohort": table.count(where=cohort)}

    def finalize(self, parts: Mapping[str, Any], params: Mapping[str, Any]) -> Value:
        left = int(parts["left"] or 0)
        return share_value(left, int(parts["cohort"] or 0), "no customers active at the window's start", left=left)


class RetentionRate(SupportKpi):
    name = "support.retention_rate"
    title = "Retention rate"
    unit = "%"
    direction = "higher"
    roles = ("started_at", "ended_at")
    windowing = "none"
    table_kind = "customers"
    doc = (
        "(Customers active at the window's end − customers started in the window) ÷ customers active at the window's"
        " start."
    )

    def parts(self, table: Any, params: Mapping[str, Any], where: Any, window: Period) -> dict[str, Any]:
        w = _needs_bounds(window)
        return {
            "at_start": table.count(where=both(where, active_at(table, w.start))),
            "at_end": table.count(where=both(where, active_at(table, w.end))),
            "new": table.count(where=both(where, (table.started_at >= w.start) & (table.started_at < w.end))),
        }

    def finalize(self, parts: Mapping[str, Any], params: Mapping[str, Any]) -> Value:
        at_start = int(parts["at_start"] or 0)
        if not at_start:
            return Value.no_data("no customers active at the window's start")
        kept = int(parts["at_end"] or 0) - int(parts["new"] or 0)
        return Value(
            100 * kept / at_start,
            n=at_start,
            details={"at_end": int(parts["at_end"] or 0), "new": int(parts["new"] or 0)},
        )


class ReferralRate(SupportKpi):
    name = "support.referral_rate"
    title = "Referral rate"
    unit = "%"
    direction = "higher"
    roles = ("started_at", "referred")
    time_role = "started_at"
    table_kind = "customers"
    doc = (
        "Customers started in the window who came by referral ÷ customers started in the window (window on started_at)."
    )

    def parts(self, table: Any, params: Mapping[str, Any], where: Any, window: Period) -> dict[str, Any]:
        scope = both(where, table.referred.notnull())
        return {"referred": table.count(where=both(scope, flag(table, "referred"))), "n": table.count(where=scope)}

    def finalize(self, parts: Mapping[str, Any], params: Mapping[str, Any]) -> Value:
        return share_value(int(parts["referred"] or 0), int(parts["n"] or 0), "no new customers in the window")


class Clv(SupportKpi):
    name = "support.clv"
    title = "Customer lifetime value"
    unit = "money"
    direction = "higher"
    roles = ("started_at", "ended_at", "revenue")
    windowing = "none"
    table_kind = "customers"
    doc = (
        "Average revenue per customer per period × `gross_margin` ÷ churn rate per period, with the "
        "window as the period: mean `revenue` (revenue in the period) over customers active at "
        "the window's start, and the churn rate of support.churn_rate. No churn: no data (an "
        "unbounded lifetime is not a number)."
    )
    params_schema: ClassVar[dict[str, Any]] = {
        "type": "object",
        "properties": {
            "gross_margin": {
                "type": "number",
                "exclusiveMinimum": 0,
                "maximum": 1,
                "description": "the margin on revenue, 0–1",
            }
        },
        "required": ["gross_margin"],
        "additionalProperties": False,
    }
    example = {"gross_margin": 0.7}

    def parts(self, table: Any, params: Mapping[str, Any], where: Any, window: Period) -> dict[str, Any]:
        w = _needs_bounds(window)
        cohort = both(where, active_at(table, w.start))
        return {
            "revenue": table.revenue.mean(where=both(cohort, table.revenue.notnull())),
            "left": table.count(where=cohort & (table.ended_at < w.end)),
            "cohort": table.count(where=cohort),
        }

    def finalize(self, parts: Mapping[str, Any], params: Mapping[str, Any]) -> Value:
        cohort, left = int(parts["cohort"] or 0), int(parts["left"] or 0)
        if not cohort or parts["revenue"] is None:
            return Value.no_data("no customers active at the window's start", n=cohort)
        if not left:
            return Value.no_data("no churn in the window, so the lifetime is unbounded", n=cohort)
        churn = left / cohort
        return Value(
            float(parts["revenue"]) * float(params["gross_margin"]) / churn,
            n=cohort,
            details={"churn_rate": 100 * churn},
        )


KPIS = [ChurnRate(), RetentionRate(), ReferralRate(), Clv()]
