"""Every KPI of configs/support.yaml on the sample data, against pandas written in this test."""

from __future__ import annotations

import json
import math
import shutil
from datetime import timedelta
from fractions import Fraction
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from test_business_hours import reference as business_reference
from test_workforce import factorial_agents

ROOT = Path(__file__).parents[1]
START, END = pd.Timestamp("2026-09-01"), pd.Timestamp("2026-10-01")
Q_START = pd.Timestamp("2026-07-01")
AS_OF = END
DESK = {"timezone": "UTC", "hours": {"mon-fri": "08:00-20:00", "sat": "10:00-16:00"}, "holidays": ["2026-08-31"]}


@pytest.fixture(scope="module")
def run(tmp_path_factory: pytest.TempPathFactory):
    root = tmp_path_factory.mktemp("support")
    (root / "configs").mkdir()
    shutil.copy(ROOT / "configs" / "support.yaml", root / "configs" / "support.yaml")
    from kpiframe.sample_data import write_sample_data

    write_sample_data(root / "sample-data", tickets=3000, seed=5)
    from typer.testing import CliRunner

    from kpiframe.cli import app

    result = CliRunner().invoke(app, ["run", str(root / "configs" / "support.yaml"), "--format", "json"])
    card = {m["id"]: m for m in json.loads(result.stdout)["metrics"]}
    data = {
        name: pd.read_parquet(root / "sample-data" / f"{name}.parquet")
        for name in ("tickets", "calls", "surveys", "agents", "customers", "kb_views", "quality_reviews", "servqual")
    }
    return card, data


def within(frame: pd.DataFrame, column: str, start=START, end=END) -> pd.DataFrame:
    return frame[(frame[column] >= start) & (frame[column] < end)]


def share(success: pd.Series) -> float:
    return 100 * success.sum() / len(success)


def seconds(a: pd.Series, b: pd.Series) -> pd.Series:
    return (b - a).dt.total_seconds()


