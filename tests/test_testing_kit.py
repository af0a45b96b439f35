"""The plugin test kit, applied to kpiframe's own plugins (so the kit itself is tested)."""

from __future__ import annotations

import sys
from pathlib import Path

import pytest

from kpiframe.plugins import make_plugin_manager
from kpiframe.testing import CalculatorContract, ReporterContract, compute

sys.path.insert(0, str(Path(__file__).parent / "fixtures" / "kpiframe-spread" / "src"))
from kpiframe_spread import Spread

REGISTRY = make_plugin_manager(environ={"KPIFRAME_PLUGINS": "builtin"})


class TestSpreadContract(CalculatorContract):
    calculator = Spread()
    params = {"column": "x"}
    rows = [{"x": 1.5}, {"x": None}, {"x": 7.0}, {"x": -2.0}]

    def reference(self, rows):
        values = [r["x"] for r in rows if r["x"] is not None]
        return max(values) - min(values) if values else None


class TestCsatContract(CalculatorContract):
    calculator = REGISTRY.calculator("support.csat")
    params = {"kind": "any"}
    rows = [{"score": 5}, {"score": 4}, {"score": 2}, {"score": None}, {"score": 1}]

    def reference(self, rows):
        scores = [r["score"] for r in rows if r["score"] is not None]
        return 100 * sum(s >= 4 for s in scores) / len(scores) if scores else None


@pytest.mark.parametrize("name", sorted(REGISTRY.reporters))
def test_every_builtin_reporter_meets_the_contract(name):
    class Contract(ReporterContract):
        reporter = REGISTRY.reporter(name)

    contract = Contract()
    contract.test_metadata()
    contract.test_renders_every_status()


def test_a_wrong_calculator_fails_the_contract():
    class Broken(CalculatorContract):
        calculator = Spread()
        params = {"column": "x"}
        rows = [{"x": 1.0}, {"x": 3.0}]

        def reference(self, rows):
            return 3.0  # wrong on purpose: the spread is 2

    with pytest.raises(AssertionError):
        Broken().test_agrees_with_the_reference()
    assert compute(Spread(), [{"x": 1.0}, {"x": 3.0}], {"column": "x"}).value == 2.0


class TestChurnContract(CalculatorContract):
    """A cohort KPI that reads the window's bounds, through the kit."""

    from datetime import datetime as _dt

    from kpiframe.contracts import Period as _Period

    calculator = REGISTRY.calculator("support.churn_rate")
    window = _Period(_dt(2026, 2, 1), _dt(2026, 3, 1), _dt(2026, 3, 1))
    schema = {"started_at": "timestamp", "ended_at": "timestamp"}
    rows = [
        {"started_at": _dt(2025, 1, 1), "ended_at": None},
        {"started_at": _dt(2025, 6, 1), "ended_at": _dt(2026, 2, 10)},  # left in the window
        {"started_at": _dt(2025, 6, 1), "ended_at": _dt(2026, 1, 10)},  # gone before it
        {"started_at": _dt(2026, 2, 5), "ended_at": _dt(2026, 2, 20)},  # joined and left inside: not in the cohort
    ]

    def reference(self, rows):
        cohort = [
            r
            for r in rows
            if r["started_at"]
            and r["started_at"] < self.window.start
            and (r["ended_at"] is None or r["ended_at"] >= self.window.start)
        ]
        left = [r for r in cohort if r["ended_at"] is not None and r["ended_at"] < self.window.end]
        return 100 * len(left) / len(cohort) if cohort else None


def test_a_connector_contract_takes_its_columns_as_any_collection_of_names():
    from kpiframe.testing import _column_names

    assert _column_names("T", ["id", "wait"]) == {"id", "wait"}
    assert _column_names("T", ("id",)) == {"id"}
    assert _column_names("T", {"id": "int"}.keys()) == {"id"}
    with pytest.raises(TypeError, match=r"T.columns must be a list or set of column names.*got 'id'"):
        _column_names("T", "id")
    with pytest.raises(TypeError, match=r"must hold column names \(strings\); got 3"):
        _column_names("T", ["id", 3])


def test_a_summary_reporter_passes_the_contract_by_naming_every_status_but_not_otherwise():
    from kpiframe import Reporter

    class Counts(Reporter):
        name, extension, description = "counts", "txt", "Counts per status."

        def render(self, scorecard, options):
            return " ".join(f"{status}={count}" for status, count in scorecard.summary.items())

    class AsSummary(ReporterContract):
        reporter = Counts()
        summarises = True

    class AsList(ReporterContract):
        reporter = Counts()

    AsSummary().test_renders_every_status()
    with pytest.raises(AssertionError, match="summarises = True"):
        AsList().test_renders_every_status()


@pytest.mark.parametrize(
    ("calc", "params", "rows"),
    [
        ("mean", {"column": "x"}, [{"x": 2.0}, {"x": None}, {"x": 7.5}, {"x": 4.0}]),
        ("support.average_speed_of_answer", {}, [{"wait_seconds": s} for s in (30.0, 42.0, None, 9.5)]),
        ("support.first_response_time", {"stat": "mean"}, None),
        ("support.service_rate", {"components": ["talk"]}, [{"talk_seconds": s} for s in (120.0, 200.0, 95.0)]),
    ],
)
def test_every_builtin_interval_part_feeds_only_the_interval(calc, params, rows):
    from datetime import datetime, timedelta

    if rows is None:
        start = datetime(2026, 2, 2, 9)
        rows = [{"created_at": start, "first_response_at": start + timedelta(minutes=m)} for m in (5, 42, 17)]

    class Contract(CalculatorContract):
        calculator = REGISTRY.calculator(calc)

    Contract.params, Contract.rows = params, rows
    assert Contract.calculator.interval_parts, f"{calc} declares the part its interval alone needs"
    assert compute(Contract.calculator, rows, params).interval is not None
    Contract().test_interval_parts_feed_only_the_interval()


def test_a_value_that_reads_an_interval_part_fails_the_contract():
    class Lopsided(Spread):
        interval_parts = ("low",)  # wrong on purpose: the value needs it

        def finalize(self, parts, params):
            return super().finalize({**parts, "low": parts.get("low", 0.0)}, params)

    class Contract(CalculatorContract):
        calculator = Lopsided()
        params = {"column": "x"}
        rows = [{"x": 1.0}, {"x": 3.0}]

    with pytest.raises(AssertionError, match="interval_parts may feed the interval only"):
        Contract().test_interval_parts_feed_only_the_interval()
