"""`include:` and `defaults:`: configs built from shared files, every error at its own file:line:col."""

from __future__ import annotations

import hashlib
import json
import os
import re
import textwrap
from datetime import datetime
from pathlib import Path

import pytest
import yaml

import kpiframe
from conftest import AS_OF, TICKETS, write_parquet
from kpiframe.errors import ConfigError

SHARED_SOURCES = """
sources:
  tickets:
    connector: parquet
    path: tickets.parquet
    time: created_at
  emails:
    connector: parquet
    path: tickets.parquet
    time: created_at
    where: channel == "email"
"""


def tree(root: Path, files: dict[str, str]) -> Path:
    """Write ``files`` (relative path → dedented YAML) under ``root``; return ``root``."""
    for name, text in files.items():
        path = root / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(textwrap.dedent(text).lstrip("\n"), encoding="utf-8")
    return root


@pytest.fixture
def shared(tmp_path: Path) -> Path:
    """A shared sources file beside its data, as `shared/` in a repository of team configs."""
    tree(tmp_path, {"shared/sources.yaml": SHARED_SOURCES})
    write_parquet(tmp_path / "shared" / "tickets.parquet", TICKETS)
    return tmp_path


def values(card: kpiframe.Scorecard) -> dict[str, tuple[object, str]]:
    return {m.id: (m.value, m.status) for m in card.metrics}


def problems_of(path: Path) -> str:
    with pytest.raises(ConfigError) as caught:
        kpiframe.load_config(path)
    return str(caught.value)


# -- two teams, one sources file ------------------------------------------------------------------


TEAM_A = """
version: 1
title: Team A
include: [../shared/sources.yaml]
window: all
metrics:
  volume: {calc: count, source: tickets, target: ">= 5"}
  email_volume: {calc: count, source: emails}
"""
TEAM_B = """
version: 1
title: Team B
include: [../shared/sources.yaml]
window: all
metrics:
  escalations: {calc: count, source: tickets, where: escalated, target: "<= 1"}
  mean_wait: {calc: mean, source: tickets, params: {column: wait}}
"""


def inline(team: str, data: Path) -> str:
    """The same team config with the shared sources written into it (data path made absolute)."""
    sources = textwrap.indent(
        textwrap.dedent(SHARED_SOURCES).replace("tickets.parquet", str(data)).split("\n", 2)[2], "  "
    )
    text = textwrap.dedent(team).replace("include: [../shared/sources.yaml]\n", "")
    return text + "sources:\n" + sources


def test_two_team_configs_share_one_sources_file_and_score_as_if_it_were_written_inline(shared):
    tree(shared, {"team-a/kpis.yaml": TEAM_A, "team-b/kpis.yaml": TEAM_B})
    tree(shared, {"inline/a.yaml": inline(TEAM_A, shared / "shared/tickets.parquet")})
    tree(shared, {"inline/b.yaml": inline(TEAM_B, shared / "shared/tickets.parquet")})
    a = kpiframe.run(shared / "team-a/kpis.yaml", as_of=AS_OF)
    b = kpiframe.run(shared / "team-b/kpis.yaml", as_of=AS_OF)
    assert values(a) == values(kpiframe.run(shared / "inline/a.yaml", as_of=AS_OF))
    assert values(b) == values(kpiframe.run(shared / "inline/b.yaml", as_of=AS_OF))
    # And against plain Python over the rows: the shared path resolved next to the shared file.
    waits = [t["wait"] for t in TICKETS if t["wait"] is not None]
    assert a.metric("volume").value == len(TICKETS)
    assert a.metric("email_volume").value == sum(t["channel"] == "email" for t in TICKETS)
    assert b.metric("escalations").value == sum(t["escalated"] is True for t in TICKETS)
    assert b.metric("mean_wait").value == pytest.approx(sum(waits) / len(waits))
    assert (a.title, b.title) == ("Team A", "Team B")


def test_the_including_file_overrides_an_included_source_with_its_own(shared):
    tree(
        shared,
        {
            "team/kpis.yaml": f"""
            version: 1
            include: [../shared/sources.yaml]
            window: all
            sources:
              tickets: {{connector: parquet, path: {shared / "shared/tickets.parquet"}, where: channel == "chat"}}
            metrics:
              volume: {{calc: count, source: tickets}}
              email_volume: {{calc: count, source: emails}}
            """
        },
    )
    card = kpiframe.run(shared / "team/kpis.yaml", as_of=AS_OF)
    assert card.metric("volume").value == sum(t["channel"] == "chat" for t in TICKETS)
    assert card.metric("email_volume").value == sum(t["channel"] == "email" for t in TICKETS)


