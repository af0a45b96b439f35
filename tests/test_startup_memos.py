"""What a repeat run keeps from the last one: the installed plugins and the configs found valid.

Both answers are worked out again whenever what they are made of changes (an install, an
edited ``entry_points.txt``, another config, other code), never taken from an entry
another user could have written, and never kept for a config holding a ``${VAR}``'s value.
The oracle for entry points is ``importlib.metadata`` itself; for validity, jsonschema.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import textwrap
from importlib import metadata
from pathlib import Path

import pytest

from kpiframe.config import valid_before
from kpiframe.config.fast_validation import surely_valid
from kpiframe.entry_points import InstalledEntryPoint, installed_entry_points

GROUP = "kpiframe_memo_test"


def install(site: Path, name: str, version: str, entries: str) -> Path:
    """Lay out an installed distribution by hand, as pip writes one."""
    info = site / f"{name.replace('-', '_')}-{version}.dist-info"
    info.mkdir()
    (info / "METADATA").write_text(f"Metadata-Version: 2.1\nName: {name}\nVersion: {version}\n")
    (info / "entry_points.txt").write_text(f"[{GROUP}]\n{textwrap.dedent(entries)}")
    return info


def stdlib_answer() -> list[InstalledEntryPoint]:
    return [
        InstalledEntryPoint(ep.name, ep.value, ep.dist.name if ep.dist else None, ep.dist.version if ep.dist else None)
        for ep in metadata.entry_points(group=GROUP)
    ]


@pytest.fixture
def site(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    folder = tmp_path / "site"
    folder.mkdir()
    monkeypatch.syspath_prepend(str(folder))
    return folder


def entry_files(cache: Path, kind: str) -> list[Path]:
    folder = cache / kind
    return sorted(folder.iterdir()) if folder.exists() else []


def test_entry_points_are_what_importlib_metadata_finds_and_are_kept(site, compiled_query_cache):
    install(site, "acme-one", "1.0", "one = acme_one\n")
    assert (
        installed_entry_points(GROUP) == stdlib_answer() == [InstalledEntryPoint("one", "acme_one", "acme-one", "1.0")]
    )
    assert len(entry_files(compiled_query_cache, "entry-points")) == 1


def test_a_package_installed_after_the_first_run_is_found_by_the_next(site):
    install(site, "acme-one", "1.0", "one = acme_one\n")
    installed_entry_points(GROUP)
    install(site, "acme-two", "2.0", "two = acme_two:plugin\n")
    assert [ep.name for ep in installed_entry_points(GROUP)] == ["one", "two"]
    assert installed_entry_points(GROUP) == stdlib_answer()


def test_an_upgrade_and_an_edited_entry_points_file_are_found(site):
    info = install(site, "acme-one", "1.0", "one = acme_one\n")
    installed_entry_points(GROUP)
    (info / "entry_points.txt").write_text(f"[{GROUP}]\none = acme_one.v2:plugin\nextra = acme_one\n")
    assert installed_entry_points(GROUP) == stdlib_answer()
    assert {ep.value for ep in installed_entry_points(GROUP)} == {"acme_one.v2:plugin", "acme_one"}
    info.rename(site / "acme_one-1.1.dist-info")
    (site / "acme_one-1.1.dist-info" / "METADATA").write_text("Metadata-Version: 2.1\nName: acme-one\nVersion: 1.1\n")
    assert {ep.version for ep in installed_entry_points(GROUP)} == {"1.1"}
    # A version changed in place (no new folder name), as a hand edit or an odd installer does it.
    (site / "acme_one-1.1.dist-info" / "METADATA").write_text(
        "Metadata-Version: 2.1\nName: acme-one\nVersion: 1.1.post1\n"
    )
    assert {ep.version for ep in installed_entry_points(GROUP)} == {"1.1.post1"}
    assert installed_entry_points(GROUP) == stdlib_answer()


def test_an_uninstalled_package_is_gone_from_the_next_answer(site):
    info = install(site, "acme-one", "1.0", "one = acme_one\n")
    installed_entry_points(GROUP)
    for file in info.iterdir():
        file.unlink()
    info.rmdir()
    assert installed_entry_points(GROUP) == [] == stdlib_answer()


def test_a_distribution_folder_with_an_upper_case_suffix_is_found_by_the_next_run(site):
    # importlib.metadata matches ``.dist-info`` / ``.egg-info`` case-insensitively.
    install(site, "acme-one", "1.0", "one = acme_one\n")
    installed_entry_points(GROUP)
    info = install(site, "acme-two", "2.0", "two = acme_two\n")
    info.rename(site / "acme_two-2.0.DIST-INFO")
    assert installed_entry_points(GROUP) == stdlib_answer()
    assert {ep.name for ep in installed_entry_points(GROUP)} == {"one", "two"}


def test_an_edited_entry_points_file_of_an_egg_on_sys_path_is_found(tmp_path, monkeypatch, compiled_query_cache):
    # An ``.egg`` folder on sys.path (easy_install, eggs in .pth files) has its metadata in ``EGG-INFO``.
    egg = tmp_path / "acme_egg-1.0-py3.11.egg"
    (egg / "EGG-INFO").mkdir(parents=True)
    (egg / "EGG-INFO" / "PKG-INFO").write_text("Metadata-Version: 1.1\nName: acme-egg\nVersion: 1.0\n")
    (egg / "EGG-INFO" / "entry_points.txt").write_text(f"[{GROUP}]\none = acme_egg\n")
    monkeypatch.syspath_prepend(str(egg))
    assert (
        installed_entry_points(GROUP) == stdlib_answer() == [InstalledEntryPoint("one", "acme_egg", "acme-egg", "1.0")]
    )
    (egg / "EGG-INFO" / "entry_points.txt").write_text(f"[{GROUP}]\none = acme_egg.v2:plugin\n")
    assert installed_entry_points(GROUP) == stdlib_answer()
    assert [ep.value for ep in installed_entry_points(GROUP)] == ["acme_egg.v2:plugin"]


def test_a_relative_sys_path_entry_is_read_afresh_from_another_working_folder(
    tmp_path, monkeypatch, compiled_query_cache
):
    # importlib.metadata reads a relative entry against the working folder of the moment; two
    # trees unpacked alike (same names, sizes and times, as tar and cp -p keep them) differ only there.
    for tree, module in (("a", "acme_a"), ("b", "acme_b")):
        (tmp_path / tree / "plug").mkdir(parents=True)
        info = install(tmp_path / tree / "plug", "acme-one", "1.0", f"one = {module}\n")
        for file in info.iterdir():
            os.utime(file, ns=(1_000_000_000, 1_000_000_000))
    monkeypatch.syspath_prepend("plug")
    monkeypatch.chdir(tmp_path / "a")
    assert [ep.value for ep in installed_entry_points(GROUP)] == ["acme_a"]
    monkeypatch.chdir(tmp_path / "b")
    assert installed_entry_points(GROUP) == stdlib_answer()
    assert [ep.value for ep in installed_entry_points(GROUP)] == ["acme_b"]


@pytest.mark.parametrize("planted", ["group-writable", "damaged", "another key's"])
def test_an_entry_points_entry_that_is_not_trustworthy_is_ignored(site, compiled_query_cache, planted):
    install(site, "acme-one", "1.0", "one = acme_one\n")
    installed_entry_points(GROUP)
    (entry,) = entry_files(compiled_query_cache, "entry-points")
    forged = {"key": entry.stem, "entry_points": [["one", "os:system", "acme-one", "1.0"]]}
    if planted == "damaged":
        entry.write_text('{"key": ')
    elif planted == "another key's":
        entry.write_text(json.dumps({**forged, "key": "0" * 64}))
    else:
        entry.write_text(json.dumps(forged))
        os.chmod(entry, 0o666)
    assert installed_entry_points(GROUP) == [InstalledEntryPoint("one", "acme_one", "acme-one", "1.0")]


@pytest.mark.parametrize(
    "entry_points",
    [
        ["abcd"],  # a string of four characters, not a list of four fields
        [{"name": 1, "value": 2, "package": 3, "version": 4}],  # an object of four keys
        [["one", "acme_one", "acme-one"]],  # three fields
        [["one", "acme_one", "acme-one", "1.0", "extra"]],  # five fields
        {"one": 1},  # not a list
    ],
)
def test_an_entry_points_entry_of_the_wrong_shape_is_ignored(site, compiled_query_cache, entry_points):
    install(site, "acme-one", "1.0", "one = acme_one\n")
    installed_entry_points(GROUP)
    (entry,) = entry_files(compiled_query_cache, "entry-points")
    entry.write_text(json.dumps({"key": entry.stem, "entry_points": entry_points}))
    assert installed_entry_points(GROUP) == [InstalledEntryPoint("one", "acme_one", "acme-one", "1.0")]


@pytest.mark.parametrize("value", ["json", "json:dumps", "os.path:join", "json : dumps", "json:JSONDecoder.decode [x]"])
def test_loading_an_entry_point_finds_what_importlib_metadata_finds(value):
    ours = InstalledEntryPoint("x", value, None, None).load()
    assert ours is metadata.EntryPoint("x", value, GROUP).load()


def test_with_the_cache_off_nothing_is_written(site, compiled_query_cache, monkeypatch):
    monkeypatch.setenv("KPIFRAME_CACHE_DIR", "off")
    install(site, "acme-one", "1.0", "one = acme_one\n")
    assert installed_entry_points(GROUP) == stdlib_answer()
    assert valid_before.known("{}", {}) is False
    assert not (Path("off").exists())


SCHEMA = {"type": "object", "properties": {"n": {"type": "integer"}}, "additionalProperties": False}
SCHEMA_KEY = json.dumps(SCHEMA, sort_keys=True)


def test_a_yes_is_kept_and_a_no_is_not(compiled_query_cache):
    assert surely_valid({"n": 1}, SCHEMA)
    assert not surely_valid({"n": "one"}, SCHEMA)
    assert valid_before.known(SCHEMA_KEY, {"n": 1})
    assert not valid_before.known(SCHEMA_KEY, {"n": "one"})
    assert len(entry_files(compiled_query_cache, "valid")) == 1


def test_a_kept_yes_is_what_answers_and_only_a_trusted_one(compiled_query_cache):
    """A planted yes for an invalid instance: taken when it is the user's own (so the memo is what
    answers), ignored when others could have written it."""
    name = valid_before._name(SCHEMA_KEY, {"n": "one"})
    folder = compiled_query_cache / "valid"
    folder.mkdir(mode=0o700)
    marker = folder / str(name)
    marker.touch(mode=0o600)
    os.chmod(marker, 0o600)
    assert surely_valid({"n": "one"}, SCHEMA)
    os.chmod(marker, 0o666)
    assert not surely_valid({"n": "one"}, SCHEMA)


def test_remember_false_keeps_nothing(compiled_query_cache):
    assert surely_valid({"n": 1}, SCHEMA, remember=False)
    assert entry_files(compiled_query_cache, "valid") == []


def run_cli(tmp_path: Path, *argv: str, env: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
    code = (
        "import sys, json, kpiframe.cli as c\n"
        f"sys.argv = ['kpiframe', *{list(argv)!r}]\n"
        "try:\n    c.main()\nexcept SystemExit as exit:\n    code = exit.code\n"
        "watched = ('importlib.metadata', 'jsonschema_rs', 'jsonschema')\n"
        "print('IMPORTED', json.dumps([m for m in watched if m in sys.modules]), code)"
    )
    return subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, cwd=tmp_path, env={**os.environ, **(env or {})}
    )


def imported(result: subprocess.CompletedProcess[str]) -> tuple[set[str], str]:
    line = next(line for line in result.stdout.splitlines() if line.startswith("IMPORTED"))
    names, code = line.removeprefix("IMPORTED ").rsplit(" ", 1)
    return set(json.loads(names)), code


CONFIG = """\
version: 1
sources:
  t: {connector: csv, path: "t.csv"}
