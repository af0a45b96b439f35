"""The compiled-query cache: a repeat run replays its SQL without Ibis, and gives what planning afresh gives."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from datetime import datetime, timedelta
from pathlib import Path

import pandas as pd
import pytest

import kpiframe
import kpiframe.engine.plan as plan_module
from conftest import TICKETS, write_parquet

AS_OF = datetime.fromisoformat("2026-03-01T00:00:00+00:00")

#: Every kind of window, comparison and grouping a recipe must carry.
CONFIG = """
version: 1
title: Cached
window: {{last: 30d}}
sources:
  t: {{connector: {connector}, path: {path}, time: created_at}}
metrics:
  tickets: {{calc: count, source: t}}
  wait_mean: {{calc: mean, source: t, params: {{column: wait}}, by: [channel]}}
  wait_week: {{calc: mean, source: t, params: {{column: wait}}, window: {{calendar: previous_week}}, compare: previous_period}}
  month_count: {{calc: count, source: t, window: {{calendar: current_month}}, grain: day}}
  resolved: {{calc: count, source: t, where: "resolved_at is not null", window: {{last: 7d}}, compare: previous_period, by: [channel]}}
  per_agent: {{calc: count, source: t, per: [agent], per_stat: max}}
  by_hour: {{calc: count, source: t, heatmap: true}}
  all_time: {{calc: max, source: t, params: {{column: wait}}, window: all}}
  share: {{calc: expr, params: {{expr: "resolved / tickets"}}}}
"""


def scorecard(config: Path, as_of: datetime) -> dict:
    card = kpiframe.run(config, as_of=as_of).to_dict()
    del card["run"]["duration_s"], card["run"]["started_at"]
    return card


@pytest.fixture
def plans(monkeypatch):
    """How many times the run planned through Ibis (``build_plan``); a cached run plans none."""
    calls = []
    real = plan_module.build_plan

    def counted(*args, **kwargs):
        calls.append(args[2])
        return real(*args, **kwargs)

    monkeypatch.setattr(plan_module, "build_plan", counted)
    return calls


@pytest.fixture(params=["parquet", "csv"])
def config(request, tmp_path, write_config):
    frame = pd.DataFrame(TICKETS)
    if request.param == "csv":
        path = tmp_path / "tickets.csv"
        frame.to_csv(path, index=False)
    else:
        path = write_parquet(tmp_path / "tickets.parquet", TICKETS)
    return write_config(CONFIG.format(connector=request.param, path=path))


@pytest.mark.parametrize("later", [timedelta(0), timedelta(days=3, hours=5), timedelta(days=41), timedelta(days=-20)])
def test_a_cached_run_at_another_as_of_equals_planning_afresh(config, later, plans, monkeypatch, compiled_query_cache):
    scorecard(config, AS_OF)  # plans, and keeps the recipe
    assert list((compiled_query_cache / "compiled").glob("*.json"))
    plans.clear()
    cached = scorecard(config, AS_OF + later)
    assert plans == [], "the repeat run planned through Ibis"
    monkeypatch.setenv("KPIFRAME_CACHE_DIR", "off")
    assert cached == scorecard(config, AS_OF + later)
    assert len(plans) == 1


def test_a_cached_rolling_window_counts_what_pandas_counts_at_the_new_as_of(config, plans):
    scorecard(config, AS_OF)
    plans.clear()
    later = AS_OF + timedelta(days=9)
    card = scorecard(config, later)
    assert plans == []
    frame = pd.DataFrame(TICKETS)
    start = (later - timedelta(days=30)).replace(tzinfo=None)
    inside = frame[(frame.created_at >= start) & (frame.created_at < later.replace(tzinfo=None))]
    values = {m["id"]: m["value"] for m in card["metrics"]}
    assert values["tickets"] == len(inside)
    assert values["all_time"] == frame.wait.max()


def test_a_repeat_run_imports_neither_ibis_nor_pandas(config, compiled_query_cache):
    script = f"""
import sys
from datetime import datetime
import kpiframe
for _ in range(2):
    card = kpiframe.run({str(config)!r}, as_of=datetime.fromisoformat("2026-03-01T00:00:00+00:00"))
    heavy = sorted({{name.split('.')[0] for name in sys.modules}} & {{'ibis', 'sqlglot', 'pandas', 'pyarrow', 'numpy'}})
    print(heavy)
