"""How the bench starts a tool, times it, reads what it computed and checks it against the floor.

Every measurement is one whole process under ``/usr/bin/time`` (its maximum RSS is
the peak memory), because a CI job pays for imports, connecting, reading and exiting
too. ``measure`` runs one untimed round first, then the timed rounds, each round
running every tool once (interleaved, so drift on a busy machine hits all alike).
Every run's numbers are checked equal to the floor's before any time is returned.

The untimed round does three jobs: it warms the operating system's file cache, it
warms kpiframe's compiled-query cache for the repeat-run row, and it runs each tool
under ``bytecode_probe.py``, which lists the modules the tool compiled from source
(a missing or stale ``.pyc``): the bench is only fair when every tool imports
byte-compiled code, as it would after ``pip install``.
"""

from __future__ import annotations

import json
import os
import signal
import statistics
import subprocess
import tempfile
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path

BENCH = Path(__file__).resolve().parent
ROOT = BENCH.parent
HOME = BENCH / "home"
#: The repeat run's compiled-query cache: emptied when the bench starts, warmed by the untimed round.
WARM_CACHE = HOME / ".cache" / "kpiframe"
PROBE = BENCH / "bytecode_probe.py"
PROBE_PREFIX = "bytecode-probe:"
#: Relative tolerance of "equal to the floor": the tools sum floats in different orders.
TOLERANCE = 1e-6


class BenchError(Exception):
    """A tool failed or disagreed with the floor: the bench stops before printing any time."""


@dataclass(frozen=True)
class Output:
    """What one run computed: named values, and how many scans (queries) it ran, where it says."""

    values: dict[str, float] = field(default_factory=dict)
    scans: int | None = None


def no_output(path: Path) -> Output:
    """For commands that compute nothing (``--help``, ``validate``): only their exit code counts."""
    return Output()


def flat_json(path: Path) -> Output:
    """A ``{"values": {...}, "scans": N}`` file, as the floor, pandas, Soda and GX scripts write it."""
    data = json.loads(path.read_text())
    return Output({k: float(v) for k, v in data["values"].items()}, data.get("scans"))


def scorecard_json(path: Path) -> Output:
    """kpiframe's JSON scorecard: every metric's value, and the scans in the run info."""
    data = json.loads(path.read_text())
    values = {m["id"]: float(m["value"]) for m in data["metrics"] if m["value"] is not None}
    return Output(values, data["run"].get("scans"))


@dataclass(frozen=True)
class Tool:
    """One command to time. ``{out}`` in ``argv`` stands for the file it writes its numbers to."""

    name: str
    argv: tuple[str, ...]
    read: Callable[[Path], Output] = no_output
    #: A new, empty KPIFRAME_CACHE_DIR for every run (kpiframe's first run); else the warm one.
    fresh_cache: bool = False
    cwd: Path = ROOT


@dataclass(frozen=True)
class Limits:
    """Stop a run that goes past these (so a runaway generator cannot take the machine down)."""

    seconds: float
    rss_mb: int


@dataclass(frozen=True)
class Run:
    """One whole process: wall-clock seconds, peak RSS, what it computed."""

    seconds: float
    rss_mb: int
    output: Output
    #: Why the run was stopped early (a limit), else None.
    stopped: str | None = None
    #: Modules compiled from source, when run under the bytecode probe (None: not probed).
    from_source: tuple[str, ...] | None = None


@dataclass(frozen=True)
class Stats:
    """A tool over the timed rounds: median seconds, the highest peak RSS, every run's seconds."""

    seconds: float
    rss_mb: int
    runs: tuple[float, ...]
    scans: int | None
    from_source: tuple[str, ...] | None


def peer_env(cache: Path) -> dict[str, str]:
    """Every tool's environment: telemetry off, homes inside bench/home, no colour or progress."""
    HOME.mkdir(exist_ok=True)
    return {
        **os.environ,
        "HOME": str(HOME),
        "XDG_CONFIG_HOME": str(HOME / ".config"),
        "XDG_CACHE_HOME": str(HOME / ".cache"),
        "KPIFRAME_CACHE_DIR": str(cache),
        "GX_ANALYTICS_ENABLED": "false",
        "SODA_CORE_TELEMETRY_DISABLED": "true",
        "NO_COLOR": "1",
        "CI": "true",
    }


def compile_package(python: str, package: str) -> Path:
    """Byte-compile ``package`` where ``python`` imports it from, as ``pip install`` would have.

    An editable install (or a checkout on PYTHONPATH) has no ``.pyc`` files, and with
    PYTHONDONTWRITEBYTECODE=1 every process would compile the package's modules again
    (about 0.25 s for kpiframe), a cost no installed user pays.
    """
    env = peer_env(WARM_CACHE)
    code = f"import os, {package}; print(os.path.dirname({package}.__file__))"
    found = subprocess.run([python, "-c", code], capture_output=True, text=True, env=env)
    if found.returncode:
        raise BenchError(f"{python} cannot import {package}: {found.stderr.strip()[-500:]}")
    folder = Path(found.stdout.strip())
    done = subprocess.run([python, "-m", "compileall", "-q", str(folder)], capture_output=True, text=True, env=env)
    if done.returncode:
        raise BenchError(f"compileall {folder} failed: {(done.stdout + done.stderr).strip()[-500:]}")
    return folder


