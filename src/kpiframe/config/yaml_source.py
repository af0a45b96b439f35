"""YAML → plain Python values, remembering where every node came from.

PyYAML's ``safe_load`` forgets line numbers and silently keeps the last of two
equal mapping keys. We compose the node tree with the safe loader (no custom
tags, no Python objects) and build the values ourselves, so every value and
every key keeps its file position, and a duplicate key is reported.

A config is small, so the parser refuses what no config needs and what would
cost unbounded time or memory: nesting deeper than :data:`MAX_DEPTH` (checked
on the event stream, before the recursive composer runs), more than
:data:`MAX_NODES` values once aliases are expanded (a "billion laughs" file is
661 bytes), and an alias that refers to itself.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import yaml

from kpiframe.errors import ConfigError, ConfigProblem

Path = tuple[str | int, ...]

#: The deepest nesting a config may have. Real configs stay under 10 levels.
MAX_DEPTH = 64
#: The most values a config may expand to (aliases count every time they are used).
MAX_NODES = 100_000


@dataclass(frozen=True)
class Location:
    line: int  # 1-based
    column: int  # 1-based
    #: The file this position is in, when it is not the document's own (a value from an included file).
    file: str | None = None


@dataclass
class Document:
    """A parsed YAML file: the data plus the location of each value and key."""

    file: str
    data: Any
    values: dict[Path, Location] = field(default_factory=dict)
    keys: dict[Path, Location] = field(default_factory=dict)
    #: Mistakes found while reading (duplicate keys, unreadable scalars): reported with every other problem.
    problems: list[ConfigProblem] = field(default_factory=list)
    #: How many values the file expanded to (aliases counted each time): the budget its includes share.
    size: int = 0
    #: Every file the data came from, this one first (more than one with ``include:``).
    files: tuple[str, ...] = ()
    #: Paths whose value a ``defaults:`` block gave, not the metric itself (``("metrics", "frt", "window")``).
    inherited: frozenset[Path] = frozenset()

    def locate(self, path: Path, *, key: bool = False) -> Location | None:
        """The position of the value (or the key) at ``path``, or its nearest ancestor's."""
        table = self.keys if key else self.values
        probe = tuple(path)
        while probe:
            if probe in table:
                return table[probe]
            if probe in self.values:
                return self.values[probe]
            probe = probe[:-1]
        return self.values.get(())

    def problem(self, path: Path, message: str, hint: str | None = None, *, key: bool = False) -> ConfigProblem:
        loc = self.locate(path, key=key)
        return ConfigProblem(
            (loc.file if loc else None) or self.file,
            loc.line if loc else None,
            loc.column if loc else None,
            dotted(path),
            message,
            hint,
        )


def dotted(path: Path) -> str:
    out = ""
    for part in path:
        if isinstance(part, int):
            out += f"[{part}]"
        else:
            out += ("." if out else "") + str(part)
    return out


_PLAIN_TAGS = {"tag:yaml.org,2002:map", "tag:yaml.org,2002:seq"}


def _mark(node: yaml.Node) -> Location:
    return Location(node.start_mark.line + 1, node.start_mark.column + 1)


class _TooLarge(Exception):
    def __init__(self, node: yaml.Node):
        self.node = node


