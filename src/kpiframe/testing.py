"""The plugin test kit: contract tests a plugin author subclasses in their own suite.

Subclass a contract in a module pytest collects (name it ``Test...``) and fill
in what it asks for::

    from kpiframe.testing import CalculatorContract

    class TestSpread(CalculatorContract):
        calculator = Spread()
        params = {"column": "x"}
        rows = [{"x": 1.0}, {"x": 4.0}, {"x": None}]
        def reference(self, rows):
            values = [r["x"] for r in rows if r["x"] is not None]
            return max(values) - min(values) if values else None

Every contract checks the JSON Schema of the params, the metadata, and the
behaviour kpiframe relies on. :class:`FakeApi` serves canned HTTP answers on
127.0.0.1, so connector tests need no network.
"""

from __future__ import annotations

import json
import threading
from collections.abc import Callable, Iterable, Mapping
from datetime import UTC, datetime
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any, ClassVar
from urllib.parse import parse_qsl, urlsplit

from kpiframe.contracts import DIRECTIONS, Calculator, Connector, Period, Reporter, SourceContext, Value, call_parts
from kpiframe.errors import SourceError
from kpiframe.scorecard import STATUSES, MetricResult, RunInfo, Scorecard, SegmentResult, SeriesPoint, WindowInfo

__all__ = [
    "CalculatorContract",
    "ConnectorContract",
    "FakeApi",
    "ReporterContract",
    "compute",
    "scorecard_with_every_status",
]


def _check_schema(schema: dict[str, Any]) -> None:
    from jsonschema import Draft202012Validator

    Draft202012Validator.check_schema(schema)
    assert schema.get("type") == "object", "params_schema must describe an object (the params mapping)"


def compute(
    calculator: Calculator,
    rows: list[dict[str, Any]],
    params: Mapping[str, Any],
    schema: Mapping[str, str] | None = None,
    window: Period | None = None,
    *,
    with_interval: bool = True,
) -> Value:
    """Run a calculator the way the engine does (parts in DuckDB, then finalize) on rows.

    ``window`` is the :class:`Period` ``parts`` gets (default: unbounded, as of 2100).
    ``with_interval=False`` computes it as the engine does where no interval is shown
    (a series' period, the ``compare:`` window): without its ``interval_parts``.
    """
    import ibis

    table = ibis.memtable(rows, schema=schema) if schema else ibis.memtable(rows)
    parts = call_parts(calculator, table, params, None, window or Period(None, None, datetime(2100, 1, 1)))
    if not with_interval:
        parts = {name: expr for name, expr in parts.items() if name not in calculator.interval_parts}
    if not parts:
        raise AssertionError("parts() returned no aggregates")
    row = table.aggregate(**{name: expr.name(name) for name, expr in parts.items()}).to_pyarrow().to_pylist()[0]
    return calculator.finalize(row, params)


