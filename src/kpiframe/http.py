"""GET JSON (and POST it, for notifiers) over HTTP with the manners an API expects, and the suspicion a CI job needs.

Manners: retries with backoff and jitter, ``Retry-After``, a bounded number of
attempts. Suspicion, because a config's URL, a redirect or a ``next`` link may
point anywhere:

- only ``http`` and ``https``; a ``file://`` or ``ftp://`` link is refused;
- credentials (the configured headers, user info) go only to the configured URL's
  origin; another origin is refused unless ``allow_hosts`` names it, and then gets
  no credentials;
- loopback, private, link-local and other special addresses are refused unless the
  configured URL is itself one (a public API cannot send kpiframe to the cloud's
  metadata service). The address checked is the address connected to, so a name
  that resolves differently the second time (DNS rebinding) gains nothing;
- every request has a total deadline (a server that drips a byte every half
  second still times out), and every response is read up to ``max_bytes``.

Standard library only (``http.client``): a connector's dependencies stay small.
Public as ``kpiframe.get_json`` for plugin authors' connectors, and
``kpiframe.post_json`` for notifiers (webhooks), which follows no redirects and
never names the URL in its errors: a webhook's URL is its credential.
"""

from __future__ import annotations

import email.utils
import http.client
import ipaddress
import json
import random
import socket
import ssl
import threading
import time
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any
from urllib.parse import urljoin, urlsplit

from kpiframe.errors import DeliveryError, SourceError
from kpiframe.http_limits import MAX_BYTES, MAX_REDIRECTS, MAX_RETRIES, MAX_TOTAL_WAIT
from kpiframe.redaction import mask_url_passwords

__all__ = ["MAX_BYTES", "MAX_RETRIES", "Origin", "UrlPolicy", "get_json", "post_json"]

#: Statuses worth trying again: rate limits and server-side trouble.
RETRY_STATUSES = {408, 425, 429, 500, 502, 503, 504}
#: Headers that carry credentials; never sent to another origin.
_CREDENTIAL_HEADERS = {"authorization", "cookie", "proxy-authorization", "x-api-key", "api-key", "x-auth-token"}


@dataclass(frozen=True)
class Origin:
    scheme: str
    host: str
    port: int

    @classmethod
    def of(cls, url: str) -> Origin:
        parts = urlsplit(url)
        scheme = parts.scheme.lower()
        if scheme not in ("http", "https"):
            raise SourceError(f"only http and https URLs are followed, not {scheme or 'a relative'}:// ({_safe(url)})")
        if not parts.hostname:
            raise SourceError(f"the URL {_safe(url)} names no host")
        try:
            port = parts.port or (443 if scheme == "https" else 80)
        except ValueError:
            raise SourceError(f"the URL {_safe(url)} has an invalid port") from None
        return cls(scheme, parts.hostname.lower(), port)

    def __str__(self) -> str:
        return f"{self.scheme}://{self.host}:{self.port}"


@dataclass
class UrlPolicy:
    """Where a source's requests may go, decided from the configured URL.

    :param home: the configured URL's origin: the only one that gets credentials.
    :param allow_hosts: other hosts (``api2.example.com``) or origins
        (``https://api2.example.com:8443``) that redirects and next links may reach.
    :param private_ok: whether special addresses (loopback, private...) are allowed,
        true only when the configured URL itself resolves to one.
    """

    home: Origin
    allow_hosts: frozenset[str] = frozenset()
    private_ok: bool = False
    _resolved: dict[tuple[str, int], list[str]] = field(default_factory=dict, repr=False)

    @classmethod
    def for_url(cls, url: str, allow_hosts: Iterable[str] = ()) -> UrlPolicy:
        home = Origin.of(url)
        policy = cls(home, frozenset(h.lower().rstrip("/") for h in allow_hosts))
        policy.private_ok = any(_special(address) for address in policy.addresses(home))
        return policy

    def addresses(self, origin: Origin) -> list[str]:
        key = (origin.host, origin.port)
        if key not in self._resolved:
            try:
                infos = socket.getaddrinfo(origin.host, origin.port, type=socket.SOCK_STREAM)
            except socket.gaierror as exc:
                raise SourceError(f"cannot resolve {origin.host}: {exc.strerror or exc}") from None
            self._resolved[key] = list(dict.fromkeys(str(info[4][0]) for info in infos))
        return self._resolved[key]

    def check(self, url: str) -> tuple[Origin, str, bool]:
        """The origin, the vetted address to connect to, and whether credentials may go along."""
        origin = Origin.of(url)
        at_home = origin == self.home
        names = {origin.host, f"{origin.host}:{origin.port}", str(origin), f"{origin.scheme}://{origin.host}"}
        if not at_home and not (names & self.allow_hosts):
            raise SourceError(
                f"refused to follow {_safe(url)}: it leaves {self.home} for {origin}; "
                f"list {origin.host} under `allow_hosts:` if the API really lives there"
            )
        addresses = self.addresses(origin)
        special = [a for a in addresses if _special(a)]
        if special and not self.private_ok:
            raise SourceError(
                f"refused to connect to {origin.host} ({special[0]}): a loopback, private or link-local address"
            )
        return origin, addresses[0], at_home


