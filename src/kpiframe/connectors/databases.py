"""Database-file connectors: a DuckDB database file and an SQLite file.

A DuckDB file is opened read-only as its own Ibis backend, so the work runs
inside it. SQLite has no quantile functions and DuckDB's SQLite extension may
not be installable offline, so an SQLite table (or query) is copied into the
run's DuckDB first: SQLite files are local and small enough for that, and every
calculator then works the same on them.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, ClassVar
from urllib.parse import quote

from kpiframe.contracts import Connector, SourceContext
from kpiframe.errors import SourceError, first_line
from kpiframe.plugins import hookimpl

_TABLE_OR_QUERY: dict[str, Any] = {
    "path": {"type": "string", "description": "the database file, relative to the config file"},
    "table": {"type": "string", "description": "a table or view to read"},
    "query": {"type": "string", "description": "a read-only SELECT to read instead of a table"},
}


def _one_of_table_or_query(params: Mapping[str, Any]) -> None:
    if ("table" in params) == ("query" in params):
        raise SourceError("give exactly one of `table:` or `query:`")


class DuckDBConnector(Connector):
    name = "duckdb"
    description = "A table or a query in a DuckDB database file, opened read-only."
    params_schema: ClassVar[dict[str, Any]] = {
        "type": "object",
        "properties": _TABLE_OR_QUERY,
        "required": ["path"],
        "oneOf": [{"required": ["table"]}, {"required": ["query"]}],
        "additionalProperties": False,
        "x-kpiframe-expected": "exactly one of `table:` or `query:`",
    }

    def open(self, params: Mapping[str, Any], context: SourceContext) -> Any:
        import ibis

        _one_of_table_or_query(params)
        path = context.resolve_path(params["path"])
        if not path.is_file():
            raise SourceError(f"DuckDB file {params['path']!r} not found (looked at {path})")
        if not path.is_file():
            raise SourceError(f"DuckDB file {params['path']!r} is not a regular file")
        try:
            con = ibis.duckdb.connect(str(path), read_only=True)
            # Read-only already forbids writing the file; this also forbids reaching others.
            _lock_down(con)
            if "table" in params:
                return con.table(params["table"])
            return con.sql(params["query"])
        except Exception as exc:
            raise SourceError(f"cannot read from DuckDB file {params['path']!r}: {first_line(exc)}") from None


def _lock_down(con: Any) -> None:
    """No external access: a query cannot ATTACH, COPY ... TO or read other files, and DuckDB
    refuses to turn access back on while the database is open (so no configuration lock is
    needed, which would also stop Ibis setting the session's time zone)."""
    con.raw_sql("SET enable_external_access = false")


def _reads_only(action: int, *_: object) -> int:
    """SQLite authorizer: deny ATTACH, VACUUM (and VACUUM INTO), PRAGMA, and every write.

    What a statement may do: read tables, call (pure) functions, recurse.
    """
    import sqlite3

    allowed = (
        sqlite3.SQLITE_READ,
        sqlite3.SQLITE_SELECT,
        sqlite3.SQLITE_FUNCTION,
        getattr(sqlite3, "SQLITE_RECURSIVE", 33),
    )
    return sqlite3.SQLITE_OK if action in allowed else sqlite3.SQLITE_DENY


class SQLiteConnector(Connector):
    name = "sqlite"
    description = "A table or a query in an SQLite file (copied into the run's DuckDB)."
    params_schema = DuckDBConnector.params_schema

    def open(self, params: Mapping[str, Any], context: SourceContext) -> Any:
        import sqlite3

        import pyarrow as pa

        _one_of_table_or_query(params)
        path = context.resolve_path(params["path"])
        if not path.is_file():
            raise SourceError(f"SQLite file {params['path']!r} not found (looked at {path})")
        try:
            db = sqlite3.connect(f"file:{quote(str(path))}?mode=ro", uri=True)
            db.set_authorizer(_reads_only)
        except sqlite3.Error as exc:
            raise SourceError(f"cannot open SQLite file {params['path']!r}: {exc}") from None
        try:
            if "table" in params:
                quoted = '"' + params["table"].replace('"', '""') + '"'
                cursor = db.execute(f"SELECT * FROM {quoted}")  # identifier quoted, nothing else pasted
            else:
                cursor = db.execute(params["query"])
        except sqlite3.DatabaseError as exc:
            db.close()
            if "not authorized" in str(exc):
                raise SourceError(f"the SQLite source is read-only: its query may only read ({exc})") from None
            raise SourceError(f"cannot read from SQLite file {params['path']!r}: {exc}") from None
        try:
            names = [d[0] for d in cursor.description]
            rows = cursor.fetchall()
        except sqlite3.Error as exc:
            raise SourceError(f"cannot read from SQLite file {params['path']!r}: {exc}") from None
        finally:
            db.close()
        columns: list[Any] = list(zip(*rows)) if rows else [[] for _ in names]
        try:
            arrow = pa.table({name: pa.array(list(col)) for name, col in zip(names, columns)})
        except (pa.ArrowInvalid, pa.ArrowTypeError) as exc:
            raise SourceError(f"SQLite column with mixed types in {params['path']!r}: {exc}") from None
        import ibis

        # Through a memtable, as SourceContext.land_records does: one path for Python rows into DuckDB.
        return context.duckdb().create_table(f"sqlite_{context.source_id}_{id(arrow):x}", ibis.memtable(arrow))


@hookimpl
def kpiframe_register_connectors() -> list[Connector]:
    return [DuckDBConnector(), SQLiteConnector()]
