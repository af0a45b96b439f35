"""SQL database connectors through Ibis backends: ``postgres`` and ``mysql`` (MariaDB too).

The table stays in the database: kpiframe builds the fused aggregate query with
Ibis and the server runs it, so only the aggregate rows cross the wire. Each
backend is an optional extra (``kpiframe[postgres]``, ``kpiframe[mysql]``) and
is imported only when a source uses it.

Credentials belong in the environment: ``dsn: "${SUPPORT_PG_DSN}"``. Every
message a connector raises has the DSN's password replaced by ``***``.
"""

from __future__ import annotations

import re
import warnings
from collections.abc import Mapping
from typing import Any, ClassVar
from urllib.parse import parse_qs, unquote, urlsplit

from kpiframe.contracts import Connector, SourceContext
from kpiframe.errors import SourceError, first_line
from kpiframe.plugins import hookimpl

_PARAMS: dict[str, Any] = {
    "type": "object",
    "properties": {
        "dsn": {
            "type": "string",
            "description": 'the connection URL, e.g. "${SUPPORT_PG_DSN}" (postgresql://user:password@host:5432/db)',
        },
        "table": {"type": "string", "description": "a table or view to read"},
        "schema": {"type": "string", "description": "the table's schema (default: the connection's)"},
        "query": {"type": "string", "description": "a read-only SELECT to read instead of a table"},
        "timeout": {
            "type": "integer",
            "minimum": 1,
            "maximum": 86400,
            "description": "seconds a statement may run before the server stops it (default 300)",
        },
    },
    "required": ["dsn"],
    "oneOf": [{"required": ["table"]}, {"required": ["query"]}],
    "additionalProperties": False,
    "x-kpiframe-expected": "`dsn:` with exactly one of `table:` or `query:`",
}
_READ_ONLY = re.compile(r"^\s*(select|with)\b", re.IGNORECASE)
# A WITH can hide a data-changing statement in PostgreSQL (WITH d AS (DELETE ...) SELECT ...).
_WRITES = re.compile(
    r"\b(insert|update|delete|merge|truncate|drop|alter|create|grant|revoke|copy|call|do)\b", re.IGNORECASE
)
# Functions that act despite a read-only session: PostgreSQL creates large objects in
# read-only transactions (lo_from_bytea, measured on 15), dblink writes elsewhere,
# set_config could lift the session's read-only default for later queries.
_SIDE_EFFECTS = re.compile(
    r"\b(lo_\w+|lowrite|loread|dblink\w*|set_config|pg_file_write|pg_terminate_backend|pg_cancel_backend|pg_advisory\w*)\s*\(",
    re.IGNORECASE,
)


def hide_password(text: str, dsn: str) -> str:
    """``text`` with the DSN's password (and the DSN itself) replaced by ``***``."""
    password = urlsplit(dsn).password
    text = text.replace(dsn, re.sub(r"//([^:@/]*):[^@/]*@", r"//\1:***@", dsn))
    return text.replace(password, "***") if password else text


def server(dsn: str, port: int, user: str | None, password: str | None) -> dict[str, Any]:
    """host, port, user, password and database from a connection URL, with the driver's defaults."""
    parts = urlsplit(dsn)
    return {
        "host": parts.hostname or "localhost",
        "port": parts.port or port,
        "user": unquote(parts.username) if parts.username else user,
        "password": unquote(parts.password) if parts.password else password,
        "database": parts.path.lstrip("/") or None,
    }


#: Seconds a statement on a database source may run (``timeout:`` on the source).
DEFAULT_TIMEOUT = 300


def _read_only_violation(exc: BaseException) -> bool:
    text = str(exc).lower()
    return (
        "read-only transaction" in text
        or "read only transaction" in text
        or "read-only" in text
        and "cannot execute" in text
    )


