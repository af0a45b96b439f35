"""The one place where an error becomes a message and an exit code.

Every command of ``kpiframe`` runs inside :class:`GuardedGroup`, so no command
repeats the same ``try``/``except``:

- a :class:`~kpiframe.errors.KpiframeError` is something a person can fix: its
  message is printed and the exit code says what kind it is (2 for the config,
  the command line or the history store; 3 for a source);
- anything else is a bug in kpiframe or in a plugin: one line, ``kpiframe
  crashed: ...; rerun with --debug and report it``, and exit 4. A crash must
  never exit 1, the code a CI job reads as "a KPI regressed";
- ``--debug`` adds the traceback, passed through the redactor like every other
  text, so a secret from ``${VAR}`` never reaches a CI log; it also prints what
  the run logs to the ``kpiframe`` logger (an engine's whole message, the
  traceback of a calculator's bug, which only fail their metric).

SIGTERM (a CI job cancelled) ends the run as SIGINT does: files being written are
left as they were (see :mod:`kpiframe.atomic`), and the exit code is 128 + the signal.
"""

from __future__ import annotations

import errno
import signal
import sys
import traceback
from collections.abc import Callable
from typing import Any

import typer
from typer.core import TyperGroup

try:  # typer 0.2x vendors click; older typers use click itself
    from typer.exceptions import TyperException
except ImportError:  # pragma: no cover - depends on the installed typer
    from click.exceptions import ClickException as TyperException  # type: ignore[assignment, unused-ignore]

from kpiframe.errors import ConfigError, HistoryError, KpiframeError, PluginError
from kpiframe.exit_codes import ExitCode
from kpiframe.redaction import Redactor
from kpiframe.rich_help import lighter_rich_help

__all__ = ["GuardedGroup", "exit_code_for", "install_signal_handlers", "reader_gone", "state"]


class _State:
    """What the boundary knows about the current invocation."""

    def __init__(self) -> None:
        self._end_debug_log: Callable[[], None] | None = None
        self.reset()

    def reset(self) -> None:
        self._debug = False
        self.redactor = Redactor()
        self.config_plugins = True  # --no-config-plugins turns it off

    @property
    def debug(self) -> bool:
        return self._debug

    @debug.setter
    def debug(self, on: bool) -> None:
        """``--debug`` also sends the ``kpiframe`` logger to stderr, until the command ends."""
        self._debug = on
        if on and self._end_debug_log is None:
            self._end_debug_log = _debug_logging()

    def end_debug_log(self) -> None:
        if self._end_debug_log is not None:
            self._end_debug_log()
            self._end_debug_log = None


state = _State()


def exit_code_for(error: KpiframeError) -> ExitCode:
    """Config, command-line, plugin and history problems are usage errors; the rest are source errors."""
    if isinstance(error, (ConfigError, PluginError, HistoryError)):
        return ExitCode.USAGE_ERROR
    return ExitCode.SOURCE_ERROR


def _echo(text: str) -> None:
    from kpiframe.formatting import printable

    typer.echo(printable(state.redactor(text)), err=True)


def _debug_traceback(error: BaseException) -> None:
    if state.debug:
        _echo("".join(traceback.format_exception(error)).rstrip())


def _debug_logging() -> Callable[[], None]:
    """Send the ``kpiframe`` logger's records to stderr, redacted, for one command; returns how to
    undo it. Only ``--debug`` imports :mod:`logging` (a run without it never needs it)."""
    import logging

    class DebugLog(logging.Handler):
        def emit(self, record: logging.LogRecord) -> None:
            if state.debug:
                _echo(f"debug: {record.getMessage()}")

    logger, handler = logging.getLogger("kpiframe"), DebugLog(logging.DEBUG)
    level = logger.level
    logger.addHandler(handler)
    logger.setLevel(logging.DEBUG)

    def undo() -> None:
        logger.removeHandler(handler)
        logger.setLevel(level)

    return undo


def report_error(error: KpiframeError) -> ExitCode:
    """Print a person-fixable error (every problem of a config) and return its exit code."""
    _debug_traceback(error)
    if isinstance(error, ConfigError):
        _echo(str(error))
        count = len(error.problems)
        if any(p.file for p in error.problems):
            _echo(f"{count} problem{'s' if count != 1 else ''} found; nothing was computed.")
    else:
        _echo(f"error: {error}")
    return exit_code_for(error)


def report_crash(error: BaseException) -> ExitCode:
    """One line for an unexpected exception (the traceback with --debug), and exit code 4."""
    _debug_traceback(error)
    text = str(error).strip().splitlines()
    detail = f"{type(error).__name__}: {text[0]}" if text else type(error).__name__
    _echo(f"kpiframe crashed: {detail}; rerun with --debug and report it")
    return ExitCode.INTERNAL_ERROR


