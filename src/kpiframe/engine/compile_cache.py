"""The compiled-query cache: a repeat run of a config runs its SQL without importing Ibis.

Planning and compiling a run costs Ibis' import and its compiler, about a quarter
of a second of every process, whatever the data. But the SQL of a config only
changes when the config, the sources' columns or the code does: the window edges
are variables (:mod:`kpiframe.engine.edges`), not literals. So a run on the
embedded DuckDB keeps its queries as a *recipe* (:mod:`kpiframe.engine.recipe`),
and the next run with the same key opens its sources on DuckDB alone, sets the
edge variables for its own as-of and runs the recipe's SQL.

**The key** is a SHA-256 of everything the SQL is made of: the config as loaded
(``${VAR}`` values included, which is why a config that substitutes any is never
cached: its key would be a hash of secrets), each source's ``SELECT`` (its files)
and the columns and types DuckDB gives it, kpiframe's and every plugin's code
(versions, and file stamps of every module of each calculator's package and its
bases'), and Ibis', sqlglot's and DuckDB's versions. Only kpiframe's own
calculators are cached (see ``_builtin_calculators``).

**What is kept** is only what replays exactly, and never what the run's redactor
would mask (a password written in a URL in a ``where``). After a run whose every
scan ran on the embedded DuckDB and in which nothing failed, the recipe is compiled
at an as-of 400 days earlier (where no edge lands on another by chance), and kept
only once planning at a third as-of, two years earlier, compiled the same SQL and
the recipe's own arithmetic gave the same variable values there. A calculator whose
SQL holds a value computed from its window in Python makes the two differ, and an
entry then says that config is planned afresh every run.

**Where:** the ``compiled`` folder of kpiframe's cache (:mod:`kpiframe.disk_cache`:
``$KPIFRAME_CACHE_DIR``, else ``$XDG_CACHE_HOME/kpiframe``, else ``~/.cache/kpiframe``;
``KPIFRAME_CACHE_DIR=off`` turns it off). Entries are written atomically; one that is
damaged, another key's, larger than 16 MB, or not the user's own (or writable by
others) is ignored; each query must be one
``SELECT`` before it runs; and the folder keeps the newest 200 entries.
"""

from __future__ import annotations

import functools
import hashlib
import json
import os
import sys
from dataclasses import replace
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

from kpiframe import disk_cache
from kpiframe.config.model import Config
from kpiframe.context import RunContext
from kpiframe.contracts import SourceContext
from kpiframe.engine.edges import EdgeVariables
from kpiframe.engine.execute import Execution, bounded_query, fuse
from kpiframe.engine.plan import Plan
from kpiframe.engine.recipe import FORMAT, compile_probes, describe_groups, edge_values, layout, record, replay
from kpiframe.engine.recipe_shape import not_replayed, well_formed

__all__ = ["cache_folder", "remember", "warm_run"]

#: How far before the run's as-of the recipe is compiled, and then checked: long enough to cross
#: month and year ends, odd enough that no window edge lands on another or on the as-of (a run
#: at midnight on the 1st, whose month ends at its as-of, still gets a recipe that keeps the two
#: apart). The two must differ, or the check would only repeat the compile.
COMPILE_AT = timedelta(days=400, hours=5, minutes=7, seconds=11, microseconds=123457)
CHECK_AT = timedelta(days=731, hours=13, minutes=17, seconds=3, microseconds=654321)
#: Entries kept; older ones are removed when a new one is written.
KEEP = 200
#: An entry larger than this is not read (a recipe of a hundred metrics is a few hundred KB).
MAX_ENTRY_BYTES = 16 * 2**20


def cache_folder(environ: Any = os.environ) -> Path | None:
    """Where recipes live, or ``None`` when the cache is off."""
    return disk_cache.cache_folder("compiled", environ)


def _file_connectors(config: Config, context: RunContext, needed: set[str]) -> dict[str, Any] | None:
    """Each needed source's built-in file connector, or ``None`` when one is anything else."""
    from kpiframe.connectors.files import reads_on_duckdb_alone

    chosen = {}
    for sid in needed:
        connector = context.registry.connector(config.sources[sid].connector)
        if not reads_on_duckdb_alone(connector):
            return None
        chosen[sid] = connector
    return chosen


def _builtin_calculators(config: Config, context: RunContext) -> bool:
    """Whether every metric's calculator is kpiframe's own.

    The second planning proves the SQL depends on the as-of only through the window
    edges at two instants; a calculator that chose its formula by the date (December's
    differs) would pass that and be wrong later. kpiframe's calculators take their
    window as values only; a plugin's are not known to, so their configs plan afresh.
    """
    return all(
        type(context.registry.calculator(metric.calc)).__module__.startswith("kpiframe.")
        for metric in config.metrics.values()
    )


