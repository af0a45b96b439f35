"""The docs stay true: generated pages are fresh, and the plugin guide's examples run as written."""

from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

import kpiframe
from conftest import AS_OF, TICKETS

ROOT = Path(__file__).parents[1]
GUIDE = ROOT / "docs" / "plugins.md"


def example(hook: str) -> str:
    """The first python block in the guide's section for ``hook``."""
    section = GUIDE.read_text().split(f"## {hook}\n", 1)[1].split("\n## ", 1)[0]
    match = re.search(r"```python\n(.*?)```", section, re.S)
    assert match, f"no python example under ## {hook}"
    return match.group(1)


def test_the_plugin_guide_examples_pass_the_test_kit_as_the_guide_writes_it(tmp_path):
    # The guide's own connector, calculator and reporter are the package its
    # "Testing your plugin" block imports; that block runs under pytest as written.
    plugin = "\n\n".join(
        example(hook)
        for hook in ("kpiframe_register_connectors", "kpiframe_register_calculators", "kpiframe_register_reporters")
    )
    (tmp_path / "my_pkg.py").write_text(plugin)
    (tmp_path / "test_guide.py").write_text(example("Testing your plugin"))
    env = {**os.environ, "PYTHONPATH": os.pathsep.join([str(tmp_path), *sys.path])}
    result = subprocess.run(
        [sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", "test_guide.py"],
        cwd=tmp_path,
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert result.returncode == 0, result.stdout[-3000:] + result.stderr[-2000:]
    collected = re.search(r"(\d+) passed", result.stdout)
    assert collected and int(collected.group(1)) >= 3 * 3, result.stdout[-1000:]


def test_generated_reference_pages_are_fresh():
    result = subprocess.run([sys.executable, "-m", "kpiframe.docs_gen", "--check"], capture_output=True, text=True)
    assert result.returncode == 0, result.stderr


def test_the_plugin_guide_examples_work_as_written(tmp_path, tickets, write_config, capsys):
    hooks = [
        "kpiframe_register_connectors",
        "kpiframe_register_calculators",
        "kpiframe_register_reporters",
        "kpiframe_scorecard_ready",
        "kpiframe_register_presets",
        "kpiframe_register_config_sections",
    ]
    for i, hook in enumerate(hooks):
        (tmp_path / f"example_{i}.py").write_text(example(hook))
    (tmp_path / "numbers.csv").write_text(
        "id,wait\n" + "".join(f"{t['id']},{t['wait'] if t['wait'] is not None else ''}\n" for t in TICKETS)
    )
    path = write_config("""
        version: 1
        title: Guide
        plugins: [example_0.py, example_1.py, example_2.py, example_3.py, example_4.py, example_5.py]
        chat: {channel: kpis}
        window: all
        sources:
          n: {connector: numbers, path: numbers.csv}
        metrics:
          spread: {calc: mytool.spread, source: n, params: {column: wait}, target: "<= 10"}
        """)
    config, context = kpiframe.prepare(path)
    card = kpiframe.run(config, as_of=AS_OF, context=context)
    waits = [t["wait"] for t in TICKETS if t["wait"] is not None]
    assert card.metric("spread").value == pytest.approx(max(waits) - min(waits))
    assert card.metric("spread").status == "fail"
    assert "Guide: 1 KPIs failed: spread" in capsys.readouterr().out
    assert context.registry.reporter("counts").render(card, {}) == "pass=0 info=0 warn=0 no_data=0 fail=1 error=0\n"
    assert context.registry.presets["mytool.helpscout"].obj.columns["agent"] == "Assignee"