class GuardedGroup(TyperGroup):
    """A Typer group whose commands' errors all pass through :func:`report_error` or :func:`report_crash`."""

    def main(self, *args: Any, **kwargs: Any) -> Any:
        stdout_was_null = _stdout_is_null()
        try:
            with lighter_rich_help():  # help and usage errors without rich's Markdown and tracebacks
                return super().main(*args, **kwargs)
        except SystemExit as done:
            # A broken pipe outside a command (``--help | head``) is answered with exit 1, the
            # code CI reads as "a target failed": by click and typer, which wrap stdout in
            # PacifyFlushWrapper, and by rich, which points stdout at /dev/null. Neither
            # happens on any other path.
            if done.code == 1 and (
                type(sys.stdout).__name__ == "PacifyFlushWrapper" or (_stdout_is_null() and not stdout_was_null)
            ):
                raise SystemExit(reader_gone()) from None
            raise

    def invoke(self, ctx: Any) -> Any:
        try:
            return self._guarded(ctx)
        finally:
            state.end_debug_log()

    def _guarded(self, ctx: Any) -> Any:
        try:
            return super().invoke(ctx)
        except (typer.Exit, typer.Abort, TyperException):  # click's own usage errors and exits: exit 2 etc.
            raise
        except BrokenPipeError:
            raise typer.Exit(reader_gone()) from None
        except KpiframeError as error:
            raise typer.Exit(int(report_error(error))) from None
        except RecursionError as error:
            # Deeply nested input that slipped past the parsers' own limits is still input.
            raise typer.Exit(int(report_error(ConfigError(f"input nested too deeply to handle ({error})")))) from None
        except OSError as error:
            if error.errno in _PATH_ERRNOS and error.filename is not None:
                # A path given on the command line that the file system refuses: the user's to fix.
                _echo(f"error: cannot use {_short(error.filename)}: {error.strerror}; give another path")
                raise typer.Exit(int(ExitCode.USAGE_ERROR)) from None
            if error.errno not in (errno.ENOSPC, errno.EDQUOT, errno.EIO):
                raise typer.Exit(int(report_crash(error))) from None
            # A full disk or a failing device is the machine's state, not a bug to report.
            _echo(f"error: cannot write the output: {error.strerror}; free some space or write elsewhere")
            _stdout_to_null()
            raise typer.Exit(int(ExitCode.USAGE_ERROR)) from None
        except MemoryError:
            _echo("error: out of memory; narrow the window or the sources, or raise the memory limit")
            raise typer.Exit(int(ExitCode.SOURCE_ERROR)) from None
        except Exception as error:
            raise typer.Exit(int(report_crash(error))) from None


#: What the file system says of a path it cannot use: too long, a symlink loop, a file where a
#: folder should be, no permission, a read-only disk.
_PATH_ERRNOS = frozenset({errno.ENAMETOOLONG, errno.ELOOP, errno.ENOTDIR, errno.EACCES, errno.EPERM, errno.EROFS})


def _short(filename: Any) -> str:
    """A path for a one-line message: a name of thousands of characters is cut in the middle."""
    text = str(filename)
    return text if len(text) <= 120 else f"{text[:60]}...{text[-40:]}"


def _stdout_is_null() -> bool:
    import os

    try:
        return os.path.samestat(os.fstat(sys.stdout.fileno()), os.stat(os.devnull))
    except (OSError, ValueError, AttributeError):  # no real stdout (a test runner's capture)
        return False


def reader_gone() -> int:
    """The reader of stdout stopped early (``kpiframe run ... | head``): end as a Unix tool does.

    Python would report the broken pipe again when it flushes stdout at exit, so
    stdout is pointed at /dev/null first (the recipe of Python's ``signal`` docs).
    The code is the shell's for a process ended by SIGPIPE, never 1 or 4.
    """
    _stdout_to_null()
    return 128 + 13  # SIGPIPE


def _stdout_to_null() -> None:
    """Point stdout at /dev/null, so Python's flush at exit cannot fail a second time."""
    import os

    devnull = os.open(os.devnull, os.O_WRONLY)
    os.dup2(devnull, sys.stdout.fileno())


def _terminate(signum: int, _frame: Any) -> None:
    # SystemExit unwinds through every `finally`, so atomic writes remove their
    # temporary file and the files they were replacing stay whole.
    raise SystemExit(128 + signum)


def install_signal_handlers() -> None:
    """SIGTERM unwinds like Ctrl-C does, instead of killing the process mid-write."""
    if sys.platform != "win32":
        signal.signal(signal.SIGTERM, _terminate)