def _special(address: str) -> bool:
    ip = ipaddress.ip_address(address.split("%")[0])
    if isinstance(ip, ipaddress.IPv6Address) and ip.ipv4_mapped is not None:
        ip = ip.ipv4_mapped
    return ip.is_private or ip.is_loopback or ip.is_link_local or ip.is_reserved or ip.is_multicast or ip.is_unspecified


class _PinnedHTTPS(http.client.HTTPSConnection):
    """Connects to the vetted address, but verifies the certificate for the host name."""

    def __init__(self, host: str, address: str, port: int, timeout: float):
        super().__init__(host, port, timeout=timeout, context=ssl.create_default_context())
        self._address = address

    def connect(self) -> None:
        sock = socket.create_connection((self._address, self.port), self.timeout)
        self.raw_socket = sock
        self.sock = self._context.wrap_socket(sock, server_hostname=self.host)  # type: ignore[attr-defined]


class _PinnedHTTP(http.client.HTTPConnection):
    def __init__(self, host: str, address: str, port: int, timeout: float):
        super().__init__(host, port, timeout=timeout)
        self._address = address

    def connect(self) -> None:
        self.sock = self.raw_socket = socket.create_connection((self._address, self.port), self.timeout)


class _Status(Exception):
    def __init__(self, status: int, reason: str, headers: Mapping[str, str]):
        self.status, self.reason, self.headers = status, reason, headers


def _fetch(
    url: str,
    headers: Mapping[str, str],
    policy: UrlPolicy,
    timeout: float,
    max_bytes: int,
    body: bytes | None = None,
) -> tuple[bytes, dict[str, str]]:
    """One GET (or, with a ``body``, one POST), following redirects under the policy (a GET only),
    within ``timeout`` seconds in all."""
    deadline = time.monotonic() + timeout
    for _ in range(MAX_REDIRECTS + 1 if body is None else 1):
        origin, address, at_home = policy.check(url)
        parts = urlsplit(url)
        path = (parts.path or "/") + (f"?{parts.query}" if parts.query else "")
        sent = {k: v for k, v in headers.items() if at_home or k.lower() not in _CREDENTIAL_HEADERS}
        kind = _PinnedHTTPS if origin.scheme == "https" else _PinnedHTTP
        remaining = deadline - time.monotonic()
        if remaining <= 0:
            raise TimeoutError
        connection = kind(origin.host, address, origin.port, timeout=remaining)
        # The deadline covers the whole exchange: a timer closes the socket however slowly bytes drip.
        watchdog = threading.Timer(remaining, _abort, (connection,))
        watchdog.daemon = True
        watchdog.start()
        try:
            connection.request("GET" if body is None else "POST", path, body=body, headers=sent)
            response = connection.getresponse()
            response_headers = {k: v for k, v in response.getheaders()}
            if response.status in (301, 302, 303, 307, 308) and body is not None:
                raise _Status(response.status, response.reason, response_headers)
            if response.status in (301, 302, 303, 307, 308):
                location = response.getheader("Location")
                if not location:
                    raise SourceError(f"GET {_safe(url)}: a redirect without a Location")
                url = urljoin(url, location)
                continue
            if response.status >= 400:
                raise _Status(response.status, response.reason, response_headers)
            body = _read(response, max_bytes, url)
            if time.monotonic() > deadline:
                raise TimeoutError
            return body, response_headers
        except (OSError, http.client.HTTPException) as exc:
            if time.monotonic() >= deadline:
                raise TimeoutError from None
            raise ConnectionError(str(exc) or type(exc).__name__) from None
        finally:
            watchdog.cancel()
            connection.close()
    raise SourceError(f"GET {_safe(url)}: more than {MAX_REDIRECTS} redirects")


