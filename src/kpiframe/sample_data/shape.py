"""The data set's calendar and shares: what a support desk's quarter looks like.

Kept apart from the SQL so the numbers that give the data its shape are read in one place.
"""

from __future__ import annotations

from datetime import datetime, timedelta

from kpiframe.sample_data.randomness import Draws, literal, pick_by

START = datetime(2026, 7, 1)
DAYS = 92  # 2026-07-01 to 2026-09-30, so a demo can look at whole months
END = START + timedelta(days=DAYS)
SHORT_STAFFED = (datetime(2026, 9, 14), datetime(2026, 9, 21))
AGENTS = 200

CHANNELS = [("email", 0.40), ("chat", 0.25), ("phone", 0.18), ("web", 0.11), ("social", 0.06)]
TEAMS = ["Tier 1", "Tier 2", "Billing", "Technical", "Onboarding"]
PRIORITIES = [("low", 0.25), ("normal", 0.50), ("high", 0.16), ("urgent", 0.06), (None, 0.03)]
QUEUES = [("general", 0.5), ("billing", 0.25), ("technical", 0.25)]
# Median first-response minutes by channel (email and web wait for a human; chat does not).
FIRST_RESPONSE_MEDIAN_MIN = {"email": 150.0, "chat": 2.0, "phone": 1.0, "web": 200.0, "social": 45.0}
# fmt: off
HOUR_WEIGHTS = [1, 0.6, 0.4, 0.3, 0.3, 0.5, 1.2, 2.5, 4.5, 6.0, 6.5, 6.2,
                5.2, 5.8, 6.1, 5.7, 5.0, 4.0, 3.0, 2.4, 2.0, 1.8, 1.5, 1.2]
# fmt: on
WEEKDAY_WEIGHTS = [1.15, 1.1, 1.05, 1.0, 0.95, 0.4, 0.33]  # Monday first


#: The temporary table of row numbers that the large tables are drawn over (:func:`rows`).
ROW_IDS = "sample_row_ids"


def rows(first: int, last: int) -> str:
    """SQL: rows ``first`` to ``last`` of :data:`ROW_IDS`, as a table ``r(i)``.

    A table, not ``range()``: DuckDB scans a table on every core, and runs ``range()``
    on one (1M tickets: 1.4 s instead of 2.4 s, the same CPU).
    """
    return f"(SELECT i FROM {ROW_IDS} WHERE i BETWEEN {first} AND {last}) r(i)"


def epoch(moment: datetime) -> str:
    """A datetime as SQL: whole seconds since 1970 (UTC).

    Times are whole seconds, as a helpdesk's export has them, and stay integers until
    they are written: integer arithmetic is the cheapest DuckDB does.
    """
    return str(int((moment - datetime(1970, 1, 1)).total_seconds()))


def timestamp(moment: datetime) -> str:
    """A datetime as a DuckDB TIMESTAMP literal (for the small tables' date arithmetic)."""
    return f"TIMESTAMP '{moment.isoformat(sep=' ')}'"


def as_timestamp(seconds: str) -> str:
    """SQL: seconds since 1970 as a TIMESTAMP (microseconds, like every export's)."""
    return f"make_timestamp({seconds} * 1000000)"


def short_staffed(column: str) -> str:
    """SQL: whether a moment (seconds) falls in the short-staffed week."""
    return f"({epoch(SHORT_STAFFED[0])} <= {column} AND {column} < {epoch(SHORT_STAFFED[1])})"


def before_end(column: str) -> str:
    """SQL: the moment, or NULL when it falls after the data's end (it has not happened yet)."""
    return f"(CASE WHEN {column} < {epoch(END)} THEN {column} END)"


def plus_seconds(moment: str, seconds: str) -> str:
    """SQL: a moment plus a number of seconds, to the second."""
    return f"({moment} + CAST(round({seconds}) AS BIGINT))"


def arrival_draws(draws: Draws, stream: str) -> list[str]:
    """The uniforms an arrival time needs, as ``expr AS name`` columns for an inner query."""
    parts = ("weekday", "week", "hour", "second")
    return [f"{draws.uniform(f'{stream}.{part}')} AS _a_{part}" for part in parts]


def arrival() -> str:
    """SQL: an arrival time (seconds) with weekday and hour-of-day seasonality, from :func:`arrival_draws`.

    A weekday is drawn by its weight times how often it occurs in the quarter, then one
    of its dates evenly: the same as drawing a date by its weekday's weight.
    """
    days = [START + timedelta(days=d) for d in range(DAYS)]
    weights, branches, running = [], [], 0.0
    for weekday in range(7):
        offsets = [d for d, day in enumerate(days) if day.weekday() == weekday]
        weights.append((offsets, WEEKDAY_WEIGHTS[weekday] * len(offsets)))
    total = sum(w for _, w in weights)
    for n, (offsets, weight) in enumerate(weights):
        running += weight
        day = f"{offsets[0]} + 7 * floor(_a_week * {len(offsets)})"
        branches.append(f"WHEN _a_weekday < {running / total!r} THEN {day}" if n < 6 else f"ELSE {day}")
    day_offset = f"(CASE {' '.join(branches)} END)"
    hour = pick_by("_a_hour", list(enumerate(HOUR_WEIGHTS)))
    return f"CAST({epoch(START)} + {day_offset} * 86400 + {hour} * 3600 + floor(_a_second * 3600) AS BIGINT)"


def agent_name(number: str) -> str:
    """SQL: ``agent-007`` for agent number 7.

    Looked up in a list of the names: a third of the cost of building the string (lpad)
    on every row. It reaches ``AGENTS + 1``, which a uniform draw of exactly 1.0 gives.
    """
    names = "[" + ", ".join(f"'agent-{n:03d}'" for n in range(1, AGENTS + 2)) + "]"
    return f"({names}[CAST({number} AS BIGINT)])"


def team_of(draws: Draws, number: str) -> str:
    """SQL: the team of agent ``number`` (none for none), the same wherever an agent appears."""
    teams = "[" + ", ".join(literal(t) for t in TEAMS) + "]"
    return f"(CASE WHEN {number} IS NOT NULL THEN {teams}[1 + {draws.with_key(number).below('agents.team', len(TEAMS))}] END)"
