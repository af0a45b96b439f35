"""The run context: the services a run uses, handed down the flow explicitly.

A :class:`~kpiframe.config.model.Config` is what the YAML says: plain, frozen
data. What a run *uses* to act on it travels beside it in a :class:`RunContext`:

- the plugin **registry** (connectors, calculators, reporters, presets);
- the **locator**, which turns a path into the config (``metrics.frt.where``)
  into ``file:line:column`` for problems found once the data is open;
- the **redactor**, the one owner of secrets: every message and report text
  passes through it;
- the **backends**: engine handles opened during the run (the embedded DuckDB
  that file sources share), closed when the run ends.

``config → plan → execute → evaluate → report`` each take the context; no step
reaches into the config for a service.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from kpiframe.redaction import Redactor

if TYPE_CHECKING:
    from kpiframe.config.model import Config
    from kpiframe.config.yaml_source import Document
    from kpiframe.plugins import Registry

__all__ = ["ENGINE_SETTINGS", "Backends", "RunContext"]

#: The DuckDB settings a config (``engine:``) or the command line may set.
ENGINE_SETTINGS = ("memory_limit", "threads")


@dataclass
class Backends:
    """Engine handles a run opens lazily and closes at its end.

    :param duckdb_settings: DuckDB settings applied when the embedded engine opens
        (``memory_limit``, ``threads``), from the config's ``engine:`` and the
        command line; validated before they get here.
    """

    duckdb_settings: dict[str, Any] = field(default_factory=dict)
    _duckdb: Any = field(default=None, repr=False)

    def duckdb(self) -> Any:
        """The run's in-process DuckDB (an Ibis backend), created on first use.

        All file sources of a run live in this one engine, so each query group is one query.
        """
        if self._duckdb is None:
            import ibis

            self._duckdb = ibis.duckdb.connect()
            for name, value in self.duckdb_settings.items():
                # Names come from a fixed list and values were checked against the schema's
                # patterns; SET takes no bound parameters.
                if name in ENGINE_SETTINGS:
                    self._duckdb.raw_sql(f"SET {name} = '{value}'" if isinstance(value, str) else f"SET {name} = {int(value)}")
        return self._duckdb

    def close(self) -> None:
        if self._duckdb is not None:
            try:
                self._duckdb.disconnect()
            finally:
                self._duckdb = None


@dataclass
class RunContext:
    """What a run uses: registry, locator, redactor and backend handles (see the module doc)."""

    registry: Registry
    locator: Document
    redactor: Redactor
    backends: Backends = field(default_factory=Backends)

    @classmethod
    def for_config(cls, config: Config, registry: Registry, engine: dict[str, Any] | None = None) -> RunContext:
        """A fresh context for one run of ``config`` with the plugins of ``registry``.

        :param engine: engine settings that override the config's ``engine:`` (the command line's).
        """
        settings = {**config.engine, **{k: v for k, v in (engine or {}).items() if v is not None}}
        return cls(registry=registry, locator=config.document, redactor=Redactor(config.secrets), backends=Backends(settings))