def _abort(connection: http.client.HTTPConnection) -> None:
    # The raw socket, not connection.sock: http.client hands the socket to the response
    # (and forgets it) when the server will close the connection.
    sock = getattr(connection, "raw_socket", None)
    if sock is not None:
        try:
            sock.shutdown(socket.SHUT_RDWR)
        except OSError:
            pass


def _read(response: http.client.HTTPResponse, max_bytes: int, url: str) -> bytes:
    length = response.getheader("Content-Length")
    if length and length.isdigit() and int(length) > max_bytes:
        raise SourceError(
            f"GET {_safe(url)}: the response is {int(length):,} bytes, over max_bytes ({max_bytes:,}); raise"
            " `max_bytes:` to read it"
        )
    chunks, size = [], 0
    while chunk := response.read(65536):
        size += len(chunk)
        if size > max_bytes:
            raise SourceError(
                f"GET {_safe(url)}: the response is over max_bytes ({max_bytes:,} bytes); raise `max_bytes:` to read it"
            )
        chunks.append(chunk)
    return b"".join(chunks)


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
    return min(max((when - datetime.now(UTC)).total_seconds(), 0.0), cap)


def get_json(
    url: str,
    *,
    headers: Mapping[str, str] | None = None,
    timeout: float = 30.0,
    retries: int = 5,
    backoff: float = 0.5,
    max_wait: float = 60.0,
    sleep: Callable[[float], None] = time.sleep,
    max_bytes: int = MAX_BYTES,
    policy: UrlPolicy | None = None,
) -> tuple[Any, Mapping[str, str]]:
    """GET ``url`` and parse JSON; return (body, response headers).

    Retries timeouts, connection errors and 408/425/429/5xx up to ``retries`` times
    (at most :data:`MAX_RETRIES`), waiting ``backoff`` × 2^attempt (with jitter) or
    what ``Retry-After`` asks, at most ``max_wait`` seconds each and
    :data:`MAX_TOTAL_WAIT` in all. ``timeout`` is a total deadline per attempt.
    ``policy`` (default: the one ``url`` implies) says where redirects may go and
    who gets the credentials. Raises :class:`kpiframe.SourceError`; its message
    never contains header values or URL passwords.
    """
    policy = policy or UrlPolicy.for_url(url)
    sent = {"Accept": "application/json", "User-Agent": "kpiframe", **(headers or {})}
    try:
        raw, response_headers = _retried(
            lambda: _fetch(url, sent, policy, timeout, max_bytes), retries, backoff, max_wait, sleep, timeout
        )
    except _Status as exc:
        raise SourceError(f"GET {_safe(url)} failed: HTTP {exc.status} {exc.reason}".strip()) from None
    except _GaveUp as exc:
        raise SourceError(f"GET {_safe(url)} failed after {exc.attempts} attempts: {exc.last}") from None
    try:
        return json.loads(raw), response_headers
    except ValueError as exc:
        raise SourceError(f"GET {_safe(url)} did not return JSON ({exc}); it starts with {raw[:40]!r}") from None


class _GaveUp(Exception):
    """Every attempt failed in a way worth retrying: ``last`` says how the last one did."""

    def __init__(self, last: str, attempts: int):
        self.last, self.attempts = last, attempts


