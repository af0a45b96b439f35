"""What to post where: the ``notify:`` section of a kpiframe config, and ``KPIFRAME_NOTIFY_*`` variables.

The section is validated by kpiframe when the config loads (the schema below is
registered through ``kpiframe_register_config_sections``), so a typo is a config
error with file, line and column. Environment variables add one webhook without
touching the config, for a CI job that owns the secret:

- ``KPIFRAME_NOTIFY_URL``: a webhook URL (always a secret);
- ``KPIFRAME_NOTIFY_FORMAT``: ``json`` (default), ``slack``, ``teams`` or ``teams-messagecard``;
- ``KPIFRAME_NOTIFY_ALWAYS``: ``1`` or ``true`` posts on every run.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

FORMATS = ("json", "slack", "teams", "teams-messagecard")
#: What may be posted about: a metric (or segment) that turned red, erred, came back, warned, lost its data.
EVENTS = ("failed", "error", "recovered", "warned", "no_data")
DEFAULT_EVENTS = ("failed", "error", "recovered")
MAX_TIMEOUT = 60
MAX_RETRIES = 5

SCHEMA: dict[str, Any] = {
    "type": "object",
    "description": "kpiframe-notify: post to webhooks when a KPI's status changes against the previous run",
    "properties": {
        "webhooks": {
            "type": "array",
            "minItems": 1,
            "maxItems": 20,
            "items": {
                "type": "object",
                "properties": {
                    "url": {
                        "type": "string",
                        "pattern": "^https?://",
                        "x-kpiframe-expected": "an http(s) URL from the environment, such as ${SLACK_WEBHOOK_URL}",
                        "description": "the webhook URL; write it as ${VAR}: it is a credential",
                    },
                    "format": {"enum": list(FORMATS), "description": "the payload: json (default), slack, teams..."},
                    "name": {"type": "string", "minLength": 1, "description": "a name for messages and warnings"},
                    "headers": {
                        "type": "object",
                        "additionalProperties": {"type": "string"},
                        "maxProperties": 20,
                        "description": "extra request headers, e.g. Authorization: Bearer ${TOKEN}",
                    },
                },
                "required": ["url"],
                "additionalProperties": False,
            },
        },
        "on": {
            "type": "array",
            "items": {"enum": list(EVENTS)},
            "uniqueItems": True,
            "description": "the changes that post (default: failed, error, recovered)",
        },
        "always": {"type": "boolean", "description": "post on every run, changed or not (default false)"},
        "timeout": {
            "type": "number",
            "exclusiveMinimum": 0,
            "maximum": MAX_TIMEOUT,
            "description": "seconds each attempt may take (default 10)",
        },
        "retries": {
            "type": "integer",
            "minimum": 0,
            "maximum": MAX_RETRIES,
            "description": "attempts after a failed one (default 2)",
        },
        "link": {"type": "string", "pattern": "^https?://", "description": "a link to the report, shown in messages"},
        "max_changes": {
            "type": "integer",
            "minimum": 1,
            "maximum": 200,
            "description": "changes listed in one message; the rest are counted (default 20)",
        },
    },
    "additionalProperties": False,
}


@dataclass(frozen=True)
class Webhook:
    url: str
    format: str
    name: str
    where: str  # the config key or variable it came from, for messages
    from_environment: bool  # whether the URL came from ${VAR} (or KPIFRAME_NOTIFY_URL)
    headers: tuple[tuple[str, str], ...] = ()


@dataclass(frozen=True)
class Settings:
    webhooks: tuple[Webhook, ...]
    events: frozenset[str]
    always: bool = False
    timeout: float = 10.0
    retries: int = 2
    link: str | None = None
    max_changes: int = 20


def read_settings(
    section: Mapping[str, Any] | None, secrets: frozenset[str], environ: Mapping[str, str]
) -> tuple[Settings, list[str]]:
    """The settings from the config section and the environment, and problems with the environment's values."""
    section = section or {}
    problems: list[str] = []
    webhooks = [
        Webhook(
            url=hook["url"],
            format=hook.get("format", "json"),
            name=hook.get("name") or f"webhook {i + 1}",
            where=f"notify.webhooks[{i}].url",
            from_environment=any(secret in hook["url"] for secret in secrets),
            headers=tuple(dict(hook.get("headers", {})).items()),
        )
        for i, hook in enumerate(section.get("webhooks", ()))
    ]
    url = environ.get("KPIFRAME_NOTIFY_URL", "").strip()
    if url:
        kind = environ.get("KPIFRAME_NOTIFY_FORMAT", "json").strip() or "json"
        if kind not in FORMATS:
            problems.append(f"KPIFRAME_NOTIFY_FORMAT={kind!r} is not one of {', '.join(FORMATS)}; nothing posted to it")
        elif not url.startswith(("http://", "https://")):
            problems.append("KPIFRAME_NOTIFY_URL is not an http(s) URL; nothing posted to it")
        else:
            webhooks.append(Webhook(url, kind, "KPIFRAME_NOTIFY_URL", "KPIFRAME_NOTIFY_URL", True))
    always = bool(section.get("always", False)) or _truthy(environ.get("KPIFRAME_NOTIFY_ALWAYS", ""))
    settings = Settings(
        webhooks=tuple(webhooks),
        events=frozenset(section.get("on", DEFAULT_EVENTS)),
        always=always,
        timeout=float(section.get("timeout", 10.0)),
        retries=int(section.get("retries", 2)),
        link=section.get("link"),
        max_changes=int(section.get("max_changes", 20)),
    )
    return settings, problems


def _truthy(text: str) -> bool:
    return text.strip().lower() in ("1", "true", "yes", "on")
