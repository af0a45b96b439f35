"""The objects plugins provide and receive: the public contract of kpiframe plugins.

A plugin registers instances of :class:`Connector`, :class:`Calculator` or
:class:`Reporter` subclasses through the hooks in :mod:`kpiframe.hookspecs`.
Everything here is re-exported from the package root; plugins import
``from kpiframe import Connector, Calculator, Value, hookimpl`` and nothing deeper.
"""

from __future__ import annotations

import functools
import inspect
import warnings
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any, ClassVar, cast

from kpiframe.context import Backends

if TYPE_CHECKING:  # Ibis is imported only when data is touched
    import ibis
    import ibis.expr.types as ir

    from kpiframe.scorecard import Scorecard

#: The major version of the plugin API described here. A plugin may declare
#: ``KPIFRAME_PLUGIN_API = 1`` in its module; a different major is refused.
PLUGIN_API_VERSION = 1
#: Minor version of the plugin API: 1.1 passes ``window`` to every ``Calculator.parts``;
#: 1.2 adds ``kpiframe_register_config_sections`` and gives ``kpiframe_scorecard_ready``
#: the ``history`` and ``previous`` run; 1.3 adds ``Calculator.interval_parts``.
PLUGIN_API_MINOR = 3

DIRECTIONS = ("higher", "lower", "neutral")


@dataclass(frozen=True)
class Value:
    """What a calculator's ``finalize`` returns for one metric (and one segment).

    :param value: the number in the calculator's unit, or ``None`` when there is
        no data (an empty window, a zero denominator); ``reason`` says why.
    :param n: the sample size the value rests on (rows, answers, calls).
    :param interval: a (low, high) confidence interval in the same unit, if any.
    :param details: extra numbers worth showing (counts of censored or invalid rows...).
    :param unit: the value's unit when the data decides it rather than the params:
        ``date`` or ``timestamp`` for the last date of a date column (``value`` is
        then seconds since 1970, UTC, and reports show the date); ``None``: the
        calculator's ``unit_for(params)``.
    """

    value: float | None
    n: int | None = None
    interval: tuple[float, float] | None = None
    details: Mapping[str, Any] = field(default_factory=dict)
    reason: str | None = None
    unit: str | None = None

    @classmethod
    def no_data(cls, reason: str, n: int | None = 0, details: Mapping[str, Any] | None = None) -> Value:
        """No value, and why: an empty window, a zero denominator. Its status is ``no_data``, never 0."""
        return cls(None, n=n, details=dict(details or {}), reason=reason)


@dataclass
class SourceContext:
    """What a connector's ``open`` may use besides its own params.

    :param source_id: the source's key in the config, for messages.
    :param base_dir: the folder of the config file; relative paths resolve against it.
    :param timezone: the source's declared time zone (IANA name), ``UTC`` by default.
    """

    source_id: str
    base_dir: Path
    timezone: str = "UTC"
    _backends: Backends = field(default_factory=Backends, repr=False)

    def resolve_path(self, path: str) -> Path:
        """A path from the config, relative to the config file's folder."""
        candidate = Path(path).expanduser()
        return candidate if candidate.is_absolute() else (self.base_dir / candidate)

    def land_records(self, records: list[dict[str, Any]], name: str | None = None) -> ir.Table:
        """Put records (from an API, say) into the run's DuckDB and return them as a table.

        Nested objects become structs, so expressions can reach ``via.channel``.
        An empty list gives an error: with no rows there are no columns to compute on.
        """
        import ibis
        import pyarrow as pa

        from kpiframe.errors import SourceError

        if not records:
            raise SourceError(f"source {self.source_id!r} returned no records")

        def clean(value: Any) -> Any:
            # An empty object ({} in JSON) cannot be a struct column: it has no fields. Say "null".
            if isinstance(value, dict):
                return {k: clean(v) for k, v in value.items()} or None
            if isinstance(value, list):
                return [clean(v) for v in value]
            return value

        def typed(dtype: Any) -> Any:
            # A field that is null in every record has Arrow's `null` type, which no engine
            # stores: call it text.
            if pa.types.is_null(dtype):
                return pa.string()
            if pa.types.is_struct(dtype):
                return pa.struct([pa.field(f.name, typed(f.type)) for f in dtype])
            if pa.types.is_list(dtype):
                return pa.list_(typed(dtype.value_type))
            return dtype

        try:
            arrow = pa.Table.from_pylist([clean(r) for r in records])
            arrow = arrow.cast(pa.schema([pa.field(f.name, typed(f.type)) for f in arrow.schema]))
        except (pa.ArrowInvalid, pa.ArrowTypeError, pa.ArrowNotImplementedError) as exc:
            raise SourceError(f"source {self.source_id!r}: records of mixed shapes ({exc})") from None
        table_name = name or f"records_{self.source_id}_{id(records):x}"
        return self.duckdb().create_table(table_name, ibis.memtable(arrow), overwrite=True)

    def duckdb(self) -> ibis.BaseBackend:
        """The run's shared in-process DuckDB, as an Ibis backend (created on first use).

        Tables made through it live in the same engine as every file source, so
        each metric group stays one query. Prefer :meth:`view`, which keeps Ibis'
        backend (and pandas and pyarrow) out of the run.
        """
        return self._backends.duckdb()

    def view(self, select: str, timeout: float | None = None) -> ir.Table:
        """The rows of a DuckDB ``SELECT`` (``SELECT * FROM read_parquet([...])``) as this source's table.

        The fast path for connectors whose data DuckDB reads itself: a temporary
        view on the run's DuckDB, typed by ``DESCRIBE``. Quote every literal you
        put into ``select`` with :func:`kpiframe.sql_literal`. ``timeout`` (seconds)
        interrupts a query over the view that runs longer.
        """
        return self._backends.view(f"src_{self.source_id}", select, timeout)

    def describe(self, select: str) -> list[tuple[str, str]]:
        """The columns of a DuckDB ``SELECT`` and their DuckDB types (``[("id", "BIGINT"), ...]``).

        Nothing is created or read beyond what DuckDB needs to type the result, so a
        connector can shape its ``SELECT`` by the columns (cast the text ones, say)
        before it calls :meth:`view`.
        """
        return list(self._backends.describe(select))


