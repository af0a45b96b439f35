"""How a file source is read: the options a config may set, and the DuckDB SQL they become.

Exports differ in small ways that break a reader: a tab between fields, Latin-1
text, ``N/A`` for nothing, dates written ``31/01/2026``, a ZIP code that looks
like a number, a row of bare commas left by a spreadsheet. Each has an option
here. Values reach the SQL as quoted literals (:func:`kpiframe.sql_literal`),
column names as quoted identifiers, and type names only from a fixed table:
no text of the config is pasted into the SQL as it is.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from kpiframe.errors import SourceError
from kpiframe.sql_literals import sql_literal

__all__ = [
    "DELIMITERS",
    "TYPES",
    "blank_row_filter",
    "csv_options",
    "format_options",
    "options_schema",
    "quote_identifier",
    "type_casts",
]

#: Names a config may give a separator instead of the character itself.
DELIMITERS = {"tab": "\t", "comma": ",", "semicolon": ";", "pipe": "|", "space": " "}

#: The type names ``types:`` accepts, and the DuckDB type each is read as.
TYPES = {
    "text": "VARCHAR",
    "string": "VARCHAR",
    "varchar": "VARCHAR",
    "integer": "BIGINT",
    "int": "BIGINT",
    "bigint": "BIGINT",
    "number": "DOUBLE",
    "double": "DOUBLE",
    "float": "DOUBLE",
    "boolean": "BOOLEAN",
    "bool": "BOOLEAN",
    "date": "DATE",
    "time": "TIME",
    "timestamp": "TIMESTAMP",
    "datetime": "TIMESTAMP",
    "timestamptz": "TIMESTAMPTZ",
}

#: The encodings DuckDB's CSV reader decodes itself, by the names a config may use.
ENCODINGS = {
    "utf-8": "utf-8",
    "utf8": "utf-8",
    "utf-16": "utf-16",
    "utf16": "utf-16",
    "latin-1": "latin-1",
    "latin1": "latin-1",
    "iso-8859-1": "latin-1",
}

_FORMAT = (
    " in strftime codes, e.g. '%d/%m/%Y' (default: detected); see https://duckdb.org/docs/sql/functions/dateformat"
)
_SCHEMAS: dict[str, dict[str, Any]] = {
    "delimiter": {
        "type": "string",
        "pattern": "^(.|" + "|".join(sorted(DELIMITERS)) + ")$",
        "x-kpiframe-expected": "one character, or tab, comma, semicolon, pipe or space",
        "description": "field separator: one character, or tab, comma, semicolon, pipe, space (detected when absent)",
    },
    "header": {"type": "boolean", "description": "the first line holds column names (default: detected)"},
    "encoding": {
        "enum": sorted(ENCODINGS),
        "description": "the text encoding of the file (default utf-8); Windows-1252 exports read well as latin-1",
    },
    "null_values": {
        "type": "array",
        "items": {"type": "string"},
        "description": "texts read as null, e.g. ['', 'N/A'] (default: the empty field)",
    },
    "types": {
        "type": "object",
        "additionalProperties": {"enum": sorted(TYPES)},
        "description": (
            "column → type, overriding detection: text, integer, number, boolean, date, time, timestamp, timestamptz"
            " (`{zip: text}` keeps leading zeros)"
        ),
    },
    "timestamp_format": {"type": "string", "minLength": 1, "description": "how timestamps are written" + _FORMAT},
    "date_format": {"type": "string", "minLength": 1, "description": "how dates are written" + _FORMAT},
    "skip_blank_rows": {
        "type": "boolean",
        "description": "a row whose fields are all empty is not a record (default true)",
    },
}


def options_schema(*names: str) -> dict[str, Any]:
    """The params-schema properties of the named options."""
    return {name: _SCHEMAS[name] for name in names}


def quote_identifier(name: str) -> str:
    """A column name as a DuckDB identifier: in double quotes, its own double quotes doubled."""
    if "\x00" in name:
        raise SourceError("a column name cannot contain a NUL character")
    return '"' + name.replace('"', '""') + '"'


def format_options(params: Mapping[str, Any]) -> dict[str, Any]:
    """``timestampformat`` and ``dateformat`` for DuckDB's CSV and JSON readers."""
    options: dict[str, Any] = {}
    if "timestamp_format" in params:
        options["timestampformat"] = params["timestamp_format"]
    if "date_format" in params:
        options["dateformat"] = params["date_format"]
    return options


def csv_options(params: Mapping[str, Any]) -> dict[str, Any]:
    """The options of DuckDB's ``read_csv`` that the source's params set."""
    options: dict[str, Any] = {}
    if "delimiter" in params:
        options["delim"] = DELIMITERS.get(params["delimiter"], params["delimiter"])
    if "header" in params:
        options["header"] = params["header"]
    if "encoding" in params:
        options["encoding"] = ENCODINGS[params["encoding"]]
    if "null_values" in params:
        options["nullstr"] = list(params["null_values"])
    if params.get("types"):
        options["types"] = {column: TYPES[kind] for column, kind in params["types"].items()}
    return {**options, **format_options(params)}


def type_casts(columns: Mapping[str, bool], params: Mapping[str, Any]) -> str:
    """``* REPLACE (CAST("a" AS DATE) AS "a")``: the select list that gives columns their ``types:``.

    For readers without a types option of their own (JSON, Parquet). ``columns``
    maps each column to whether it holds text; text read as a timestamp or date
    follows ``timestamp_format`` / ``date_format`` when given.
    """
    types = params.get("types") or {}
    unknown = sorted(set(types) - set(columns))
    if unknown:
        raise SourceError(
            f"`types:` names {', '.join(map(repr, unknown))}, which the files do not have; they have:"
            f" {', '.join(columns)}"
        )
    casts = []
    for column, kind in types.items():
        target, quoted = TYPES[kind], quote_identifier(column)
        text = columns[column]
        fmt = params.get("date_format" if target == "DATE" else "timestamp_format")
        if text and fmt and target in ("DATE", "TIMESTAMP", "TIMESTAMPTZ"):
            expr = f"CAST(strptime({quoted}, {sql_literal(fmt)}) AS {target})"
        else:
            expr = f"CAST({quoted} AS {target})"
        casts.append(f"{expr} AS {quoted}")
    return f"* REPLACE ({', '.join(casts)})" if casts else "*"


def blank_row_filter(columns: Mapping[str, bool]) -> str:
    """``WHERE`` text keeping the rows with at least one field that is neither null nor blank.

    ``columns`` maps each column to whether it holds text: only text can be blank
    (``'  '``), so only text is trimmed, and the cheap null tests come first.
    """
    plain = [f"{quote_identifier(c)} IS NOT NULL" for c, text in columns.items() if not text]
    texts = [f"NULLIF(TRIM({quote_identifier(c)}), '') IS NOT NULL" for c, text in columns.items() if text]
    return " OR ".join(plain + texts) if columns else "true"