"""
    # A fresh process for the repeat run: the first one's imports stay in the first one.
    first = subprocess.run(
        [sys.executable, "-c", script.replace("range(2)", "range(1)")], capture_output=True, text=True
    )
    assert first.returncode == 0, first.stderr
    second = subprocess.run(
        [sys.executable, "-c", script.replace("range(2)", "range(1)")], capture_output=True, text=True
    )
    assert second.returncode == 0, second.stderr
    assert second.stdout.strip() == "[]"


@pytest.mark.parametrize("window", ["{last: 30d}", "{calendar: previous_month}"])
def test_a_calculator_that_compares_with_its_as_of_replays_at_the_new_as_of(
    tickets, write_config, plans, monkeypatch, window
):
    # "Resolved by as-of" and "open at as-of (3 days old)": the as-of is in the SQL, as a variable.
    # Recorded on 2026-03-01 00:00, where the previous month ends at the as-of: the two stay apart.
    config = write_config(
        f"""
version: 1
title: As-of in the SQL
window: {window}
sources:
  t: {{connector: parquet, path: {tickets}, time: created_at}}
metrics:
  resolved: {{calc: support.resolution_rate, source: t}}
  aging: {{calc: support.backlog, source: t, params: {{older_than: 3d}}}}
"""
    )
    scorecard(config, AS_OF)
    plans.clear()
    later = datetime.fromisoformat("2026-02-21T06:00:00+00:00")
    cached = scorecard(config, later)
    assert plans == []
    monkeypatch.setenv("KPIFRAME_CACHE_DIR", "off")
    assert cached == scorecard(config, later)
    naive = later.replace(tzinfo=None)
    aging = sum(
        1
        for t in TICKETS
        if t["created_at"] <= naive - timedelta(days=3) and (t["resolved_at"] is None or t["resolved_at"] > naive)
    )
    assert {m["id"]: m["value"] for m in cached["metrics"]}["aging"] == aging


def test_a_recipe_that_would_not_replay_at_a_second_as_of_is_marked_and_never_tried_again(
    tickets, write_config, plans, monkeypatch, compiled_query_cache
):
    # The recipe is compiled 400 days (and a bit) before this as-of: 2025-04-01 00:00, where the
    # previous month and the last 31 days are one window, which planning fuses into one filter.
    # Checked two years earlier, where they are two, the SQL differs.
    config = write_config(
        f"""
version: 1
title: Coincide at the check
sources:
  t: {{connector: parquet, path: {tickets}, time: created_at}}
metrics:
  month: {{calc: count, source: t, window: {{calendar: previous_month}}}}
  days: {{calc: count, source: t, window: {{last: 31d}}}}
"""
    )
    on = datetime.fromisoformat("2026-05-06T05:07:11.123457+00:00")
    first = scorecard(config, on)
    (entry,) = (compiled_query_cache / "compiled").glob("*.json")
    assert json.loads(entry.read_text())["replays"] == "never"
    assert len(plans) == 3  # the run, the recipe's compile, and the check that refused it
    assert scorecard(config, on) == first
    assert len(plans) == 4  # planned again, and the refusal not tried again
    monkeypatch.setenv("KPIFRAME_CACHE_DIR", "off")
    assert first == scorecard(config, on)


def test_a_source_whose_columns_change_misses_the_cache(tmp_path, write_config, plans):
    path = write_parquet(tmp_path / "t.parquet", TICKETS)
    config = write_config(
        f"""
version: 1
title: Schema
window: {{last: 30d}}
sources:
  t: {{connector: parquet, path: {path}, time: created_at}}
metrics:
  wait: {{calc: sum, source: t, params: {{column: wait}}}}
