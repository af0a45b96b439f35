"""The statuses a metric (or a segment) can have, in the one severity order.

``pass`` and ``info`` tie at the bottom: ``info`` is a metric without a target,
reported and never gating. ``no_data`` ranks above ``warn``: a gate that saw no
rows has checked nothing, while a warn was at least measured. The worst status
of a scorecard, ``--fail-on``, the exit code and the worst-first order of every
report all read :attr:`Status.severity`, and nothing else.

A :class:`Status` is a ``str`` (``Status.FAIL == "fail"``), so the JSON form and
plugins that compare with plain text keep working.
"""

from __future__ import annotations

from enum import StrEnum

__all__ = ["SEVERITY", "STATUSES", "Status"]


class Status(StrEnum):
    PASS = "pass"
    INFO = "info"
    WARN = "warn"
    NO_DATA = "no_data"
    FAIL = "fail"
    ERROR = "error"

    @property
    def severity(self) -> int:
        """0 for pass and info, then warn 1, no_data 2, fail 3, error 4."""
        return _SEVERITY[self]

    @classmethod
    def worst(cls, statuses: list[Status] | tuple[Status, ...]) -> Status:
        """The most severe of ``statuses`` (pass when there are none); on a tie, the later in :data:`STATUSES`."""
        return max(statuses, key=lambda s: (Status(s).severity, STATUSES.index(Status(s))), default=cls.PASS)


_SEVERITY = {Status.PASS: 0, Status.INFO: 0, Status.WARN: 1, Status.NO_DATA: 2, Status.FAIL: 3, Status.ERROR: 4}

#: Every status, from best to worst.
STATUSES: tuple[Status, ...] = tuple(Status)
#: Status → severity, for code that holds plain text.
SEVERITY: dict[str, int] = {status.value: status.severity for status in Status}
