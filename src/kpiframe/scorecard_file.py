"""Reading a scorecard JSON someone gives us (``--baseline``, ``kpiframe diff``).

The file may be anything: truncated, hand-edited, another tool's JSON. It is
checked against the published scorecard schema before any code looks inside,
so a malformed file is a usage error that says where it is wrong, never a crash.
"""

from __future__ import annotations

import json
import sys
from functools import lru_cache
from pathlib import Path
from typing import Any

from kpiframe.errors import ConfigError, first_line

__all__ = ["read_scorecard"]

#: A scorecard of 100 metrics × 50 segments × 90 points is a few MB; more is not a scorecard.
MAX_BYTES = 64 * 1024 * 1024


@lru_cache(maxsize=1)
def _validator() -> Any:
    from importlib.resources import files

    import jsonschema

    schema = json.loads(files("kpiframe").joinpath("schemas/scorecard-1.schema.json").read_text(encoding="utf-8"))
    return jsonschema.Draft202012Validator(schema)


def read_scorecard(path: Path) -> dict[str, Any]:
    """The scorecard in ``path``, checked against the published schema.

    :raises ConfigError: missing, unreadable, not JSON, or not a kpiframe scorecard.
    """
    hint = "write one with `kpiframe run CONFIG -o scorecard.json`"
    try:
        if path.exists() and not path.is_file():
            raise ConfigError(
                f"scorecard {path} is not a regular file (a folder, a FIFO or a device); give the JSON file ({hint})"
            )
        if path.stat().st_size > MAX_BYTES:
            raise ConfigError(f"scorecard {path} is larger than {MAX_BYTES // 2**20} MB; that is not a scorecard")
        data = json.loads(path.read_text(encoding="utf-8"), parse_int=_whole_number, parse_constant=_no_constant)
    except FileNotFoundError:
        raise ConfigError(f"scorecard {path} not found") from None
    except (OSError, ValueError, RecursionError) as exc:
        raise ConfigError(f"{path} is not a scorecard JSON file: {first_line(exc)} ({hint})") from None
    if not isinstance(data, dict) or data.get("schema_version") != 1:
        raise ConfigError(f"{path} is not a kpiframe scorecard (no schema_version 1); {hint}")
    problem = scorecard_problem(data)
    if problem:
        raise ConfigError(f"{path} is not a valid kpiframe scorecard: {problem}; {hint}")
    return data


def _whole_number(text: str) -> int:
    """A JSON integer, refused past a float's range (1.8e308): the values are compared as floats.

    The length is checked first, so a number of a million digits is never converted.
    """
    digits = len(text.lstrip("-"))
    if digits > 309 or abs(number := int(text)) > sys.float_info.max:
        raise ValueError(f"a whole number of {digits:,} digits is beyond the range of a KPI value (about 1.8e308)")
    return number


def _no_constant(text: str) -> float:
    """``NaN`` and ``Infinity`` are not JSON (Python writes them; kpiframe never does)."""
    raise ValueError(f"{text} is not a JSON number")


def scorecard_problem(data: Any) -> str | None:
    """What makes ``data`` not a valid scorecard (the first problem, located), or ``None``."""
    errors = sorted(_validator().iter_errors(data), key=lambda e: [str(p) for p in e.absolute_path])
    if not errors:
        return None
    where = "/".join(str(p) for p in errors[0].absolute_path) or "(top)"
    more = f" (and {len(errors) - 1} more problems)" if len(errors) > 1 else ""
    return f"at {where}: {first_line_of(errors[0].message)}{more}"


def first_line_of(text: str) -> str:
    return text.splitlines()[0][:300] if text else ""
