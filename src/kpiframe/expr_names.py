"""Config text as a column or an expression: plain column names, and hints that name the columns.

Exports name columns ``Speed of answer in seconds`` and ``Answered (Y/N)``. A key
that takes a column or an expression (a role, ``column:``, ``by:``, ``where:``)
gets the column when its whole text names one, so nobody has to know about
backticks; otherwise the text is an expression (:mod:`kpiframe.expr`), and when it
fails the error shows where the backticks go and which columns are closest.
"""

from __future__ import annotations

import re
from typing import Any

from kpiframe.errors import ExpressionError
from kpiframe.expr import NameWithSpacesError, parse, to_ibis

__all__ = ["check_syntax", "column_named", "compile_text"]


def column_named(text: str, columns: list[str]) -> str | None:
    """The column ``text`` names as a whole (``Speed of answer in seconds``), exactly or but for
    case and surrounding spaces; ``None`` when it names none."""
    if text in columns:
        return text
    wanted = text.strip().lower()
    matches = [c for c in columns if c.strip().lower() == wanted]
    return matches[0] if len(matches) == 1 else None


def check_syntax(text: str) -> None:
    """Raise :class:`ExpressionError` unless ``text`` parses or may be one column's whole name
    (``Speed of answer in seconds``), which only the source's columns can tell: a config is
    checked before any source is opened, and :func:`compile_text` decides then."""
    try:
        parse(text)
    except NameWithSpacesError as exc:
        if exc.guess != text.strip():
            raise


def compile_text(text: str, table: Any) -> Any:
    """The one way a config's text becomes an Ibis expression over ``table`` (roles, ``column:``,
    ``start:``, ``by:``, ``where:``...).

    Text that is exactly one column's name is that column, spaces and symbols and all
    (``Speed of answer in seconds``, ``Answered (Y/N)``); any other text is an expression.
    When it fails, the hint shows the backticks it needs and the closest column names.
    """
    columns = list(table.columns)
    named = column_named(text, columns) if isinstance(text, str) else None
    if named is not None:
        return table[named]
    try:
        return to_ibis(parse(text), table)
    except NameWithSpacesError as exc:
        if exc.guess == text.strip():  # plain words, but no column's name
            raise ExpressionError(
                f"unknown column {exc.guess!r}; the source has: {', '.join(columns)}",
                _backtick_hint(text, columns, exc),
            ) from None
        raise ExpressionError(exc.message, _backtick_hint(text, columns, exc)) from None
    except ExpressionError as exc:
        hint = _backtick_hint(text, columns, exc)
        if hint is None:
            raise
        raise ExpressionError(exc.message, hint) from None


def _backtick_hint(text: str, columns: list[str], exc: ExpressionError) -> str | None:
    """A hint naming the source's columns that the text holds without the backticks they need."""
    odd = [c for c in columns if not re.fullmatch(r"[A-Za-z_][A-Za-z0-9_.]*", c) and c in text]
    odd = [c for c in sorted(odd, key=len, reverse=True) if f"`{c}`" not in text]
    if odd:
        fixed = text
        for name in odd:
            fixed = fixed.replace(name, f"`{name}`") if f"`{name}`" not in fixed else fixed
        return f"put the column name in backticks: {fixed}"
    if isinstance(exc, NameWithSpacesError):
        import difflib  # only a mistake needs a suggestion

        close = difflib.get_close_matches(exc.guess, columns, n=3, cutoff=0.4)
        closest = f"the closest columns: {', '.join(repr(c) for c in close)}" if close else None
        if exc.guess == text.strip():
            return closest
        return f"{exc.hint}; {closest}" if closest else exc.hint
    return None
