"""The tables whose size does not follow the tickets' (staff, customers, reviews) and the
help-centre views, as DuckDB SQL."""

from __future__ import annotations

from datetime import datetime

from kpiframe.sample_data.randomness import Draws, pick_by
from kpiframe.sample_data.shape import (
    AGENTS,
    END,
    agent_name,
    arrival,
    arrival_draws,
    as_timestamp,
    before_end,
    epoch,
    plus_seconds,
    rows,
    team_of,
    timestamp,
)

PULSE = [(10, 0.15), (9, 0.2), (8, 0.25), (7, 0.15), (6, 0.1), (5, 0.07), (4, 0.04), (2, 0.04)]
PLANS = [("basic", 0.5), ("pro", 0.35), ("enterprise", 0.15)]
# SERVQUAL: perception minus expectation, on average, for each of the five dimensions.
GAPS = {"tangibles": 0.1, "reliability": -0.6, "responsiveness": -0.9, "assurance": -0.2, "empathy": -0.3}
ARTICLES = 120


def agents(draws: Draws) -> str:
    """The staff roster: hires, leavers and promotions, some inside the data's quarter."""
    d = draws.with_key("n")
    hired = f"{timestamp(datetime(2023, 1, 1))} + to_days(CAST({d.below('agents.hired', 1270)} AS INTEGER))"
    left = f"CASE WHEN {d.uniform('agents.leaves')} < 0.3 THEN hired_at + to_days(CAST(30 + {d.below('agents.left', 1370)} AS INTEGER)) END"
    promoted = (
        f"CASE WHEN {d.uniform('agents.promoted')} < 0.15"
        f" THEN hired_at + to_days(CAST(60 + {d.below('agents.promotion', 1240)} AS INTEGER)) END"
    )
    drawn = f"SELECT n, {hired} AS hired_at, {left} AS left0, {promoted} AS promoted0 FROM range(1, {AGENTS + 1}) r(n)"
    ended = f"SELECT *, CASE WHEN left0 < {timestamp(END)} THEN left0 END AS left_at FROM ({drawn})"
    return (
        f"SELECT {agent_name('n')} AS agent, {team_of(draws, 'n')} AS team, hired_at, left_at,"
        f" CASE WHEN promoted0 < coalesce(left_at, {timestamp(END)}) THEN promoted0 END AS promoted_at FROM ({ended})"
    )


def agent_surveys(draws: Draws, first_id: int) -> str:
    """A monthly staff pulse survey (0–10: would you recommend working here?); 60% answer."""
    d = draws.with_key("10000 * m + n")
    months = ", ".join(f"({m}, {timestamp(datetime(2026, 6 + m, 1))})" for m in (1, 2, 3))
    answered = (
        f"month_start + to_days(CAST({d.below('pulse.day', 25)} AS INTEGER))"
        f" + to_hours(CAST(8 + {d.below('pulse.hour', 10)} AS BIGINT))"
    )
    drawn = (
        f"SELECT m, n, {answered} AS answered_at, {d.uniform('pulse.answers')} AS u_answers,"
        f" {d.uniform('pulse.score')} AS u_score FROM (VALUES {months}) v(m, month_start), range(1, {AGENTS + 1}) r(n)"
    )
    return (
        f"SELECT {first_id - 1} + row_number() OVER (ORDER BY m, n) AS survey_id, answered_at, 'agent' AS kind,"
        f" CAST({pick_by('u_score', PULSE)} AS BIGINT) AS score, CAST(10 AS BIGINT) AS scale_max,"
        f" CAST(NULL AS BIGINT) AS ticket_id, {agent_name('n')} AS agent, CAST(NULL AS VARCHAR) AS channel"
        f" FROM ({drawn}) WHERE u_answers < 0.6 ORDER BY m, n"
    )


