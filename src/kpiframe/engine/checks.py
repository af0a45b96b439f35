"""A metric checked against its source's schema before any query: every mistake located, with a hint.

Compiling a metric against the source's table costs no scan (on the fast path the
table is unbound, typed by ``DESCRIBE``; on a server, by the table's schema), and
Ibis already knows which operations fit which types: a TIME column has no
``mean``, ``max`` of a date is a date. So the checks are not a table of types per
calculator. Each metric is compiled as the run would compile it, and what goes
wrong becomes a problem at the config key that names the column:

- each expression a calculator declares in its ``params_schema`` (``format:
  kpiframe-expression``), and the metric's ``where``, ``by`` and ``per``, must name
  columns the source has (the closest names are suggested);
- ``parts`` must compile (Ibis' own type errors), and every part must be a number
  or a flag, since ``finalize`` gets plain numbers (the contract);
- the column to blame is found among the declared expressions and the roles
  (``roles_for``, ``optional_roles``, ``time_role``), and the hint follows its
  type: ``seconds()`` for a time of day or ``hh:mm:ss`` text, ``max``/``min`` or
  ``duration`` for dates, ``== 'Y'`` for a flag written as text.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from typing import Any

from kpiframe.config.model import MetricSpec, SourceSpec
from kpiframe.contracts import Calculator, Period, call_parts
from kpiframe.errors import ConfigProblem, ExpressionError
from kpiframe.expr import FUNCTION_DOCS, parse, suggest, to_condition, to_ibis

__all__ = ["check_metric", "condition_hint", "time_column_problem"]

Path = tuple[Any, ...]


@dataclass(frozen=True)
class Column:
    """Something a metric reads: where the config names it, how it reads, and its type."""

    path: Path  # the config key that names it
    text: str  # the expression or role, as the config writes it
    dtype: Any
    role: str | None = None  # a role of the calculator (support pack), else a param's expression


def expression_params(schema: Mapping[str, Any], params: Mapping[str, Any], path: Path = ()) -> Iterator[Path]:
    """The params a calculator declares as expressions (``format: kpiframe-expression``), nested ones too."""
    for name, declared in (schema.get("properties") or {}).items():
        if name not in params or not isinstance(declared, Mapping):
            continue
        value = params[name]
        if declared.get("format") == "kpiframe-expression" and isinstance(value, str):
            yield (*path, name)
        elif declared.get("type") == "object" and isinstance(value, Mapping):
            yield from expression_params(declared, value, (*path, name))


def _param(params: Mapping[str, Any], path: Path) -> Any:
    for key in path:
        params = params[key]
    return params


class MetricCheck:
    """The checks of one metric; ``problems`` holds what they found."""

    def __init__(self, spec: MetricSpec, calculator: Calculator, table: Any, source: SourceSpec, locate: Any):
        self.spec, self.calculator, self.table, self.source = spec, calculator, table, source
        self.locate = locate
        self.problems: list[ConfigProblem] = []
        self.columns: list[Column] = []

    def problem(self, path: Path, message: str, hint: str | None = None) -> None:
        self.problems.append(self.locate(path, message, hint))

    def compile(self, path: Path, text: str, condition: bool = False) -> Any:
        """``text`` compiled against the source; a mistake becomes a problem at ``path`` (``None`` back)."""
        try:
            return to_condition(text, self.table) if condition else to_ibis(parse(text), self.table)
        except ExpressionError as exc:
            fix = condition_hint(text, self.table) if "not a condition" in exc.message else exc.hint
            self.problem(path, exc.message, fix)
            return None

    def expressions(self) -> Any:
        """Compile the metric's own expressions and its declared params; its ``where`` back."""
        spec = self.spec
        where = self.compile(("metrics", spec.id, "where"), spec.where, condition=True) if spec.where else None
        for key in ("by", "per"):
            for number, text in enumerate(getattr(spec, key)):
                self.compile(("metrics", spec.id, key, number), text)
        for path in expression_params(self.calculator.params_schema, spec.params):
            text = _param(spec.params, path)
            expr = self.compile(("metrics", spec.id, "params", *path), text)
            if expr is not None and hasattr(expr, "type"):
                self.columns.append(Column(("metrics", spec.id, "params", *path), text, expr.type()))
        return where

    def roles(self) -> None:
        """The roles the calculator reads, with the key that maps each (or the metric's ``calc``)."""
        calculator, params = self.calculator, self.spec.params
        names = [*calculator.roles_for(params), *calculator.optional_roles, calculator.time_role_for(params)]
        for role in dict.fromkeys(name for name in names if name and name in self.table.columns):
            if role in self.source.columns:
                path: Path = ("sources", self.source.id, "columns", role)
            elif role in self.source.preset_columns:
                path = ("sources", self.source.id, "preset")
            else:
                path = ("metrics", self.spec.id, "calc")
            self.columns.append(Column(path, role, self.table[role].type(), role=role))

    def run(self, where: Any, period: Period) -> None:
        """Compile ``parts`` as the run will, and check that each part is a number."""
        try:
            parts = call_parts(self.calculator, self.table, self.spec.params, where, period)
        except ExpressionError as exc:
            self.expression_failed(exc)
            return
        except Exception as exc:
            if not _type_error(exc):
                return  # a calculator bug, not a config mistake: the plan gives the metric `error`
            self.type_failed(getattr(exc, "obj", None), str(exc))
            return
        for name, expr in parts.items():
            dtype = expr.type()
            if not (dtype.is_numeric() or dtype.is_boolean()):
                self.type_failed(expr, f"its part {name!r} would be a {dtype}, not a number")
                return

    def expression_failed(self, exc: ExpressionError) -> None:
        for column in self.columns:
            if column.role is None and repr(column.text) in exc.message:
                condition = "not a condition" in exc.message
                hint = condition_hint(column.text, self.table) if condition else exc.hint
                self.problem(column.path, exc.message, hint)
                return
        self.problem(("metrics", self.spec.id, "calc"), exc.message, exc.hint)

    def type_failed(self, culprit: Any, detail: str) -> None:
        column = self.culprit(culprit)
        spec = self.spec
        if column is None:
            self.problem(("metrics", spec.id, "calc"), f"{spec.calc} does not fit the source's column types: {detail}")
            return
        what = f"role {column.text!r}" if column.role else repr(column.text)
        self.problem(
            column.path,
            f"{_statistic(spec)} of {what} needs numbers, but it holds {_type_name(column.dtype)}",
            _type_hint(column, spec, self.source),
        )

    def culprit(self, expr: Any) -> Column | None:
        """The column whose type the failure is about: the one of ``expr``'s type, else the first non-number."""
        dtype = _dtype(expr)
        for column in self.columns:
            if dtype is not None and column.dtype == dtype:
                return column
        return next((c for c in self.columns if not (c.dtype.is_numeric() or c.dtype.is_boolean())), None)


