"""The `zendesk` connector: tickets and ticket metrics from the incremental export API."""

from __future__ import annotations

import base64
from collections.abc import Mapping
from datetime import UTC, datetime
from typing import Any
from urllib.parse import urlencode

import kpiframe

EXPORT_PATH = "/api/v2/incremental/tickets/cursor.json"


def unix_time(value: Any) -> int:
    """start_time as Zendesk wants it: seconds since 1970 (from a number or an ISO date)."""
    if isinstance(value, (int, float)):
        return int(value)
    moment = datetime.fromisoformat(str(value).replace("Z", "+00:00"))
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=UTC)
    return int(moment.timestamp())


class ZendeskConnector(kpiframe.Connector):
    name = "zendesk"
    description = "Zendesk tickets with their ticket metrics, from the cursor-based incremental export."
    params_schema = {
        "type": "object",
        "properties": {
            "subdomain": {
                "type": "string",
                "pattern": "^[a-z0-9][a-z0-9-]*$",
                "description": "acme for acme.zendesk.com",
            },
            "url": {
                "type": "string",
                "pattern": "^https?://",
                "description": "the account's base URL instead of subdomain (a proxy, a test server)",
            },
            "email": {"type": "string", "description": 'the agent\'s email, e.g. "${ZENDESK_EMAIL}"'},
            "api_token": {
                "type": "string",
                "description": 'an API token, from the environment: "${ZENDESK_API_TOKEN}"',
            },
            "start_time": {
                "type": ["string", "integer"],
                "description": "export tickets updated since this date or Unix time",
            },
            "max_pages": {
                "type": "integer",
                "minimum": 1,
                "description": "stop with an error after this many pages (default 1000)",
            },
            "timeout": {"type": "number", "exclusiveMinimum": 0, "description": "seconds per request (default 30)"},
        },
        "required": ["email", "api_token", "start_time"],
        "oneOf": [{"required": ["subdomain"]}, {"required": ["url"]}],
        "additionalProperties": False,
    }

    def base_url(self, params: Mapping[str, Any]) -> str:
        return params.get("url", "").rstrip("/") or f"https://{params['subdomain']}.zendesk.com"

    def fetch(self, params: Mapping[str, Any]) -> list[dict[str, Any]]:
        credentials = base64.b64encode(f"{params['email']}/token:{params['api_token']}".encode()).decode()
        headers = {"Authorization": f"Basic {credentials}"}
        query = urlencode({"start_time": unix_time(params["start_time"]), "include": "metric_sets"})
        url: str | None = f"{self.base_url(params)}{EXPORT_PATH}?{query}"
        tickets: dict[Any, dict[str, Any]] = {}
        metrics: dict[Any, dict[str, Any]] = {}
        max_pages = params.get("max_pages", 1000)
        for _ in range(max_pages):
            body, _headers = kpiframe.get_json(url, headers=headers, timeout=params.get("timeout", 30))  # type: ignore[arg-type]
            if not isinstance(body, dict) or "tickets" not in body:
                raise kpiframe.SourceError(
                    "Zendesk answered without a `tickets` list; is the URL an account's base URL?"
                )
            for ticket in body["tickets"]:
                # A ticket updated during the export comes again: keep its latest version.
                known = tickets.get(ticket["id"])
                if known is None or str(ticket.get("updated_at", "")) >= str(known.get("updated_at", "")):
                    tickets[ticket["id"]] = ticket
            for metric_set in body.get("metric_sets", []):
                metrics[metric_set["ticket_id"]] = metric_set
            if body.get("end_of_stream") or not body.get("after_url"):
                url = None
                break
            url = body["after_url"]
        if url is not None:
            raise kpiframe.SourceError(f"stopped after max_pages={max_pages} pages with more to come; raise max_pages")
        return [{**ticket, "metric_set": metrics.get(ticket["id"])} for ticket in tickets.values()]

    def open(self, params: Mapping[str, Any], context: kpiframe.SourceContext) -> Any:
        return context.land_records(self.fetch(params))
