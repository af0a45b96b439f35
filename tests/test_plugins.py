"""Plugins: entry points, config-named files, clashes, restriction, API version, hook order."""

from __future__ import annotations

import os
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

import kpiframe
from conftest import AS_OF, TICKETS
from kpiframe.errors import ConfigError, PluginError
from kpiframe.plugins import make_plugin_manager

FIXTURE = Path(__file__).parent / "fixtures" / "kpiframe-spread"


def install_dist_info(site: Path, name: str, version: str, module: str, code: str, entry: str | None = None) -> None:
    """Lay out an installed distribution by hand (what pip writes), with a kpiframe entry point."""
    (site / f"{module}.py").write_text(textwrap.dedent(code))
    info = site / f"{name.replace('-', '_')}-{version}.dist-info"
    info.mkdir()
    (info / "METADATA").write_text(f"Metadata-Version: 2.1\nName: {name}\nVersion: {version}\n")
    (info / "entry_points.txt").write_text(f"[kpiframe]\n{entry or module} = {module}\n")


CALC = """
    import kpiframe

    class Twice(kpiframe.Calculator):
        name = "{name}"
        params_schema = {{"type": "object", "properties": {{"column": {{"type": "string"}}}}, "required": ["column"]}}

        def parts(self, table, params, where, window):
            return {{"s": kpiframe.column(table, params["column"]).sum(where=where)}}

        def finalize(self, parts, params):
            return kpiframe.Value(None if parts["s"] is None else 2 * parts["s"])

    @kpiframe.hookimpl
    def kpiframe_register_calculators():
        return [Twice()]
"""


@pytest.fixture
def site(tmp_path: Path, monkeypatch: pytest.MonkeyPatch):
    """A site-packages folder on sys.path; its modules are forgotten after the test."""
    folder = tmp_path / "site"
    folder.mkdir()
    monkeypatch.syspath_prepend(str(folder))
    yield folder
    for name, module in list(sys.modules.items()):
        if str(getattr(module, "__file__", "") or "").startswith(str(folder)):
            del sys.modules[name]


def test_an_installed_entry_point_is_loaded_with_its_origin(site):
    install_dist_info(site, "kpiframe-twice", "1.2.0", "kpiframe_twice", CALC.format(name="twice"))
    registry = make_plugin_manager(environ={})
    registration = registry.calculators["twice"]
    assert (registration.origin.package, registration.origin.version) == ("kpiframe-twice", "1.2.0")
    assert registry.calculators["count"].origin.package == "kpiframe"


def test_two_plugins_claiming_one_name_is_an_error_naming_both(site):
    install_dist_info(site, "kpiframe-one", "1.0", "kpiframe_one", CALC.format(name="twice"))
    install_dist_info(site, "kpiframe-two", "2.0", "kpiframe_two", CALC.format(name="twice"))
    with pytest.raises(PluginError) as caught:
        make_plugin_manager(environ={})
    message = str(caught.value)
    assert "two plugins register the calculator 'twice'" in message
    assert "kpiframe-one 1.0" in message and "kpiframe-two 2.0" in message


def test_a_plugin_cannot_take_a_builtin_name(site):
    install_dist_info(site, "kpiframe-evil", "0.1", "kpiframe_evil", CALC.format(name="count"))
    with pytest.raises(PluginError, match="'count': kpiframe .* and kpiframe-evil 0.1"):
        make_plugin_manager(environ={})


def test_kpiframe_plugins_restricts_what_loads(site):
    install_dist_info(site, "kpiframe-one", "1.0", "kpiframe_one", CALC.format(name="one"))
    install_dist_info(site, "kpiframe-two", "2.0", "kpiframe_two", CALC.format(name="two"))
    assert {"one", "two"} <= set(make_plugin_manager(environ={}).calculators)
    only_builtin = make_plugin_manager(environ={"KPIFRAME_PLUGINS": "builtin"})
    assert not {"one", "two"} & set(only_builtin.calculators) and "count" in only_builtin.calculators
    assert {"one"} == {"one", "two"} & set(
        make_plugin_manager(environ={"KPIFRAME_PLUGINS": "kpiframe_one"}).calculators
    )