def _open_views(config: Config, context: RunContext, needed: set[str]) -> bool:
    """Open the sources as views on the run's DuckDB, without Ibis; ``False`` when one cannot be."""
    connectors = _file_connectors(config, context, needed)
    if connectors is None:
        return False
    for sid in sorted(needed):
        spec = config.sources[sid]
        where = SourceContext(sid, spec.base_dir or config.base_dir, spec.timezone, _backends=context.backends)
        try:
            context.backends.plain_view(
                f"src_{sid}", connectors[sid].select(spec.params, where), spec.params.get("timeout")
            )
        except Exception:  # planned afresh, the source's error is reported as usual
            return False
    return True


def _code(context: RunContext, config: Config) -> list[str]:
    """What the SQL's code is: kpiframe's files (its calculators among them), the plugins, Ibis, sqlglot, DuckDB."""
    import kpiframe

    stamps = list(_engine_stamps())
    files: set[str] = set()
    for metric in config.metrics.values():
        files |= _calculator_files(context.registry.calculator(metric.calc), kpiframe)
    stamps.extend(disk_cache.stamp(file) for file in sorted(files))
    stamps.extend(f"{package}=={version}" for package, version in sorted(context.registry.versions().items()))
    return stamps


@functools.cache
def _engine_stamps() -> tuple[str, ...]:
    """kpiframe's files, Ibis', sqlglot's and DuckDB's: once per process (a run reads the key twice
    when it plans, and the code a process runs is the code it loaded)."""
    import importlib.util

    import duckdb

    stamps = [*disk_cache.kpiframe_stamps(), duckdb.__version__]
    for package in ("ibis", "sqlglot"):
        found = importlib.util.find_spec(package)
        stamps.append(disk_cache.stamp(found.origin if found else None))
    return tuple(stamps)


def _calculator_files(calculator: Any, kpiframe: Any) -> set[str]:
    """The files a calculator's SQL may come from: the modules of its class and its bases, and
    every module of their packages (a helper it imports). An editable plugin's version stays
    the same while its code changes; kpiframe's own files are stamped already."""
    files: set[str] = set()
    for cls in type(calculator).__mro__:
        top = sys.modules.get(cls.__module__.partition(".")[0])
        if top is kpiframe:
            continue
        folders = getattr(top, "__path__", None)  # a package (namespace packages have several folders)
        if folders is not None:
            files.update(str(path) for folder in folders for path in Path(folder).rglob("*.py"))
        else:
            file = getattr(sys.modules.get(cls.__module__), "__file__", None)
            files.update([file] if file else [])  # `object` has no file; a config's plugin file has one
    return files


def _key(config: Config, context: RunContext, needed: set[str]) -> str:
    views = [context.backends.views.get(f"src_{sid}") for sid in sorted(needed)]
    material = json.dumps(
        {"format": FORMAT, "config": repr(config), "views": views, "code": _code(context, config)}, default=str
    )
    return hashlib.sha256(material.encode()).hexdigest()


def _check_select(context: RunContext) -> Any:
    import duckdb

    def check(sql: str) -> None:
        try:
            statements = context.backends.connection().extract_statements(sql)
        except duckdb.Error:  # not SQL at all: a damaged entry, planned afresh
            raise ValueError("a cached query does not parse") from None
        if len(statements) != 1 or statements[0].type.name != "SELECT":
            raise ValueError("a cached query is not one SELECT")

    return check


def warm_run(config: Config, context: RunContext, as_of: datetime, needed: set[str]) -> tuple[Plan, Execution] | None:
    """The run from its recipe, or ``None`` when there is none that fits (then plan as usual)."""
    folder = cache_folder()
    if folder is None or config.secrets or not needed or not _builtin_calculators(config, context):
        return None
    if not _open_views(config, context, needed):
        return None
    key = _key(config, context, needed)
    recipe = _read(folder, key)
    if recipe is None or not_replayed(recipe):
        return None
    try:
        return replay(recipe, config, context, as_of, _check_select(context))
    except (LookupError, TypeError, ValueError, AttributeError):
        (folder / f"{key}.json").unlink(missing_ok=True)  # damaged or foreign: planned afresh, and rewritten
        return None


