"""The GitHub Action, the GitLab template and the pre-commit hooks: they parse, and name only real commands.

Every ``kpiframe ...`` command line in them (and in docs/ci.md's examples) is
checked against the Typer app's own parameters, so renaming an option breaks
this test rather than every user's pipeline. The action's run script is run
for real with bash against a failing config.
"""

from __future__ import annotations

import os
import re
import shlex
import shutil
import subprocess
import sys
from pathlib import Path
from typing import Any

import click
import pytest
import typer.main
import yaml

from kpiframe.cli import app

ROOT = Path(__file__).parents[1]
ACTION = ROOT / "action.yml"
GITLAB = ROOT / "ci" / "gitlab" / "kpiframe.gitlab-ci.yml"
HOOKS = ROOT / ".pre-commit-hooks.yaml"
CI_DOC = ROOT / "docs" / "ci.md"


def load(path: Path) -> Any:
    return yaml.safe_load(path.read_text(encoding="utf-8"))


def kpiframe_commands(text: str) -> list[str]:
    """Each ``kpiframe ...`` command in a script or a YAML block, continuation lines joined."""
    joined = re.sub(r"\\\n\s*", " ", text)
    commands = []
    for line in joined.splitlines():
        code = re.sub(r"(^|\s)#.*$", "", line)  # a comment (YAML's or the shell's) runs nothing
        match = re.search(r"(?:^|[\s;&|(])kpiframe(\s+.*|$)", code)
        if match:
            commands.append("kpiframe" + match.group(1).rstrip())
    return commands


def resolve(command: str) -> tuple[click.Command, list[str]]:
    """The click command a ``kpiframe ...`` line runs, and every option it names (``--x=v`` → ``--x``)."""
    # `${AS_OF:+"--as-of=$AS_OF"}` passes its option only when the variable is set: check the option.
    words = shlex.split(re.sub(r"\$\{\w+:\+([^{}]*)\}", r"\1", command), comments=True)[1:]
    node: click.Command = typer.main.get_command(app)
    options = []
    for word in words:
        if word.startswith("-"):
            options.append((node, word.split("=", 1)[0]))
        elif isinstance(node, click.Group) and not word.startswith("$"):
            assert word in node.commands, f"{command!r}: kpiframe has no command {word!r} ({', '.join(node.commands)})"
            node = node.commands[word]
    named = []
    for owner, option in options:
        known = {opt for param in owner.params for opt in (*param.opts, *param.secondary_opts)} | {"--help", "-h"}
        assert option in known, (
            f"{command!r}: `{owner.name}` has no option {option} (it has {', '.join(sorted(known))})"
        )
        named.append(option)
    return node, named


def scripts_of_action() -> list[str]:
    return [step["run"] for step in load(ACTION)["runs"]["steps"] if "run" in step]


def gitlab_script() -> str:
    job = load(GITLAB)[".kpiframe"]
    return "\n".join(job["script"])


def test_the_command_checker_catches_a_renamed_option_and_a_missing_command():
    with pytest.raises(AssertionError, match="has no option --as_of"):
        resolve('kpiframe run kpis.yaml --as_of "$X"')
    with pytest.raises(AssertionError, match="no command 'check'"):
        resolve("kpiframe check kpis.yaml")
    command, options = resolve('kpiframe --no-config-plugins history list "$H" --limit 5')
    assert command.name == "list" and options == ["--no-config-plugins", "--limit"]


def test_the_action_runs_kpiframe_with_existing_options_only():
    commands = [c for script in scripts_of_action() for c in kpiframe_commands(script)]
    assert len(commands) == 2  # `kpiframe --version` after installing, then the run
    command, options = resolve(commands[1])
    assert command.name == "run"
    assert set(options) == {"--fail-on", "--output", "--history", "--as-of"}
    resolve(commands[0])


