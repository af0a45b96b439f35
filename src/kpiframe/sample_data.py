"""A deterministic, realistic support data set for demos, docs and benchmarks.

Three tables shaped like real exports: ``tickets`` (email, chat, phone, web,
social), ``calls`` (a contact-centre queue) and ``surveys`` (CSAT, NPS, CES).
Arrivals follow weekday and hour-of-day seasonality; about 200 agents work in
five teams; one September week is understaffed, so SLA breaches cluster there;
nulls sit where real exports have them (unanswered tickets, abandoned calls,
unassigned tickets, skipped survey questions) and a few rows carry the data
errors real exports have (resolved before created).

The same ``seed`` and size always give byte-identical values (Python's
``random.Random`` is stable across platforms for these calls).
"""

from __future__ import annotations

import math
import os
import random
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

START = datetime(2026, 7, 1)
DAYS = 92  # 2026-07-01 to 2026-09-30, so a demo can look at whole months
END = START + timedelta(days=DAYS)
SHORT_STAFFED = (datetime(2026, 9, 14), datetime(2026, 9, 21))

CHANNELS = [("email", 0.40), ("chat", 0.25), ("phone", 0.18), ("web", 0.11), ("social", 0.06)]
TEAMS = ["Tier 1", "Tier 2", "Billing", "Technical", "Onboarding"]
PRIORITIES = [("low", 0.25), ("normal", 0.50), ("high", 0.16), ("urgent", 0.06), (None, 0.03)]
QUEUES = [("general", 0.5), ("billing", 0.25), ("technical", 0.25)]
# Median first-response minutes by channel (email and web wait for a human; chat does not).
FIRST_RESPONSE_MEDIAN_MIN = {"email": 150.0, "chat": 2.0, "phone": 1.0, "web": 200.0, "social": 45.0}
HOUR_WEIGHTS = [
    1,
    0.6,
    0.4,
    0.3,
    0.3,
    0.5,
    1.2,
    2.5,
    4.5,
    6.0,
    6.5,
    6.2,
    5.2,
    5.8,
    6.1,
    5.7,
    5.0,
    4.0,
    3.0,
    2.4,
    2.0,
    1.8,
    1.5,
    1.2,
]
WEEKDAY_WEIGHTS = [1.15, 1.1, 1.05, 1.0, 0.95, 0.4, 0.33]  # Monday first


def _pick(rng: random.Random, options: list[tuple[Any, float]]) -> Any:
    return rng.choices([o for o, _ in options], weights=[w for _, w in options])[0]


def _cumulative(weights: list[float]) -> list[float]:
    total, out = 0.0, []
    for w in weights:
        total += w
        out.append(total)
    return out


class _Clock:
    """Draws arrival times with weekday and hour-of-day seasonality."""

    def __init__(self, rng: random.Random):
        self.rng = rng
        self.days = [START + timedelta(days=d) for d in range(DAYS)]
        self.day_weights = _cumulative([WEEKDAY_WEIGHTS[d.weekday()] for d in self.days])
        self.hour_weights = _cumulative(HOUR_WEIGHTS)

    def arrival(self) -> datetime:
        day = self.rng.choices(self.days, cum_weights=self.day_weights)[0]
        hour = self.rng.choices(range(24), cum_weights=self.hour_weights)[0]
        return day + timedelta(hours=hour, seconds=self.rng.randrange(3600))


def _lognormal_minutes(rng: random.Random, median: float, sigma: float = 1.0) -> float:
    return rng.lognormvariate(math.log(median), sigma)


def _short_staffed(moment: datetime) -> bool:
    return SHORT_STAFFED[0] <= moment < SHORT_STAFFED[1]


def _agents(rng: random.Random, count: int = 200) -> list[tuple[str, str]]:
    return [(f"agent-{i:03d}", TEAMS[rng.randrange(len(TEAMS))]) for i in range(1, count + 1)]