metrics:
  n: {calc: count, source: t}
"""


def test_a_repeat_validate_imports_neither_package_metadata_nor_a_json_schema_validator(tmp_path):
    (tmp_path / "kpis.yaml").write_text(CONFIG)
    first, code = imported(run_cli(tmp_path, "validate", "kpis.yaml"))
    assert code == "0" and {"importlib.metadata", "jsonschema_rs"} <= first
    again, code = imported(run_cli(tmp_path, "validate", "kpis.yaml"))
    assert code == "0" and again == set()


def test_an_edited_config_is_validated_again_and_its_mistake_reported(tmp_path):
    (tmp_path / "kpis.yaml").write_text(CONFIG)
    run_cli(tmp_path, "validate", "kpis.yaml")
    (tmp_path / "kpis.yaml").write_text(CONFIG.replace("calc: count", "calc: count, sorce: t"))
    result = run_cli(tmp_path, "validate", "kpis.yaml")
    assert imported(result)[1] == "2"
    assert "kpis.yaml:5" in result.stderr + result.stdout and "sorce" in result.stderr + result.stdout


def test_a_config_with_a_variable_leaves_no_hash_of_its_value(tmp_path, compiled_query_cache):
    (tmp_path / "kpis.yaml").write_text(CONFIG.replace('"t.csv"', '"${TICKETS_FILE}"'))
    result = run_cli(tmp_path, "validate", "kpis.yaml", env={"TICKETS_FILE": "s3cret-t.csv"})
    assert imported(result)[1] == "0", result.stderr
    # Only what was checked before substitution (the include and defaults keys) may be kept:
    # a run with another value keeps nothing new, so nothing kept depends on the value.
    before = set(entry_files(compiled_query_cache, "valid"))
    run_cli(tmp_path, "validate", "kpis.yaml", env={"TICKETS_FILE": "other-t.csv"})
    assert set(entry_files(compiled_query_cache, "valid")) == before