class SqlConnector(Connector):
    """A table or read-only query on a database server, through an Ibis backend."""

    schemes: ClassVar[tuple[str, ...]]
    extra: ClassVar[str]
    params_schema = _PARAMS

    def connect(self, dsn: str, timeout: int) -> Any:
        """A read-only session whose statements stop after ``timeout`` seconds."""
        raise NotImplementedError

    def query_schema(self, con: Any, query: str) -> Any:
        """The columns of a ``query:`` source, learnt without writing (``None``: let Ibis find them)."""
        return None

    def open(self, params: Mapping[str, Any], context: SourceContext) -> Any:
        dsn = params["dsn"]
        if ("table" in params) == ("query" in params):
            raise SourceError("give exactly one of `table:` or `query:`")
        if urlsplit(dsn).scheme not in self.schemes:
            raise SourceError(
                f"the {self.name} connector takes a {self.schemes[0]}:// URL, got a"
                f" {urlsplit(dsn).scheme or 'bare'} one"
            )
        if "query" in params:
            query = re.sub(r"'(?:[^']|'')*'", "''", params["query"])  # keywords inside strings are data
            if not _READ_ONLY.match(query) or ";" in query.strip().rstrip(";") or _WRITES.search(query):
                raise SourceError("`query:` must be one read-only SELECT (or WITH ... SELECT) statement")
            side_effect = _SIDE_EFFECTS.search(query)
            if side_effect:
                raise SourceError(
                    f"`query:` calls {side_effect.group(1)}(), which can change the server even in a read-only session;"
                    " sources are read-only"
                )
        timeout = int(params.get("timeout", DEFAULT_TIMEOUT))
        try:
            con = self.connect(dsn, timeout)
        except ImportError as exc:
            raise SourceError(
                f"the {self.name} connector needs its driver: pip install 'kpiframe[{self.extra}]' ({exc})"
            ) from None
        except Exception as exc:
            raise SourceError(hide_password(f"cannot connect: {first_line(exc)}", dsn)) from None
        try:
            if "table" in params:
                return con.table(params["table"], database=params.get("schema"))
            return con.sql(params["query"], schema=self.query_schema(con, params["query"]))
        except Exception as exc:
            if _read_only_violation(exc):
                raise SourceError(
                    f"the {self.name} source is read-only: its query tried to change the database ({first_line(exc)})"
                ) from None
            if type(exc).__name__ == "TableNotFound":
                # PostgreSQL hides tables a role may not read, so "missing" and "forbidden" look alike.
                raise SourceError(
                    f"cannot read table {params['table']!r}: it does not exist, or this user may not read it"
                ) from None
            what = f"table {params['table']!r}" if "table" in params else "the query"
            raise SourceError(hide_password(f"cannot read {what}: {first_line(exc)}", dsn)) from None


class PostgresConnector(SqlConnector):
    name = "postgres"
    schemes = ("postgresql", "postgres")
    extra = "postgres"
    description = "A table or read-only query on PostgreSQL; the work runs on the server."

    def connect(self, dsn: str, timeout: int) -> Any:
        import ibis

        extra = {key: values[-1] for key, values in parse_qs(urlsplit(dsn).query).items()}
        # Every transaction of the session is read-only, set at connect time: not even a function
        # the query calls can write (or create a large object), and each statement is bounded.
        options = f"-c default_transaction_read_only=on -c statement_timeout={timeout * 1000}"
        extra["options"] = (options + " " + extra.get("options", "")).strip()
        return ibis.postgres.connect(**server(dsn, 5432, None, None), connect_timeout=10, **extra)

    def query_schema(self, con: Any, query: str) -> Any:
        # Ibis would learn the columns through a temporary view, which a read-only session
        # forbids; the result's description (LIMIT 0: no rows) gives them without writing.
        import ibis
        from ibis.backends.sql.datatypes import PostgresType

        with con.con.cursor() as cursor:
            cursor.execute(f"SELECT * FROM ({query}) AS kpiframe_query LIMIT 0")
            names = [(d.name, con.con.adapters.types.get(d.type_code)) for d in cursor.description]
        con.con.rollback()
        return ibis.schema({name: PostgresType.from_string(info.name if info else "text") for name, info in names})


class MySQLConnector(SqlConnector):
    name = "mysql"
    schemes = ("mysql", "mariadb")
    extra = "mysql"
    description = (
        "A table or read-only query on MySQL or MariaDB; the work runs on the server (no percentiles: MySQL has none)."
    )

    def connect(self, dsn: str, timeout: int) -> Any:
        import ibis

        with warnings.catch_warnings():
            # Ibis sets the session zone by name, which fails on servers without time-zone
            # tables (a default MariaDB); the offset form below needs none.
            warnings.filterwarnings("ignore", message="Unable to set session timezone")
            con = ibis.mysql.connect(**server(dsn, 3306, "root", ""), connect_timeout=10)
        con.raw_sql("SET time_zone = '+00:00'")
        # Read-only transactions for the whole session, and a bound on each statement
        # (MariaDB: max_statement_time in seconds; MySQL: max_execution_time in ms).
        con.raw_sql("SET SESSION TRANSACTION READ ONLY")
        for statement in (
            f"SET SESSION max_statement_time = {int(timeout)}",
            f"SET SESSION max_execution_time = {int(timeout) * 1000}",
        ):
            try:
                con.raw_sql(statement)
            except Exception:
                pass
        return con


@hookimpl
def kpiframe_register_connectors() -> list[Connector]:
    return [PostgresConnector(), MySQLConnector()]
