"""Confidence intervals of derived metrics by the (first-order) delta method.

An ``expr`` metric f(x₁…xₖ) of inputs that carry 95% intervals gets
Var f ≈ Σ (∂f/∂xᵢ)² σᵢ², with σᵢ = (highᵢ − lowᵢ) ÷ (2 × 1.96) read off each input's
interval. That sum assumes independent inputs, which holds for metrics computed
from different sources or windows. Inputs computed from the *same* source and
window share their rows, and their covariance cannot be recovered from the
aggregates; for them the standard deviations add up instead (|∂f/∂x₁|σ₁ + |∂f/∂x₂|σ₂),
the largest value any correlation can give, so the interval stays conservative.

The gradient comes from the expression tree (forward mode): ``+ - * /``, ``abs``
and ``coalesce`` have one; ``round`` and ``%`` are steps, and give no interval.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Mapping
from typing import Any

from kpiframe.calculators.intervals import Z95
from kpiframe.expr import Node

Gradient = dict[str, float]


class NoGradient(Exception):
    """The expression is not differentiable here (``round``, ``%``, a null)."""


def gradient(node: Node, values: Mapping[str, float | None]) -> tuple[float, Gradient]:
    """(f, ∂f/∂input for each input name) at ``values``."""
    if node.kind == "literal":
        return float(node.value), {}
    if node.kind == "name":
        value = values.get(node.value)
        if value is None:
            raise NoGradient(node.value)
        return float(value), {node.value: 1.0}
    if node.kind == "unary":
        value, grad = gradient(node.args[0], values)
        return -value, _scaled(grad, -1.0)
    if node.kind == "binary" and node.value in "+-*/":
        return _binary(node.value, gradient(node.args[0], values), gradient(node.args[1], values))
    if node.kind == "call" and node.value == "abs":
        value, grad = gradient(node.args[0], values)
        return abs(value), _scaled(grad, math.copysign(1.0, value))
    if node.kind == "call" and node.value == "coalesce":
        for arg in node.args:
            try:
                return gradient(arg, values)
            except NoGradient:
                continue
    raise NoGradient(node.kind)


def _scaled(grad: Gradient, factor: float) -> Gradient:
    return {name: d * factor for name, d in grad.items()}


def _sum(left: Gradient, right: Gradient) -> Gradient:
    return {name: left.get(name, 0.0) + right.get(name, 0.0) for name in left.keys() | right.keys()}


def _binary(op: str, left: tuple[float, Gradient], right: tuple[float, Gradient]) -> tuple[float, Gradient]:
    (a, da), (b, db) = left, right
    if op == "+":
        return a + b, _sum(da, db)
    if op == "-":
        return a - b, _sum(da, _scaled(db, -1.0))
    if op == "*":
        return a * b, _sum(_scaled(da, b), _scaled(db, a))
    if b == 0:
        raise NoGradient("division by zero")
    # -a / b / b, not -a / (b * b): b² of a tiny b underflows to zero (1e-200² is 0.0).
    return a / b, _sum(_scaled(da, 1 / b), _scaled(db, -a / b / b))


def standard_error(interval: tuple[float, float] | None) -> float | None:
    """σ of an input from its 95% interval (its half-width ÷ 1.96)."""
    if interval is None or not all(math.isfinite(bound) for bound in interval):
        return None
    return abs(interval[1] - interval[0]) / (2 * Z95)


def delta_interval(
    node: Node,
    values: Mapping[str, float | None],
    intervals: Mapping[str, tuple[float, float] | None],
    groups: Iterable[Iterable[str]],
) -> tuple[float, float] | None:
    """The 95% interval of the expression, or None when an input it depends on has none.

    ``groups`` partitions the inputs into sets that share a source and window:
    within one, standard deviations add; between them, variances add.
    """
    try:
        value, grad = gradient(node, values)
    except NoGradient:
        return None
    variance = 0.0
    for group in groups:
        spread = 0.0
        for name in group:
            slope = grad.get(name, 0.0)
            if slope == 0.0:
                continue
            sigma = standard_error(intervals.get(name))
            if sigma is None:
                return None  # an input the result depends on is not an estimate with an interval
            spread += abs(slope) * sigma
        variance += spread * spread
    if not math.isfinite(variance):
        return None
    half = Z95 * math.sqrt(variance)
    return (value - half, value + half)


def correlated_groups(bases: Mapping[str, frozenset[Any]]) -> list[set[str]]:
    """Inputs grouped when their (source, window) bases overlap, transitively."""
    groups: list[tuple[set[str], set[Any]]] = []
    for name, basis in bases.items():
        merged_names, merged_basis = {name}, set(basis)
        keep = []
        for names, group_basis in groups:
            if group_basis & merged_basis:
                merged_names |= names
                merged_basis |= group_basis
            else:
                keep.append((names, group_basis))
        groups = [*keep, (merged_names, merged_basis)]
    return [names for names, _ in groups]
