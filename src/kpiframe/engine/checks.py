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
- ``parts`` must compile (Ibis' own type errors; a method no column type has is
  the calculator's bug, not the config's), and every part must be a number
  or a flag, since ``finalize`` gets plain numbers (the contract);
- the column to blame is found among the declared expressions and the roles
  (``roles_for``, ``optional_roles``, ``time_role``), and the hint follows its
  type: ``seconds()`` for a time of day or ``hh:mm:ss`` text, ``max``/``min`` or
  ``duration`` for dates, ``== 'Y'`` for a flag written as text.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from typing import Any

from kpiframe.config.model import MetricSpec, SourceSpec
from kpiframe.contracts import Calculator
from kpiframe.engine.column_types import (
    Column,
    condition_hint,
    dtype_of,
    holds_time,
    is_type_error,
    needs,
    quoted,
    type_hint,
    type_name,
)
from kpiframe.engine.time_keys import key_expression
from kpiframe.errors import ConfigProblem, ExpressionError
from kpiframe.expr import refusal, to_condition
from kpiframe.expr_names import compile_text

__all__ = ["check_metric", "part_problems", "parts_failed"]

Path = tuple[Any, ...]


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

    def compile(self, path: Path, text: str, condition: bool = False, key: bool = False) -> Any:
        """``text`` compiled against the source as the plan compiles it (a condition, a ``by:`` key
        that may name a time part alone, or a value); a mistake becomes a problem at ``path`` (``None`` back)."""
        try:
            if condition:
                return to_condition(text, self.table)
            if key:
                return key_expression(text, self.table, self.source.time)
            return compile_text(text, self.table)
        except ExpressionError as exc:
            fix = condition_hint(text, self.table) if "not a condition" in exc.message else exc.hint
            self.problem(path, exc.message, fix)
            return None

    def expressions(self) -> None:
        """Compile the metric's own expressions and its declared params."""
        spec = self.spec
        if spec.where:
            self.compile(("metrics", spec.id, "where"), spec.where, condition=True)
        for key in ("by", "per"):
            for number, text in enumerate(getattr(spec, key)):
                self.compile(("metrics", spec.id, key, number), text, key=True)
        for path in expression_params(self.calculator.params_schema, spec.params):
            text = _param(spec.params, path)
            expr = self.compile(("metrics", spec.id, "params", *path), text)
            if expr is not None and hasattr(expr, "type"):
                self.columns.append(Column(("metrics", spec.id, "params", *path), text, expr.type()))

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
            mapped = self.source.columns.get(role, self.source.preset_columns.get(role, role))
            mapped = quoted(mapped) if mapped in self.table.columns else mapped
            self.columns.append(Column(path, role, self.table[role].type(), role=role, mapped=mapped))

    def time_role(self) -> None:
        """The role a calculator windows on instead of the source's ``time:`` must hold dates or timestamps."""
        if self.calculator.windowing != "rows":
            return
        role = self.calculator.time_role_for(self.spec.params)
        column = next((c for c in self.columns if c.role and c.role == role), None)
        if column is not None and not holds_time(column.dtype):
            self.problem(
                column.path,
                f"{self.spec.calc} windows on role {role!r}, which holds {type_name(column.dtype)}, not timestamps",
                type_hint(column, "timestamps"),
            )

    def failed(self, exc: Exception) -> None:
        """Why compiling ``parts`` raised ``exc``, when it is the config's doing; nothing when it is a bug."""
        if isinstance(exc, ExpressionError):
            self.expression_failed(exc)
        elif is_type_error(exc):
            self.type_failed(getattr(exc, "obj", None), refusal(exc), needs(getattr(exc, "name", None)))

    def part_types(self, parts: Mapping[str, Any]) -> None:
        """Every part must be a number or a flag: ``finalize`` gets plain numbers (``max`` of text would not be)."""
        for name, expr in parts.items():
            dtype = expr.type()
            if not (dtype.is_numeric() or dtype.is_boolean()):
                self.type_failed(expr, f"its part {name!r} would be a {dtype}, not a number", "numbers")
                return

    def expression_failed(self, exc: ExpressionError) -> None:
        for column in self.columns:
            if column.role is None and repr(column.text) in exc.message:
                hint: str | None = exc.hint or type_hint(column, "timestamps" if "timestamp" in exc.message else None)
                if "not a condition" in exc.message:
                    hint = condition_hint(column.text, self.table)
                self.problem(column.path, exc.message, hint)
                return
        self.problem(("metrics", self.spec.id, "calc"), exc.message, exc.hint)

    def type_failed(self, culprit: Any, detail: str, needs: str | None) -> None:
        """A located problem for a type that does not fit; ``needs``: what the operation wanted."""
        column = self.culprit(culprit)
        spec = self.spec
        if column is None:
            self.problem(("metrics", spec.id, "calc"), f"{spec.calc} does not fit the source's column types: {detail}")
            return
        what = f"role {column.text!r}" if column.role else repr(column.text)
        holds = type_name(column.dtype)
        message = (
            f"{_statistic(spec)} of {what} needs {needs}, but it holds {holds}"
            if needs
            else f"{spec.calc} cannot use {what}, which holds {holds} ({detail})"
        )
        self.problem(column.path, message, type_hint(column, needs))

    def culprit(self, expr: Any) -> Column | None:
        """The column whose type the failure is about: the one of ``expr``'s type, else the first non-number."""
        dtype = dtype_of(expr)
        for column in self.columns:
            if dtype is not None and column.dtype == dtype:
                return column
        return next((c for c in self.columns if not (c.dtype.is_numeric() or c.dtype.is_boolean())), None)


def check_metric(
    spec: MetricSpec, calculator: Calculator, table: Any, source: SourceSpec, locate: Any
) -> list[ConfigProblem]:
    """The problems of one metric's expressions and roles against its source's columns.

    Its ``parts`` are checked where the plan compiles them (:func:`parts_failed`,
    :func:`part_problems`): compiling them once more here would cost every run.

    :param locate: ``locator.problem``: a config path, a message and a hint → a located problem.
    """
    check = MetricCheck(spec, calculator, table, source, locate)
    check.expressions()
    if not check.problems:
        check.roles()
        check.time_role()
    return check.problems


def parts_failed(
    spec: MetricSpec, calculator: Calculator, table: Any, source: SourceSpec, exc: Exception, locate: Any
) -> list[ConfigProblem]:
    """The located problem behind ``parts`` raising ``exc``; ``[]`` when it is a calculator bug, not the config."""
    check = _located(spec, calculator, table, source, locate)
    check.failed(exc)
    return check.problems


def part_problems(
    spec: MetricSpec, calculator: Calculator, table: Any, source: SourceSpec, parts: Mapping[str, Any], locate: Any
) -> list[ConfigProblem]:
    """A located problem when a compiled part is not a number (``max`` of text, ``p90`` of a TIME column)."""
    if all(expr.type().is_numeric() or expr.type().is_boolean() for expr in parts.values()):
        return []
    check = _located(spec, calculator, table, source, locate)
    check.part_types(parts)
    return check.problems


def _located(spec: MetricSpec, calculator: Calculator, table: Any, source: SourceSpec, locate: Any) -> MetricCheck:
    """A check that knows where the config names each column the metric reads (on the failure path only)."""
    check = MetricCheck(spec, calculator, table, source, locate)
    check.expressions()
    check.roles()
    return check


def _statistic(spec: MetricSpec) -> str:
    """``mean``, ``p90`` (a stat param), or the calculator's name."""
    stat = spec.params.get("stat")
    return f"{spec.calc} (stat {stat})" if isinstance(stat, str) else spec.calc
