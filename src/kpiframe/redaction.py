"""One owner for hiding secrets in anything kpiframe prints or writes.

A secret is a value that came from ``${VAR}`` in the config, or a password
written inside a URL (``postgresql://user:pass@host``, ``?password=...``).
Every message, report and traceback passes through a :class:`Redactor` before
it leaves the process, so a credential never reaches a CI log.
"""

from __future__ import annotations

import dataclasses
import re
from collections.abc import Iterable
from typing import TypeVar, cast

T = TypeVar("T")

__all__ = ["Redactor", "mask_url_passwords"]

MASK = "***"
# user:password@ in any scheme://; the user name stays, it helps to debug a login.
_URL_USERINFO = re.compile(r"(?P<head>\b[a-zA-Z][a-zA-Z0-9+.-]{0,30}://[^:/@\s]{0,256}):(?P<secret>[^@/\s]{1,512})@")
# password=... in a query string or a libpq/ODBC connection string.
_KEY_VALUE = re.compile(
    r"(?P<head>\b(?:password|passwd|pwd|secret|token|api_key|apikey)=)(?P<secret>[^&;\s'\"]{1,512})", re.IGNORECASE
)


def mask_url_passwords(text: str) -> str:
    """``scheme://user:pw@host`` → ``scheme://user:***@host``; ``password=pw`` → ``password=***``."""
    text = _URL_USERINFO.sub(lambda m: f"{m['head']}:{MASK}@", text)
    return _KEY_VALUE.sub(lambda m: f"{m['head']}{MASK}", text)


class Redactor:
    """Masks the secrets it was told about, longest first, and passwords in URLs.

    Values shorter than three characters are not masked: replacing every ``1``
    or ``on`` in a report would destroy it and hide nothing worth hiding.
    """

    def __init__(self, secrets: Iterable[str] = ()) -> None:
        self._secrets: set[str] = set()
        self.add(secrets)

    def add(self, secrets: Iterable[str]) -> None:
        self._secrets.update(s for s in secrets if isinstance(s, str) and len(s) >= 3)

    @property
    def secrets(self) -> frozenset[str]:
        return frozenset(self._secrets)

    def __call__(self, text: str) -> str:
        for secret in sorted(self._secrets, key=len, reverse=True):
            text = text.replace(secret, MASK)
        return mask_url_passwords(text)

    def scrub(self, value: T) -> T:
        """``value`` with every text inside it redacted: strings, and those in tuples, lists,
        dicts (keys too) and frozen dataclasses such as the scorecard."""
        if isinstance(value, str):
            return cast(T, self(value))
        if dataclasses.is_dataclass(value) and not isinstance(value, type):
            changes = {f.name: self.scrub(getattr(value, f.name)) for f in dataclasses.fields(value) if f.init}
            return cast(T, dataclasses.replace(value, **changes))
        if isinstance(value, tuple):
            return cast(T, tuple(self.scrub(v) for v in value))
        if isinstance(value, list):
            return cast(T, [self.scrub(v) for v in value])
        if isinstance(value, dict):
            return cast(T, {self.scrub(k): self.scrub(v) for k, v in value.items()})
        return value