def customers(draws: Draws, count: int = 8000) -> str:
    """Customers with subscription spells: about 2% leave a month; revenue is per month."""
    d = draws.with_key("n")
    started = f"{epoch(datetime(2024, 1, 1))} + 86400 * {d.below('customers.day', 1004)} + 3600 * {d.below('customers.hour', 24)}"
    ended = plus_seconds("started", f"{d.exponential('customers.months', 1 / 0.02)} * 30.4 * 86400")
    drawn = (
        f"SELECT n, {started} AS started, {d.uniform('customers.revenue_missing')} AS u_revenue_missing,"
        f" {d.lognormal('customers.revenue', 80, 0.8)} AS revenue, {d.uniform('customers.referred_missing')} AS u_ref_missing,"
        f" {d.uniform('customers.referred')} AS u_referred, {d.uniform('customers.plan')} AS u_plan"
        f" FROM range(1, {count + 1}) r(n)"
    )
    return (
        f"SELECT 'C' || lpad(CAST(n AS VARCHAR), 5, '0') AS customer_id, {as_timestamp('started')} AS started_at,"
        f" {as_timestamp(before_end(ended))} AS ended_at,"
        f" CASE WHEN u_revenue_missing >= 0.01 THEN round(revenue, 2) END AS revenue,"
        f" CASE WHEN u_ref_missing >= 0.02 THEN u_referred < 0.16 END AS referred,"
        f" {pick_by('u_plan', PLANS)} AS plan FROM ({drawn})"
    )


def kb_views(draws: Draws, first: int, last: int) -> str:
    """Help-centre article views; a view followed by a contact did not deflect it.

    Article ``a`` is read with probability ln(1 + 1/a) / ln(121), about 1/a as in Zipf's
    law (a few articles get most of the reads), drawn by inverting that distribution.
    """
    d = draws
    drawn = (
        f"SELECT i, {', '.join(arrival_draws(d, 'kb_views'))}, {d.uniform('kb_views.article')} AS u_article,"
        f" {d.uniform('kb_views.read_missing')} AS u_read_missing, {d.lognormal('kb_views.read', 55, 0.9)} AS read,"
        f" {d.uniform('kb_views.contact_missing')} AS u_contact_missing, {d.uniform('kb_views.contacted')} AS u_contacted"
        f" FROM {rows(first, last)}"
    )
    article = f"least({ARTICLES}, CAST(floor(exp(u_article * ln({ARTICLES + 1}))) AS BIGINT))"
    return (
        f"SELECT i AS view_id, {as_timestamp(arrival())} AS viewed_at, {article} AS article_id,"
        f" CASE WHEN u_read_missing >= 0.05 THEN round(read, 1) END AS read_seconds,"
        f" CASE WHEN u_contact_missing >= 0.03 THEN u_contacted < 0.22 END AS contacted_after FROM ({drawn})"
    )


def quality_reviews(draws: Draws, count: int = 1500) -> str:
    """QA reviews of agents' conversations, scored out of 20."""
    d = draws.with_key("i")
    score = f"CAST(least(20, greatest(0, round({d.normal('reviews.score', 16.5, 2.5)}))) AS BIGINT)"
    drawn = (
        f"SELECT i, {', '.join(arrival_draws(d, 'reviews'))}, {d.below('reviews.agent', AGENTS)} AS agent_no,"
        f" {score} AS score FROM range(1, {count + 1}) r(i)"
    )
    return (
        f"SELECT i AS review_id, {as_timestamp(arrival())} AS reviewed_at, {agent_name('1 + agent_no')} AS agent, score,"
        f" CAST(20 AS BIGINT) AS max_score FROM ({drawn})"
    )


def servqual(draws: Draws, respondents: int = 400) -> str:
    """SERVQUAL answers: expectation and perception (1–7) for each of the five dimensions."""
    d = draws.with_key("respondent")
    cell = draws.with_key("10 * respondent + k")
    dims = ", ".join(f"({k}, '{name}', {gap!r})" for k, (name, gap) in enumerate(GAPS.items()))
    people = (
        f"SELECT respondent, {', '.join(arrival_draws(d, 'servqual'))} FROM range(1, {respondents + 1}) r(respondent)"
    )
    answers = (
        f"SELECT respondent, {as_timestamp(arrival())} AS answered_at, k, dimension, gap,"
        f" least(7, greatest(1, round({cell.normal('servqual.expectation', 6.0, 0.8)}))) AS expectation,"
        f" {cell.normal('servqual.perception', 0.0, 1.0)} AS noise"
        f" FROM ({people}), (VALUES {dims}) v(k, dimension, gap)"
    )
    return (
        "SELECT respondent, answered_at, dimension, CAST(expectation AS BIGINT) AS expectation,"
        " CAST(least(7, greatest(1, round(expectation + gap + noise))) AS BIGINT) AS perception"
        f" FROM ({answers}) ORDER BY respondent, k"
    )
