"""What ``kpiframe report --history`` and ``kpiframe history show`` (without a run) do, apart from the CLI.

The CLI parses options and prints; this module opens the store, loads the
trends, renders them in the format asked for and writes the file atomically.
"""

from __future__ import annotations

from pathlib import Path

from kpiframe.atomic import write_atomic
from kpiframe.errors import ConfigError
from kpiframe.history import open_history
from kpiframe.outputs import Output, ProtectedFiles
from kpiframe.trends.model import Trends, load_trends

__all__ = ["FORMATS", "render", "show", "write_report"]

#: Trend formats, and the file extensions that choose them.
FORMATS = {"html": "html", "htm": "html", "json": "json", "md": "markdown", "markdown": "markdown", "table": "table"}


def _load(store: str, title: str | None, last: int, recent: int) -> Trends:
    if "://" not in store and not Path(store).exists():
        # Opening a DuckDB or SQLite path creates the file: reading must not leave an empty store behind.
        raise ConfigError(f"--history {store}: no such file; give the store `kpiframe run --history` records into")
    return load_trends(open_history(store), title=title, last=last, recent=recent)


def render(trends: Trends, fmt: str) -> str:
    from kpiframe.trends import text

    if fmt == "html":
        from kpiframe import __version__
        from kpiframe.trends.page import render_page

        return render_page(trends, __version__)
    if fmt == "json":
        return text.to_json(trends)
    if fmt == "markdown":
        return text.to_markdown(trends)
    return text.to_table(trends)


def show(store: str, title: str | None, last: int, recent: int, fmt: str) -> tuple[str, Trends]:
    """The trends as text for the terminal: ``table``, ``md`` or ``json``."""
    name = FORMATS.get(fmt.lower())
    if name not in ("table", "markdown", "json"):
        raise ConfigError(f"--format: the trends print as table, md or json, not {fmt!r} (a page: kpiframe report)")
    trends = _load(store, title, last, recent)
    return render(trends, name), trends


def write_report(store: str, title: str | None, last: int, recent: int, output: Path) -> Trends:
    """Write the trends to ``output`` (HTML, JSON or Markdown, from its extension), atomically.

    :raises ConfigError: an extension that names no trend format, an output that is
        the history store itself, an empty history or an unknown title.
    """
    suffix = output.suffix.lower().lstrip(".")
    fmt = FORMATS.get(suffix)
    if fmt is None or fmt == "table":
        raise ConfigError(
            f"-o {output}: cannot tell the format from "
            + (f"the extension .{suffix}" if suffix else "a path without an extension")
            + "; use .html (the trends page), .json or .md"
        )
    protected = ProtectedFiles()
    if "://" not in store:
        protected.add(store, "the history store")
    protected.check(Output(fmt, output), "-o")
    trends = _load(store, title, last, recent)
    write_atomic(output, render(trends, fmt), what=f"the trends {fmt}")
    return trends
