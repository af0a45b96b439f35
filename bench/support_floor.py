"""configs/support.yaml on generated tickets, against a floor of one hand-written DuckDB query per source.

kpiframe runs the shipped config unchanged: it is copied into a scratch folder beside a
``sample-data`` link to the generated set, which is where its ``../sample-data/...``
paths point. The floor is what a careful person would write by hand for the same
scorecard: one query per source (eight), each computing that source's metric values
with the same windows, filters and definitions (case-insensitive matches where the
calculator's are, business hours for the desk's schedule, the as-of for the backlog).
It computes only the values: none of the sample sizes, confidence-interval terms and
data-quality counts (negative durations, unanswered tickets) that kpiframe reports
beside them. Two values it does not compute in SQL: ``open_cases`` is the backlog's
count again, and ``agents_needed`` (Erlang C, worked out in Python from the offered
load, which is checked) is left out. Every other metric's value must equal kpiframe's.
"""

from __future__ import annotations

import shutil
import sys
from pathlib import Path

from eight_checks import kpiframe_run
from harness import ROOT, Tool, flat_json

CONFIG = ROOT / "configs" / "support.yaml"

# The desk's schedule in the config: UTC, Mon–Fri 08:00–20:00, Sat 10:00–16:00, closed
# on Sundays and on the holiday 2026-08-31. work_until(t) is the working time from
# Monday 1970-01-05 up to t, so a working-time duration is work_until(end) - work_until(start).
MACROS = """
create macro in_month(t) as t >= timestamp '2026-09-01' and t < timestamp '2026-10-01';
create macro in_quarter(t) as t >= timestamp '2026-07-01' and t < timestamp '2026-10-01';
create macro open_part(t, opens, closes) as
  greatest(least(epoch(t) - epoch(date_trunc('day', t)), closes), opens) - opens;
create macro worked_today(t) as
  case isodow(t) when 7 then 0 when 6 then open_part(t, 36000, 57600) else open_part(t, 28800, 72000) end;
create macro work_until(t) as
  (date_diff('day', date '1970-01-05', t::date) // 7) * 237600
  + [0, 43200, 86400, 129600, 172800, 216000, 237600][isodow(t)]
  + worked_today(t)
  - case when t::date > date '2026-08-31' then 43200 when t::date = date '2026-08-31' then worked_today(t) else 0 end;
"""

