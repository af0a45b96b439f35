"""Presets: a small fixture in each tool's export format, with KPIs worked out by hand."""

from __future__ import annotations

import json
from datetime import UTC, datetime

import pytest

import kpiframe
from conftest import AS_OF


def zendesk_ticket(i, created, reply_min, resolution_min, solved, reopens, score, channel, assignee):
    """One ticket as Zendesk's incremental export returns it with `include=metric_sets`."""
    return {
        "id": i,
        "created_at": created,
        "status": "solved" if solved else "open",
        "priority": "normal",
        "via": {"channel": channel, "source": {"rel": None}},
        "assignee_id": assignee,
        "group_id": 360001,
        "requester_id": 9000 + i,
        "satisfaction_rating": {"score": score},
        "metric_set": {
            "ticket_id": i,
            "reply_time_in_minutes": {"calendar": reply_min, "business": reply_min},
            "full_resolution_time_in_minutes": {"calendar": resolution_min, "business": resolution_min},
            "solved_at": solved,
            "reopens": reopens,
            "replies": 1,
        },
    }


def test_zendesk(tmp_path, write_config):
    rows = [
        zendesk_ticket(1, "2026-02-02T09:00:00Z", 30, 240, "2026-02-02T13:00:00Z", 0, "good", "email", 501),
        zendesk_ticket(2, "2026-02-03T10:00:00Z", 90, 1440, "2026-02-04T10:00:00Z", 1, "bad", "web", 502),
        zendesk_ticket(3, "2026-02-05T11:00:00Z", None, None, None, 0, "offered", "email", None),
        zendesk_ticket(4, "2026-02-06T12:00:00Z", 15, 60, "2026-02-06T13:00:00Z", 0, "unoffered", "chat", 501),
    ]
    (tmp_path / "tickets.jsonl").write_text("\n".join(json.dumps(r) for r in rows) + "\n")
    config = write_config("""
        version: 1
        window: {last: 30d}
        sources:
          zd: {connector: jsonl, path: tickets.jsonl, preset: zendesk}
        metrics:
          frt: {calc: support.first_response_time, source: zd, params: {unit: min}}
          ttr: {calc: support.time_to_resolution, source: zd, params: {unit: h}}
          csat: {calc: support.csat, source: zd, params: {kind: any}}
          reopens: {calc: support.reopen_rate, source: zd}
          email: {calc: support.volume_by_channel, source: zd, params: {channel: email}}
          per_agent: {calc: support.conversations_per_teammate, source: zd}
        """)
    card = kpiframe.run(config, as_of=AS_OF)
    assert card.metric("frt").value == pytest.approx((30 + 90 + 15) / 3)
    assert card.metric("frt").details["unanswered"] == 1
    assert card.metric("ttr").value == pytest.approx((4 + 24 + 1) / 3)
    csat = card.metric("csat")
    assert csat.value == pytest.approx(50.0) and csat.n == 2  # good and bad only; offered/unoffered are not answers
    assert card.metric("reopens").value == pytest.approx(100 / 3)
    assert card.metric("email").value == 2
    assert card.metric("per_agent").value == pytest.approx(3 / 2)


FRESHDESK_HEADER = [
    "Ticket ID",
    "Subject",
    "Status",
    "Priority",
    "Source",
    "Type",
    "Agent",
    "Group",
    "Created time",
    "Due by Time",
    "Resolved time",
    "Closed time",
    "Last update time",
    "Initial response time",
    "Time tracked",
    "First response time (in hrs)",
    "Resolution time (in hrs)",
    "Agent interactions",
    "Customer interactions",
    "Resolution status",
    "First response status",
    "Tags",
    "Survey results",
    "Product",
    "Company",
    "Full name",
    "Contact ID",
]


