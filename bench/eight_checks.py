"""The peers' benchmark: the same 8 checks on one Parquet file, in kpiframe and in each peer.

| check | kpiframe | DuckDB SQL (floor) | pandas | Soda Core 3 | Great Expectations 1 |
|---|---|---|---|---|---|
| rows | count | count(*) | len | row_count | table row count |
| unanswered | count where first_response_at is null | count(*) filter | isna().sum() | missing_count | not-null unexpected count |
| mean wait | mean | avg | mean | avg | column mean |
| max wait | max | max | max | max | column max |
| min wait | min | min | min | min | column min |
| total handle | sum | sum | sum | sum | column sum |
| mean handle | mean | avg | mean | avg | column mean |
| max handle | max | max | max | max | column max |

Soda Core and Great Expectations live in their own virtual environments
(``bench/.venv-soda``, ``bench/.venv-gx``; ``make bench`` creates them); a tool whose
environment is missing is left out. pandas and Great Expectations hold the columns in
memory, so they are left out above ``IN_MEMORY_ROWS`` (at 100M rows they would need
about 15 GB).
"""

from __future__ import annotations

import sys
from pathlib import Path

from harness import BENCH, Tool, flat_json, scorecard_json

CHECKS = ["rows", "unanswered", "wait_mean", "wait_max", "wait_min", "handle_sum", "handle_mean", "handle_max"]
IN_MEMORY_ROWS = 10_000_000

GENERATE = """
copy (
  select i as id,
         timestamp '2026-01-01' + to_seconds(i % 5184000) as created_at,
         case when hash(i) % 10 = 0 then null
              else timestamp '2026-01-01' + to_seconds(i % 5184000 + (hash(i * 3) % 86400)::bigint) end as first_response_at,
         (hash(i * 7) % 36000) / 100.0 as wait,
         (hash(i * 11) % 360000) / 100.0 as handle,
         ['email', 'chat', 'phone', 'web'][1 + (hash(i * 13) % 4)::int] as channel,
         'agent-' || (hash(i * 17) % 200)::varchar as agent
  from range({rows}) t(i)
) to '{path}' (format parquet)
"""

KPIFRAME_CONFIG = """
version: 1
title: bench
window: all
sources:
  t: {{connector: parquet, path: {path}}}
metrics:
  rows: {{calc: count, source: t}}
  unanswered: {{calc: count, source: t, where: "first_response_at is null"}}
  wait_mean: {{calc: mean, source: t, params: {{column: wait}}}}
  wait_max: {{calc: max, source: t, params: {{column: wait}}}}
  wait_min: {{calc: min, source: t, params: {{column: wait}}}}
  handle_sum: {{calc: sum, source: t, params: {{column: handle}}}}
  handle_mean: {{calc: mean, source: t, params: {{column: handle}}}}
  handle_max: {{calc: max, source: t, params: {{column: handle}}}}
"""

# Each script is run as `python -c SCRIPT DATA OUT` and writes {"values": {check: number}} to OUT.
FLOOR = """
import duckdb, json, sys
row = duckdb.sql(f'''select count(*), count(*) filter (where first_response_at is null), avg(wait), max(wait), min(wait),
  sum(handle), avg(handle), max(handle) from read_parquet('{{sys.argv[1]}}')''').fetchone()
json.dump({{'values': dict(zip({checks!r}, [float(v) for v in row])), 'scans': 1}}, open(sys.argv[2], 'w'))
"""

PANDAS = """
import json, sys
import pandas as pd
t = pd.read_parquet(sys.argv[1], columns=['first_response_at', 'wait', 'handle'])
values = [len(t), t.first_response_at.isna().sum(), t.wait.mean(), t.wait.max(), t.wait.min(),
          t.handle.sum(), t.handle.mean(), t.handle.max()]
json.dump({{'values': dict(zip({checks!r}, [float(v) for v in values]))}}, open(sys.argv[2], 'w'))
"""

