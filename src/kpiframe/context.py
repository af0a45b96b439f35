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

__all__ = ["Backends", "RunContext"]


@dataclass
class Backends:
    """Engine handles a run opens lazily and closes at its end."""

    _duckdb: Any = field(default=None, repr=False)

    def duckdb(self) -> Any:
        """The run's in-process DuckDB (an Ibis backend), created on first use.

        All file sources of a run live in this one engine, so each query group is one query.
        """
        if self._duckdb is None:
            import ibis

            self._duckdb = ibis.duckdb.connect()
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
    def for_config(cls, config: Config, registry: Registry) -> RunContext:
        """A fresh context for one run of ``config`` with the plugins of ``registry``."""
        return cls(registry=registry, locator=config.document, redactor=Redactor(config.secrets))