QUERIES = {
    "tickets": """
select
  count(*) filter (where in_month(created_at)) as volume,
  count(*) filter (where in_month(created_at) and lower(channel) = 'email') as email_volume,
  count(agent) filter (where in_month(created_at))
    / count(distinct agent) filter (where in_month(created_at)) as per_teammate,
  count(agent) filter (where in_month(created_at))
    / count(distinct (agent, created_at::date)) filter (where in_month(created_at) and agent is not null)
    as per_teammate_day,
  count(*) filter (where created_at <= timestamp '2026-10-01'
                     and (resolved_at is null or resolved_at > timestamp '2026-10-01')) as backlog,
  count(*) filter (where created_at <= timestamp '2026-09-28'
                     and (resolved_at is null or resolved_at > timestamp '2026-10-01')) as aging_backlog,
  count(customer_id) filter (where in_month(created_at))
    / count(distinct customer_id) filter (where in_month(created_at)) as engagement,
  quantile_cont(epoch(first_response_at - created_at), 0.5)
    filter (where in_month(created_at) and first_response_at >= created_at) / 60 as frt_median,
  quantile_cont(work_until(first_response_at) - work_until(created_at), 0.9)
    filter (where in_month(created_at) and channel = 'email' and first_response_at >= created_at) / 3600
    as frt_p90_business,
  quantile_cont(epoch(resolved_at - created_at), 0.5)
    filter (where in_month(resolved_at) and resolved_at >= created_at) / 3600 as resolution_time,
  100 * count(*) filter (where in_month(created_at) and (
          work_until(first_response_at) - work_until(created_at) > 28800
          or first_response_at is null and work_until(timestamp '2026-10-01') - work_until(created_at) > 28800))
    / count(*) filter (where in_month(created_at)) as sla_breaches,
  100 * count(*) filter (where in_month(created_at) and resolved_at <= timestamp '2026-10-01')
    / count(*) filter (where in_month(created_at)) as resolution_rate,
  100 * count(*) filter (where in_month(resolved_at) and contacts = 1 and not coalesce(reopened, false))
    / count(contacts) filter (where in_month(resolved_at)) as fcr,
  avg(contacts) filter (where in_month(resolved_at)) as contacts_to_resolution,
  100 * count(*) filter (where in_month(resolved_at) and reopened)
    / count(reopened) filter (where in_month(resolved_at)) as reopens,
  100 * count(*) filter (where in_month(created_at) and escalated)
    / count(escalated) filter (where in_month(created_at)) as escalations
from read_parquet('{dir}/tickets.parquet')
""",
    # answered: neither abandoned nor blocked; offered: not blocked, not a short abandon (< 5 s).
    "calls": """
select
  avg(wait_seconds) filter (where answered) as asa,
  avg(hold_seconds) filter (where answered) as hold,
  avg(talk_seconds + hold_seconds + wrap_seconds) filter (where answered) / 60 as aht,
  avg(talk_seconds) filter (where answered) / 60 as talk_time,
  100 * count(*) filter (where offered and not coalesce(abandoned, false) and wait_seconds <= 20)
    / count(*) filter (where offered) as service_level,
  100 * count(*) filter (where offered and abandoned) / count(*) filter (where offered) as abandonment,
  100 * count(*) filter (where blocked) / count(*) as blocked,
  count(*) filter (where not coalesce(blocked, false))
    / count(distinct floor(epoch(queued_at) / 1800)) filter (where not coalesce(blocked, false))
    * avg(talk_seconds + hold_seconds + wrap_seconds)
        filter (where answered and talk_seconds + hold_seconds + wrap_seconds >= 0) / 1800 as offered_load,
  3600 / (avg(talk_seconds + hold_seconds) filter (where answered and talk_seconds + hold_seconds >= 0) + 30)
    as service_rate,
  100 * sum(talk_seconds + hold_seconds + wrap_seconds)
          filter (where answered and talk_seconds + hold_seconds + wrap_seconds >= 0)
    / (2 * 1800 * count(distinct floor(epoch(queued_at) / 1800)) filter (where not coalesce(blocked, false)))
    as occupancy,
  100 * count(*) filter (where answered and resolved_first_contact)
    / count(resolved_first_contact) filter (where answered) as fcr_calls
from (
  select *,
         not coalesce(abandoned, false) and not coalesce(blocked, false) as answered,
         not coalesce(blocked, false) and not (coalesce(abandoned, false) and wait_seconds < 5) as offered
  from read_parquet('{dir}/calls.parquet')
  where in_month(queued_at)
)
""",
    "surveys": """
select
  100 * count(*) filter (where lower(kind) = 'csat' and score >= 4)
    / count(score) filter (where lower(kind) = 'csat') as csat,
  100 * (count(*) filter (where lower(kind) = 'nps' and score >= 9)
         - count(*) filter (where lower(kind) = 'nps' and score <= 6))
    / count(score) filter (where lower(kind) = 'nps') as nps,
  avg(score) filter (where lower(kind) = 'ces') as ces,
  100 * (count(*) filter (where lower(kind) = 'agent' and score >= 9)
         - count(*) filter (where lower(kind) = 'agent' and score <= 6))
    / count(score) filter (where lower(kind) = 'agent') as agent_satisfaction
from read_parquet('{dir}/surveys.parquet')
where in_month(answered_at)
""",
    "reviews": """
select 100 * sum(score) filter (where max_score is not null) / sum(max_score) filter (where score is not null) as iqs
from read_parquet('{dir}/quality_reviews.parquet')
where in_month(reviewed_at)
""",
    "servqual": """
select
  avg(perception - expectation) as servqual_gap,
  avg(perception - expectation) filter (where lower(dimension) = 'responsiveness') as responsiveness_gap
from read_parquet('{dir}/servqual.parquet')
where in_month(answered_at)
""",
    "kb_views": """
select
  count(*) as kb_reads,
  count(*) filter (where article_id = 1) as top_article_reads,
  quantile_cont(read_seconds, 0.5) as kb_read_time,
  100 * count(*) filter (where not contacted_after) / count(contacted_after) as deflection
from read_parquet('{dir}/kb_views.parquet')
where in_month(viewed_at)
""",
    # active: a subscription running at the month's start.
    "customers": """
select
  100 * churned / active as churn,
  100 * (at_end - new) / active as retention,
  100 * referred / started_in_quarter as referrals,
  revenue * 0.7 / (churned / active) as clv
from (
  select
    count(*) filter (where active) as active,
    count(*) filter (where active and ended_at < timestamp '2026-10-01') as churned,
    count(*) filter (where started_at < timestamp '2026-10-01'
                       and (ended_at is null or ended_at >= timestamp '2026-10-01')) as at_end,
    count(*) filter (where in_month(started_at)) as new,
    count(*) filter (where in_quarter(started_at) and referred) as referred,
    count(referred) filter (where in_quarter(started_at)) as started_in_quarter,
    avg(revenue) filter (where active) as revenue
  from (
    select *, started_at < timestamp '2026-09-01' and (ended_at is null or ended_at >= timestamp '2026-09-01') as active
    from read_parquet('{dir}/customers.parquet')
  )
)
""",
    # Headcount is the mean of the quarter's start and end.
    "agents": """
select 100 * promoted / headcount as promotions, 100 * departed / headcount as attrition
from (
  select
    count(*) filter (where in_quarter(promoted_at)) as promoted,
    count(*) filter (where in_quarter(left_at)) as departed,
    (count(*) filter (where hired_at <= timestamp '2026-07-01' and (left_at is null or left_at > timestamp '2026-07-01'))
     + count(*) filter (where hired_at <= timestamp '2026-10-01' and (left_at is null or left_at > timestamp '2026-10-01')))
    / 2 as headcount
  from read_parquet('{dir}/agents.parquet')
)
""",
}