SODA = """
import json, sys
import duckdb
from soda.scan import Scan
con = duckdb.connect()
con.execute(f"create view tickets as select * from read_parquet('{{sys.argv[1]}}')")
scan = Scan()
scan.set_data_source_name('duckdb')
scan.add_duckdb_connection(con, data_source_name='duckdb')
scan.set_scan_definition_name('bench')
scan.add_sodacl_yaml_str('''checks for tickets:
  - row_count >= 0
  - missing_count(first_response_at) >= 0
  - avg(wait) >= 0
  - max(wait) >= 0
  - min(wait) >= 0
  - sum(handle) >= 0
  - avg(handle) >= 0
  - max(handle) >= 0
''')
scan.execute()
values = [check['diagnostics']['value'] for check in scan.get_scan_results()['checks']]
json.dump({{'values': dict(zip({checks!r}, [float(v) for v in values]))}}, open(sys.argv[2], 'w'))
"""

GX = """
import json, sys
import pandas as pd
import great_expectations as gx
import great_expectations.expectations as gxe
frame = pd.read_parquet(sys.argv[1], columns=['first_response_at', 'wait', 'handle'])
context = gx.get_context(mode='ephemeral')
batch = context.data_sources.add_pandas('p').add_dataframe_asset('t').add_batch_definition_whole_dataframe('b').get_batch(
    batch_parameters={{'dataframe': frame}})
def observed(expectation):
    return batch.validate(expectation).result
rows = observed(gxe.ExpectTableRowCountToBeBetween(min_value=0))['observed_value']
values = [rows, observed(gxe.ExpectColumnValuesToNotBeNull(column='first_response_at'))['unexpected_count'],
          observed(gxe.ExpectColumnMeanToBeBetween(column='wait', min_value=0))['observed_value'],
          observed(gxe.ExpectColumnMaxToBeBetween(column='wait', min_value=0))['observed_value'],
          observed(gxe.ExpectColumnMinToBeBetween(column='wait', min_value=0))['observed_value'],
          observed(gxe.ExpectColumnSumToBeBetween(column='handle', min_value=0))['observed_value'],
          observed(gxe.ExpectColumnMeanToBeBetween(column='handle', min_value=0))['observed_value'],
          observed(gxe.ExpectColumnMaxToBeBetween(column='handle', min_value=0))['observed_value']]
json.dump({{'values': dict(zip({checks!r}, [float(v) for v in values]))}}, open(sys.argv[2], 'w'))
"""

SODA_PYTHON = BENCH / ".venv-soda" / "bin" / "python"
GX_PYTHON = BENCH / ".venv-gx" / "bin" / "python"


def data(rows: int) -> Path:
    """The generated tickets file of ``rows`` rows, cached in bench/data."""
    folder = BENCH / "data"
    folder.mkdir(exist_ok=True)
    path = folder / f"tickets-{rows}.parquet"
    if not path.exists():
        import duckdb

        partial = path.with_suffix(".partial")
        duckdb.sql(GENERATE.format(rows=rows, path=partial))
        partial.rename(path)
    return path


def kpiframe_run(config: Path, name: str, *, fresh_cache: bool) -> Tool:
    """kpiframe as its command line runs in CI (``-m kpiframe`` is the console script's entry point)."""
    argv = (sys.executable, "-m", "kpiframe", "run", str(config), "--quiet", "--fail-on", "never", "-o", "json={out}")
    return Tool(name, argv, scorecard_json, fresh_cache=fresh_cache)


def tools(rows: int, scratch: Path) -> list[Tool]:
    """floor, kpiframe (first run and repeat run), and the peers installed, in the order each round runs them."""
    path = data(rows)
    config = scratch / f"checks-{rows}.yaml"
    config.write_text(KPIFRAME_CONFIG.format(path=path))

    def script(name: str, python: Path | str, code: str) -> Tool:
        return Tool(name, (str(python), "-c", code.format(checks=CHECKS), str(path), "{out}"), flat_json)

    found = [
        script("floor", sys.executable, FLOOR),
        kpiframe_run(config, "kpiframe (first run)", fresh_cache=True),
        kpiframe_run(config, "kpiframe", fresh_cache=False),
    ]
    if rows <= IN_MEMORY_ROWS:
        found.append(script("pandas", sys.executable, PANDAS))
    if SODA_PYTHON.exists():
        found.append(script("soda", SODA_PYTHON, SODA))
    if GX_PYTHON.exists() and rows <= IN_MEMORY_ROWS:
        found.append(script("gx", GX_PYTHON, GX))
    return found
