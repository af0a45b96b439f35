"""Run a Python command line as ``python`` would, and list at exit the modules it compiled from source.

    python bench/bytecode_probe.py -m kpiframe run CONFIG ...   (as: python -m kpiframe run CONFIG ...)
    python bench/bytecode_probe.py -c SCRIPT ARG ...            (as: python -c SCRIPT ARG ...)

Python imports a module from its ``__pycache__`` file when that file exists and matches
the source; otherwise it compiles the source, and with PYTHONDONTWRITEBYTECODE=1 (or a
read-only install) it does so again in every process. The bench's untimed round runs
each tool through this probe, so an unfair start (one tool compiling its own code in
every timed run) shows up instead of hiding in the times. The report goes to stderr, one
``bytecode-probe:`` line with the count and one per module.
"""

from __future__ import annotations

import atexit
import os
import runpy
import sys


def _compiled_from_source() -> list[str]:
    stale = []
    for module in list(sys.modules.values()):
        spec = getattr(module, "__spec__", None)
        origin, cached = getattr(spec, "origin", None), getattr(spec, "cached", None)
        if not origin or not cached or not origin.endswith(".py"):
            continue
        try:
            with open(cached, "rb") as pyc:
                header = pyc.read(16)
            source = os.stat(origin)
        except OSError:
            stale.append(origin)
            continue
        flags = int.from_bytes(header[4:8], "little")
        # A timestamp-based .pyc (flags 0) is used only if the source's mtime and size match its header.
        if flags == 0 and (
            int.from_bytes(header[8:12], "little") != int(source.st_mtime) & 0xFFFFFFFF
            or int.from_bytes(header[12:16], "little") != source.st_size & 0xFFFFFFFF
        ):
            stale.append(origin)
    return sorted(stale)


def _report() -> None:
    stale = _compiled_from_source()
    print(f"bytecode-probe: {len(stale)}", file=sys.stderr)
    for path in stale:
        print(f"bytecode-probe: {path}", file=sys.stderr)


def main() -> None:
    mode, target, *args = sys.argv[1:]
    atexit.register(_report)
    if mode == "-m":
        sys.argv = [target, *args]
        sys.path[0] = os.getcwd()  # as `python -m` puts the working directory first
        runpy.run_module(target, run_name="__main__", alter_sys=True)
    elif mode == "-c":
        sys.argv = ["-c", *args]
        sys.path[0] = ""  # as `python -c` does
        exec(compile(target, "<string>", "exec"), {"__name__": "__main__"})
    else:
        raise SystemExit(f"bytecode_probe: expected -m MODULE or -c SCRIPT, not {mode}")


if __name__ == "__main__":
    main()