def _descendants_rss_mb(pid: int) -> int:
    """The resident memory of ``pid`` and its children, from /proc (for the watchdog only)."""
    total, todo = 0, [pid]
    while todo:
        current = todo.pop()
        try:
            status = Path(f"/proc/{current}/status").read_text()
            children = Path(f"/proc/{current}/task/{current}/children").read_text().split()
        except OSError:
            continue
        total += next((int(line.split()[1]) for line in status.splitlines() if line.startswith("VmRSS:")), 0)
        todo.extend(int(child) for child in children)
    return total // 1024


def _communicate(process: subprocess.Popen[str], limits: Limits | None) -> tuple[str, str | None, int]:
    """Wait for ``process``; past a limit, stop its whole process group and say why.

    Returns its stderr, the reason it was stopped (None: it finished) and the most
    memory the watchdog saw (``/usr/bin/time`` reports nothing for a stopped run).
    """
    deadline = time.monotonic() + (limits.seconds if limits else 3600)
    seen = 0
    while True:
        try:
            _, stderr = process.communicate(timeout=0.25 if limits else max(0.0, deadline - time.monotonic()))
            return stderr, None, seen
        except subprocess.TimeoutExpired:
            if limits:
                seen = max(seen, _descendants_rss_mb(process.pid))
            reason = None
            if time.monotonic() >= deadline:
                reason = f"stopped after {limits.seconds if limits else 3600:g} s"
            elif limits and seen > limits.rss_mb:
                reason = f"stopped at {seen:,} MB of memory"
            if reason:
                os.killpg(process.pid, signal.SIGKILL)
                _, stderr = process.communicate()
                return stderr, reason, seen


def run_once(tool: Tool, scratch: Path, *, probe: bool = False, limits: Limits | None = None) -> Run:
    """Seconds, peak RSS and the numbers of one whole process of ``tool``."""
    out = scratch / f"{''.join(c if c.isalnum() else '-' for c in tool.name)}.out"
    out.unlink(missing_ok=True)
    argv = [arg.replace("{out}", str(out)) for arg in tool.argv]
    if probe:
        argv = [argv[0], str(PROBE), *argv[1:]]
    cache = Path(tempfile.mkdtemp(prefix="cache-", dir=scratch)) if tool.fresh_cache else WARM_CACHE
    started = time.perf_counter()
    process = subprocess.Popen(
        ["/usr/bin/time", "-f", "MAXRSS %M", *argv],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env=peer_env(cache),
        cwd=tool.cwd,
        start_new_session=True,  # its own process group, so the watchdog can stop it with its children
    )
    stderr, stopped, seen = _communicate(process, limits)
    seconds = time.perf_counter() - started
    lines = stderr.splitlines()
    rss = next((int(line.split()[1]) // 1024 for line in reversed(lines) if line.startswith("MAXRSS ")), seen)
    if stopped:
        return Run(seconds, rss, Output(), stopped)
    if process.returncode != 0 or (tool.read is not no_output and not out.exists()):
        raise BenchError(f"{tool.name} failed (exit {process.returncode}): {' '.join(argv[:4])}…\n{stderr[-2000:]}")
    from_source = None
    if probe:
        reported = [line for line in lines if line.startswith(PROBE_PREFIX)]
        from_source = tuple(line.removeprefix(PROBE_PREFIX).strip() for line in reported[1:]) if reported else None
    return Run(seconds, rss, tool.read(out), from_source=from_source)


def disagreements(floor: Output, other: Output) -> list[str]:
    """The floor's values that ``other`` lacks or computes differently."""
    return [
        f"{key}: {other.values.get(key)} vs the floor's {value}"
        for key, value in floor.values.items()
        if key not in other.values or abs(other.values[key] - value) > TOLERANCE * max(1.0, abs(value))
    ]


def _checked(tool: Tool, run: Run, floor: Output | None) -> None:
    if floor is not None and (wrong := disagreements(floor, run.output)):
        raise BenchError(f"{tool.name} disagrees with the floor on {len(wrong)} values:\n  " + "\n  ".join(wrong))


def measure(tools: Sequence[Tool], rounds: int, scratch: Path, floor: str | None = "floor") -> dict[str, Stats]:
    """The untimed probing round, then ``rounds`` interleaved timed rounds; every run checked against ``floor``."""
    probed = {tool.name: run_once(tool, scratch, probe=True) for tool in tools}
    reference = probed[floor].output if floor else None
    for tool in tools:
        _checked(tool, probed[tool.name], reference)
    times: dict[str, list[float]] = {tool.name: [] for tool in tools}
    memory = dict.fromkeys(times, 0)
    for _ in range(rounds):
        for tool in tools:
            run = run_once(tool, scratch)
            _checked(tool, run, reference)
            times[tool.name].append(run.seconds)
            memory[tool.name] = max(memory[tool.name], run.rss_mb)
    return {
        name: Stats(
            statistics.median(runs), memory[name], tuple(runs), probed[name].output.scans, probed[name].from_source
        )
        for name, runs in times.items()
    }
