"""The contact-centre queue: offered, abandoned and blocked calls, as DuckDB SQL.

Waits are exponential around a mean that follows the hour's load and rises in the
short-staffed week; a caller whose patience (exponential, 400 s) runs out first abandons.
"""

from __future__ import annotations

from kpiframe.sample_data.randomness import Draws, pick_by
from kpiframe.sample_data.shape import (
    AGENTS,
    HOUR_WEIGHTS,
    QUEUES,
    agent_name,
    arrival,
    arrival_draws,
    as_timestamp,
    plus_seconds,
    rows,
    short_staffed,
)

CALL_COLUMNS = (
    "call_id, queued_at, answered_at, ended_at, wait_seconds, talk_seconds, hold_seconds, wrap_seconds,"
    " abandoned, blocked, agent, queue, resolved_first_contact"
)


def calls(draws: Draws, first: int, last: int) -> str:
    """SQL for calls ``first`` to ``last`` (inclusive)."""
    d = draws
    names = ["queue", "blocked", "hold_none", "wrap_missing", "agent", "first_contact"]
    uniforms = ", ".join(f"{d.uniform('calls.' + n)} AS u_{n}" for n in names)
    loads = "([" + ", ".join(repr(w / 6.5) for w in HOUR_WEIGHTS) + "]::DOUBLE[])"
    mean_wait = (
        f"(3 + 11 * {loads}[1 + (queued % 86400) // 3600]) * CASE WHEN {short_staffed('queued')} THEN 2.6 ELSE 1.0 END"
    )
    drawn = (
        f"SELECT i AS call_id, {arrival()} AS queued, * FROM (SELECT i, {', '.join(arrival_draws(d, 'calls'))},"
        f" {uniforms}, {d.exponential('calls.patience', 400)} AS patience, {d.uniform('calls.wait')} AS u_wait,"
        f" {d.lognormal('calls.talk', 290, 0.6)} AS talk, {d.exponential('calls.hold', 70)} AS hold_drawn,"
        f" {d.exponential('calls.wrap', 45)} AS wrap FROM {rows(first, last)})"
    )
    waited = (
        f"SELECT *, -ln(u_wait) * {mean_wait} AS wait, u_blocked < 0.012 AS blocked,"
        f" CASE WHEN u_hold_none < 0.6 THEN 0.0 ELSE hold_drawn END AS hold FROM ({drawn})"
    )
    outcome = f"SELECT *, NOT blocked AND patience < wait AS abandoned, NOT blocked AND patience >= wait AS taken FROM ({waited})"
    # The waits are exact; the times, like an export's, are whole seconds.
    timed = (
        f"SELECT *, CASE WHEN taken THEN {plus_seconds('queued', 'wait')} END AS answered,"
        f" CASE WHEN taken THEN {plus_seconds('queued', 'wait + talk + hold')}"
        f" WHEN abandoned THEN {plus_seconds('queued', 'patience')} END AS ended FROM ({outcome})"
    )
    return (
        f"SELECT call_id, {as_timestamp('queued')} AS queued_at, {as_timestamp('answered')} AS answered_at,"
        f" {as_timestamp('ended')} AS ended_at,"
        f" CASE WHEN taken THEN round(wait, 1) WHEN abandoned THEN round(patience, 1) END AS wait_seconds,"
        f" CASE WHEN taken THEN round(talk, 1) END AS talk_seconds, CASE WHEN taken THEN round(hold, 1) END AS hold_seconds,"
        f" CASE WHEN taken AND u_wrap_missing >= 0.02 THEN round(wrap, 1) END AS wrap_seconds, abandoned, blocked,"
        f" CASE WHEN taken THEN {agent_name(f'1 + floor(u_agent * {AGENTS})')} END AS agent,"
        f" {pick_by('u_queue', QUEUES)} AS queue, CASE WHEN taken THEN u_first_contact < 0.74 END AS resolved_first_contact"
        f" FROM ({timed})"
    )
