"""kpiframe-zendesk, tested with kpiframe's plugin test kit and a fake Zendesk on 127.0.0.1."""

from __future__ import annotations

import base64
from datetime import UTC, datetime

import pytest
from kpiframe_zendesk import ZendeskConnector

import kpiframe
from kpiframe.testing import ConnectorContract, FakeApi

TOKEN = "zd-api-token-0123"
AUTH = "Basic " + base64.b64encode(f"agent@acme.test/token:{TOKEN}".encode()).decode()


def ticket(i: int, created: str, updated: str, channel: str, status: str = "solved", score: str = "unoffered") -> dict:
    """A ticket in the shape of Zendesk's ticket JSON (the fields the preset reads, and some others)."""
    return {
        "url": f"https://acme.zendesk.com/api/v2/tickets/{i}.json",
        "id": i,
        "created_at": created,
        "updated_at": updated,
        "type": "question",
        "subject": f"Ticket {i}",
        "status": status,
        "priority": "normal",
        "requester_id": 9000 + i,
        "assignee_id": 500 + i % 2,
        "group_id": 360001,
        "via": {"channel": channel, "source": {"from": {}, "to": {}, "rel": None}},
        "satisfaction_rating": {"score": score},
        "tags": [],
    }


def metric_set(i: int, reply: int | None, resolution: int | None, solved: str | None, reopens: int = 0) -> dict:
    return {
        "url": f"https://acme.zendesk.com/api/v2/ticket_metrics/{i}.json",
        "id": 100 + i,
        "ticket_id": i,
        "reply_time_in_minutes": {"calendar": reply, "business": reply},
        "full_resolution_time_in_minutes": {"calendar": resolution, "business": resolution},
        "first_resolution_time_in_minutes": {"calendar": resolution, "business": resolution},
        "solved_at": solved,
        "reopens": reopens,
        "replies": 1,
    }


PAGES = [
    {
        "tickets": [
            ticket(1, "2026-02-02T09:00:00Z", "2026-02-02T10:00:00Z", "email", score="good"),
            ticket(2, "2026-02-03T09:00:00Z", "2026-02-03T12:00:00Z", "web", score="bad"),
        ],
        "metric_sets": [
            metric_set(1, 30, 60, "2026-02-02T10:00:00Z"),
            metric_set(2, 120, 180, "2026-02-03T12:00:00Z", reopens=1),
        ],
        "after_cursor": "c1",
        "before_cursor": None,
        "end_of_stream": False,
    },
    {
        # ticket 2 again, updated since: the newest version is kept
        "tickets": [
            ticket(2, "2026-02-03T09:00:00Z", "2026-02-04T08:00:00Z", "web", score="bad"),
            ticket(3, "2026-02-05T09:00:00Z", "2026-02-05T09:30:00Z", "chat", status="open", score="offered"),
        ],
        "metric_sets": [metric_set(2, 120, 1380, "2026-02-04T08:00:00Z", reopens=1), metric_set(3, 15, None, None)],
        "after_cursor": "c2",
        "before_cursor": "c1",
        "end_of_stream": True,
    },
]


class Zendesk:
    def __init__(self) -> None:
        self.url = ""
        self.calls = 0

    def __call__(self, path, query, headers):
        self.calls += 1
        if headers.get("Authorization") != AUTH:
            return 401, {}, {"error": "Couldn't authenticate you"}
        if path != "/api/v2/incremental/tickets/cursor.json" or query.get("include") != "metric_sets":
            return 404, {}, {"error": "InvalidEndpoint"}
        if self.calls == 2:  # a rate limit in the middle of the export
            return 429, {"Retry-After": "0"}, {"error": "APIRateLimitExceeded"}
        page = 1 if query.get("cursor") == "c1" else 0
        body = dict(PAGES[page])
        body["after_url"] = f"{self.url}/api/v2/incremental/tickets/cursor.json?cursor=c{page + 1}&include=metric_sets"
        return 200, {}, body


@pytest.fixture
def zendesk():
    routes = Zendesk()
    with FakeApi(routes) as api:
        routes.url = api.url
        yield api


def test_the_export_is_read_whole_with_metrics_and_no_duplicates(zendesk):
    records = ZendeskConnector().fetch(
        {"url": zendesk.url, "email": "agent@acme.test", "api_token": TOKEN, "start_time": "2026-01-01"}
    )
    assert sorted(r["id"] for r in records) == [1, 2, 3]
    two = next(r for r in records if r["id"] == 2)
    assert (
        two["updated_at"] == "2026-02-04T08:00:00Z"
        and two["metric_set"]["full_resolution_time_in_minutes"]["calendar"] == 1380
    )
    first = zendesk.requests[0]
    assert first[1]["start_time"] == str(int(datetime(2026, 1, 1, tzinfo=UTC).timestamp()))


def test_support_kpis_on_zendesk_with_the_preset(zendesk, tmp_path, monkeypatch):
    monkeypatch.setenv("ZENDESK_API_TOKEN", TOKEN)
    config = tmp_path / "kpis.yaml"
    config.write_text(
        f"version: 1\nwindow: {{last: 30d}}\nsources:\n  zd: {{connector: zendesk, url: '{zendesk.url}', email:"
        " agent@acme.test, api_token: '${ZENDESK_API_TOKEN}', start_time: '2026-01-01', preset:"
        " zendesk}\nmetrics:\n  frt: {calc: support.first_response_time, source: zd, params: {unit: min}}\n  ttr:"
        " {calc: support.time_to_resolution, source: zd, params: {unit: h}}\n  csat: {calc: support.csat, source:"
        " zd, params: {kind: any}}\n  reopens: {calc: support.reopen_rate, source: zd}\n  web: {calc:"
        " support.volume_by_channel, source: zd, params: {channel: web}}\n"
    )
    card = kpiframe.run(config, as_of=datetime(2026, 3, 1, tzinfo=UTC))
    assert card.metric("frt").value == pytest.approx((30 + 120 + 15) / 3)
    assert card.metric("ttr").value == pytest.approx((1 + 23) / 2)  # 60 min and 1,380 min, for the two solved
    assert card.metric("csat").value == pytest.approx(50.0) and card.metric("csat").n == 2
    assert card.metric("reopens").value == pytest.approx(50.0)
    assert card.metric("web").value == 1
    assert TOKEN not in card.to_json()


class TestZendeskConnectorContract(ConnectorContract):
    connector = ZendeskConnector()
    columns = {"id", "created_at", "status", "via", "metric_set"}
    secrets = [TOKEN, "wrong-token-xyz"]

    @pytest.fixture(autouse=True)
    def _server(self, zendesk):
        self.api = zendesk

    def params(self, tmp_path):
        return {"url": self.api.url, "email": "agent@acme.test", "api_token": TOKEN, "start_time": 1767225600}

    def bad_params(self, tmp_path):
        return {
            "url": self.api.url,
            "email": "agent@acme.test",
            "api_token": "wrong-token-xyz",
            "start_time": 1767225600,
        }