"""
    )
    scorecard(config, AS_OF)
    # Same column names, wait now an integer: a new type is a new key.
    whole = [{**t, "wait": None if t["wait"] is None else round(t["wait"])} for t in TICKETS]
    write_parquet(path, whole)
    plans.clear()
    card = scorecard(config, AS_OF)
    assert plans.count(AS_OF) == 1  # planned afresh
    inside = [t for t in whole if AS_OF.replace(tzinfo=None) - timedelta(days=30) <= t["created_at"]]
    assert card["metrics"][0]["value"] == sum(t["wait"] for t in inside if t["wait"] is not None)


def test_a_config_that_substitutes_environment_variables_is_never_cached(
    tickets, write_config, monkeypatch, compiled_query_cache
):
    monkeypatch.setenv("TICKETS_FILE", str(tickets))
    config = write_config(
        """
version: 1
title: Env
window: {last: 30d}
sources:
  t: {connector: parquet, path: "${TICKETS_FILE}", time: created_at}
metrics:
  n: {calc: count, source: t}
"""
    )
    assert scorecard(config, AS_OF)["metrics"][0]["value"] == 6
    assert not (compiled_query_cache / "compiled").exists() or not list((compiled_query_cache / "compiled").iterdir())


def test_kpiframe_cache_dir_off_turns_the_cache_off(config, monkeypatch, compiled_query_cache, plans):
    monkeypatch.setenv("KPIFRAME_CACHE_DIR", "off")
    scorecard(config, AS_OF)
    scorecard(config, AS_OF)
    assert len(plans) == 2


def _only_entry(cache: Path) -> Path:
    (entry,) = (cache / "compiled").glob("*.json")
    return entry


def test_a_damaged_cache_entry_is_planned_afresh_and_rewritten(config, compiled_query_cache, plans):
    expected = scorecard(config, AS_OF)
    entry = _only_entry(compiled_query_cache)
    entry.write_text('{"format": 1, "groups": [{"source": ')
    plans.clear()
    assert scorecard(config, AS_OF) == expected
    assert plans and json.loads(entry.read_text())["format"] == 1


def test_a_cached_query_that_is_not_one_select_never_runs(config, tmp_path, compiled_query_cache, plans):
    expected = scorecard(config, AS_OF)
    entry = _only_entry(compiled_query_cache)
    recipe = json.loads(entry.read_text())
    target = tmp_path / "written.csv"
    recipe["queries"][0]["sql"] = f"COPY (SELECT 1) TO '{target}'"
    entry.write_text(json.dumps(recipe))
    plans.clear()
    assert scorecard(config, AS_OF) == expected
    assert not target.exists() and plans
    assert "COPY" not in entry.read_text()  # the entry was replaced by the run's own


def test_an_empty_window_on_a_repeat_run_still_says_what_the_source_holds(config, plans, monkeypatch):
    scorecard(config, AS_OF)
    plans.clear()
    far = AS_OF + timedelta(days=400)
    cached = scorecard(config, far)
    assert plans == []
    wait = next(m for m in cached["metrics"] if m["id"] == "wait_mean")
    assert wait["status"] == "no_data"
    assert wait["reason"] == "t has 7 rows from 2026-01-05 to 2026-02-27; none in 2027-03-06 to 2027-04-05"
    monkeypatch.setenv("KPIFRAME_CACHE_DIR", "off")
    assert cached == scorecard(config, far)


def test_windows_that_coincide_when_recorded_are_never_replayed_as_one(tickets, write_config, monkeypatch):
    # On 2026-04-01 the previous month and the last 31 days are one window; a month later they are not.
    config = write_config(
        f"""
version: 1
title: Coincide
sources:
  t: {{connector: parquet, path: {tickets}, time: created_at}}
metrics:
  month: {{calc: count, source: t, window: {{calendar: previous_month}}}}
  days: {{calc: count, source: t, window: {{last: 31d}}}}
