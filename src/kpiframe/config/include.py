"""``include:`` and ``defaults:``: one config built from several files, every value still located.

A config may name other files (``include: [../shared/sources.yaml]``, relative to
the file that names them) whose ``sources``, ``metrics`` and ``business_hours``
are merged into it; included files may include others. The rules:

- the including file wins: its own definition of a source or metric replaces an
  included one (a deliberate override, no error);
- one name defined by two different included files (two siblings both defining
  ``sources.tickets``) is an error naming both places, since neither obviously wins;
  the same file reached twice (a diamond) is one definition, not a conflict;
- a file's ``defaults:`` fill ``source``, ``window``, ``min_sample`` and ``warn`` for
  the metrics *that file* defines, not for those of the files it includes: a shared
  file means the same wherever it is included (the loader then drops a default
  that does not fit a metric: a source on a derived one, a warn in another unit);
- relative paths inside an included file (a source's ``path:``, ``plugins:``)
  resolve against that file's folder;
- the YAML limits (:data:`~kpiframe.config.yaml_source.MAX_NODES`,
  :data:`~kpiframe.config.reading.MAX_CONFIG_BYTES`)
  hold for all files together, so a fan-out of includes cannot multiply an alias
  bomb; includes nest at most :data:`MAX_INCLUDE_DEPTH` deep and a cycle is an error.

The result is one :class:`~kpiframe.config.yaml_source.Document` whose locations
carry the file they are in, so a mistake inside an included file, found at load
or later at run time through the locator, is reported at that file's line and column.
"""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from kpiframe.config import reading
from kpiframe.config.reading import Unreadable, read_config_text
from kpiframe.config.schema import DEFAULT_KEYS, DEFAULTS, INCLUDE, core_schema
from kpiframe.config.validation import validate
from kpiframe.config.yaml_source import MAX_NODES, Document, Location, parse_yaml
from kpiframe.config.yaml_source import Path as KeyPath
from kpiframe.errors import ConfigProblem

#: How deep includes may nest (a config including a file including a file ... ).
MAX_INCLUDE_DEPTH = 16
#: How many distinct files one config may be built from.
MAX_INCLUDED_FILES = 200
#: The named sections merged across files.
SECTIONS = ("sources", "metrics", "business_hours")
#: What an included file may hold; the rest (title, window, as_of, ...) belongs to the main config.
PIECE_KEYS = ("version", "include", "defaults", "plugins", *SECTIONS)

_KINDS = {"sources": "source", "metrics": "metric", "business_hours": "schedule"}


@dataclass
class _File:
    """One file of the config: where it is and what it says."""

    path: Path  # as joined from the includer's folder (symlinks kept, like the main config's path)
    doc: Document
    text: str
    _index: dict[KeyPath, list[tuple[bool, KeyPath, Location]]] | None = None

    def positions(self, prefix: KeyPath) -> list[tuple[bool, KeyPath, Location]]:
        """Every (is a key, path, location) under a two-part ``prefix`` such as ``("sources", "t")``.

        Indexed once per file, so copying the positions of N entries costs the file's size, not N times it.
        """
        if self._index is None:
            self._index = {}
            for is_key, table in ((False, self.doc.values), (True, self.doc.keys)):
                for path, loc in table.items():
                    if len(path) >= 2:
                        self._index.setdefault(path[:2], []).append((is_key, path, loc))
        return self._index.get(prefix, [])


@dataclass(frozen=True)
class _Entry:
    """One named definition (a source, metric or schedule) and the file it is written in."""

    value: Any
    file: _File
    path: KeyPath  # its path in that file: ("sources", "tickets")
    inherited: tuple[str, ...] = ()  # the metric keys its file's `defaults:` filled in

    def where(self) -> str:
        return describe_origin(self.file.doc, self.path)


@dataclass
class _Resolved:
    """A file's definitions after its includes: section → name → entry, and every plugin named."""

    entries: dict[str, dict[str, _Entry]]
    plugins: list[tuple[str, _File, KeyPath]] = field(default_factory=list)


@dataclass
class Merged:
    """The merged config: its data (still uninterpolated), the located document, and every file's text."""

    data: dict[str, Any]
    doc: Document
    texts: list[str]
    #: Mistakes in the structure of include and defaults: missing files, cycles, conflicts, keys out of place.
    problems: list[ConfigProblem]
    #: Mistakes found while reading each file's YAML (duplicate keys, unreadable scalars).
    read_problems: list[ConfigProblem]
    #: The folder each source's relative paths resolve against, for sources of included files.
    source_dirs: dict[str, Path]
    #: The included files, in the order they were read (the main config not among them).
    included: list[Path]


