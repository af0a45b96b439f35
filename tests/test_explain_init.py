"""`kpiframe explain`, `kpiframe init` and the generated metric catalogue."""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml

from kpiframe.packs.support import KPIS

ROOT = Path(__file__).parents[1]


@pytest.mark.parametrize("kpi", [k.name for k in KPIS])
def test_explain_covers_every_kpi(cli, kpi):
    result = cli("explain", kpi)
    assert result.exit_code == 0
    text = result.stdout
    calc = next(k for k in KPIS if k.name == kpi)
    assert calc.doc in text and f"unit:      {calc.unit}" in text and f"better:    {calc.direction}" in text
    example = yaml.safe_load(text.split("example:\n", 1)[1])
    (block,) = example["metrics"].values()
    assert block["calc"] == kpi


def test_every_kpi_has_a_formula_unit_and_direction():
    for calc in KPIS:
        assert len(calc.doc) > 40, calc.name
        assert calc.direction in ("higher", "lower", "neutral"), calc.name
        assert calc.title, calc.name


def test_the_catalogue_lists_every_kpi_and_preset():
    page = (ROOT / "docs" / "metrics.md").read_text()
    for calc in KPIS:
        assert f"### `{calc.name}`" in page
    for preset in ("zendesk", "freshdesk", "intercom", "call_log"):
        assert f"### `{preset}`" in page


def test_explain_knows_abbreviations_and_suggests(cli):
    assert cli("explain", "AHT").stdout.startswith("support.average_handle_time")
    result = cli("explain", "support.csatt")
    assert result.exit_code == 2 and "did you mean 'support.csat'?" in result.stderr


@pytest.mark.parametrize("preset", [None, "zendesk", "freshdesk", "intercom", "call_log"])
def test_init_writes_a_config_that_validates(cli, tmp_path, preset):
    out = tmp_path / "kpis.yaml"
    args = ["init", "--pack", "support", "--output", out] + (["--preset", preset] if preset else [])
    result = cli(*args)
    assert result.exit_code == 0, result.stderr
    check = cli("validate", out)
    assert check.exit_code == 0, check.stderr


def test_init_never_overwrites(cli, tmp_path):
    out = tmp_path / "mine.yaml"
    out.write_text("my own config\n")
    result = cli("init", "--output", out)
    assert result.exit_code == 2 and "never overwrites" in result.stderr
    assert out.read_text() == "my own config\n"


def test_init_for_the_sample_data_runs(cli, tmp_path):
    from kpiframe.sample_data import write_sample_data

    write_sample_data(tmp_path / "sample-data", tickets=500, seed=1)
    out = tmp_path / "kpis.yaml"
    cli("init", "--output", out)
    result = cli("run", out, "--as-of", "2026-10-01", "--format", "json", "--fail-on", "never")
    assert result.exit_code == 0 and '"status": "error"' not in result.stdout


def test_explain_finds_connectors_presets_and_expression_functions(cli):
    from kpiframe.expr import FUNCTIONS

    connector = cli("explain", "parquet")
    assert (
        connector.exit_code == 0
        and "parquet  (connector)" in connector.stdout
        and "path (required)" in connector.stdout
    )
    preset = cli("explain", "freshdesk")
    assert preset.exit_code == 0 and "freshdesk  (preset)" in preset.stdout and "created_at" in preset.stdout
    functions = cli("explain", "expressions").stdout
    assert all(f"  {name}(" in functions for name in FUNCTIONS)


def test_explain_takes_the_abbreviations_the_support_pack_registers(cli):
    from kpiframe.packs.support import ABBREVIATIONS

    for short, calculator in ABBREVIATIONS.items():
        result = cli("explain", short.upper())
        assert result.exit_code == 0 and result.stdout.startswith(calculator), short


def test_explain_suggests_the_closest_name(cli):
    result = cli("explain", "parqet")
    assert result.exit_code == 2 and "did you mean 'parquet'?" in result.stderr


def test_init_writes_a_schema_line_that_editors_follow(tmp_path, cli):
    import json

    import jsonschema
    import yaml

    config = tmp_path / "kpis.yaml"
    assert cli("init", "--output", config).exit_code == 0
    assert config.read_text().splitlines()[0] == "# yaml-language-server: $schema=kpiframe.schema.json"
    schema = json.loads((tmp_path / "kpiframe.schema.json").read_text())
    jsonschema.Draft202012Validator(schema).validate(yaml.safe_load(config.read_text()))
    # A file of that name that kpiframe did not write is left alone.
    (tmp_path / "kpiframe.schema.json").write_text("mine")
    assert cli("init", "--output", tmp_path / "other.yaml").exit_code == 0
    assert (tmp_path / "kpiframe.schema.json").read_text() == "mine"


@pytest.mark.parametrize(
    ("metric_id", "title"),
    [
        ("frt_p90", "FRT p90"),
        ("asa", "ASA"),
        ("tickets_per_agent_day", "Tickets per agent day"),
        ("csat_by_channel", "CSAT by channel"),
        ("sla_breaches", "SLA breaches"),
    ],
)
def test_titles_from_ids_read_as_people_write_them(write_config, tickets, metric_id, title):
    import kpiframe

    path = write_config(
        f"version: 1\nsources: {{t: {{connector: parquet, path: {tickets}}}}}\n"
        f"metrics:\n  {metric_id}: {{calc: count, source: t}}\n  other: {{calc: count, source: t}}\n"
    )
    assert kpiframe.load_config(path).metrics[metric_id].title == title


def test_plugins_summaries_end_on_a_word(cli):
    for line in cli("plugins").stdout.splitlines()[2:]:
        summary = line.rstrip()
        assert not summary.endswith(("-", ",")), summary
        if summary.endswith("…"):
            assert summary[-2] == " "
