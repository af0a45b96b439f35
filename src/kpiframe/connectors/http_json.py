"""http_json: records from a JSON HTTP API, fetched page by page into the run's DuckDB.

Pagination follows a next link (in the body or the ``Link`` header), a cursor,
or a page number; every page is requested until one comes back empty, the API
says there is no more, or ``max_pages`` is reached (an error: the data would be
incomplete). A page is kept only once it arrived whole, so a retried request
never duplicates records.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any, ClassVar
from urllib.parse import parse_qsl, urlencode, urljoin, urlsplit, urlunsplit

from kpiframe.contracts import Connector, SourceContext
from kpiframe.errors import SourceError
from kpiframe.http import get_json
from kpiframe.plugins import hookimpl

PATH = {"type": "string", "description": "a dotted path into the JSON body, e.g. data.items"}


def dig(body: Any, path: str | None) -> Any:
    """The value at a dotted path (``meta.next``), or None where the path is absent."""
    if not path:
        return body
    for part in path.split("."):
        if not isinstance(body, dict) or part not in body:
            return None
        body = body[part]
    return body


def with_query(url: str, **params: Any) -> str:
    parts = urlsplit(url)
    query = dict(parse_qsl(parts.query))
    query.update({k: str(v) for k, v in params.items()})
    return urlunsplit(parts._replace(query=urlencode(query)))


def _link_next(headers: Mapping[str, str]) -> str | None:
    link = next((v for k, v in headers.items() if k.lower() == "link"), "")
    match = re.search(r'<([^>]+)>\s*;\s*rel="?next"?', link)
    return match.group(1) if match else None


class HttpJsonConnector(Connector):
    name = "http_json"
    description = "Records from a JSON HTTP API (GET, paginated, retried), computed in the run's DuckDB."
    params_schema: ClassVar[dict[str, Any]] = {
        "type": "object",
        "properties": {
            "url": {"type": "string", "pattern": "^https?://", "description": "the first page's URL"},
            "headers": {"type": "object", "additionalProperties": {"type": "string"}, "description": 'request headers, e.g. {Authorization: "Bearer ${API_TOKEN}"}'},
            "query": {"type": "object", "additionalProperties": {"type": ["string", "number", "boolean"]}, "description": "query parameters of the first request"},
            "records": {**PATH, "description": "where the list of records is in each page (default: the body itself)"},
            "pagination": {
                "type": "object",
                "properties": {
                    "type": {"enum": ["none", "next_link", "cursor", "page"]},
                    "next": {**PATH, "description": "next_link: the next page's URL in the body (default: the Link header)"},
                    "cursor": {**PATH, "description": "cursor: where the next cursor is in the body"},
                    "param": {"type": "string", "description": "cursor or page: the query parameter to send it in"},
                    "start": {"type": "integer", "description": "page: the first page number (default 1)"},
                    "done": {**PATH, "description": "a boolean in the body that is true on the last page (e.g. end_of_stream)"},
                },
                "required": ["type"],
                "additionalProperties": False,
            },
            "max_pages": {"type": "integer", "minimum": 1, "description": "stop with an error after this many pages (default 1000)"},
            "timeout": {"type": "number", "exclusiveMinimum": 0, "description": "seconds per request (default 30)"},
            "retries": {"type": "integer", "minimum": 0, "description": "retries on timeouts, 429 and 5xx (default 5)"},
            "backoff": {"type": "number", "minimum": 0, "description": "first retry wait in seconds, doubled each time (default 0.5)"},
        },
        "required": ["url"],
        "additionalProperties": False,
    }

    def open(self, params: Mapping[str, Any], context: SourceContext) -> Any:
        return context.land_records(self.fetch(params))

    def fetch(self, params: Mapping[str, Any]) -> list[dict[str, Any]]:
        paging = params.get("pagination", {"type": "none"})
        kind = paging["type"]
        options = {k: params[k] for k in ("timeout", "retries", "backoff") if k in params}
        url = with_query(params["url"], **params.get("query", {})) if params.get("query") else params["url"]
        page_number = paging.get("start", 1)
        if kind == "page":
            url = with_query(url, **{paging.get("param", "page"): page_number})
        records: list[dict[str, Any]] = []
        max_pages = params.get("max_pages", 1000)
        for page in range(1, max_pages + 1):
            body, headers = get_json(url, headers=params.get("headers"), **options)
            found = dig(body, params.get("records"))
            if found is None:
                raise SourceError(f"page {page} has nothing at records path {params.get('records')!r}; its keys: {', '.join(body) if isinstance(body, dict) else type(body).__name__}")
            if not isinstance(found, list) or not all(isinstance(r, dict) for r in found):
                raise SourceError(f"page {page}: the records at {params.get('records') or 'the top'} are not a list of objects")
            records.extend(found)
            if kind == "none" or not found or (paging.get("done") and dig(body, paging["done"]) is True):
                return records
            if kind == "next_link":
                following = dig(body, paging["next"]) if paging.get("next") else _link_next(headers)
                if not following:
                    return records
                url = urljoin(url, following)
            elif kind == "cursor":
                cursor = dig(body, paging.get("cursor"))
                if not cursor:
                    return records
                url = with_query(url, **{paging.get("param", "cursor"): cursor})
            else:
                page_number += 1
                url = with_query(url, **{paging.get("param", "page"): page_number})
        raise SourceError(f"stopped after max_pages={max_pages} pages with more to come; raise max_pages to read everything")


@hookimpl
def kpiframe_register_connectors() -> list[Connector]:
    return [HttpJsonConnector()]