def test_included_files_may_include_others_and_a_diamond_is_no_conflict(shared):
    tree(
        shared,
        {
            "shared/metrics.yaml": """
            include: [sources.yaml]
            metrics:
              volume: {calc: count, source: tickets}
            """,
            "shared/targets.yaml": """
            include: [sources.yaml]
            metrics:
              email_volume: {calc: count, source: emails, target: ">= 1"}
            """,
            "team/kpis.yaml": """
            version: 1
            include: [../shared/metrics.yaml, ../shared/targets.yaml]
            window: all
            """,
        },
    )
    card = kpiframe.run(shared / "team/kpis.yaml", as_of=AS_OF)
    assert [m.id for m in card.metrics] == ["volume", "email_volume"]
    assert card.metric("volume").value == len(TICKETS)
    assert card.metric("email_volume").status == "pass"


def test_a_name_defined_by_two_included_files_is_an_error_naming_both_places(tmp_path):
    source = "sources:\n  tickets: {connector: parquet, path: t.parquet}\n"
    tree(
        tmp_path,
        {
            "a.yaml": source,
            "b.yaml": "# the same name, a second time\n" + source,
            "kpis.yaml": "version: 1\ninclude: [a.yaml, b.yaml]\nmetrics: {n: {calc: count, source: tickets}}\n",
        },
    )
    message = problems_of(tmp_path / "kpis.yaml")
    assert f"{tmp_path}/b.yaml:3:3: sources.tickets: source 'tickets' is defined in two included files:" in message
    assert f"{tmp_path}/a.yaml:2:3 and {tmp_path}/b.yaml:3:3" in message


def test_a_conflict_deep_in_one_branch_names_the_file_that_defines_it(tmp_path):
    metric = "metrics:\n  n: {calc: count, source: t}\n"
    tree(
        tmp_path,
        {
            "deep.yaml": metric,
            "a.yaml": "include: [deep.yaml]\n",
            "b.yaml": metric,
            "kpis.yaml": "version: 1\ninclude: [a.yaml, b.yaml]\nsources: {t: {connector: parquet, path: t.parquet}}\n",
        },
    )
    message = problems_of(tmp_path / "kpis.yaml")
    assert f"metric 'n' is defined in two included files: {tmp_path}/deep.yaml:2:3 and {tmp_path}/b.yaml:2:3" in message


# -- located errors ---------------------------------------------------------------------------


def test_a_mistake_inside_an_included_file_is_reported_at_that_files_line_and_column(tmp_path, cli):
    tree(
        tmp_path,
        {
            "shared/metrics.yaml": """
            metrics:
              ok: {calc: count, source: t}
              bad:
                calc: cuont
                source: t
              typo: {calc: count, source: t, wehre: x}
            """,
            "team/kpis.yaml": """
            version: 1
            include: [../shared/metrics.yaml]
            sources: {t: {connector: parquet, path: t.parquet}}
            """,
        },
    )
    result = cli("validate", tmp_path / "team/kpis.yaml")
    assert result.exit_code == 2
    lines = result.stderr.splitlines()
    shared = f"{tmp_path}/shared/metrics.yaml"  # the include's path, relative to the includer's folder
    assert any(line.startswith(f"{shared}:4:11: metrics.bad.calc: unknown calculator 'cuont'") for line in lines)
    assert any(line.startswith(f"{shared}:6:34: metrics.typo.wehre: unknown key 'wehre'") for line in lines)


def test_a_duplicate_key_and_a_missing_variable_in_an_included_file_are_located_there(tmp_path):
    tree(
        tmp_path,
        {
            "shared.yaml": """
            sources:
              t: {connector: parquet, path: "${DATA_DIR}/t.parquet"}
            metrics:
              n: {calc: count, source: t}
              n: {calc: count, source: t}
            """,
            "kpis.yaml": "version: 1\ninclude: [shared.yaml]\n",
        },
    )
    os.environ.pop("DATA_DIR", None)
    message = problems_of(tmp_path / "kpis.yaml")
    assert f"{tmp_path}/shared.yaml:2:33: sources.t.path: environment variable DATA_DIR is not set" in message
    assert f"{tmp_path}/shared.yaml:5:3: metrics.n: duplicate key 'n' (first defined on line 4)" in message


