"""kpiframe-notify: tell a chat or a webhook when a KPI turns red, recovers or errors.

It compares each run with the run it follows in the history (see
:class:`kpiframe.PreviousRun`: the same window's run on a re-run, else the
earlier window's), so a change is posted once: the run where a metric turned
red posts, the next unchanged run does not, and re-running the same window
finds its own earlier run and says nothing new. Without ``--history`` there is
nothing to compare with, and nothing is posted unless ``always: true``.

A failed post never changes the run's verdict or exit code: it is a warning on
stderr, with every webhook URL masked.
"""

from __future__ import annotations

import os
import sys
from collections.abc import Mapping
from typing import Any

import kpiframe
from kpiframe_notify.changes import Change, changes
from kpiframe_notify.messages import BUILDERS
from kpiframe_notify.settings import SCHEMA, Settings, Webhook, read_settings

KPIFRAME_PLUGIN_API = 1
__all__ = ["kpiframe_register_config_sections", "kpiframe_scorecard_ready", "notify"]


@kpiframe.hookimpl
def kpiframe_register_config_sections() -> dict[str, dict[str, Any]]:
    return {"notify": SCHEMA}


@kpiframe.hookimpl
def kpiframe_scorecard_ready(
    scorecard: kpiframe.Scorecard,
    config: Any,
    history: str | None,
    previous: kpiframe.PreviousRun | None,
) -> None:
    notify(scorecard, config.sections.get("notify"), config.secrets, history, previous, os.environ)


def notify(
    scorecard: kpiframe.Scorecard,
    section: Mapping[str, Any] | None,
    secrets: frozenset[str],
    history: str | None,
    previous: kpiframe.PreviousRun | None,
    environ: Mapping[str, str],
    post: Any = None,
) -> list[str]:
    """Post what changed to every configured webhook; return the names of those that took it.

    Never raises: whatever goes wrong is a warning on stderr, with secrets masked.
    """
    redact = kpiframe.Redactor(secrets)
    try:
        settings, problems = read_settings(section, secrets, environ)
        redact.add(hook.url for hook in settings.webhooks)
        redact.add(value for hook in settings.webhooks for _, value in hook.headers)
        for problem in problems:
            _warn(redact, problem)
        if not settings.webhooks:
            return []
        found = _what_to_post(scorecard, settings, history, previous, redact)
        if found is None:
            return []
        return [hook.name for hook in settings.webhooks if _deliver(hook, scorecard, found, settings, redact, post)]
    except Exception as exc:  # a notifier's bug must not become the run's failure
        _warn(redact, f"notifications skipped: {type(exc).__name__}: {exc}")
        return []


def _what_to_post(
    scorecard: kpiframe.Scorecard,
    settings: Settings,
    history: str | None,
    previous: kpiframe.PreviousRun | None,
    redact: kpiframe.Redactor,
) -> list[Change] | None:
    """The changes to post, or None when nothing is to be posted this run."""
    if history is None and not settings.always:
        _warn(
            redact,
            "nothing posted: without --history there is no previous run to compare with"
            " (keep a history, or set notify.always: true to post every run)",
        )
        return None
    found = changes(scorecard.to_dict(), previous.scorecard if previous else None, settings.events)
    return found if found or settings.always else None


def _deliver(
    hook: Webhook,
    scorecard: kpiframe.Scorecard,
    found: list[Change],
    settings: Settings,
    redact: kpiframe.Redactor,
    post: Any,
) -> bool:
    if not hook.from_environment:
        _warn(
            redact,
            f"nothing posted to {hook.name}: {hook.where} is written in the config file, and a webhook URL is a"
            " credential; give it from the environment (url: ${SLACK_WEBHOOK_URL})",
        )
        return False
    payload = BUILDERS[hook.format](scorecard.to_dict(), found, settings.max_changes, settings.link)
    try:
        (post or kpiframe.post_json)(
            hook.url, payload, headers=dict(hook.headers), timeout=settings.timeout, retries=settings.retries
        )
    except Exception as exc:  # DeliveryError, and anything a broken network stack raises
        _warn(redact, f"could not post to {hook.name} ({hook.format}): {exc}; the run's result stands")
        return False
    print(f"kpiframe-notify: posted {len(found)} change(s) to {redact(hook.name)}", file=sys.stderr)
    return True


def _warn(redact: kpiframe.Redactor, message: str) -> None:
    print(f"warning: kpiframe-notify: {redact(message)}", file=sys.stderr)
