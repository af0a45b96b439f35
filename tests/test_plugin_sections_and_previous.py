"""Plugin API 1.2: top-level config sections plugins register, and the run a notifier compares with."""

from __future__ import annotations

from datetime import timedelta

import pytest

import kpiframe
from conftest import AS_OF
from kpiframe.errors import ConfigError, PluginError
from kpiframe.plugins import make_plugin_manager

BUILTIN = {"KPIFRAME_PLUGINS": "builtin"}  # installed plugins (kpiframe-notify has a section) stay out
CHAT_SCHEMA = {
    "type": "object",
    "description": "Where chat messages go.",
    "properties": {"channel": {"type": "string"}, "retries": {"type": "integer", "maximum": 5}},
    "required": ["channel"],
    "additionalProperties": False,
}


class Chat:
    """A plugin with a `chat:` section that records what the ready hook receives."""

    def __init__(self) -> None:
        self.seen: list[dict] = []

    @kpiframe.hookimpl
    def kpiframe_register_config_sections(self):
        return {"chat": CHAT_SCHEMA}

    @kpiframe.hookimpl
    def kpiframe_scorecard_ready(self, scorecard, config, history, previous):
        self.seen.append(
            {
                "chat": config.sections.get("chat"),
                "history": history,
                "previous": previous,
                "status": scorecard.metric("n").status,
            }
        )


def config_text(tickets, extra: str = "", target: str = ">= 1") -> str:
    return (
        f"version: 1\ntitle: T\nwindow: {{last: 7d}}\n{extra}sources: {{t: {{connector: parquet, path: {tickets},"
        f" time: created_at}}}}\nmetrics: {{n: {{calc: count, source: t, target: '{target}'}}}}\n"
    )


def test_a_registered_section_is_validated_and_reaches_the_hook_with_variables_substituted(tickets, write_config):
    chat = Chat()
    registry = make_plugin_manager(extra=[chat], environ=BUILTIN)
    path = write_config(config_text(tickets, "chat: {channel: '${CHANNEL}'}\n"))
    config = kpiframe.load_config(path, registry, environ={"CHANNEL": "kpi-alerts"})
    assert config.sections == {"chat": {"channel": "kpi-alerts"}}
    kpiframe.run(config, as_of=AS_OF, registry=registry)
    assert chat.seen[0]["chat"] == {"channel": "kpi-alerts"}
    assert chat.seen[0]["history"] is None and chat.seen[0]["previous"] is None


def test_a_wrong_section_is_a_config_error_with_file_line_and_column(tickets, write_config):
    registry = make_plugin_manager(extra=[Chat()], environ=BUILTIN)
    path = write_config(config_text(tickets, "chat:\n  channel: kpis\n  retries: 9\n"))
    with pytest.raises(ConfigError, match=r"kpis\.yaml:6:\d+: chat\.retries: .*9"):
        kpiframe.load_config(path, registry)


def test_a_section_no_plugin_registers_stays_an_unknown_key(tickets, write_config):
    path = write_config(config_text(tickets, "chat: {channel: kpis}\n"))
    with pytest.raises(ConfigError, match=r"kpis\.yaml:4:1: chat: unknown key 'chat'") as caught:
        kpiframe.load_config(path, make_plugin_manager(environ=BUILTIN))
    assert "a plugin's section needs its plugin: `kpiframe plugins` lists the loaded sections" in str(caught.value)


def test_two_plugins_registering_one_section_is_an_error_naming_both():
    with pytest.raises(PluginError, match="two plugins register the config section 'chat'"):
        make_plugin_manager(extra=[Chat(), Chat()], environ=BUILTIN)


@pytest.mark.parametrize("name", ["metrics", "Chat", "two words"])
def test_a_section_may_not_take_a_core_key_or_an_odd_name(name):
    class Greedy:
        @kpiframe.hookimpl
        def kpiframe_register_config_sections(self):
            return {name: {"type": "object"}}

    with pytest.raises(PluginError, match="expected a lower-case identifier"):
        make_plugin_manager(extra=[Greedy()], environ=BUILTIN)


