"""The bench's tables and docs/performance.md: Markdown that reads the same on the terminal and in the docs."""

from __future__ import annotations

import os
import platform
import subprocess
import sys
from collections.abc import Mapping
from pathlib import Path

from harness import BENCH, Stats
from sample_data_run import Generated

Results = Mapping[str, Stats]


def _vs(theirs: float, ours: float) -> str:
    return f"{theirs / ours:.2f}× faster" if theirs > ours else f"{ours / theirs:.2f}× slower"


def checks_table(results: Mapping[int, Results]) -> str:
    lines = ["| rows | tool | seconds | × floor | kpiframe vs it | peak memory |", "|--:|---|--:|--:|--:|--:|"]
    for rows, by_tool in results.items():
        floor, ours = by_tool["floor"].seconds, by_tool["kpiframe"].seconds
        for name, r in by_tool.items():
            vs = "" if name.startswith("kpiframe") or name == "floor" else _vs(r.seconds, ours)
            lines.append(f"| {rows:,} | {name} | {r.seconds:.2f} | {r.seconds / floor:.2f} | {vs} | {r.rss_mb:,} MB |")
    return "\n".join(lines)


def support_table(tickets: int, results: Results) -> str:
    lines = ["| tickets | tool | seconds | × floor | scans | peak memory |", "|--:|---|--:|--:|--:|--:|"]
    floor = results["floor"].seconds
    for name, r in results.items():
        lines.append(
            f"| {tickets:,} | {name} | {r.seconds:.2f} | {r.seconds / floor:.2f} | {r.scans} | {r.rss_mb:,} MB |"
        )
    return "\n".join(lines)


def startup_table(results: Results) -> str:
    lines = ["| command | seconds | peak memory |", "|---|--:|--:|"]
    lines += [f"| `{name}` | {r.seconds:.3f} | {r.rss_mb:,} MB |" for name, r in results.items()]
    return "\n".join(lines)


def sample_data_text(rows: int, generated: Generated) -> str:
    run = generated.run
    if run.stopped:
        kept = " The support run used the set an earlier bench generated." if generated.data else ""
        return f"`kpiframe sample-data DIR --rows {rows:,}` was {run.stopped}.{kept}"
    return f"`kpiframe sample-data DIR --rows {rows:,}`: {run.seconds:.1f} s, peak memory {run.rss_mb:,} MB (one run)."


def bytecode_text(probed: Mapping[str, int | None]) -> str:
    """Which tools compiled modules from source in the untimed round (0 everywhere is the fair start)."""
    counts = ", ".join(f"{name} {'?' if n is None else n}" for name, n in probed.items())
    return f"Modules compiled from source (no up-to-date `.pyc`), per tool, in the untimed round: {counts}."


def machine() -> str:
    lines = Path("/proc/cpuinfo").read_text().splitlines()
    cpu = next((line.split(":", 1)[1].strip() for line in lines if line.startswith("model name")), platform.processor())
    meminfo = Path("/proc/meminfo").read_text().splitlines()
    memory = int(next(line.split()[1] for line in meminfo if line.startswith("MemTotal"))) // 2**20
    return f"{os.cpu_count()} cores ({cpu}), {memory} GB, Python {platform.python_version()}, {platform.system()}"


def versions() -> dict[str, str]:
    def version(python: str, module: str) -> str:
        if not Path(python).exists():
            return "not installed"
        code = f"import importlib.metadata as m; print(m.version({module!r}))"
        return subprocess.run([python, "-c", code], capture_output=True, text=True).stdout.strip() or "?"

    return {
        "kpiframe": version(sys.executable, "kpiframe"),
        "duckdb": version(sys.executable, "duckdb"),
        "ibis-framework": version(sys.executable, "ibis-framework"),
        "pandas": version(sys.executable, "pandas"),
        "soda-core-duckdb": version(str(BENCH / ".venv-soda/bin/python"), "soda-core-duckdb"),
        "great_expectations": version(str(BENCH / ".venv-gx/bin/python"), "great_expectations"),
    }