def check_metric(
    spec: MetricSpec, calculator: Calculator, table: Any, source: SourceSpec, period: Period, locate: Any
) -> list[ConfigProblem]:
    """Every problem of one metric against its source's columns and types, without a scan.

    :param locate: ``locator.problem``: a config path, a message and a hint → a located problem.
    """
    check = MetricCheck(spec, calculator, table, source, locate)
    where = check.expressions()
    if check.problems:
        return check.problems
    check.roles()
    check.run(where, period)
    return check.problems


def _type_error(exc: Exception) -> bool:
    """An Ibis type refusal: no such method on this column type, or operands that do not fit."""
    import ibis.common.exceptions as ibis_errors
    import ibis.expr.types as ir

    if isinstance(exc, AttributeError):
        return isinstance(getattr(exc, "obj", None), ir.Value)
    return isinstance(exc, (ibis_errors.IbisTypeError, ibis_errors.SignatureValidationError, TypeError))


def _dtype(expr: Any) -> Any:
    try:
        return expr.type()
    except Exception:
        return None


def _type_name(dtype: Any) -> str:
    if dtype.is_time():
        return "times of day (TIME)"
    if dtype.is_string():
        return "text"
    if dtype.is_date():
        return "dates"
    if dtype.is_timestamp():
        return "timestamps"
    return str(dtype)


def _statistic(spec: MetricSpec) -> str:
    """``mean``, ``p90`` (a stat param), or the calculator's name."""
    stat = spec.params.get("stat")
    return f"{spec.calc} (stat {stat})" if isinstance(stat, str) else spec.calc


def _type_hint(column: Column, spec: MetricSpec, source: SourceSpec) -> str | None:
    dtype, text = column.dtype, column.text
    if column.role:
        source_text = source.columns.get(column.text, source.preset_columns.get(column.text, column.text))
        if dtype.is_time() or dtype.is_string():
            return (
                f"for the seconds an hh:mm:ss value spans, map the role as `columns: {{{column.text}:"
                f" 'seconds({_quoted(source_text)})'}}`"
            )
        if dtype.is_date() or dtype.is_timestamp():
            return f"role {column.text!r} should hold numbers; map it to a number column with `columns:`"
        return None
    if dtype.is_time():
        return f"for the seconds each value spans, use `seconds({_quoted(text)})`"
    if dtype.is_string():
        return (
            f"if it holds hh:mm:ss durations, use `seconds({_quoted(text)})`; if it holds numbers as text, give the"
            " column a number type on the source"
        )
    if dtype.is_date() or dtype.is_timestamp():
        return (
            "a mean or sum of dates has no meaning: `calc: max` or `calc: min` gives the last or the first, and"
            " `calc: duration` the time between two columns"
        )
    return None


def _quoted(text: str) -> str:
    """A column name as the expression language reads it (backticks when it is not a plain name)."""
    return text if text.replace("_", "a").isalnum() and not text[0].isdigit() else f"`{text}`"


def condition_hint(text: str, table: Any) -> str:
    """How to turn ``text`` into a condition: ``answered == 'Y'`` for a Y/N text column, ``> 0`` for a count."""
    name = text.strip().strip("`")
    if name in table.columns:
        dtype = table[name].type()
        if dtype.is_string():
            return f"compare it: `{_quoted(name)} == 'Y'` (or the value that means yes)"
        if dtype.is_numeric():
            return f"compare it: `{_quoted(name)} > 0` for a count, `{_quoted(name)} == 1` for a 0/1 flag"
    return "compare it: for example `score >= 4` or `flag == 'Y'`"


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
    if dtype.is_timestamp() or dtype.is_date() or dtype.is_string():
        return None
    hint = f"for seconds since 1970, map a role: columns: {{created: 'from_unix({name})'}} and use time: created"
    if "to_date" in FUNCTION_DOCS and dtype.is_integer():
        hint += f"; for a date written as a number such as 260131, columns: {{day: \"to_date({name}, '%y%m%d')\"}}"
    return locate(path, f"time column {name!r} holds {dtype}, not dates or timestamps", hint)
