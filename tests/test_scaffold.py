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
            str(package),
        ],
        check=True,
        capture_output=True,
    )
    env = {**os.environ, "PYTHONPATH": str(target), "NO_COLOR": "1"}
    listing = subprocess.run(
        [sys.executable, "-m", "kpiframe", "plugins"], env=env, capture_output=True, text=True, check=True
    ).stdout
    assert f"kpiframe-demo-{kind.replace('_', '-')} 0.1.0" in listing
    tests = subprocess.run(
        [sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", str(package / "tests")],
        env=env,
        capture_output=True,
        text=True,
        cwd=package,
    )
    assert tests.returncode == 0, tests.stdout + tests.stderr
    assert " passed" in tests.stdout


def test_new_plugin_refuses_bad_names_and_existing_folders(tmp_path, cli):
    assert cli("new", "plugin", "Bad-Name", "--output", tmp_path).exit_code == 2
    assert cli("new", "plugin", "ok", "--output", tmp_path).exit_code == 0
    again = cli("new", "plugin", "ok", "--output", tmp_path)
    assert again.exit_code == 2 and "never overwrites" in again.stderr


def test_a_hyphenated_name_gives_the_distribution_and_module_names_the_zendesk_plugin_has(tmp_path, cli):
    result = cli("new", "plugin", "acme-metrics", "--kind", "calculator", "--output", tmp_path)
    assert result.exit_code == 0, result.stderr
    root = tmp_path / "kpiframe-acme-metrics"
    assert (root / "src" / "kpiframe_acme_metrics" / "__init__.py").is_file()
    pyproject = (root / "pyproject.toml").read_text()
    assert 'name = "kpiframe-acme-metrics"' in pyproject and 'acme_metrics = "kpiframe_acme_metrics"' in pyproject
    assert 'name = "acme_metrics.range"' in (root / "src" / "kpiframe_acme_metrics" / "__init__.py").read_text()


@pytest.mark.parametrize(
    ("name", "kind"), [("csv", "connector"), ("parquet", "connector"), ("json", "reporter"), ("html", "reporter")]
)
def test_a_name_that_clashes_with_an_installed_plugin_is_refused(tmp_path, cli, name, kind):
    result = cli("new", "plugin", name, "--kind", kind, "--output", tmp_path)
    assert result.exit_code == 2 and f"a {kind} named {name!r} is already installed" in result.stderr
    assert not any(tmp_path.iterdir())


def test_generated_packages_filter_the_warnings_kpiframe_s_own_suite_filters():
    import tomllib
    from pathlib import Path

    from kpiframe.scaffold import THIRD_PARTY_WARNINGS

    ours = tomllib.loads((Path(__file__).parents[1] / "pyproject.toml").read_text())["tool"]["pytest"]["ini_options"][
        "filterwarnings"
    ]
    assert tuple(ours) == THIRD_PARTY_WARNINGS


def test_the_generated_pyproject_carries_the_filters(tmp_path, cli):
    import tomllib

    from kpiframe.scaffold import THIRD_PARTY_WARNINGS

    assert cli("new", "plugin", "acme", "--output", tmp_path).exit_code == 0
    generated = tomllib.loads((tmp_path / "kpiframe-acme" / "pyproject.toml").read_text())
    assert tuple(generated["tool"]["pytest"]["ini_options"]["filterwarnings"]) == THIRD_PARTY_WARNINGS