def test_freshdesk(tmp_path, write_config):
    rows = [
        [
            101,
            "Login",
            "Closed",
            "Medium",
            "Email",
            "Question",
            "Ana",
            "Tier 1",
            "2026-02-02 09:00:00",
            "2026-02-03 09:00:00",
            "2026-02-02 15:00:00",
            "2026-02-03 15:00:00",
            "2026-02-03 15:00:00",
            "2026-02-02 10:30:00",
            "00:20",
            "1.5",
            "6.0",
            "2",
            "1",
            "Within SLA",
            "Within SLA",
            "",
            "",
            "App",
            "Acme",
            "Jo Doe",
            "77",
        ],
        [
            102,
            "Refund",
            "Resolved",
            "High",
            "Phone",
            "Incident",
            "Ben",
            "Billing",
            "2026-02-04 12:00:00",
            "2026-02-05 12:00:00",
            "2026-02-05 12:00:00",
            "",
            "2026-02-05 12:00:00",
            "2026-02-04 12:15:00",
            "01:00",
            "0.25",
            "24.0",
            "3",
            "3",
            "SLA Violated",
            "Within SLA",
            "refund",
            "",
            "App",
            "Acme",
            "Al Roe",
            "78",
        ],
        [
            103,
            "Bug",
            "Open",
            "Low",
            "Portal",
            "Problem",
            "",
            "Tier 1",
            "2026-02-06 08:00:00",
            "2026-02-07 08:00:00",
            "",
            "",
            "2026-02-06 08:00:00",
            "",
            "",
            "",
            "",
            "0",
            "1",
            "",
            "",
            "",
            "",
            "App",
            "Initech",
            "Mo Poe",
            "79",
        ],
    ]
    import csv

    with open(tmp_path / "freshdesk.csv", "w", newline="") as handle:
        writer = csv.writer(handle)
        writer.writerow(FRESHDESK_HEADER)
        writer.writerows(rows)
    config = write_config("""
        version: 1
        window: {last: 30d}
        sources:
          fd: {connector: csv, path: freshdesk.csv, preset: freshdesk}
        metrics:
          frt: {calc: support.first_response_time, source: fd, params: {unit: min}}
          ttr: {calc: support.time_to_resolution, source: fd, params: {unit: h}}
          fcr: {calc: support.first_contact_resolution, source: fd}
          resolution_rate: {calc: support.resolution_rate, source: fd}
          phone: {calc: support.volume_by_channel, source: fd, params: {channel: phone}}
        """)
    card = kpiframe.run(config, as_of=AS_OF)
    # first_response_at is in the export, so the timestamps are used: 90 min and 15 min.
    assert card.metric("frt").value == pytest.approx((90 + 15) / 2)
    assert card.metric("ttr").value == pytest.approx((6 + 24) / 2)
    assert card.metric("fcr").value == pytest.approx(50.0)  # 1 customer interaction vs 3
    assert card.metric("resolution_rate").value == pytest.approx(200 / 3)
    assert card.metric("phone").value == 1


def unix(text: str) -> int:
    return int(datetime.fromisoformat(text).replace(tzinfo=UTC).timestamp())


def test_intercom(tmp_path, write_config):
    def conversation(i, created, first_reply, closed, state, reopens, rating, kind):
        return {
            "type": "conversation",
            "id": str(i),
            "created_at": unix(created),
            "state": state,
            "priority": "not_priority",
            "admin_assignee_id": 814860 if first_reply else None,
            "team_assignee_id": 5017691,
            "source": {"type": kind, "delivered_as": "customer_initiated"},
            "statistics": {
                "type": "conversation_statistics",
                "first_admin_reply_at": unix(first_reply) if first_reply else None,
                "last_close_at": unix(closed) if closed else None,
                "count_reopens": reopens,
            },
            "conversation_rating": {"rating": rating} if rating else None,
        }

    rows = [
        conversation(
            1, "2026-02-02T09:00:00", "2026-02-02T09:04:00", "2026-02-02T10:00:00", "closed", 0, 5, "conversation"
        ),
        conversation(2, "2026-02-03T09:00:00", "2026-02-03T09:20:00", "2026-02-03T11:00:00", "open", 1, 2, "email"),
        conversation(3, "2026-02-04T09:00:00", None, None, "open", 0, None, "conversation"),
    ]
    (tmp_path / "conversations.jsonl").write_text("\n".join(json.dumps(r) for r in rows) + "\n")
    config = write_config("""
        version: 1
        window: {last: 30d}
        sources:
          ic: {connector: jsonl, path: conversations.jsonl, preset: intercom}
        metrics:
          frt: {calc: support.first_response_time, source: ic, params: {stat: median, unit: min}}
          resolution_rate: {calc: support.resolution_rate, source: ic}
          csat: {calc: support.csat, source: ic}
          backlog: {calc: support.backlog, source: ic}
        """)
    card = kpiframe.run(config, as_of=AS_OF)
    assert card.metric("frt").value == pytest.approx(12.0)  # median of 4 and 20 minutes
    assert card.metric("resolution_rate").value == pytest.approx(100 / 3)  # only the closed one counts
    assert card.metric("csat").value == pytest.approx(50.0) and card.metric("csat").n == 2
    assert card.metric("backlog").value == 2


