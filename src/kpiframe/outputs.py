"""Where ``--output`` writes, in which format, and what it must never overwrite.

``-o report.html`` writes HTML: the format comes from the extension of any
installed reporter (``.xml`` is JUnit). ``FORMAT=PATH`` names it outright. A path
with an extension no reporter claims is an error rather than a text table
written into a file whose name promises something else.

An output may not be the config, a source file or the history store. Paths are
compared by device and inode, so a hard link or another spelling of the same
file does not get past the guard.
"""

from __future__ import annotations

import glob
import os
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from kpiframe.errors import ConfigError

__all__ = ["FORMAT_ALIASES", "Output", "ProtectedFiles", "parse_outputs"]

#: Short names people type for the built-in formats.
FORMAT_ALIASES = {"md": "markdown", "xml": "junit", "txt": "table"}


@dataclass(frozen=True)
class Output:
    format: str
    path: Path


def _extensions(reporters: Mapping[str, Any]) -> dict[str, str]:
    by_extension: dict[str, str] = {}
    for name, registration in sorted(reporters.items()):
        extension = str(getattr(getattr(registration, "obj", registration), "extension", "") or "").lower().lstrip(".")
        # The first reporter (by name) to claim an extension keeps it; `table` and a plugin's
        # text format must not fight over `.txt`.
        if extension and extension not in by_extension:
            by_extension[extension] = name
    by_extension["htm"] = by_extension.get("htm", "html")
    return by_extension


def parse_outputs(specs: Iterable[str], reporters: Mapping[str, Any], explicit: str | None = None) -> list[Output]:
    """``junit=report.xml`` or ``report.html`` → outputs.

    A bare path takes ``explicit`` (a ``--format`` the user typed) when given,
    else the format its extension names.
    """
    extensions = _extensions(reporters)
    outputs = []
    for spec in specs:
        name, eq, rest = spec.partition("=")
        if eq and name and "/" not in name and "." not in name and os.sep not in name:
            fmt = FORMAT_ALIASES.get(name, name)
            if not rest:
                raise ConfigError(
                    f"--output {spec}: no path after '='; write {name}=report.{_extension_of(fmt, extensions)}"
                )
            path = Path(rest)
        else:
            path = Path(spec)
            suffix = path.suffix.lower().lstrip(".")
            fmt = explicit or extensions.get(suffix) or ""
            if not fmt:
                known = ", ".join(f".{e}" for e in sorted(extensions))
                raise ConfigError(
                    f"--output {spec}: cannot tell the format from "
                    + (f"the extension .{suffix}" if suffix else "a path without an extension")
                    + f"; use one of {known}, or write FORMAT=PATH (e.g. json={spec})"
                )
        if fmt not in reporters:
            raise ConfigError(f"--output {spec}: unknown format {fmt!r}; installed: {', '.join(sorted(reporters))}")
        outputs.append(Output(fmt, path))
    return outputs


def _extension_of(fmt: str, extensions: Mapping[str, str]) -> str:
    return next((e for e, f in extensions.items() if f == fmt), "txt")


class ProtectedFiles:
    """Files an output must never replace, known by (device, inode) and by why they matter."""

    def __init__(self) -> None:
        self._files: dict[tuple[int, int], str] = {}

    def add(self, path: Path | str, why: str) -> None:
        for match in glob.glob(str(path)) if any(c in str(path) for c in "*?[") else [str(path)]:
            try:
                stat = os.stat(match)
            except OSError:
                continue  # not there yet: nothing to lose
            self._files.setdefault((stat.st_dev, stat.st_ino), why)

    def check(self, output: Output, what: str = "--output", binary_report: bool = False) -> None:
        """Refuse ``output`` when it is a protected file, a database or data file, or (for a text
        report; ``binary_report`` for a reporter that writes bytes) any binary file."""
        try:
            stat = os.stat(output.path)
        except OSError:
            return
        why = self._files.get((stat.st_dev, stat.st_ino)) or data_file_kind(output.path, binary_report)
        if why is not None:
            raise ConfigError(f"{what} {output.path} is {why}; kpiframe never overwrites it. Choose another path")


#: The first bytes of the data files a report must never replace, whichever config they belong to.
_MAGICS = (
    (0, b"SQLite format 3\0", "an SQLite database"),
    (8, b"DUCK", "a DuckDB database"),
    (0, b"PAR1", "a Parquet file"),
)


def data_file_kind(path: Path, binary_report: bool = False) -> str | None:
    """What a file is, when it is a database or data file (a history store, an export) or binary.

    A report is text; a file with a NUL byte in its first KB never was one, so replacing
    it (``-o json=history.duckdb`` of another run) would destroy something kpiframe did not write.
    """
    try:
        with open(path, "rb") as handle:
            head = handle.read(1024)
    except OSError:
        return None
    for offset, magic, kind in _MAGICS:
        if head[offset : offset + len(magic)] == magic:
            return kind
    return "a binary file, not a report" if b"\0" in head and not binary_report else None
