"""jsonschema errors → messages a person can act on, with file, line and column.

A valid config never imports jsonschema: :mod:`kpiframe.config.fast_validation`
says "valid" first where it can, and jsonschema runs only to find the errors.
"""

from __future__ import annotations

import math
from functools import cache
from typing import TYPE_CHECKING, Any

from kpiframe.config.fast_validation import surely_valid
from kpiframe.config.literals import LONGEST, parse_quantity
from kpiframe.config.yaml_source import Document, Path
from kpiframe.errors import ConfigProblem, ExpressionError
from kpiframe.expr_names import check_syntax

if TYPE_CHECKING:
    from jsonschema import FormatChecker
    from jsonschema.exceptions import ValidationError

#: ``"format": "kpiframe-expression"`` in a plugin's params schema makes kpiframe
#: parse that string as an expression when the config loads (no data needed).
EXPRESSION_FORMAT = "kpiframe-expression"


def _is_expression(value: object) -> bool:
    if isinstance(value, str):
        check_syntax(value)  # a column's whole name (`Speed of answer in seconds`) waits for the source
    return True


#: ``"format": "kpiframe-duration"``: a duration param (``20s``, ``4h``, a number of seconds)
#: that :func:`~kpiframe.config.literals.parse_duration` takes at run time: at most 100
#: years, and not so short that it rounds to nothing. ``kpiframe-interval`` is a
#: bucketing interval, at least a second.
DURATION_FORMAT = "kpiframe-duration"
INTERVAL_FORMAT = "kpiframe-interval"


def _duration_seconds(value: object) -> float | None:
    if isinstance(value, bool) or not isinstance(value, (str, int, float)):
        return None  # the type is the schema's to report
    try:
        quantity = parse_quantity(value)
    except ValueError:
        return None  # the pattern reports text that is no duration
    if quantity.value > LONGEST.total_seconds():
        raise ValueError(f"{str(value).strip()!r} is out of range: a duration is at most 100 years (36525d)")
    return quantity.value


def _is_duration(value: object) -> bool:
    seconds = _duration_seconds(value)
    if seconds is not None and 0 < seconds < 1e-6:
        raise ValueError(
            f"{str(value).strip()!r} is shorter than a microsecond, which rounds to nothing; give a longer one"
        )
    return True


def _is_interval(value: object) -> bool:
    seconds = _duration_seconds(value)
    if seconds is not None and 0 < seconds < 1:
        raise ValueError(f"an interval of {str(value).strip()!r} is under a second; give 1s or more")
    return True


#: kpiframe's formats and what each raises for a value it refuses (its message becomes the problem's).
FORMAT_CHECKS: dict[str, tuple[Any, type[Exception]]] = {
    EXPRESSION_FORMAT: (_is_expression, ExpressionError),
    DURATION_FORMAT: (_is_duration, ValueError),
    INTERVAL_FORMAT: (_is_interval, ValueError),
}


@cache
def _formats() -> FormatChecker:
    """jsonschema's format checks, with kpiframe's own (imported on first use)."""
    from jsonschema import FormatChecker

    formats = FormatChecker()
    for name, (check, raises) in FORMAT_CHECKS.items():
        formats.checks(name, raises=raises)(check)
    return formats


@cache
def _validator_class() -> Any:
    """Draft 2020-12 where a number is finite: no count, share or time is ``.inf`` or ``.nan``."""
    from jsonschema import Draft202012Validator, validators

    def is_finite_number(checker: Any, instance: object) -> bool:
        base = Draft202012Validator.TYPE_CHECKER.is_type(instance, "number")
        return bool(base) and not (isinstance(instance, float) and not math.isfinite(instance))

    return validators.extend(
        Draft202012Validator, type_checker=Draft202012Validator.TYPE_CHECKER.redefine("number", is_finite_number)
    )


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
    import difflib  # only a mistake needs a suggestion

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
        if not path and hint and not hint.startswith("did you mean"):
            # A top-level key may be a plugin's section (`notify:`) whose plugin is not loaded.
            hint += "; a plugin's section needs its plugin: `kpiframe plugins` lists the loaded sections"
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
    if kind == "format" and isinstance(error.cause, ValueError):
        return doc.problem(path, str(error.cause))
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


def validate(
    instance: Any, schema: dict[str, Any], doc: Document, base: Path = (), *, remember: bool = True
) -> list[ConfigProblem]:
    """Every problem of ``instance`` against ``schema``, in document order.

    ``remember=False`` when the instance holds a ``${VAR}``'s value: no hash of it is kept
    (:mod:`kpiframe.config.valid_before`).
    """
    if surely_valid(instance, schema, remember=remember):
        return []
    validator = _validator_class()(schema, format_checker=_formats())
    problems = [describe(e, doc, base) for e in validator.iter_errors(instance)]
    problems.sort(key=lambda p: (p.line or 0, p.column or 0))
    # oneOf/anyOf can report the same spot twice; keep one message per location and text.
    unique: dict[tuple[Any, ...], ConfigProblem] = {}
    for p in problems:
        unique.setdefault((p.line, p.column, p.message), p)
    return list(unique.values())