"""
    )
    on = datetime.fromisoformat("2026-04-01T00:00:00+00:00")
    scorecard(config, on)
    later = datetime.fromisoformat("2026-03-16T00:00:00+00:00")
    cached = scorecard(config, later)
    monkeypatch.setenv("KPIFRAME_CACHE_DIR", "off")
    assert cached == scorecard(config, later)
    values = {m["id"]: m["value"] for m in cached["metrics"]}
    assert values == {
        "month": sum(1 for t in TICKETS if datetime(2026, 2, 1) <= t["created_at"] < datetime(2026, 3, 1)),
        "days": sum(1 for t in TICKETS if datetime(2026, 2, 13) <= t["created_at"] < datetime(2026, 3, 16)),
    }


def test_an_entry_others_could_have_written_is_never_read(config, compiled_query_cache, plans, tmp_path):
    expected = scorecard(config, AS_OF)
    entry = _only_entry(compiled_query_cache)
    assert entry.stat().st_mode & 0o777 == 0o600
    # A recipe whose numbers would pass anything, left group-writable as on a shared folder.
    recipe = json.loads(entry.read_text())
    recipe["queries"][0]["sql"] = recipe["queries"][0]["sql"].replace("COUNT(*)", "0 * COUNT(*)")
    entry.write_text(json.dumps(recipe))
    entry.chmod(0o664)
    plans.clear()
    assert scorecard(config, AS_OF) == expected
    assert plans.count(AS_OF) == 1


def test_an_entry_of_another_key_is_never_read(config, compiled_query_cache, plans):
    expected = scorecard(config, AS_OF)
    entry = _only_entry(compiled_query_cache)
    recipe = json.loads(entry.read_text())
    entry.write_text(json.dumps({**recipe, "key": "0" * 64}))
    plans.clear()
    assert scorecard(config, AS_OF) == expected
    assert plans.count(AS_OF) == 1


def test_a_plugins_calculator_plans_afresh_every_run(tmp_path, write_config, plans, compiled_query_cache):
    # It might choose its formula by the date, which no check at two instants can rule out.
    (tmp_path / "nums.csv").write_text("t,x\n2026-02-01,1.5\n2026-02-02,4.0\n")
    (tmp_path / "calc.py").write_text(
        """
from kpiframe import Calculator, Value, hookimpl

class Total(Calculator):
    name = "mytool.total"
    params_schema = {"type": "object", "properties": {"column": {"type": "string"}}, "required": ["column"]}

    def parts(self, table, params, where, window):
        return {"total": table[params["column"]].sum(where=where)}
    def finalize(self, parts, params):
        return Value(parts["total"])

@hookimpl
def kpiframe_register_calculators():
    return [Total()]
"""
    )
    config = write_config(
        """
version: 1
window: all
plugins: [./calc.py]
sources: {nums: {connector: csv, path: nums.csv, time: t}}
metrics:
  total: {calc: mytool.total, source: nums, params: {column: x}}
