"""typer's rich help, without the two renderers kpiframe never shows.

typer prints ``--help`` and usage errors through ``typer.rich_utils``, which imports,
at module level, ``rich.markdown`` (for ``rich_markup_mode="markdown"``; it brings
markdown-it) and ``rich.traceback`` (for pretty exceptions; it brings rich.syntax and
pygments). kpiframe uses the ``rich`` markup mode and turns pretty exceptions off, so
neither draws anything, yet importing the two was a quarter of ``kpiframe --help``
(about 220 M of 889 M instructions, callgrind).

Inside :func:`lighter_rich_help`, ``typer.rich_utils`` is found and loaded as usual,
but executes with a stand-in for each of the two classes in ``sys.modules``. A
stand-in imports its real class when it is first used, so nothing breaks if typer
does render Markdown or a traceback. The stand-ins are visible only while
``typer.rich_utils`` itself runs: any other ``import rich.markdown`` gets the real
module. The help typer prints is the same, character for character
(tests/test_cli.py compares it with the help rendered with the real imports).
"""

from __future__ import annotations

import importlib
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from types import ModuleType
from typing import Any

#: Modules ``typer.rich_utils`` imports for features kpiframe leaves off, and the one name it takes from each.
DEFERRED = {"rich.markdown": "Markdown", "rich.traceback": "Traceback"}

_TARGET = "typer.rich_utils"


class _Deferred(type):
    """The type of a stand-in class: its class attributes (``Traceback.from_exception``) are the real class's."""

    def __getattr__(cls, name: str) -> Any:
        return getattr(cls._real(), name)


def stand_in(module_name: str, class_name: str) -> type:
    """A class that makes (and is, for its class attributes) ``module_name.class_name``, imported on first use."""

    def real() -> Any:
        return getattr(importlib.import_module(module_name), class_name)

    def new(cls: type, *args: Any, **kwargs: Any) -> Any:
        return real()(*args, **kwargs)

    return _Deferred(class_name, (), {"__new__": new, "_real": staticmethod(real), "__module__": module_name})


class _WithStandIns:
    """The loader typer.rich_utils was found with, executing it with the stand-ins in place."""

    def __init__(self, loader: Any) -> None:
        self.loader = loader

    def __getattr__(self, name: str) -> Any:  # get_source, get_filename...: the real loader's
        return getattr(self.loader, name)

    def create_module(self, spec: Any) -> ModuleType | None:
        return self.loader.create_module(spec)

    def exec_module(self, module: ModuleType) -> None:
        placed = {}
        for module_name, class_name in DEFERRED.items():
            if module_name not in sys.modules:
                placeholder = ModuleType(module_name, "stand-in while typer.rich_utils imports (kpiframe.rich_help)")
                setattr(placeholder, class_name, stand_in(module_name, class_name))
                sys.modules[module_name] = placed[module_name] = placeholder
        try:
            self.loader.exec_module(module)
        finally:
            for module_name, placeholder in placed.items():
                if sys.modules.get(module_name) is placeholder:
                    del sys.modules[module_name]


class _Finder:
    """A meta path finder for typer.rich_utils only: the usual spec, with :class:`_WithStandIns` as its loader."""

    def find_spec(self, fullname: str, path: Any = None, target: Any = None) -> Any:
        if fullname != _TARGET:
            return None
        for finder in sys.meta_path:
            find = getattr(finder, "find_spec", None) if finder is not self else None
            spec = find(fullname, path, target) if find is not None else None
            if spec is not None:
                if spec.loader is not None and hasattr(spec.loader, "exec_module"):
                    spec.loader = _WithStandIns(spec.loader)
                return spec
        return None


@contextmanager
def lighter_rich_help() -> Iterator[None]:
    """While inside, a first import of ``typer.rich_utils`` skips rich's Markdown and traceback modules."""
    if _TARGET in sys.modules:
        yield
        return
    finder = _Finder()
    sys.meta_path.insert(0, finder)
    try:
        yield
    finally:
        if finder in sys.meta_path:
            sys.meta_path.remove(finder)
