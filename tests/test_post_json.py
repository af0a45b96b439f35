"""kpiframe.post_json: the webhook POST notifiers use, bounded, and silent about the URL."""

from __future__ import annotations

import http.server
import json
import threading
import time

import pytest

import kpiframe

TOKEN = "hook-token-9f8e7d"


@pytest.fixture
def server():
    """127.0.0.1; answers each POST with the next status of ``answers`` (200 when they run out)."""

    class State:
        answers: list[int] = []
        bodies: list[bytes] = []
        url = ""

    class Handler(http.server.BaseHTTPRequestHandler):
        def do_POST(self) -> None:
            State.bodies.append(self.rfile.read(int(self.headers["Content-Length"])))
            status = State.answers.pop(0) if State.answers else 200
            self.send_response(status)
            if status in (301, 302, 307):
                self.send_header("Location", "http://169.254.169.254/latest")
            self.send_header("Content-Length", "0")
            self.end_headers()

        def log_message(self, *args: object) -> None:
            pass

    httpd = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    State.url = f"http://127.0.0.1:{httpd.server_port}/hooks/{TOKEN}?code={TOKEN}"
    threading.Thread(target=httpd.serve_forever, daemon=True).start()
    yield State
    httpd.shutdown()
    httpd.server_close()


def test_a_post_sends_the_payload_as_utf8_json(server):
    kpiframe.post_json(server.url, {"text": "FRT turned red ✗"}, retries=0)
    assert [json.loads(b) for b in server.bodies] == [{"text": "FRT turned red ✗"}]


def test_server_errors_are_retried_a_bounded_number_of_times(server):
    server.answers = [500, 503, 502, 500]
    waits: list[float] = []
    with pytest.raises(kpiframe.DeliveryError, match=r"after 3 attempts: HTTP 502") as caught:
        kpiframe.post_json(server.url, {}, retries=2, backoff=0.1, sleep=waits.append)
    assert len(server.bodies) == 3 and len(waits) == 2
    assert TOKEN not in str(caught.value)


def test_a_refusal_is_not_retried_and_a_redirect_is_not_followed(server):
    server.answers = [404, 302]
    with pytest.raises(kpiframe.DeliveryError, match="refused the post: HTTP 404"):
        kpiframe.post_json(server.url, {}, retries=3, sleep=lambda s: None)
    with pytest.raises(kpiframe.DeliveryError, match="refused the post: HTTP 302"):
        kpiframe.post_json(server.url, {}, retries=3, sleep=lambda s: None)
    assert len(server.bodies) == 2


def test_a_server_that_never_answers_times_out_within_the_bound():
    import socket

    listener = socket.socket()
    listener.bind(("127.0.0.1", 0))
    listener.listen(5)  # accepts connections, never reads or answers
    url = f"http://127.0.0.1:{listener.getsockname()[1]}/hooks/{TOKEN}"
    started = time.monotonic()
    try:
        with pytest.raises(kpiframe.DeliveryError, match=r"after 2 attempts: no complete answer within 0.5 s") as e:
            kpiframe.post_json(url, {}, timeout=0.5, retries=1, sleep=lambda s: None)
    finally:
        listener.close()
    assert time.monotonic() - started < 3
    assert TOKEN not in str(e.value)


def test_only_http_and_https_are_posted_to():
    with pytest.raises(kpiframe.DeliveryError, match="only http and https") as caught:
        kpiframe.post_json(f"file:///etc/{TOKEN}", {})
    assert TOKEN not in str(caught.value)
