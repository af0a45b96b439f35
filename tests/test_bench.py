"""The bench's fairness machinery (bench/): a floor that computes what kpiframe computes, honest verdicts.

Timings are not test material; what is tested is what makes them mean something: the
support floor's hand-written SQL gives kpiframe's values on generated data, the probe
sees a module compiled from source, the watchdog stops a runaway run, and the verdicts
are judged on the repeat run with the first run shown beside them.
"""

from __future__ import annotations

import importlib
import subprocess
import sys
from pathlib import Path
from types import ModuleType

import pytest

BENCH = Path(__file__).resolve().parent.parent / "bench"


@pytest.fixture
def bench(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> dict[str, ModuleType]:
    """The bench's modules, with their home folders (HOME, the warm cache) in the test's folder."""
    monkeypatch.syspath_prepend(str(BENCH))
    modules = {name: importlib.import_module(name) for name in ("harness", "support_floor", "targets")}
    monkeypatch.setattr(modules["harness"], "HOME", tmp_path / "home")
    monkeypatch.setattr(modules["harness"], "WARM_CACHE", tmp_path / "home" / "cache")
    return modules


def test_support_floor_gives_kpiframes_values_for_every_metric_but_erlang_c(
    bench: dict[str, ModuleType], tmp_path: Path
) -> None:
    harness, support_floor = bench["harness"], bench["support_floor"]
    data = tmp_path / "data"
    subprocess.run([sys.executable, "-m", "kpiframe", "sample-data", str(data), "--rows", "3000"], check=True)
    floor, _, kpiframe = support_floor.tools(data, tmp_path)

    by_floor = harness.run_once(floor, tmp_path).output
    by_kpiframe = harness.run_once(kpiframe, tmp_path).output

    assert harness.disagreements(by_floor, by_kpiframe) == []
    assert set(by_floor.values) == set(by_kpiframe.values) - {"agents_needed"}
    assert by_kpiframe.scans == by_floor.scans == 8


def test_bytecode_probe_lists_the_modules_compiled_from_source(tmp_path: Path) -> None:
    (tmp_path / "fresh.py").write_text("X = 1\n")
    (tmp_path / "stale.py").write_text("X = 1\n")
    (tmp_path / "uncompiled.py").write_text("X = 1\n")
    subprocess.run([sys.executable, "-m", "compileall", "-q", "fresh.py", "stale.py"], cwd=tmp_path, check=True)
    (tmp_path / "stale.py").write_text("X = 22\n")  # another size: the .pyc no longer matches

    done = subprocess.run(
        [sys.executable, str(BENCH / "bytecode_probe.py"), "-c", "import fresh, stale, uncompiled"],
        cwd=tmp_path,
        capture_output=True,
        text=True,
        check=True,
    )

    reported = [line.split(":", 1)[1].strip() for line in done.stderr.splitlines() if line.startswith("bytecode")]
    assert reported == ["2", str(tmp_path / "stale.py"), str(tmp_path / "uncompiled.py")]


def test_a_run_past_its_time_limit_is_stopped_and_says_why(bench: dict[str, ModuleType], tmp_path: Path) -> None:
    harness = bench["harness"]
    sleeper = harness.Tool("sleeper", (sys.executable, "-c", "import time; time.sleep(60)"))

    run = harness.run_once(sleeper, tmp_path, limits=harness.Limits(seconds=0.5, rss_mb=10_000))

    assert run.stopped == "stopped after 0.5 s"
    assert run.seconds < 10


def test_a_value_missing_or_off_beyond_the_tolerance_is_a_disagreement(bench: dict[str, ModuleType]) -> None:
    harness = bench["harness"]
    floor = harness.Output({"a": 1000.0, "b": 2.0, "c": 3.0})
    other = harness.Output({"a": 1000.0001, "b": 2.1})  # a within 1e-6 relative, b off, c missing

    assert harness.disagreements(floor, other) == ["b: 2.1 vs the floor's 2.0", "c: None vs the floor's 3.0"]


def test_targets_are_judged_on_the_repeat_run_with_the_first_run_beside(bench: dict[str, ModuleType]) -> None:
    harness, targets = bench["harness"], bench["targets"]

    def stats(seconds: float, scans: int | None = 1) -> object:
        return harness.Stats(seconds, 100, (seconds,), scans, ())

    at_10m = {"floor": stats(1.0), "kpiframe (first run)": stats(2.0), "kpiframe": stats(1.2), "soda": stats(1.8)}

    lines = targets.checks(10_000_000, at_10m)

    assert lines == [
        "PASS 10,000,000 rows: kpiframe 1.20× the floor (target ≤ 1.25×; first run 2.00×)",
        "PASS 10,000,000 rows: 1 scans by kpiframe for the floor's 1 queries (target: equal)",
        "PASS 10,000,000 rows: 1.50× faster than Soda Core (target ≥ 1.3×; first run 0.90×)",
    ]