def test_the_action_declares_every_input_it_uses_and_exposes_the_exit_code():
    action = load(ACTION)
    text = ACTION.read_text(encoding="utf-8")
    used = set(re.findall(r"inputs\.([a-z][a-z0-9-]*)", text))
    assert used == set(action["inputs"]), "an input is used without being declared, or declared and never used"
    assert action["inputs"]["config"]["required"] is True
    assert action["runs"]["using"] == "composite"
    assert action["outputs"]["exit-code"]["value"] == "${{ steps.run.outputs.exit-code }}"
    steps = {step.get("uses", "").split("@")[0]: step for step in action["runs"]["steps"]}
    assert {"actions/cache/restore", "actions/cache/save", "actions/upload-artifact"} <= set(steps)
    # Re-runs safe: the history is saved after a red run too, under a key a re-run restores first.
    save, restore = steps["actions/cache/save"], steps["actions/cache/restore"]
    assert save["if"].startswith("always()") and save["with"]["key"] == restore["with"]["key"]
    assert restore["with"]["key"].startswith(restore["with"]["restore-keys"].splitlines()[0])
    assert steps["actions/upload-artifact"]["if"].startswith("always()")
    last = action["runs"]["steps"][-1]
    assert last["run"] == 'exit "$CODE"' and last["env"]["CODE"] == "${{ steps.run.outputs.exit-code }}"


INPUTS = re.compile(r"\$\{\{\s*inputs\.([a-z-]+)\s*\}\}")


def step_env(step: dict[str, Any], inputs: dict[str, str]) -> dict[str, str]:
    """A step's env with ``${{ inputs.x }}`` filled in, as the runner would."""
    return {name: INPUTS.sub(lambda m: inputs[m.group(1)], value) for name, value in step["env"].items()}


def failing_gate(folder: Path) -> dict[str, str]:
    """A config whose max_wait (300) misses its target (<= 200), and the environment to run a CI script in."""
    (folder / "waits.csv").write_text("ts,wait\n2026-02-10T10:00:00,10\n2026-02-11T10:00:00,300\n", encoding="utf-8")
    (folder / "kpis.yaml").write_text(
        'version: 1\ntitle: Waits\nas_of: "2026-03-01T00:00:00Z"\nwindow: {last: 30d}\n'
        "sources: {waits: {connector: csv, path: waits.csv, time: ts}}\n"
        'metrics: {max_wait: {calc: max, source: waits, params: {column: wait}, target: "<= 200"}}\n',
        encoding="utf-8",
    )
    bin_dir = folder / "bin"
    bin_dir.mkdir()
    # `kpiframe` as the installed console script would run, with this checkout's source.
    (bin_dir / "kpiframe").write_text(f'#!/bin/sh\nexec "{sys.executable}" -m kpiframe "$@"\n', encoding="utf-8")
    (bin_dir / "kpiframe").chmod(0o755)
    return {
        **os.environ,
        "PATH": f"{bin_dir}{os.pathsep}{os.environ['PATH']}",
        "PYTHONPATH": os.pathsep.join([str(ROOT / "src"), os.environ.get("PYTHONPATH", "")]),
    }


def recorded_statuses(store: Path) -> list[str]:
    from kpiframe.history import open_history

    return [run.status for run in open_history(str(store)).runs("Waits")]


@pytest.mark.skipif(shutil.which("bash") is None, reason="the action's scripts are bash")
def test_the_actions_run_step_writes_the_reports_the_summary_and_kpiframes_exit_code(tmp_path):
    base_env = failing_gate(tmp_path)
    action = load(ACTION)
    inputs = {name: str(spec.get("default", "")) for name, spec in action["inputs"].items()} | {"config": "kpis.yaml"}
    step = next(step for step in action["runs"]["steps"] if step.get("id") == "run")
    env = {
        **base_env,
        **step_env(step, inputs),
        "GITHUB_OUTPUT": str(tmp_path / "output.txt"),
        "GITHUB_STEP_SUMMARY": str(tmp_path / "summary.md"),
    }
    done = subprocess.run(["bash", "-e", "-c", step["run"]], cwd=tmp_path, env=env, capture_output=True, text=True)
    assert done.returncode == 0, done.stderr  # the step itself succeeds; the last step exits with the code
    assert (tmp_path / "output.txt").read_text(encoding="utf-8") == "exit-code=1\n"
    assert "<testcase" in (tmp_path / "kpi-report.xml").read_text(encoding="utf-8")
    assert "<!doctype html>" in (tmp_path / "kpi-report.html").read_text(encoding="utf-8").lower()
    assert "max_wait" in (tmp_path / "summary.md").read_text(encoding="utf-8").lower().replace(" ", "_")
    assert recorded_statuses(tmp_path / "kpi-history.duckdb") == ["fail"]
    # step-summary: false leaves the summary alone; an as-of reaches kpiframe (before 11 Feb: max 10 passes).
    (tmp_path / "summary.md").unlink()
    env.update(step_env(step, inputs | {"step-summary": "false", "as-of": "2026-02-11", "history": ""}))
    done = subprocess.run(["bash", "-e", "-c", step["run"]], cwd=tmp_path, env=env, capture_output=True, text=True)
    assert (tmp_path / "output.txt").read_text(encoding="utf-8").splitlines()[-1] == "exit-code=0", done.stderr
    assert not (tmp_path / "summary.md").exists()


