"""Erlang C (M/M/N queue) staffing arithmetic, in plain floats and bounded time.

The textbook formula divides ``A**N / N!`` by a sum of such terms: both overflow a
float past about 170 agents. The Erlang B recursion ``B(n) = A·B(n−1) / (n + A·B(n−1))``
stays in [0, 1] for any load, and Erlang C follows from it:
``C = N·B / (N − A·(1 − B))``. Finding the agents needed walks N upwards once, so
the work is linear in the answer, and the answer is capped (:data:`MAX_AGENTS`).
"""

from __future__ import annotations

import math
from dataclasses import dataclass

#: The largest load (Erlangs) and answer (agents) computed: past that, a input is absurd
#: (a wrong interval or a handle time in milliseconds), and the walk would take seconds.
MAX_LOAD = 100_000.0
MAX_AGENTS = 200_000


class StaffingError(ValueError):
    """The inputs cannot give a staffing figure (a load past :data:`MAX_LOAD`, an unreachable target)."""


@dataclass(frozen=True)
class Staffing:
    """Agents needed for one interval, and what that staffing gives."""

    agents: int
    wait_probability: float  # Erlang C: the share of calls that wait at all
    service_level: float  # share answered within the threshold, 0–1
    asa_seconds: float  # mean wait over all calls
    occupancy: float  # load ÷ agents, 0–1


def erlang_b(agents: int, load: float) -> float:
    """Blocking probability of ``agents`` servers offered ``load`` Erlangs (no queue)."""
    blocking = 1.0
    for n in range(1, agents + 1):
        blocking = load * blocking / (n + load * blocking)
    return blocking


def erlang_c(agents: int, load: float) -> float:
    """Probability that a call waits, with ``agents`` > ``load`` (else every call waits: 1)."""
    if load <= 0:
        return 0.0
    if agents <= load:
        return 1.0
    blocking = erlang_b(agents, load)
    return _c_from_b(agents, load, blocking)


def _c_from_b(agents: int, load: float, blocking: float) -> float:
    return agents * blocking / (agents - load * (1.0 - blocking))


def service_level(agents: int, load: float, aht: float, threshold: float) -> float:
    """Share of calls answered within ``threshold`` seconds: 1 − C·e^(−(N−A)·T/AHT)."""
    if load <= 0:
        return 1.0
    if agents <= load:
        return 0.0
    return 1.0 - erlang_c(agents, load) * math.exp(-(agents - load) * threshold / aht)


def _measure(agents: int, load: float, wait: float, aht: float, threshold: float) -> Staffing:
    if load <= 0:
        return Staffing(agents, 0.0, 1.0, 0.0, 0.0)
    spare = agents - load
    return Staffing(
        agents=agents,
        wait_probability=wait,
        service_level=1.0 - wait * math.exp(-spare * threshold / aht),
        asa_seconds=wait * aht / spare,
        occupancy=load / agents,
    )


def agents_needed(
    load: float,
    aht: float,
    *,
    threshold: float = 20.0,
    target_service_level: float | None = 0.8,
    max_wait_probability: float | None = None,
    max_asa: float | None = None,
    max_occupancy: float | None = None,
) -> Staffing:
    """The fewest agents meeting every target given (service level within ``threshold``
    seconds, probability of waiting, mean wait, occupancy) for ``load`` Erlangs of calls
    lasting ``aht`` seconds on average."""
    if not math.isfinite(load) or load < 0:
        raise StaffingError(f"the offered load must be a finite number ≥ 0, not {load!r}")
    if load > MAX_LOAD:
        raise StaffingError(
            f"an offered load of {load:,.0f} Erlangs is past what kpiframe staffs ({MAX_LOAD:,.0f}):"
            " check `interval` and the handle-time unit"
        )
    if load == 0:
        return Staffing(0, 0.0, 1.0, 0.0, 0.0)
    if not (math.isfinite(aht) and aht > 0):
        raise StaffingError(f"the average handle time must be > 0 seconds, not {aht!r}")
    blocking, agents = 1.0, 0
    floor = math.ceil(load / max_occupancy) if max_occupancy else 0
    while agents < MAX_AGENTS:
        agents += 1
        blocking = load * blocking / (agents + load * blocking)
        if agents <= load or agents < floor:
            continue
        staffing = _measure(agents, load, _c_from_b(agents, load, blocking), aht, threshold)
        if _meets(staffing, target_service_level, max_wait_probability, max_asa):
            return staffing
    raise StaffingError(f"no staffing up to {MAX_AGENTS:,} agents meets the targets for {load:,.1f} Erlangs")


def _meets(staffing: Staffing, service_level: float | None, wait_probability: float | None, asa: float | None) -> bool:
    return (
        (service_level is None or staffing.service_level >= service_level)
        and (wait_probability is None or staffing.wait_probability <= wait_probability)
        and (asa is None or staffing.asa_seconds <= asa)
    )
