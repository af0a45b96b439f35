"""The tickets table and the customer surveys that follow resolved tickets, as DuckDB SQL.

Each query is layered: an inner SELECT draws the uniforms a row needs as columns, and
the layers above turn them into values, so each draw is computed once per row.
"""

from __future__ import annotations

from kpiframe.sample_data.randomness import Draws, pick_by
from kpiframe.sample_data.shape import (
    AGENTS,
    CHANNELS,
    END,
    FIRST_RESPONSE_MEDIAN_MIN,
    PRIORITIES,
    agent_name,
    arrival,
    arrival_draws,
    as_timestamp,
    before_end,
    epoch,
    plus_seconds,
    rows,
    short_staffed,
    team_of,
)

CONTACTS = [(1, 0.68), (2, 0.19), (3, 0.08), (4, 0.03), (5, 0.02)]
CSAT = [(5, 0.50), (4, 0.28), (3, 0.09), (2, 0.06), (1, 0.07)]
CSAT_SHORT_STAFFED = [(5, 0.35), (4, 0.25), (3, 0.15), (2, 0.1), (1, 0.15)]
NPS = [(10, 0.28), (9, 0.22), (8, 0.17), (7, 0.11), (6, 0.06), (5, 0.05), (4, 0.03), (3, 0.03), (2, 0.02), (1, 0.01)]
NPS += [(0, 0.02)]
CES = [(7, 0.3), (6, 0.3), (5, 0.17), (4, 0.1), (3, 0.06), (2, 0.04), (1, 0.03)]
# (number, kind, share of resolved tickets answered, top of the scale)
SURVEY_KINDS = [(1, "csat", 0.35, 5), (2, "nps", 0.12, 10), (3, "ces", 0.08, 7)]

TICKET_COLUMNS = (
    "ticket_id, created_at, first_response_at, resolved_at, status, channel, agent, team, priority,"
    " customer_id, contacts, reopened, escalated, handle_seconds"
)


def tickets(draws: Draws, first: int, last: int) -> str:
    """SQL for tickets ``first`` to ``last`` (inclusive)."""
    d = draws
    names = [
        "channel", "priority", "answer", "first_response", "resolve", "resolution", "clock_error", "clock_minutes",
        "assigned", "agent", "contacts", "closed", "customer", "reopened", "escalated", "handle_missing",
    ]  # fmt: skip
    uniforms = ", ".join(f"{d.uniform('tickets.' + n)} AS u_{n}" for n in names)
    medians = " ".join(f"WHEN '{c}' THEN {m!r}" for c, m in FIRST_RESPONSE_MEDIAN_MIN.items())
    urgency = "CASE priority WHEN 'urgent' THEN 0.35 WHEN 'high' THEN 0.7 ELSE 1.0 END"
    fr_minutes = d.lognormal("tickets.first_response_minutes", f"(CASE channel {medians} END) * slow * speed", 0.9)
    res_hours = d.lognormal("tickets.resolution_hours", "14.0 * slow", 1.1)
    handle = d.lognormal("tickets.handle", 540, 0.7)
    arrivals = ", ".join(arrival_draws(d, "tickets"))
    drawn = f"SELECT i AS ticket_id, {arrival()} AS created, * FROM (SELECT i, {arrivals}, {uniforms} FROM {rows(first, last)})"
    picked = (
        f"SELECT *, {pick_by('u_channel', CHANNELS)} AS channel, {pick_by('u_priority', PRIORITIES)} AS priority,"
        f" CASE WHEN {short_staffed('created')} THEN 2.5 ELSE 1.0 END AS slow,"
        f" ({epoch(END)} - created) / 86400.0 AS age_days FROM ({drawn})"
    )
    # Younger tickets are more often still waiting for an answer, and for a resolution.
    answered = (
        f"SELECT *, CASE WHEN u_answer > 0.03 + CASE WHEN age_days < 1 THEN 0.25 ELSE 0 END"
        f" THEN {plus_seconds('created', f'{fr_minutes} * 60')} END AS answered FROM (SELECT *, {urgency} AS speed FROM ({picked}))"
    )
    responded = f"SELECT *, {before_end('answered')} AS first_response FROM ({answered})"
    resolved = (
        f"SELECT *, CASE WHEN first_response IS NOT NULL AND u_resolve > 0.06 + CASE WHEN age_days < 3 THEN 0.4"
        f" ELSE 0 END THEN {plus_seconds('first_response', f'{res_hours} * 3600')} END AS resolving FROM ({responded})"
    )
    # About 1 in 500 resolved tickets carries a real export's clock error: resolved before created.
    clock = (
        f"SELECT *, CASE WHEN resolving >= {epoch(END)} THEN NULL WHEN u_clock_error < 0.002 THEN created - 60 *"
        " CAST(5 + floor(u_clock_minutes * 595) AS BIGINT) ELSE resolving END AS resolved,"
        f" CASE WHEN first_response IS NOT NULL AND u_assigned > 0.02 THEN CAST(1 + floor(u_agent * {AGENTS}) AS BIGINT)"
        f" END AS agent_no FROM ({resolved})"
    )
    return (
        f"SELECT ticket_id, {as_timestamp('created')} AS created_at, {as_timestamp('first_response')} AS first_response_at,"
        f" {as_timestamp('resolved')} AS resolved_at,"
        " CASE WHEN resolved IS NOT NULL AND u_closed < 0.7 THEN 'closed' WHEN resolved IS NOT NULL"
        " THEN 'solved' WHEN first_response IS NOT NULL THEN 'pending' ELSE 'open' END AS status,"
        f" channel, {agent_name('agent_no')} AS agent, {team_of(d, 'agent_no')} AS team, priority,"
        " 'C' || lpad(CAST(CAST(1 + floor(u_customer * 8000) AS BIGINT) AS VARCHAR), 5, '0') AS customer_id,"
        f" CAST(CASE WHEN resolved IS NOT NULL THEN {pick_by('u_contacts', CONTACTS)} END AS BIGINT) AS contacts,"
        " (resolved IS NOT NULL AND u_reopened < 0.07) AS reopened,"
        " u_escalated < CASE WHEN priority IN ('high', 'urgent') THEN 0.18 ELSE 0.07 END AS escalated,"
        f" CASE WHEN u_handle_missing >= 0.03 THEN round({handle}, 1) END AS handle_seconds"
        f" FROM ({clock})"
    )


