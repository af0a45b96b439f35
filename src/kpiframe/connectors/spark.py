"""spark: a source on Apache Spark, for data that has outgrown one machine.

Ibis compiles the same fused aggregate queries to Spark SQL, so a config moves
from DuckDB to Spark by changing the source's connector. The Spark session is
local (``master: local[*]``) unless ``master`` names a cluster; one session
serves every Spark source of a run. Needs ``pip install 'kpiframe[spark]'`` and Java.

Spark's ``unix_timestamp`` counts whole seconds, so durations are exact to the
second there (DuckDB and PostgreSQL keep fractions).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, ClassVar

from kpiframe.contracts import Connector, SourceContext
from kpiframe.errors import SourceError, first_line
from kpiframe.plugins import hookimpl

_SESSIONS: dict[str, Any] = {}


def session(master: str, config: Mapping[str, str]) -> Any:
    """One Spark session per master for the whole process (Spark allows one per JVM anyway)."""
    if master not in _SESSIONS:
        from pyspark.sql import SparkSession

        builder = SparkSession.builder.master(master).appName("kpiframe")
        settings = {"spark.ui.enabled": "false", "spark.sql.session.timeZone": "UTC", **config}
        if master.startswith("local"):
            settings.setdefault("spark.driver.bindAddress", "127.0.0.1")
            settings.setdefault("spark.driver.host", "127.0.0.1")
        for key, value in settings.items():
            builder = builder.config(key, value)
        _SESSIONS[master] = builder.getOrCreate()
    return _SESSIONS[master]


class SparkConnector(Connector):
    name = "spark"
    description = "Files (Parquet, CSV, JSON) or a catalog table on Apache Spark; the work runs in Spark."
    params_schema: ClassVar[dict[str, Any]] = {
        "type": "object",
        "properties": {
            "path": {
                "type": "string",
                "description": (
                    "a file, folder or glob, relative to the config (or any URI Spark reads: s3a://, hdfs://)"
                ),
            },
            "format": {
                "enum": ["parquet", "csv", "json"],
                "description": "the files' format (default: from the extension, else parquet)",
            },
            "table": {"type": "string", "description": "a table in Spark's catalog instead of files"},
            "master": {"type": "string", "description": "the Spark master (default local[*])"},
            "config": {
                "type": "object",
                "additionalProperties": {"type": "string"},
                "description": "Spark settings, e.g. {spark.executor.memory: 4g}",
            },
        },
        "oneOf": [{"required": ["path"]}, {"required": ["table"]}],
        "additionalProperties": False,
        "x-kpiframe-expected": "exactly one of `path:` or `table:`",
    }

    def open(self, params: Mapping[str, Any], context: SourceContext) -> Any:
        try:
            import ibis
            import pyspark  # noqa: F401
        except ImportError:
            raise SourceError(
                "the spark connector needs PySpark: pip install 'kpiframe[spark]' (and Java 17)"
            ) from None
        try:
            con = ibis.pyspark.connect(session(params.get("master", "local[*]"), params.get("config", {})))
        except Exception as exc:
            raise SourceError(f"cannot start Spark: {first_line(exc)}") from None
        if "table" in params:
            try:
                return con.table(params["table"])
            except Exception as exc:
                raise SourceError(f"cannot read Spark table {params['table']!r}: {first_line(exc)}") from None
        path = params["path"]
        local = "://" not in path
        location = str(context.resolve_path(path)) if local else path
        if local:
            import glob

            if not glob.glob(location):
                raise SourceError(f"no file matches {path!r} (looked for {location})")
        kind = params.get("format") or next(
            (f for f in ("csv", "json") if location.endswith(f".{f}") or location.endswith(f".{f}l")), "parquet"
        )
        reader = {"parquet": con.read_parquet, "csv": con.read_csv, "json": con.read_json}[kind]
        try:
            return reader(location, table_name=f"kpiframe_{context.source_id}")
        except Exception as exc:
            raise SourceError(f"Spark cannot read {path!r} as {kind}: {first_line(exc)}") from None


@hookimpl
def kpiframe_register_connectors() -> list[Connector]:
    return [SparkConnector()]