def remember(config: Config, context: RunContext, as_of: datetime, plan: Plan, state: Execution) -> None:
    """Keep the run's recipe when it replays exactly (see the module doc). Never fails the run.

    When it does not (the SQL holds the as-of), an entry says so, and later runs of the
    same key spend nothing on trying again.
    """
    folder = cache_folder()
    if folder is None or config.secrets:
        return
    needed = {m.source for m in config.metrics.values() if m.source}
    try:
        if _file_connectors(config, context, needed) is None or not _builtin_calculators(config, context):
            return
        key = _key(config, context, needed)
        if _read(folder, key) is not None:
            return  # kept already (a recipe that did not fit this as-of), or known not to replay
        scans = layout(plan, state)
        if scans is None:
            return
        recipe = _recipe_at(config, context, plan, scans, as_of - COMPILE_AT)
        if recipe is None or not _replays_at(recipe, config, context, plan, scans, as_of - CHECK_AT):
            recipe = {"format": FORMAT, "replays": "never"}
        _write(folder, key, recipe, context.redactor)
    except Exception:  # a cache that cannot be written costs the next run its speed, nothing more
        return


def _write(folder: Path, key: str, recipe: dict[str, Any], redact: Any) -> None:
    text = json.dumps({**recipe, "key": key})
    if redact(text) != text:  # a password written in a URL (a `where` may hold one as text)
        return
    disk_cache.write_entry(folder, f"{key}.json", text, what="compiled-query cache", keep=KEEP)


def _read(folder: Path, key: str) -> dict[str, Any] | None:
    """The entry for ``key``, or ``None``: missing, not the user's own, too large, damaged (not
    JSON, or not a recipe's shape: :mod:`~kpiframe.engine.recipe_shape`) or another key's."""
    text = disk_cache.read_entry(folder, f"{key}.json", MAX_ENTRY_BYTES)
    if text is None:
        return None
    try:
        recipe = json.loads(text)
    except (ValueError, RecursionError):  # RecursionError: nested deeper than json's stack
        return None
    if not isinstance(recipe, dict) or recipe.get("format") != FORMAT or recipe.get("key") != key:
        return None
    return recipe if well_formed(recipe) or not_replayed(recipe) else None


def _planned_at(config: Config, context: RunContext, plan: Plan, as_of: datetime) -> tuple[Plan, RunContext] | None:
    """The run planned again at ``as_of`` with variables of its own, on the same opened sources."""
    from kpiframe.engine.plan import build_plan

    other = replace(context, backends=replace(context.backends, edges=EdgeVariables()))
    again = build_plan(config, plan.sources, as_of, other)
    if again.problems or again.failed or describe_groups(again, windows=False) != describe_groups(plan, windows=False):
        return None
    return again, other


def _recipe_at(
    config: Config, context: RunContext, plan: Plan, scans: list[tuple[list[int], bool]], as_of: datetime
) -> dict[str, Any] | None:
    """The recipe compiled at ``as_of`` (not the run's own: see ``COMPILE_AT``), scanned as the run did."""
    planned = _planned_at(config, context, plan, as_of)
    if planned is None:
        return None
    again, other = planned
    queries = _compiled(again, other, scans)
    return None if queries is None else record(again, queries, other.backends.edges)


def _replays_at(
    recipe: dict[str, Any],
    config: Config,
    context: RunContext,
    plan: Plan,
    scans: list[tuple[list[int], bool]],
    as_of: datetime,
) -> bool:
    """Whether planning at ``as_of`` gives the recipe's SQL and row layout, and the recipe's own
    arithmetic the values planning gave its variables."""
    planned = _planned_at(config, context, plan, as_of)
    if planned is None:
        return False
    again, other = planned
    if _compiled(again, other, scans) != recipe["queries"]:
        return False
    if [probe["sql"] for probe in compile_probes(again, other.backends.edges)] != [
        probe["sql"] for probe in recipe["probes"]
    ]:
        return False
    return edge_values(recipe, again, as_of) == other.backends.edges.values


def _compiled(plan: Plan, context: RunContext, scans: list[tuple[list[int], bool]]) -> list[dict[str, Any]] | None:
    """``plan``'s scans as the recipe keeps them (SQL, groups, row layout), laid out as ``scans`` says."""
    from kpiframe.engine.duckdb_sql import to_duckdb_sql

    compiled: list[dict[str, Any]] = []
    for indexes, fused_ones in scans:
        groups = [plan.groups[i] for i in indexes]
        if fused_ones:
            fused = fuse(groups)
            if fused is None:
                return None
            sql = context.backends.grouping_sets_sql(fused.query, fused.sets)
            compiled.append({"sql": sql, "groups": indexes, "fused": fused.layout()})
            continue
        (group,) = groups
        expression, columns = bounded_query(group)
        sql = to_duckdb_sql(expression)
        compiled.append({"sql": sql, "groups": indexes, "columns": columns})
    return compiled
