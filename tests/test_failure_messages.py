"""A failure says where to look: the file, line, column and value of dirty data, the plugin's own line."""

from __future__ import annotations

import json
import sys
import textwrap
from pathlib import Path

import pytest

ROWS = "id\tcalled_at\twait\n" + "".join(f"C{i}\t2026-02-0{1 + i % 5} 09:00:00\t{i}\n" for i in range(5))

PLUGIN = """\
import kpiframe


def _helper(values):
    return values.{method}()


class Spread(kpiframe.Calculator):
    name = "mytool.spread"
    params_schema = {{
        "type": "object",
        "properties": {{"column": {{"type": "string", "format": "kpiframe-expression"}}}},
        "required": ["column"],
    }}

    def parts(self, table, params, where, window):
        values = kpiframe.column(table, params["column"])
        return {{"low": _helper(values), "high": values.max(where=where)}}

    def finalize(self, parts, params):
        return kpiframe.Value({finalize})


@kpiframe.hookimpl
def kpiframe_register_calculators():
    return [Spread()]
"""


def _dirty(folder: Path, value: str = "abc") -> str:
    """A TSV whose 7th line holds ``value`` in the number column ``wait``."""
    (folder / "d.tsv").write_text(ROWS + f"C9\t2026-02-03 09:00:00\t{value}\n")
    return """\
        version: 1
        window: all
        sources:
          calls:
            connector: csv
            path: d.tsv
            delimiter: tab
            types: {wait: number}
            time: called_at
        metrics:
          soa: {calc: mean, source: calls, params: {column: wait}}
        """


def _error(result) -> str:
    return json.loads(result.stdout)["metrics"][0]["reason"]


def test_a_value_that_does_not_parse_is_named_with_its_file_line_column_and_a_fix(cli, write_config, tmp_path):
    path = write_config(_dirty(tmp_path))
    result = cli("run", path, "--format", "json")
    assert result.exit_code == 3
    error = _error(result)
    assert "d.tsv" in error and "line 7" in error and "'wait'" in error and "'abc'" in error
    assert "null_values: ['abc']" in error  # the fix, in kpiframe's own option names
    assert "types:" in error
    assert "nullstr" not in error and "sample_size" not in error  # DuckDB's dump of its options is dropped
    assert len(error) < 600


def test_a_dirty_value_is_bounded_and_redacted(cli, write_config, tmp_path, monkeypatch):
    monkeypatch.setenv("KF_TOKEN", "s3cr3t-value")
    path = write_config(_dirty(tmp_path, "s3cr3t-value" + "x" * 500).replace("wait}}", "wait}}\n        # ${KF_TOKEN}"))
    config = path.read_text().replace("delimiter: tab", "delimiter: tab\n    null_values: ['${KF_TOKEN}-none']")
    path.write_text(config)
    result = cli("run", path, "--format", "json")
    assert result.exit_code == 3
    error = _error(result)
    assert "s3cr3t-value" not in error and "s3cr3t-value" not in result.stderr
    assert len(error) < 600


def test_debug_shows_the_engines_whole_message(cli, write_config, tmp_path):
    path = write_config(_dirty(tmp_path))
    result = cli("--debug", "run", path, "--format", "json")
    assert result.exit_code == 3
    assert "sample_size" in result.stderr  # DuckDB's own full text, on stderr only with --debug
    assert "sample_size" not in cli("run", path, "--format", "json").stderr


def _plugin(folder: Path, method: str = "min", finalize: str = "parts['high'] - parts['low']") -> None:
    (folder / "nums.csv").write_text("t,x\n2026-02-01,1.5\n2026-02-02,4.0\n")
    (folder / "calc.py").write_text(PLUGIN.format(method=method, finalize=finalize))


PLUGIN_CONFIG = """\
    version: 1
    window: all
    plugins: [./calc.py]
    sources: {nums: {connector: csv, path: nums.csv, time: t}}
    metrics:
      spread: {calc: mytool.spread, source: nums, params: {column: x}}
    """


def test_the_plugin_itself_computes_when_it_has_no_bug(cli, write_config, tmp_path):
    _plugin(tmp_path)
    result = cli("run", write_config(PLUGIN_CONFIG), "--format", "json")
    assert result.exit_code == 0
    assert json.loads(result.stdout)["metrics"][0]["value"] == pytest.approx(4.0 - 1.5)


def test_a_method_no_ibis_column_has_is_the_plugins_bug_not_the_configs(cli, write_config, tmp_path):
    _plugin(tmp_path, method="nonexistent")
    result = cli("run", write_config(PLUGIN_CONFIG), "--format", "json")
    assert result.exit_code == 3  # the metric gets `error`; not exit 2 blaming `column: x`
    error = _error(result)
    assert "AttributeError" in error and "nonexistent" in error
    assert "(in calc.py:5)" in error  # _helper's line: where the author has to look


