"""``${VAR}`` and ``${VAR:-default}`` in config strings, taken from the environment.

Interpolation runs on the parsed values (never on the YAML text), so a value
from the environment can never change the structure of the config. Every
substituted value is recorded as a secret: :class:`~kpiframe.redaction.Redactor`
replaces it in any text kpiframe prints, logs or writes into a report.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any

from kpiframe.config.yaml_source import Document, Path
from kpiframe.errors import ConfigProblem

_PATTERN = re.compile(r"\$\$|\$\{([A-Za-z_][A-Za-z0-9_]*)(?::-([^}]*))?\}")
_NUMBER = re.compile(r"-?\d+(\.\d+)?")


def interpolate(doc: Document, environ: Mapping[str, str]) -> tuple[Any, set[str], list[ConfigProblem]]:
    """Return the data with variables substituted, the set of substituted values, and problems."""
    secrets: set[str] = set()
    problems: list[ConfigProblem] = []

    def substitute(text: str, path: Path) -> Any:
        whole = _PATTERN.fullmatch(text)

        def replace(match: re.Match[str]) -> str:
            if match.group(0) == "$$":
                return "$"
            name, default = match.group(1), match.group(2)
            if name in environ:
                value = environ[name]
            elif default is not None:
                return default
            else:
                problems.append(
                    doc.problem(
                        path,
                        f"environment variable {name} is not set",
                        f"export {name}=... before running, or write ${{{name}:-default}}",
                    )
                )
                return ""
            if value:
                secrets.add(value)
            return value

        result = _PATTERN.sub(replace, text)
        # A value that is exactly one variable holding a number becomes that number,
        # so `min_sample: ${MIN_SAMPLE}` validates as an integer.
        if whole and whole.group(0) != "$$" and _NUMBER.fullmatch(result):
            return float(result) if "." in result else int(result)
        return result

    def walk(value: Any, path: Path) -> Any:
        if isinstance(value, dict):
            return {k: walk(v, path + (k,)) for k, v in value.items()}
        if isinstance(value, list):
            return [walk(v, path + (i,)) for i, v in enumerate(value)]
        if isinstance(value, str) and "$" in value:
            return substitute(value, path)
        return value

    return walk(doc.data, ()), secrets, problems
