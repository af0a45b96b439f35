"""YAML → plain Python values, remembering where every node came from.

PyYAML's ``safe_load`` forgets line numbers and silently keeps the last of two
equal mapping keys. We compose the node tree with the safe loader (no custom
tags, no Python objects) and build the values ourselves, so every value and
every key keeps its file position, and a duplicate key is reported.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import yaml

from kpiframe.errors import ConfigError, ConfigProblem

Path = tuple[str | int, ...]


@dataclass(frozen=True)
class Location:
    line: int  # 1-based
    column: int  # 1-based


@dataclass
class Document:
    """A parsed YAML file: the data plus the location of each value and key."""

    file: str
    data: Any
    values: dict[Path, Location] = field(default_factory=dict)
    keys: dict[Path, Location] = field(default_factory=dict)

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
            self.file,
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


class _Builder:
    def __init__(self, doc: Document):
        self.doc = doc
        self.constructor = yaml.constructor.SafeConstructor()
        self.problems: list[ConfigProblem] = []

    def build(self, node: yaml.Node, path: Path) -> Any:
        self.doc.values[path] = _mark(node)
        if isinstance(node, (yaml.MappingNode, yaml.SequenceNode)) and node.tag not in _PLAIN_TAGS:
            # The safe constructor refuses unknown scalar tags; collections we build ourselves.
            raise yaml.constructor.ConstructorError(None, None, f"unsupported YAML tag {node.tag!r}", node.start_mark)
        if isinstance(node, yaml.MappingNode):
            # Merge keys (<<: *anchor) are resolved the way SafeLoader does it.
            self.constructor.flatten_mapping(node)
            result: dict[str, Any] = {}
            seen: dict[Any, Location] = {}
            for key_node, value_node in node.value:
                key = self.constructor.construct_object(key_node, deep=True)
                if not isinstance(key, str):
                    key = str(key)  # config keys are names; `1:` or `on:` become "1" and "True"
                if key in seen:
                    first = seen[key]
                    self.problems.append(
                        ConfigProblem(
                            self.doc.file,
                            key_node.start_mark.line + 1,
                            key_node.start_mark.column + 1,
                            dotted(path + (key,)),
                            f"duplicate key {key!r} (first defined on line {first.line})",
                            "YAML keeps only the last one; remove or rename one of them",
                        )
                    )
                    continue
                seen[key] = _mark(key_node)
                self.doc.keys[path + (key,)] = _mark(key_node)
                result[key] = self.build(value_node, path + (key,))
            return result
        if isinstance(node, yaml.SequenceNode):
            return [self.build(item, path + (i,)) for i, item in enumerate(node.value)]
        return self.constructor.construct_object(node, deep=True)


def parse_yaml(text: str, file: str) -> Document:
    """Parse one YAML document with the safe loader, keeping positions."""
    doc = Document(file=file, data=None)
    try:
        node = yaml.compose(text, Loader=yaml.SafeLoader)
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        raise ConfigError(
            [
                ConfigProblem(
                    file,
                    mark.line + 1 if mark else None,
                    mark.column + 1 if mark else None,
                    "",
                    f"invalid YAML: {exc.problem or exc.context}",
                    "check the indentation and quoting around this position",
                )
            ]
        ) from None
    except yaml.YAMLError as exc:
        raise ConfigError([ConfigProblem(file, None, None, "", f"invalid YAML: {exc}")]) from None
    if node is None:
        doc.data = None
        return doc
    builder = _Builder(doc)
    try:
        doc.data = builder.build(node, ())
    except yaml.constructor.ConstructorError as exc:
        mark = exc.problem_mark
        raise ConfigError(
            [ConfigProblem(file, mark.line + 1 if mark else None, mark.column + 1 if mark else None, "", str(exc.problem))]
        ) from None
    if builder.problems:
        raise ConfigError(builder.problems)
    return doc
