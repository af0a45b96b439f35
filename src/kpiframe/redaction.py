"""One owner for hiding secrets in anything kpiframe prints or writes.

A secret is a value that came from ``${VAR}`` in the config, or a password
written inside a URL (``postgresql://user:pass@host``, ``?password=...``).
Every message, report and traceback passes through a :class:`Redactor` before
it leaves the process, so a credential never reaches a CI log.
"""

from __future__ import annotations

import re
from collections.abc import Iterable

__all__ = ["Redactor", "mask_url_passwords"]

MASK = "***"
# user:password@ in any scheme://; the user name stays, it helps to debug a login.
_URL_USERINFO = re.compile(r"(?P<head>\b[a-zA-Z][a-zA-Z0-9+.-]{0,30}://[^:/@\s]{0,256}):(?P<secret>[^@/\s]{1,512})@")
# password=... in a query string or a libpq/ODBC connection string.
_KEY_VALUE = re.compile(r"(?P<head>\b(?:password|passwd|pwd|secret|token|api_key|apikey)=)(?P<secret>[^&;\s'\"]{1,512})", re.IGNORECASE)


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