def ticket_surveys(draws: Draws, tickets_file: str) -> str:
    """SQL for the CSAT, NPS and CES answers to the tickets already written to ``tickets_file``.

    A resolved ticket invites each kind of survey; its id is ``3 × (ticket − 1) + kind``,
    so an invitation nobody answered leaves a gap, as it does in a real export.
    """
    d = draws.with_key("survey_no")
    csat = f"CASE WHEN {short_staffed('created')} THEN {pick_by('u_score', CSAT_SHORT_STAFFED)} ELSE {pick_by('u_score', CSAT)} END"
    score = f"CASE kind WHEN 'csat' THEN {csat} WHEN 'nps' THEN {pick_by('u_score', NPS)} ELSE {pick_by('u_score', CES)} END"
    kinds = (
        "["
        + ", ".join(f"{{'k': {k}, 'kind': '{kind}', 'rate': {r}, 'scale': {s}}}" for k, kind, r, s in SURVEY_KINDS)
        + "]"
    )
    invited = (
        "SELECT ticket_id, epoch_us(created_at) // 1000000 AS created, epoch_us(resolved_at) // 1000000 AS resolved,"
        f" agent, channel, unnest({kinds}, recursive := true)"
        f" FROM read_parquet('{tickets_file}') WHERE resolved_at IS NOT NULL AND resolved_at >= created_at"
    )
    numbered = f"SELECT *, 3 * (ticket_id - 1) + k AS survey_no FROM ({invited})"
    drawn = (
        f"SELECT *, {d.uniform('surveys.answer')} AS u_answer, {d.uniform('surveys.score')} AS u_score,"
        f" {d.uniform('surveys.score_missing')} AS u_missing,"
        f" {plus_seconds('resolved', d.exponential('surveys.delay_hours', 10) + ' * 3600')} AS answered"
        f" FROM ({numbered})"
    )
    return (
        f"SELECT survey_no AS survey_id, {as_timestamp('answered')} AS answered_at, kind, CAST(CASE WHEN u_missing >= 0.01 THEN {score} END AS BIGINT)"
        f" AS score, CAST(scale AS BIGINT) AS scale_max, ticket_id, agent, channel FROM ({drawn})"
        f" WHERE u_answer < rate AND answered < {epoch(END)}"
    )
