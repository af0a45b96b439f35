"""``--select`` and ``--exclude``: run some metrics only, with what they depend on.

A pattern is a metric id, a shell glob over ids (``frt_*``), or ``tag:NAME`` for
the metrics that carry that tag, as dbt selects models. A derived metric
(``calc: expr``) brings in the metrics its expression names, so a selection
always computes. Sources no selected metric reads are not opened.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Iterable
from fnmatch import fnmatchcase

from kpiframe.config.model import Config, MetricSpec
from kpiframe.contracts import DerivedCalculator
from kpiframe.errors import ConfigError
from kpiframe.expr import suggest
from kpiframe.plugins import Registry

__all__ = ["select_metrics"]


def _matches(pattern: str, spec: MetricSpec) -> bool:
    if pattern.startswith("tag:"):
        return pattern[4:] in spec.tags
    return fnmatchcase(spec.id, pattern)


def _chosen(config: Config, patterns: Iterable[str], option: str) -> set[str]:
    chosen: set[str] = set()
    for pattern in patterns:
        found = {mid for mid, spec in config.metrics.items() if _matches(pattern, spec)}
        if not found:
            hint = suggest(pattern, sorted(config.metrics)) or f"metric ids: {', '.join(sorted(config.metrics)[:8])}"
            raise ConfigError(f"{option} {pattern!r} matches no metric of {config.path} ({hint})")
        chosen |= found
    return chosen


def _inputs(config: Config, registry: Registry, metric_id: str) -> set[str]:
    spec = config.metrics[metric_id]
    calculator = registry.calculator(spec.calc)
    return (
        set(calculator.inputs(spec.params)) & set(config.metrics)
        if isinstance(calculator, DerivedCalculator)
        else set()
    )


def select_metrics(
    config: Config, registry: Registry, select: Iterable[str] = (), exclude: Iterable[str] = ()
) -> Config:
    """The config with only the selected metrics (all when ``select`` is empty) and their inputs.

    :raises ConfigError: a pattern matches nothing, or an excluded metric is an input of a selected one.
    """
    select, exclude = list(select), list(exclude)
    if not select and not exclude:
        return config
    wanted = _chosen(config, select, "--select") if select else set(config.metrics)
    dropped = _chosen(config, exclude, "--exclude") if exclude else set()
    wanted -= dropped
    pending = list(wanted)
    while pending:
        for dependency in _inputs(config, registry, pending.pop()):
            if dependency in dropped:
                needing = sorted(m for m in wanted if dependency in _inputs(config, registry, m))
                raise ConfigError(
                    f"--exclude removes {dependency!r}, which {', '.join(needing)} is computed from; exclude those too,"
                    " or keep it"
                )
            if dependency not in wanted:
                wanted.add(dependency)
                pending.append(dependency)
    if not wanted:
        raise ConfigError("--select/--exclude leave no metric to run")
    metrics = {mid: spec for mid, spec in config.metrics.items() if mid in wanted}
    return dataclasses.replace(config, metrics=metrics)
