"""What every workforce KPI starts from: arrivals per interval and the mean handle time.

The parts are counts and sums (arrivals, the distinct intervals they fall in, handled
calls, Σ handle seconds), so the KPIs built on them work per segment and per period.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, ClassVar

from kpiframe.calculators.stats import both
from kpiframe.contracts import Period, Value
from kpiframe.expr import epoch
from kpiframe.packs.support.base import DURATION_TEXT, SupportKpi, answered, flag, seconds_param

#: A share written as a fraction (0.8) or a percentage ("80%"), below 100%.
SHARE = {
    "type": ["number", "string"],
    "exclusiveMinimum": 0,
    "exclusiveMaximum": 1,
    "pattern": r"^\s*\d{1,2}(\.\d+)?\s*%\s*$",
    "x-kpiframe-expected": "a share such as 0.8 or 80% (below 100%)",
}

#: A duration above zero: an interval, a handle time, a mean-wait target.
POSITIVE_DURATION = {
    **DURATION_TEXT,
    "exclusiveMinimum": 0,
    "pattern": r"^\s*(?=[\d.]*[1-9])(\d+(\.\d+)?|\.\d+)\s*(ms|s|sec|min|h|d|w)?\s*$",
    "x-kpiframe-expected": "a duration above zero such as 20s, 30min or 1h",
}

WORKLOAD_PARAMS: dict[str, Any] = {
    "interval": {
        **POSITIVE_DURATION,
        "format": "kpiframe-interval",
        "x-kpiframe-expected": "a duration of 1s or more such as 15min, 30min or 1h",
        "description": "the staffing interval (default 30min)",
    },
    "intervals": {
        "type": "integer",
        "minimum": 1,
        "description": "how many intervals the calls spread over (default: the distinct intervals with a call)",
    },
    "aht": {**POSITIVE_DURATION, "description": "a fixed handle time instead of the measured one (e.g. 4min)"},
    "wrap": {**DURATION_TEXT, "description": "wrap-up time added to each call's handle time (default 0s)"},
    "components": {
        "type": "array",
        "items": {"enum": ["talk", "hold", "wrap"]},
        "minItems": 1,
        "uniqueItems": True,
        "description": "handle time roles summed per call (default [talk, hold, wrap])",
    },
    "basis": {"enum": ["calls", "tickets"], "description": "calls (default) or tickets (the handle_seconds role)"},
}


def seconds_or_zero(value: Any) -> float:
    """A duration param in seconds, where ``0s`` is allowed (a wrap-up time, an answer threshold)."""
    text = str(value).strip().rstrip("msecinhdw").strip()
    return 0.0 if float(text or 0) == 0 else seconds_param(value)


def wrap_seconds(params: Mapping[str, Any]) -> float:
    return seconds_or_zero(params.get("wrap", 0))


def share_param(value: Any) -> float:
    """0.8 or "80%" → 0.8."""
    if isinstance(value, str):
        return float(value.strip().rstrip("%").strip()) / 100
    return float(value)


class WorkloadKpi(SupportKpi):
    """Arrivals per interval and the mean handle time: what every workforce KPI starts from."""

    table_kind = "calls"
    optional_roles = ("abandoned", "blocked")
    extra_params: ClassVar[dict[str, Any]] = {}
    unused_params: ClassVar[tuple[str, ...]] = ()

    def __init_subclass__(cls, **kwargs: Any) -> None:
        super().__init_subclass__(**kwargs)
        shared = {k: v for k, v in WORKLOAD_PARAMS.items() if k not in cls.unused_params}
        cls.params_schema = {
            "type": "object",
            "properties": {**shared, **cls.extra_params},
            "additionalProperties": False,
        }

    def handle_roles(self, params: Mapping[str, Any]) -> tuple[str, ...]:
        if "aht" in params:
            return ()
        if params.get("basis") == "tickets":
            return ("handle_seconds",)
        return tuple(f"{c}_seconds" for c in params.get("components", ["talk", "hold", "wrap"]))

    def roles_for(self, params: Mapping[str, Any]) -> tuple[str, ...]:
        clock = () if "intervals" in params else ("queued_at",)
        return (*self.handle_roles(params), *clock)

    def interval_seconds(self, params: Mapping[str, Any]) -> float:
        return seconds_param(params.get("interval", "30min"))

    def parts(self, table: Any, params: Mapping[str, Any], where: Any, window: Period) -> dict[str, Any]:
        offered = both(where, ~flag(table, "blocked").fill_null(False) if "blocked" in table.columns else None)
        parts: dict[str, Any] = {"arrivals": table.count(where=offered)}
        if "intervals" not in params:
            slot = (epoch(table.queued_at) / self.interval_seconds(params)).floor()
            parts["intervals"] = slot.nunique(where=offered)
        handle = self.handle_times(table, params, where)
        if handle is not None:
            seconds, population, scope = handle
            parts.update(
                handled=table.count(where=scope),
                handle_sum=seconds.sum(where=scope),
                negative=table.count(where=both(population, seconds < 0)),  # a data error: counted, left out
            )
        return parts

    def handle_times(self, table: Any, params: Mapping[str, Any], where: Any) -> tuple[Any, Any, Any] | None:
        """(handle seconds per call, the calls they are measured on, those with a valid time); ``None``
        when the ``aht`` param gives the handle time instead."""
        roles = self.handle_roles(params)
        if not roles:
            return None
        seconds = table[roles[0]].cast("float64")
        for role in roles[1:]:
            seconds = seconds + table[role].cast("float64")
        population = both(where, answered(table) if params.get("basis") != "tickets" else None)
        return seconds, population, both(population, seconds >= 0)

    def aht(self, parts: Mapping[str, Any], params: Mapping[str, Any]) -> float | None:
        """Seconds per call, wrap-up included: the ``aht`` param, or Σ handle ÷ handled calls."""
        wrap = wrap_seconds(params)
        if "aht" in params:
            return seconds_param(params["aht"]) + wrap
        handled = int(parts.get("handled") or 0)
        if not handled or parts.get("handle_sum") is None:
            return None
        return float(parts["handle_sum"]) / handled + wrap

    def load(self, parts: Mapping[str, Any], params: Mapping[str, Any]) -> tuple[float, float, float] | Value:
        """(arrivals per interval, AHT seconds, offered load in Erlangs), or why there is none."""
        arrivals = int(parts.get("arrivals") or 0)
        if not arrivals:
            return Value.no_data("no calls in the window", n=0)
        aht = self.aht(parts, params)
        if aht is None:
            return Value.no_data("no answered calls with a handle time to measure AHT", n=arrivals)
        intervals = int(params.get("intervals") or parts.get("intervals") or 1)
        rate = arrivals / intervals
        return rate, aht, rate * aht / self.interval_seconds(params)

    def load_details(
        self, parts: Mapping[str, Any], params: Mapping[str, Any], load: tuple[float, ...]
    ) -> dict[str, Any]:
        rate, aht, erlangs = load
        return {
            "arrivals": int(parts.get("arrivals") or 0),
            "intervals": int(params.get("intervals") or parts.get("intervals") or 1),
            "arrival_rate": rate,
            "aht_seconds": aht,
            "offered_load": erlangs,
            "negative_handle_times": int(parts.get("negative") or 0),
        }