class CalculatorContract:
    """Contract tests for a :class:`kpiframe.Calculator`.

    Set ``calculator``, ``params``, ``rows`` (dicts; include nulls) and implement
    ``reference(rows)``: the value computed independently, ``None`` for no data.
    Set ``schema`` (column → Ibis type) when a column could be all nulls, and
    ``window`` (a :class:`kpiframe.Period`) for calculators that read the window.
    """

    calculator: ClassVar[Calculator]
    params: ClassVar[dict[str, Any]] = {}
    rows: ClassVar[list[dict[str, Any]]] = []
    schema: ClassVar[dict[str, str] | None] = None
    window: ClassVar[Period | None] = None
    tolerance: ClassVar[float] = 1e-9

    def reference(self, rows: list[dict[str, Any]]) -> float | None:
        raise NotImplementedError("return the value computed independently of the calculator")

    def test_metadata(self) -> None:
        calc = self.calculator
        assert isinstance(calc, Calculator)
        assert calc.name and "." in calc.name, "prefix calculator names with your pack: mypack.name"
        assert calc.direction in DIRECTIONS
        assert calc.doc and len(calc.doc) > 20, "doc should state the formula in words"
        _check_schema(calc.params_schema)

    def test_params_are_valid(self) -> None:
        from jsonschema import Draft202012Validator

        Draft202012Validator(self.calculator.params_schema).validate(self.params)

    def test_parts_takes_the_window(self) -> None:
        import inspect

        parameters = inspect.signature(self.calculator.parts).parameters
        assert list(parameters)[:4] == [
            "table",
            "params",
            "where",
            "window",
        ], "plugin API 1.1: define parts(self, table, params, where, window); window is a kpiframe.Period"

    def test_agrees_with_the_reference(self) -> None:
        value = compute(self.calculator, self.rows, self.params, self.schema, self.window)
        expected = self.reference(self.rows)
        assert isinstance(value, Value)
        if expected is None:
            assert value.value is None
        else:
            assert value.value is not None and abs(value.value - expected) <= self.tolerance * max(
                1.0, abs(expected)
            ), (value.value, expected)

    def test_handles_nulls(self) -> None:
        nulled = [{k: None for k in row} for row in self.rows[:1]] + list(self.rows)
        value = compute(self.calculator, nulled, self.params, self.schema or self._schema(), self.window)
        expected = self.reference(nulled)
        if expected is not None and value.value is not None:
            assert abs(value.value - expected) <= self.tolerance * max(1.0, abs(expected))

    def test_interval_parts_feed_only_the_interval(self) -> None:
        """Without its ``interval_parts``, the same value, ``n`` and details, and no interval."""
        if not self.calculator.interval_parts:
            return
        full = compute(self.calculator, self.rows, self.params, self.schema, self.window)
        bare = compute(self.calculator, self.rows, self.params, self.schema, self.window, with_interval=False)
        assert (bare.value, bare.n, dict(bare.details)) == (full.value, full.n, dict(full.details)), (
            "interval_parts may feed the interval only: the engine leaves them out where no interval is shown"
        )
        assert bare.interval is None, "without its interval_parts a value has no interval"

    def test_empty_input_gives_no_data_not_an_error(self) -> None:
        value = compute(self.calculator, [], self.params, self.schema or self._schema(), self.window)
        assert value.value is None or value.value == 0, "an empty window is no data (None), or a count of 0"
        if value.value is None:
            assert value.reason, "say why there is no value"

    def _schema(self) -> dict[str, str]:
        import ibis

        return dict(ibis.memtable(self.rows).schema().items())


class ConnectorContract:
    """Contract tests for a :class:`kpiframe.Connector`.

    Implement ``params(tmp_path)`` (working params), ``bad_params(tmp_path)``
    (params whose source cannot be read) and set ``columns`` (names the table
    must have: a list, tuple or set). List in ``secrets`` any value that must
    never appear in messages.
    """

    connector: ClassVar[Connector]
    columns: ClassVar[Iterable[str]] = ()
    secrets: ClassVar[list[str]] = []

    def params(self, tmp_path: Path) -> dict[str, Any]:
        raise NotImplementedError

    def bad_params(self, tmp_path: Path) -> dict[str, Any]:
        raise NotImplementedError

    def context(self, tmp_path: Path) -> SourceContext:
        return SourceContext(source_id="contract", base_dir=tmp_path)

    def test_metadata(self) -> None:
        assert isinstance(self.connector, Connector)
        assert self.connector.name and self.connector.description
        _check_schema(self.connector.params_schema)

    def test_params_are_valid(self, tmp_path: Path) -> None:
        from jsonschema import Draft202012Validator

        Draft202012Validator(self.connector.params_schema).validate(self.params(tmp_path))

    def test_open_returns_a_table_with_the_declared_columns(self, tmp_path: Path) -> None:
        import ibis

        context = self.context(tmp_path)
        table = self.connector.open(self.params(tmp_path), context)
        assert isinstance(table, ibis.expr.types.Table), "open() must return an ibis Table"
        missing = sorted(_column_names(type(self).__name__, self.columns) - set(table.columns))
        assert not missing, f"open() returned a table without the declared columns {missing}"
        # And it can be computed on, the way a run computes: on the run's engine.
        (row,) = context._backends.fetch(table.aggregate(rows=table.count()))
        assert row["rows"] >= 0

    def test_failures_are_clear_and_secret_free(self, tmp_path: Path) -> None:
        try:
            self.connector.open(self.bad_params(tmp_path), self.context(tmp_path))
        except SourceError as exc:
            message = str(exc)
        else:
            raise AssertionError("a source that cannot be read must raise kpiframe.SourceError")
        assert len(message) > 10, "say what went wrong and how to fix it"
        for secret in self.secrets:
            assert secret not in message, "a secret leaked into the error message"


def _column_names(owner: str, columns: object) -> set[str]:
    """``columns`` as a set of names: any iterable of strings will do, a bare string is a mistake."""
    if isinstance(columns, str) or not isinstance(columns, Iterable):
        raise TypeError(
            f"{owner}.columns must be a list or set of column names, like ['id', 'created_at']; got {columns!r}"
        )
    names = list(columns)
    wrong = [name for name in names if not isinstance(name, str)]
    if wrong:
        raise TypeError(f"{owner}.columns must hold column names (strings); got {wrong[0]!r}")
    return set(names)


