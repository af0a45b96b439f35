"""What a command imports is what it uses: start-up is most of a CI job's run (docs/performance.md).

Each command runs in a fresh interpreter, as a CI job pays for it, and reports which of
the modules below it imported.
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

from conftest import TICKETS, write_parquet

WATCHED = (
    "importlib.metadata",
    "jsonschema",
    "yaml",
    "http.client",
    "ssl",
    "tabulate",
    "xml.etree.ElementTree",
    "markupsafe",
    "rich.markdown",  # typer.rich_utils imports it for a markup mode kpiframe does not use
    "rich.traceback",  # ... and for pretty exceptions, which kpiframe turns off
    "pygments",
)


def imported(tmp_path: Path, *argv: str) -> set[str]:
    code = (
        "import sys, io, json, contextlib, kpiframe.cli as c\n"
        f"sys.argv = ['kpiframe', *{list(argv)!r}]\n"
        "try:\n    with contextlib.redirect_stdout(io.StringIO()):\n        c.main()\nexcept SystemExit:\n    pass\n"
        f"print('IMPORTED', json.dumps([m for m in {WATCHED!r} if m in sys.modules]))"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, cwd=tmp_path, check=True).stdout
    line = next(line for line in out.splitlines() if line.startswith("IMPORTED"))
    return set(json.loads(line.split(" ", 1)[1]))


def test_help_reads_no_package_metadata_and_no_config_machinery(tmp_path):
    assert imported(tmp_path, "--help") == set()


def test_a_usage_error_imports_neither_rich_markdown_nor_its_traceback_renderer(tmp_path):
    assert imported(tmp_path, "run") == set()
    assert imported(tmp_path, "validate", "--no-such-option") == set()


def test_a_quiet_run_to_json_imports_neither_jsonschema_nor_the_http_client_nor_other_reporters(tmp_path):
    write_parquet(tmp_path / "tickets.parquet", TICKETS)
    (tmp_path / "kpis.yaml").write_text(
        "version: 1\nsources: {t: {connector: parquet, path: tickets.parquet}}\n"
        "metrics: {n: {calc: count, source: t}, w: {calc: mean, source: t, params: {column: wait}}}\n"
    )
    found = imported(tmp_path, "run", "kpis.yaml", "--quiet", "-o", "json=out.json")
    assert (tmp_path / "out.json").exists()
    assert found == {"importlib.metadata", "yaml"}


def test_an_invalid_config_still_loads_jsonschema_for_its_messages(tmp_path):
    (tmp_path / "kpis.yaml").write_text("version: 1\nsources: {}\nmetrics: {n: {calc: count, sorce: t}}\n")
    assert "jsonschema" in imported(tmp_path, "validate", "kpis.yaml")
