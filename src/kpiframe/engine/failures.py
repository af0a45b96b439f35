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

import sys
import traceback
from collections.abc import Callable
from pathlib import Path
from typing import Any

from kpiframe.errors import bounded, engine_message, first_line

__all__ = ["calculator_failure", "engine_reason", "plugin_frame"]


def _debugging() -> bool:
    """Whether the ``kpiframe`` logger shows debug records. A process that never imported
    :mod:`logging` has no handler anyone set, and a run need not import it to find out."""
    logging = sys.modules.get("logging")
    return logging is not None and logging.getLogger("kpiframe").isEnabledFor(logging.DEBUG)


def engine_reason(exc: BaseException, redact: Callable[[str], str]) -> str:
    """The informative part of an engine's error (:func:`~kpiframe.errors.engine_message`); the whole
    of it goes to the debug log."""
    if _debugging():
        sys.modules["logging"].getLogger("kpiframe").debug("the engine's whole message:\n%s", redact(str(exc).strip()))
    return engine_message(exc)


def calculator_failure(what: str, calculator: Any, exc: BaseException, redact: Callable[[str], str]) -> str:
    """``calculator X failed: ZeroDivisionError: ... (in calc.py:21)``; the traceback goes to the debug log.

    :param what: how the failure reads, e.g. ``calculator mytool.spread failed``.
    """
    if _debugging():
        text = redact("".join(traceback.format_exception(exc)).rstrip())
        sys.modules["logging"].getLogger("kpiframe").debug("%s:\n%s", redact(what), text)
    frame = plugin_frame(exc, calculator)
    detail = bounded(f"{type(exc).__name__}: {first_line(exc)}")
    return f"{what}: {detail}" + (f" (in {frame})" if frame else "")


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
