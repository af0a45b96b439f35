"""kpiframe-notify end to end: real `kpiframe run` processes posting to a recording webhook on 127.0.0.1.

The oracle is the calendar written below: which week has how many calls, so
which week's run must post what (and which must post nothing), worked out by hand.
"""

from __future__ import annotations

import http.server
import importlib.metadata
import json
import os
import subprocess
import sys
import textwrap
import threading
import time
from pathlib import Path

import pytest

PLUGIN_SRC = Path(__file__).parents[1] / "src"


def _installed() -> bool:
    """Whether kpiframe-notify is pip-installed (not merely the metadata a build leaves in src/)."""
    try:
        dist = importlib.metadata.distribution("kpiframe-notify")
    except importlib.metadata.PackageNotFoundError:
        return False
    return Path(str(dist.locate_file(""))).resolve() != PLUGIN_SRC.resolve()


INSTALLED = _installed()
SECRET = "T0DEADBEEF/B0CAFE/xoxb-s3cret-webhook-token"

# Calls per weekly window (as_of → the week before it). `volume` must be >= 3.
WEEKS = {
    "2026-02-08": 5,  # pass: the first run, nothing to compare with, nothing red: no post
    "2026-02-15": 1,  # fail: turned red, one post
    "2026-02-22": 1,  # fail again: no change, no post
    "2026-03-01": 4,  # pass: recovered, one post
}


