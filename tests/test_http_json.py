"""http_json against a local server: pagination, retries, Retry-After, timeouts, malformed answers."""

from __future__ import annotations

import time
from collections import Counter

import pytest

import kpiframe
from conftest import AS_OF
from kpiframe.connectors.http_json import HttpJsonConnector
from kpiframe.errors import SourceError
from kpiframe.testing import ConnectorContract, FakeApi

ITEMS = [
    {"id": i, "channel": ["email", "chat"][i % 2], "wait": float(i), "via": {"channel": "web"}} for i in range(1, 26)
]


def pages(size: int = 10) -> list[list[dict]]:
    return [ITEMS[i : i + size] for i in range(0, len(ITEMS), size)]


class Api:
    """Routes of the fake API; `calls` counts requests per path for the fault cases."""

    def __init__(self) -> None:
        self.calls: Counter[str] = Counter()

    def __call__(self, path: str, query: dict[str, str], headers: dict[str, str]):
        self.calls[path] += 1
        n = self.calls[path]
        if path == "/paged":
            page = int(query.get("page", 1))
            return 200, {}, {"data": {"items": pages()[page - 1] if page <= 3 else []}}
        if path == "/cursor":
            index = int(query.get("cursor", 0))
            return 200, {}, {"records": pages()[index], "meta": {"next": str(index + 1) if index < 2 else None}}
        if path == "/linked":
            index = int(query.get("p", 0))
            links = {"Link": f'</linked?p={index + 1}>; rel="next"'} if index < 2 else {}
            return 200, links, pages()[index]
        if path == "/flaky":  # 500, then 429 with Retry-After, then the pages
            if n == 1:
                return 500, {}, {"error": "boom"}
            if n == 2:
                return 429, {"Retry-After": "1"}, {"error": "slow down"}
            index = int(query.get("cursor", 0))
            if n == 4:  # a failure in the middle of the stream: the page is asked again, not lost
                return 503, {}, "unavailable"
            return (
                200,
                {},
                {"records": pages()[index], "after": str(index + 1) if index < 2 else None, "end": index >= 2},
            )
        if path == "/slow":
            if n == 1:
                time.sleep(1.5)
            return 200, {}, ITEMS
        if path == "/malformed":
            return 200, {}, b"{not json"
        if path == "/auth":
            if headers.get("Authorization") != "Bearer tok-123456":
                return 401, {}, {"error": "unauthorized"}
            return 200, {}, ITEMS
        if path == "/forever":
            return 200, {}, {"records": [{"id": n}], "next": f"/forever?n={n}"}
        return 404, {}, {"error": "no route"}


@pytest.fixture
def api():
    routes = Api()
    with FakeApi(routes) as server:
        server.routes = routes
        yield server


def fetch(params):
    return HttpJsonConnector().fetch({"backoff": 0.01, **params})


def test_page_number_pagination(api):
    records = fetch(
        {"url": api.url + "/paged", "records": "data.items", "pagination": {"type": "page", "param": "page"}}
    )
    assert [r["id"] for r in records] == [r["id"] for r in ITEMS]


def test_cursor_pagination(api):
    records = fetch(
        {
            "url": api.url + "/cursor",
            "records": "records",
            "pagination": {"type": "cursor", "cursor": "meta.next", "param": "cursor"},
        }
    )
    assert [r["id"] for r in records] == [r["id"] for r in ITEMS]


def test_link_header_pagination(api):
    records = fetch({"url": api.url + "/linked", "pagination": {"type": "next_link"}})
    assert [r["id"] for r in records] == [r["id"] for r in ITEMS]


def test_retries_honour_retry_after_and_lose_or_duplicate_nothing(api):
    start = time.monotonic()
    records = fetch(
        {
            "url": api.url + "/flaky",
            "records": "records",
            "pagination": {"type": "cursor", "cursor": "after", "done": "end"},
        }
    )
    assert time.monotonic() - start >= 1.0  # waited as Retry-After asked
    ids = [r["id"] for r in records]
    assert ids == [r["id"] for r in ITEMS] and len(ids) == len(set(ids))


def test_a_slow_answer_times_out_and_is_retried(api):
    records = fetch({"url": api.url + "/slow", "timeout": 0.5})
    assert len(records) == len(ITEMS) and api.routes.calls["/slow"] == 2


def test_malformed_json_is_a_clear_error(api):
    with pytest.raises(SourceError, match=r"did not return JSON .* b'\{not json'"):
        fetch({"url": api.url + "/malformed"})


def test_a_page_cap_stops_with_an_error_not_silently(api):
    with pytest.raises(SourceError, match="stopped after max_pages=3"):
        fetch(
            {
                "url": api.url + "/forever",
                "records": "records",
                "pagination": {"type": "next_link", "next": "next"},
                "max_pages": 3,
            }
        )


def test_failures_give_up_with_the_reason(api):
    with pytest.raises(SourceError, match="HTTP 404"):
        fetch({"url": api.url + "/nothing"})
    with pytest.raises(SourceError, match=r"failed after 2 attempts: connection failed"):
        fetch({"url": "http://127.0.0.1:1/x", "retries": 1})


def test_a_config_with_a_secret_header(api, write_config, monkeypatch):
    monkeypatch.setenv("API_TOKEN", "tok-123456")
    config = write_config(
        f"version: 1\nwindow: all\nsources:\n  api: {{connector: http_json, url: '{api.url}/auth', headers:"
        " {Authorization: 'Bearer ${API_TOKEN}'}}\nmetrics:\n  n: {calc: count, source: api}\n  wait: {calc:"
        ' mean, source: api, params: {column: wait}}\n  web: {calc: count, source: api, where: "via.channel =='
        " 'web'\"}\n"
    )
    card = kpiframe.run(config, as_of=AS_OF)
    assert card.metric("n").value == 25 and card.metric("wait").value == 13.0 and card.metric("web").value == 25
    monkeypatch.setenv("API_TOKEN", "wrong-token-999")
    card = kpiframe.run(config, as_of=AS_OF)
    assert card.metric("n").status == "error" and "HTTP 401" in card.metric("n").reason
    assert "wrong-token-999" not in card.to_json()


class TestHttpJsonContract(ConnectorContract):
    """The plugin test kit's connector contract, on our own connector."""

    connector = HttpJsonConnector()
    columns = {"id", "channel", "wait"}
    secrets = ["tok-123456"]

    @pytest.fixture(autouse=True)
    def _server(self, api):
        self.api = api

    def params(self, tmp_path):
        return {"url": self.api.url + "/linked", "pagination": {"type": "next_link"}}

    def bad_params(self, tmp_path):
        return {"url": self.api.url + "/auth", "headers": {"Authorization": "Bearer tok-123456x"}, "retries": 0}