def test_a_method_the_columns_type_lacks_is_still_the_configs_doing(cli, write_config, tmp_path):
    _plugin(tmp_path, method="epoch_seconds")  # a timestamp's method, called on numbers
    result = cli("run", write_config(PLUGIN_CONFIG))
    assert result.exit_code == 2
    assert "metrics.spread.params.column" in result.stderr


def test_a_bug_in_finalize_names_the_plugins_line_and_debug_prints_its_traceback(cli, write_config, tmp_path):
    _plugin(tmp_path, finalize="1 / 0")
    path = write_config(PLUGIN_CONFIG)
    result = cli("run", path, "--format", "json")
    assert result.exit_code == 3
    assert "ZeroDivisionError" in _error(result) and "(in calc.py:21)" in _error(result)
    assert "Traceback" not in result.stderr
    debug = cli("--debug", "run", path, "--format", "json")
    assert "Traceback (most recent call last)" in debug.stderr
    assert textwrap.dedent(f'File "{tmp_path / "calc.py"}", line 21, in finalize') in debug.stderr


def test_debug_prints_the_traceback_of_a_bug_in_parts(cli, write_config, tmp_path):
    _plugin(tmp_path, method="nonexistent")
    debug = cli("--debug", "run", write_config(PLUGIN_CONFIG), "--format", "json")
    assert f'File "{tmp_path / "calc.py"}", line 5, in _helper' in debug.stderr


def test_a_plugin_packages_frame_is_shown_from_its_package_even_in_a_helper_module(tmp_path, monkeypatch, request):
    from kpiframe.engine.failures import plugin_frame

    package = tmp_path / "mytool"
    package.mkdir()
    (package / "__init__.py").write_text("")
    (package / "helpers.py").write_text("def boom():\n    return 1 / 0\n")
    (package / "calc.py").write_text(
        "from mytool.helpers import boom\n\n\nclass Calc:\n    def finalize(self):\n        return boom()\n"
    )
    monkeypatch.syspath_prepend(str(tmp_path))
    from mytool.calc import Calc  # type: ignore[import-not-found]

    for name in ("mytool", "mytool.calc", "mytool.helpers"):  # gone when the test ends
        request.addfinalizer(lambda name=name: sys.modules.pop(name, None))
    with pytest.raises(ZeroDivisionError) as caught:
        Calc().finalize()
    assert plugin_frame(caught.value, Calc()) == "mytool/helpers.py:2"
    assert plugin_frame(caught.value, object()) is None  # not a plugin's object: no frame to name


def test_a_calculators_long_message_is_cut_to_one_bounded_line(cli, write_config, tmp_path):
    _plugin(tmp_path, finalize="float('x' * 2000 + '\\nsecond line')")
    result = cli("run", write_config(PLUGIN_CONFIG), "--format", "json")
    error = _error(result)
    assert error.startswith("calculator mytool.spread failed: ValueError: could not convert string to float: 'xxx")
    assert "second line" not in error and len(error) < 500 and error.endswith("(in calc.py:21)")


def test_another_engine_error_keeps_its_type_and_first_line_within_bounds():
    from kpiframe.errors import MAX_REASON, engine_message

    binder = RuntimeError('Binder Error: column "x" not found\n\nLINE 1: SELECT x FROM t\n               ^')
    assert engine_message(binder) == 'RuntimeError: Binder Error: column "x" not found'
    long = engine_message(ValueError("y" * 5000))
    assert len(long) == MAX_REASON and long.endswith("…")


def test_a_missing_method_is_a_type_misfit_only_when_some_column_type_has_it():
    from kpiframe.engine.column_types import other_types_have

    assert other_types_have("mean") and other_types_have("epoch_seconds") and other_types_have("sum")
    assert not other_types_have("nonexistent") and not other_types_have(None)


def test_a_secret_in_a_calculators_failure_is_masked_in_the_message_and_the_debug_traceback(
    cli, write_config, tmp_path, monkeypatch
):
    monkeypatch.setenv("KF_TOKEN", "s3cr3t-value")
    _plugin(tmp_path, finalize="float(__import__('os').environ['KF_TOKEN'])")
    config = PLUGIN_CONFIG.replace("path: nums.csv,", "path: nums.csv, null_values: ['${KF_TOKEN}'],")
    path = write_config(config)
    for debug in ([], ["--debug"]):
        result = cli(*debug, "run", path, "--format", "json")
        assert result.exit_code == 3
        assert "ValueError" in _error(result)
        assert "s3cr3t-value" not in result.stdout and "s3cr3t-value" not in result.stderr
    assert "Traceback" in result.stderr  # the --debug run did print it, masked
