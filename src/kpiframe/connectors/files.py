"""File connectors: CSV, Parquet, JSON lines and JSON, read by the run's in-process DuckDB.

DuckDB reads the files where they lie (no copy), in parallel and out of core,
and all file sources of a run share one engine. Each source is a view on the
run's plain DuckDB connection (``SourceContext.view``): the fast path, with no
Ibis backend, pandas or pyarrow in the run.
"""

from __future__ import annotations

import glob
import re
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import Any, ClassVar

from kpiframe.connectors.file_options import (
    blank_row_filter,
    csv_options,
    format_options,
    options_schema,
    type_casts,
)
from kpiframe.contracts import Connector, SourceContext
from kpiframe.errors import SourceError, first_line
from kpiframe.plugins import hookimpl
from kpiframe.sql_literals import sql_literal

_PATH = {"type": "string", "description": "file path or glob, relative to the config file"}
_TIMEOUT = {
    "type": "number",
    "exclusiveMinimum": 0,
    "maximum": 86400,
    "description": "seconds a query over the files may run before it is stopped (default: no limit)",
}


def existing_files(params: Mapping[str, Any], context: SourceContext) -> list[Path]:
    """The files a ``path`` names (a glob may name several); a clear error when none exist.

    Each must be a regular file: a FIFO would block the run forever, a device would
    never end, and a folder is a mistake worth naming.
    """
    pattern = context.resolve_path(params["path"])
    matches = sorted(Path(p) for p in glob.glob(str(pattern)))
    if not matches:
        raise SourceError(f"no file matches {params['path']!r} (looked for {pattern})")
    for match in matches:
        if not match.is_file():
            kind = "a folder" if match.is_dir() else "not a regular file (a FIFO, a socket or a device)"
            raise SourceError(f"{match} is {kind}; a source reads regular files")
    return matches


#: JSON nested deeper than this is refused before DuckDB reads it (DuckDB's reader
#: recurses; 100,000 levels crashed the process). Real exports nest a few levels.
MAX_JSON_DEPTH = 64
_JSON_TOKENS = re.compile(rb'["\\\[\]{}]')


def json_too_deep(path: Path, limit: int = MAX_JSON_DEPTH) -> int | None:
    """The byte offset where ``path`` nests deeper than ``limit``, or ``None``.

    One pass in 1 MB chunks over the structural characters only (quotes, escapes and
    brackets, found by a regular expression), so memory stays flat and the cost is a
    fraction of parsing.
    """
    depth, in_string, skip, offset = 0, False, -1, 0
    with open(path, "rb") as handle:
        while chunk := handle.read(1 << 20):
            for match in _JSON_TOKENS.finditer(chunk):
                position, token = offset + match.start(), match.group()
                if position == skip:
                    continue
                if in_string:
                    if token == b"\\":
                        skip = position + 1
                    elif token == b'"':
                        in_string = False
                elif token == b'"':
                    in_string = True
                elif token in (b"[", b"{"):
                    depth += 1
                    if depth > limit:
                        return position
                elif token in (b"]", b"}"):
                    depth -= 1
            offset += len(chunk)
    return None


class _DuckDBFileConnector(Connector):
    def reader(self, files: list[Path], params: Mapping[str, Any]) -> str:
        """The DuckDB table function call that reads ``files`` (``read_parquet([...])``)."""
        raise NotImplementedError

    def refine(self, reader: str, text: Callable[[], dict[str, bool]], params: Mapping[str, Any]) -> str | None:
        """A ``SELECT`` over ``reader`` that applies what needs the columns first (``types:``), or ``None``.

        :param text: the reader's columns, each with whether it holds text (asked only when needed).
        """
        if not params.get("types"):
            return None
        return f"SELECT {type_casts(text(), params)} FROM {reader}"

    def select(self, params: Mapping[str, Any], context: SourceContext) -> str:
        """The DuckDB ``SELECT`` this source is: what :meth:`open` makes its view of.

        It needs no Ibis, so a run whose queries come from the compiled-query cache
        (:mod:`kpiframe.engine.compile_cache`) opens the source with it alone.
        """
        files = existing_files(params, context)
        try:
            reader = self.reader(files, params)

            def text() -> dict[str, bool]:
                return {name: kind == "VARCHAR" for name, kind in context.describe(f"SELECT * FROM {reader}")}

            return self.refine(reader, text, params) or f"SELECT * FROM {reader}"
        except SourceError:
            raise
        except Exception as exc:
            raise SourceError(f"cannot read {params['path']!r} as {self.name}: {self.explain(exc)}") from None

    def open(self, params: Mapping[str, Any], context: SourceContext) -> Any:
        select = self.select(params, context)
        try:
            return context.view(select, params.get("timeout"))
        except Exception as exc:
            raise SourceError(f"cannot read {params['path']!r} as {self.name}: {self.explain(exc)}") from None

    def explain(self, exc: Exception) -> str:
        """The engine's error in one line, with the option that fixes it where one does."""
        text = str(exc)
        if "Invalid unicode" in text:
            return "the file is not UTF-8 text; say its encoding, e.g. `encoding: latin-1` (or utf-16)"
        if "COLUMN_TYPES error" in text:
            detail = text.split("COLUMN_TYPES error:")[-1].strip().splitlines()[0]
            return f"`types:` names a column the file does not have: {detail}"
        return first_line(exc)


