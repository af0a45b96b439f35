"""http_json: records from a JSON HTTP API, fetched page by page into the run's DuckDB.

Pagination follows a next link (in the body or the ``Link`` header), a cursor,
or a page number; every page is requested until one comes back empty, the API
says there is no more, or ``max_pages`` is reached (an error: the data would be
incomplete). A page is kept only once it arrived whole, so a retried request
never duplicates records.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, ClassVar
from urllib.parse import parse_qsl, urlencode, urljoin, urlsplit, urlunsplit

from kpiframe.contracts import Connector, SourceContext
from kpiframe.errors import SourceError
from kpiframe.http_limits import MAX_BYTES, MAX_RETRIES
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


#: A Link header longer than this is not a pagination header: it is refused.
MAX_LINK_HEADER = 16 * 1024


def link_next(headers: Mapping[str, str]) -> str | None:
    """The ``rel="next"`` target of a ``Link`` header (RFC 8288), parsed in linear time.

    The header is split on the commas between ``<...>`` targets; no regular expression
    runs over the whole header (a backtracking one cost 23 s on a 60 KB header).
    """
    link = next((v for k, v in headers.items() if k.lower() == "link"), "")
    if len(link) > MAX_LINK_HEADER:
        raise SourceError(f"the Link header is {len(link):,} characters long; over {MAX_LINK_HEADER:,} it is refused")
    position = 0
    while True:
        start = link.find("<", position)
        if start < 0:
            return None
        end = link.find(">", start)
        if end < 0:
            return None
        following = link.find("<", end)
        params = link[end + 1 : following if following >= 0 else len(link)]
        for param in params.split(";"):
            name, _, value = param.partition("=")
            if name.strip().lower() == "rel" and "next" in value.strip().strip('"').lower().split():
                return link[start + 1 : end].strip()
        if following < 0:
            return None
        position = following


def _credentials_apart(url: str, headers: dict[str, str]) -> tuple[str, dict[str, str]]:
    """``https://user:pass@host/...`` → the URL without them and a Basic Authorization header,
    which goes only to the URL's own origin (and never into a message)."""
    parts = urlsplit(url)
    if parts.username is None:
        return url, headers
    import base64
    from urllib.parse import unquote

    token = base64.b64encode(f"{unquote(parts.username)}:{unquote(parts.password or '')}".encode()).decode()
    headers.setdefault("Authorization", f"Basic {token}")
    netloc = parts.hostname or ""
    if parts.port:
        netloc += f":{parts.port}"
    return urlunsplit(parts._replace(netloc=netloc)), headers


class HttpJsonConnector(Connector):
    name = "http_json"
    description = "Records from a JSON HTTP API (GET, paginated, retried), computed in the run's DuckDB."
    params_schema: ClassVar[dict[str, Any]] = {
        "type": "object",
        "properties": {
            "url": {"type": "string", "pattern": "^https?://", "description": "the first page's URL"},
            "headers": {
                "type": "object",
                "additionalProperties": {"type": "string"},
                "description": 'request headers, e.g. {Authorization: "Bearer ${API_TOKEN}"}',
            },
            "query": {
                "type": "object",
                "additionalProperties": {"type": ["string", "number", "boolean"]},
                "description": "query parameters of the first request",
            },
            "records": {**PATH, "description": "where the list of records is in each page (default: the body itself)"},
            "pagination": {
                "type": "object",
                "properties": {
                    "type": {"enum": ["none", "next_link", "cursor", "page"]},
                    "next": {
                        **PATH,
                        "description": "next_link: the next page's URL in the body (default: the Link header)",
                    },
                    "cursor": {**PATH, "description": "cursor: where the next cursor is in the body"},
                    "param": {"type": "string", "description": "cursor or page: the query parameter to send it in"},
                    "start": {"type": "integer", "description": "page: the first page number (default 1)"},
                    "done": {
                        **PATH,
                        "description": "a boolean in the body that is true on the last page (e.g. end_of_stream)",
                    },
                },
                "required": ["type"],
                "additionalProperties": False,
            },
            "max_pages": {
                "type": "integer",
                "minimum": 1,
                "maximum": 100_000,
                "description": "stop with an error after this many pages (default 1000)",
            },
            "timeout": {
                "type": "number",
                "exclusiveMinimum": 0,
                "maximum": 3600,
                "description": "seconds a request may take in all, however slowly the answer arrives (default 30)",
            },
            "retries": {
                "type": "integer",
                "minimum": 0,
                "maximum": MAX_RETRIES,
                "description": f"retries on timeouts, 429 and 5xx (default 5, at most {MAX_RETRIES})",
            },
            "max_bytes": {
                "type": "integer",
                "minimum": 1,
                "description": f"the largest response read, in bytes (default {MAX_BYTES:,})",
            },
            "allow_hosts": {
                "type": "array",
                "items": {"type": "string"},
                "description": (
                    "other hosts (or origins) that redirects and next links may lead to; they never get the credentials"
                ),
            },
            "backoff": {
                "type": "number",
                "minimum": 0,
                "description": "first retry wait in seconds, doubled each time (default 0.5)",
            },
        },
        "required": ["url"],
        "additionalProperties": False,
    }

    def open(self, params: Mapping[str, Any], context: SourceContext) -> Any:
        return context.land_records(self.fetch(params))

    def fetch(self, params: Mapping[str, Any]) -> list[dict[str, Any]]:
        from kpiframe.http import UrlPolicy, get_json  # http.client and ssl, only for an HTTP source

        paging = params.get("pagination", {"type": "none"})
        kind = paging["type"]
        options = {k: params[k] for k in ("timeout", "retries", "backoff", "max_bytes") if k in params}
        url, headers = _credentials_apart(params["url"], dict(params.get("headers") or {}))
        options["policy"] = UrlPolicy.for_url(url, params.get("allow_hosts", ()))
        url = with_query(url, **params.get("query", {})) if params.get("query") else url
        page_number = paging.get("start", 1)
        if kind == "page":
            url = with_query(url, **{paging.get("param", "page"): page_number})
        records: list[dict[str, Any]] = []
        max_pages = params.get("max_pages", 1000)
        for page in range(1, max_pages + 1):
            body, response_headers = get_json(url, headers=headers, **options)
            found = dig(body, params.get("records"))
            if found is None:
                raise SourceError(
                    f"page {page} has nothing at records path {params.get('records')!r}; its keys:"
                    f" {', '.join(body) if isinstance(body, dict) else type(body).__name__}"
                )
            if not isinstance(found, list) or not all(isinstance(r, dict) for r in found):
                raise SourceError(
                    f"page {page}: the records at {params.get('records') or 'the top'} are not a list of objects"
                )
            records.extend(found)
            if kind == "none" or not found or (paging.get("done") and dig(body, paging["done"]) is True):
                return records
            if kind == "next_link":
                following = dig(body, paging["next"]) if paging.get("next") else link_next(response_headers)
                if following is not None and not isinstance(following, str):
                    raise SourceError(f"page {page}: the next link at {paging.get('next')!r} is not text")
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
        raise SourceError(
            f"stopped after max_pages={max_pages} pages with more to come; raise max_pages to read everything"
        )


@hookimpl
def kpiframe_register_connectors() -> list[Connector]:
    return [HttpJsonConnector()]
