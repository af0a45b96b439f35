"""The payloads: a generic JSON document, Slack's blocks, and Microsoft Teams' cards.

Every payload carries the same facts: the scorecard's title and worst status,
its window, one line per change (capped at ``max_changes``, the rest counted),
and the optional link to the report. Text from the config (titles, reasons) is
escaped for each chat's markup, so a title cannot mention ``@channel`` or
inject a link.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from kpiframe_notify.changes import Change

#: The generic payload's format version; fields are only ever added.
PAYLOAD_VERSION = 1
_VERBS = {
    "failed": "turned red",
    "error": "has an error",
    "recovered": "recovered",
    "warned": "is at its warn level",
    "no_data": "has no data",
}
_ICONS = {"failed": "🔴", "error": "⚠️", "recovered": "✅", "warned": "🟡", "no_data": "⚪"}


def summary(title: str, changes: Sequence[Change], status: str) -> str:
    """One line: ``Support SLA: 2 turned red, 1 recovered`` (or the status when nothing changed)."""
    counts: dict[str, int] = {}
    for change in changes:
        counts[change.event] = counts.get(change.event, 0) + 1
    parts = [f"{n} {_VERBS[kind] if n == 1 else _plural(kind)}" for kind, n in counts.items()]
    return f"{title}: " + (", ".join(parts) if parts else f"no change, status {status}")


def _plural(kind: str) -> str:
    return {"error": "have errors", "warned": "are at their warn level", "no_data": "have no data"}.get(
        kind, _VERBS[kind]
    )


def _value(change: Change) -> str:
    if change.value is None:
        return "no value"
    unit = "" if change.unit in ("count", "ratio") else change.unit  # "12 count" says nothing "12" does not
    return f"{change.value:.4g} {unit}".strip()


def line(change: Change) -> str:
    """``FRT p90 (channel=email) turned red: 5.2 h, target <= 4 h (was pass)``, plain text."""
    name = change.title + (f" ({change.segment})" if change.segment else "")
    text = f"{name} {_VERBS[change.event]}: {_value(change)}"
    if change.target:
        text += f", target {change.target}"
    if change.event == "error" and change.reason:
        text += f" ({change.reason[:200]})"
    return text + (f" (was {change.before})" if change.before else " (new)")


def generic(card: Mapping[str, Any], changes: Sequence[Change], shown: int, link: str | None) -> dict[str, Any]:
    """The documented JSON payload for any webhook receiver."""
    run = card.get("run", {})
    return {
        "kpiframe_notify": PAYLOAD_VERSION,
        "title": card.get("title"),
        "status": card.get("status"),
        "summary": summary(str(card.get("title")), changes, str(card.get("status"))),
        "as_of": run.get("as_of"),
        "window": run.get("window"),
        "counts": card.get("summary"),
        "changes": [
            {
                "event": c.event,
                "metric": c.metric,
                "segment": c.segment,
                "title": c.title,
                "from": c.before,
                "to": c.after,
                "value": c.value,
                "unit": c.unit,
                "target": c.target,
                "reason": c.reason,
                "text": line(c),
            }
            for c in changes[:shown]
        ],
        "more_changes": max(0, len(changes) - shown),
        "link": link,
    }


def _slack_escape(text: str) -> str:
    # Slack's mrkdwn: these three are its control characters (links, mentions).
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def slack(card: Mapping[str, Any], changes: Sequence[Change], shown: int, link: str | None) -> dict[str, Any]:
    """Slack's incoming-webhook payload: ``text`` (notifications, old clients) and ``blocks``."""
    head = summary(str(card.get("title")), changes, str(card.get("status")))
    lines = [f"{_ICONS[c.event]} {_slack_escape(line(c))}" for c in changes[:shown]]
    if len(changes) > shown:
        lines.append(f"… and {len(changes) - shown} more")
    blocks: list[dict[str, Any]] = [
        {"type": "header", "text": {"type": "plain_text", "text": head[:150], "emoji": True}},
    ]
    if lines:
        blocks.append({"type": "section", "text": {"type": "mrkdwn", "text": "\n".join(lines)[:3000]}})
    window = card.get("run", {}).get("window") or {}
    context = f"status {card.get('status')} · window {_slack_escape(str(window.get('label', '')))}"
    if link:
        context += f" · <{link}|report>"
    blocks.append({"type": "context", "elements": [{"type": "mrkdwn", "text": context}]})
    return {"text": _slack_escape(head), "blocks": blocks}


def teams(card: Mapping[str, Any], changes: Sequence[Change], shown: int, link: str | None) -> dict[str, Any]:
    """An Adaptive Card in a message, what Teams' Workflows (Power Automate) webhooks take."""
    head = summary(str(card.get("title")), changes, str(card.get("status")))
    body: list[dict[str, Any]] = [
        {"type": "TextBlock", "text": head, "weight": "Bolder", "size": "Medium", "wrap": True},
    ]
    body += [{"type": "TextBlock", "text": f"{_ICONS[c.event]} {line(c)}", "wrap": True} for c in changes[:shown]]
    if len(changes) > shown:
        body.append({"type": "TextBlock", "text": f"… and {len(changes) - shown} more", "wrap": True})
    window = card.get("run", {}).get("window") or {}
    body.append(
        {
            "type": "TextBlock",
            "text": f"status {card.get('status')} · window {window.get('label', '')}",
            "isSubtle": True,
        }
    )
    content: dict[str, Any] = {
        "$schema": "http://adaptivecards.io/schemas/adaptive-card.json",
        "type": "AdaptiveCard",
        "version": "1.4",
        "body": body,
    }
    if link:
        content["actions"] = [{"type": "Action.OpenUrl", "title": "Open the report", "url": link}]
    return {
        "type": "message",
        "attachments": [
            {"contentType": "application/vnd.microsoft.card.adaptive", "contentUrl": None, "content": content}
        ],
    }


def teams_messagecard(
    card: Mapping[str, Any], changes: Sequence[Change], shown: int, link: str | None
) -> dict[str, Any]:
    """The legacy Office 365 connector's MessageCard, for Teams channels still on incoming-webhook connectors."""
    head = summary(str(card.get("title")), changes, str(card.get("status")))
    lines = [f"{_ICONS[c.event]} {line(c)}" for c in changes[:shown]]
    if len(changes) > shown:
        lines.append(f"… and {len(changes) - shown} more")
    payload: dict[str, Any] = {
        "@type": "MessageCard",
        "@context": "https://schema.org/extensions",
        "summary": head[:150],
        "themeColor": "D7263D" if any(c.event in ("failed", "error") for c in changes) else "2E8540",
        "title": head,
        "sections": [{"text": "\n\n".join(lines)}] if lines else [],
    }
    if link:
        payload["potentialAction"] = [
            {"@type": "OpenUri", "name": "Open the report", "targets": [{"os": "default", "uri": link}]}
        ]
    return payload


BUILDERS = {"json": generic, "slack": slack, "teams": teams, "teams-messagecard": teams_messagecard}
