"""The fast "valid" (jsonschema-rs) never accepts what jsonschema refuses, and valid configs skip jsonschema.

The oracle is the ``jsonschema`` package itself: every verdict of
:func:`kpiframe.config.fast_validation.surely_valid` is compared with
``Draft202012Validator.iter_errors`` on the same instance and schema.
"""

from __future__ import annotations

import copy
import math
import subprocess
import sys
from pathlib import Path
from typing import Any

import jsonschema
import pytest
import yaml
from hypothesis import given
from hypothesis import strategies as st
from test_fuzz import VALID, values

from kpiframe.api import load_config
from kpiframe.config import fast_validation, validation
from kpiframe.config.fast_validation import eligible, plain_json, surely_valid
from kpiframe.config.schema import core_schema
from kpiframe.config.validation import _formats
from kpiframe.errors import ConfigError, KpiframeError
from kpiframe.plugins import make_plugin_manager

ROOT = Path(__file__).resolve().parents[1]
REGISTRY = make_plugin_manager()
PARAM_SCHEMAS = [
    reg.obj.params_schema
    for table in (REGISTRY.connectors, REGISTRY.calculators)
    for reg in table.values()
    if isinstance(getattr(reg.obj, "params_schema", None), dict)
]


def exact_verdict(instance: Any, schema: dict[str, Any]) -> bool:
    validator = jsonschema.Draft202012Validator(schema, format_checker=_formats())
    return next(iter(validator.iter_errors(instance)), None) is None


def assert_sound(instance: Any, schema: dict[str, Any]) -> None:
    if surely_valid(instance, schema):
        assert exact_verdict(instance, schema), f"jsonschema-rs accepted what jsonschema refuses: {instance!r}"


def test_every_shipped_schema_takes_the_fast_path():
    assert eligible(core_schema())
    assert all(eligible(schema) for schema in PARAM_SCHEMAS)


@pytest.mark.parametrize("config", sorted((ROOT / "configs").glob("*.yaml")), ids=lambda p: p.name)
def test_shipped_configs_are_valid_in_both_and_judged_fast(config):
    data = yaml.safe_load(config.read_text())
    assert plain_json(data)
    assert surely_valid(data, core_schema())
    assert exact_verdict(data, core_schema())


@pytest.mark.parametrize("case", sorted((ROOT / "tests" / "hostile").glob("*.yaml")), ids=lambda p: p.name)
def test_the_hostile_corpus_gets_the_same_verdict(case, monkeypatch, tmp_path):
    """Every instance and schema the loader validates for these files, judged by both."""
    seen: list[tuple[Any, dict[str, Any]]] = []

    def recording(instance: Any, schema: dict[str, Any], **options: Any) -> bool:
        seen.append((copy.deepcopy(instance), schema))
        return surely_valid(instance, schema, **options)

    monkeypatch.setattr(validation, "surely_valid", recording)
    target = tmp_path / case.name
    target.write_bytes(case.read_bytes())
    try:
        load_config(target)
    except KpiframeError:
        pass
    for instance, schema in seen:
        assert_sound(instance, schema)


@st.composite
def mutated(draw: Any) -> dict[str, Any]:
    """VALID with a few values replaced, keys dropped or added (of every JSON type, ASCII or not)."""
    config = copy.deepcopy(VALID)
    for _ in range(draw(st.integers(1, 3))):
        holder: Any = config
        while isinstance(holder, dict) and holder and draw(st.booleans()):
            child = holder[draw(st.sampled_from(sorted(holder)))]
            if not isinstance(child, dict):
                break
            holder = child
        if not isinstance(holder, dict) or not holder:
            continue
        key = draw(st.sampled_from(sorted(holder)))
        action = draw(st.sampled_from(["replace", "drop", "add"]))
        if action == "replace":
            holder[key] = draw(values)
        elif action == "drop":
            del holder[key]
        else:
            holder[draw(st.text(max_size=8))] = draw(values)
    return config


@given(mutated())
def test_mutated_configs_are_never_accepted_by_the_fast_path_alone(config):
    assert_sound(config, core_schema())


@given(st.sampled_from(PARAM_SCHEMAS), st.dictionaries(st.text(max_size=10), values, max_size=4))
def test_random_params_are_never_accepted_by_the_fast_path_alone(schema, params):
    assert_sound(params, schema)


@pytest.mark.parametrize(
    ("instance", "schema", "why"),
    [
        ("\ufeff5 min", {"pattern": r"^\s*\d+\s*min$"}, "U+FEFF is \\s to jsonschema-rs, not to Python's re"),
        (math.inf, {"maximum": 1}, "jsonschema-rs lets infinity past a maximum"),
        ("0000-01-01", {"format": "date"}, "jsonschema-rs' own date format allows year 0"),
        ((1, 2), {"type": "object"}, "a tuple is not JSON"),
        ({1: "x"}, {"additionalProperties": False, "properties": {"1": {}}}, "an integer key is not text"),
        (2**63 + 1, {"maximum": 2**63}, "integers beyond 2**53 lose precision"),
    ],
)
def test_where_the_two_validators_differ_jsonschema_decides(instance, schema, why):
    assert not exact_verdict(instance, schema), why
    assert not surely_valid(instance, schema), why


@pytest.mark.parametrize(
    "schema",
    [
        {"$ref": "#/$defs/x", "$defs": {"x": {}}},
        {"multipleOf": 0.1},
        {"format": "email"},
        {"properties": {"a": {"dependentRequired": {}}}},
        {"$schema": "http://json-schema.org/draft-07/schema#"},
        {"minimum": True},
        {"pattern": "("},
    ],
)
def test_schemas_with_keywords_not_vetted_go_to_jsonschema(schema):
    assert not eligible(schema)


def test_a_broken_expression_is_refused_by_both():
    schema = {"type": "string", "format": "kpiframe-expression"}
    assert not surely_valid("wait >", schema)
    assert not exact_verdict("wait >", schema)
    assert surely_valid("wait > 1", schema) and exact_verdict("wait > 1", schema)


def test_validating_a_valid_config_never_imports_jsonschema():
    code = (
        "import sys\nfrom kpiframe.api import load_config\n"
        f"load_config({str(ROOT / 'configs' / 'demo.yaml')!r})\nprint('JSONSCHEMA', 'jsonschema' in sys.modules)"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
    assert "JSONSCHEMA False" in out


def test_an_invalid_config_still_gets_jsonschemas_message(tmp_path):
    path = tmp_path / "kpis.yaml"
    path.write_text("version: 1\nsources: {t: {connector: csv, path: t.csv}}\nmetrics: {n: {calc: count, sorce: t}}\n")
    with pytest.raises(ConfigError) as caught:
        load_config(path)
    assert "unknown key 'sorce'" in str(caught.value) and "did you mean 'source'?" in str(caught.value)


def test_a_validator_is_compiled_once_per_schema():
    fast_validation._validators.clear()
    for _ in range(3):
        surely_valid(VALID, core_schema())
    assert len(fast_validation._validators) == 1