class _Resolver:
    def __init__(self, main: _File):
        self.main = main
        self.nodes = main.doc.size
        self.bytes = len(main.text.encode())
        self.files: dict[Path, _File] = {_real(main.path): main}
        self.done: dict[Path, _Resolved] = {}
        self.problems: list[ConfigProblem] = []
        self.read_problems: list[ConfigProblem] = list(main.doc.problems)

    def resolve(self, file: _File, chain: tuple[_File, ...]) -> _Resolved:
        """``file``'s definitions: its includes merged (conflicts refused), then its own on top."""
        key = _real(file.path)
        if key in self.done:
            return self.done[key]
        data = file.doc.data if isinstance(file.doc.data, dict) else {}
        self.check_shape(file, data)
        merged: dict[str, dict[str, _Entry]] = {section: {} for section in SECTIONS}
        plugins: list[tuple[str, _File, KeyPath]] = []
        includes = data.get("include")
        for index, item in enumerate(includes if isinstance(includes, list) else ()):
            child = self.open(file, index, item, chain) if isinstance(item, str) and item else None
            if child is None:
                continue
            resolved = self.resolve(child, (*chain, child))
            plugins.extend(resolved.plugins)
            for section, names in resolved.entries.items():
                for name, entry in names.items():
                    self.add_included(merged[section], section, name, entry, file)
        for section in SECTIONS:
            own = data.get(section)
            for name, value in own.items() if isinstance(own, dict) else ():
                merged[section][name] = _own_entry(file, data, section, name, value)
        if isinstance(data.get("plugins"), list):
            plugins.extend(
                (spec, file, ("plugins", i)) for i, spec in enumerate(data["plugins"]) if isinstance(spec, str)
            )
        self.done[key] = _Resolved(merged, plugins)
        return self.done[key]

    def add_included(self, table: dict[str, _Entry], section: str, name: str, entry: _Entry, includer: _File) -> None:
        """Take an included definition; the same name from another file is a conflict naming both."""
        previous = table.get(name)
        if previous is None or (previous.file is entry.file and previous.path == entry.path):
            table[name] = entry
            return
        self.problems.append(
            entry.file.doc.problem(
                entry.path,
                f"{_KINDS[section]} {name!r} is defined in two included files: {previous.where()} and {entry.where()}",
                f"keep one of them, or define {name!r} in {includer.doc.file} to choose (the including file wins)",
                key=True,
            )
        )

    def check_shape(self, file: _File, data: dict[str, Any]) -> None:
        """``include`` and ``defaults`` of any file; for an included file, only the keys it may hold."""
        if file is self.main:
            part = {k: data[k] for k in ("include", "defaults") if k in data}
            self.problems += validate(part, {"properties": {"include": INCLUDE, "defaults": DEFAULTS}}, file.doc)
            return
        if file.doc.data is not None and not isinstance(file.doc.data, dict):
            self.problems.append(file.doc.problem((), "an included file must be a mapping (sources:, metrics:, ...)"))
            return
        main_only = [key for key in data if key not in PIECE_KEYS and key in core_schema()["properties"]]
        for key in main_only:
            self.problems.append(
                file.doc.problem(
                    (key,),
                    f"`{key}` is set by the main config only, not by an included file",
                    f"an included file holds {', '.join(PIECE_KEYS)}; move `{key}` to the config that includes it",
                    key=True,
                )
            )
        properties = {key: value for key, value in core_schema()["properties"].items() if key in PIECE_KEYS}
        for section in SECTIONS:  # their entries are checked in the merged config
            properties[section] = {"type": "object"}
        schema = {"type": "object", "properties": properties, "additionalProperties": False}
        self.problems += validate({k: v for k, v in data.items() if k not in main_only}, schema, file.doc)

    def open(self, includer: _File, index: int, item: str, chain: tuple[_File, ...]) -> _File | None:
        """The file named by ``include[index]`` of ``includer``, or ``None`` with the problem recorded."""
        at = ("include", index)
        try:
            path = Path(item).expanduser()
        except RuntimeError:  # ~name of a user this machine does not have
            self.problems.append(includer.doc.problem(at, f"included file not found: {item} (no such home folder)"))
            return None
        path = path if path.is_absolute() else includer.path.parent / path
        if "\0" in item:
            self.problems.append(includer.doc.problem(at, f"the included path holds a NUL byte: {item!r}"))
            return None
        real = _real(path)
        display = os.path.normpath(os.path.join(os.path.dirname(includer.doc.file), item))
        reals = [_real(f.path) for f in chain]
        if real in reals:
            cycle = " -> ".join([*(f.doc.file for f in chain[reals.index(real) :]), display])
            self.problems.append(
                includer.doc.problem(
                    at, f"include cycle: {cycle}", "a file cannot include itself, directly or through others"
                )
            )
            return None
        if len(chain) > MAX_INCLUDE_DEPTH:
            self.problems.append(
                includer.doc.problem(at, f"includes nest deeper than {MAX_INCLUDE_DEPTH} files", "flatten the includes")
            )
            return None
        if real in self.files:
            return self.files[real]
        if len(self.files) >= MAX_INCLUDED_FILES:
            self.problems.append(
                includer.doc.problem(at, f"a config may be built from at most {MAX_INCLUDED_FILES} files")
            )
            return None
        try:
            text = read_config_text(path, reading.MAX_CONFIG_BYTES - self.bytes)
        except Unreadable as exc:
            message = exc.message.replace("config file not found", "included file not found")
            message = message.replace("the config is", "the included file is")
            self.problems.append(includer.doc.problem(at, f"{message}: {item} (looked at {path})", exc.hint))
            return None
        self.bytes += len(text.encode())
        doc = parse_yaml(text, display, max_nodes=MAX_NODES - self.nodes)
        self.nodes += doc.size
        self.read_problems += doc.problems
        child = _File(path, doc, text)
        self.files[real] = child
        return child