def test_run_time_problems_found_with_the_data_open_point_into_the_included_file(shared, cli):
    tree(
        shared,
        {
            "shared/metrics.yaml": """
            sources:
              mapped:
                connector: parquet
                path: tickets.parquet
                columns: {agent_name: agnet}
            metrics:
              frt:
                calc: count
                source: tickets
                where: chanel == "email"
              agents: {calc: count, source: mapped}
            """,
            "team/kpis.yaml": """
            version: 1
            include: [../shared/sources.yaml, ../shared/metrics.yaml]
            window: all
            """,
        },
    )
    result = cli("run", shared / "team/kpis.yaml", "--as-of", AS_OF)
    assert result.exit_code == 2, result.output
    metrics = f"{shared}/shared/metrics.yaml"
    assert f"{metrics}:10:12: metrics.frt.where: unknown column 'chanel'" in result.stderr
    assert f"{metrics}:5:27: sources.mapped.columns.agent_name: role 'agent_name' maps to unknown column" in (
        result.stderr
    )


def test_an_include_that_does_not_exist_is_a_located_config_error(tmp_path, cli):
    tree(tmp_path, {"kpis.yaml": "version: 1\ninclude:\n  - shared/nowhere.yaml\n"})
    result = cli("validate", tmp_path / "kpis.yaml")
    assert result.exit_code == 2
    assert f"{tmp_path}/kpis.yaml:3:5: include[0]: included file not found: shared/nowhere.yaml" in result.stderr
    assert "Traceback" not in result.output


def test_an_include_cycle_is_a_located_error_naming_the_chain(tmp_path):
    tree(
        tmp_path,
        {
            "a.yaml": "include: [b.yaml]\n",
            "b.yaml": "metrics: {n: {calc: count, source: t}}\ninclude: [a.yaml]\n",
            "kpis.yaml": "version: 1\ninclude: [a.yaml]\nsources: {t: {connector: parquet, path: t.parquet}}\n",
        },
    )
    message = problems_of(tmp_path / "kpis.yaml")
    root = str(tmp_path)
    assert f"{root}/b.yaml:2:11: include[0]: include cycle: {root}/a.yaml -> {root}/b.yaml -> {root}/a.yaml" in message


def test_a_config_including_itself_is_a_cycle(tmp_path):
    tree(tmp_path, {"kpis.yaml": "version: 1\ninclude: [./kpis.yaml]\nsources: {}\nmetrics: {}\n"})
    assert "kpis.yaml:2:11: include[0]: include cycle:" in problems_of(tmp_path / "kpis.yaml")


def test_includes_nest_at_most_sixteen_files_deep(tmp_path):
    files = {f"f{i}.yaml": f"include: [f{i + 1}.yaml]\n" for i in range(20)}
    files["f20.yaml"] = "sources: {t: {connector: parquet, path: t.parquet}}\n"
    tree(tmp_path, {**files, "kpis.yaml": "version: 1\ninclude: [f0.yaml]\nmetrics: {n: {calc: count, source: t}}\n"})
    assert f"{tmp_path}/f15.yaml:1:11: include[0]: includes nest deeper than 16 files" in problems_of(
        tmp_path / "kpis.yaml"
    )


def test_keys_of_the_main_config_are_refused_in_an_included_file(tmp_path):
    tree(
        tmp_path,
        {
            "shared.yaml": "sources: {t: {connector: parquet, path: t.parquet}}\ntitle: Shared\n",
            "kpis.yaml": "version: 1\ntitle: Mine\ninclude: [shared.yaml]\nmetrics: {n: {calc: count, source: t}}\n",
        },
    )
    assert f"{tmp_path}/shared.yaml:2:1: title: `title` is set by the main config only" in problems_of(
        tmp_path / "kpis.yaml"
    )


def test_an_included_file_that_is_not_a_mapping_or_has_a_bad_include_list_is_located(tmp_path):
    tree(
        tmp_path,
        {
            "list.yaml": "- a\n- b\n",
            "kpis.yaml": "version: 1\ninclude: [list.yaml, 3]\nsources: {}\nmetrics: {}\n",
        },
    )
    message = problems_of(tmp_path / "kpis.yaml")
    assert f"{tmp_path}/list.yaml:1:1: an included file must be a mapping" in message
    assert f"{tmp_path}/kpis.yaml:2:22: include[1]: expected text, got 3" in message


