"""Writes that never leave a file half-written.

A report, the step summary and every other file kpiframe writes goes to a
temporary file in the same folder, is flushed to disk, and is then renamed over
the target. A rename within one file system is atomic, so a reader (or a run
killed by SIGTERM half-way) sees either the old file whole or the new one whole.
The temporary file is removed when the write fails or is interrupted.
"""

from __future__ import annotations

import os
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
    temporary = _temporary_name(path)
    try:
        with os.fdopen(_create(temporary), "wb") as stream:
            stream.write(payload)
            stream.flush()
            os.fsync(stream.fileno())
        os.chmod(temporary, mode)
        os.replace(temporary, path)
    except BaseException as exc:  # also SIGTERM/SIGINT: never leave the temporary file behind
        _discard(temporary, exc)
        if isinstance(exc, OSError):
            raise ConfigError(f"cannot write {what} {path}: {_reason(exc)}") from None
        raise


def _temporary_name(path: Path) -> Path:
    """A fresh hidden name beside ``path``, chosen before the file exists.

    Knowing the name before the file is created is what makes cleaning up certain:
    a signal can arrive at any bytecode (DuckDB's threads do not block it), also
    between creating the file and entering the ``try`` that would remove it.
    """
    return path.parent / f".{path.name}.{os.urandom(8).hex()}.tmp"


def _create(temporary: Path) -> int:
    return os.open(temporary, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)


def _discard(temporary: Path, exc: BaseException | None = None) -> None:
    """Remove our temporary file, unless creating it failed because the name was someone else's."""
    if isinstance(exc, FileExistsError) and exc.filename == str(temporary):
        return
    try:
        os.unlink(temporary)
    except OSError:
        pass


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
    except OSError as exc:
        raise ConfigError(f"cannot write {what} {path}: {_reason(exc)}") from None
    temporary = _temporary_name(path)
    try:
        with os.fdopen(_create(temporary), "wb") as stream:
            stream.write(text.encode("utf-8"))
            stream.flush()
            os.fsync(stream.fileno())
        os.chmod(temporary, _default_mode())
        os.link(temporary, path)
    except BaseException as exc:
        _discard(temporary, exc)
        if isinstance(exc, FileExistsError):
            raise ConfigError(f"{path} already exists; {hint}") from None
        if isinstance(exc, OSError):
            raise ConfigError(f"cannot write {what} {path}: {_reason(exc)}") from None
        raise
    _discard(temporary)  # the link is in place; the temporary name goes


def _reason(exc: OSError) -> str:
    """The OS's reason without the temporary file's name, which would only confuse."""
    return exc.strerror or first_line(exc)
