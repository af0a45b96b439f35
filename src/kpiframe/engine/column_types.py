"""What a column's type fits, and how to make it fit: the messages and hints of the data checks.

The checks (:mod:`kpiframe.engine.checks`) find which column a metric's failure is
about; this module words it for a person: the type in plain words ("times of day
(TIME)", "text"), and the fix that type calls for, written with the config's own
names: ``seconds(talk)`` for hh:mm:ss, ``from_unix(created)`` for seconds since
1970, ``answered == 'Y'`` for a flag written as text.
"""

from __future__ import annotations

import functools
import re
from dataclasses import dataclass
from typing import Any

from kpiframe.config.model import SourceSpec
from kpiframe.errors import ConfigProblem, ExpressionError
from kpiframe.expr import FUNCTION_DOCS, parse, quote_name, suggest

Path = tuple[Any, ...]


@dataclass(frozen=True)
class Column:
    """Something a metric reads: where the config names it, how it reads, and its type."""

    path: Path  # the config key that names it
    text: str  # the expression or role, as the config writes it
    dtype: Any
    role: str | None = None  # a role of the calculator (support pack), else a param's expression
    mapped: str | None = None  # what the source maps the role to (`columns:`, the preset, or the role itself)


#: Ibis methods a column type may lack, and what the calculator wanted of the column.
NUMERIC_METHODS = {"mean", "sum", "quantile", "approx_median", "median", "std", "var", "cast", "round", "abs"}
TIME_METHODS = {"epoch_seconds", "truncate", "hour", "minute", "day_of_week", "date", "delta"}


def needs(method: str | None) -> str | None:
    """What a column must hold for the Ibis method a calculator called on it (``mean``: numbers)."""
    if method in NUMERIC_METHODS:
        return "numbers"
    if method in TIME_METHODS:
        return "timestamps"
    return None


def is_type_error(exc: Exception) -> bool:
    """An Ibis type refusal: no such method on this column type, or operands that do not fit.

    A missing method is a refusal only when a column of another type has it (``mean``
    on text; numbers have it): ``values.nonexistent()`` is the calculator's typo, and
    blaming the config's column for it would send its author to the wrong file.
    Other exceptions (a calculator's own ``TypeError``, say) are bugs, not config mistakes.
    """
    import ibis.common.annotations as ibis_annotations
    import ibis.common.exceptions as ibis_errors
    import ibis.expr.types as ir

    if isinstance(exc, AttributeError):
        return isinstance(getattr(exc, "obj", None), ir.Value) and other_types_have(getattr(exc, "name", None))
    if isinstance(exc, (ibis_errors.IbisTypeError, ibis_annotations.ValidationError)):
        return True
    # `date_column / 2`: Python's own refusal of an operator between an Ibis value and a number
    return isinstance(exc, TypeError) and "unsupported operand" in str(exc) and "Column" in str(exc)


#: A column of each type Ibis has methods for: what a method missing on one type may exist on.
PROBE_TYPES = ("float64", "int64", "boolean", "string", "timestamp", "date", "time")


@functools.cache
def other_types_have(method: str | None) -> bool:
    """Whether an Ibis column of some type has ``method``: ``mean`` (numbers have it) is a type that
    does not fit the column; ``nonexistent`` (no type has it) is the calculator's own bug."""
    import ibis

    if not method:
        return False
    probe = ibis.table({f"c{i}": dtype for i, dtype in enumerate(PROBE_TYPES)})
    return any(hasattr(probe[column], method) for column in probe.columns)


def dtype_of(expr: Any) -> Any:
    try:
        return expr.type()
    except Exception:
        return None


def type_name(dtype: Any) -> str:
    if dtype.is_time():
        return "times of day (TIME)"
    if dtype.is_string():
        return "text"
    if dtype.is_date():
        return "dates"
    if dtype.is_timestamp():
        return "timestamps"
    return str(dtype)


def type_hint(column: Column, needs: str | None) -> str | None:
    """How to make the column fit: ``seconds()`` for hh:mm:ss, another calculator for dates, a type for text."""
    dtype, text = column.dtype, column.text
    if needs == "timestamps":
        return timestamp_hint(column)
    seconds = code(f"seconds({operand(text)})")
    if column.role:
        seconds = code(f"columns: {{{text}: 'seconds({column.mapped or text})'}}") + " on the source"
    if dtype.is_time():
        return f"for the seconds each value spans, use {seconds}"
    if dtype.is_string():
        return (
            f"if it holds hh:mm:ss durations, use {seconds}; if it holds numbers as text, give the column a number"
            " type on the source"
        )
    if dtype.is_date() or dtype.is_timestamp():
        if column.role:
            return f"map role {text!r} to a number column with `columns:`"
        return (
            "a mean, sum or percentile of dates has no meaning: `calc: max` or `calc: min` gives the last or the"
            " first, and `calc: duration` the time between two columns"
        )
    return None


