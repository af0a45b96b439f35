"""Issue 13's targets as PASS/MISS lines, from one bench run (never asserted in tests: timings are not test material).

Every ratio is judged on kpiframe's repeat run (``kpiframe``: its compiled-query cache
warm, as on a CI job's second run of the same config), and the first run's ratio
(``kpiframe (first run)``: an empty cache) is printed beside it, so neither hides the other.
"""

from __future__ import annotations

from collections.abc import Mapping

from harness import Stats
from sample_data_run import TARGET_ROWS, TARGET_RSS_MB, TARGET_SECONDS, Generated

FIRST = "kpiframe (first run)"
HELP_SECONDS, VALIDATE_SECONDS = 0.2, 0.4
HELP, VALIDATE = "kpiframe --help", "kpiframe validate configs/demo.yaml"
LARGE_ROWS, HUGE_ROWS = 10_000_000, 100_000_000


def verdict(ok: bool | None, text: str) -> str:
    return f"{'INFO' if ok is None else 'PASS' if ok else 'MISS'} {text}"


def _scans(label: str, r: Mapping[str, Stats]) -> str:
    ours, floor = r["kpiframe"].scans, r["floor"].scans
    return verdict(ours == floor, f"{label}: {ours} scans by kpiframe for the floor's {floor} queries (target: equal)")


def checks(rows: int, r: Mapping[str, Stats]) -> list[str]:
    """The 8 checks at one size: against the floor, Soda Core and Great Expectations."""
    floor, ours, first = r["floor"].seconds, r["kpiframe"].seconds, r[FIRST].seconds
    label = f"{rows:,} rows"
    if rows >= LARGE_ROWS:
        goal = 1.3 if rows >= HUGE_ROWS else 1.25
        lines = [
            verdict(
                ours <= goal * floor,
                f"{label}: kpiframe {ours / floor:.2f}× the floor (target ≤ {goal}×; first run {first / floor:.2f}×)",
            )
        ]
    else:
        lines = [
            verdict(
                ours - floor <= 0.3,
                f"{label}: fixed cost over the floor {ours - floor:.2f} s (target ≤ 0.3 s; first run {first - floor:.2f} s)",
            )
        ]
    if rows >= HUGE_ROWS:
        peak = r["kpiframe"].rss_mb
        lines.append(verdict(peak < 4096, f"{label}: kpiframe's peak memory {peak:,} MB (target < 4,096 MB)"))
    lines.append(_scans(label, r))
    for peer, name, small, large in (("soda", "Soda Core", 1.0, 1.3), ("gx", "Great Expectations", 8.0, 8.0)):
        if peer in r:
            goal = large if rows >= LARGE_ROWS else small
            theirs = r[peer].seconds
            lines.append(
                verdict(
                    theirs >= goal * ours,
                    f"{label}: {theirs / ours:.2f}× faster than {name} (target ≥ {goal}×; first run {theirs / first:.2f}×)",
                )
            )
    return lines


def support(tickets: int, r: Mapping[str, Stats]) -> list[str]:
    """configs/support.yaml against the sum of one floor query per source."""
    floor, ours, first = r["floor"].seconds, r["kpiframe"].seconds, r[FIRST].seconds
    label = f"configs/support.yaml on {tickets:,} tickets"
    return [
        verdict(
            ours <= 2 * floor,
            f"{label}: kpiframe {ours / floor:.2f}× the floor's {r['floor'].scans} queries "
            f"(target ≤ 2×; first run {first / floor:.2f}×)",
        ),
        _scans(label, r),
    ]


def startup(r: Mapping[str, Stats]) -> list[str]:
    helps, validate = r[HELP].seconds, r[VALIDATE].seconds
    return [
        verdict(helps < HELP_SECONDS, f"`kpiframe --help` {helps:.2f} s (target < {HELP_SECONDS} s)"),
        verdict(
            validate < VALIDATE_SECONDS,
            f"`kpiframe validate configs/demo.yaml` {validate:.2f} s (target < {VALIDATE_SECONDS} s)",
        ),
    ]


def sample_data(rows: int, generated: Generated) -> list[str]:
    """The generator's budget holds at 10M tickets; at other sizes its numbers are printed, not judged."""
    run = generated.run
    judged = rows == TARGET_ROWS
    label = f"`kpiframe sample-data --rows {rows:,}`"
    if run.stopped:
        return [verdict(False if judged else None, f"{label}: {run.stopped} (limits: 4× the time, 2× the memory)")]
    goal = f" (target < {TARGET_SECONDS:.0f} s)" if judged else f" (judged at {TARGET_ROWS:,} rows only)"
    memory = f" (target < {TARGET_RSS_MB:,} MB)" if judged else ""
    return [
        verdict(run.seconds < TARGET_SECONDS if judged else None, f"{label}: {run.seconds:.1f} s{goal}"),
        verdict(run.rss_mb < TARGET_RSS_MB if judged else None, f"{label}: peak memory {run.rss_mb:,} MB{memory}"),
    ]