def make_tickets(rng: random.Random, count: int, agents: list[tuple[str, str]]) -> list[dict[str, Any]]:
    clock = _Clock(rng)
    rows = []
    for i in range(1, count + 1):
        created = clock.arrival()
        channel = _pick(rng, CHANNELS)
        priority = _pick(rng, PRIORITIES)
        slow = 2.5 if _short_staffed(created) else 1.0
        speed = {"urgent": 0.35, "high": 0.7}.get(priority or "", 1.0)
        age_days = (END - created).total_seconds() / 86400
        answered = rng.random() > (0.03 + (0.25 if age_days < 1 else 0.0))
        first_response = None
        if answered:
            minutes = _lognormal_minutes(rng, FIRST_RESPONSE_MEDIAN_MIN[channel] * slow * speed, 0.9)
            first_response = created + timedelta(minutes=minutes)
            if first_response >= END:
                first_response = None
        resolved = None
        if first_response is not None and rng.random() > 0.06 + (0.4 if age_days < 3 else 0.0):
            resolved = first_response + timedelta(hours=_lognormal_minutes(rng, 14.0 * slow, 1.1))
            if resolved >= END:
                resolved = None
        if resolved is not None and rng.random() < 0.002:
            resolved = created - timedelta(minutes=rng.randrange(5, 600))  # a real export's clock error
        agent, team = agents[rng.randrange(len(agents))] if first_response and rng.random() > 0.02 else (None, None)
        contacts = _pick(rng, [(1, 0.68), (2, 0.19), (3, 0.08), (4, 0.03), (5, 0.02)]) if resolved else None
        status = (
            "closed"
            if resolved and rng.random() < 0.7
            else "solved"
            if resolved
            else ("pending" if first_response else "open")
        )
        rows.append(
            {
                "ticket_id": i,
                "created_at": created,
                "first_response_at": first_response,
                "resolved_at": resolved,
                "status": status,
                "channel": channel,
                "agent": agent,
                "team": team,
                "priority": priority,
                "customer_id": f"C{rng.randrange(1, 8001):05d}",
                "contacts": contacts,
                "reopened": bool(resolved) and rng.random() < 0.07,
                "escalated": rng.random() < (0.18 if priority in ("high", "urgent") else 0.07),
                "handle_seconds": None if rng.random() < 0.03 else round(rng.lognormvariate(math.log(540), 0.7), 1),
            }
        )
    return rows


def make_calls(rng: random.Random, count: int, agents: list[tuple[str, str]]) -> list[dict[str, Any]]:
    clock = _Clock(rng)
    rows = []
    for i in range(1, count + 1):
        queued = clock.arrival()
        queue = _pick(rng, QUEUES)
        if rng.random() < 0.012:  # no trunk or no agent logged in: never offered to the queue
            rows.append(
                {
                    "call_id": i,
                    "queued_at": queued,
                    "answered_at": None,
                    "ended_at": None,
                    "wait_seconds": None,
                    "talk_seconds": None,
                    "hold_seconds": None,
                    "wrap_seconds": None,
                    "abandoned": False,
                    "blocked": True,
                    "agent": None,
                    "queue": queue,
                    "resolved_first_contact": None,
                }
            )
            continue
        load = HOUR_WEIGHTS[queued.hour] / 6.5
        mean_wait = (3 + 11 * load) * (2.6 if _short_staffed(queued) else 1.0)
        wait = rng.expovariate(1 / mean_wait)
        patience = rng.expovariate(1 / 400)
        if patience < wait:
            rows.append(
                {
                    "call_id": i,
                    "queued_at": queued,
                    "answered_at": None,
                    "ended_at": queued + timedelta(seconds=patience),
                    "wait_seconds": round(patience, 1),
                    "talk_seconds": None,
                    "hold_seconds": None,
                    "wrap_seconds": None,
                    "abandoned": True,
                    "blocked": False,
                    "agent": None,
                    "queue": queue,
                    "resolved_first_contact": None,
                }
            )
            continue
        talk = rng.lognormvariate(math.log(290), 0.6)
        hold = 0.0 if rng.random() < 0.6 else rng.expovariate(1 / 70)
        answered = queued + timedelta(seconds=wait)
        rows.append(
            {
                "call_id": i,
                "queued_at": queued,
                "answered_at": answered,
                "ended_at": answered + timedelta(seconds=talk + hold),
                "wait_seconds": round(wait, 1),
                "talk_seconds": round(talk, 1),
                "hold_seconds": round(hold, 1),
                "wrap_seconds": None if rng.random() < 0.02 else round(rng.expovariate(1 / 45), 1),
                "abandoned": False,
                "blocked": False,
                "agent": agents[rng.randrange(len(agents))][0],
                "queue": queue,
                "resolved_first_contact": rng.random() < 0.74,
            }
        )
    return rows


