"""Config mistakes: every one reported at once, with file:line:column, exit 2, no traceback."""

from __future__ import annotations

import re

import pytest

import kpiframe
from kpiframe.errors import ConfigError

TEN_MISTAKES = """\
version: 1
title: Ten mistakes
windw: {last: 30d}
sources:
  tickets:
    connector: parquett
    path: tickets.parquet
  calls:
    connector: csv
    pth: calls.csv
metrics:
  frt:
    calc: duration
    source: tickets
    params: {start: created_at, end: first_response_at, stat: p900}
    target: "sixty"
  csat:
    calc: share
    source: survey
    params: {match: "score >= 4"}
    min_sample: many
  volume:
    calc: cont
    source: tickets
  rate:
    calc: share
    source: tickets
    params: {match: "channel = = 'email'"}
    target: ">= 0.85"
  aht:
    calc: mean
    source: calls
    params: {column: talk_seconds}
    warn: "<= 5h"
"""


def test_ten_mistakes_are_all_reported_with_positions(write_config, cli):
    path = write_config(TEN_MISTAKES)
    result = cli("run", path)
    assert result.exit_code == 2
    assert "Traceback" not in result.output
    lines = [line for line in result.stderr.splitlines() if line.startswith(str(path))]
    expected = [
        (3, 1, "windw", "unknown key 'windw'"),
        (6, 16, "sources.tickets.connector", "unknown connector 'parquett'"),
        (10, 5, "sources.calls.pth", "unknown key 'pth'"),
        (9, 5, "sources.calls", "missing required key 'path'"),
        (15, 63, "metrics.frt.params.stat", "expected a statistic"),
        (16, 13, "metrics.frt.target", 'expected a comparison such as "<= 60"'),
        (19, 13, "metrics.csat.source", "unknown source 'survey'"),
        (21, 17, "metrics.csat.min_sample", "expected a whole number, got 'many'"),
        (23, 11, "metrics.volume.calc", "unknown calculator 'cont'"),
        (28, 21, "metrics.rate.params.match", "expected a column name"),
        (29, 13, "metrics.rate.target", "on a percentage metric means 0.85%"),
        (34, 11, "metrics.aht.warn", "is a duration but the metric's unit is 'number'"),
    ]
    for line, column, key, text in expected:
        match = [message for message in lines if message.startswith(f"{path}:{line}:{column}: {key}: ")]
        assert match, f"no message at {line}:{column} for {key}; got:\n" + "\n".join(lines)
        assert text in match[0], match[0]
    assert "12 problems found" in result.stderr


def test_messages_carry_a_fix(write_config):
    path = write_config(TEN_MISTAKES)
    with pytest.raises(ConfigError) as caught:
        kpiframe.load_config(path)
    text = str(caught.value)
    assert "did you mean 'window'?" in text
    assert "did you mean 'parquet'?" in text
    assert "did you mean 'path'?" in text
    assert "did you mean 'surveys'?" in text or "defined sources: tickets, calls" in text
    assert "did you mean 'count'?" in text


def test_duplicate_keys_are_an_error_naming_both_lines(write_config):
    path = write_config("""
        version: 1
        sources:
          t: {connector: csv, path: x.csv}
        metrics:
          a: {calc: count, source: t}
          a: {calc: count, source: t, where: "x > 1"}
        """)
    with pytest.raises(ConfigError) as caught:
        kpiframe.load_config(path)
    assert re.search(r"kpis.yaml:6:3: metrics.a: duplicate key 'a' \(first defined on line 5\)", str(caught.value))


def test_invalid_yaml_points_at_the_spot(write_config, cli):
    path = write_config("version: 1\nsources: [a, b\nmetrics: {}\n")
    result = cli("validate", path)
    assert result.exit_code == 2
    assert re.match(rf"{re.escape(str(path))}:\d+:\d+: invalid YAML", result.stderr)


def test_missing_file_and_empty_file(tmp_path, cli, write_config):
    result = cli("validate", tmp_path / "nope.yaml")
    assert result.exit_code == 2 and "config file not found" in result.stderr
    result = cli("validate", write_config(""))
    assert result.exit_code == 2 and "must be a mapping" in result.stderr


def test_unknown_column_found_at_run_lists_the_columns(write_config, tickets, cli):
    path = write_config(f"""
        version: 1
        window: all
        sources:
          t: {{connector: parquet, path: {tickets}}}
        metrics:
          frt:
            calc: mean
            source: t
            where: "chanel == 'email'"
            params: {{column: wait}}
        """)
    result = cli("run", path)
    assert result.exit_code == 2
    assert f"{path}:9:12: metrics.frt.where: unknown column 'chanel'; the source has: id, created_at" in result.stderr
    assert "did you mean 'channel'?" in result.stderr


def test_window_on_a_source_without_time_is_a_config_error(write_config, tickets):
    path = write_config(f"""
        version: 1
        window: {{last: 7d}}
        sources:
          t: {{connector: parquet, path: {tickets}}}
        metrics:
          n: {{calc: count, source: t}}
        """)
    with pytest.raises(ConfigError, match="needs a time column .* but source 't' has none"):
        kpiframe.run(path)


def test_derived_metric_cycle_is_an_error(write_config):
    path = write_config("""
        version: 1
        sources:
          t: {connector: csv, path: x.csv}
        metrics:
          a: {calc: expr, params: {expr: "b + 1"}}
          b: {calc: expr, params: {expr: "c * 2"}}
          c: {calc: expr, params: {expr: "a / 2"}}
          d: {calc: expr, params: {expr: "a + nope"}}
        """)
    with pytest.raises(ConfigError) as caught:
        kpiframe.load_config(path)
    text = str(caught.value)
    assert "derived metrics form a cycle: a -> b -> c -> a" in text
    assert "unknown metric 'nope'" in text


def test_bad_time_zone_and_window(write_config):
    path = write_config("""
        version: 1
        timezone: Europe/Berln
        window: {between: ["2026-02-01", "2026-01-01"]}
        sources:
          t: {connector: csv, path: x.csv, timezone: Mars/Base}
        metrics:
          a: {calc: count, source: t, window: {last: 0d}}
        """)
    with pytest.raises(ConfigError) as caught:
        kpiframe.load_config(path)
    text = str(caught.value)
    assert "kpis.yaml:2:11: timezone: unknown time zone 'Europe/Berln' (did you mean 'Europe/Berlin'?)" in text
    assert "window.between: the window's start must be before its end" in text
    assert "sources.t.timezone: unknown time zone 'Mars/Base'" in text
    assert "metrics.a.window.last: expected a positive duration, got '0d'" in text
