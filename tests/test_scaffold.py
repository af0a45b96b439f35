"""`kpiframe new plugin`: each kind installs, registers, and passes its contract tests as generated."""

from __future__ import annotations

import os
import subprocess
import sys

import pytest


@pytest.mark.slow
@pytest.mark.parametrize("kind", ["connector", "calculator", "reporter"])
def test_a_new_plugin_installs_registers_and_passes_its_tests(tmp_path, cli, kind):
    name = f"demo_{kind}"
    result = cli("new", "plugin", name, "--kind", kind, "--output", tmp_path)
    assert result.exit_code == 0, result.stderr
    package = tmp_path / f"kpiframe-demo-{kind}"
    target = tmp_path / "site"
    subprocess.run([sys.executable, "-m", "pip", "install", "--quiet", "--no-deps", "--no-build-isolation", "--target", str(target), str(package)], check=True, capture_output=True)
    env = {**os.environ, "PYTHONPATH": str(target), "NO_COLOR": "1"}
    listing = subprocess.run([sys.executable, "-m", "kpiframe", "plugins"], env=env, capture_output=True, text=True, check=True).stdout
    assert f"kpiframe-demo-{kind.replace('_', '-')} 0.1.0" in listing
    tests = subprocess.run([sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", str(package / "tests")], env=env, capture_output=True, text=True, cwd=package)
    assert tests.returncode == 0, tests.stdout + tests.stderr
    assert " passed" in tests.stdout


def test_new_plugin_refuses_bad_names_and_existing_folders(tmp_path, cli):
    assert cli("new", "plugin", "Bad-Name", "--output", tmp_path).exit_code == 2
    assert cli("new", "plugin", "ok", "--output", tmp_path).exit_code == 0
    again = cli("new", "plugin", "ok", "--output", tmp_path)
    assert again.exit_code == 2 and "never overwrites" in again.stderr
