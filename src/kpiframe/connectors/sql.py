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
        "dsn": {"type": "string", "description": "the connection URL, e.g. \"${SUPPORT_PG_DSN}\" (postgresql://user:password@host:5432/db)"},
        "table": {"type": "string", "description": "a table or view to read"},
        "schema": {"type": "string", "description": "the table's schema (default: the connection's)"},
        "query": {"type": "string", "description": "a read-only SELECT to read instead of a table"},
    },
    "required": ["dsn"],
    "oneOf": [{"required": ["table"]}, {"required": ["query"]}],
    "additionalProperties": False,
    "x-kpiframe-expected": "`dsn:` with exactly one of `table:` or `query:`",
}
_READ_ONLY = re.compile(r"^\s*(select|with)\b", re.IGNORECASE)
# A WITH can hide a data-changing statement in PostgreSQL (WITH d AS (DELETE ...) SELECT ...).
_WRITES = re.compile(r"\b(insert|update|delete|merge|truncate|drop|alter|create|grant|revoke|copy|call|do)\b", re.IGNORECASE)


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


class SqlConnector(Connector):
    """A table or read-only query on a database server, through an Ibis backend."""

    schemes: ClassVar[tuple[str, ...]]
    extra: ClassVar[str]
    params_schema = _PARAMS

    def connect(self, dsn: str, read_only: bool = True) -> Any:
        raise NotImplementedError

    def open(self, params: Mapping[str, Any], context: SourceContext) -> Any:
        dsn = params["dsn"]
        if ("table" in params) == ("query" in params):
            raise SourceError("give exactly one of `table:` or `query:`")
        if urlsplit(dsn).scheme not in self.schemes:
            raise SourceError(f"the {self.name} connector takes a {self.schemes[0]}:// URL, got a {urlsplit(dsn).scheme or 'bare'} one")
        if "query" in params:
            query = re.sub(r"'(?:[^']|'')*'", "''", params["query"])  # keywords inside strings are data
            if not _READ_ONLY.match(query) or ";" in query.strip().rstrip(";") or _WRITES.search(query):
                raise SourceError("`query:` must be one read-only SELECT (or WITH ... SELECT) statement")
        try:
            con = self.connect(dsn, read_only="table" in params)
        except ImportError as exc:
            raise SourceError(f"the {self.name} connector needs its driver: pip install 'kpiframe[{self.extra}]' ({exc})") from None
        except Exception as exc:
            raise SourceError(hide_password(f"cannot connect: {first_line(exc)}", dsn)) from None
        try:
            if "table" in params:
                return con.table(params["table"], database=params.get("schema"))
            return con.sql(params["query"])
        except Exception as exc:
            if type(exc).__name__ == "TableNotFound":
                # PostgreSQL hides tables a role may not read, so "missing" and "forbidden" look alike.
                raise SourceError(f"cannot read table {params['table']!r}: it does not exist, or this user may not read it") from None
            what = f"table {params['table']!r}" if "table" in params else "the query"
            raise SourceError(hide_password(f"cannot read {what}: {first_line(exc)}", dsn)) from None



class PostgresConnector(SqlConnector):
    name = "postgres"
    schemes = ("postgresql", "postgres")
    extra = "postgres"
    description = "A table or read-only query on PostgreSQL; the work runs on the server."

    def connect(self, dsn: str, read_only: bool = True) -> Any:
        import ibis

        extra = {key: values[-1] for key, values in parse_qs(urlsplit(dsn).query).items()}
        if read_only:
            # A read-only session for table sources: a config can read, never change, the database.
            # (A query source's schema is read through a temporary view, which such a session forbids;
            # its text is checked to be one SELECT instead. Give kpiframe a read-only user either way.)
            extra["options"] = ("-c default_transaction_read_only=on " + extra.get("options", "")).strip()
        return ibis.postgres.connect(**server(dsn, 5432, None, None), connect_timeout=10, **extra)


class MySQLConnector(SqlConnector):
    name = "mysql"
    schemes = ("mysql", "mariadb")
    extra = "mysql"
    description = "A table or read-only query on MySQL or MariaDB; the work runs on the server (no percentiles: MySQL has none)."

    def connect(self, dsn: str, read_only: bool = True) -> Any:
        import ibis

        with warnings.catch_warnings():
            # Ibis sets the session zone by name, which fails on servers without time-zone
            # tables (a default MariaDB); the offset form below needs none.
            warnings.filterwarnings("ignore", message="Unable to set session timezone")
            con = ibis.mysql.connect(**server(dsn, 3306, "root", ""), connect_timeout=10)
        con.raw_sql("SET time_zone = '+00:00'")
        return con


@hookimpl
def kpiframe_register_connectors() -> list[Connector]:
    return [PostgresConnector(), MySQLConnector()]