@dataclass(frozen=True)
class Period:
    """The window a metric is computed over, as a calculator that needs it sees it.

    Given to ``parts(..., window=period)`` when the calculator's ``parts`` accepts
    a ``window`` argument. Times are naive, in the source's time zone, ready to be
    compared with the source's (naive) timestamp columns; ``None`` means unbounded.
    """

    start: datetime | None
    end: datetime | None
    as_of: datetime
    timezone: str = "UTC"  # the source's zone: how its naive timestamps are to be read


@dataclass(frozen=True)
class PreviousRun:
    """The recorded run a new run follows, as ``kpiframe_scorecard_ready`` receives it.

    It is the newest run of the same title **and the same window** when there is one
    (the run is a re-run, and will replace it), else the newest run of an earlier
    window (ending at or before this run's window starts): the run a team saw last
    for this window sequence. A notifier compares with it, so a re-run of a window
    that was already reported says nothing new.

    :param run_id: the recorded run's id (``kpiframe history show RUN_ID``).
    :param recorded_at: when it was recorded (ISO, UTC).
    :param window_start: its window's start (ISO, UTC), ``None`` when unbounded.
    :param window_end: its window's end (ISO, UTC).
    :param same_window: whether it is a run of this run's own window (a re-run).
    :param scorecard: its scorecard in the JSON form (``schemas/scorecard-1.schema.json``).
    """

    run_id: str
    recorded_at: str
    window_start: str | None
    window_end: str | None
    same_window: bool
    scorecard: Mapping[str, Any]


@dataclass(frozen=True)
class Preset:
    """How a known export (Zendesk, Freshdesk...) maps onto a pack's roles.

    :param columns: role → expression over the export's own column names.
    :param time: the column (or role) windows should filter on, if the source names none.
    """

    name: str
    description: str
    columns: Mapping[str, str]
    time: str | None = None


class Connector:
    """Opens a data source as an ``ibis.Table``.

    Subclass it, set ``name`` and ``params_schema`` (the JSON Schema of the keys
    this connector reads from a source block, beside the core keys), and
    implement :meth:`open`. Raise :class:`kpiframe.SourceError` with a message
    a person can act on when the source cannot be read; never put a secret in it.
    """

    name: ClassVar[str]
    params_schema: ClassVar[dict[str, Any]] = {"type": "object", "additionalProperties": False}
    description: ClassVar[str] = ""

    def open(self, params: Mapping[str, Any], context: SourceContext) -> ir.Table:
        raise NotImplementedError


