"""Writes that never leave a file half-written.

A report, the step summary and every other file kpiframe writes goes to a
temporary file in the same folder, is flushed to disk, and is then renamed over
the target. A rename within one file system is atomic, so a reader (or a run
killed by SIGTERM half-way) sees either the old file whole or the new one whole.
The temporary file is removed when the write fails or is interrupted.
"""

from __future__ import annotations

import os
import signal
import tempfile
import threading
from pathlib import Path

from kpiframe.errors import ConfigError, first_line

__all__ = ["create_new", "write_atomic"]


def write_atomic(path: Path, data: str | bytes, *, append: bool = False, what: str = "file") -> None:
    """Replace ``path`` with ``data`` (or with its old text plus ``data`` when ``append``).

    :raises ConfigError: the path is a folder, its folder cannot be created, or
        it is not writable: a usage error, with the reason.
    """
    payload = data.encode("utf-8") if isinstance(data, str) else data
    if path.is_dir():
        raise ConfigError(f"{what} {path} is a folder; give the path of a file (in it, or beside it)")
    if path.exists() and not path.is_file():
        raise ConfigError(f"{what} {path} is not a regular file (a FIFO or a device?); give a file path")
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        if append and path.exists():
            payload = path.read_bytes() + payload
        mode = path.stat().st_mode & 0o777 if path.exists() else _default_mode()
    except OSError as exc:
        raise ConfigError(f"cannot write {what} {path}: {_reason(exc)}") from None
    # A signal between creating the temporary file and the `try` that removes it would leave
    # it behind: hold SIGINT and SIGTERM until the `try` has begun.
    held = _hold_signals()
    try:
        handle, temporary = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    except OSError as exc:
        _release_signals(held)
        raise ConfigError(f"cannot write {what} {path}: {_reason(exc)}") from None
    try:
        _release_signals(held)
        with os.fdopen(handle, "wb") as stream:
            stream.write(payload)
            stream.flush()
            os.fsync(stream.fileno())
        os.chmod(temporary, mode)
        os.replace(temporary, path)
    except BaseException as exc:  # also SIGTERM/SIGINT: never leave the temporary file behind
        try:
            os.unlink(temporary)
        except OSError:
            pass
        if isinstance(exc, OSError):
            raise ConfigError(f"cannot write {what} {path}: {_reason(exc)}") from None
        raise


def _hold_signals() -> object:
    if hasattr(signal, "pthread_sigmask") and threading.current_thread() is threading.main_thread():
        return signal.pthread_sigmask(signal.SIG_BLOCK, {signal.SIGINT, signal.SIGTERM})
    return None


def _release_signals(held: object) -> None:
    if held is not None:
        signal.pthread_sigmask(signal.SIG_SETMASK, held)  # type: ignore[arg-type]


def _default_mode() -> int:
    """What ``open()`` would give a new file: 0o666 less the umask (mkstemp makes 0o600)."""
    umask = os.umask(0)
    os.umask(umask)
    return 0o666 & ~umask


def create_new(path: Path, text: str, *, what: str = "file") -> None:
    """Write a new file whole, or fail if ``path`` exists: a file a person wrote is never replaced.

    The text goes to a temporary file first and is hard-linked into place; the
    link fails when the name is taken, even if another process took it a moment ago.
    """
    hint = "kpiframe never overwrites a file you wrote. Choose another --output"
    if path.exists() or path.is_symlink():
        raise ConfigError(f"{path} already exists; {hint}")
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        handle, temporary = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    except OSError as exc:
        raise ConfigError(f"cannot write {what} {path}: {_reason(exc)}") from None
    try:
        with os.fdopen(handle, "wb") as stream:
            stream.write(text.encode("utf-8"))
            stream.flush()
            os.fsync(stream.fileno())
        os.chmod(temporary, _default_mode())
        os.link(temporary, path)
    except FileExistsError:
        raise ConfigError(f"{path} already exists; {hint}") from None
    except OSError as exc:
        raise ConfigError(f"cannot write {what} {path}: {_reason(exc)}") from None
    finally:
        try:
            os.unlink(temporary)
        except OSError:
            pass


def _reason(exc: OSError) -> str:
    """The OS's reason without the temporary file's name, which would only confuse."""
    return exc.strerror or first_line(exc)
