"""Literals written into DuckDB SQL where the engine takes no bound parameters.

``CREATE VIEW ... AS SELECT * FROM read_csv(...)`` cannot take ``?`` parameters,
so a connector that builds such a statement writes its values as literals. This
is the one place that does it: strings are quoted with embedded quotes doubled
(the SQL standard's only escape), and only plain types are accepted.
"""

from __future__ import annotations

__all__ = ["sql_literal"]


def sql_literal(value: object) -> str:
    """``it's`` → ``'it''s'``; a list → ``['a', 'b']``; a dict → ``{'a': 1}``; ``True`` → ``true``; ``None`` → ``NULL``.

    :raises TypeError: for any other type (a mapping with other than text keys, an object): never guess.
    """
    if value is None:
        return "NULL"
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int):
        return str(int(value))
    if isinstance(value, float):
        return repr(float(value))
    if isinstance(value, str):
        if "\x00" in value:
            raise ValueError("a NUL character cannot appear in an SQL literal")
        return "'" + value.replace("'", "''") + "'"
    if isinstance(value, (list, tuple)):
        return "[" + ", ".join(sql_literal(v) for v in value) + "]"
    if isinstance(value, dict) and all(isinstance(k, str) for k in value):
        # A struct: read_csv's types = {'zip': 'VARCHAR'}; keys are quoted like strings.
        return "{" + ", ".join(f"{sql_literal(k)}: {sql_literal(v)}" for k, v in value.items()) + "}"
    raise TypeError(f"no SQL literal for {type(value).__name__}")
