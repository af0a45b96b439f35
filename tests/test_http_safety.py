"""The HTTP connector against hostile servers: credentials stay at home, links cannot
reach files or internal addresses, slow or huge answers are bounded, and a hostile
Link header costs linear time. Every server here is a real one on 127.0.0.1."""

from __future__ import annotations

import json
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import pytest

import kpiframe
from conftest import AS_OF
from kpiframe.connectors.http_json import link_next
from kpiframe.errors import SourceError
from kpiframe.http import MAX_RETRIES, Origin, UrlPolicy, get_json

Handler = Callable[[BaseHTTPRequestHandler], None]


@contextmanager
def serve(handle: Handler) -> Iterator[tuple[str, list[dict[str, str]]]]:
    """A server on 127.0.0.1 that records the headers of every request it gets."""
    seen: list[dict[str, str]] = []

    class Handle(BaseHTTPRequestHandler):
        def do_GET(self) -> None:
            seen.append({**dict(self.headers.items()), "path": self.path})
            handle(self)

        def log_message(self, *args: Any) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handle)
    server.daemon_threads = True
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}", seen
    finally:
        server.shutdown()
        server.server_close()


def send(handler: BaseHTTPRequestHandler, status: int, body: Any, headers: dict[str, str] | None = None) -> None:
    data = body if isinstance(body, bytes) else json.dumps(body).encode()
    handler.send_response(status)
    for key, value in {"Content-Type": "application/json", "Content-Length": str(len(data)), **(headers or {})}.items():
        handler.send_header(key, value)
    handler.end_headers()
    handler.wfile.write(data)


def records(handler: BaseHTTPRequestHandler) -> None:
    send(handler, 200, [{"id": 1, "channel": "email"}])


def config(write_config, url: str, extra: str = "") -> Any:
    return write_config(
        "version: 1\nwindow: all\nsources:\n"
        f"  api: {{connector: http_json, url: '{url}', headers: {{Authorization: 'Bearer ${{API_TOKEN}}'}}, "
        f"pagination: {{type: next_link, next: next}}, records: items, retries: 0{extra}}}\n"
        "metrics:\n  n: {calc: count, source: api}\n"
    )


def test_a_next_link_to_another_origin_is_refused_and_gets_no_credentials(write_config, monkeypatch):
    monkeypatch.setenv("API_TOKEN", "tok-secret-4242")
    with serve(lambda h: send(h, 200, {"items": [{"id": 2}], "next": None})) as (other, other_seen):
        with serve(lambda h: send(h, 200, {"items": [{"id": 1}], "next": f"{other}/page2"})) as (home, _):
            card = kpiframe.run(config(write_config, f"{home}/items"), as_of=AS_OF)
            assert card.metric("n").status == "error" and "allow_hosts" in card.metric("n").reason
            assert other_seen == []
            card = kpiframe.run(
                config(write_config, f"{home}/items", f", allow_hosts: ['{other.split('//')[1]}']"), as_of=AS_OF
            )
            assert card.metric("n").value == 2
    assert len(other_seen) == 1 and "Authorization" not in other_seen[0]


def test_a_redirect_to_another_origin_drops_the_credentials(write_config, monkeypatch):
    monkeypatch.setenv("API_TOKEN", "tok-secret-4242")
    with serve(lambda h: send(h, 200, {"items": [{"id": 1}], "next": None})) as (other, other_seen):
        redirect = lambda h: send(h, 302, b"", {"Location": f"{other}/moved"})  # noqa: E731
        with serve(redirect) as (home, home_seen):
            refused = kpiframe.run(config(write_config, f"{home}/items"), as_of=AS_OF)
            assert refused.metric("n").status == "error" and other_seen == []
            allowed = kpiframe.run(config(write_config, f"{home}/items", f", allow_hosts: ['{other}']"), as_of=AS_OF)
            assert allowed.metric("n").value == 1
    assert home_seen[0]["Authorization"] == "Bearer tok-secret-4242"
    assert "Authorization" not in other_seen[0]


@pytest.mark.parametrize(
    "link", ["file:///etc/passwd", "ftp://127.0.0.1/x", "gopher://127.0.0.1/", "data:text/plain,hi"]
)
def test_links_to_other_schemes_are_refused_and_their_content_never_shown(write_config, link, monkeypatch):
    monkeypatch.setenv("API_TOKEN", "tok-secret-4242")
    with serve(lambda h: send(h, 200, {"items": [{"id": 1}], "next": link})) as (home, _):
        card = kpiframe.run(config(write_config, f"{home}/items"), as_of=AS_OF)
    reason = card.metric("n").reason or ""
    assert card.metric("n").status == "error" and "only http and https" in reason and "root:" not in reason


