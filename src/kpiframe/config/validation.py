"""jsonschema errors → messages a person can act on, with file, line and column.

A valid config never imports jsonschema: :mod:`kpiframe.config.fast_validation`
says "valid" first where it can, and jsonschema runs only to find the errors.
"""

from __future__ import annotations

import difflib
from functools import cache
from typing import TYPE_CHECKING, Any

from kpiframe.config.fast_validation import surely_valid
from kpiframe.config.yaml_source import Document, Path
from kpiframe.errors import ConfigProblem, ExpressionError
from kpiframe.expr import parse as parse_expression

if TYPE_CHECKING:
    from jsonschema import FormatChecker
    from jsonschema.exceptions import ValidationError

#: ``"format": "kpiframe-expression"`` in a plugin's params schema makes kpiframe
#: parse that string as an expression when the config loads (no data needed).
EXPRESSION_FORMAT = "kpiframe-expression"


def _is_expression(value: object) -> bool:
    if isinstance(value, str):
        parse_expression(value)
    return True


@cache
def _formats() -> FormatChecker:
    """jsonschema's format checks, with kpiframe's expression format (imported on first use)."""
    from jsonschema import FormatChecker

    formats = FormatChecker()
    formats.checks(EXPRESSION_FORMAT, raises=ExpressionError)(_is_expression)
    return formats


_TYPE_NAMES = {
    "object": "a mapping (key: value)",
    "array": "a list",
    "string": "text",
    "integer": "a whole number",
    "number": "a number",
    "boolean": "true or false",
    "null": "nothing",
}


def _got(value: Any) -> str:
    if isinstance(value, dict):
        return "a mapping"
    if isinstance(value, list):
        return "a list"
    text = repr(value) if isinstance(value, str) else str(value).lower() if isinstance(value, bool) else str(value)
    return text if len(text) <= 60 else text[:57] + "..."


def _type_phrase(expected: Any) -> str:
    names = expected if isinstance(expected, list) else [expected]
    return " or ".join(str(_TYPE_NAMES.get(n, n)) for n in names)


def _suggest(word: str, options: list[str]) -> str | None:
    close = difflib.get_close_matches(word, options, n=1, cutoff=0.6)
    return f"did you mean {close[0]!r}?" if close else None


def _leaf(error: ValidationError) -> ValidationError:
    """For oneOf/anyOf, the sub-error that best explains the failure."""
    if error.validator in ("oneOf", "anyOf") and error.context:
        expected = error.schema.get("x-kpiframe-expected") if isinstance(error.schema, dict) else None
        if expected:
            return error
        deepest = max(error.context, key=lambda e: (len(e.absolute_path), -len(e.schema_path)))
        return _leaf(deepest)
    return error


def describe(error: ValidationError, doc: Document, base: Path = ()) -> ConfigProblem:
    """One jsonschema error as a :class:`ConfigProblem` located in ``doc``."""
    error = _leaf(error)
    path: Path = base + tuple(error.absolute_path)
    schema = error.schema if isinstance(error.schema, dict) else {}
    value = error.instance
    kind = error.validator

    if kind == "additionalProperties":
        allowed = sorted(schema.get("properties", {}))
        extras = [k for k in value if k not in schema.get("properties", {})] if isinstance(value, dict) else []
        key = extras[0] if extras else "?"
        hint = _suggest(key, allowed) or (f"allowed keys: {', '.join(allowed)}" if allowed else None)
        return doc.problem(path + (key,), f"unknown key {key!r}", hint, key=True)
    if kind == "required":
        missing = error.message.split("'")[1] if "'" in error.message else error.message
        return doc.problem(path, f"missing required key {missing!r}", f"add `{missing}:` here")
    if kind == "propertyNames":
        return doc.problem(
            path + (str(value),),
            f"invalid name {value!r}",
            "use letters, digits and _ only, not starting with a digit",
            key=True,
        )
    if kind in ("oneOf", "anyOf", "pattern") and schema.get("x-kpiframe-expected"):
        return doc.problem(path, f"expected {schema['x-kpiframe-expected']}, got {_got(value)}")
    if kind == "format" and isinstance(error.cause, ExpressionError):
        return doc.problem(path, error.cause.message, error.cause.hint)
    if kind == "type":
        return doc.problem(path, f"expected {_type_phrase(error.validator_value)}, got {_got(value)}")
    if kind == "enum":
        options = [str(o) for o in error.validator_value]
        hint = _suggest(str(value), options) if isinstance(value, str) else None
        return doc.problem(path, f"expected one of {', '.join(options)}; got {_got(value)}", hint)
    if kind == "const":
        return doc.problem(path, f"expected {error.validator_value!r}, got {_got(value)}")
    if kind == "minProperties":
        return doc.problem(path, "must not be empty", "define at least one entry")
    if kind in ("minimum", "maximum", "exclusiveMinimum", "exclusiveMaximum"):
        return doc.problem(path, f"{_got(value)} is out of range ({kind} {error.validator_value})")
    return doc.problem(path, error.message)


def validate(instance: Any, schema: dict[str, Any], doc: Document, base: Path = ()) -> list[ConfigProblem]:
    """Every problem of ``instance`` against ``schema``, in document order."""
    if surely_valid(instance, schema):
        return []
    from jsonschema import Draft202012Validator

    validator = Draft202012Validator(schema, format_checker=_formats())
    problems = [describe(e, doc, base) for e in validator.iter_errors(instance)]
    problems.sort(key=lambda p: (p.line or 0, p.column or 0))
    # oneOf/anyOf can report the same spot twice; keep one message per location and text.
    unique: dict[tuple[Any, ...], ConfigProblem] = {}
    for p in problems:
        unique.setdefault((p.line, p.column, p.message), p)
    return list(unique.values())
