"""A quick "valid" for configs that are, so that only a broken config pays for jsonschema.

Importing the ``jsonschema`` package (with ``referencing``, ``rpds``, ``attrs`` and its
format checkers) is a large share of every run's start-up (docs/performance.md), yet
most configs a CI job loads are valid and need no message at all. So a config is first
checked with ``jsonschema-rs``, a compiled Draft 2020-12 validator, and only when that
says "invalid" (or cannot judge) does :mod:`kpiframe.config.validation` ask
``jsonschema``, whose errors make every message. The final verdict is therefore always
jsonschema's unless jsonschema-rs accepts something jsonschema would refuse, and that
is what the rules below rule out: the fast path is taken only where both validators
provably agree, and anything else goes the slow, exact way.

- The schema uses only keywords whose meaning is the same in both (no ``$ref``, no
  ``multipleOf``, no formats but ``date`` and kpiframe's own (``kpiframe-expression``,
  ``kpiframe-duration``, ``kpiframe-interval``), which are checked here by the same
  Python code jsonschema runs).
- The instance is plain JSON as Python's ``json`` would make it: dicts with text keys,
  lists, text, finite floats, integers within ±2**53, booleans and None. Dates, tuples,
  integer keys, NaN and infinities go the slow way (the two differ on some of them).
- Every string is ASCII: Python's ``re`` and jsonschema-rs' regex engine disagree on
  what ``\\s`` matches beyond ASCII (U+FEFF), and ``pattern`` is written with ``\\s``.

tests/test_fast_validation.py checks the two verdicts agree on the hostile corpus,
the shipped configs and mutated ones.
"""

from __future__ import annotations

import functools
import json
import math
import re
from datetime import date
from typing import Any

from kpiframe.config import valid_before
from kpiframe.errors import ExpressionError

#: Keywords that validate the same way in jsonschema and jsonschema-rs on plain JSON data.
_CHECKED = frozenset(
    {
        "type",
        "enum",
        "const",
        "properties",
        "additionalProperties",
        "patternProperties",
        "required",
        "propertyNames",
        "minProperties",
        "maxProperties",
        "items",
        "prefixItems",
        "minItems",
        "maxItems",
        "uniqueItems",
        "oneOf",
        "anyOf",
        "allOf",
        "not",
        "if",
        "then",
        "else",
        "minimum",
        "maximum",
        "exclusiveMinimum",
        "exclusiveMaximum",
        "minLength",
        "maxLength",
        "pattern",
        "format",
    }
)
#: Keywords that do not validate at all.
_ANNOTATIONS = frozenset(
    {"title", "description", "default", "examples", "deprecated", "readOnly", "writeOnly", "$comment"}
)
_DRAFT = "https://json-schema.org/draft/2020-12/schema"
_TYPES = frozenset({"object", "array", "string", "integer", "number", "boolean", "null"})
_NAMED_SCHEMAS = ("properties", "patternProperties")
_ONE_SCHEMA = ("items", "additionalProperties", "propertyNames", "not", "if", "then", "else")
_SCHEMA_LISTS = ("oneOf", "anyOf", "allOf", "prefixItems")
_BOUNDS = ("minimum", "maximum", "exclusiveMinimum", "exclusiveMaximum")
_COUNTS = ("minProperties", "maxProperties", "minItems", "maxItems", "minLength", "maxLength")
_SAFE_INT = 2**53
#: jsonschema's own ``date`` check (jsonschema/_format.py: ``is_date``).
_RE_DATE = re.compile(r"^\d{4}-\d{2}-\d{2}$", re.ASCII)

_validators: dict[str, Any] = {}


def _is_date(value: str) -> bool:
    try:
        return bool(_RE_DATE.fullmatch(value) and date.fromisoformat(value))
    except ValueError:
        return False


def _passes(check: Any) -> Any:
    """kpiframe's own format check (kpiframe.config.validation.FORMAT_CHECKS) as a yes or no."""

    def passes(value: Any) -> bool:
        try:
            return bool(check(value))
        except (ExpressionError, ValueError):
            return False

    return passes


@functools.cache
def _formats() -> dict[str, Any]:
    from kpiframe.config.validation import FORMAT_CHECKS

    return {"date": _is_date, **{name: _passes(check) for name, (check, _) in FORMAT_CHECKS.items()}}


