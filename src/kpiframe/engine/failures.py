"""Why a query or a calculator failed, in words that say where to look.

An engine's message can run to pages: DuckDB answers a value that does not parse
with the line, the column and the value, then a dump of every reader option.
:func:`engine_reason` keeps what a person acts on (for a CSV: file, line, column,
value) and adds the fix in kpiframe's own option names (``null_values:``,
``types:``); the whole text goes to the ``kpiframe`` logger, which ``--debug``
prints (see :mod:`kpiframe.cli_boundary`).

A calculator's bug is the plugin author's to fix: :func:`calculator_failure` names
the plugin's own file and line (``(in mytool/calc.py:12)``), and the traceback is
logged for ``--debug``.
"""

from __future__ import annotations

import logging
import re
import sys
import traceback
from collections.abc import Callable
from pathlib import Path
from typing import Any

from kpiframe.errors import first_line

__all__ = ["calculator_failure", "engine_reason", "plugin_frame"]

log = logging.getLogger("kpiframe")

#: The longest reason kept in a scorecard; the whole message is in the --debug log.
MAX_REASON = 400
MAX_VALUE = 40

_CSV_LINE = re.compile(r"CSV Error on Line: (\d+)")
_CSV_VALUE = re.compile(
    r'converting column "(?P<column>[^"]*)"\. Could not convert string "(?P<value>.*?)" to \'(?P<type>[^\']+)\''
)
_CSV_FILE = re.compile(r"^\s*file = (.+)$", re.MULTILINE)


def engine_reason(exc: BaseException, redact: Callable[[str], str]) -> str:
    """The informative part of an engine's error, bounded; the whole of it goes to the debug log."""
    text = str(exc).strip()
    if log.isEnabledFor(logging.DEBUG):
        log.debug("the engine's whole message:\n%s", redact(text))
    reason = _csv_value(text) or f"{type(exc).__name__}: {first_line(exc)}"
    return _bounded(reason, MAX_REASON)


def _csv_value(text: str) -> str | None:
    """``line 202 of d.tsv: column 'wait' holds 'abc', not DOUBLE`` and its fix, for DuckDB's CSV conversion error."""
    line, value = _CSV_LINE.search(text), _CSV_VALUE.search(text)
    if line is None or value is None:
        return None
    file = _CSV_FILE.search(text)
    where = f"line {line.group(1)}" + (f" of {file.group(1).strip()}" if file else "")
    column, raw = value.group("column"), _bounded(value.group("value"), MAX_VALUE)
    return (
        f"{where}: column {column!r} holds {raw!r}, which does not read as {value.group('type')}; if it means no"
        f" value, add it to the source's `null_values: [{raw!r}]`, else fix that row or read the column as text"
        f" (`types: {{{column}: text}}`)"
    )


def _bounded(text: str, limit: int) -> str:
    return text if len(text) <= limit else text[: limit - 1] + "…"


def calculator_failure(what: str, calculator: Any, exc: BaseException, redact: Callable[[str], str]) -> str:
    """``calculator X failed: ZeroDivisionError: ... (in calc.py:21)``; the traceback goes to the debug log.

    :param what: how the failure reads, e.g. ``calculator mytool.spread failed``.
    """
    if log.isEnabledFor(logging.DEBUG):
        log.debug("%s:\n%s", redact(what), redact("".join(traceback.format_exception(exc)).rstrip()))
    frame = plugin_frame(exc, calculator)
    return f"{what}: {type(exc).__name__}: {exc}" + (f" (in {frame})" if frame else "")


def plugin_frame(exc: BaseException, obj: Any) -> str | None:
    """``mytool/calc.py:12``: the innermost frame of ``exc`` in the package (or file) that defines ``obj``."""
    name = type(obj).__module__
    file = getattr(sys.modules.get(name), "__file__", None)
    if not file or name.split(".")[0] == "kpiframe":
        return None
    own, shown_from = _plugin_files(Path(file).resolve(), name)
    for frame in reversed(traceback.extract_tb(exc.__traceback__)):
        path = Path(frame.filename).resolve()
        if path == own or (own.is_dir() and path.is_relative_to(own)):
            return f"{path.relative_to(shown_from).as_posix()}:{frame.lineno}"
    return None


def _plugin_files(file: Path, module: str) -> tuple[Path, Path]:
    """Where the plugin's code is (its top package's folder, or its one file) and the folder paths are shown from.

    A module of a package (``mytool.calc`` in ``.../mytool/calc.py``) owns its whole
    package; a single file (a config's ``plugins: [./calc.py]``, loaded by path
    under a made-up name) owns only itself, so ibis' frames beside it never count.
    """
    parts = module.split(".")
    inside = Path(*parts, "__init__.py") if file.name == "__init__.py" else Path(*parts[:-1], f"{parts[-1]}.py")
    if len(inside.parts) > 1 and file.as_posix().endswith("/" + inside.as_posix()):
        package = file.parents[len(inside.parts) - 2]
        return package, package.parent
    return file, file.parent
