"""The Python API: everything the CLI does, callable from code."""

from __future__ import annotations

import os
import time
from collections.abc import Mapping
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any

from kpiframe.config import Config
from kpiframe.config import load_config as _load_config
from kpiframe.config.load import load_with_registry
from kpiframe.context import RunContext
from kpiframe.errors import ConfigError
from kpiframe.expr import to_condition
from kpiframe.expr_names import compile_text
from kpiframe.scorecard import RunInfo, Scorecard, WindowInfo

__all__ = ["RunContext", "check_data", "column", "condition", "load_config", "prepare", "run"]

if TYPE_CHECKING:
    from kpiframe.engine.data_check import DataCheck
    from kpiframe.plugins import Registry

load_config = _load_config


def column(table: Any, text: str) -> Any:
    """Compile a value expression (``"talk_seconds + hold_seconds"``) against ``table``.

    For calculators: params that name a column accept any expression of the
    config language, or one column's whole name (``Speed of answer in seconds``);
    unknown columns raise :class:`kpiframe.ExpressionError`.
    """
    return compile_text(text, table)


def condition(table: Any, text: str, where: Any = None) -> Any:
    """Compile a condition against ``table``, and-ed with ``where`` when given.

    Use it as a reduction's ``where=``: a row where the condition is null does
    not match (SQL's ``FILTER (WHERE ...)`` semantics). Do not negate it to
    count the complement, since null rows match neither; count rows instead.
    """
    predicate = to_condition(text, table)
    # No fill_null(False) here: FILTER already drops nulls, and COALESCE inside
    # FILTER costs DuckDB ~17% on a 10-metric scan (bench/fused_vs_sql.py).
    return predicate if where is None else (predicate & where)


def prepare(
    path: str | os.PathLike[str],
    *,
    registry: Registry | None = None,
    environ: Mapping[str, str] | None = None,
    engine: Mapping[str, Any] | None = None,
    config_plugins: bool = True,
) -> tuple[Config, RunContext]:
    """Load a config and the context to run it in (the registry its plugins make, its redactor).

    :param registry: the plugins to use; built from the installed ones and the
        config's ``plugins:`` when not given.
    :param engine: embedded-engine settings (``memory_limit``, ``threads``) that
        override the config's ``engine:``.
    :param config_plugins: ``False`` refuses a config that names ``plugins:``
        (``--no-config-plugins``): loading them runs their code.
    """
    config, registry = load_with_registry(path, registry, environ=environ, config_plugins=config_plugins)
    if engine:
        _check_engine(dict(engine))
    return config, RunContext.for_config(config, registry, dict(engine or {}))


def _check_engine(engine: dict[str, Any]) -> None:
    """Command-line engine settings obey the config schema's rules."""
    given = {k: v for k, v in engine.items() if v is not None}
    if not given:  # the command line always passes the keys; no value set, nothing to check (nor import)
        return
    import jsonschema

    from kpiframe.config.schema import ENGINE

    for error in jsonschema.Draft202012Validator(ENGINE).iter_errors(given):
        name = error.path[0] if error.path else "engine"
        expected = ENGINE["properties"].get(name, {}).get("x-kpiframe-expected") or error.message
        raise ConfigError(f"--{str(name).replace('_', '-')}: expected {expected}, got {error.instance!r}")


def check_data(
    config: Config | str | os.PathLike[str], *, as_of: datetime | None = None, context: RunContext | None = None
) -> DataCheck:
    """Open every source (schemas only, no rows) and check every metric against it: ``validate --data``.

    Nothing is computed. The result lists the config mistakes found against the data
    (unknown columns, types that do not fit their use) and, apart, the sources that
    could not be opened; ``run`` makes the same checks before its first query.
    """
    from kpiframe.engine.data_check import check_data as check

    if not isinstance(config, Config):
        config, context = prepare(config)
    if context is None:
        from kpiframe.plugins import make_plugin_manager

        context = RunContext.for_config(config, make_plugin_manager(config.plugins, base_dir=config.base_dir))
    return check(config, context, as_of or config.as_of or datetime.now(UTC))