def expected(data: dict[str, pd.DataFrame]) -> dict[str, float]:
    tickets, calls, surveys = data["tickets"], data["calls"], data["surveys"]
    t = within(tickets, "created_at")
    resolved = within(tickets, "resolved_at")
    c = within(calls, "queued_at")
    answered = c[~c.abandoned & ~c.blocked]
    offered = c[~c.blocked & ~(c.abandoned & (c.wait_seconds < 5))]
    s = within(surveys, "answered_at")
    kb = within(data["kb_views"], "viewed_at")
    reviews = within(data["quality_reviews"], "reviewed_at").dropna(subset=["score", "max_score"])
    sq = within(data["servqual"], "answered_at")
    customers, agents = data["customers"], data["agents"]
    out: dict[str, float] = {}

    out["volume"] = len(t)
    out["email_volume"] = (t.channel.str.lower() == "email").sum()
    handled = t.dropna(subset=["agent"])
    out["per_teammate"] = len(handled) / handled.agent.nunique()
    out["per_teammate_day"] = handled.groupby([handled.agent, handled.created_at.dt.date]).size().mean()  # two passes
    open_now = (tickets.created_at <= AS_OF) & (tickets.resolved_at.isna() | (tickets.resolved_at > AS_OF))
    out["backlog"] = out["open_cases"] = open_now.sum()
    out["aging_backlog"] = (open_now & (tickets.created_at <= AS_OF - timedelta(days=3))).sum()
    out["engagement"] = t.customer_id.notna().sum() / t.customer_id.nunique()

    frt = seconds(t.created_at, t.first_response_at)
    out["frt_median"] = frt[frt >= 0].median() / 60
    email = t[(t.channel == "email") & t.first_response_at.notna() & (t.first_response_at >= t.created_at)]
    business = [
        business_reference(a.to_pydatetime(), b.to_pydatetime(), "UTC", DESK)
        for a, b in zip(email.created_at, email.first_response_at)
    ]
    out["frt_p90_business"] = np.quantile(business, 0.9) / 3600
    ttr = seconds(resolved.created_at, resolved.resolved_at)
    out["resolution_time"] = ttr[ttr >= 0].median() / 3600

    def breached(row) -> bool:
        end = row.first_response_at if pd.notna(row.first_response_at) else AS_OF
        return business_reference(row.created_at.to_pydatetime(), end.to_pydatetime(), "UTC", DESK) > 8 * 3600

    out["sla_breaches"] = share(t.apply(breached, axis=1))

    out["asa"] = answered.wait_seconds.dropna().mean()
    out["hold"] = answered.hold_seconds.dropna().mean()
    out["aht"] = (answered.talk_seconds + answered.hold_seconds + answered.wrap_seconds).dropna().mean() / 60
    out["talk_time"] = answered.talk_seconds.dropna().mean() / 60
    out["service_level"] = share(~offered.abandoned & (offered.wait_seconds <= 20))
    out["abandonment"] = share(offered.abandoned)
    out["blocked"] = share(c.blocked)

    offered_calls = c[~c.blocked]
    slots = ((offered_calls.queued_at - pd.Timestamp(0)).dt.total_seconds() // 1800).nunique()
    full_aht = (answered.talk_seconds + answered.hold_seconds + answered.wrap_seconds).dropna()
    load = len(offered_calls) / slots * full_aht.mean() / 1800
    out["offered_load"] = load
    out["agents_needed"] = math.ceil(factorial_agents(Fraction(load), full_aht.mean(), 20, 0.8) / 0.7 - 1e-9)
    out["service_rate"] = 3600 / ((answered.talk_seconds + answered.hold_seconds).dropna().mean() + 30)
    out["occupancy"] = 100 * full_aht.sum() / (2 * slots * 1800)

    out["resolution_rate"] = share(t.resolved_at.notna() & (t.resolved_at <= AS_OF))
    fcr = resolved.dropna(subset=["contacts"])
    out["fcr"] = share((fcr.contacts == 1) & ~fcr.reopened)
    rfc = answered.dropna(subset=["resolved_first_contact"])
    out["fcr_calls"] = share(rfc.resolved_first_contact.astype(bool))
    out["contacts_to_resolution"] = resolved.contacts.dropna().mean()
    out["reopens"] = share(resolved.reopened)
    out["escalations"] = share(t.escalated)

    def scores(kind: str) -> pd.Series:
        return s[s.kind == kind].score.dropna()

    out["csat"] = share(scores("csat") >= 4)
    nps = scores("nps")
    out["nps"] = 100 * ((nps >= 9).sum() - (nps <= 6).sum()) / len(nps)
    out["ces"] = scores("ces").mean()
    out["iqs"] = 100 * reviews.score.sum() / reviews.max_score.sum()
    out["servqual_gap"] = (sq.perception - sq.expectation).mean()
    responsiveness = sq[sq.dimension == "responsiveness"]
    out["responsiveness_gap"] = (responsiveness.perception - responsiveness.expectation).mean()
    out["kb_reads"] = len(kb)
    out["top_article_reads"] = (kb.article_id == 1).sum()
    out["kb_read_time"] = kb.read_seconds.dropna().median()
    followed = kb.dropna(subset=["contacted_after"])
    out["deflection"] = share(~followed.contacted_after.astype(bool))

    def active(frame, moment, start="started_at", end="ended_at", inclusive_start=False):
        began = frame[start] <= moment if inclusive_start else frame[start] < moment
        return began & (frame[end].isna() | (frame[end] >= moment if not inclusive_start else frame[end] > moment))

    cohort = customers[active(customers, START)]
    left = (cohort.ended_at < END).sum()
    out["churn"] = 100 * left / len(cohort)
    new = ((customers.started_at >= START) & (customers.started_at < END)).sum()
    out["retention"] = 100 * (active(customers, END).sum() - new) / len(cohort)
    joined = within(customers, "started_at", Q_START, END).dropna(subset=["referred"])
    out["referrals"] = share(joined.referred.astype(bool))
    out["clv"] = cohort.revenue.dropna().mean() * 0.7 / (left / len(cohort))

    staff = scores("agent")
    out["agent_satisfaction"] = 100 * ((staff >= 9).sum() - (staff <= 6).sum()) / len(staff)
    headcount = (
        active(agents, Q_START, "hired_at", "left_at", True).sum()
        + active(agents, END, "hired_at", "left_at", True).sum()
    ) / 2
    out["promotions"] = 100 * within(agents, "promoted_at", Q_START, END).shape[0] / headcount
    out["attrition"] = 100 * within(agents, "left_at", Q_START, END).shape[0] / headcount
    return out


def test_every_support_kpi_matches_pandas(run):
    card, data = run
    reference = expected(data)
    config_kpis = {m["calc"] for m in card.values()}
    from kpiframe.packs.support import KPIS

    assert {k.name for k in KPIS} <= config_kpis, "configs/support.yaml must use every KPI of the pack"
    assert set(reference) == set(card)
    for metric, value in reference.items():
        assert card[metric]["status"] != "error", (metric, card[metric]["reason"])
        assert card[metric]["value"] == pytest.approx(float(value), rel=1e-9, abs=1e-9), metric


def test_support_kpis_run_in_few_queries(run):
    card, _ = run
    assert len(card) == 46