def make_surveys(rng: random.Random, tickets: list[dict[str, Any]]) -> list[dict[str, Any]]:
    rows = []
    survey_id = 0
    for ticket in tickets:
        resolved = ticket["resolved_at"]
        if resolved is None or resolved < ticket["created_at"]:
            continue
        slow = _short_staffed(ticket["created_at"])
        for kind, rate, scale in (("csat", 0.35, 5), ("nps", 0.12, 10), ("ces", 0.08, 7)):
            if rng.random() >= rate:
                continue
            answered = resolved + timedelta(hours=rng.expovariate(1 / 10))
            if answered >= END:
                continue
            if kind == "csat":
                score = _pick(
                    rng,
                    (
                        [(5, 0.50), (4, 0.28), (3, 0.09), (2, 0.06), (1, 0.07)]
                        if not slow
                        else [(5, 0.35), (4, 0.25), (3, 0.15), (2, 0.1), (1, 0.15)]
                    ),
                )
            elif kind == "nps":
                score = _pick(
                    rng,
                    [
                        (10, 0.28),
                        (9, 0.22),
                        (8, 0.17),
                        (7, 0.11),
                        (6, 0.06),
                        (5, 0.05),
                        (4, 0.03),
                        (3, 0.03),
                        (2, 0.02),
                        (1, 0.01),
                        (0, 0.02),
                    ],
                )
            else:
                score = _pick(rng, [(7, 0.3), (6, 0.3), (5, 0.17), (4, 0.1), (3, 0.06), (2, 0.04), (1, 0.03)])
            survey_id += 1
            rows.append(
                {
                    "survey_id": survey_id,
                    "answered_at": answered,
                    "kind": kind,
                    "score": None if rng.random() < 0.01 else score,
                    "scale_max": scale,
                    "ticket_id": ticket["ticket_id"],
                    "agent": ticket["agent"],
                    "channel": ticket["channel"],
                }
            )
    return rows


def make_agent_surveys(rng: random.Random, agents: list[tuple[str, str]], first_id: int) -> list[dict[str, Any]]:
    """A monthly staff pulse survey (0–10: would you recommend working here?)."""
    rows: list[dict[str, Any]] = []
    for month_start in (datetime(2026, 7, 1), datetime(2026, 8, 1), datetime(2026, 9, 1)):
        for agent, _team in agents:
            if rng.random() < 0.6:
                rows.append(
                    {
                        "survey_id": first_id + len(rows),
                        "answered_at": month_start + timedelta(days=rng.randrange(0, 25), hours=rng.randrange(8, 18)),
                        "kind": "agent",
                        "score": _pick(
                            rng, [(10, 0.15), (9, 0.2), (8, 0.25), (7, 0.15), (6, 0.1), (5, 0.07), (4, 0.04), (2, 0.04)]
                        ),
                        "scale_max": 10,
                        "ticket_id": None,
                        "agent": agent,
                        "channel": None,
                    }
                )
    return rows


def make_agents(rng: random.Random, agents: list[tuple[str, str]]) -> list[dict[str, Any]]:
    """The staff roster: hires, leavers and promotions, some inside the data's quarter."""
    rows = []
    for agent, team in agents:
        hired = datetime(2023, 1, 1) + timedelta(days=rng.randrange(0, 1270))
        left = hired + timedelta(days=rng.randrange(30, 1400)) if rng.random() < 0.3 else None
        promoted = hired + timedelta(days=rng.randrange(60, 1300)) if rng.random() < 0.15 else None
        left = left if left is None or left < END else None
        promoted = promoted if promoted is not None and promoted < (left or END) else None
        rows.append({"agent": agent, "team": team, "hired_at": hired, "left_at": left, "promoted_at": promoted})
    return rows


def make_customers(rng: random.Random, count: int = 8000) -> list[dict[str, Any]]:
    """Customers with subscription spells: about 2% leave a month; revenue is per month."""
    rows = []
    for i in range(1, count + 1):
        started = datetime(2024, 1, 1) + timedelta(days=rng.randrange(0, 1004), hours=rng.randrange(24))
        months = rng.expovariate(0.02)
        ended = started + timedelta(days=30.4 * months)
        rows.append(
            {
                "customer_id": f"C{i:05d}",
                "started_at": started,
                "ended_at": ended if ended < END else None,
                "revenue": None if rng.random() < 0.01 else round(rng.lognormvariate(math.log(80), 0.8), 2),
                "referred": None if rng.random() < 0.02 else rng.random() < 0.16,
                "plan": _pick(rng, [("basic", 0.5), ("pro", 0.35), ("enterprise", 0.15)]),
            }
        )
    return rows