def reads_on_duckdb_alone(connector: Connector) -> bool:
    """Whether ``connector`` is one of these built-ins, whose source opens with :meth:`select` and a view
    (no Ibis): what a run from the compiled-query cache needs. A plugin's subclass may do more in ``open``."""
    return isinstance(connector, _DuckDBFileConnector) and type(connector).__module__ == __name__


class CsvConnector(_DuckDBFileConnector):
    name = "csv"
    description = "CSV files (one file or a glob), types detected by DuckDB unless `types:` says."
    params_schema: ClassVar[dict[str, Any]] = {
        "type": "object",
        "properties": {
            "path": _PATH,
            "timeout": _TIMEOUT,
            **options_schema(
                "delimiter",
                "header",
                "encoding",
                "null_values",
                "types",
                "timestamp_format",
                "date_format",
                "skip_blank_rows",
            ),
        },
        "required": ["path"],
        "additionalProperties": False,
    }

    def reader(self, files: list[Path], params: Mapping[str, Any]) -> str:
        return _call("read_csv", files, {**csv_options(params), **_union(files)})

    def refine(self, reader: str, text: Callable[[], dict[str, bool]], params: Mapping[str, Any]) -> str | None:
        # `types:` went to read_csv itself (a ZIP code read as text keeps its zeros); left: blank rows.
        if not params.get("skip_blank_rows", True):
            return None
        return f"SELECT * FROM {reader} WHERE {blank_row_filter(text())}"


class ParquetConnector(_DuckDBFileConnector):
    name = "parquet"
    description = "Parquet files (one file or a glob); row groups are read in parallel."
    params_schema: ClassVar[dict[str, Any]] = {
        "type": "object",
        "properties": {"path": _PATH, "timeout": _TIMEOUT, **options_schema("types")},
        "required": ["path"],
        "additionalProperties": False,
    }

    def reader(self, files: list[Path], params: Mapping[str, Any]) -> str:
        return _call("read_parquet", files, _union(files))


class JsonLinesConnector(_DuckDBFileConnector):
    name = "jsonl"
    description = "Newline-delimited JSON records (one object per line)."
    params_schema: ClassVar[dict[str, Any]] = {
        "type": "object",
        "properties": {
            "path": _PATH,
            "timeout": _TIMEOUT,
            **options_schema("types", "timestamp_format", "date_format"),
        },
        "required": ["path"],
        "additionalProperties": False,
    }
    json_format = "newline_delimited"

    def reader(self, files: list[Path], params: Mapping[str, Any]) -> str:
        for file in files:
            where = json_too_deep(file)
            if where is not None:
                raise SourceError(
                    f"{file} nests deeper than {MAX_JSON_DEPTH} levels (at byte {where:,}); kpiframe refuses it before"
                    " reading"
                )
        options = {"format": self.json_format, **format_options(params), **_union(files)}
        return _call("read_json_auto", files, options)


class JsonConnector(JsonLinesConnector):
    name = "json"
    description = "A JSON file holding an array of records."
    json_format = "array"


def _union(files: list[Path]) -> dict[str, Any]:
    """Several files (a glob) are matched by column name, so monthly exports may order columns differently."""
    return {"union_by_name": True} if len(files) > 1 else {}


def _call(function: str, files: list[Path], options: Mapping[str, Any]) -> str:
    """``read_csv(['a.csv'], delim = ';')``: every value written as a quoted SQL literal."""
    arguments = [sql_literal([str(f) for f in files])] + [
        f"{name} = {sql_literal(value)}" for name, value in options.items()
    ]
    return f"{function}({', '.join(arguments)})"


@hookimpl
def kpiframe_register_connectors() -> list[Connector]:
    return [CsvConnector(), ParquetConnector(), JsonLinesConnector(), JsonConnector()]
