"""GET JSON over HTTP with the manners an API expects: timeouts, retries, backoff, Retry-After.

Standard library only (urllib): a connector's dependencies stay small.
Public as ``kpiframe.get_json`` for plugin authors' connectors.
"""

from __future__ import annotations

import email.utils
import json
import random
import socket
import time
import urllib.error
import urllib.request
from collections.abc import Callable, Mapping
from datetime import datetime, timezone
from typing import Any

from kpiframe.errors import SourceError

#: Statuses worth trying again: rate limits and server-side trouble.
RETRY_STATUSES = {408, 425, 429, 500, 502, 503, 504}


def _retry_after(value: str | None, cap: float) -> float | None:
    """Seconds to wait from a Retry-After header (seconds or an HTTP date), at most ``cap``."""
    if not value:
        return None
    try:
        return min(max(float(value), 0.0), cap)
    except ValueError:
        pass
    try:
        when = email.utils.parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return None
    return min(max((when - datetime.now(timezone.utc)).total_seconds(), 0.0), cap)


def get_json(
    url: str,
    *,
    headers: Mapping[str, str] | None = None,
    timeout: float = 30.0,
    retries: int = 5,
    backoff: float = 0.5,
    max_wait: float = 60.0,
    sleep: Callable[[float], None] = time.sleep,
) -> tuple[Any, Mapping[str, str]]:
    """GET ``url`` and parse JSON; return (body, response headers).

    Retries timeouts, connection errors and 408/425/429/5xx up to ``retries`` times,
    waiting ``backoff`` × 2^attempt (with jitter) or what ``Retry-After`` asks, at
    most ``max_wait`` seconds. Other 4xx answers and malformed JSON are not
    retried. Raises :class:`kpiframe.SourceError`; its message never contains
    header values (they may be credentials).
    """
    request = urllib.request.Request(url, headers={"Accept": "application/json", "User-Agent": "kpiframe", **(headers or {})})
    last = ""
    for attempt in range(retries + 1):
        wait = min(backoff * (2**attempt) * (1 + random.random() / 2), max_wait)
        try:
            with urllib.request.urlopen(request, timeout=timeout) as response:
                raw = response.read()
                response_headers = dict(response.headers.items())
        except urllib.error.HTTPError as exc:
            last = f"HTTP {exc.code} {exc.reason}"
            if exc.code not in RETRY_STATUSES:
                raise SourceError(f"GET {_safe(url)} failed: {last}") from None
            asked = _retry_after(exc.headers.get("Retry-After"), max_wait)
            wait = asked if asked is not None else wait
        except (urllib.error.URLError, socket.timeout, TimeoutError, ConnectionError) as exc:
            reason = getattr(exc, "reason", exc)
            last = "timed out" if isinstance(reason, (socket.timeout, TimeoutError)) or "timed out" in str(reason) else f"connection failed: {reason}"
        else:
            try:
                return json.loads(raw), response_headers
            except ValueError as exc:
                raise SourceError(f"GET {_safe(url)} did not return JSON ({exc}); the first bytes were {raw[:60]!r}") from None
        if attempt < retries:
            sleep(wait)
    raise SourceError(f"GET {_safe(url)} failed after {retries + 1} attempts: {last}")


def _safe(url: str) -> str:
    """The URL without its query string, which may carry a token."""
    return url.split("?", 1)[0]
