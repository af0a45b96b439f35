"""Progress: the engine reports its steps to a callback; the terminal display appears only
on a terminal, never in CI or with --quiet, and never on stdout."""

from __future__ import annotations

import io

import kpiframe
from conftest import AS_OF


class Recorder:
    def __init__(self) -> None:
        self.steps: list[tuple[str, int, int | None]] = []

    def update(self, what: str, done: int, total: int | None = None) -> None:
        self.steps.append((what, done, total))


CONFIG = """
version: 1
window: {{last: 30d}}
sources:
  a: {{connector: parquet, path: {path}, time: created_at}}
  b: {{connector: parquet, path: {path}, time: created_at}}
metrics:
  n: {{calc: count, source: a, by: [channel]}}
  m: {{calc: count, source: b}}
"""


def test_the_engine_reports_sources_opened_and_scans(tickets, write_config):
    config, context = kpiframe.prepare(write_config(CONFIG.format(path=tickets)))
    context.progress = Recorder()
    card = kpiframe.run(config, as_of=AS_OF, context=context)
    steps = context.progress.steps
    assert [s for s in steps if s[0] == "sources opened"] == [
        ("sources opened", 0, 2),
        ("sources opened", 1, 2),
        ("sources opened", 2, 2),
    ]
    scans = [s for s in steps if s[0] == "source scans"]
    assert scans[-1] == ("source scans", card.run.scans, card.run.scans) == ("source scans", 2, 2)


def test_progress_is_wanted_only_on_a_terminal_outside_ci(monkeypatch):
    from kpiframe.progress import wanted

    class Terminal(io.StringIO):
        def isatty(self) -> bool:
            return True

    monkeypatch.delenv("CI", raising=False)
    assert wanted(False, Terminal()) is True
    assert wanted(True, Terminal()) is False  # --quiet
    assert wanted(False, io.StringIO()) is False  # a pipe or a file
    monkeypatch.setenv("CI", "true")
    assert wanted(False, Terminal()) is False


def test_a_run_on_a_pipe_prints_no_progress(tickets, write_config, cli):
    result = cli("run", write_config(CONFIG.format(path=tickets)), "--as-of", "2026-03-01")
    assert result.exit_code == 0 and "sources opened" not in result.stdout + result.stderr
