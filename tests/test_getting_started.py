"""The getting-started page stays true: its commands run against its own config as written."""

from __future__ import annotations

import re
import shlex
import shutil
from pathlib import Path

PAGE = Path(__file__).parents[1] / "docs" / "getting-started.md"


def first_config_section() -> str:
    return PAGE.read_text().split("## Your first config\n", 1)[1].split("\n## ", 1)[0]


def page_commands() -> list[list[str]]:
    """The ``$ kpiframe ...`` lines of the section's console block, comments dropped."""
    (block,) = re.findall(r"```console\n(.*?)```", first_config_section(), re.S)
    lines = [line.removeprefix("$ ") for line in block.splitlines() if line.startswith("$ kpiframe ")]
    return [shlex.split(line, comments=True)[1:] for line in lines]


def test_the_getting_started_commands_run_against_the_pages_config(tmp_path, cli, monkeypatch):
    from kpiframe.sample_data import write_sample_data

    (config,) = re.findall(r"```yaml\n(.*?)```", first_config_section(), re.S)
    write_sample_data(tmp_path / "sample", tickets=300, seed=5)
    shutil.copy(tmp_path / "sample" / "tickets.csv", tmp_path / "tickets.csv")
    (tmp_path / "kpis.yaml").write_text(config)
    monkeypatch.chdir(tmp_path)
    commands = page_commands()
    assert len(commands) >= 6 and any("--select" in c for c in commands)
    for args in commands:
        result = cli(*args)
        # 0 or 1 (a target failed) are results; 2 would mean the page's own example is wrong.
        assert result.exit_code in (0, 1), f"kpiframe {shlex.join(args)}: {result.output}"
    assert (tmp_path / "scorecard.json").is_file() and (tmp_path / "report.html").is_file()