def make_kb_views(rng: random.Random, count: int) -> list[dict[str, Any]]:
    """Help-centre article views; a view followed by a contact did not deflect it."""
    clock = _Clock(rng)
    articles = list(range(1, 121))
    weights = [1 / a for a in articles]  # a few articles get most of the reads
    rows = []
    for i in range(1, count + 1):
        rows.append(
            {
                "view_id": i,
                "viewed_at": clock.arrival(),
                "article_id": rng.choices(articles, weights=weights)[0],
                "read_seconds": None if rng.random() < 0.05 else round(rng.lognormvariate(math.log(55), 0.9), 1),
                "contacted_after": None if rng.random() < 0.03 else rng.random() < 0.22,
            }
        )
    return rows


def make_quality_reviews(rng: random.Random, agents: list[tuple[str, str]], count: int = 1500) -> list[dict[str, Any]]:
    clock = _Clock(rng)
    rows = []
    for i in range(1, count + 1):
        max_score = 20
        rows.append(
            {
                "review_id": i,
                "reviewed_at": clock.arrival(),
                "agent": agents[rng.randrange(len(agents))][0],
                "score": min(max_score, max(0, round(rng.gauss(16.5, 2.5)))),
                "max_score": max_score,
            }
        )
    return rows


def make_servqual(rng: random.Random, respondents: int = 400) -> list[dict[str, Any]]:
    """SERVQUAL answers: expectation and perception (1–7) for each of the five dimensions."""
    clock = _Clock(rng)
    gaps = {"tangibles": 0.1, "reliability": -0.6, "responsiveness": -0.9, "assurance": -0.2, "empathy": -0.3}
    rows = []
    for respondent in range(1, respondents + 1):
        answered = clock.arrival()
        for dimension, gap in gaps.items():
            expectation = min(7, max(1, round(rng.gauss(6.0, 0.8))))
            perception = min(7, max(1, round(expectation + gap + rng.gauss(0, 1.0))))
            rows.append(
                {
                    "respondent": respondent,
                    "answered_at": answered,
                    "dimension": dimension,
                    "expectation": expectation,
                    "perception": perception,
                }
            )
    return rows


def _write(rows: list[dict[str, Any]], directory: Path, name: str) -> dict[Path, int]:
    import pyarrow as pa
    import pyarrow.csv as pacsv
    import pyarrow.parquet as pq

    table = pa.Table.from_pylist(rows)
    table = table.cast(
        pa.schema(
            [pa.field(f.name, pa.timestamp("us") if pa.types.is_timestamp(f.type) else f.type) for f in table.schema]
        )
    )
    # At least as many row groups as cores (and never fewer than 8), so DuckDB scans in parallel.
    groups = max(8, os.cpu_count() or 1)
    parquet = directory / f"{name}.parquet"
    csv = directory / f"{name}.csv"
    pq.write_table(table, parquet, row_group_size=max(1, math.ceil(len(rows) / groups)), compression="zstd")
    pacsv.write_csv(table, csv)
    return {parquet: len(rows), csv: len(rows)}


def write_sample_data(
    directory: str | os.PathLike[str], *, tickets: int = 20000, seed: int = 7, progress: Any = None
) -> dict[Path, int]:
    """Write the support tables as Parquet and CSV; return path → row count.

    Tables: tickets, calls, surveys (customer CSAT/NPS/CES and a staff pulse), agents,
    customers, kb_views, quality_reviews and servqual. Only these files are written;
    other files in ``directory`` are left alone.
    """
    out = Path(directory)
    out.mkdir(parents=True, exist_ok=True)
    rng = random.Random(seed)
    agents = _agents(rng)
    ticket_rows = make_tickets(random.Random(rng.random()), tickets, agents)
    call_rows = make_calls(random.Random(rng.random()), int(tickets * 1.5), agents)
    survey_rows = make_surveys(random.Random(rng.random()), ticket_rows)
    # Later tables draw from their own generators, so adding one never changes the others.
    survey_rows += make_agent_surveys(random.Random(rng.random()), agents, len(survey_rows) + 1)
    tables = {
        "tickets": ticket_rows,
        "calls": call_rows,
        "surveys": survey_rows,
        "agents": make_agents(random.Random(rng.random()), agents),
        "customers": make_customers(random.Random(rng.random())),
        "kb_views": make_kb_views(random.Random(rng.random()), tickets * 2),
        "quality_reviews": make_quality_reviews(random.Random(rng.random()), agents),
        "servqual": make_servqual(random.Random(rng.random())),
    }
    written: dict[Path, int] = {}
    total = sum(len(rows) for rows in tables.values())
    for name, rows in tables.items():
        written.update(_write(rows, out, name))
        if progress is not None:
            progress.update("rows written", sum(written.values()) // 2, total)
    return written