def timestamp_hint(column: Column) -> str:
    """How to turn seconds since 1970, or text, into the timestamp a role or param needs."""
    dtype = column.dtype
    source = column.mapped or column.text if column.role else operand(column.text)
    if dtype.is_integer() or dtype.is_floating():
        fix, when = f"from_unix({source})", "if it holds seconds since 1970"
    elif dtype.is_time() and "timestamp" in FUNCTION_DOCS:
        fix, when = f"timestamp(<date column>, {source})", "a time of day has no date; to join it to one"
    elif dtype.is_string() and "to_timestamp" in FUNCTION_DOCS:
        fix, when = f"to_timestamp({source}, '%Y-%m-%d %H:%M:%S')", "to read the text (say how it is written)"
    else:
        return "name a timestamp column" + (" in `columns:`" if column.role else "")
    if column.role:
        return f"{when}, map it: " + code(f'columns: {{{column.text}: "{fix}"}}')
    return f"{when}, use {code(fix)}"


def quoted(text: str) -> str:
    """A column name as the expression language reads it (backticks when it is not a plain name)."""
    return quote_name(text)


def operand(text: str) -> str:
    """A param's text as a function's argument: kept when it parses (an expression), else a name in backticks."""
    try:
        parse(text)
    except ExpressionError:
        return quote_name(text)
    return text


def code(text: str) -> str:
    """Config text in a message: in backticks, or in double quotes when it holds backticks itself."""
    return f'"{text}"' if "`" in text else f"`{text}`"


def condition_hint(text: str, table: Any) -> str:
    """How to turn ``text`` into a condition: ``answered == 'Y'`` for a Y/N text column, ``> 0`` for a count."""
    name = text.strip().strip("`")
    if name in table.columns:
        dtype = table[name].type()
        if dtype.is_string():
            yes = quoted(name) + " == 'Y'"
            return f"compare it: {code(yes)} (or the value that means yes)"
        if dtype.is_numeric():
            return (
                f"compare it: {code(quoted(name) + ' > 0')} for a count, {code(quoted(name) + ' == 1')} for a 0/1 flag"
            )
    return "compare it: for example `score >= 4` or `flag == 'Y'`"


def holds_time(dtype: Any) -> bool:
    """Dates, timestamps, or text (read as ISO timestamps): what a window can filter on."""
    return bool(dtype.is_timestamp() or dtype.is_date() or dtype.is_string())


def time_column_problem(source: SourceSpec, table: Any, locate: Any) -> ConfigProblem | None:
    """A problem when the source's ``time:`` is missing or does not hold dates or timestamps.

    Text is accepted (ISO timestamps are cast). A number is refused here, so the
    window filter never meets it: seconds since 1970 need ``from_unix``, and a
    date written as a number such as 20260131 needs ``to_date`` where it exists.
    """
    name = source.time
    if not name:
        return None
    path = ("sources", source.id, "time")
    if name not in table.columns:
        columns = list(table.columns)
        return locate(
            path, f"unknown time column {name!r}; the source has: {', '.join(columns)}", suggest(name, columns)
        )
    dtype = table[name].type()
    if holds_time(dtype):
        return None
    return locate(path, f"time column {name!r} holds {dtype}, not dates or timestamps", time_column_hint(name, table))


def time_column_hint(name: str, table: Any) -> str:
    """How a column of numbers or times of day becomes a time column: a ``derive:`` the ``time:`` then names.

    Every expression shown parses and compiles against ``table`` as pasted
    (names in backticks where they need them, a real date column to join a time
    of day to); the new column's name is the column's own in snake case.
    """
    dtype, column = table[name].type(), quote_name(name)
    new = derived_name(name, table.columns)

    def derive(expression: str) -> str:
        return f'derive: {{{new}: "{expression}"}} and time: {new}'

    if dtype.is_time():
        dates = [c for c in table.columns if table[c].type().is_date()]
        if "timestamp" in FUNCTION_DOCS and dates:
            return "a time of day has no date: join it to one, " + derive(
                f"timestamp({quote_name(dates[0])}, {column})"
            )
        return "a time of day has no date: name a date or timestamp column"
    hint = "for seconds since 1970, " + derive(f"from_unix({column})")
    if "to_date" in FUNCTION_DOCS and dtype.is_integer():
        hint += "; or, for a date written as a number such as 260131, " + derive(f"to_date({column}, '%y%m%d')")
    return hint


def derived_name(name: str, columns: Any) -> str:
    """A plain snake-case name for a column derived from ``name``, clear of the table's names (any case)."""
    base = re.sub(r"[^0-9a-z]+", "_", name.lower()).strip("_") or "time"
    base = base if not base[0].isdigit() else f"c_{base}"
    taken = {str(c).lower() for c in columns}
    candidates = [base, f"{base}_at", *(f"{base}_at{i}" for i in range(2, len(taken) + 3))]
    return next(c for c in candidates if c not in taken and quote_name(c) == c)
