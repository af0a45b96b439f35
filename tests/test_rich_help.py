"""Help and usage errors render without rich's Markdown and traceback modules (kpiframe.rich_help),
and read exactly as typer renders them with its own imports."""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys

import pytest

CASES = [
    ["--help"],
    ["run", "--help"],
    ["history", "show", "--help"],
    ["new"],  # a group without its subcommand: the help, exit 2
    ["run"],  # a usage error: the error panel, exit 2
    ["validate", "--no-such-option"],
]

#: What typer and rich read to decide on colour and width.
COLOR_SETTINGS = {"FORCE_COLOR", "NO_COLOR", "PY_COLORS", "GITHUB_ACTIONS", "TERMINAL_WIDTH", "TERM", "COLUMNS"}


def render(argv: list[str], *, reference: bool, color: bool) -> dict[str, object]:
    """What ``kpiframe ARGV`` prints, in a fresh interpreter; ``reference``: typer.rich_utils imported as typer does."""
    code = (
        "import sys, json, io, contextlib\n"
        + ("import typer.rich_utils\n" if reference else "")
        + "import kpiframe.cli as c\n"
        f"sys.argv = ['kpiframe', *{argv!r}]\n"
        "out, err = io.StringIO(), io.StringIO()\n"
        "try:\n"
        "    with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):\n"
        "        c.main()\n"
        "except SystemExit as done:\n"
        "    code = done.code\n"
        "heavy = [m for m in ('rich.markdown', 'rich.traceback', 'pygments', 'markdown_it') if m in sys.modules]\n"
        "print(json.dumps({'out': out.getvalue(), 'err': err.getvalue(), 'code': code, 'heavy': heavy}))\n"
    )
    env = {k: v for k, v in os.environ.items() if k not in COLOR_SETTINGS} | {"COLUMNS": "100"}
    env |= {"FORCE_COLOR": "1"} if color else {}
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, env=env, check=True)
    return json.loads(done.stdout)


@pytest.mark.parametrize("color", [False, True], ids=["plain", "color"])
@pytest.mark.parametrize("argv", CASES, ids=" ".join)
def test_help_and_usage_errors_read_as_typer_renders_them_with_its_own_imports(argv, color):
    light, reference = render(argv, reference=False, color=color), render(argv, reference=True, color=color)
    assert light["heavy"] == [] and set(reference["heavy"]) >= {"rich.markdown", "rich.traceback"}
    assert (light["out"], light["err"], light["code"]) == (reference["out"], reference["err"], reference["code"])
    shown = str(light["out"]) + str(light["err"])
    assert "Usage: kpiframe" in re.sub(r"\x1b\[[0-9;]*m", "", shown)
    assert ("\x1b[" in shown) == color


def test_the_stand_ins_make_the_real_classes_and_leave_the_real_modules_importable():
    code = """
import contextlib, io, sys
import kpiframe.cli as c
sys.argv = ['kpiframe', '--help']
with contextlib.suppress(SystemExit), contextlib.redirect_stdout(io.StringIO()):
    c.main()
from typer import rich_utils
assert 'rich.markdown' not in sys.modules and 'rich.traceback' not in sys.modules
import rich.markdown, rich.traceback
from rich.console import Console
made = rich_utils.Markdown('**bold** words')
assert type(made) is rich.markdown.Markdown, type(made)
assert rich_utils.Traceback.from_exception == rich.traceback.Traceback.from_exception
assert rich.markdown.Markdown.__module__ == 'rich.markdown' and hasattr(rich.markdown, 'Heading')
console = Console(file=io.StringIO(), width=40, color_system=None)
console.print(made)
assert console.file.getvalue().strip() == 'bold words', console.file.getvalue()
print('ok')
"""
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == "ok"
