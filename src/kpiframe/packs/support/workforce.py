"""Workforce KPIs: offered load, service rate, occupancy and Erlang C staffing.

Each pushes down counts and sums only (arrivals, handled calls, handle seconds,
the distinct intervals calls arrived in), so each works per segment and per
``grain:`` period like any KPI: ``by: [hour(queued_at)]`` gives a staffing profile.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from typing import Any, ClassVar

from kpiframe.calculators.intervals import mean_interval, mean_of_squares, sample_sd
from kpiframe.contracts import Period, Value
from kpiframe.packs.support.base import DURATION_TEXT, seconds_param
from kpiframe.packs.support.erlang import MAX_AGENTS, MAX_LOAD, StaffingError, agents_needed
from kpiframe.packs.support.workload import (
    POSITIVE_DURATION,
    SHARE,
    WorkloadKpi,
    seconds_or_zero,
    share_param,
    wrap_seconds,
)

SECTION_NOTE = f"""\
Staffing figures for an inbound queue, from the calls themselves. Every one of them is computed
from pushed-down counts and sums, so each works per segment (`by: [queue]`, `by: ["hour(queued_at)"]`)
and per period (`grain: day`) like any other KPI: `by: ["hour(queued_at)"]` with
`support.erlang_c_agents` is the day's staffing profile, and `heatmap: true` a weekday × hour
staffing matrix:

```yaml
staffing:
  calc: support.erlang_c_agents
  source: calls
  where: "weekday(queued_at) == 2"          # Wednesdays
  by: ["hour(queued_at)"]
  params: {{interval: 1h, intervals: 4, aht: 4min, max_wait_probability: 0.5}}
```

**Arrival rate and handle time.** λ, the calls per `interval`, is the calls offered in the window
(or segment, or period; blocked calls never reached the queue and are left out; abandoned calls
are arrivals) ÷ the number of distinct intervals in which at least one call arrived. An interval
with no call at all is not counted: give `intervals: N` when it should be (the four Wednesdays of a
month by hour: `intervals: 4` with `interval: 1h`). AHT is Σ handle seconds ÷ answered calls with a
handle time (talk + hold + wrap unless `components` says otherwise), plus `wrap` per call, or a
fixed `aht`.

**Formulas.** Offered load A = λ × AHT ÷ interval (Erlangs). For N agents, Erlang B by its
recursion B(0) = 1, B(n) = A·B(n−1) ÷ (n + A·B(n−1)); Erlang C, the probability that a call waits,
C(N, A) = N·B(N) ÷ (N − A·(1 − B(N))) for N > A (every call waits when N ≤ A). Service level
within T seconds = 1 − C(N, A)·e^(−(N − A)·T ÷ AHT); ASA = C(N, A)·AHT ÷ (N − A); occupancy = A ÷ N.
`support.erlang_c_agents` is the smallest N meeting every target given. The recursion never forms
A^N or N! (which overflow past about 170 agents), so it is exact to float precision for any load;
the search is linear in the answer. Loads above {MAX_LOAD:,.0f} Erlangs (a wrong `interval` or
handle-time unit) give `no_data` with the reason, as does no staffing up to {MAX_AGENTS:,} agents.