def test_a_link_header_to_a_file_is_refused(write_config):
    handler = lambda h: send(h, 200, [{"id": 1}], {"Link": '<file:///etc/passwd>; rel="next"'})  # noqa: E731
    with serve(handler) as (home, _):
        path = write_config(
            f"version: 1\nwindow: all\nsources:\n  api: {{connector: http_json, url: '{home}/x', pagination: {{type:"
            " next_link}, retries: 0}\nmetrics:\n  n: {calc: count, source: api}\n"
        )
        card = kpiframe.run(path, as_of=AS_OF)
    assert card.metric("n").status == "error" and "only http and https" in card.metric("n").reason


@pytest.mark.parametrize(
    "address",
    ["169.254.169.254", "10.1.2.3", "192.168.0.1", "127.0.0.1", "::1", "::ffff:127.0.0.1", "fd00::1", "0.0.0.0"],
)
def test_a_public_api_cannot_send_kpiframe_to_internal_addresses(address):
    policy = UrlPolicy(Origin("https", "api.example.com", 443), frozenset({"internal.example.com"}))
    policy._resolved[("api.example.com", 443)] = ["93.184.216.34"]
    policy._resolved[("internal.example.com", 443)] = [address]
    assert policy.check("https://api.example.com/items")[1] == "93.184.216.34"
    with pytest.raises(SourceError, match="loopback, private or link-local"):
        policy.check("https://internal.example.com/latest/meta-data")


def test_a_configured_loopback_url_may_use_loopback():
    policy = UrlPolicy.for_url("http://127.0.0.1:8080/items")
    assert policy.private_ok and policy.check("http://127.0.0.1:8080/next")[2] is True


def test_a_server_that_drips_bytes_times_out_at_the_deadline():
    def drip(handler: BaseHTTPRequestHandler) -> None:
        handler.send_response(200)
        handler.send_header("Content-Length", "1000")
        handler.end_headers()
        try:
            for _ in range(40):
                handler.wfile.write(b" ")
                handler.wfile.flush()
                time.sleep(0.25)
        except OSError:
            pass

    with serve(drip) as (home, _):
        started = time.monotonic()
        with pytest.raises(SourceError, match="no complete answer within 1 s"):
            get_json(f"{home}/slow", timeout=1, retries=0)
        assert time.monotonic() - started < 5  # bounded by the deadline, not by the 10 s drip


def test_a_response_over_max_bytes_is_refused_without_reading_it_all():
    def huge(handler: BaseHTTPRequestHandler) -> None:
        handler.send_response(200)
        handler.end_headers()  # no Content-Length: streamed until the connection closes
        try:
            for _ in range(1000):
                handler.wfile.write(b"x" * 65536)
        except OSError:
            pass

    with serve(huge) as (home, _):
        with pytest.raises(SourceError, match="over max_bytes"):
            get_json(f"{home}/big", retries=0, max_bytes=1_000_000)
    with serve(lambda h: send(h, 200, b"[" + b"1," * 10 + b"1]", {"Content-Length": str(6 * 2**30)})) as (home, _):
        with pytest.raises(SourceError, match="6,442,450,944 bytes, over max_bytes"):
            get_json(f"{home}/declared", retries=0)


def test_retries_have_an_upper_bound(write_config):
    with serve(lambda h: send(h, 503, {"error": "down"})) as (home, seen):
        with pytest.raises(SourceError, match=f"after {MAX_RETRIES + 1} attempts"):
            get_json(f"{home}/x", retries=10_000, backoff=0, sleep=lambda s: None)
    assert len(seen) == MAX_RETRIES + 1
    path = write_config(
        f"version: 1\nwindow: all\nsources:\n  api: {{connector: http_json, url: '{home}/x', retries:"
        " 1000}\nmetrics:\n  n: {calc: count, source: api}\n"
    )
    with pytest.raises(kpiframe.ConfigError, match="retries"):
        kpiframe.load_config(path)


def test_a_hostile_link_header_is_parsed_in_linear_time():
    hostile = "<" + "a" * 60_000 + ">;" + " rel=" * 500  # backtracked for 23 s in the old regular expression
    started = time.monotonic()
    assert link_next({"Link": hostile[: 16 * 1024]}) is None
    assert time.monotonic() - started < 1
    assert (
        link_next(
            {"Link": '<https://api.example.com/p?page=2>; rel="prev", <https://api.example.com/p?page=3>; rel="next"'}
        )
        == "https://api.example.com/p?page=3"
    )
    with pytest.raises(SourceError, match="Link header"):
        link_next({"Link": hostile})


def test_a_password_in_the_url_is_sent_as_credentials_and_shown_nowhere(write_config):
    with serve(records) as (home, seen):
        url = home.replace("http://", "http://kpi:pa55word-xyz@") + "/items"
        path = write_config(
            f"version: 1\nwindow: all\nsources:\n  api: {{connector: http_json, url: '{url}', records: nope, retries:"
            " 0}\nmetrics:\n  n: {calc: count, source: api}\n"
        )
        card = kpiframe.run(path, as_of=AS_OF)
    assert seen[0]["Authorization"].startswith("Basic ")
    assert "pa55word-xyz" not in json.dumps(card.to_dict())