def test_call_log(tmp_path, write_config):
    (tmp_path / "calls.csv").write_text(
        "Call ID,Queue,Agent,Start Time,Answer Time,End Time,Hold Time,Wrap Time,Disposition\n"
        "c1,Sales,ann,2026-02-02 09:00:00,2026-02-02 09:00:10,2026-02-02 09:05:10,30,20,Answered\n"
        "c2,Sales,bob,2026-02-02 09:01:00,2026-02-02 09:01:40,2026-02-02 09:03:40,0,10,Answered\n"
        "c3,Sales,,2026-02-02 09:02:00,,2026-02-02 09:02:50,,,Abandoned\n"
        "c4,Sales,,2026-02-02 09:03:00,,,,,Blocked\n"
    )
    config = write_config("""
        version: 1
        window: {last: 30d}
        sources:
          acd: {connector: csv, path: calls.csv, preset: call_log}
        metrics:
          asa: {calc: support.average_speed_of_answer, source: acd}
          aht: {calc: support.average_handle_time, source: acd, params: {unit: s}}
          sl: {calc: support.service_level, source: acd}
          abandon: {calc: support.abandonment_rate, source: acd}
          blocked: {calc: support.blocked_calls, source: acd}
        """)
    card = kpiframe.run(config, as_of=AS_OF)
    assert card.metric("asa").value == pytest.approx((10 + 40) / 2)
    # talk = end − answer − hold: 270 and 120; + hold + wrap: 320 and 130
    assert card.metric("aht").value == pytest.approx((320 + 130) / 2)
    assert card.metric("sl").value == pytest.approx(100 / 3)  # c1 within 20 s, of c1, c2, c3 offered
    assert card.metric("abandon").value == pytest.approx(100 / 3)
    assert card.metric("blocked").value == pytest.approx(25.0)


def test_a_preset_role_the_export_lacks_is_explained(tmp_path, write_config):
    (tmp_path / "calls.csv").write_text("Call ID,Start Time,Disposition\nc1,2026-02-02 09:00:00,Answered\n")
    config = write_config(
        "version: 1\nwindow: all\nsources:\n  acd: {connector: csv, path: calls.csv, preset: call_log}\nmetrics:\n "
        " asa: {calc: support.average_speed_of_answer, source: acd}\n"
    )
    with pytest.raises(
        kpiframe.ConfigError,
        match=(
            r"needs the role 'wait_seconds', which source 'acd' does not provide: preset 'call_log' maps it to .* but"
            r" unknown column 'Answer Time'"
        ),
    ):
        kpiframe.run(config, as_of=AS_OF)


def test_a_config_mapping_overrides_the_preset(tmp_path, write_config):
    (tmp_path / "calls.csv").write_text(
        "Call ID,Start Time,Queue Wait,Disposition\nc1,2026-02-02 09:00:00,12,Answered\nc2,2026-02-02"
        " 09:05:00,30,Answered\n"
    )
    config = write_config(
        "version: 1\nwindow: all\nsources:\n  acd: {connector: csv, path: calls.csv, preset: call_log, columns:"
        " {wait_seconds: '`Queue Wait`'}}\nmetrics:\n  asa: {calc: support.average_speed_of_answer, source: acd}\n"
    )
    assert kpiframe.run(config, as_of=AS_OF).metric("asa").value == pytest.approx(21.0)


def test_unknown_preset_is_a_config_error(write_config):
    config = write_config(
        "version: 1\nsources:\n  s: {connector: csv, path: x.csv, preset: zendsk}\nmetrics:\n  n: {calc: count, source:"
        " s}\n"
    )
    with pytest.raises(kpiframe.ConfigError, match="unknown preset 'zendsk' \\(did you mean 'zendesk'\\?\\)"):
        kpiframe.load_config(config)
