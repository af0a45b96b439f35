"""Derived columns on a source (``derive:``): expressions that become columns.

``sources.calls.derive: {answered: "outcome == 'AGENT'"}`` adds the column
``answered`` to the source's table, so metrics, roles, ``by:``, ``where:`` and
``time:`` use it like one the export has, and no expression is pasted twice.

A derived column may use another one. The loader orders them by dependency
(:func:`derive_levels`) and refuses a cycle with its location; a name that is
neither a column of the source nor a derived one can only be told once the
source is open (:func:`apply_derived`). Each level becomes one ``mutate`` of the
source's table: a projection inside the metric queries, so a source is still
scanned once, on the embedded DuckDB and on the Ibis backends alike. Nothing
here restricts which functions an expression may call: that is the expression
language's business (:mod:`kpiframe.expr`).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from kpiframe.errors import ExpressionError
from kpiframe.expr import Node, names, parse, to_ibis

__all__ = ["MAX_DERIVED", "DeriveProblem", "apply_derived", "derive_levels"]

#: Derived columns a source may have: each level is a projection the engine compiles,
#: and a few hundred chained ones take seconds to compile for no real export's sake.
MAX_DERIVED = 100


class DeriveProblem(Exception):
    """A derived column that cannot be built: ``column`` says which, for the error's location."""

    def __init__(self, column: str, message: str, hint: str | None = None):
        super().__init__(message)
        self.column, self.message, self.hint = column, message, hint


def _references(derive: Mapping[str, str]) -> dict[str, set[str]]:
    """For each derived column, the other derived columns its expression names (parse errors skipped)."""
    by_lower = {column.lower(): column for column in derive}  # names match columns case-insensitively
    refs: dict[str, set[str]] = {}
    for column, text in derive.items():
        try:
            node: Node = parse(text)
        except ExpressionError:
            refs[column] = set()  # reported where the expression is checked
            continue
        named = {candidate.lower() for name in names(node) for candidate in (name, name.split(".", 1)[0])}
        refs[column] = {by_lower[name] for name in named if name in by_lower}
    return refs


def derive_levels(derive: Mapping[str, str]) -> list[list[str]]:
    """The derived columns in levels: each uses only columns of the source and of earlier levels.

    A derived column that names itself, or a ring of them, raises :class:`DeriveProblem`
    naming the ring (``a → b → a``).
    """
    refs = _references(derive)
    levels: list[list[str]] = []
    done: set[str] = set()
    while len(done) < len(refs):
        level = [c for c in refs if c not in done and refs[c] <= done]
        if not level:
            raise _cycle(refs, done)
        levels.append(level)
        done.update(level)
    return levels


def _cycle(refs: Mapping[str, set[str]], done: set[str]) -> DeriveProblem:
    """The problem for the first ring found among the columns not yet placed."""
    start = next(c for c in refs if c not in done)
    path = [start]
    while True:
        step = sorted(refs[path[-1]] - done)[0]
        if step in path:
            ring = [*path[path.index(step) :], step]
            break
        path.append(step)
    if len(ring) == 2:
        return DeriveProblem(
            ring[0],
            f"derived column {ring[0]!r} uses itself",
            "a derived column cannot name itself; give it a new name, or use the export's column",
        )
    return DeriveProblem(
        ring[0],
        f"derived columns form a cycle: {' → '.join(ring)}",
        "each derived column may use only the export's columns and derived columns that do not use it back",
    )


def apply_derived(table: Any, derive: Mapping[str, str]) -> Any:
    """``table`` with the derived columns added, level by level (see :func:`derive_levels`).

    Raises :class:`DeriveProblem` for a derived column named like a column of the
    export, or whose expression names an unknown column or does not compile.
    """
    if not derive:
        return table
    for column in derive:
        if column in table.columns:
            raise DeriveProblem(
                column,
                f"derived column {column!r} has the name of a column the source already has",
                f"give it a new name, such as {column}_derived; the source's own {column!r} stays usable",
            )
    for level in derive_levels(derive):
        exprs = {}
        for column in level:
            try:
                exprs[column] = to_ibis(parse(derive[column]), table)
            except ExpressionError as exc:
                message = exc.message.replace("unknown column", f"derived column {column!r} uses unknown column", 1)
                raise DeriveProblem(column, message, exc.hint) from None
        table = table.mutate(**exprs)
    return table
