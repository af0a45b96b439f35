"""The JSON Schema of a kpiframe config.

:func:`core_schema` is what every config must satisfy. :func:`full_schema` adds
each installed connector's and calculator's ``params_schema`` (for editors and
``kpiframe schema``). Validation itself checks the core schema first, then each
source and metric against its own plugin's schema, so every message names the
exact key.

Keys starting ``x-kpiframe-`` are ours: ``x-kpiframe-expected`` is the phrase
used in error messages when a value does not match a ``pattern``.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from kpiframe.business_hours import SCHEDULE_SCHEMA

if TYPE_CHECKING:
    from kpiframe.plugins import Registry

#: What a calculator puts in its params schema to accept business hours.
BUSINESS_HOURS_PARAM: dict[str, Any] = {
    "description": "count only working time: the name of a schedule under `business_hours:`, or a schedule",
    "oneOf": [{"type": "string"}, SCHEDULE_SCHEMA],
    "x-kpiframe-expected": "the name of a schedule under `business_hours:` or a schedule with `hours:`",
}

_NUMBER = r"[-+]?(\d+(\.\d*)?|\.\d+)([eE][-+]?\d+)?"
# The unit `m` stays in these patterns only so that the loader, not the schema, refuses
# it: the loader's message says what to write instead (minutes or a calendar month).
_QUANTITY = rf"\s*{_NUMBER}\s*(%|ms|sec|min|s|m|h|d|w)?\s*"
COMPARISON_PATTERN = rf"^\s*((<=|>=|==|<|>|=)\s*{_QUANTITY}|between\s+{_QUANTITY}\s+and\s+{_QUANTITY})$"

COMPARISON: dict[str, Any] = {
    "description": 'A comparison the value must satisfy: "<= 60", ">= 85%", "< 4h", "between 10 and 20".',
    "type": "string",
    "pattern": COMPARISON_PATTERN,
    "x-kpiframe-expected": 'a comparison such as "<= 60", ">= 85%", "< 4h" or "between 10 and 20"',
}

DURATION: dict[str, Any] = {
    "type": "string",
    "pattern": r"^\s*\d+(\.\d+)?\s*(s|m|min|h|d|w)\s*$",
    "x-kpiframe-expected": "a duration such as 30d, 12h or 2w",
}

TIMESTAMP: dict[str, Any] = {
    "type": "string",
    "pattern": r"^\d{4}-\d{2}-\d{2}([T ]\d{2}:\d{2}(:\d{2}(\.\d+)?)?)?(Z|[+-]\d{2}:?\d{2})?$",
    "x-kpiframe-expected": "a date or timestamp such as 2026-01-31 or 2026-01-31T12:00:00Z",
}

CALENDAR_WINDOWS = [
    f"{which}_{period}" for period in ("week", "month", "quarter", "year") for which in ("current", "previous")
]

WINDOW: dict[str, Any] = {
    "description": "The time range metrics are computed over, relative to --as-of.",
    "oneOf": [
        {"const": "all", "description": "every row, no time filter"},
        {
            "type": "object",
            "properties": {"last": {**DURATION, "description": "a rolling window ending at as-of: 30d, 12h, 2w"}},
            "required": ["last"],
            "additionalProperties": False,
        },
        {
            "type": "object",
            "properties": {
                "calendar": {
                    "enum": CALENDAR_WINDOWS,
                    "description": "a calendar period in the config's time zone; 'current' ends at as-of",
                }
            },
            "required": ["calendar"],
            "additionalProperties": False,
        },
        {
            "type": "object",
            "properties": {
                "between": {
                    "type": "array",
                    "items": TIMESTAMP,
                    "minItems": 2,
                    "maxItems": 2,
                    "description": "[from, to): from inclusive, to exclusive",
                }
            },
            "required": ["between"],
            "additionalProperties": False,
        },
    ],
    "x-kpiframe-expected": "all, {last: 30d}, {calendar: previous_month} or {between: [2026-01-01, 2026-02-01]}",
}

IDENTIFIER = r"^[A-Za-z_][A-Za-z0-9_]*$"

SOURCE_CORE_KEYS = (
    "connector",
    "time",
    "timezone",
    "derive",
    "columns",
    "preset",
    "where",
    "description",
    "min_rows",
)

SOURCE: dict[str, Any] = {
    "type": "object",
    "description": "Where a metric's rows come from. Besides these keys, the connector's own keys (path, table...).",
    "properties": {
        "connector": {
            "type": "string",
            "description": "the connector plugin: csv, parquet, jsonl, json, duckdb, sqlite...",
        },
        "time": {"type": "string", "description": "the timestamp column windows filter on"},
        "timezone": {
            "type": "string",
            "description": (
                "IANA zone of naive timestamps in this source (default: the scorecard's, the top-level timezone);"
                " when the config sets no top-level zone, windows and hours follow this one"
            ),
        },
        "derive": {
            "type": "object",
            "propertyNames": {"pattern": IDENTIFIER},
            "additionalProperties": {"type": "string", "format": "kpiframe-expression"},
            "description": (
                "new column → expression over the source's columns (`answered: \"outcome == 'AGENT'\"`); metrics,"
                " roles, `by:`, `where:` and `time:` use it like a real column, and one derived column may use another"
            ),
        },
        "columns": {
            "type": "object",
            "additionalProperties": {"type": "string", "format": "kpiframe-expression"},
            "description": (
                "role → column name or expression in this source (`abandoned: \"answered == 'N'\"`); overrides the"
                " preset"
            ),
        },
        "preset": {
            "type": "string",
            "description": "fill `columns` for a known export: zendesk, freshdesk, intercom, call_log...",
        },
        "where": {"type": "string", "description": "a filter applied to every metric on this source"},
        "min_rows": {
            "type": "integer",
            "minimum": 1,
            "description": (
                "fewer rows than this in a metric's window: that metric fails (catches a stale or truncated export)"
            ),
        },
        "description": {"type": "string"},
    },
    "required": ["connector"],
}

CHANGE: dict[str, Any] = {
    "type": "string",
    "pattern": r"^\s*(<=|>=|<|>)\s*[-+]?\s*(\d+(\.\d*)?|\.\d+)\s*(%|points?|pts|ms|sec|min|s|m|h|d|w)?\s*(worse)?\s*$",
    "x-kpiframe-expected": (
        'a change such as "<= +10%" (relative), ">= -2 points", "<= +30s" (absolute) or "<= 10% worse"'
    ),
}

LEVEL: dict[str, Any] = {
    "description": (
        'a comparison ("<= 60"), or {value: "<= 60", change: "<= +10%"} to judge the change from a baseline too'
    ),
    "oneOf": [
        COMPARISON,
        {
            "type": "object",
            "properties": {
                "value": COMPARISON,
                "change": CHANGE,
                "noise": {
                    "type": "object",
                    "properties": {"last": {"type": "integer", "minimum": 2}},
                    "required": ["last"],
                    "additionalProperties": False,
                    "description": (
                        "fail a change only when the value is also outside the range of the last N runs in the history"
                    ),
                },
            },
            "minProperties": 1,
            "additionalProperties": False,
        },
    ],
    "x-kpiframe-expected": 'a comparison such as "<= 60", or {value: "<= 60", change: "<= +10%"}',
}

#: More segments than this for one metric is almost always a key with one value per row
#: (a ticket id): an error with a hint to use `top:`, not a million-row table.
DEFAULT_MAX_SEGMENTS = 1000

KEY_LIST: dict[str, Any] = {
    "type": "array",
    "items": {"type": "string", "format": "kpiframe-expression"},
    "minItems": 1,
}

BASELINE: dict[str, Any] = {
    "description": (
        "which earlier run change targets compare with (only runs of earlier windows count): previous, "
        "{last_passing: true}, {median_of_last: N} or {pinned: <run id or date>}"
    ),
    "oneOf": [
        {"const": "previous"},
        {
            "type": "object",
            "properties": {"last_passing": {"const": True}},
            "required": ["last_passing"],
            "additionalProperties": False,
        },
        {
            "type": "object",
            "properties": {"median_of_last": {"type": "integer", "minimum": 1}},
            "required": ["median_of_last"],
            "additionalProperties": False,
        },
        {
            "type": "object",
            "properties": {"pinned": {"type": "string"}},
            "required": ["pinned"],
            "additionalProperties": False,
        },
    ],
    "x-kpiframe-expected": "previous, {last_passing: true}, {median_of_last: 5} or {pinned: <run id or date>}",
}

METRIC: dict[str, Any] = {
    "type": "object",
    "properties": {
        "calc": {"type": "string", "description": "the calculator: count, mean, percentile, share, support.csat..."},
        "source": {"type": "string", "description": "the id of a source under `sources`"},
        "title": {"type": "string"},
        "description": {"type": "string"},
        "params": {"type": "object", "description": "the calculator's parameters (see `kpiframe plugins`)"},
        "where": {"type": "string", "description": "a filter on the rows this metric counts"},
        "window": WINDOW,
        "target": {**LEVEL, "description": "the fail level: " + LEVEL["description"]},
        "warn": {
            **LEVEL,
            "oneOf": [*LEVEL["oneOf"], {"type": "null"}],
            "description": (
                "the warn level: a passing metric warns when this is false; null: none, also when `defaults:` give one"
            ),
        },
        "by": {
            **KEY_LIST,
            "description": (
                "segment keys: columns or weekday(ts), hour(ts), date(ts), week(ts), month(ts); every segment gets a"
                " row and a verdict"
            ),
        },
        "targets": {
            "type": "object",
            "additionalProperties": LEVEL,
            "description": 'per-segment targets overriding `target`: {"channel=phone": "<= 30s"}',
        },
        "top": {
            "type": "integer",
            "minimum": 1,
            "description": "keep the N largest segments (by n); the report says how many were hidden",
        },
        "worst": {
            "type": "integer",
            "minimum": 1,
            "description": "keep the N worst segments (by status, then value); the report says how many were hidden",
        },
        "max_segments": {
            "type": "integer",
            "minimum": 1,
            "maximum": 1_000_000,
            "description": (
                f"more segments than this is an error that suggests `top:` (default {DEFAULT_MAX_SEGMENTS:,})"
            ),
        },
        "grain": {
            "enum": ["day", "week", "month"],
            "description": "the metric's series over the window, one value per day, week or month",
        },
        "compare": {
            "enum": ["previous_period", "same_period_last_year"],
            "description": "compute the metric on that window too, report the delta, allow change targets",
        },
        "per": {
            **KEY_LIST,
            "description": (
                "two-level aggregation: compute the metric per group of these keys, then `per_stat` over the groups"
            ),
        },
        "per_stat": {
            "type": "string",
            "pattern": r"^(mean|median|min|max|sum|p(\d{1,2}(\.\d+)?|100))$",
            "x-kpiframe-expected": "mean, median, min, max, sum or a percentile such as p90",
            "description": "the statistic over `per` groups (default mean)",
        },
        "heatmap": {
            "type": "boolean",
            "description": "also compute the weekday × hour matrix on the window's time column",
        },
        "baseline": BASELINE,
        "min_sample": {
            "oneOf": [{"type": "integer", "minimum": 0}, {"type": "null"}],
            "description": "fewer rows than this: status no_data; null: no minimum, also when `defaults:` give one",
        },
        "confidence": {
            "enum": ["point", "significant"],
            "description": (
                "point (default): judge the value; significant: fail or warn only when the whole 95% interval misses"
                " the level"
            ),
        },
        "direction": {
            "enum": ["higher", "lower", "neutral"],
            "description": "override the calculator's better direction",
        },
        "tags": {
            "type": "array",
            "items": {"type": "string"},
            "description": "labels for picking metrics: `kpiframe run --select tag:NAME` runs those with the tag",
        },
    },
    "required": ["calc"],
    "additionalProperties": False,
}


ENGINE: dict[str, Any] = {
    "type": "object",
    "description": "limits of the embedded DuckDB engine; --memory-limit and --threads override them",
    "properties": {
        "memory_limit": {
            "type": "string",
            "pattern": r"^\s*\d+(\.\d+)?\s*(KB|MB|GB|TB|KiB|MiB|GiB|TiB|%)\s*$",
            "x-kpiframe-expected": "a size such as 4GB or 512MB, or a share of RAM such as 50%",
            "description": "the most memory DuckDB may use before it spills to disk (default: DuckDB's, 80% of RAM)",
        },
        "threads": {
            "type": "integer",
            "minimum": 1,
            "maximum": 1024,
            "description": "worker threads (default: one per core)",
        },
    },
    "additionalProperties": False,
}


INCLUDE: dict[str, Any] = {
    "type": "array",
    "items": {"type": "string", "minLength": 1},
    "description": (
        "other config files (paths relative to this file) whose sources, metrics and business_hours are merged in;"
        " this file's own definitions win"
    ),
}

#: The metric keys a file's ``defaults:`` may set for every metric of that file.
DEFAULT_KEYS = ("source", "window", "min_sample", "warn")

DEFAULTS: dict[str, Any] = {
    "type": "object",
    "properties": {
        **{key: METRIC["properties"][key] for key in DEFAULT_KEYS},
        # A default is a value: `null` is how a metric opts out of one, not a default itself.
        "warn": {**LEVEL, "description": "the warn level of the metrics whose unit it fits (see the config guide)"},
        "min_sample": {"type": "integer", "minimum": 0, "description": "fewer rows than this: status no_data"},
    },
    "additionalProperties": False,
    "description": "settings for every metric of this file (not of the files it includes); a metric's own win",
}


def core_schema() -> dict[str, Any]:
    """The schema every config satisfies, without any plugin's parameters."""
    return {
        "$schema": "https://json-schema.org/draft/2020-12/schema",
        "$id": "https://kpiframe.dev/schema/config-1.json",
        "title": "kpiframe config",
        "type": "object",
        "properties": {
            "version": {"const": 1, "description": "config format version; 1"},
            "include": INCLUDE,
            "defaults": DEFAULTS,
            "title": {"type": "string", "description": "the scorecard's title"},
            "description": {"type": "string"},
            "as_of": {
                **TIMESTAMP,
                "description": "the instant windows end at; --as-of overrides it; default now (UTC)",
            },
            "timezone": {
                "type": "string",
                "description": (
                    "IANA zone of the scorecard: calendar windows, dates without an offset, hours and weekdays"
                    " (default: the zone the sources name, else UTC)"
                ),
            },
            "window": WINDOW,
            "baseline": {
                **BASELINE,
                "description": "the default baseline of change targets (with --history): " + BASELINE["description"],
            },
            "engine": ENGINE,
            "business_hours": {
                "type": "object",
                "propertyNames": {"pattern": IDENTIFIER},
                "additionalProperties": SCHEDULE_SCHEMA,
                "description": (
                    "named opening-hours schedules; duration KPIs take `business_hours: NAME` to count only working"
                    " time"
                ),
            },
            "plugins": {
                "type": "array",
                "items": {"type": "string"},
                "description": "extra plugin modules or .py files (relative to this file)",
            },
            "sources": {
                "type": "object",
                "minProperties": 1,
                "propertyNames": {"pattern": IDENTIFIER},
                "additionalProperties": SOURCE,
            },
            "metrics": {
                "type": "object",
                "minProperties": 1,
                "propertyNames": {"pattern": IDENTIFIER},
                "additionalProperties": METRIC,
            },
        },
        "required": ["version", "sources", "metrics"],
        "additionalProperties": False,
    }


