"""Support KPIs on hand-made data: nulls, empty windows, single rows, data errors, text flags."""

from __future__ import annotations

import math
from datetime import datetime

import pytest

import kpiframe
from conftest import AS_OF, write_parquet

T = datetime
TICKETS = [
    {
        "id": 1,
        "created_at": T(2026, 2, 2, 9),
        "first_response_at": T(2026, 2, 2, 9, 30),
        "resolved_at": T(2026, 2, 2, 12),
        "contacts": 1,
        "reopened": False,
        "escalated": "N",
    },
    {
        "id": 2,
        "created_at": T(2026, 2, 3, 9),
        "first_response_at": T(2026, 2, 3, 8),
        "resolved_at": T(2026, 2, 3, 10),
        "contacts": 2,
        "reopened": None,
        "escalated": "Y",
    },  # responded before created: a data error
    {
        "id": 3,
        "created_at": T(2026, 2, 4, 9),
        "first_response_at": None,
        "resolved_at": None,
        "contacts": None,
        "reopened": None,
        "escalated": None,
    },
    {
        "id": 4,
        "created_at": T(2026, 2, 5, 9),
        "first_response_at": T(2026, 2, 5, 11),
        "resolved_at": T(2026, 2, 6, 9),
        "contacts": 1,
        "reopened": True,
        "escalated": "n",
    },
]
SURVEYS = [
    {"answered_at": T(2026, 2, 2), "kind": "csat", "score": 5},
    {"answered_at": T(2026, 2, 2), "kind": "csat", "score": None},
    {"answered_at": T(2026, 2, 3), "kind": "csat", "score": 3},
    {"answered_at": T(2026, 2, 3), "kind": "nps", "score": 10},
    {"answered_at": T(2026, 2, 4), "kind": "nps", "score": 9},
    {"answered_at": T(2026, 2, 4), "kind": "nps", "score": 0},
    {"answered_at": T(2026, 2, 4), "kind": "nps", "score": 7},
]

CONFIG = """
version: 1
window: {{last: 30d}}
sources:
  tickets: {{connector: parquet, path: {tickets}, time: created_at}}
  surveys: {{connector: parquet, path: {surveys}, time: answered_at}}
metrics:
  frt: {{calc: support.first_response_time, source: tickets, params: {{unit: min}}}}
  frt_single: {{calc: support.first_response_time, source: tickets, where: "id == 4", params: {{stat: p90, unit: h}}}}
  frt_empty: {{calc: support.first_response_time, source: tickets, window: {{last: 1h}}}}
  volume_empty: {{calc: support.ticket_volume, source: tickets, window: {{last: 1h}}}}
  escalations: {{calc: support.escalation_rate, source: tickets}}
  fcr: {{calc: support.first_contact_resolution, source: tickets}}
  reopens: {{calc: support.reopen_rate, source: tickets}}
  csat: {{calc: support.csat, source: surveys}}
  csat_strict: {{calc: support.csat, source: surveys, params: {{positive_from: 5}}, target: ">= 60%", confidence: significant}}
  nps: {{calc: support.nps, source: surveys}}
  backlog: {{calc: support.backlog, source: tickets}}
"""


@pytest.fixture(scope="module")
def card(tmp_path_factory):
    folder = tmp_path_factory.mktemp("edges")
    config = folder / "kpis.yaml"
    config.write_text(
        CONFIG.format(
            tickets=write_parquet(folder / "t.parquet", TICKETS), surveys=write_parquet(folder / "s.parquet", SURVEYS)
        )
    )
    return kpiframe.run(config, as_of=AS_OF)


def test_negative_durations_are_reported_not_averaged(card):
    frt = card.metric("frt")
    assert frt.value == pytest.approx((30 + 120) / 2)  # tickets 1 and 4; ticket 2 is a data error
    assert frt.n == 2
    assert frt.details == {"negative": 1, "unanswered": 1}


def test_a_single_row_is_its_own_percentile(card):
    assert card.metric("frt_single").value == pytest.approx(2.0) and card.metric("frt_single").n == 1


def test_an_empty_window_is_no_data_for_rates_and_zero_for_counts(card):
    assert card.metric("frt_empty").status == "no_data" and card.metric("frt_empty").value is None
    assert card.metric("volume_empty").value == 0


def test_text_flags_and_nulls(card):
    escalations = card.metric("escalations")
    assert escalations.value == pytest.approx(100 / 3) and escalations.n == 3  # Y, N, n; the null left out


def test_fcr_and_reopens_on_resolved_tickets(card):
    # resolved: 1 (1 contact, not reopened), 2 (2 contacts), 4 (1 contact, reopened)
    assert card.metric("fcr").value == pytest.approx(100 / 3) and card.metric("fcr").n == 3
    assert (
        card.metric("reopens").value == pytest.approx(50.0) and card.metric("reopens").n == 2
    )  # ticket 2's flag is unknown


def test_csat_leaves_blank_answers_out_and_reports_a_wilson_interval(card):
    csat = card.metric("csat")
    assert csat.value == pytest.approx(50.0) and csat.n == 2
    z = 1.959963984540054
    centre, half = (0.5 + z * z / 4) / (1 + z * z / 2), z * math.sqrt(0.25 / 2 + z * z / 16) / (1 + z * z / 2)
    assert csat.interval == pytest.approx((100 * (centre - half), 100 * (centre + half)))


def test_confidence_significant_passes_a_shortfall_the_sample_cannot_show(card):
    strict = card.metric("csat_strict")
    assert strict.value == pytest.approx(50.0)  # below 60%...
    assert strict.status == "pass"  # ...but with n = 2 the interval reaches far above it
    assert "within the noise" in strict.reason


def test_nps_and_its_interval(card):
    nps = card.metric("nps")
    # promoters 10, 9; detractor 0; passive 7: (2 - 1) / 4
    assert nps.value == pytest.approx(25.0) and nps.n == 4
    p, d, n = 0.5, 0.25, 4
    half = 100 * 1.959963984540054 * math.sqrt((p + d - (p - d) ** 2) / n)
    assert nps.interval == pytest.approx((25 - half, min(100.0, 25 + half)))


def test_backlog_is_a_snapshot_at_as_of(card):
    assert card.metric("backlog").value == 1  # only ticket 3 is unresolved at as-of
    assert card.metric("backlog").window.start is not None  # the window is reported, but not applied


def test_a_missing_role_names_the_kpi_the_role_and_the_columns(tmp_path, write_config):
    path = write_parquet(tmp_path / "t.parquet", [{"id": 1, "opened": T(2026, 2, 2), "first_reply": T(2026, 2, 2, 1)}])
    config = write_config(
        f"version: 1\nwindow: all\nsources:\n  t: {{connector: parquet, path: {path}}}\nmetrics:\n  frt: {{calc:"
        " support.first_response_time, source: t}\n"
    )
    with pytest.raises(kpiframe.ConfigError) as caught:
        kpiframe.run(config, as_of=AS_OF)
    text = str(caught.value)
    assert "metrics.frt.calc: support.first_response_time needs the role 'created_at'" in text
    assert "its columns: id, opened, first_reply" in text and "columns: {created_at: <column" in text


def test_mean_durations_carry_a_t_interval_and_significance_uses_it(card):
    frt = card.metric("frt")  # 30 and 120 minutes: mean 75, sample sd 63.64, t(0.975, 1) = 12.706
    half = 12.706 * math.sqrt(((30 - 75) ** 2 + (120 - 75) ** 2) / 1) / math.sqrt(2)
    assert frt.interval == pytest.approx((75 - half, 75 + half), rel=1e-9)