"""
    )
    assert scorecard(config, AS_OF)["metrics"][0]["value"] == 5.5
    assert scorecard(config, AS_OF)["metrics"][0]["value"] == 5.5
    assert plans == [AS_OF, AS_OF]  # neither compiled a recipe
    assert not (compiled_query_cache / "compiled").exists()


def test_a_cached_variable_name_is_never_run_as_sql(config, tmp_path, compiled_query_cache, plans):
    # A variable's name is spliced into `SET VARIABLE <name> = ...`: from an entry, one that holds
    # statements of its own would run them (here a COPY writing outside the cache folder).
    expected = scorecard(config, AS_OF)
    entry = _only_entry(compiled_query_cache)
    recipe = json.loads(entry.read_text())
    target = tmp_path / "written.csv"
    name = f"kpf_0 = TIMESTAMP '2000-01-01'; COPY (SELECT 42) TO '{target}'; SET VARIABLE kpf_x"
    recipe["variables"][name] = recipe["variables"].pop("kpf_0")
    recipe["queries"][0]["sql"] += f"\n/* '{name}' */"  # the query "reads" it, so it is set first
    entry.write_text(json.dumps(recipe))
    plans.clear()
    assert scorecard(config, AS_OF) == expected
    assert not target.exists()
    assert plans.count(AS_OF) == 1  # planned afresh


@pytest.mark.parametrize("where", ["queries", "probes"])
def test_a_cached_query_that_does_not_parse_is_planned_afresh(config, compiled_query_cache, plans, where, monkeypatch):
    scorecard(config, AS_OF)
    entry = _only_entry(compiled_query_cache)
    recipe = json.loads(entry.read_text())
    recipe[where][0]["sql"] = "SELEC garbage FROM ((("
    entry.write_text(json.dumps(recipe))
    far = AS_OF + timedelta(days=400)  # every window empty, so the probes run too
    plans.clear()
    cached = scorecard(config, far)
    assert plans.count(far) == 1  # planned afresh
    monkeypatch.setenv("KPIFRAME_CACHE_DIR", "off")
    assert cached == scorecard(config, far)


def test_a_cache_entry_nested_too_deeply_to_read_is_planned_afresh(config, compiled_query_cache, plans):
    expected = scorecard(config, AS_OF)
    _only_entry(compiled_query_cache).write_text("[" * 100_000 + "]" * 100_000)
    plans.clear()
    assert scorecard(config, AS_OF) == expected
    assert plans.count(AS_OF) == 1


def _first(mapping: dict) -> dict:
    return next(iter(mapping.values()))


#: Entries of the right key and format, damaged in a way the replay itself did not notice:
#: each crashed the run later (in the results, in the evaluation) instead of planning afresh.
DAMAGED = {
    "a metric's zone that is no zone": lambda r: _first(r["metrics"]).update(timezone="../../../../etc/passwd"),
    "a metric's zone that is a number": lambda r: _first(r["metrics"]).update(timezone=1.5),
    "a grain that is an object": lambda r: r["groups"][-1]["grouping"].__setitem__(2, {}),
    "a request of an unknown kind": lambda r: r["groups"][0]["requests"][0].update(kind="sideways"),
    "a fused layout that is text": lambda r: r["queries"][0].setdefault("fused", {}).update(group_sets=""),
    "a query of a group that does not exist": lambda r: r["queries"][0]["groups"].append(len(r["groups"])),
    "no query for a group": lambda r: r.update(queries=[]),
    "an edge that is neither start nor end": lambda r: _first(r["variables"])["from"][0].__setitem__(2, "middle"),
    "a probe that is a list": lambda r: r["probes"].append([]),
    "a series without its grain": lambda r: next(g for g in r["groups"] if g["grouping"][2] is not None)[
        "grouping"
    ].__setitem__(2, None),
    "a metric without its overall value": lambda r: r["groups"][0]["requests"].pop(0),
    "segments without their keys": lambda r: next(g for g in r["groups"] if g["grouping"][0])["keys"].clear(),
}


@pytest.mark.parametrize("damage", list(DAMAGED), ids=list(DAMAGED))
def test_a_cache_entry_of_the_right_key_but_not_a_recipes_shape_is_planned_afresh(
    config, compiled_query_cache, plans, damage
):
    expected = scorecard(config, AS_OF)
    entry = _only_entry(compiled_query_cache)
    recipe = json.loads(entry.read_text())
    DAMAGED[damage](recipe)
    entry.write_text(json.dumps(recipe))
    plans.clear()
    assert scorecard(config, AS_OF) == expected
    assert plans.count(AS_OF) == 1  # planned afresh


def test_a_password_written_in_a_url_never_reaches_a_cache_entry(tickets, write_config, compiled_query_cache):
    # The redactor masks it in every report; the SQL of the metric's `where` holds it as written.
    config = write_config(
        f"""
version: 1
title: Password
window: {{last: 30d}}
sources:
  t: {{connector: parquet, path: {tickets}, time: created_at}}
metrics:
  n: {{calc: count, source: t, where: "channel != 'https://bob:pa55word@example.com/x'"}}
"""
    )
    assert scorecard(config, AS_OF)["metrics"][0]["value"] == 6
    assert scorecard(config, AS_OF)["metrics"][0]["value"] == 6
    folder = compiled_query_cache / "compiled"
    entries = list(folder.glob("*")) if folder.exists() else []
    assert not any("pa55word" in entry.read_text() for entry in entries)


#: A plugin's calculator whose SQL comes from two more of its modules: its base class and a helper.
PLUGIN = {
    "__init__.py": "",
    "filters.py": "def slow(table):\n    return table.wait > {slow}\n",
    "base.py": """
import kpiframe
from acme.filters import slow


class Counting(kpiframe.Calculator):
    def parts(self, table, params, where, window):
        return {{"n": table.count(where=slow(table) if where is None else where & slow(table)) * {scale}}}

    def finalize(self, parts, params):
        return kpiframe.Value(parts["n"])
""",
    "kpis.py": """
import kpiframe
from acme.base import Counting


class SlowTickets(Counting):
    name = "acme.slow_tickets"


@kpiframe.hookimpl
def kpiframe_register_calculators():
    return [SlowTickets()]