def run(
    config: Config | str | os.PathLike[str],
    *,
    as_of: datetime | None = None,
    environ: Mapping[str, str] | None = None,
    baseline: dict[str, Any] | None = None,
    history: str | os.PathLike[str] | None = None,
    registry: Registry | None = None,
    context: RunContext | None = None,
    history_mode: str = "replace",
) -> Scorecard:
    """Compute every metric of ``config`` and evaluate its targets.

    :param config: a loaded :class:`Config` or a path to a YAML file.
    :param as_of: the instant windows end at (aware; default: the config's
        ``as_of``, else now in UTC).
    :param baseline: an earlier scorecard (its JSON form) that change targets compare with.
    :param history: a history store (DuckDB or SQLite file, or PostgreSQL URL):
        change targets compare with its runs, and this run is appended to it.
    :param registry: the plugins to run with (default: the installed ones plus
        the config's ``plugins:``).
    :param context: a :class:`RunContext` from :func:`prepare`; it wins over ``registry``.
    :param history_mode: ``replace`` (default): recording a window again replaces that
        window's run, so re-runs compare as the first did; ``append`` keeps every run.
    :raises ConfigError: the config is wrong, including unknown columns found
        once the sources were opened. Source and calculator failures do not
        raise: those metrics get status ``error``.
    :raises HistoryError: the history store cannot be used.
    """
    from kpiframe.plugins import make_plugin_manager

    if not isinstance(config, Config):
        config, context = prepare(config, registry=registry, environ=environ)
    if context is None:
        registry = registry or make_plugin_manager(config.plugins, base_dir=config.base_dir, environ=environ)
        context = RunContext.for_config(config, registry)
    try:
        if history_mode not in ("replace", "append"):
            raise ConfigError(f"--history-mode: expected replace or append, got {history_mode!r}")
        return _run(config, context, as_of, baseline, history, history_mode)
    finally:
        context.backends.close()


def _run(
    config: Config,
    context: RunContext,
    as_of: datetime | None,
    baseline: dict[str, Any] | None,
    history: str | os.PathLike[str] | None,
    history_mode: str = "replace",
) -> Scorecard:
    from kpiframe import __version__
    from kpiframe.engine.compile_cache import remember, warm_run
    from kpiframe.engine.edges import EdgeVariables
    from kpiframe.engine.execute import execute
    from kpiframe.engine.plan import build_plan, check_as_of
    from kpiframe.engine.results import build as build_result
    from kpiframe.engine.results import iso, window_info
    from kpiframe.engine.sources import open_sources
    from kpiframe.engine.windows import resolve

    started = time.perf_counter()
    started_at = datetime.now(UTC)
    if as_of is None:
        as_of = config.as_of or started_at
    if as_of.tzinfo is None:
        raise ConfigError("as_of must carry a time zone (for example 2026-01-31T00:00:00Z)")

    needed = {m.source for m in config.metrics.values() if m.source}
    check_as_of(as_of)
    # A repeat run replays its compiled queries without Ibis (kpiframe.engine.compile_cache).
    warm = warm_run(config, context, as_of, needed)
    if warm is not None:
        plan, outcome = warm
    else:
        context.backends.edges = EdgeVariables()
        sources, problems = open_sources(config, needed, context)
        plan = build_plan(config, sources, as_of, context)
        problems += plan.problems
        if problems:
            # Problems found with the data open quote expressions, which may hold a `${VAR}` value.
            raise ConfigError(context.redactor.scrub(problems))
        outcome = execute(
            plan,
            redact=context.redactor,
            fetch=context.backends.fetch,
            backends=context.backends,
            progress=context.progress,
        )
        remember(config, context, as_of, plan, outcome)

    store = None
    if history is not None:
        from kpiframe.history import open_history

        store = open_history(history)
    baselines = None
    if baseline is not None:
        from kpiframe.baselines import Baselines

        baselines = Baselines.from_scorecard(baseline, "given with --baseline", zone=config.timezone)
    elif store is not None:
        from kpiframe.baselines import Baselines

        window = resolve(config.window, as_of, config.timezone)
        baselines = Baselines.from_history(
            store, context.redactor(config.title), iso(window.start) if window.start else None, zone=config.timezone
        )
    results = [
        build_result(spec, outcome.outcomes[metric_id], context.redactor, baselines)
        for metric_id, spec in config.metrics.items()
    ]

    scorecard = Scorecard(
        title=config.title,
        run=RunInfo(
            config_path=str(config.path),
            config_hash=config.hash,
            as_of=iso(as_of) or "",
            started_at=iso(started_at) or "",
            duration_s=round(time.perf_counter() - started, 4),
            kpiframe_version=__version__,
            plugins=context.registry.versions(),
            window=window_info(resolve(config.window, as_of, config.timezone)) or WindowInfo(None, None, "all time"),
            queries=outcome.queries,
            scans=outcome.scans,
            notes=tuple(outcome.notes) + tuple(store.skipped if store is not None else ()),
        ),
        metrics=tuple(results),
    )
    # One pass over every text of the scorecard: a `${VAR}` in a title, a description or
    # a reason never reaches a report, a hook or the history.
    scorecard = context.redactor.scrub(scorecard)
    previous = None
    if store is not None:
        recorded = scorecard.run.window
        previous = store.previous(scorecard.title, recorded.start, recorded.end)
    context.registry.plugin_manager.hook.kpiframe_scorecard_ready(
        scorecard=scorecard,
        config=config,
        history=context.redactor(store.location) if store is not None else None,
        previous=previous,
    )
    if store is not None:
        from kpiframe.history import git_commit

        store.append(scorecard.to_dict(), git_commit(config.base_dir), mode=history_mode)
    return scorecard