def test_the_gitlab_template_is_a_hidden_job_with_history_cache_and_reports():
    job = load(GITLAB)[".kpiframe"]
    commands = kpiframe_commands(gitlab_script())
    assert len(commands) == 1
    command, options = resolve(commands[0])
    assert command.name == "run" and {"--history", "--output", "--fail-on", "--as-of"} <= set(options)
    history = re.search(r"--history (\S+)", commands[0]).group(1)  # type: ignore[union-attr]
    assert job["cache"]["paths"] == [history] and job["cache"]["when"] == "always"
    assert "$CI_COMMIT_REF_SLUG" in job["cache"]["key"]
    assert job["artifacts"]["when"] == "always"
    junit = job["artifacts"]["reports"]["junit"]
    assert f"junit={junit}" in commands[0]
    html = re.search(r"html=(\S+)", commands[0]).group(1)  # type: ignore[union-attr]
    assert html in job["artifacts"]["paths"]


@pytest.mark.skipif(shutil.which("sh") is None, reason="GitLab runs the script with a POSIX shell")
def test_the_gitlab_script_writes_its_reports_and_history_and_fails_the_job(tmp_path):
    job = load(GITLAB)[".kpiframe"]
    env = failing_gate(tmp_path) | {name: str(value) for name, value in job["variables"].items()}
    env["KPIFRAME_AS_OF"] = "2026-03-01"
    (run_line,) = (line for line in job["script"] if line.startswith("kpiframe "))
    (tmp_path / ".kpiframe").mkdir()
    done = subprocess.run(["sh", "-c", run_line], cwd=tmp_path, env=env, capture_output=True, text=True)
    assert done.returncode == 1, done.stderr
    for path in [job["artifacts"]["reports"]["junit"], *job["artifacts"]["paths"]]:
        assert (tmp_path / path).stat().st_size > 0, path
    assert recorded_statuses(tmp_path / job["cache"]["paths"][0]) == ["fail"]


def test_the_pre_commit_hook_validates_the_configs_it_matches():
    (hook,) = load(HOOKS)
    assert hook["id"] == "kpiframe-validate" and hook["language"] == "python"
    command, options = resolve(hook["entry"])
    assert command.name == "validate" and options == []
    pattern = re.compile(hook["files"])
    for path in ("kpis.yaml", "team/kpis.yml", "configs/kpis-support.yaml", "kpiframe.yaml", "kpis/sla.yaml"):
        assert pattern.search(path), path
    for path in (".gitlab-ci.yml", "docker-compose.yaml", "mkdocs.yml", "kpis.json", "okpis.yaml"):
        assert not pattern.search(path), path


def test_validate_checks_every_config_it_is_given_and_exits_2_if_one_is_wrong(write_config, cli):
    good = "version: 1\nsources: {t: {connector: csv, path: x.csv}}\nmetrics: {n: {calc: count, source: t}}\n"
    first, second = write_config(good, "a.yaml"), write_config(good, "b.yaml")
    bad = write_config(good.replace("count", "cuont"), "bad.yaml")
    result = cli("validate", first, bad, second)
    assert result.exit_code == 2
    assert result.stdout.splitlines() == [f"{first}: ok (1 sources, 1 metrics)", f"{second}: ok (1 sources, 1 metrics)"]
    assert f"{bad}:3:21: metrics.n.calc: unknown calculator 'cuont'" in result.stderr
    assert cli("validate", first, second).exit_code == 0


def code_blocks(markdown: str) -> list[str]:
    return re.findall(r"```[a-z]*\n(.*?)```", markdown, flags=re.S)


def test_docs_ci_shows_each_integration_and_its_commands_exist():
    text = CI_DOC.read_text(encoding="utf-8")
    for needle in ("uses: kpiframe/kpiframe@", "extends: .kpiframe", "id: kpiframe-validate", "pytest --kpiframe"):
        assert needle in text, needle
    commands = [c for block in code_blocks(text) for c in kpiframe_commands(block)]
    assert len(commands) >= 5
    for command in commands:
        resolve(command)