def with_sections(schema: dict[str, Any], registry: Any) -> dict[str, Any]:
    """``schema`` with the top-level sections the plugins registered (``kpiframe_register_config_sections``)."""
    sections = getattr(registry, "sections", {})
    if sections:
        schema["properties"].update({name: reg.obj for name, reg in sections.items()})
    return schema


def full_schema(registry: Registry) -> dict[str, Any]:
    """The core schema plus every installed plugin's parameters and sections, for editors."""
    schema = with_sections(core_schema(), registry)
    props = schema["properties"]
    source_variants = []
    for name, reg in sorted(registry.connectors.items()):
        params = reg.obj.params_schema
        merged = {**SOURCE["properties"], **params.get("properties", {})}
        source_variants.append(
            {
                "if": {"properties": {"connector": {"const": name}}, "required": ["connector"]},
                "then": {
                    "properties": merged,
                    "required": ["connector", *params.get("required", [])],
                    "additionalProperties": False,
                },
            }
        )
    connectors = sorted(registry.connectors)
    props["sources"]["additionalProperties"] = {
        **SOURCE,
        "properties": {**SOURCE["properties"], "connector": {**SOURCE["properties"]["connector"], "enum": connectors}},
        "allOf": source_variants,
    }
    metric_variants = []
    for name, reg in sorted(registry.calculators.items()):
        metric_variants.append(
            {
                "if": {"properties": {"calc": {"const": name}}, "required": ["calc"]},
                "then": {"properties": {"params": reg.obj.params_schema}},
            }
        )
    props["metrics"]["additionalProperties"] = {
        **METRIC,
        "properties": {
            **METRIC["properties"],
            "calc": {**METRIC["properties"]["calc"], "enum": sorted(registry.calculators)},
        },
        "allOf": metric_variants,
    }
    return schema