**Assumptions (the M/M/N queue).** Calls arrive at random (Poisson) at a steady rate through the
interval; handle times are exponential and independent of the agent; callers never hang up
(no abandonment) and never get a busy signal (an infinite queue); calls are answered first come
first served by any free agent (one skill). Real queues differ: abandonment makes Erlang C
overstate the agents needed a little, and peaks within an interval make it understate them; use a
shorter `interval` for peaky traffic. Shrinkage (breaks, training, absence) is applied on top:
agents to schedule = ⌈N ÷ (1 − shrinkage)⌉. The value carries no confidence interval: it is a
whole number of agents from a planning model, not an estimate from a sample.
"""


class OfferedLoad(WorkloadKpi):
    name = "support.offered_load"
    title = "Offered load"
    unit = "Erlangs"
    doc = (
        "Traffic intensity A = λ × AHT ÷ interval length, in Erlangs: the agents that would be busy all "
        "interval long if calls never waited. λ is the calls offered (blocked calls left out) per "
        "`interval` (default 30min): the calls ÷ the distinct intervals in which a call arrived (set "
        "`intervals:` when quiet intervals with no call at all count too, e.g. 4 for the four Wednesdays "
        "of a month). AHT is the mean handle time of answered calls (talk + hold + wrap by default, as "
        "`support.average_handle_time`), plus `wrap`; or a fixed `aht`."
    )
    example = {"interval": "30min", "components": ["talk", "hold", "wrap"]}

    def finalize(self, parts: Mapping[str, Any], params: Mapping[str, Any]) -> Value:
        load = self.load(parts, params)
        if isinstance(load, Value):
            return load
        return Value(load[2], n=int(parts["arrivals"]), details=self.load_details(parts, params, load))


class ServiceRate(WorkloadKpi):
    name = "support.service_rate"
    title = "Service rate"
    unit = "calls/h"
    doc = (
        "Calls one agent handles per hour: 3600 ÷ (AHT + `wrap`), AHT the mean handle time of answered "
        "calls (a ratio of sums: Σ handle ÷ calls, never a mean of hourly means). `wrap: 60s` adds wrap-up "
        "time an export does not record. The 95% interval maps the AHT's t interval through the formula."
    )
    example = {"wrap": "60s", "components": ["talk"]}
    unused_params = ("interval", "intervals")
    interval_parts = ("handle_square",)

    def roles_for(self, params: Mapping[str, Any]) -> tuple[str, ...]:
        return self.handle_roles(params)

    def parts(self, table: Any, params: Mapping[str, Any], where: Any, window: Period) -> dict[str, Any]:
        parts = super().parts(table, {**params, "intervals": 1}, where, window)
        handle = self.handle_times(table, params, where)
        if handle is not None:  # the AHT's spread: the only workforce KPI with an interval
            seconds, _population, scope = handle
            parts["handle_square"] = mean_of_squares(seconds, scope)
        return parts

    def finalize(self, parts: Mapping[str, Any], params: Mapping[str, Any]) -> Value:
        aht = self.aht(parts, params)
        if aht is None or aht <= 0:
            return Value.no_data("no answered calls with a handle time in the window", n=0)
        if "aht" in params:
            return Value(3600 / aht, details={"aht_seconds": aht})
        handled, wrap = int(parts["handled"]), wrap_seconds(params)
        mean = float(parts["handle_sum"]) / handled
        sd = sample_sd(mean, parts.get("handle_square"), handled)
        bounds = mean_interval(mean, sd, handled) if sd is not None else None
        interval = None
        if bounds and bounds[0] + wrap > 0:
            interval = (3600 / (bounds[1] + wrap), 3600 / (bounds[0] + wrap))
        details = {"aht_seconds": aht, "negative_handle_times": int(parts.get("negative") or 0)}
        return Value(3600 / aht, n=handled, interval=interval, details=details)


class Occupancy(WorkloadKpi):
    name = "support.occupancy"
    title = "Occupancy"
    unit = "%"
    doc = (
        "Handle time ÷ staffed time × 100: the share of logged-in time agents spent on calls. Handle "
        "time is Σ (talk + hold + wrap) of answered calls (or `components`, `basis`), plus `wrap` per "
        "call. Staffed time is Σ of the staffed_seconds role (an interval report's staffed agent-seconds; "
        "map hours as `staffed_hours * 3600`), or `agents:` × intervals × `interval` when the export has "
        "none. Healthy occupancy is a band (often 75–85%), not a maximum: too high burns agents out."
    )
    extra_params: ClassVar[dict[str, Any]] = {
        "agents": {"type": "number", "exclusiveMinimum": 0, "description": "agents staffed in each interval"},
    }
    example = {"agents": 12, "interval": "30min"}

    def roles_for(self, params: Mapping[str, Any]) -> tuple[str, ...]:
        if "agents" in params:
            return super().roles_for(params)
        return (*self.handle_roles(params), "staffed_seconds")

    def parts(self, table: Any, params: Mapping[str, Any], where: Any, window: Period) -> dict[str, Any]:
        if "agents" in params:
            return super().parts(table, params, where, window)
        parts = super().parts(table, {**params, "intervals": 1}, where, window)
        parts["staffed"] = table.staffed_seconds.cast("float64").sum(where=where)
        return parts

    def finalize(self, parts: Mapping[str, Any], params: Mapping[str, Any]) -> Value:
        aht = self.aht(parts, params)
        handled = int(parts.get("handled") or 0) if "aht" not in params else int(parts.get("arrivals") or 0)
        if "agents" in params:
            intervals = int(params.get("intervals") or parts.get("intervals") or 0)
            staffed = float(params["agents"]) * intervals * self.interval_seconds(params)
        else:
            staffed = float(parts.get("staffed") or 0)
        if aht is None or not handled:
            return Value.no_data("no answered calls with a handle time in the window", n=0)
        if staffed <= 0:
            return Value.no_data("no staffed time in the window", n=handled)
        busy = aht * handled
        return Value(100 * busy / staffed, n=handled, details={"handle_seconds": busy, "staffed_seconds": staffed})


class ErlangCAgents(WorkloadKpi):
    name = "support.erlang_c_agents"
    title = "Agents needed (Erlang C)"
    unit = "agents"
    doc = (
        "The fewest agents per `interval` that meet the service-level target, by Erlang C (an M/M/N "
        "queue): λ and AHT as for `support.offered_load`, A = λ × AHT ÷ interval, P(wait) = C(N, A), "
        "service level = 1 − C(N, A)·e^(−(N − A)·T ÷ AHT), ASA = C(N, A)·AHT ÷ (N − A). The default target "
        "is 80% answered within 20 s (`service_level`, `answer_within`); `max_wait_probability` and "
        "`max_asa` add targets, `max_occupancy` a floor of A ÷ occupancy; `shrinkage` (breaks, training) "
        "scales the result to agents to schedule: ⌈N ÷ (1 − shrinkage)⌉. details give the load, the service "
        "level, P(wait), ASA and occupancy reached."
    )
    extra_params: ClassVar[dict[str, Any]] = {
        "service_level": {**SHARE, "description": "share answered within answer_within (default 80%)"},
        "answer_within": {**DURATION_TEXT, "description": "the service level's threshold (default 20s)"},
        "max_wait_probability": {**SHARE, "description": "at most this share of calls wait at all (e.g. 0.5)"},
        "max_asa": {**POSITIVE_DURATION, "description": "the mean wait must not pass this (e.g. 30s)"},
        "max_occupancy": {**SHARE, "description": "agents busy at most this share of the time (e.g. 85%)"},
        "shrinkage": {**SHARE, "description": "share of paid time off the phones, scheduled on top (e.g. 30%)"},
    }
    example = {"interval": "30min", "service_level": "80%", "answer_within": "20s", "shrinkage": "30%"}

    def finalize(self, parts: Mapping[str, Any], params: Mapping[str, Any]) -> Value:
        load = self.load(parts, params)
        if isinstance(load, Value):
            return load
        details = self.load_details(parts, params, load)
        try:
            staffing = agents_needed(load[2], load[1], **self.targets(params))
        except StaffingError as exc:
            return Value.no_data(str(exc), n=details["arrivals"], details=details)
        agents = staffing.agents
        if "shrinkage" in params:
            agents = math.ceil(staffing.agents / (1 - share_param(params["shrinkage"])) - 1e-9)
        details.update(
            on_phones=staffing.agents,
            service_level=100 * staffing.service_level,
            wait_probability=staffing.wait_probability,
            asa_seconds=staffing.asa_seconds,
            occupancy=100 * staffing.occupancy,
        )
        return Value(agents, n=details["arrivals"], details=details)

    def targets(self, params: Mapping[str, Any]) -> dict[str, Any]:
        """The targets for :func:`agents_needed`: 80/20 unless another target alone is given."""
        others = "max_wait_probability" in params or "max_asa" in params
        wants_level = "service_level" in params or "answer_within" in params or not others
        return {
            "threshold": seconds_or_zero(params.get("answer_within", "20s")),
            "target_service_level": share_param(params.get("service_level", 0.8)) if wants_level else None,
            "max_wait_probability": share_param(params["max_wait_probability"])
            if "max_wait_probability" in params
            else None,
            "max_asa": seconds_param(params["max_asa"]) if "max_asa" in params else None,
            "max_occupancy": share_param(params["max_occupancy"]) if "max_occupancy" in params else None,
        }


KPIS = [OfferedLoad(), ServiceRate(), Occupancy(), ErlangCAgents()]