def plain_json(value: Any) -> bool:
    """Whether ``value`` is JSON both validators read alike (see the module's docstring)."""
    stack = [value]
    while stack:
        item = stack.pop()
        kind = type(item)
        if kind is dict:
            if not all(type(key) is str and key.isascii() for key in item):
                return False
            stack.extend(item.values())
        elif kind is list:
            stack.extend(item)
        elif kind is str:
            if not item.isascii():
                return False
        elif kind is int:
            if not -_SAFE_INT <= item <= _SAFE_INT:
                return False
        elif kind is float:
            if not math.isfinite(item):
                return False
        elif item is not None and kind is not bool:
            return False
    return True


def _number(value: Any) -> bool:
    return type(value) in (int, float) and plain_json(value)


def _keyword_ok(key: str, value: Any) -> bool:
    if key == "format":
        return value in _formats()
    if key == "type":
        names = value if type(value) is list else [value]
        return all(type(n) is str and n in _TYPES for n in names)
    if key in _BOUNDS:
        return _number(value)
    if key in _COUNTS:
        return type(value) is int and 0 <= value <= _SAFE_INT
    if key == "pattern":
        return _compiles(value)
    if key == "patternProperties":
        return type(value) is dict and all(_compiles(p) for p in value)
    if key == "required":
        return type(value) is list and all(type(v) is str for v in value)
    if key == "uniqueItems":
        return type(value) is bool
    if key == "enum":
        return type(value) is list and plain_json(value)
    if key == "const":
        return plain_json(value)
    return True


def _compiles(pattern: Any) -> bool:
    if type(pattern) is not str:
        return False
    try:
        re.compile(pattern)
    except re.error:
        return False
    return True


def eligible(schema: Any, *, root: bool = True) -> bool:
    """Whether every part of ``schema`` validates alike in both validators."""
    if type(schema) is bool:
        return True
    if type(schema) is not dict:
        return False
    for key, value in schema.items():
        if key == "$schema" and root:
            if value != _DRAFT:
                return False
        elif key == "$id" and root:
            continue  # without $ref, an $id resolves nothing
        elif key in _ANNOTATIONS or (type(key) is str and key.startswith("x-")):
            continue
        elif key not in _CHECKED or not _keyword_ok(key, value):
            return False
        elif key in _NAMED_SCHEMAS:
            if type(value) is not dict or not all(eligible(s, root=False) for s in value.values()):
                return False
        elif key in _ONE_SCHEMA:
            if not eligible(value, root=False):
                return False
        elif key in _SCHEMA_LISTS:
            if type(value) is not list or not value or not all(eligible(s, root=False) for s in value):
                return False
    return True


def _validator(key: str, schema: dict[str, Any]) -> Any:
    """The compiled validator for ``schema`` (``key``: its JSON), or None when it must go the exact way."""
    if key not in _validators:
        _validators[key] = None
        if eligible(schema):
            try:
                import jsonschema_rs
            except ImportError:  # a broken install: jsonschema alone still gives every answer
                return None
            try:
                _validators[key] = jsonschema_rs.Draft202012Validator(
                    schema, formats=_formats(), validate_formats=True, offline=True
                )
            except Exception:  # a schema jsonschema-rs refuses: jsonschema judges it
                return None
    return _validators[key]


def surely_valid(instance: Any, schema: dict[str, Any], *, remember: bool = True) -> bool:
    """True only when jsonschema would find no error; False means "ask jsonschema".

    A yes is remembered (:mod:`kpiframe.config.valid_before`), so a repeat run of the
    same config does not import jsonschema-rs at all; ``remember=False`` for an
    instance that holds a ``${VAR}``'s value.
    """
    if not plain_json(instance):
        return False
    try:
        key = json.dumps(schema, sort_keys=True)
    except (TypeError, ValueError):
        return False
    if remember and valid_before.known(key, instance):
        return True
    validator = _validator(key, schema)
    if validator is None:
        return False
    try:
        valid = bool(validator.is_valid(instance))
    except Exception:  # whatever went wrong, jsonschema gives the answer (and raises what it raised)
        return False
    if valid and remember:
        valid_before.remember(key, instance)
    return valid
