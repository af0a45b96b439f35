"""``kpiframe validate --print``: the config as kpiframe reads it, includes and defaults applied.

The text is the merged config *before* ``${VAR}`` substitution: a variable shows
as ``${VAR}``, never its value, so the output is safe for a CI log. It still
passes through the config's :class:`~kpiframe.redaction.Redactor` (a password
written inside a URL is masked too). Each source, metric and schedule carries a
comment saying which file and line it came from, and which of its keys a
``defaults:`` block gave.
"""

from __future__ import annotations

from typing import Any

import yaml

from kpiframe.config.include import SECTIONS, describe_origin
from kpiframe.config.model import Config
from kpiframe.redaction import Redactor


def _dump(value: dict[str, Any]) -> str:
    return yaml.safe_dump(value, sort_keys=False, allow_unicode=True, default_flow_style=False, width=100)


def _indent(text: str, prefix: str = "  ") -> str:
    return "".join(prefix + line if line.strip() else line for line in text.splitlines(keepends=True))


def _entry(config: Config, section: str, name: str, value: Any) -> str:
    doc = config.document
    note = f"# from {describe_origin(doc, (section, name))}"
    inherited = [key for key in value if (section, name, key) in doc.inherited] if isinstance(value, dict) else []
    if inherited:
        where = describe_origin(doc, (section, name, inherited[0]))
        note += f"; {', '.join(inherited)} from the defaults at {where}"
    return _indent(note + "\n" + _dump({name: value}))


def render_merged(config: Config) -> str:
    """The merged config as YAML with provenance comments (see the module doc)."""
    doc = config.document
    data = doc.data if isinstance(doc.data, dict) else {}
    files = doc.files or (doc.file,)
    parts = [
        f"# The config {doc.file} as kpiframe reads it: includes merged, defaults applied.\n",
        f"# Files: {', '.join(files)}\n",
        "# ${VAR} values are shown as written; relative paths resolve against the file each entry comes from.\n",
    ]
    for key, value in data.items():
        if key not in SECTIONS or not isinstance(value, dict):
            parts.append(_dump({key: value}))
    for key in ("business_hours", "sources", "metrics"):  # schedules and sources before the metrics that use them
        value = data.get(key)
        if isinstance(value, dict):
            parts.append(f"{key}:\n")
            parts.extend(_entry(config, key, name, entry) for name, entry in value.items())
    return Redactor(config.secrets)("".join(parts))
