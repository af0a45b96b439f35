"""Window edges as DuckDB variables, so that a query's SQL does not change with ``--as-of``.

A window's edges depend on when the run happens (``last: 30d`` ends now). Written
into the SQL as literals, they would make every run's SQL new, and a compiled query
could never be used twice. On the embedded DuckDB the edges are variables instead:

    WHERE "created_at" >= GETVARIABLE('kpf_0') AND "created_at" < GETVARIABLE('kpf_1')

and the run sets them first (``SET VARIABLE kpf_0 = ...``, with bound values).
DuckDB folds ``GETVARIABLE`` to a constant while it plans, so the filter still
reaches the Parquet reader's row-group statistics: the query costs what the
literal one costs (measured on 10M rows).

Variables are named in the order the planner first asks for an edge, so the same
config on the same schemas always compiles to the same text (what the compiled-query
cache, :mod:`kpiframe.engine.compile_cache`, relies on). Engines behind an Ibis
backend (PostgreSQL, MySQL, Spark) keep literal edges.
"""

from __future__ import annotations

import functools
import re
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

__all__ = ["AS_OF", "Derivation", "EdgeVariables"]

#: The prefix of every variable kpiframe sets; nothing else on the connection uses it.
PREFIX = "kpf_"
#: A variable's whole name: the prefix and a number, nothing a statement could hide in.
NAME = re.compile(rf"{PREFIX}[0-9]+")


class _RunAsOf:
    """Stands for the run's as-of where a window would stand in a derivation (it has no edges)."""

    def key(self) -> None:
        return None


#: The run's as-of, as a derivation's "window" (edge ``"as_of"``).
AS_OF = _RunAsOf()


@functools.cache
def _getvariable(aware: bool) -> Any:
    """DuckDB's ``getvariable`` as an Ibis builtin, typed as a naive or a UTC timestamp."""
    import ibis
    import ibis.expr.datatypes as dt

    returns = dt.Timestamp(timezone="UTC") if aware else dt.timestamp

    def getvariable(name: str) -> Any:
        """DuckDB's own function: the value of ``SET VARIABLE name``."""

    return ibis.udf.scalar.builtin(getvariable, name="getvariable", signature=((dt.string,), returns))


#: Where an edge value comes from: its window's (start, end) in UTC (``None`` for the run's
#: as-of), which edge (``start``, ``end``, ``as_of``), and the zone it was read in (``None``:
#: compared as an instant, with a zone-aware column).
Derivation = tuple[tuple[datetime | None, datetime | None] | None, str, str | None]


@dataclass
class EdgeVariables:
    """The edge values one run's embedded queries read, by variable name.

    ``values`` maps each name to ``(value, aware)``: an aware UTC instant for a
    zone-aware column, else a naive wall-clock time in the source's zone (how
    :func:`~kpiframe.engine.windows.window_predicate` compares them).
    ``derivations`` says which window edges each value came from, so that a later
    run can compute the same variables at its own as-of.
    """

    values: dict[str, tuple[datetime, bool]] = field(default_factory=dict)
    derivations: dict[str, set[Derivation]] = field(default_factory=dict)
    _names: dict[Derivation, str] = field(default_factory=dict, repr=False)

    def bind(self, window: Any, edge: str, zone: str, aware: bool, value: datetime) -> Any:
        """An Ibis expression that reads ``value`` (``window``'s ``edge``, as compared with a column
        read in ``zone``) from its variable: ``GETVARIABLE('kpf_0')``.

        One variable per window edge, not per value: the month's start and the 30 days'
        end may be one instant today and two tomorrow, and the SQL must not change.
        """
        derivation = (window.key(), edge, None if aware else zone)
        if derivation not in self._names:
            name = f"{PREFIX}{len(self._names)}"
            self._names[derivation] = name
            self.values[name] = (value, aware)
            self.derivations[name] = {derivation}
        name = self._names[derivation]
        return _getvariable(aware)(name).name(name)

    def bind_period(
        self, parts: dict[str, Any], period: Any, window: Any, as_of_edge: tuple[Any, str]
    ) -> dict[str, Any]:
        """A calculator's parts with its window's values (``Period``) read from variables too.

        Calculators compare columns with ``window.as_of`` (a backlog is "open at
        as-of"); those values reach the SQL as literals. Each literal that is one of
        ``period``'s naive timestamps becomes that value's variable. ``as_of_edge`` says
        where the as-of comes from: ``(AS_OF, "as_of")`` for the run's own, or the
        window and ``"end"`` for a comparison window. A literal merely equal to one
        (a user's ``where:`` date on the day of the run) is caught where the recipe is
        checked: at a second as-of it no longer is, and the SQL differs.
        """
        import ibis.expr.datatypes as dt
        import ibis.expr.operations as ops

        mapping: dict[Any, Any] = {}
        for value, (owner, edge) in (
            (period.start, (window, "start")),
            (period.end, (window, "end")),
            (period.as_of, as_of_edge),
        ):
            if isinstance(value, datetime):
                variable = self.bind(owner, edge, period.timezone, False, value)
                mapping.setdefault(ops.Literal(value, dt.timestamp), variable.op())
        return {name: expr.op().replace(mapping).to_expr() for name, expr in parts.items()}

    def statements(self) -> dict[str, str]:
        """Each variable's ``SET VARIABLE`` statement, by name.

        The values are written out, not bound: DuckDB's Python client imports numpy
        and pandas to convert any bound parameter (about 0.1 s), and these values are
        datetimes kpiframe computed, written by :meth:`datetime.isoformat`, so no text
        of a user's reaches the statement. The names are checked too: a replayed recipe
        (:mod:`kpiframe.engine.recipe`) brings its own from a cache file.
        """
        return {
            name: f"SET VARIABLE {_name(name)} = {_literal(value, aware)}"
            for name, (value, aware) in self.values.items()
        }

    def preamble(self) -> str:
        """The statements as SQL text (``kpiframe sql`` prints them before the query that reads them)."""
        return "\n".join(f"{statement};" for statement in self.statements().values())


def _name(name: str) -> str:
    if not (isinstance(name, str) and NAME.fullmatch(name)):  # spliced into SQL, as the value is
        raise ValueError(f"not an edge variable's name: {name!r}")
    return name


def _literal(value: datetime, aware: bool) -> str:
    if not isinstance(value, datetime):  # never text: the value is spliced into SQL
        raise TypeError(f"an edge is a datetime, not {type(value).__name__}")
    return f"{'TIMESTAMPTZ' if aware else 'TIMESTAMP'} '{value.isoformat(sep=' ')}'"
