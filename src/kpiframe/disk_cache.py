"""kpiframe's cache folder, and the one rule for reading it: only the user's own files.

A CI job runs the same config on the same machine over and over, and much of each
run's fixed cost is answers that only change when the code or what is installed does.
Three are kept here, each in a folder of its own:

- ``compiled``: the SQL of a config (:mod:`kpiframe.engine.compile_cache`), so a repeat
  run does not import Ibis;
- ``entry-points``: the installed plugins (:mod:`kpiframe.entry_points`), so a run does
  not import ``importlib.metadata`` and read every package's metadata;
- ``valid``: the configs jsonschema-rs found valid (:mod:`kpiframe.config.fast_validation`),
  so a repeat run does not import jsonschema-rs.

**Where:** ``$KPIFRAME_CACHE_DIR``, else ``$XDG_CACHE_HOME/kpiframe``, else
``~/.cache/kpiframe``; ``KPIFRAME_CACHE_DIR=off`` turns all three off. Entries are
written atomically, and one that is not the user's own, or writable by others, is
never read (:func:`trusted`).
"""

from __future__ import annotations

import functools
import os
import stat
from collections.abc import Callable, Mapping
from pathlib import Path

__all__ = ["cache_folder", "kpiframe_stamps", "mark_entry", "read_entry", "stamp", "trusted", "write_entry"]

_OFF = ("", "off", "0", "false", "no")


def cache_folder(name: str, environ: Mapping[str, str] = os.environ) -> Path | None:
    """The folder ``name`` of the cache, or ``None`` when the cache is off."""
    chosen = environ.get("KPIFRAME_CACHE_DIR")
    if chosen is not None:
        return None if chosen.strip().lower() in _OFF else Path(chosen) / name
    base = environ.get("XDG_CACHE_HOME") or str(Path.home() / ".cache")
    return Path(base) / "kpiframe" / name


def trusted(path: Path, kind: Callable[[int], bool] = stat.S_ISREG) -> bool:
    """Only the user's own files, writable by nobody else, are read or written.

    What the cache holds decides the numbers a gate judges (a recipe's SQL) and the code
    a run imports (the entry points): an entry planted by another user (a
    ``KPIFRAME_CACHE_DIR`` on a shared ``/tmp``) could pass a failing KPI. So, as ssh
    does with its keys, the folder and each entry must be the user's and not group- or
    world-writable; and of their own ``kind`` (a folder, a regular file): not a symlink,
    and not a FIFO, whose reading blocks the run until someone writes to it.
    """
    try:
        info = path.lstat()
    except OSError:
        return False
    return info.st_uid == os.getuid() and not info.st_mode & 0o022 and kind(info.st_mode)


def read_entry(folder: Path, name: str, max_bytes: int) -> str | None:
    """The text of entry ``name``, or ``None``: missing, not trusted, larger than ``max_bytes``, unreadable."""
    entry = folder / name
    if not (trusted(folder, stat.S_ISDIR) and trusted(entry)):
        return None
    try:
        if entry.stat().st_size > max_bytes:
            return None
        return entry.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError):
        return None


def write_entry(folder: Path, name: str, text: str, *, what: str, keep: int) -> None:
    """Write entry ``name`` atomically (mode 0600), keeping the newest ``keep`` entries of the folder."""
    from kpiframe.atomic import write_atomic

    folder.mkdir(parents=True, exist_ok=True, mode=0o700)
    if not trusted(folder, stat.S_ISDIR):
        return
    entry = folder / name
    write_atomic(entry, text, what=what)
    os.chmod(entry, 0o600)  # whatever the umask: trusted() refuses a group-writable entry
    _prune(folder, keep)


def mark_entry(folder: Path, name: str, *, keep: int) -> None:
    """Create the empty entry ``name`` (a yes kept by its name alone), keeping the newest ``keep``.

    Creating a file is atomic by itself: there is no content to tear, so no temporary
    file and no fsync, which a write of a config's dozen answers would pay a dozen times.
    """
    folder.mkdir(parents=True, exist_ok=True, mode=0o700)
    if not trusted(folder, stat.S_ISDIR):
        return
    try:
        os.close(os.open(folder / name, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600))
    except FileExistsError:
        return
    _prune(folder, keep)


def _prune(folder: Path, keep: int) -> None:
    """Remove all but the newest ``keep`` entries (never another writer's hidden temporary file)."""
    entries = [path for path in folder.iterdir() if not path.name.startswith(".")]
    if len(entries) <= keep:
        return
    for stale in sorted(entries, key=_modified, reverse=True)[keep:]:
        stale.unlink(missing_ok=True)


def _modified(path: Path) -> int:
    try:
        return path.lstat().st_mtime_ns
    except OSError:  # removed meanwhile by another run's pruning
        return 0


def stamp(path: str | None) -> str:
    """A file's path, modification time and size: what changes when the file does."""
    try:
        info = os.stat(path) if path else None
    except OSError:
        info = None
    return f"{path}:{info.st_mtime_ns}:{info.st_size}" if info else f"{path}:?"


@functools.cache
def kpiframe_stamps() -> tuple[str, ...]:
    """kpiframe's version and the stamp of every one of its modules, read once per process.

    An editable install keeps its version while its code changes; every answer kept
    here was worked out by that code.
    """
    import kpiframe

    root = Path(kpiframe.__file__).parent
    return (kpiframe.__version__, *sorted(stamp(str(p)) for p in root.rglob("*.py")))