def test_a_plugin_for_another_api_major_is_refused(site):
    install_dist_info(site, "kpiframe-future", "9.0", "kpiframe_future", "KPIFRAME_PLUGIN_API = 2\n")
    with pytest.raises(PluginError, match="written for kpiframe plugin API 2, but this kpiframe provides API 1"):
        make_plugin_manager(environ={})


def test_a_broken_plugin_is_named(site):
    install_dist_info(site, "kpiframe-broken", "0.1", "kpiframe_broken", "raise RuntimeError('boom')\n")
    with pytest.raises(
        PluginError, match="plugin 'kpiframe_broken' from kpiframe-broken 0.1 failed to import: RuntimeError: boom"
    ):
        make_plugin_manager(environ={})


def test_a_misspelt_hook_is_an_error(site):
    install_dist_info(
        site,
        "kpiframe-typo",
        "0.1",
        "kpiframe_typo",
        "import kpiframe\n@kpiframe.hookimpl\ndef kpiframe_register_calculator():\n    return []\n",
    )
    with pytest.raises(PluginError, match="implements a hook kpiframe does not have"):
        make_plugin_manager(environ={})


def test_a_plugin_file_named_in_the_config(tickets, write_config, tmp_path):
    (tmp_path / "plugins").mkdir()
    (tmp_path / "plugins" / "twice.py").write_text(textwrap.dedent(CALC.format(name="local.twice")))
    path = write_config(f"""
        version: 1
        plugins: [plugins/twice.py]
        window: all
        sources:
          t: {{connector: parquet, path: {tickets}}}
        metrics:
          double_wait: {{calc: local.twice, source: t, params: {{column: wait}}}}
        """)
    card = kpiframe.run(path, as_of=AS_OF)
    assert card.metric("double_wait").value == pytest.approx(
        2 * sum(t["wait"] for t in TICKETS if t["wait"] is not None)
    )
    assert card.run.plugins["plugins/twice.py"] is not None


def test_a_missing_plugin_file_is_a_config_error(write_config):
    path = write_config(
        "version: 1\nplugins: [nowhere.py]\nsources: {t: {connector: csv, path: x.csv}}\nmetrics: {n: {calc: count,"
        " source: t}}\n"
    )
    with pytest.raises(ConfigError, match=r"kpis.yaml:2:\d+: plugins: plugin file nowhere.py not found"):
        kpiframe.load_config(path)


def test_hooks_fire_in_order_and_scorecard_ready_sees_the_result(tickets, write_config):
    calls: list[str] = []

    class Recorder:
        @kpiframe.hookimpl
        def kpiframe_register_connectors(self):
            calls.append("connectors")
            return []

        @kpiframe.hookimpl
        def kpiframe_register_calculators(self):
            calls.append("calculators")
            return []

        @kpiframe.hookimpl
        def kpiframe_register_reporters(self):
            calls.append("reporters")
            return []

        @kpiframe.hookimpl
        def kpiframe_scorecard_ready(self, scorecard, config):
            calls.append(f"ready:{scorecard.metric('n').value}:{config.title}")

    registry = make_plugin_manager(extra=[Recorder()], environ={})
    assert calls == ["connectors", "calculators", "reporters"]
    path = write_config(
        f"version: 1\ntitle: T\nwindow: all\nsources: {{t: {{connector: parquet, path: {tickets}}}}}\nmetrics: {{n:"
        " {calc: count, source: t}}\n"
    )
    kpiframe.run(kpiframe.load_config(path, registry), as_of=AS_OF, registry=registry)
    assert calls[-1] == "ready:7:T"


