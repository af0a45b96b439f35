"""The exit-code contract of ``kpiframe`` (documented in the README and docs/cli.md)."""

from __future__ import annotations

from enum import IntEnum


class ExitCode(IntEnum):
    #: Nothing at or above the ``--fail-on`` level: the build may pass.
    OK = 0
    #: A target failed (or warned, with ``--fail-on warn``): a KPI regressed.
    TARGET_FAILED = 1
    #: The config or the command line is wrong; nothing was computed.
    USAGE_ERROR = 2
    #: A source or calculator failed, so some verdicts are missing.
    SOURCE_ERROR = 3
    #: kpiframe itself (or a plugin) crashed: a bug to report, never a verdict on a KPI.
    INTERNAL_ERROR = 4