class Webhook:
    """An HTTP server on 127.0.0.1 that records every POST; ``mode`` says how it answers."""

    def __init__(self, mode: str = "ok"):
        self.mode = mode
        self.posts: list[dict] = []
        hook = self

        class Handler(http.server.BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                body = self.rfile.read(int(self.headers.get("Content-Length", 0)))
                hook.posts.append(
                    {
                        "path": self.path,
                        "type": self.headers.get("Content-Type"),
                        "authorization": self.headers.get("Authorization"),
                        "json": json.loads(body),
                    }
                )
                if hook.mode == "hang":
                    time.sleep(30)
                    return
                status = 500 if hook.mode == "500" else 200
                self.send_response(status)
                self.send_header("Content-Length", "2")
                self.end_headers()
                self.wfile.write(b"ok")

            def log_message(self, *args: object) -> None:
                pass

        self.server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.server.daemon_threads = True
        self.url = f"http://127.0.0.1:{self.server.server_port}/services/{SECRET}"
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def close(self) -> None:
        self.server.shutdown()
        self.server.server_close()


@pytest.fixture
def webhook():
    server = Webhook()
    yield server
    server.close()


@pytest.fixture
def project(tmp_path):
    """A folder with a calls CSV following WEEKS, and a helper that writes a config with a notify section."""
    rows = ["id,created_at"]
    for as_of, count in WEEKS.items():
        day = {"2026-02-08": "02-02", "2026-02-15": "02-09", "2026-02-22": "02-16", "2026-03-01": "02-23"}[as_of]
        rows += [f"{as_of}-{i},2026-{day}T10:00:{i:02d}" for i in range(count)]
    (tmp_path / "calls.csv").write_text("\n".join(rows) + "\n")
    (tmp_path / "other.csv").write_text("id,created_at\n1,2026-02-02T10:00:00\n")

    def write(notify: str) -> Path:
        plugins = "" if INSTALLED else "plugins: [kpiframe_notify]\n"
        text = (
            "version: 1\ntitle: Support calls\nwindow: {last: 7d}\n"
            + plugins
            + "sources:\n  calls: {connector: csv, path: calls.csv, time: created_at}\n"
            + "  other: {connector: csv, path: '${OTHER_FILE:-other.csv}', time: created_at}\n"
            + "metrics:\n  volume: {calc: count, source: calls, target: '>= 3'}\n"
            + "  other_volume: {calc: count, source: other}\n"
            + textwrap.dedent(notify)
        )
        path = tmp_path / "calls.yaml"
        path.write_text(text)
        return path

    return write


def kpiframe(config: Path, *args: str, env: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
    environ = {k: v for k, v in os.environ.items() if not k.startswith("KPIFRAME_NOTIFY")}
    if not INSTALLED:
        environ["PYTHONPATH"] = os.pathsep.join([str(PLUGIN_SRC), environ.get("PYTHONPATH", "")])
    environ.update(env or {})
    return subprocess.run(
        [sys.executable, "-m", "kpiframe", "run", str(config), "--quiet", *args],
        capture_output=True,
        text=True,
        env=environ,
        cwd=config.parent,
        timeout=120,
    )


def week(config: Path, as_of: str, hook: Webhook, *args: str, **env: str) -> subprocess.CompletedProcess[str]:
    return kpiframe(
        config,
        "--as-of",
        as_of,
        "--history",
        str(config.parent / "history.duckdb"),
        *args,
        env={"HOOK_URL": hook.url, "HOOK_TOKEN": BEARER, **env},
    )


BEARER = "bearer-t0ken-8c7b6a"
JSON_HOOK = """
    notify:
      webhooks: [{url: "${HOOK_URL}", name: support-chat, headers: {Authorization: "Bearer ${HOOK_TOKEN}"}}]
      timeout: 2
      retries: 1
    """


def test_a_metric_turning_red_posts_once_and_its_recovery_posts_once(project, webhook):
    config = project(JSON_HOOK)
    codes = []
    for as_of in WEEKS:
        codes.append(week(config, as_of, webhook).returncode)
        if as_of == "2026-02-15":
            assert [p["json"]["changes"] for p in webhook.posts] == [
                [
                    {
                        "event": "failed",
                        "metric": "volume",
                        "segment": None,
                        "title": "Volume",
                        "from": "pass",
                        "to": "fail",
                        "value": 1,
                        "unit": "count",
                        "target": ">= 3",
                        # the scorecard's own reason: which level missed, and by how much
                        "reason": "1 < 3 (the target is >= 3)",
                        "text": "Volume turned red: 1, target >= 3 (was pass)",
                    }
                ]
            ]
    # pass, fail, fail, pass: the exit codes kpiframe gives without any notifier.
    assert codes == [0, 1, 1, 0]
    assert len(webhook.posts) == 2, [p["json"]["summary"] for p in webhook.posts]
    recovered = webhook.posts[1]["json"]
    assert recovered["summary"] == "Support calls: 1 recovered"
    assert [(c["metric"], c["event"], c["from"], c["to"], c["value"]) for c in recovered["changes"]] == [
        ("volume", "recovered", "fail", "pass", 4)
    ]
    assert recovered["window"] == {
        "start": "2026-02-22T00:00:00Z",
        "end": "2026-03-01T00:00:00Z",
        "label": "last 1w",
        "zone": "UTC",  # the scorecard's zone, in which its window is read
    }
    assert webhook.posts[0]["type"] == "application/json; charset=utf-8"
    assert webhook.posts[0]["path"] == f"/services/{SECRET}"
    assert webhook.posts[0]["authorization"] == f"Bearer {BEARER}"


def test_re_running_the_window_that_turned_red_does_not_post_again(project, webhook):
    config = project(JSON_HOOK)
    week(config, "2026-02-08", webhook)
    week(config, "2026-02-15", webhook)
    assert len(webhook.posts) == 1
    for _ in range(2):  # a CI job re-run twice: the history replaces the week's run each time
        assert week(config, "2026-02-15", webhook).returncode == 1
    assert len(webhook.posts) == 1


def test_a_new_error_posts_and_keeps_the_source_error_exit_code(project, webhook):
    config = project(JSON_HOOK)
    assert week(config, "2026-02-08", webhook).returncode == 0
    broken = week(config, "2026-02-15", webhook, OTHER_FILE="missing.csv")
    assert broken.returncode == 3, broken.stderr
    assert len(webhook.posts) == 1
    changes = webhook.posts[0]["json"]["changes"]
    assert [(c["metric"], c["event"], c["from"], c["to"]) for c in changes] == [
        ("volume", "failed", "pass", "fail"),
        ("other_volume", "error", "info", "error"),
    ]
    assert "could not be read" in changes[1]["reason"]
    assert webhook.posts[0]["json"]["summary"] == "Support calls: 1 turned red, 1 has an error"
    # The next week: still red, still the same error. Not news.
    assert week(config, "2026-02-22", webhook, OTHER_FILE="missing.csv").returncode == 3
    assert len(webhook.posts) == 1


@pytest.mark.parametrize("mode", ["500", "hang"])
def test_a_failing_webhook_is_bounded_in_time_and_never_changes_the_exit_code(project, mode):
    server = Webhook(mode)
    try:
        config = project(
            """
            notify:
              webhooks: [{url: "${HOOK_URL}", name: support-chat}]
              timeout: 1
              retries: 1
            """
        )
        started = time.monotonic()
        week(config, "2026-02-08", server)  # nothing to post: how long a run takes on this machine
        plain = time.monotonic() - started
        started = time.monotonic()
        result = week(config, "2026-02-15", server)
        elapsed = time.monotonic() - started
    finally:
        server.close()
    assert result.returncode == 1  # the failing target's code, as without notifications
    assert len(server.posts) == 2  # the first attempt and one retry, no more
    # Two attempts of at most 1 s and one backoff under 1 s, plus the run itself (and room for a busy machine);
    # the hanging server would hold an unbounded post for 30 s.
    assert elapsed < plain + 8, (elapsed, plain)
    assert "warning: kpiframe-notify: could not post to support-chat (json)" in result.stderr
    assert ("HTTP 500" if mode == "500" else "no complete answer within 1 s") in result.stderr
    assert SECRET not in result.stderr + result.stdout


def test_the_secret_url_never_appears_in_output_reports_or_the_history(project, tmp_path):
    server = Webhook("500")
    try:
        config = project(JSON_HOOK)
        week(config, "2026-02-08", server)
        outputs = [f"{kind}={tmp_path / ('report.' + kind)}" for kind in ("json", "html", "markdown", "junit")]
        result = week(config, "2026-02-15", server, *[x for o in outputs for x in ("--output", o)])
    finally:
        server.close()
    assert result.returncode == 1 and len(server.posts) == 2
    assert "could not post" in result.stderr
    texts = [result.stdout, result.stderr] + [
        (tmp_path / f"report.{k}").read_text() for k in ("json", "html", "markdown", "junit")
    ]
    for text in texts:
        assert SECRET not in text and "xoxb" not in text and BEARER not in text
    assert b"xoxb" not in (tmp_path / "history.duckdb").read_bytes()


def test_slack_gets_text_and_blocks_with_its_markup_escaped(project, webhook):
    config = project(
        """
        notify:
          webhooks: [{url: "${HOOK_URL}", format: slack}]
          link: https://ci.example.com/run/7
        """
    )
    config.write_text(config.read_text().replace("title: Support calls", "title: Calls <!channel> & co"))
    week(config, "2026-02-08", webhook)
    week(config, "2026-02-15", webhook)
    (post,) = webhook.posts
    body = post["json"]
    assert body["text"] == "Calls &lt;!channel&gt; &amp; co: 1 turned red"
    assert [b["type"] for b in body["blocks"]] == ["header", "section", "context"]
    assert body["blocks"][1]["text"] == {"type": "mrkdwn", "text": "🔴 Volume turned red: 1, target &gt;= 3 (was pass)"}
    assert "<https://ci.example.com/run/7|report>" in body["blocks"][2]["elements"][0]["text"]


def test_teams_gets_an_adaptive_card_and_legacy_channels_a_message_card(project, webhook):
    config = project(
        """
        notify:
          webhooks:
            - {url: "${HOOK_URL}", format: teams}
            - {url: "${HOOK_URL}", format: teams-messagecard}
        """
    )
    week(config, "2026-02-08", webhook)
    week(config, "2026-02-15", webhook)
    adaptive, legacy = (p["json"] for p in webhook.posts)
    (attachment,) = adaptive["attachments"]
    assert adaptive["type"] == "message"
    assert attachment["contentType"] == "application/vnd.microsoft.card.adaptive"
    card = attachment["content"]
    assert (card["type"], card["version"]) == ("AdaptiveCard", "1.4")
    assert [block["text"] for block in card["body"]][:2] == [
        "Support calls: 1 turned red",
        "🔴 Volume turned red: 1, target >= 3 (was pass)",
    ]
    assert legacy["@type"] == "MessageCard" and legacy["themeColor"] == "D7263D"
    assert legacy["sections"] == [{"text": "🔴 Volume turned red: 1, target >= 3 (was pass)"}]


def test_without_a_history_nothing_is_posted_and_a_warning_says_why(project, webhook):
    config = project(JSON_HOOK)
    result = kpiframe(config, "--as-of", "2026-02-15", env={"HOOK_URL": webhook.url, "HOOK_TOKEN": BEARER})
    assert result.returncode == 1
    assert webhook.posts == []
    assert "nothing posted: without --history there is no previous run" in result.stderr


def test_always_posts_every_run_even_unchanged_and_without_a_history(project, webhook):
    config = project('notify: {webhooks: [{url: "${HOOK_URL}"}], always: true}\n')
    for _ in range(2):
        kpiframe(config, "--as-of", "2026-02-08", env={"HOOK_URL": webhook.url})
    assert [p["json"]["summary"] for p in webhook.posts] == [
        "Support calls: no change, status info"
    ] * 2  # pass and info tie; info is the later


def test_the_environment_alone_configures_a_webhook(project, webhook):
    config = project("")
    env = {"KPIFRAME_NOTIFY_URL": webhook.url, "KPIFRAME_NOTIFY_FORMAT": "slack"}
    week(config, "2026-02-08", webhook, **env)
    result = week(config, "2026-02-15", webhook, **env)
    assert [p["json"]["text"] for p in webhook.posts] == ["Support calls: 1 turned red"]
    assert SECRET not in result.stderr


def test_a_url_written_in_the_config_is_refused_as_a_credential_in_plain_sight(project, webhook):
    config = project(f"notify:\n  webhooks: [{{url: '{webhook.url}', name: literal}}]\n")
    week(config, "2026-02-08", webhook)
    result = week(config, "2026-02-15", webhook)
    assert webhook.posts == []
    assert "nothing posted to literal: notify.webhooks[0].url is written in the config file" in result.stderr
    assert SECRET not in result.stderr + result.stdout


def test_a_mistake_in_the_notify_section_is_a_config_error_with_its_place(project, webhook):
    config = project(JSON_HOOK.replace("retries: 1", "retries: 9"))
    result = week(config, "2026-02-08", webhook)
    assert result.returncode == 2
    line = config.read_text().splitlines().index("  retries: 9") + 1
    assert f"calls.yaml:{line}:12: notify.retries: 9 is out of range (maximum 5)" in result.stderr
    assert webhook.posts == []


@pytest.mark.skipif(not INSTALLED, reason="kpiframe-notify is not pip-installed here (make test installs it)")
def test_the_installed_package_registers_its_section_through_the_entry_point():
    from kpiframe.plugins import make_plugin_manager

    registry = make_plugin_manager(environ={"KPIFRAME_PLUGINS": "notify"})
    assert registry.sections["notify"].origin.package == "kpiframe-notify"