""",
}


@pytest.mark.parametrize(("edited", "slow", "scale"), [("filters.py", 20, 1), ("base.py", 10, 2)])
def test_an_edit_to_any_module_of_a_plugins_package_misses_the_cache(
    tmp_path, tickets, write_config, monkeypatch, plans, edited, slow, scale
):
    package = tmp_path / "acme"
    package.mkdir()
    for name, code in PLUGIN.items():
        (package / name).write_text(code.format(slow=10, scale=1))
    monkeypatch.syspath_prepend(str(tmp_path))
    config = write_config(
        f"""
version: 1
title: Plugin
window: {{last: 30d}}
plugins: [acme.kpis]
sources:
  t: {{connector: parquet, path: {tickets}, time: created_at}}
metrics:
  slow: {{calc: acme.slow_tickets, source: t}}
"""
    )

    def value() -> int:
        for name in [name for name in sys.modules if name == "acme" or name.startswith("acme.")]:
            del sys.modules[name]  # as a new process would, import the files as they are now
        return scorecard(config, AS_OF)["metrics"][0]["value"]

    inside = [t for t in TICKETS if AS_OF.replace(tzinfo=None) - timedelta(days=30) <= t["created_at"]]
    assert value() == sum(1 for t in inside if (t["wait"] or 0) > 10)
    (package / edited).write_text(PLUGIN[edited].format(slow=slow, scale=scale))
    plans.clear()
    assert value() == scale * sum(1 for t in inside if (t["wait"] or 0) > slow)
    assert plans.count(AS_OF) == 1  # planned afresh


def test_a_cache_entry_that_is_a_fifo_is_never_read(config, compiled_query_cache):
    # Reading a FIFO blocks until someone writes to it: the run would hang (file sources refuse one too).
    script = f"""
from datetime import datetime
import kpiframe
print(kpiframe.run({str(config)!r}, as_of=datetime.fromisoformat("2026-03-01T00:00:00+00:00")).metrics[0].value)
"""
    first = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, timeout=60)
    assert first.returncode == 0, first.stderr
    entry = _only_entry(compiled_query_cache)
    entry.unlink()
    os.mkfifo(entry, 0o600)
    again = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, timeout=60)
    assert (again.returncode, again.stdout) == (0, first.stdout)


def test_a_symlinked_entry_or_folder_is_never_read_nor_written(config, compiled_query_cache, plans, tmp_path):
    expected = scorecard(config, AS_OF)
    entry = _only_entry(compiled_query_cache)
    recipe = json.loads(entry.read_text())
    recipe["queries"][0]["sql"] = recipe["queries"][0]["sql"].replace("COUNT(*)", "0 * COUNT(*)")
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir(mode=0o700)
    planted = elsewhere / entry.name
    planted.write_text(json.dumps(recipe))
    planted.chmod(0o600)
    entry.unlink()
    entry.symlink_to(planted)
    plans.clear()
    assert scorecard(config, AS_OF) == expected
    assert plans.count(AS_OF) == 1
    folder = compiled_query_cache / "compiled"
    for stale in folder.iterdir():
        stale.unlink()
    folder.rmdir()
    folder.symlink_to(elsewhere)
    plans.clear()
    assert scorecard(config, AS_OF) == expected
    assert plans.count(AS_OF) == 1
    assert json.loads(planted.read_text()) == recipe  # not rewritten through the link


@pytest.mark.parametrize("which", ["KPIFRAME_CACHE_DIR", "its compiled folder"])
def test_a_cache_folder_that_is_a_file_leaves_the_run_as_it_is(config, tmp_path, monkeypatch, which):
    expected = scorecard(config, AS_OF)
    blocker = tmp_path / "cache-file"
    if which == "KPIFRAME_CACHE_DIR":
        blocker.write_text("not a folder")
    else:
        blocker.mkdir()
        (blocker / "compiled").write_text("not a folder")
    monkeypatch.setenv("KPIFRAME_CACHE_DIR", str(blocker))
    assert scorecard(config, AS_OF) == expected
    assert scorecard(config, AS_OF) == expected
    assert (blocker if which == "KPIFRAME_CACHE_DIR" else blocker / "compiled").read_text() == "not a folder"
