"""The HTTP client's limits, apart from the client: the HTTP connector's params schema
states them, and registering the connector must not import ``http.client`` and ``ssl``
(a run without an HTTP source never needs them)."""

from __future__ import annotations

#: The most a response may be, by default: far above any API page.
MAX_BYTES = 50 * 1024 * 1024
#: The most retries a request may ask for, and the most seconds all its waits may add up to.
MAX_RETRIES = 10
MAX_TOTAL_WAIT = 300.0
MAX_REDIRECTS = 5
