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

from kpiframe.engine.edges import EdgeVariables
from kpiframe.redaction import Redactor

if TYPE_CHECKING:
    from kpiframe.config.model import Config
    from kpiframe.config.yaml_source import Document
    from kpiframe.plugins import Registry

__all__ = ["ENGINE_SETTINGS", "Backends", "Progress", "RunContext"]

#: The DuckDB settings a config (``engine:``) or the command line may set.
ENGINE_SETTINGS = ("memory_limit", "threads")


def duckdb_connect() -> Any:
    """A new in-process DuckDB connection (a seam: tests wrap it to count queries)."""
    import duckdb

    return duckdb.connect()


@dataclass
class Backends:
    """Engine handles a run opens lazily and closes at its end.

    The embedded fast path: file sources become views on one plain DuckDB
    connection, described with ``DESCRIBE`` and seen by the engine as unbound Ibis
    tables. Ibis only *compiles* the fused queries to SQL; the SQL runs on DuckDB's
    own connection and plain tuples come back. Neither Ibis' DuckDB backend nor
    pandas nor pyarrow is imported on that path (together about a second of every
    run). Sources on other engines (PostgreSQL, MySQL, Spark, a separate DuckDB
    file) are bound to their Ibis backends, which run their queries.

    :param duckdb_settings: DuckDB settings applied when the embedded engine opens
        (``memory_limit``, ``threads``), from the config's ``engine:`` and the
        command line; validated before they get here.
    """

    duckdb_settings: dict[str, Any] = field(default_factory=dict)
    #: view name → seconds its queries may run (a file source's ``timeout:``)
    timeouts: dict[str, float] = field(default_factory=dict)
    #: The window edges the embedded queries read as variables (:mod:`kpiframe.engine.edges`).
    edges: EdgeVariables = field(default_factory=EdgeVariables)
    #: view name → (its SELECT, its columns as DESCRIBE gives them): what the sources are, for the
    #: compiled-query cache's key.
    views: dict[str, tuple[str, tuple[tuple[str, str], ...]]] = field(default_factory=dict)
    _connection: Any = field(default=None, repr=False)
    _ibis_duckdb: Any = field(default=None, repr=False)
    _variables_set: dict[str, Any] = field(default_factory=dict, repr=False)

    def connection(self) -> Any:
        """The run's plain DuckDB connection, created on first use with the engine settings."""
        if self._connection is None:
            self._connection = duckdb_connect()
            # Windows are UTC instants; DuckDB's session zone defaults to the machine's, which
            # would shift every comparison with a zone-aware column (Ibis' backend sets UTC too).
            self._connection.execute("SET TimeZone = 'UTC'")
            # No Python-variables-as-tables lookups: a name in the SQL is a view of ours or an error.
            self._connection.execute("SET python_enable_replacements = false")
            for name, value in self.duckdb_settings.items():
                # Names come from a fixed list and values were checked against the schema's
                # patterns; SET takes no bound parameters.
                if name in ENGINE_SETTINGS:
                    self._connection.execute(
                        f"SET {name} = '{value}'" if isinstance(value, str) else f"SET {name} = {int(value)}"
                    )
        return self._connection

    def duckdb(self) -> Any:
        """An Ibis DuckDB backend over the run's connection, for connectors that build tables
        through Ibis (``land_records``, the SQLite copy). Created on first use."""
        if self._ibis_duckdb is None:
            import ibis

            self._ibis_duckdb = ibis.duckdb.from_connection(self.connection())
        return self._ibis_duckdb

    def view(self, name: str, select: str, timeout: float | None = None) -> Any:
        """Create (or replace) the temporary view ``name`` as ``select`` and return it as an unbound Ibis table.

        :param timeout: seconds a query over the view may run before it is interrupted.
        """
        import ibis
        from ibis.backends.sql.datatypes import DuckDBType

        columns = self.plain_view(name, select, timeout)
        return ibis.table(ibis.schema({column: DuckDBType.from_string(kind) for column, kind in columns}), name=name)

    def plain_view(self, name: str, select: str, timeout: float | None = None) -> tuple[tuple[str, str], ...]:
        """Create (or replace) the temporary view ``name`` as ``select``; its columns and DuckDB types.

        What :meth:`view` does without Ibis: a run whose queries come from the compiled-query
        cache needs the views, never their Ibis tables.
        """
        quoted = '"' + name.replace('"', '""') + '"'
        con = self.connection()
        con.execute(f"CREATE OR REPLACE TEMP VIEW {quoted} AS {select}")
        if timeout:
            self.timeouts[name] = float(timeout)
        columns = tuple((str(column), str(kind)) for column, kind, *_ in con.execute(f"DESCRIBE {quoted}").fetchall())
        self.views[name] = (select, columns)
        return columns

    def describe(self, select: str) -> tuple[tuple[str, str], ...]:
        """The columns and DuckDB types of a ``SELECT``, without creating anything."""
        rows = self.connection().execute(f"DESCRIBE {select}").fetchall()
        return tuple((str(column), str(kind)) for column, kind, *_ in rows)

    def fetch(self, expr: Any) -> list[dict[str, Any]]:
        """Run a query expression and return its rows as dicts.

        Unbound tables (the fast path) and tables of the run's own Ibis DuckDB backend
        compile to DuckDB SQL and run on the plain connection; anything else runs on
        the backend it is bound to.
        """
        from kpiframe.engine.duckdb_sql import to_duckdb_sql

        backends, _ = expr._find_backends()
        if all(backend is self._ibis_duckdb for backend in backends):
            return self.fetch_sql(to_duckdb_sql(expr))
        rows: list[dict[str, Any]] = expr.to_pyarrow().to_pylist()
        return rows

    def runs_here(self, expr: Any) -> bool:
        """Whether ``expr`` runs on the run's own DuckDB (the fast path), where GROUPING SETS are fused."""
        backends, _ = expr._find_backends()
        return all(backend is self._ibis_duckdb for backend in backends)

    def grouping_sets_sql(self, query: Any, sets: list[list[str]]) -> str:
        """The DuckDB SQL of an aggregate grouped by every key of ``sets``, as ``GROUP BY GROUPING SETS``.

        Ibis has no grouping sets, so the compiled SQL's ``GROUP BY`` is replaced by
        the sets, and ``GROUPING(...)`` (column ``_grouping``) says which set each row
        belongs to: bit *i*, counted from the left of all keys, is 1 when key *i* is
        not in the row's set. Refuses (``ValueError``) a compiled shape it does not
        recognise; the caller then runs one query per set.
        """
        import sqlglot.expressions as sge

        from kpiframe.engine.duckdb_sql import duckdb_compiler

        tree = duckdb_compiler().to_sqlglot(query)
        ordered = list(dict.fromkeys(name for names in sets for name in names))
        keys = {e.alias: e.this for e in tree.expressions if isinstance(e, sge.Alias) and e.alias in ordered}
        group = tree.args.get("group")
        if (
            not isinstance(tree, sge.Select)
            or group is None
            or len(keys) != len(ordered)
            or len(group.expressions) != len(keys)
        ):
            raise ValueError("unexpected shape of the compiled aggregate")
        grouping_sets = sge.GroupingSets(
            expressions=[sge.Tuple(expressions=[keys[name].copy() for name in names]) for names in sets]
        )
        tree.set("group", sge.Group(grouping_sets=[grouping_sets]))
        tree.append(
            "expressions", sge.alias_(sge.func("GROUPING", *[keys[name].copy() for name in ordered]), "_grouping")
        )
        return tree.sql("duckdb")

    def fetch_sql(self, sql: str) -> list[dict[str, Any]]:
        """Run SQL on the run's DuckDB connection; rows as dicts.

        A query over a view with a ``timeout`` is interrupted when it runs out (DuckDB
        has no statement timeout of its own; ``interrupt()`` from a timer is its way).
        """
        import threading

        import duckdb

        limits = [seconds for name, seconds in self.timeouts.items() if f'"{name}"' in sql]
        connection = self.connection()
        self._set_variables(sql)
        timer = threading.Timer(min(limits), connection.interrupt) if limits else None
        if timer is not None:
            timer.daemon = True
            timer.start()
        try:
            cursor = connection.execute(sql)
            columns = [d[0] for d in cursor.description]
            return [dict(zip(columns, row)) for row in cursor.fetchall()]
        except duckdb.InterruptException:
            raise TimeoutError(f"the query ran longer than the source's timeout ({min(limits):g} s)") from None
        finally:
            if timer is not None:
                timer.cancel()

    def _set_variables(self, sql: str) -> None:
        """Give the edge variables ``sql`` reads their values (:meth:`EdgeVariables.statements`)."""
        for name, statement in self.edges.statements().items():
            if f"'{name}'" in sql and self._variables_set.get(name) != statement:
                self.connection().execute(statement)
                self._variables_set[name] = statement

    def close(self) -> None:
        self._variables_set.clear()
        connection, self._connection, self._ibis_duckdb = self._connection, None, None
        if connection is not None:
            connection.close()


class Progress:
    """Where a run reports its steps (sources opened, queries run). This one reports nowhere;
    the command line hands in one that draws on the terminal (:mod:`kpiframe.progress`)."""

    def update(self, what: str, done: int, total: int | None = None) -> None:
        """``done`` of ``total`` steps of the kind ``what`` have finished."""


@dataclass
class RunContext:
    """What a run uses: registry, locator, redactor and backend handles (see the module doc)."""

    registry: Registry
    locator: Document
    redactor: Redactor
    backends: Backends = field(default_factory=Backends)
    progress: Progress = field(default_factory=Progress)

    @classmethod
    def for_config(cls, config: Config, registry: Registry, engine: dict[str, Any] | None = None) -> RunContext:
        """A fresh context for one run of ``config`` with the plugins of ``registry``.

        :param engine: engine settings that override the config's ``engine:`` (the command line's).
        """
        settings = {**config.engine, **{k: v for k, v in (engine or {}).items() if v is not None}}
        return cls(
            registry=registry, locator=config.document, redactor=Redactor(config.secrets), backends=Backends(settings)
        )