def _own_entry(file: _File, data: dict[str, Any], section: str, name: str, value: Any) -> _Entry:
    """A definition of ``file`` itself; a metric gets the file's ``defaults:`` where it sets nothing."""
    defaults = data.get("defaults")
    if section != "metrics" or not isinstance(defaults, dict) or not isinstance(value, dict):
        return _Entry(value, file, (section, name))
    filled = tuple(key for key in DEFAULT_KEYS if key in defaults and key not in value)
    return _Entry({**value, **{key: defaults[key] for key in filled}}, file, (section, name), filled)


def _real(path: Path) -> Path:
    try:
        return path.resolve()
    except (OSError, RuntimeError):  # a symlink loop: the path itself identifies it
        return path.absolute()


def merge(doc: Document, text: str, path: Path) -> Merged:
    """Resolve ``doc``'s includes and defaults into one located document (see the module doc)."""
    main = _File(path, doc, text)
    resolver = _Resolver(main)
    resolved = resolver.resolve(main, (main,))
    data = {k: v for k, v in doc.data.items() if k not in ("include", "defaults")}
    files = list(resolver.files.values())
    merged = Document(file=doc.file, data=data, size=resolver.nodes, files=tuple(f.doc.file for f in files))
    merged.values, merged.keys = dict(doc.values), dict(doc.keys)
    source_dirs: dict[str, Path] = {}
    inherited: set[KeyPath] = set()
    for section, entries in resolved.entries.items():
        if not entries or (section in data and not isinstance(data[section], dict)):
            continue  # a section that is not a mapping is left as written, for the schema to report
        data[section] = {name: entry.value for name, entry in entries.items()}
        for name, entry in entries.items():
            if entry.file is not main:
                _copy_locations(entry.file, entry.path, merged, entry.path)
                if section == "sources":
                    source_dirs[name] = entry.file.path.parent
            for key in entry.inherited:
                _copy_locations(entry.file, ("defaults", key), merged, (section, name, key))
                inherited.add((section, name, key))
    merged.inherited = frozenset(inherited)
    plugins = _plugins(resolved.plugins, main, merged)
    if plugins:
        data["plugins"] = plugins
    return Merged(
        data,
        merged,
        [f.text for f in files],
        resolver.problems,
        resolver.read_problems,
        source_dirs,
        [f.path for f in files[1:]],
    )


def _plugins(found: list[tuple[str, _File, KeyPath]], main: _File, merged: Document) -> list[str]:
    """Every file's ``plugins:``, once each; an included file's relative ``.py`` paths seen from the main config."""
    specs: list[str] = []
    for spec, file, at in found:
        looks_like_path = spec.endswith(".py") or "/" in spec or os.sep in spec
        if file is not main and looks_like_path and not Path(spec).expanduser().is_absolute():
            spec = _relative_to(file.path.parent / spec, main.path.parent)
        if spec not in specs:
            specs.append(spec)
            if ("plugins",) not in merged.values:  # the main config names none: point at the first file that does
                for table, into in ((file.doc.values, merged.values), (file.doc.keys, merged.keys)):
                    if ("plugins",) in table:
                        into[("plugins",)] = Location(
                            table[("plugins",)].line, table[("plugins",)].column, file.doc.file
                        )
            loc = file.doc.locate(at)
            if loc is not None:
                merged.values[("plugins", len(specs) - 1)] = Location(loc.line, loc.column, file.doc.file)
    return specs


def _relative_to(path: Path, folder: Path) -> str:
    """``path`` as seen from ``folder`` (where the main config's plugins resolve), absolute if it cannot be."""
    try:
        return Path(os.path.relpath(path, folder)).as_posix()
    except ValueError:  # another drive, on Windows
        return str(path.absolute())


def _copy_locations(source: _File, origin: KeyPath, target: Document, at: KeyPath) -> None:
    """The positions of ``origin`` and everything under it in ``source``, as positions of ``at`` in ``target``."""
    for is_key, path, loc in source.positions(origin):
        into = target.keys if is_key else target.values
        into[at + path[2:]] = Location(loc.line, loc.column, loc.file or source.doc.file)


def describe_origin(doc: Document, path: KeyPath) -> str:
    """``file:line:col`` of the key at ``path`` in a merged document (for ``validate --print``)."""
    loc = doc.locate(path, key=True)
    if loc is None:
        return doc.file
    return f"{loc.file or doc.file}:{loc.line}:{loc.column}"
