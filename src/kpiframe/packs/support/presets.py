"""Presets: how common helpdesk and contact-centre exports map onto the support pack's roles.

Each preset is written against the export's documented format; the tests build a
small fixture in that format and check the KPIs by hand.
"""

from __future__ import annotations

from kpiframe.contracts import Preset

ZENDESK = Preset(
    name="zendesk",
    description=(
        "Zendesk tickets as JSON lines, as the incremental ticket export returns them with "
        "metric sets sideloaded (`/api/v2/incremental/tickets/cursor.json?include=metric_sets`): "
        "durations come from metric_set's calendar minutes."
    ),
    columns={
        "ticket_id": "id",
        "created_at": "created_at",
        "status": "status",
        "priority": "priority",
        "channel": "via.channel",
        "agent": "assignee_id",
        "team": "group_id",
        "customer_id": "requester_id",
        "first_response_seconds": "metric_set.reply_time_in_minutes.calendar * 60",
        "resolution_seconds": "metric_set.full_resolution_time_in_minutes.calendar * 60",
        "resolved_at": "metric_set.solved_at",
        "reopened": "metric_set.reopens",
        # "offered" and "unoffered" are not answers: only good and bad are.
        "score": "if(satisfaction_rating.score in ['good', 'bad'], satisfaction_rating.score, null)",
    },
    time="created_at",
)

FRESHDESK = Preset(
    name="freshdesk",
    description="Freshdesk's ticket export (Tickets → Export, CSV): times as text, durations in hours.",
    columns={
        "ticket_id": "`Ticket ID`",
        "created_at": "`Created time`",
        "first_response_at": "`Initial response time`",
        "resolved_at": "`Resolved time`",
        "status": "Status",
        "priority": "Priority",
        "channel": "Source",
        "agent": "Agent",
        "team": "`Group`",
        "customer_id": "`Contact ID`",
        "contacts": "`Customer interactions`",
        "first_response_seconds": "`First response time (in hrs)` * 3600",
        "resolution_seconds": "`Resolution time (in hrs)` * 3600",
    },
    time="created_at",
)

INTERCOM = Preset(
    name="intercom",
    description=(
        "Intercom conversations as JSON lines, one conversation object of the REST API per line "
        "(times in Unix seconds; statistics and conversation_rating as the API returns them)."
    ),
    columns={
        "ticket_id": "id",
        "created_at": "from_unix(created_at)",
        "first_response_at": "from_unix(statistics.first_admin_reply_at)",
        "resolved_at": "if(state == 'closed', from_unix(statistics.last_close_at), null)",
        "status": "state",
        "priority": "priority",
        "channel": "source.type",
        "agent": "admin_assignee_id",
        "team": "team_assignee_id",
        "reopened": "statistics.count_reopens",
        "score": "conversation_rating.rating",
    },
    time="created_at",
)

CALL_LOG = Preset(
    name="call_log",
    description=(
        "A contact-centre ACD call log with one row per call: Call ID, Queue, Agent, Start Time, "
        "Answer Time, End Time, Hold Time and Wrap Time (seconds), Disposition "
        "(Answered, Abandoned or Blocked)."
    ),
    columns={
        "call_id": "`Call ID`",
        "queue": "Queue",
        "agent": "Agent",
        "queued_at": "`Start Time`",
        "answered_at": "`Answer Time`",
        "ended_at": "`End Time`",
        "wait_seconds": "seconds(coalesce(`Answer Time`, `End Time`)) - seconds(`Start Time`)",
        "talk_seconds": "seconds(`End Time`) - seconds(`Answer Time`) - `Hold Time`",
        "hold_seconds": "`Hold Time`",
        "wrap_seconds": "`Wrap Time`",
        "abandoned": "lower(Disposition) == 'abandoned'",
        "blocked": "lower(Disposition) == 'blocked'",
    },
    time="queued_at",
)

PRESETS = [ZENDESK, FRESHDESK, INTERCOM, CALL_LOG]
