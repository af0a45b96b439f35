"""expr: a metric computed from other metrics' values (``conversations / teammates``)."""

from __future__ import annotations

import math
from collections.abc import Iterable, Mapping
from typing import Any, ClassVar

from kpiframe.calculators.delta import delta_interval
from kpiframe.contracts import DerivedCalculator, Value
from kpiframe.errors import ExpressionError
from kpiframe.expr import Node, evaluate, names, parse
from kpiframe.plugins import hookimpl


class Expression(DerivedCalculator):
    name = "expr"
    doc = (
        "Arithmetic (+ - * / and abs, round, coalesce) on other metrics' values, named by "
        "their ids. A metric with no data makes the result no data; dividing by zero too. Over inputs "
        "with the same `by:` or `grain:`, it is computed per segment and per period. It carries a 95% "
        "interval where its inputs do (the delta method; see the configuration guide); its n is the "
        "smallest n of its inputs, so `min_sample` applies to it."
    )
    params_schema: ClassVar[dict[str, Any]] = {
        "type": "object",
        "properties": {
            "expr": {"type": "string", "format": "kpiframe-expression", "description": "e.g. `tickets / agents`"},
            "unit": {"type": "string", "description": "the unit of the result (default number)"},
        },
        "required": ["expr"],
        "additionalProperties": False,
    }

    def unit_for(self, params: Mapping[str, Any]) -> str:
        return params.get("unit", self.unit)

    def inputs(self, params: Mapping[str, Any]) -> set[str]:
        """The metric ids the expression names, once it is checked to be arithmetic the config can run."""
        tree = parse(params["expr"])
        check_arithmetic(tree)
        return names(tree)

    def derive(
        self, inputs: Mapping[str, Value], params: Mapping[str, Any], groups: Iterable[Iterable[str]] | None = None
    ) -> Value:
        """The expression on the inputs' values, with a delta-method interval.

        :param groups: the inputs that share a source and window (correlated); by
            default every input is its own group (independent).
        """
        # In floats: integer counts multiplied in Python would grow without bound and then
        # fail to convert; in floats an overflow is an infinity, reported below.
        values = {k: None if v.value is None else float(v.value) for k, v in inputs.items()}
        tree = parse(params["expr"])
        result = evaluate(tree, values)
        missing = sorted(k for k, v in values.items() if v is None)
        if result is None:
            reason = f"no data for {', '.join(missing)}" if missing else "division by zero, or a null in the expression"
            return Value.no_data(reason, n=None)
        try:
            number = float(result)
        except OverflowError:  # whole-number literals multiplied beyond a float
            number = math.inf
        if not math.isfinite(number):
            raise DerivedError(
                "the expression overflows: its value is beyond a float's range (about 1.8e308); "
                "check the units of its inputs and literals"
            )
        intervals = {k: v.interval for k, v in inputs.items()}
        interval = delta_interval(tree, values, intervals, groups if groups is not None else [[k] for k in inputs])
        # The smallest sample it rests on, so that `min_sample` can make a thin segment no_data.
        sizes = [v.n for v in inputs.values() if v.n is not None]
        return Value(number, n=min(sizes) if sizes else None, interval=interval)


class DerivedError(Exception):
    """A derived value that cannot be computed, with a message that says why in the config's terms."""


#: The functions a derived metric may call, and how many arguments each takes.
_ARITY = {"abs": (1, 1), "round": (1, 2), "coalesce": (1, 64)}


def check_arithmetic(node: Node) -> None:
    """Refuse at load what :func:`~kpiframe.expr.evaluate` would fail on at run time.

    A derived metric is arithmetic on numbers: no comparisons or conditions, no text,
    the functions abs, round and coalesce with their number of arguments, and round's
    digits a whole number written in the expression.
    """
    if node.kind == "literal" and (isinstance(node.value, str) or isinstance(node.value, bool)):
        raise ExpressionError(
            f"a derived metric is arithmetic on numbers; {node.value!r} is not a number",
            "write a number, or the id of a metric",
        )
    if node.kind not in ("literal", "name", "unary", "binary", "call"):
        raise ExpressionError(_ONLY_ARITHMETIC, "move conditions into the `where:` of its inputs")
    if node.kind == "call":
        if node.value not in _ARITY:
            raise ExpressionError(_ONLY_ARITHMETIC, f"{node.value}() is for `where:` and columns, not derived metrics")
        low, high = _ARITY[node.value]
        if not low <= len(node.args) <= high:
            count = f"{low}" if low == high else f"{low} to {high}"
            raise ExpressionError(f"{node.value}() takes {count} argument(s), got {len(node.args)}")
        if node.value == "round" and len(node.args) == 2:
            digits = node.args[1]
            if digits.kind != "literal" or not isinstance(digits.value, int) or abs(digits.value) > 308:
                raise ExpressionError("round(x, digits) needs digits as a whole number such as 0, 1 or -2")
    for arg in node.args:
        check_arithmetic(arg)


_ONLY_ARITHMETIC = "a derived metric is arithmetic on other metrics (+ - * / % and abs, round, coalesce)"


@hookimpl
def kpiframe_register_calculators() -> list[DerivedCalculator]:
    return [Expression()]