def test_every_hook_is_documented_in_the_plugin_guide():
    from kpiframe import hookspecs

    guide = (Path(__file__).parents[1] / "docs" / "plugins.md").read_text()
    hooks = [name for name in dir(hookspecs) if name.startswith("kpiframe_")]
    assert len(hooks) == 7
    for hook in hooks:
        assert f"## {hook}" in guide, f"{hook} has no section in docs/plugins.md"


@pytest.mark.slow
def test_a_pip_installed_plugin_package_appears_and_its_calculator_works(tmp_path, tickets, write_config):
    """The real path: pip builds and installs the package; a fresh process finds it."""
    target = tmp_path / "installed"
    subprocess.run(
        [
            sys.executable,
            "-m",
            "pip",
            "install",
            "--quiet",
            "--no-deps",
            "--no-build-isolation",
            "--target",
            str(target),
            str(FIXTURE),
        ],
        check=True,
        capture_output=True,
    )
    env = {**os.environ, "PYTHONPATH": str(target), "NO_COLOR": "1"}
    kpiframe_cmd = [sys.executable, "-m", "kpiframe"]
    listing = subprocess.run([*kpiframe_cmd, "plugins"], env=env, capture_output=True, text=True, check=True).stdout
    assert any("spread.range" in line and "kpiframe-spread 0.3.1" in line for line in listing.splitlines()), listing
    path = write_config(
        f"version: 1\nwindow: all\nsources: {{t: {{connector: parquet, path: {tickets}}}}}\nmetrics:\n  r: {{calc:"
        " spread.range, source: t, params: {column: wait}, target: '<= 100'}\n"
    )
    result = subprocess.run(
        [*kpiframe_cmd, "run", str(path), "--format", "json"], env=env, capture_output=True, text=True
    )
    assert result.returncode == 0, result.stderr
    import json

    metric = json.loads(result.stdout)["metrics"][0]
    waits = [t["wait"] for t in TICKETS if t["wait"] is not None]
    assert metric["value"] == max(waits) - min(waits) and metric["status"] == "pass"


def test_a_calculator_written_for_plugin_api_1_0_still_runs_with_a_deprecation_warning(tickets, write_config):
    class Legacy(kpiframe.Calculator):
        name = "legacy.rows"
        doc = "COUNT(*) the way plugin API 1.0 wrote parts, without window."

        def parts(self, table, params, where):
            return {"n": table.count(where=where)}

        def finalize(self, parts, params):
            return kpiframe.Value(float(parts["n"]), n=parts["n"])

    class Plugin:
        @kpiframe.hookimpl
        def kpiframe_register_calculators(self):
            return [Legacy()]

    registry = make_plugin_manager(extra=[Plugin()], environ={})
    path = write_config(
        f"version: 1\nwindow: all\nsources: {{t: {{connector: parquet, path: {tickets}}}}}\nmetrics: {{n: {{calc:"
        " legacy.rows, source: t}}\n"
    )
    with pytest.warns(DeprecationWarning, match="'legacy.rows'.*write parts\\(self, table, params, where, window\\)"):
        card = kpiframe.run(kpiframe.load_config(path, registry), as_of=AS_OF, registry=registry)
    assert card.metric("n").value == len(TICKETS)


def test_an_unknown_calculator_names_the_plugins_kpiframe_plugins_left_out(tickets, write_config, cli):
    path = write_config(
        f"version: 1\nsources: {{t: {{connector: parquet, path: {tickets}}}}}\nmetrics: {{n: {{calc:"
        " zendesk.tickets_solved, source: t}}\n"
    )
    result = cli("validate", path, env={"KPIFRAME_PLUGINS": "builtin"})
    assert result.exit_code == 2
    assert (
        "KPIFRAME_PLUGINS leaves out the installed plugin" in result.stderr
        and "zendesk (kpiframe-zendesk 0.1.0)" in result.stderr
    )