# Run as `python -c FLOOR DATA_DIR OUT`: the eight queries on one in-memory DuckDB connection.
FLOOR = """
import json, sys
import duckdb
con = duckdb.connect()
con.execute({macros!r})
values = {{}}
for source, sql in {queries!r}.items():
    cursor = con.execute(sql.format(dir=sys.argv[1]))
    row = cursor.fetchone()
    values.update({{d[0]: float(v) for d, v in zip(cursor.description, row) if v is not None}})
values['open_cases'] = values['backlog']
json.dump({{'values': values, 'scans': {scans}}}, open(sys.argv[2], 'w'))
"""


def config_folder(data: Path, scratch: Path) -> Path:
    """A copy of configs/support.yaml whose ``../sample-data`` is the generated set in ``data``."""
    folder = scratch / f"support-{data.name}"
    (folder / "configs").mkdir(parents=True, exist_ok=True)
    shutil.copy(CONFIG, folder / "configs" / "support.yaml")
    link = folder / "sample-data"
    if not link.is_symlink():
        link.symlink_to(data.resolve(), target_is_directory=True)
    return folder / "configs" / "support.yaml"


def tools(data: Path, scratch: Path) -> list[Tool]:
    """The floor and kpiframe (first run, repeat run) on the generated set in ``data``."""
    config = config_folder(data, scratch)
    floor = FLOOR.format(macros=MACROS, queries=QUERIES, scans=len(QUERIES))
    return [
        Tool("floor", (sys.executable, "-c", floor, str(data), "{out}"), flat_json),
        kpiframe_run(config, "kpiframe (first run)", fresh_cache=True),
        kpiframe_run(config, "kpiframe", fresh_cache=False),
    ]