def scorecard_with_every_status() -> Scorecard:
    """A small scorecard with every status, segments, a series and a baseline: for reporter tests."""
    window = WindowInfo("2026-01-01T00:00:00Z", "2026-02-01T00:00:00Z", "previous month")
    run = RunInfo(
        "kpis.yaml",
        "0123456789abcdef",
        "2026-02-01T00:00:00Z",
        datetime.now(UTC).isoformat(),
        0.1,
        "test",
        {},
        window,
        1,
    )
    metrics = []
    for i, status in enumerate(STATUSES):
        value = None if status in ("no_data", "error") else 10.0 + i
        metrics.append(
            MetricResult(
                f"metric_{status}",
                f'Metric <{status}> & "quoted"',
                "count",
                "tickets",
                "count",
                "lower",
                status,
                value,
                n=100,
                target="<= 12",
                reason="why" if status in ("no_data", "error") else None,
                window=window,
                segments=(SegmentResult({"channel": "email"}, "channel=email", status, value, n=50),),
                series=(SeriesPoint("2026-01-01", 9.0), SeriesPoint("2026-01-02", value)),
                baseline=9.5,
                delta=None if value is None else value - 9.5,
            )
        )
    return Scorecard("Every status", run, tuple(metrics))


class ReporterContract:
    """Contract tests for a :class:`kpiframe.Reporter`: renders every status, segments and odd text.

    A reporter that lists the metrics must name each one (by id or title). Set
    ``summarises = True`` for a reporter that prints totals instead (a line of
    counts per status): then it must name every status instead.
    """

    reporter: ClassVar[Reporter]
    summarises: ClassVar[bool] = False

    def test_metadata(self) -> None:
        assert isinstance(self.reporter, Reporter)
        assert self.reporter.name and self.reporter.extension and self.reporter.description

    def test_renders_every_status(self) -> None:
        card = scorecard_with_every_status()
        output = self.reporter.render(card, {"color": False, "fail_on": "fail"})
        assert isinstance(output, (str, bytes)) and output
        text = output.decode("utf-8", "replace") if isinstance(output, bytes) else output
        if self.summarises:
            missing = [status for status in STATUSES if status not in text]
            assert not missing, f"a summary must name every status; missing {missing} in {text[:200]!r}"
            return
        for metric in card.metrics:
            assert metric.id in text or metric.title in text or "Metric" in text, (
                f"{metric.id!r} is not in the output; a reporter that prints totals rather than"
                f" metrics sets summarises = True: {text[:200]!r}"
            )


Handler = Callable[[str, dict[str, str], Mapping[str, str]], tuple[int, dict[str, str], Any]]


class FakeApi:
    """A local HTTP server answering from a function: ``handler(path, query, headers)``.

    The handler returns ``(status, headers, body)``; a dict or list body is sent
    as JSON, bytes or str as they are. ``requests`` records what was asked::

        with FakeApi(lambda path, query, headers: (200, {}, {"items": []})) as api:
            url = api.url + "/items"
    """

    def __init__(self, handler: Handler):
        self.handler = handler
        self.requests: list[tuple[str, dict[str, str], dict[str, str]]] = []
        fake = self

        class _Handler(BaseHTTPRequestHandler):
            def do_GET(self) -> None:
                parts = urlsplit(self.path)
                query = dict(parse_qsl(parts.query))
                headers = dict(self.headers.items())
                fake.requests.append((parts.path, query, headers))
                status, extra, body = fake.handler(parts.path, query, headers)
                data = (
                    body
                    if isinstance(body, bytes)
                    else body.encode()
                    if isinstance(body, str)
                    else json.dumps(body).encode()
                )
                self.send_response(status)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(data)))
                for key, value in extra.items():
                    self.send_header(key, value)
                self.end_headers()
                try:
                    self.wfile.write(data)
                except (BrokenPipeError, ConnectionResetError):
                    pass  # the client timed out and left

            def log_message(self, *args: Any) -> None:
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), _Handler)
        self.server.daemon_threads = True
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}"
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)

    def __enter__(self) -> FakeApi:
        self.thread.start()
        return self

    def __exit__(self, *exc: Any) -> None:
        self.server.shutdown()
        self.server.server_close()
