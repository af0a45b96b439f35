"""The installed plugins' entry points, remembered between processes.

Asking ``importlib.metadata`` costs a process its import (with ``email``, ``zipfile``
and ``csv``) and a read of every installed package's metadata: 190 M instructions on
their own. A run pays less of that, as DuckDB imports ``importlib.metadata`` itself, but
``validate`` and every command that opens no source pay it all. The answer only changes when what is installed does, so it is kept in the ``entry-points``
folder of kpiframe's cache (:mod:`kpiframe.disk_cache`), under a key of what the answer
is read from:

- for every ``sys.path`` entry (made absolute, as a relative one is read against the
  working folder) that is a folder, the names of the distributions in it
  (``*.dist-info``, ``*.egg-info`` in any case, and an ``.egg`` folder's ``EGG-INFO``, as
  importlib.metadata finds them; a version is part of the name pip gives them) and
  the modification time and size of each one's ``entry_points.txt`` and ``METADATA``
  (``PKG-INFO`` for an egg);
- for every other entry (a zip file), its own modification time and size;
- the Python version and the group.

Installing, upgrading or removing a package changes the names; editing an installed
``entry_points.txt`` or ``METADATA`` changes its stamp. A finder on ``sys.meta_path`` other than the
standard one could find distributions elsewhere, so with one installed the answer is
never kept. ``importlib.metadata`` stays the one source of truth: a miss asks it.
"""

from __future__ import annotations

import hashlib
import importlib
import json
import os
import stat
import sys
from dataclasses import dataclass
from typing import Any

from kpiframe import disk_cache

__all__ = ["InstalledEntryPoint", "installed_entry_points"]

_DISTRIBUTIONS = (".dist-info", ".egg-info")
#: The files of a distribution the answer is read from: its entry points, and its name and version.
_READ = ("entry_points.txt", "METADATA", "PKG-INFO")
#: Kept answers: one per installed set (a few virtual environments and their upgrades).
KEEP = 50
MAX_ENTRY_BYTES = 2**20


@dataclass(frozen=True)
class InstalledEntryPoint:
    """An entry point as ``importlib.metadata`` found it, with its distribution's name and version."""

    name: str
    value: str
    #: The distribution's name and version, or ``None`` when importlib.metadata gave none.
    package: str | None
    version: str | None

    def load(self) -> Any:
        """The object the entry point names, as ``importlib.metadata.EntryPoint.load`` finds it:
        ``module``, ``module:attribute`` or ``module:a.b``, extras (``[...]``) ignored."""
        module, _, attributes = self.value.partition("[")[0].partition(":")
        found: Any = importlib.import_module(module.strip())
        for attribute in filter(None, attributes.strip().split(".")):
            found = getattr(found, attribute)
        return found


def installed_entry_points(group: str, environ: Any = os.environ) -> list[InstalledEntryPoint]:
    """The entry points of ``group`` in ``sys.path`` order, from the cache when nothing installed changed."""
    folder = disk_cache.cache_folder("entry-points", environ)
    key = _key(group) if folder is not None else None
    if folder is not None and key is not None:
        remembered = _read(folder, key)
        if remembered is not None:
            return remembered
    found = _scan(group)
    if folder is not None and key is not None:
        text = json.dumps({"key": key, "entry_points": [list(vars(ep).values()) for ep in found]})
        try:
            disk_cache.write_entry(folder, f"{key}.json", text, what="entry-point cache", keep=KEEP)
        except Exception:  # a cache that cannot be written costs the next run its speed, nothing more
            pass
    return found


def _scan(group: str) -> list[InstalledEntryPoint]:
    from importlib import metadata

    return [
        InstalledEntryPoint(ep.name, ep.value, ep.dist.name if ep.dist else None, ep.dist.version if ep.dist else None)
        for ep in metadata.entry_points(group=group)
    ]


def _key(group: str) -> str | None:
    """What the answer is read from (see the module's docstring), hashed; ``None``: never kept."""
    from importlib.machinery import PathFinder

    finders = [f for f in sys.meta_path if hasattr(f, "find_distributions")]
    if finders != [PathFinder]:
        return None
    where: list[Any] = []
    for entry in sys.path:
        # A relative entry is read against the working folder of the moment, as importlib.metadata reads it.
        path = os.path.abspath(entry or os.getcwd())
        try:
            info = os.stat(path)
        except OSError:
            where.append([path, None])
            continue
        if not stat.S_ISDIR(info.st_mode):
            where.append([path, info.st_mtime_ns, info.st_size])
            continue
        try:
            names = sorted(name for name in os.listdir(path) if _is_distribution(path, name))
        except OSError:
            return None
        stamps = [[name, *(disk_cache.stamp(os.path.join(path, name, file)) for file in _READ)] for name in names]
        where.append([path, stamps])
    material = json.dumps([sys.version, group, where])
    return hashlib.sha256(material.encode()).hexdigest()


def _is_distribution(path: str, name: str) -> bool:
    """Whether importlib.metadata reads a distribution from ``name`` in the folder ``path``: a
    ``.dist-info`` or ``.egg-info`` in any case, or the ``EGG-INFO`` of an ``.egg`` folder."""
    low = name.lower()
    if low.endswith(_DISTRIBUTIONS):
        return True
    return low == "egg-info" and os.path.basename(path).lower().endswith(".egg")


def _read(folder: Any, key: str) -> list[InstalledEntryPoint] | None:
    text = disk_cache.read_entry(folder, f"{key}.json", MAX_ENTRY_BYTES)
    if text is None:
        return None
    try:
        entry = json.loads(text)
        if entry["key"] != key:
            return None
        listed = entry["entry_points"]
        if type(listed) is not list or not all(type(fields) is list and len(fields) == 4 for fields in listed):
            return None  # a string or an object of four would fill the four fields as well
        found = [InstalledEntryPoint(*fields) for fields in listed]
    except (ValueError, TypeError, KeyError, RecursionError):
        return None
    texts = (str, type(None))
    ok = all(isinstance(ep.name, str) and isinstance(ep.value, str) for ep in found)
    ok = ok and all(isinstance(ep.package, texts) and isinstance(ep.version, texts) for ep in found)
    return found if ok else None
