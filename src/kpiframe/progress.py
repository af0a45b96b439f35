"""Progress on the terminal for runs and data generation that take more than a second.

The engine reports steps to a plain callback (:class:`kpiframe.context.Progress`);
this module draws them with rich (which typer brings) on stderr, so stdout keeps
carrying reports. Nothing is drawn when stderr is not a terminal, with ``--quiet``,
or in CI (``CI`` set), and nothing at all for a run that ends within a second.
"""

from __future__ import annotations

import os
import sys
import time
from typing import Any

__all__ = ["TerminalProgress", "wanted"]

#: A run that ends before this many seconds never shows a progress bar.
DELAY = 1.0


def wanted(quiet: bool, stream: Any = None) -> bool:
    """Whether to draw progress: on a terminal, not asked to be quiet, not in CI."""
    stream = stream or sys.stderr
    return not quiet and not os.environ.get("CI") and hasattr(stream, "isatty") and stream.isatty()


class TerminalProgress:
    """A transient rich progress display that appears only after :data:`DELAY` seconds."""

    def __init__(self) -> None:
        self.started = time.monotonic()
        self._display: Any = None
        self._tasks: dict[str, Any] = {}

    def update(self, what: str, done: int, total: int | None = None) -> None:
        if self._display is None:
            if time.monotonic() - self.started < DELAY:
                return
            from rich.console import Console
            from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

            self._display = Progress(
                TextColumn("{task.description}"),
                BarColumn(),
                MofNCompleteColumn(),
                TimeElapsedColumn(),
                console=Console(stderr=True),
                transient=True,
            )
            self._display.start()
        if what not in self._tasks:
            self._tasks[what] = self._display.add_task(what, total=total)
        self._display.update(self._tasks[what], completed=done, total=total)

    def close(self) -> None:
        if self._display is not None:
            self._display.stop()
            self._display = None