class Calculator:
    """Computes one kind of metric in two phases.

    ``parts`` builds Ibis aggregate expressions (counts, sums, quantiles) that the
    engine fuses with every other metric on the same source and window into one
    query; ``finalize`` turns the few numbers that come back into a :class:`Value`.

    Attributes: ``name`` (what ``calc:`` names), ``title`` (the default title of a
    metric that names none; leave it empty for generic calculators, and the
    metric id is used), ``params_schema``
    (JSON Schema of ``params:``), ``unit`` (``count``, ``%``, ``s``, ``min``, ``h``,
    ``d``, ``number`` or your own word), ``direction`` (``higher``, ``lower`` or
    ``neutral``: which way is better) and ``doc`` (the formula, in words).
    """

    name: ClassVar[str]
    title: ClassVar[str] = ""
    params_schema: ClassVar[dict[str, Any]] = {"type": "object", "additionalProperties": False}
    unit: ClassVar[str] = "number"
    direction: ClassVar[str] = "neutral"
    doc: ClassVar[str] = ""
    #: Columns (roles) the source must provide, by name; kpiframe checks them
    #: before ``parts`` and names the missing ones with the source's columns.
    roles: ClassVar[tuple[str, ...]] = ()
    #: Roles used when present (an exclusion flag, a precomputed duration).
    optional_roles: ClassVar[tuple[str, ...]] = ()
    #: Window on this role instead of the source's ``time:`` (resolution KPIs: ``resolved_at``).
    time_role: ClassVar[str | None] = None
    #: ``rows``: the engine keeps the window's rows; ``none``: the calculator gets
    #: every row and the window as ``parts(..., window=period)`` (snapshots, cohorts).
    windowing: ClassVar[str] = "rows"
    #: Parts that feed only the value's confidence interval (the E[x²] of a mean), never
    #: the value, ``n`` or ``details``. The engine leaves them out of the queries whose
    #: values show no interval (a series' periods, a heat map's cells, the ``compare:``
    #: window, a ``per:`` metric's groups); ``finalize`` then gets no such key and
    #: returns the same value with ``interval=None``. ``kpiframe.testing`` checks that.
    #:
    #: .. versionadded:: 1.3
    interval_parts: ClassVar[tuple[str, ...]] = ()

    def roles_for(self, params: Mapping[str, Any]) -> tuple[str, ...]:
        """The roles required with these params (default: ``roles``)."""
        return self.roles

    def time_role_for(self, params: Mapping[str, Any]) -> str | None:
        """The role the window filters on with these params (default: ``time_role``)."""
        return self.time_role

    def unit_for(self, params: Mapping[str, Any]) -> str:
        """The unit of the value for these params (a duration calculator lets the user pick)."""
        return self.unit

    def parts(
        self, table: ir.Table, params: Mapping[str, Any], where: ir.BooleanValue | None, window: Period
    ) -> dict[str, ir.Scalar]:
        """Aggregate expressions over ``table``.

        :param table: the source, already filtered to the metric's window
            (unless ``windowing = "none"``).
        :param params: the metric's validated ``params``.
        :param where: the metric's own filter, or ``None``. Pass it to every
            reduction (``col.mean(where=where)``): the engine does not filter the
            table, so that metrics with different filters still share one scan.
        :param window: the window as a :class:`Period` (naive times in the
            source's zone). Most calculators ignore it; snapshots (backlog at
            as-of) and cohorts (churn) read it.
        :returns: part name → scalar aggregate expression.

        .. versionchanged:: 1.1 ``window`` is always passed. A ``parts`` without
           it still works, with a ``DeprecationWarning``; see :func:`call_parts`.
        """
        raise NotImplementedError

    def finalize(self, parts: Mapping[str, Any], params: Mapping[str, Any]) -> Value:
        """Turn the computed parts (plain Python numbers, ``None`` for SQL NULL) into a value."""
        raise NotImplementedError


class DerivedCalculator(Calculator):
    """A calculator computed from other metrics' values rather than from a source."""

    def inputs(self, params: Mapping[str, Any]) -> set[str]:
        """The metric ids this metric depends on."""
        raise NotImplementedError

    def derive(self, inputs: Mapping[str, Value], params: Mapping[str, Any]) -> Value:
        raise NotImplementedError


class Reporter:
    """Renders a scorecard into one output format (``table``, ``json``...)."""

    name: ClassVar[str]
    extension: ClassVar[str] = "txt"
    description: ClassVar[str] = ""
    binary: ClassVar[bool] = False

    def render(self, scorecard: Scorecard, options: Mapping[str, Any]) -> str | bytes:
        """Return the whole report. ``options['color']`` says if ANSI colour is wanted."""
        raise NotImplementedError


@functools.cache
def _takes_window(kind: Any) -> bool:
    try:
        parameters = inspect.signature(kind.parts).parameters
    except (TypeError, ValueError):
        return True
    return "window" in parameters or any(p.kind is inspect.Parameter.VAR_KEYWORD for p in parameters.values())


def call_parts(
    calculator: Calculator, table: Any, params: Mapping[str, Any], where: Any, window: Period
) -> dict[str, Any]:
    """Call ``calculator.parts`` with the one calling convention: ``(table, params, where, window)``.

    A calculator written for plugin API 1.0 (``parts(table, params, where)``) is
    still called, with a ``DeprecationWarning`` naming it: add ``window`` to its
    ``parts`` (it may ignore it). The engine and the test kit both call through here.
    """
    if _takes_window(cast(Any, type(calculator))):  # cached per class
        return calculator.parts(table, params, where, window)
    warnings.warn(
        f"calculator {calculator.name!r} ({type(calculator).__module__}) defines parts(table, params, where); "
        "plugin API 1.1 passes window too: write parts(self, table, params, where, window)",
        DeprecationWarning,
        stacklevel=2,
    )
    return calculator.parts(table, params, where)  # type: ignore[call-arg]