def test_an_invalid_section_schema_is_refused_when_the_plugin_loads():
    class Broken:
        @kpiframe.hookimpl
        def kpiframe_register_config_sections(self):
            return {"chat": {"type": "nonsense"}}

    with pytest.raises(PluginError, match="schema of config section 'chat' is invalid"):
        make_plugin_manager(extra=[Broken()], environ=BUILTIN)


def test_kpiframe_plugins_lists_the_sections_with_their_package(monkeypatch, cli):
    import json

    monkeypatch.setattr(
        "kpiframe.plugins.make_plugin_manager", lambda: make_plugin_manager(extra=[Chat()], environ=BUILTIN)
    )
    result = cli("plugins", "--json")
    assert result.exit_code == 0
    rows = [r for r in json.loads(result.stdout) if r["kind"] == "section"]
    assert [(r["name"], r["package"], r["summary"]) for r in rows] == [("chat", "extra", "Where chat messages go")]


def test_the_editor_schema_includes_installed_sections():
    from kpiframe.config.schema import full_schema

    assert full_schema(make_plugin_manager(extra=[Chat()], environ=BUILTIN))["properties"]["chat"] == CHAT_SCHEMA


def test_previous_is_the_earlier_window_then_the_same_window_on_a_re_run(tickets, write_config, tmp_path):
    """Week 1 is recorded; week 2's first run follows week 1; week 2's re-run follows week 2's first run."""
    chat = Chat()
    registry = make_plugin_manager(extra=[chat], environ=BUILTIN)
    store = tmp_path / "h.duckdb"
    config = kpiframe.load_config(write_config(config_text(tickets)), registry)
    week1, week2 = AS_OF - timedelta(days=7), AS_OF
    first = kpiframe.run(config, as_of=week1, registry=registry, history=store)
    assert chat.seen[-1]["previous"] is None and chat.seen[-1]["history"] == str(store)
    kpiframe.run(config, as_of=week2, registry=registry, history=store)
    previous = chat.seen[-1]["previous"]
    assert previous.same_window is False
    assert previous.window_end == first.run.window.end == "2026-02-22T00:00:00Z"
    assert previous.scorecard["metrics"][0]["id"] == "n"
    kpiframe.run(config, as_of=week2, registry=registry, history=store)
    rerun = chat.seen[-1]["previous"]
    assert rerun.same_window is True
    assert (rerun.window_start, rerun.window_end) == ("2026-02-22T00:00:00Z", "2026-03-01T00:00:00Z")
    assert rerun.run_id != previous.run_id


def test_a_config_naming_an_installed_plugin_module_loads_it_once(tickets, write_config, tmp_path, monkeypatch):
    module = tmp_path / "chat_plugin.py"
    module.write_text(
        "import kpiframe\n\n@kpiframe.hookimpl\ndef kpiframe_register_config_sections():\n"
        "    return {'chat': {'type': 'object'}}\n"
    )
    monkeypatch.syspath_prepend(str(tmp_path))
    import chat_plugin

    registry = make_plugin_manager(["chat_plugin"], extra=[chat_plugin], environ=BUILTIN)
    assert list(registry.sections) == ["chat"]


def test_an_unbounded_window_follows_its_own_last_run(tickets, write_config, tmp_path):
    """`window: all` has no earlier window: each run follows the last run of all time."""
    chat = Chat()
    registry = make_plugin_manager(extra=[chat], environ=BUILTIN)
    config = kpiframe.load_config(write_config(config_text(tickets).replace("{last: 7d}", "all")), registry)
    store = tmp_path / "h.sqlite"
    kpiframe.run(config, as_of=AS_OF - timedelta(days=7), registry=registry, history=store)
    assert chat.seen[-1]["previous"] is None
    kpiframe.run(config, as_of=AS_OF, registry=registry, history=store)
    previous = chat.seen[-1]["previous"]
    assert (previous.same_window, previous.window_start, previous.window_end) == (True, None, None)
    assert previous.scorecard["run"]["as_of"] == "2026-02-22T00:00:00Z"