def _retried(
    send: Callable[[], Any],
    retries: int,
    backoff: float,
    max_wait: float,
    sleep: Callable[[float], None],
    timeout: float,
    describe: Callable[[str], str] = lambda text: text,
) -> Any:
    """``send()``'s answer, retrying timeouts, connection errors and 408/425/429/5xx up to
    ``retries`` times (at most :data:`MAX_RETRIES`): ``backoff`` × 2^attempt with jitter, or
    what ``Retry-After`` asks, at most ``max_wait`` each and :data:`MAX_TOTAL_WAIT` in all.

    :raises _Status: a status not worth retrying. :raises _GaveUp: no attempt got an answer.
    ``describe`` cleans a connection error's text (a webhook's URL is its credential).
    """
    retries = max(0, min(int(retries), MAX_RETRIES))
    waited, last = 0.0, ""
    for attempt in range(retries + 1):
        wait = min(backoff * (2**attempt) * (1 + random.random() / 2), max_wait)
        try:
            return send()
        except _Status as exc:
            last = f"HTTP {exc.status} {exc.reason}".strip()
            if exc.status not in RETRY_STATUSES:
                raise
            asked = _retry_after(exc.headers.get("Retry-After"), max_wait)
            wait = asked if asked is not None else wait
        except TimeoutError:
            last = f"no complete answer within {timeout:g} s"
        except ConnectionError as exc:
            last = f"connection failed: {describe(str(exc))}"
        if attempt < retries:
            wait = min(wait, MAX_TOTAL_WAIT - waited)
            if wait <= 0 and waited >= MAX_TOTAL_WAIT:
                break
            sleep(wait)
            waited += wait
    raise _GaveUp(last, attempt + 1)


#: The most of a webhook's answer that is read: a chat server answers ``ok`` or a short error.
POST_ANSWER_BYTES = 64 * 1024


def post_json(
    url: str,
    payload: Any,
    *,
    headers: Mapping[str, str] | None = None,
    timeout: float = 10.0,
    retries: int = 2,
    backoff: float = 0.5,
    max_wait: float = 10.0,
    sleep: Callable[[float], None] = time.sleep,
) -> None:
    """POST ``payload`` as JSON to ``url`` (a webhook); return once it answered 2xx.

    Bounded like :func:`get_json`: ``timeout`` is a total deadline per attempt; it
    retries timeouts, connection errors and 408/425/429/5xx up to ``retries`` times
    (at most :data:`MAX_RETRIES`), waiting ``backoff`` × 2^attempt (with jitter) or
    what ``Retry-After`` asks, at most ``max_wait`` seconds each. So the longest a
    call can take is about ``(retries + 1) × timeout`` plus the waits. The same
    address rules apply (``http``/``https`` only; a private address only when the
    URL itself is one). Redirects are not followed: a webhook that moved says so.
    A retry after a timeout may deliver twice if the server did take the first
    post; chat messages tolerate that better than silence.

    :raises kpiframe.DeliveryError: the post was refused or never answered; the
        message gives the status or the failure, never the URL (it is the credential).
    """
    data = json.dumps(payload, ensure_ascii=False, allow_nan=False).encode()
    sent = {"Content-Type": "application/json; charset=utf-8", "User-Agent": "kpiframe", **(headers or {})}
    try:
        policy = UrlPolicy.for_url(url)
        _retried(
            lambda: _fetch(url, sent, policy, timeout, POST_ANSWER_BYTES, body=data),
            retries,
            backoff,
            max_wait,
            sleep,
            timeout,
            describe=lambda text: _without(text, url),
        )
    except _Status as exc:
        raise DeliveryError(f"the webhook refused the post: HTTP {exc.status} {exc.reason}".strip()) from None
    except _GaveUp as exc:
        raise DeliveryError(f"the webhook did not take the post after {exc.attempts} attempts: {exc.last}") from None
    except SourceError as exc:
        raise DeliveryError(_without(str(exc), url)) from None


def _without(text: str, url: str) -> str:
    """``text`` with the URL, and any piece of it that names a path or a query, masked."""
    text = text.replace(url, "***")
    parts = urlsplit(url)
    for piece in (parts.path, parts.query, parts.password or ""):
        if len(piece) > 1:
            text = text.replace(piece, "***")
    return text


def _safe(url: str) -> str:
    """The URL without its query string (which may carry a token) and without a password."""
    return mask_url_passwords(url.split("?", 1)[0])