class _Builder:
    def __init__(self, doc: Document, max_nodes: int = MAX_NODES):
        self.doc = doc
        self.max_nodes = max_nodes
        self.constructor = yaml.constructor.SafeConstructor()
        self.problems: list[ConfigProblem] = []
        self.count = 0
        self.building: set[int] = set()  # collections being built: meeting one again is a recursive alias

    def problem(self, node: yaml.Node, path: Path, message: str, hint: str | None = None) -> None:
        self.problems.append(
            ConfigProblem(
                self.doc.file, node.start_mark.line + 1, node.start_mark.column + 1, dotted(path), message, hint
            )
        )

    def build(self, node: yaml.Node, path: Path) -> Any:
        self.count += 1
        if self.count > self.max_nodes:
            raise _TooLarge(node)
        if id(node) in self.building:
            self.problem(
                node,
                path,
                "this alias refers to the collection it is inside (a recursive alias)",
                "a config must be a tree: copy the values instead",
            )
            return None
        self.doc.values[path] = _mark(node)
        if isinstance(node, (yaml.MappingNode, yaml.SequenceNode)):
            self.building.add(id(node))
            try:
                return self.collection(node, path)
            finally:
                self.building.discard(id(node))
        try:
            return self.constructor.construct_object(node, deep=True)
        except (ValueError, OverflowError, TypeError) as exc:
            self.problem(node, path, f"cannot read {node.value!r}: {exc}", "quote it if it is meant as text")
            return node.value

    def collection(self, node: yaml.Node, path: Path) -> Any:
        if isinstance(node, (yaml.MappingNode, yaml.SequenceNode)) and node.tag not in _PLAIN_TAGS:
            # The safe constructor refuses unknown scalar tags; collections we build ourselves.
            raise yaml.constructor.ConstructorError(None, None, f"unsupported YAML tag {node.tag!r}", node.start_mark)
        if isinstance(node, yaml.MappingNode):
            # Merge keys (<<: *anchor) are resolved the way SafeLoader does it.
            self.constructor.flatten_mapping(node)
            result: dict[str, Any] = {}
            seen: dict[Any, Location] = {}
            for key_node, value_node in node.value:
                if not isinstance(key_node, yaml.ScalarNode):
                    self.problem(key_node, path, "a key must be a plain name, not a list or a mapping")
                    continue
                try:
                    key = self.constructor.construct_object(key_node, deep=True)
                except (ValueError, OverflowError, TypeError):
                    key = key_node.value
                if not isinstance(key, str):
                    key = str(key)  # config keys are names; `1:` or `on:` become "1" and "True"
                if key in seen:
                    first = seen[key]
                    self.problem(
                        key_node,
                        path + (key,),
                        f"duplicate key {key!r} (first defined on line {first.line})",
                        "YAML keeps only the last one; remove or rename one of them",
                    )
                    continue
                seen[key] = _mark(key_node)
                self.doc.keys[path + (key,)] = _mark(key_node)
                result[key] = self.build(value_node, path + (key,))
            return result
        return [self.build(item, path + (i,)) for i, item in enumerate(node.value)]


def _error_at(file: str, mark: yaml.Mark | None, message: str, hint: str | None = None) -> ConfigError:
    """A config error at a YAML mark (0-based) shown as file:line:column (1-based)."""
    line, column = (mark.line + 1, mark.column + 1) if mark else (None, None)
    return ConfigError([ConfigProblem(file, line, column, "", message, hint)])


def _check_depth(text: str, file: str) -> None:
    """Refuse nesting deeper than MAX_DEPTH; PyYAML's parser is iterative, its composer is not."""
    depth = 0
    for event in yaml.parse(text, Loader=yaml.SafeLoader):
        if isinstance(event, yaml.CollectionStartEvent):
            depth += 1
            if depth > MAX_DEPTH:
                raise _error_at(
                    file,
                    event.start_mark,
                    f"the config nests deeper than {MAX_DEPTH} levels",
                    "a config needs a few levels; check for a runaway [[[...]]] or {{{...}}}",
                )
        elif isinstance(event, yaml.CollectionEndEvent):
            depth -= 1


def parse_yaml(text: str, file: str, *, max_nodes: int = MAX_NODES) -> Document:
    """Parse one YAML document with the safe loader, keeping positions.

    ``max_nodes`` is what is left of :data:`MAX_NODES` when this file is included by
    others: the limit holds for a config and all its includes together.
    """
    doc = Document(file=file, data=None, files=(file,))
    try:
        _check_depth(text, file)
        node = yaml.compose(text, Loader=yaml.SafeLoader)
    except yaml.MarkedYAMLError as exc:
        raise _error_at(
            file,
            exc.problem_mark or exc.context_mark,
            f"invalid YAML: {exc.problem or exc.context}",
            "check the indentation and quoting around this position",
        ) from None
    except yaml.YAMLError as exc:
        raise ConfigError([ConfigProblem(file, None, None, "", f"invalid YAML: {exc}")]) from None
    if node is None:
        doc.data = None
        return doc
    builder = _Builder(doc, max_nodes)
    try:
        doc.data = builder.build(node, ())
    except _TooLarge as exc:
        raise _error_at(
            file,
            exc.node.start_mark,
            f"the config expands to more than {MAX_NODES:,} values"
            + (" (with the files it includes)" if max_nodes < MAX_NODES else ""),
            "aliases (*name) repeat what they point to; a config this large is an alias bomb or a mistake",
        ) from None
    except yaml.constructor.ConstructorError as exc:
        raise _error_at(file, exc.problem_mark, str(exc.problem)) from None
    except RecursionError:  # a merge key (<<: *a) that merges the mapping into itself
        raise ConfigError(
            [
                ConfigProblem(
                    file,
                    None,
                    None,
                    "",
                    "a merge key (<<: *name) refers to the mapping it is in",
                    "a config must be a tree",
                )
            ]
        ) from None
    doc.problems = builder.problems
    doc.size = builder.count
    return doc
