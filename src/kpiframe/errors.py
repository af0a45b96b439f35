"""The one exception tree of kpiframe.

Every error a person can cause or fix derives from :class:`KpiframeError`; the
CLI turns them into a message and an exit code in one place, and prints a
traceback only with ``--debug``::

    KpiframeError               anything kpiframe reports to a person
     ├── ConfigError            the config (or a command-line value, or an output path) is wrong: exit 2
     ├── ExpressionError        a filter or derived expression does not parse or names an unknown
     │                          column; the code that knows the config key turns it into a ConfigError
     ├── PluginError            a plugin failed to load, clashes with another, or breaks its contract: exit 2
     ├── HistoryError           the history store is corrupt, foreign, read-only or unreachable: exit 2
     ├── SourceError            a source could not be read: its metrics get status ``error`` (exit 3)
     ├── CalculationError       a calculator failed on a metric: that metric gets status ``error`` (exit 3)
     └── DeliveryError          a POST (a notification) was not delivered: notifiers warn, the exit code stays

Anything else that escapes a command is a bug: ``kpiframe crashed: ...`` and exit 4
(see :mod:`kpiframe.cli_boundary`).
"""

from __future__ import annotations

import re
from dataclasses import dataclass

__all__ = [
    "CalculationError",
    "ConfigError",
    "ConfigProblem",
    "DeliveryError",
    "ExpressionError",
    "HistoryError",
    "KpiframeError",
    "PluginError",
    "SourceError",
    "bounded",
    "engine_message",
    "first_line",
]


def first_line(exc: BaseException) -> str:
    """An exception's message cut to its first line (drivers add pages), or its type when empty."""
    text = str(exc).strip()
    return text.splitlines()[0] if text else type(exc).__name__


#: The longest engine reason kept in a message; ``--debug`` shows the whole of it.
MAX_REASON = 400
MAX_VALUE = 40

_CSV_LINE = re.compile(r"CSV Error on Line: (\d+)")
_CSV_VALUE = re.compile(
    r'converting column "(?P<column>[^"]*)"\. Could not convert string "(?P<value>.*?)" to \'(?P<type>[^\']+)\''
)
_CSV_FILE = re.compile(r"^\s*file = (.+)$", re.MULTILINE)


def engine_message(exc: BaseException) -> str:
    """What an engine's error says that a person acts on, in at most :data:`MAX_REASON` characters.

    Mostly the type and first line. DuckDB's CSV conversion error puts the line on
    its first line and the column and value further down, then pages of reader
    options: there it is the file, line, column and value, with the fix in the
    config's own words (``null_values:``, ``types:``).
    """
    text = str(exc).strip()
    return bounded(_csv_value(text) or f"{type(exc).__name__}: {first_line(exc)}")


def _csv_value(text: str) -> str | None:
    """``line 202 of d.tsv: column 'wait' holds 'abc', which does not read as DOUBLE; ...`` or ``None``."""
    line, value = _CSV_LINE.search(text), _CSV_VALUE.search(text)
    if line is None or value is None:
        return None
    file = _CSV_FILE.search(text)
    where = f"line {line.group(1)}" + (f" of {file.group(1).strip()}" if file else "")
    column, raw = value.group("column"), bounded(value.group("value"), MAX_VALUE)
    return (
        f"{where}: column {column!r} holds {raw!r}, which does not read as {value.group('type')}; if it means no"
        f" value, add it to the source's `null_values: [{raw!r}]`, else fix that row or read the column as text"
        f" (`types: {{{column}: text}}`)"
    )


def bounded(text: str, limit: int = MAX_REASON) -> str:
    """``text`` cut to ``limit`` characters, an ellipsis marking the cut."""
    return text if len(text) <= limit else text[: limit - 1] + "…"


class KpiframeError(Exception):
    """Base of every error kpiframe reports to a person instead of a traceback."""


@dataclass(frozen=True)
class ConfigProblem:
    """One mistake in a config: where it is, what is wrong, and how to fix it."""

    file: str
    line: int | None
    column: int | None
    path: str  # dotted path into the config, e.g. ``metrics.frt.target``
    message: str
    hint: str | None = None

    def render(self) -> str:
        if not self.file:  # a command-line problem: no file to point at
            return f"error: {self.message}" + (f" ({self.hint})" if self.hint else "")
        where = self.file
        if self.line is not None:
            where += f":{self.line}"
            if self.column is not None:
                where += f":{self.column}"
        text = f"{where}: {self.path + ': ' if self.path else ''}{self.message}"
        if self.hint:
            text += f" ({self.hint})"
        return text


class ConfigError(KpiframeError):
    """The config cannot be used. Carries every problem found, not just the first."""

    def __init__(self, problems: list[ConfigProblem] | str):
        if isinstance(problems, str):
            problems = [ConfigProblem("", None, None, "", problems)]
        self.problems = problems
        super().__init__("\n".join(p.render() for p in problems))


class ExpressionError(KpiframeError):
    """A filter or derived expression is malformed or refers to something unknown.

    Raised without a location; the code that knows which config key held the
    expression turns it into a :class:`ConfigError` with file, line and column.
    """

    def __init__(self, message: str, hint: str | None = None):
        self.message = message
        self.hint = hint
        super().__init__(message + (f" ({hint})" if hint else ""))


class PluginError(KpiframeError):
    """A plugin could not be loaded, clashes with another plugin, or breaks the contract."""


class HistoryError(KpiframeError):
    """The history store cannot be used (corrupt, foreign, read-only, locked for too long, unreachable)."""


class SourceError(KpiframeError):
    """A source could not be opened or read. Its metrics become ``error``; others run on."""


class CalculationError(KpiframeError):
    """A calculator failed for one metric. That metric becomes ``error``; others run on."""


class DeliveryError(KpiframeError):
    """A POST (a webhook notification) was not delivered; its message never holds the URL.

    Notifiers catch it and warn: a chat server being down never changes a run's verdict.
    """
