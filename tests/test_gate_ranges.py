"""Dates and windows at the edges of the calendar: exit 2 with the key and the allowed range,
never an OverflowError traceback (issue 10)."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

import kpiframe
from conftest import write_parquet
from kpiframe.errors import ConfigError

CONFIG = """\
version: 1
title: Edges
window: {window}
sources:
  tickets: {{connector: parquet, path: tickets.parquet, time: created_at}}
metrics:
  volume:
    calc: count
    source: tickets
    target: ">= 0"
    {compare}
"""

WINDOWS = [
    "{last: 30d}",
    "{last: 36525d}",
    "{calendar: previous_month}",
    "{calendar: current_month}",
    "{calendar: previous_week}",
    "{calendar: previous_year}",
    "{calendar: current_quarter}",
]
COMPARES = ["", "compare: previous_period", "compare: same_period_last_year"]


@pytest.fixture
def tickets_dir(tmp_path):
    write_parquet(tmp_path / "tickets.parquet", [{"id": 1, "created_at": datetime(2026, 2, 2, 9)}])
    return tmp_path


@pytest.mark.parametrize(
    "as_of", ["0001-01-01", "0001-01-03", "9999-12-31", "1899-12-31", "2200-01-01", "9999-12-31T23:00:00-05:00"]
)
@pytest.mark.parametrize("window", ["{last: 30d}", "{calendar: previous_month}"])
def test_an_as_of_outside_the_range_is_a_usage_error_naming_the_range(tickets_dir, write_config, cli, as_of, window):
    path = write_config(CONFIG.format(window=window, compare="compare: previous_period"))
    result = cli("run", path, "--as-of", as_of)
    assert result.exit_code == 2, result.output
    assert "Traceback" not in result.output
    assert f"--as-of: {as_of[:10]} is outside the dates kpiframe accepts (1900-01-01 to 2199-12-31)" in result.stderr


@pytest.mark.parametrize("as_of", ["1900-01-01", "2199-12-31T23:59:59"])
@pytest.mark.parametrize("window", WINDOWS)
@pytest.mark.parametrize("compare", COMPARES)
def test_every_window_and_comparison_at_the_edges_of_the_range_runs(
    tickets_dir, write_config, cli, as_of, window, compare
):
    path = write_config(CONFIG.format(window=window, compare=compare))
    result = cli("run", path, "--as-of", as_of, "--format", "json")
    assert result.exit_code == 0, result.output
    assert '"status": "pass"' in result.stdout


def test_between_windows_at_the_edges_of_the_range_compare_without_overflow(tickets_dir, write_config, cli):
    for window in ("{between: ['1900-01-01', '1900-02-01']}", "{between: ['2199-01-01', '2199-12-31T23:59:59']}"):
        for compare in COMPARES:
            result = cli("run", write_config(CONFIG.format(window=window, compare=compare)), "--format", "json")
            assert result.exit_code == 0, result.output


def test_the_python_api_refuses_an_as_of_outside_the_range(tickets_dir, write_config):
    path = write_config(CONFIG.format(window="{calendar: previous_month}", compare=""))
    with pytest.raises(
        ConfigError, match=r"as_of: 0001-01-01 is outside the dates kpiframe accepts \(1900-01-01 to 2199-12-31\)"
    ):
        kpiframe.run(path, as_of=datetime(1, 1, 1, tzinfo=UTC))