# -- guards -----------------------------------------------------------------------------------


@pytest.mark.skipif(not hasattr(os, "mkfifo"), reason="needs FIFOs")
def test_an_included_fifo_or_folder_is_refused_without_blocking(tmp_path):
    os.mkfifo(tmp_path / "pipe.yaml")
    (tmp_path / "folder.yaml").mkdir()
    tree(tmp_path, {"kpis.yaml": "version: 1\ninclude: [pipe.yaml, folder.yaml]\nsources: {}\nmetrics: {}\n"})
    message = problems_of(tmp_path / "kpis.yaml")
    assert "kpis.yaml:2:11: include[0]: the included file is not a regular file (a FIFO or a device)" in message
    assert "kpis.yaml:2:22: include[1]: the included file is a folder" in message


def _alias_fanout(n_values: int) -> str:
    """A YAML file whose aliases expand to about ``n_values`` values though it is a few KB."""
    row = "[" + ", ".join(["1"] * 100) + "]"
    copies = ", ".join(["*row"] * (n_values // 101))
    return f"base: &row {row}\nbomb: [{copies}]\n"


def test_the_value_limit_holds_for_all_included_files_together(tmp_path, cli):
    tree(
        tmp_path,
        {
            "one.yaml": _alias_fanout(60_000),
            "two.yaml": _alias_fanout(60_000),
            "kpis.yaml": "version: 1\ninclude: [one.yaml, two.yaml]\nsources: {}\nmetrics: {}\n",
            "alone.yaml": "version: 1\ninclude: [one.yaml]\nsources: {}\nmetrics: {}\n",
        },
    )
    # Each file alone stays under 100,000 values: only the unknown keys are reported.
    assert "expands to more than" not in problems_of(tmp_path / "alone.yaml")
    result = cli("validate", tmp_path / "kpis.yaml")
    assert result.exit_code == 2
    assert f"{tmp_path}/two.yaml:" in result.stderr
    assert "expands to more than 100,000 values (with the files it includes)" in result.stderr


def test_the_size_cap_holds_for_all_included_files_together(tmp_path, monkeypatch):
    # The real cap is 8 MB; a 64 KB one keeps the test fast (PyYAML reads 5 MB in seconds) and the rule the same.
    monkeypatch.setattr("kpiframe.config.reading.MAX_CONFIG_BYTES", 64 * 1024)
    padding = "# " + "x" * 1022 + "\n"
    (tmp_path / "big1.yaml").write_text(padding * 40)  # 40 KB each: under the cap alone, over it together
    (tmp_path / "big2.yaml").write_text(padding * 40)
    tree(tmp_path, {"kpis.yaml": "version: 1\ninclude: [big1.yaml, big2.yaml]\nsources: {}\nmetrics: {}\n"})
    message = problems_of(tmp_path / "kpis.yaml")
    assert "kpis.yaml:2:22: include[1]: the included file is over 64 KB (with its includes)" in message
    assert "include[0]" not in message


# -- defaults ---------------------------------------------------------------------------------


def test_defaults_fill_source_window_min_sample_and_warn_and_a_metrics_own_setting_wins(shared):
    tree(
        shared,
        {
            "team/kpis.yaml": """
            version: 1
            include: [../shared/sources.yaml]
            as_of: "2026-03-01T00:00:00Z"
            defaults:
              source: tickets
              window: {between: ["2026-02-01", "2026-02-08"]}
              min_sample: 3
              warn: ">= 100"
            metrics:
              week_one: {calc: count}
              february: {calc: count, window: {calendar: previous_month}, warn: ">= 1"}
              emails: {calc: count, source: emails, min_sample: 1}
            """
        },
    )
    card = kpiframe.run(shared / "team/kpis.yaml")
    first_week = [t for t in TICKETS if datetime(2026, 2, 1) <= t["created_at"] < datetime(2026, 2, 8)]
    assert len(first_week) < 3  # so the default min_sample makes week_one no_data
    assert card.metric("week_one").status == "no_data"
    assert card.metric("february").value == sum(t["created_at"].month == 2 for t in TICKETS)
    assert card.metric("february").status == "pass"  # its own warn (>= 1) holds, not the default (>= 100)
    emails = [t for t in first_week if t["channel"] == "email"]
    assert card.metric("emails").value == len(emails)


def test_an_included_files_defaults_apply_to_its_own_metrics_only(shared):
    tree(
        shared,
        {
            "shared/metrics.yaml": """
            include: [sources.yaml]
            defaults: {source: tickets, min_sample: 1000}
            metrics:
              shared_volume: {calc: count}
            """,
            "team/kpis.yaml": """
            version: 1
            include: [../shared/metrics.yaml]
            window: all
            defaults: {source: emails}
            metrics:
              team_volume: {calc: count}
            """,
        },
    )
    card = kpiframe.run(shared / "team/kpis.yaml", as_of=AS_OF)
    # The shared file's min_sample: 1000 makes its own metric no_data, not the team's.
    assert card.metric("shared_volume").status == "no_data" and card.metric("shared_volume").n == len(TICKETS)
    assert card.metric("team_volume").status == "info"
    assert card.metric("team_volume").value == sum(t["channel"] == "email" for t in TICKETS)


def test_defaults_do_not_reach_the_metrics_of_included_files_that_set_none(shared):
    tree(
        shared,
        {
            "shared/metrics.yaml": "metrics:\n  shared_volume: {calc: count}\n",
            "team/kpis.yaml": """
            version: 1
            include: [../shared/sources.yaml, ../shared/metrics.yaml]
            defaults: {source: tickets}
            metrics:
              team_volume: {calc: count}
            """,
        },
    )
    message = problems_of(shared / "team/kpis.yaml")
    assert f"{shared}/shared/metrics.yaml:2:18: metrics.shared_volume: missing required key 'source'" in message
    assert "team_volume" not in message


def test_a_default_source_is_not_given_to_a_derived_metric(shared):
    tree(
        shared,
        {
            "team/kpis.yaml": """
            version: 1
            include: [../shared/sources.yaml]
            window: all
            defaults: {source: tickets}
            metrics:
              volume: {calc: count}
              emails: {calc: count, source: emails}
              email_share: {calc: expr, params: {expr: emails / volume}}
            """
        },
    )
    card = kpiframe.run(shared / "team/kpis.yaml", as_of=AS_OF)
    assert card.metric("email_share").value == pytest.approx(
        sum(t["channel"] == "email" for t in TICKETS) / len(TICKETS)
    )


def test_a_metric_opts_out_of_a_default_warn_and_min_sample_with_null(shared):
    tree(
        shared,
        {
            "team/kpis.yaml": """
            version: 1
            include: [../shared/sources.yaml]
            window: all
            defaults: {source: tickets, warn: ">= 1000", min_sample: 1000}
            metrics:
              inherits: {calc: count}
              opts_out: {calc: count, warn: null, min_sample: null}
            """
        },
    )
    card = kpiframe.run(shared / "team/kpis.yaml", as_of=AS_OF)
    assert len(TICKETS) < 1000  # so the defaults make `inherits` no_data, and would make `opts_out` warn
    assert card.metric("inherits").status == "no_data"
    assert card.metric("opts_out").status == "info" and card.metric("opts_out").value == len(TICKETS)
    config = kpiframe.load_config(shared / "team/kpis.yaml")
    assert config.metrics["opts_out"].warn is None and config.metrics["opts_out"].min_sample is None


def test_a_default_warn_applies_to_the_metrics_whose_unit_it_fits_and_print_shows_where(shared, cli):
    tree(
        shared,
        {
            "team/kpis.yaml": """
            version: 1
            include: [../shared/sources.yaml]
            window: all
            defaults: {source: tickets, warn: ">= 99%"}
            metrics:
              volume: {calc: count}
              escalated: {calc: share, params: {match: escalated}, target: ">= 0%"}
              per_volume: {calc: expr, params: {expr: volume * 2}}
            """
        },
    )
    config = kpiframe.load_config(shared / "team/kpis.yaml")
    # A percentage fits the share (unit %), not the count nor the expr (unit number): no error, no warn there.
    assert config.metrics["escalated"].warn is not None
    assert config.metrics["volume"].warn is None and config.metrics["per_volume"].warn is None
    card = kpiframe.run(config, as_of=AS_OF)
    assert card.metric("escalated").status == "warn"  # some tickets are not escalated: under 99%
    assert card.metric("per_volume").value == 2 * len(TICKETS)
    printed = cli("validate", "--print", shared / "team/kpis.yaml").stdout
    per_volume = printed.split("  per_volume:\n", 1)[1]
    assert "source:" not in per_volume and "warn:" not in per_volume  # what the loader applied, nothing else
    assert "warn: '>= 99%'" in printed.split("  escalated:\n", 1)[1].split("  per_volume:", 1)[0]
    assert "source, warn from the defaults" in printed and "volume.warn" not in printed


def test_a_malformed_default_warn_is_still_reported_for_every_metric(tmp_path):
    tree(
        tmp_path,
        {
            "kpis.yaml": """
            version: 1
            sources: {t: {connector: parquet, path: t.parquet}}
            defaults: {source: t, warn: ">= 1 banana"}
            metrics:
              a: {calc: count}
              b: {calc: count, warn: ">= 5%"}
            """
        },
    )
    message = problems_of(tmp_path / "kpis.yaml")
    assert "defaults.warn: expected a comparison" in message and "(inherited by a)" in message
    # a metric's own warn is checked as written: a percentage on a count is its own mistake
    assert "metrics.b.warn: '5%' is a percentage but the metric's unit is 'count'" in message


def test_a_wrong_default_is_reported_once_at_its_place_not_once_per_metric(tmp_path):
    tree(
        tmp_path,
        {
            "kpis.yaml": """
            version: 1
            sources: {t: {connector: parquet, path: t.parquet}}
            defaults:
              source: t
              window: {last: 0s}
              colour: red
            metrics:
              a: {calc: count}
              b: {calc: count}
            """
        },
    )
    message = problems_of(tmp_path / "kpis.yaml")
    assert message.count("expected a positive duration, got '0s'") == 1
    assert f"{tmp_path}/kpis.yaml:5:18: defaults.window.last: expected a positive duration, got '0s'" in message
    assert "(inherited by a, b)" in message
    assert f"{tmp_path}/kpis.yaml:6:3: defaults.colour: unknown key 'colour'" in message


# -- paths, plugins, protection ---------------------------------------------------------------


def test_a_plugin_file_named_in_an_included_file_resolves_against_that_file(shared):
    (shared / "shared/plugins").mkdir()
    (shared / "shared/plugins/twice.py").write_text(
        textwrap.dedent("""
        import kpiframe

        class Twice(kpiframe.Calculator):
            name = "local.twice"
            params_schema = {"type": "object", "properties": {"column": {"type": "string"}}, "required": ["column"]}

            def parts(self, table, params, where, window):
                return {"s": kpiframe.column(table, params["column"]).sum(where=where)}

            def finalize(self, parts, params):
                return kpiframe.Value(None if parts["s"] is None else 2 * parts["s"])

        @kpiframe.hookimpl
        def kpiframe_register_calculators():
            return [Twice()]
        """)
    )
    tree(
        shared,
        {
            "shared/calcs.yaml": "plugins: [plugins/twice.py]\n",
            "team/kpis.yaml": """
            version: 1
            include: [../shared/sources.yaml, ../shared/calcs.yaml]
            window: all
            metrics:
              double_wait: {calc: local.twice, source: tickets, params: {column: wait}}
            """,
        },
    )
    card = kpiframe.run(shared / "team/kpis.yaml", as_of=AS_OF)
    assert card.metric("double_wait").value == pytest.approx(2 * sum(t["wait"] for t in TICKETS if t["wait"]))
    assert "../shared/plugins/twice.py" in card.run.plugins


def test_an_output_may_not_replace_an_included_file(shared, cli):
    tree(shared, {"team/kpis.yaml": TEAM_A})
    result = cli("run", shared / "team/kpis.yaml", "--as-of", AS_OF, "-o", f"json={shared / 'shared/sources.yaml'}")
    assert result.exit_code == 2
    assert "a file the config includes" in result.stderr
    assert (shared / "shared/sources.yaml").read_text() == textwrap.dedent(SHARED_SOURCES).lstrip("\n")


# -- validate --print -------------------------------------------------------------------------


def test_validate_print_shows_the_merged_config_with_where_each_piece_came_from(shared, cli):
    tree(
        shared,
        {
            "team/kpis.yaml": """
            version: 1
            title: Team A
            include: [../shared/sources.yaml]
            defaults: {source: tickets, window: all}
            metrics:
              volume: {calc: count}
              email_volume: {calc: count, source: emails}
            """
        },
    )
    result = cli("validate", shared / "team/kpis.yaml", "--print")
    assert result.exit_code == 0
    assert yaml.safe_load(result.stdout) == {
        "version": 1,
        "title": "Team A",
        "sources": {
            "tickets": {"connector": "parquet", "path": "tickets.parquet", "time": "created_at"},
            "emails": {
                "connector": "parquet",
                "path": "tickets.parquet",
                "time": "created_at",
                "where": 'channel == "email"',
            },
        },
        "metrics": {
            "volume": {"calc": "count", "source": "tickets", "window": "all"},
            "email_volume": {"calc": "count", "source": "emails", "window": "all"},
        },
    }
    team, sources = f"{shared}/team/kpis.yaml", f"{shared}/shared/sources.yaml"
    assert f"  # from {sources}:2:3\n  tickets:" in result.stdout
    assert f"  # from {team}:6:3; source, window from the defaults at {team}:4:12\n  volume:" in result.stdout
    assert f"  # from {team}:7:3; window from the defaults at {team}:4:29\n  email_volume:" in result.stdout
    assert "ok (2 sources, 2 metrics)" in result.stderr


def test_validate_print_never_shows_a_secret(tmp_path, cli):
    tree(
        tmp_path,
        {
            "shared.yaml": """
            sources:
              db: {connector: postgres, dsn: "postgresql://kpi:${DB_PASSWORD}@db.internal/support", table: t}
              dump: {connector: parquet, path: "${DUMP_TOKEN}.parquet"}
            """,
            "kpis.yaml": "version: 1\ninclude: [shared.yaml]\nmetrics: {n: {calc: count, source: db}}\n",
        },
    )
    env = {"DB_PASSWORD": "hunter2-secret", "DUMP_TOKEN": "tok-9f8e7d"}
    result = cli("validate", tmp_path / "kpis.yaml", "--print", env=env)
    assert result.exit_code == 0, result.output
    # A variable is shown by name; a password place in a URL is masked whatever it holds.
    assert "${DUMP_TOKEN}.parquet" in result.stdout and "postgresql://kpi:***@db.internal" in result.stdout
    assert "hunter2-secret" not in result.output and "tok-9f8e7d" not in result.output


# -- what stays as it was ---------------------------------------------------------------------


def test_a_config_without_includes_keeps_its_hash_and_title(tickets, write_config):
    text = f"version: 1\nwindow: all\nsources: {{t: {{connector: parquet, path: {tickets}}}}}\n"
    path = write_config(text + "metrics: {n: {calc: count, source: t}}\n")
    config = kpiframe.load_config(path)
    assert config.hash == hashlib.sha256(path.read_bytes()).hexdigest()[:16]
    assert config.title == "kpis" and config.included == ()


def test_an_included_file_takes_part_in_the_config_hash_the_history_records(shared, cli):
    tree(shared, {"team/kpis.yaml": TEAM_A})
    before = kpiframe.load_config(shared / "team/kpis.yaml")
    (shared / "shared/sources.yaml").write_text(textwrap.dedent(SHARED_SOURCES) + "# edited\n")
    after = kpiframe.load_config(shared / "team/kpis.yaml")
    assert before.hash != after.hash and before.title == after.title == "Team A"
    history = shared / "history.duckdb"
    result = cli("run", shared / "team/kpis.yaml", "--as-of", AS_OF, "--history", history, "--format", "json")
    assert json.loads(result.stdout)["run"]["config_hash"] == after.hash


def test_the_config_schema_describes_include_and_defaults(cli):
    schema = json.loads(cli("schema").stdout)
    assert schema["properties"]["include"]["items"]["type"] == "string"
    assert sorted(schema["properties"]["defaults"]["properties"]) == ["min_sample", "source", "warn", "window"]


def test_the_config_guides_sharing_example_validates_as_written(tmp_path, cli):
    guide = (Path(__file__).parents[1] / "docs" / "config-guide.md").read_text()
    section = guide.split("## Sharing pieces between configs\n", 1)[1].split("\n## ", 1)[0]
    blocks = re.findall(r"```yaml\n# (\S+?)(?::[^\n]*)?\n(.*?)```", section, re.S)
    assert [name for name, _ in blocks] == [
        "shared/sources.yaml",
        "team-email/kpis.yaml",
        "shared/targets.yaml",
        "team-voice/kpis.yaml",
    ]
    tree(tmp_path, dict(blocks))
    env = {"SUPPORT_PG_DSN": "postgresql://reader:pw-1234@db:5432/support"}
    email = cli("validate", "--print", tmp_path / "team-email/kpis.yaml", env=env)
    voice = cli("validate", tmp_path / "team-voice/kpis.yaml", env=env)
    assert email.exit_code == 0 and "ok (2 sources, 2 metrics)" in email.stderr, email.output
    assert voice.exit_code == 0 and "ok (2 sources, 2 metrics)" in voice.stdout, voice.output
    assert f"# from {tmp_path}/shared/sources.yaml:2:3\n  tickets:" in email.stdout


def test_a_schedule_from_a_shared_file_counts_the_same_working_time_as_one_written_inline(shared):
    hours = 'business_hours:\n  desk:\n    timezone: UTC\n    hours: {mon-fri: "09:00-17:00"}\n'
    metric = (
        "metrics:\n  frt: {calc: duration, source: tickets,"
        " params: {start: created_at, end: first_response_at, business_hours: desk}}\n"
    )
    data = shared / "shared/tickets.parquet"
    tree(
        shared,
        {
            "shared/hours.yaml": hours,
            "team/kpis.yaml": "version: 1\nwindow: all\ninclude: [../shared/sources.yaml, ../shared/hours.yaml]\n"
            + metric,
            "inline.yaml": f"version: 1\nwindow: all\nsources: {{tickets: {{connector: parquet, path: {data}}}}}\n"
            + hours
            + metric,
        },
    )
    included = kpiframe.run(shared / "team/kpis.yaml", as_of=AS_OF).metric("frt")
    written_inline = kpiframe.run(shared / "inline.yaml", as_of=AS_OF).metric("frt")
    assert included.value == pytest.approx(written_inline.value) and included.value is not None
    # 9:00 → 9:30 and 10:00 → 10:05 on weekdays, all inside 09:00-17:00 (tickets 1 and 2).
    assert included.n == written_inline.n


def test_no_config_plugins_refuses_plugins_named_in_an_included_file(shared, cli):
    tree(
        shared,
        {
            "shared/calcs.yaml": "plugins: [plugins/twice.py]\n",
            "team/kpis.yaml": "version: 1\ninclude: [../shared/sources.yaml, ../shared/calcs.yaml]\n"
            "metrics: {n: {calc: count, source: tickets}}\n",
        },
    )
    result = cli("--no-config-plugins", "validate", shared / "team/kpis.yaml")
    assert result.exit_code == 2
    assert (
        f"{shared}/shared/calcs.yaml:1:10: plugins: the config names plugins (../shared/plugins/twice.py),"
        " whose code would run"
    ) in result.stderr


def test_a_main_config_over_the_size_cap_is_refused_unread(tmp_path, cli):
    (tmp_path / "kpis.yaml").write_text("# " + "x" * (9 * 2**20) + "\n")
    result = cli("validate", tmp_path / "kpis.yaml")
    assert result.exit_code == 2
    assert f"{tmp_path}/kpis.yaml: the config is over 8 MB (a config is a few KB)" in result.stderr


@pytest.mark.parametrize("case", sorted((Path(__file__).parent / "hostile").glob("*.yaml")), ids=lambda p: p.stem)
def test_the_hostile_corpus_as_an_included_file_is_a_config_error_located_in_it(case, tmp_path, cli):
    (tmp_path / "piece.yaml").write_text(case.read_text())
    tree(tmp_path, {"kpis.yaml": "version: 1\ninclude: [piece.yaml]\n"})
    result = cli("validate", tmp_path / "kpis.yaml")
    assert result.exit_code == 2 and "Traceback" not in result.output
    assert result.stderr.startswith(f"{tmp_path}/piece.yaml:")


def test_an_overridden_metric_keeps_its_place_and_takes_the_including_files_definition(shared):
    tree(
        shared,
        {
            "shared/metrics.yaml": """
            include: [sources.yaml]
            metrics:
              first: {calc: count, source: tickets}
              second: {calc: count, source: emails}
            """,
            "team/kpis.yaml": """
            version: 1
            include: [../shared/metrics.yaml]
            window: all
            metrics:
              own: {calc: count, source: tickets, where: escalated}
              first: {calc: count, source: tickets, where: channel == "chat"}
            """,
        },
    )
    card = kpiframe.run(shared / "team/kpis.yaml", as_of=AS_OF)
    assert [m.id for m in card.metrics] == ["first", "second", "own"]
    assert card.metric("first").value == sum(t["channel"] == "chat" for t in TICKETS)
