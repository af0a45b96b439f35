"""kpiframe against the floor and the tools a team would pick instead: every target of issue 13, one command.

    python bench/peers.py [--rows 1000000 10000000] [--support-rows 10000000] [--rounds 5]
                          [--only checks startup sample-data support] [--write-docs]
    ROWS=100000000 python bench/peers.py     (adds 100M rows to the 8 checks)

Four suites, every measurement a whole process (a CI job pays for imports too), with
rounds interleaved, the median of the rounds and the peak memory from ``/usr/bin/time``,
and every number checked equal to the floor's before any time is printed
(harness.py says how):

- ``checks``: the same 8 checks on one Parquet file in the floor (hand-written DuckDB
  SQL), kpiframe, pandas, Soda Core and Great Expectations (eight_checks.py);
- ``startup``: ``kpiframe --help`` and ``kpiframe validate configs/demo.yaml``, beside a
  bare ``python -c pass``;
- ``sample-data``: ``kpiframe sample-data DIR --rows N`` (sample_data_run.py);
- ``support``: configs/support.yaml on that data against one hand-written query per
  source (support_floor.py).

kpiframe is measured twice: ``kpiframe (first run)`` with an empty compiled-query cache
for every process, and ``kpiframe``, the repeat run, with a cache warmed by the untimed
round. Targets are judged on the repeat run, with the first run's ratio beside them
(targets.py). kpiframe's package is byte-compiled before any timing: a checkout or an
editable install has no ``.pyc`` files, which ``pip install`` would have written.
"""

from __future__ import annotations

import argparse
import os
import shutil
import sys
import tempfile
from datetime import UTC, datetime
from pathlib import Path

import eight_checks
import report
import sample_data_run
import support_floor
import targets
from harness import BENCH, ROOT, WARM_CACHE, BenchError, Stats, Tool, compile_package, measure

SUITES = ("checks", "startup", "sample-data", "support")


def startup_tools() -> list[Tool]:
    kpiframe = (sys.executable, "-m", "kpiframe")
    return [
        Tool("python -c pass", (sys.executable, "-c", "pass")),
        Tool(targets.HELP, (*kpiframe, "--help")),
        Tool(targets.VALIDATE, (*kpiframe, "validate", "configs/demo.yaml")),
    ]


def arguments() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    extra = [int(os.environ["ROWS"])] if os.environ.get("ROWS") else []
    default_rows = sorted({1_000_000, 10_000_000, *extra})
    parser.add_argument("--rows", type=int, nargs="+", default=default_rows, help="sizes of the 8 checks' file")
    parser.add_argument("--support-rows", type=int, default=10_000_000, help="tickets of the support data set")
    parser.add_argument("--rounds", type=int, default=5, help="timed rounds (after one untimed round)")
    parser.add_argument("--only", nargs="+", choices=SUITES, default=list(SUITES), help="run these suites only")
    parser.add_argument("--write-docs", action="store_true", help="write docs/performance.md (every suite)")
    args = parser.parse_args()
    if args.write_docs and set(args.only) != set(SUITES):
        parser.error("--write-docs needs every suite (leave out --only)")
    if args.rounds < 1:
        parser.error("--rounds must be at least 1")
    return args


def probed(*suites: dict[str, Stats]) -> dict[str, int | None]:
    """Per tool, the most modules it compiled from source in any suite's untimed round."""
    found: dict[str, int | None] = {}
    for suite in suites:
        for name, stats in suite.items():
            count = None if stats.from_source is None else len(stats.from_source)
            if stats.from_source:
                shown = ", ".join(stats.from_source[:5])
                print(f"warning: {name} compiled {count} modules from source: {shown}", file=sys.stderr)
            previous = found.get(name, 0)
            found[name] = None if count is None or previous is None else max(previous, count)
    return found


def run(args: argparse.Namespace) -> None:
    print(f"byte-compiled {compile_package(sys.executable, 'kpiframe')}", file=sys.stderr)
    shutil.rmtree(WARM_CACHE, ignore_errors=True)
    lines: list[str] = []
    sections: dict[str, str] = {}
    with tempfile.TemporaryDirectory(prefix="kpiframe-bench-") as folder:
        scratch = Path(folder)
        checks = {}
        if "checks" in args.only:
            checks = {rows: measure(eight_checks.tools(rows, scratch), args.rounds, scratch) for rows in args.rows}
            sections["checks"] = report.checks_table(checks)
            lines += [line for rows, results in checks.items() for line in targets.checks(rows, results)]
        startup: dict[str, Stats] = {}
        if "startup" in args.only:
            startup = measure(startup_tools(), args.rounds, scratch, floor=None)
            sections["startup"] = report.startup_table(startup)
            lines += targets.startup(startup)
        data = BENCH / "data" / f"support-{args.support_rows}"
        if "sample-data" in args.only:
            generated = sample_data_run.generate(args.support_rows, scratch)
            sections["sample_data"] = report.sample_data_text(args.support_rows, generated)
            lines += targets.sample_data(args.support_rows, generated)
            data = generated.data or data
        support: dict[str, Stats] = {}
        if "support" in args.only:
            if data.exists():
                support = measure(support_floor.tools(data, scratch), args.rounds, scratch)
                sections["support"] = report.support_table(args.support_rows, support)
                lines += targets.support(args.support_rows, support)
            else:
                sections["support"] = "Not measured: no sample data (the generator did not finish)."
                lines.append(targets.verdict(False, f"configs/support.yaml on {args.support_rows:,} tickets: no data"))
    sections["bytecode"] = report.bytecode_text(probed(*checks.values(), startup, support))
    print("\n\n".join(sections.values()))
    print("\n".join(lines))
    if args.write_docs:
        write_docs(args, sections, lines)


def write_docs(args: argparse.Namespace, sections: dict[str, str], lines: list[str]) -> None:
    text = (BENCH / "performance.template.md").read_text()
    page = text.format(
        **sections,
        targets="\n".join(f"- {line}" for line in lines),
        machine=report.machine(),
        date=datetime.now(UTC).strftime("%Y-%m-%d"),
        command=" ".join(["python", "bench/peers.py", *sys.argv[1:]]),
        versions=", ".join(f"{k} {v}" for k, v in report.versions().items()),
        rounds=args.rounds,
        rows=", ".join(f"{rows:,}" for rows in args.rows),
        support_rows=f"{args.support_rows:,}",
    )
    (ROOT / "docs" / "performance.md").write_text(page)
    print("wrote docs/performance.md")


def main() -> int:
    args = arguments()
    try:
        run(args)
    except BenchError as error:
        print(f"bench: {error}", file=sys.stderr)
        return 3
    return 0


if __name__ == "__main__":
    sys.exit(main())
