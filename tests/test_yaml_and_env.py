"""Line-aware YAML and ${VAR} interpolation."""

from __future__ import annotations

import pytest

import kpiframe
from kpiframe.config.interpolate import interpolate
from kpiframe.config.yaml_source import parse_yaml
from kpiframe.errors import ConfigError
from kpiframe.redaction import Redactor

TEXT = """\
version: 1
defaults: &base
  connector: csv
sources:
  t:
    <<: *base
    path: "${DIR}/t.csv"
metrics:
  - first
  - {nested: [1, 2]}
"""


def test_every_value_and_key_keeps_its_position():
    doc = parse_yaml(TEXT, "x.yaml")
    assert doc.data["sources"]["t"] == {"connector": "csv", "path": "${DIR}/t.csv"}
    assert doc.values[("sources", "t", "path")].line == 7
    assert doc.values[("sources", "t", "path")].column == 11
    assert doc.keys[("sources", "t", "path")].column == 5
    assert doc.values[("metrics", 1, "nested", 1)].line == 10
    # a path that does not exist falls back to its nearest ancestor
    assert doc.locate(("sources", "t", "nope")).line == 6


def test_interpolation_defaults_escapes_and_numbers():
    doc = parse_yaml('a: "${X}"\nb: "${Y:-fallback}"\nc: "$${X}"\nd: "${N}"\ne: "n=${N}"\n', "x.yaml")
    data, secrets, problems = interpolate(doc, {"X": "hello", "N": "30"})
    assert data == {"a": "hello", "b": "fallback", "c": "${X}", "d": 30, "e": "n=30"}
    assert secrets == {"hello", "30"} and problems == []


def test_a_missing_variable_is_named_with_its_position(write_config):
    path = write_config(
        'version: 1\nsources:\n  t: {connector: csv, path: "${NOPE}/t.csv"}\nmetrics: {n: {calc: count, source: t}}\n'
    )
    with pytest.raises(ConfigError) as caught:
        kpiframe.load_config(path, environ={})
    assert (
        "kpis.yaml:3:29: sources.t.path: environment variable NOPE is not set (export NOPE=... before running"
        in str(caught.value)
    )


def test_secret_values_are_redacted_from_config_errors(write_config):
    path = write_config(
        'version: 1\nsources:\n  t: {connector: "${KIND}", path: x}\nmetrics: {n: {calc: count, source: t}}\n'
    )
    with pytest.raises(ConfigError) as caught:
        kpiframe.load_config(path, environ={"KIND": "hunter2-secret"})
    assert "hunter2-secret" not in str(caught.value) and "***" in str(caught.value)


def test_redact_replaces_longest_first():
    assert Redactor({"pass", "user:pass"})("user:pass@host pass") == "***@host ***"


def test_passwords_in_urls_are_masked_even_when_they_are_no_variable():
    redact = Redactor()
    assert (
        redact("postgresql://kpi:s3cret@db:5432/x?sslmode=require") == "postgresql://kpi:***@db:5432/x?sslmode=require"
    )
    assert redact("host=db password=s3cret user=kpi") == "host=db password=*** user=kpi"
    assert redact("https://api.example.com/?api_key=abc123&page=2") == "https://api.example.com/?api_key=***&page=2"


def test_unsafe_yaml_tags_are_refused(write_config):
    path = write_config("version: !!python/object/apply:os.system ['echo hi']\n")
    with pytest.raises(
        ConfigError, match="kpis.yaml:1:10: unsupported YAML tag 'tag:yaml.org,2002:python/object/apply:os.system'"
    ):
        kpiframe.load_config(path)
    scalar = write_config("version: !!python/name:os.system ''\n", "scalar.yaml")
    with pytest.raises(ConfigError, match="could not determine a constructor"):
        kpiframe.load_config(scalar)
