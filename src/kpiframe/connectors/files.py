"""File connectors: CSV, Parquet, JSON lines and JSON, read by the run's in-process DuckDB.

DuckDB reads the files where they lie (no copy), in parallel and out of core,
and all file sources of a run share one engine. Each source is a view on the
run's plain DuckDB connection (``SourceContext.view``): the fast path, with no
Ibis backend, pandas or pyarrow in the run.
"""

from __future__ import annotations

import glob
import re
from collections.abc import Mapping
from pathlib import Path
from typing import Any, ClassVar

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

    def open(self, params: Mapping[str, Any], context: SourceContext) -> Any:
        files = existing_files(params, context)
        try:
            return context.view(f"SELECT * FROM {self.reader(files, params)}", params.get("timeout"))
        except SourceError:
            raise
        except Exception as exc:
            raise SourceError(f"cannot read {params['path']!r} as {self.name}: {first_line(exc)}") from None


class CsvConnector(_DuckDBFileConnector):
    name = "csv"
    description = "CSV files (one file or a glob), types detected by DuckDB."
    params_schema: ClassVar[dict[str, Any]] = {
        "type": "object",
        "properties": {
            "path": _PATH,
            "timeout": _TIMEOUT,
            "delimiter": {
                "type": "string",
                "minLength": 1,
                "maxLength": 1,
                "description": "field separator (detected when absent)",
            },
            "header": {"type": "boolean", "description": "the first line holds column names (default: detected)"},
            "null_values": {
                "type": "array",
                "items": {"type": "string"},
                "description": "texts read as null, e.g. ['', 'N/A']",
            },
        },
        "required": ["path"],
        "additionalProperties": False,
    }

    def reader(self, files: list[Path], params: Mapping[str, Any]) -> str:
        options: dict[str, Any] = {}
        if "delimiter" in params:
            options["delim"] = params["delimiter"]
        if "header" in params:
            options["header"] = params["header"]
        if "null_values" in params:
            options["nullstr"] = list(params["null_values"])
        return _call("read_csv", files, options)


class ParquetConnector(_DuckDBFileConnector):
    name = "parquet"
    description = "Parquet files (one file or a glob); row groups are read in parallel."
    params_schema: ClassVar[dict[str, Any]] = {
        "type": "object",
        "properties": {"path": _PATH, "timeout": _TIMEOUT},
        "required": ["path"],
        "additionalProperties": False,
    }

    def reader(self, files: list[Path], params: Mapping[str, Any]) -> str:
        return _call("read_parquet", files, {})


class JsonLinesConnector(_DuckDBFileConnector):
    name = "jsonl"
    description = "Newline-delimited JSON records (one object per line)."
    params_schema = ParquetConnector.params_schema
    json_format = "newline_delimited"

    def reader(self, files: list[Path], params: Mapping[str, Any]) -> str:
        for file in files:
            where = json_too_deep(file)
            if where is not None:
                raise SourceError(
                    f"{file} nests deeper than {MAX_JSON_DEPTH} levels (at byte {where:,}); kpiframe refuses it before"
                    " reading"
                )
        return _call("read_json_auto", files, {"format": self.json_format})


class JsonConnector(JsonLinesConnector):
    name = "json"
    description = "A JSON file holding an array of records."
    json_format = "array"


def _call(function: str, files: list[Path], options: Mapping[str, Any]) -> str:
    """``read_csv(['a.csv'], delim = ';')``: every value written as a quoted SQL literal."""
    arguments = [sql_literal([str(f) for f in files])] + [
        f"{name} = {sql_literal(value)}" for name, value in options.items()
    ]
    return f"{function}({', '.join(arguments)})"


@hookimpl
def kpiframe_register_connectors() -> list[Connector]:
    return [CsvConnector(), ParquetConnector(), JsonLinesConnector(), JsonConnector()]
