"""The configs jsonschema-rs found valid, remembered between processes.

Validation is a pure function of the config (as loaded) and the schema, yet importing
jsonschema-rs costs 110 M instructions on its own (it imports ``email`` and ``decimal``;
a run that imports DuckDB pays for ``email`` anyway). With the entry points kept too
(:mod:`kpiframe.entry_points`), ``kpiframe validate`` went from 998 M to 883 M
(docs/performance.md). So a yes is kept as an empty file in the ``valid`` folder of kpiframe's cache
(:mod:`kpiframe.disk_cache`), named by a SHA-256 of the code (kpiframe's version and the stamps of its modules, as
the format checks are Python, and jsonschema-rs' library), the schema and the instance.
Only yeses are kept: a config with problems always goes the exact way, for its messages.

A config that substitutes ``${VAR}`` is never remembered: its name would be a hash of
secrets (:mod:`kpiframe.engine.compile_cache` refuses such configs for the same reason).
"""

from __future__ import annotations

import functools
import hashlib
import json
import stat
from typing import Any

from kpiframe import disk_cache

__all__ = ["known", "remember"]

#: Kept yeses: a config has a dozen (its sections, each metric's params).
KEEP = 5000


def _name(schema_key: str, instance: Any) -> str | None:
    try:
        text = json.dumps(instance, sort_keys=True)
    except (TypeError, ValueError, RecursionError):
        return None
    digest = hashlib.sha256()
    for part in (_code(), schema_key, text):
        digest.update(part.encode())
        digest.update(b"\0")
    return digest.hexdigest()


@functools.cache
def _code() -> str:
    """kpiframe's code and jsonschema-rs' (found, not imported), whose answers are kept."""
    import importlib.util

    found = importlib.util.find_spec("jsonschema_rs")
    return json.dumps([disk_cache.kpiframe_stamps(), disk_cache.stamp(found.origin if found else None)])


def known(schema_key: str, instance: Any) -> bool:
    """Whether ``instance`` was found valid against the schema whose sorted JSON is ``schema_key``."""
    folder = disk_cache.cache_folder("valid")
    name = _name(schema_key, instance) if folder is not None else None
    if folder is None or name is None:
        return False
    return disk_cache.trusted(folder, stat.S_ISDIR) and disk_cache.trusted(folder / name)


def remember(schema_key: str, instance: Any) -> None:
    """Keep that ``instance`` is valid against that schema. Never fails the run."""
    folder = disk_cache.cache_folder("valid")
    name = _name(schema_key, instance) if folder is not None else None
    if folder is None or name is None:
        return
    try:
        disk_cache.mark_entry(folder, name, keep=KEEP)
    except OSError:  # a cache that cannot be written costs the next run its speed, nothing more
        return
