"""Hostile and careless input found by probing the CLI: each case ends with a contract
exit code and a located, fixable message, never a crash (exit 4) or a raw Python error."""

from __future__ import annotations

import textwrap
from pathlib import Path

import pytest

from conftest import TICKETS, write_parquet

#: Longer than any file system's NAME_MAX (255 bytes on ext4, xfs, btrfs, tmpfs, APFS).
LONG_NAME = "x" * 300

CONFIG = """
version: 1
as_of: "2026-03-01T00:00:00Z"
window: {{last: 30d}}
{include}
sources:
  t: {{connector: parquet, path: tickets.parquet, time: created_at}}
metrics:
  n: {{calc: count, source: t, target: ">= 1"}}
  {extra}
"""


@pytest.fixture
def folder(tmp_path: Path) -> Path:
    write_parquet(tmp_path / "tickets.parquet", TICKETS)
    return tmp_path


def config(folder: Path, include: str = "", extra: str = "") -> Path:
    path = folder / "kpis.yaml"
    path.write_text(textwrap.dedent(CONFIG.format(include=include, extra=extra)).lstrip(), encoding="utf-8")
    return path


def assert_clean(result, code: int, *needles: str) -> str:
    output = result.stdout + result.stderr
    assert result.exit_code == code, output
    assert "Traceback" not in output and "kpiframe crashed" not in output, output
    for needle in needles:
        assert needle in output, output
    return output


# --- paths the file system refuses: usage errors, not crashes --------------------------------


@pytest.mark.parametrize(
    ("item", "message"),
    [
        ('["a\\0b.yaml"]', "the included path holds a NUL byte"),
        ("[~no-such-user-kpiframe/shared.yaml]", "included file not found: ~no-such-user-kpiframe/shared.yaml"),
        (f"[{LONG_NAME}.yaml]", "File name too long"),
        (f"[{LONG_NAME}/shared.yaml]", "File name too long"),
    ],
    ids=["nul-byte", "unknown-home", "long-name", "long-folder"],
)
def test_an_include_path_the_file_system_refuses_is_a_located_config_error(folder, cli, item, message):
    path = config(folder, include=f"include: {item}")
    assert_clean(cli("validate", path), 2, "kpis.yaml:4:11: include[0]", message)


def test_a_config_name_too_long_for_the_file_system_is_a_config_error(folder, cli):
    assert_clean(cli("validate", folder / f"{LONG_NAME}.yaml"), 2, "File name too long")


@pytest.mark.parametrize("option", ["-o", "--history"])
def test_an_output_or_history_name_too_long_for_the_file_system_is_a_usage_error(folder, cli, option):
    target = folder / f"{LONG_NAME}.{'json' if option == '-o' else 'duckdb'}"
    output = assert_clean(cli("run", config(folder), option, target), 2, "File name too long", "give another path")
    assert LONG_NAME not in output  # the name is cut in the middle, not printed whole


def test_sample_data_into_a_folder_name_too_long_is_a_usage_error(folder, cli):
    assert_clean(cli("sample-data", folder / LONG_NAME / "data"), 2, "File name too long")


# --- plugins written for another kpiframe ------------------------------------------------------


@pytest.mark.parametrize(
    ("source", "message"),
    [
        (
            "from kpiframe import hookimpl\n\n@hookimpl\n"
            "def kpiframe_scorecard_ready(scorecard, config, history, previous):\n    pass\n",
            "does not fit this kpiframe's hooks",
        ),
        ('KPIFRAME_PLUGIN_API = "one"\n', "was written for kpiframe plugin API one"),
    ],
    ids=["hook-arguments-from-a-newer-kpiframe", "api-version-not-a-number"],
)
def test_a_plugin_that_does_not_fit_this_kpiframe_is_a_plugin_error(folder, cli, source, message):
    (folder / "mine.py").write_text(source, encoding="utf-8")
    path = config(folder, include="plugins: [mine.py]")
    assert_clean(cli("validate", path), 2, "plugins", message)
