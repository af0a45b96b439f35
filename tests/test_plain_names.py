"""Plain column names: a param that is exactly one column's name needs no backticks; a near miss says what to write.

The fixture mimics a public call-centre CSV whose columns are `Answered (Y/N)`,
`Speed of answer in seconds` and `Satisfaction rating`.
"""

from __future__ import annotations

from statistics import mean

import ibis
import pytest

import kpiframe
from conftest import AS_OF
from kpiframe.errors import ExpressionError
from kpiframe.expr import parse
from kpiframe.expr_names import compile_text

ROWS = [
    # Call Id, Agent, Date, Time, Answered (Y/N), Speed of answer in seconds, Satisfaction rating
    ("ID0001", "Diane", "2021-01-01", "09:12:58", "Y", 109, 3),
    ("ID0002", "Becky", "2021-01-01", "09:15:10", "Y", 70, 5),
    ("ID0003", "Diane", "2021-01-02", "10:00:00", "N", None, None),
    ("ID0004", "Greg", "2021-01-03", "11:30:00", "Y", 12, 4),
    ("ID0005", "Becky", "2021-01-03", "12:45:00", "Y", 31, 2),
]
HEADER = "Call Id,Agent,Date,Time,Answered (Y/N),Speed of answer in seconds,Satisfaction rating"


@pytest.fixture
def calls(tmp_path):
    lines = [HEADER] + [",".join("" if v is None else str(v) for v in row) for row in ROWS]
    (tmp_path / "calls.csv").write_text("\n".join(lines) + "\n", encoding="utf-8")
    return tmp_path / "calls.csv"


SOURCE = """\
version: 1
window: all
sources:
  calls:
    connector: csv
    path: calls.csv
    time: Date
    columns: {answered: Answered (Y/N), started: Date + Time}
metrics:
"""


def test_params_roles_and_keys_take_a_column_name_with_spaces_as_it_is(calls, write_config):
    config = write_config(
        SOURCE
        + "  asa: {calc: mean, source: calls, params: {column: Speed of answer in seconds}}\n"
        + "  answered: {calc: share, source: calls, params: {match: \"answered == 'Y'\"}}\n"
        + "  csat_by_agent: {calc: mean, source: calls, params: {column: satisfaction rating}, by: [Agent]}\n"
        + "  per_flag: {calc: count, source: calls, by: [Answered (Y/N)]}\n"
        + '  late: {calc: count, source: calls, where: "`Speed of answer in seconds` > 60"}\n'
    )
    card = kpiframe.run(config, as_of=AS_OF)
    speeds = [r[5] for r in ROWS if r[5] is not None]
    assert card.metric("asa").value == pytest.approx(mean(speeds), rel=1e-12)
    assert card.metric("asa").n == len(speeds)
    assert card.metric("answered").value == pytest.approx(100 * 4 / 5)
    by_agent = {s.key["Agent"]: s.value for s in card.metric("csat_by_agent").segments}
    assert by_agent == {"Diane": 3, "Becky": 3.5, "Greg": 4}
    assert {s.key["Answered (Y/N)"]: s.n for s in card.metric("per_flag").segments} == {"Y": 4, "N": 1}
    assert card.metric("late").value == sum(1 for s in speeds if s > 60)


def test_a_name_that_is_no_column_is_a_located_error_naming_the_closest_columns(calls, write_config, cli):
    config = write_config(SOURCE + "  asa: {calc: mean, source: calls, params: {column: Speed of answr in seconds}}\n")
    result = cli("run", config)
    assert result.exit_code == 2
    assert f"{config}:10:53:" in result.stderr and "metrics.asa.params.column" in result.stderr
    assert "unknown column 'Speed of answr in seconds'" in result.stderr
    assert "the closest columns: 'Speed of answer in seconds'" in result.stderr


def test_an_expression_over_a_name_with_spaces_suggests_the_backticks(calls, write_config, cli):
    config = write_config(SOURCE + '  late: {calc: count, source: calls, where: "Speed of answer in seconds > 60"}\n')
    result = cli("validate", config)
    assert result.exit_code == 2
    assert "metrics.late.where" in result.stderr
    assert "goes in backticks: `Speed of answer in seconds` > 60" in result.stderr


def test_a_column_with_parentheses_in_an_expression_suggests_the_backticks(calls, write_config, cli):
    config = write_config(
        SOURCE + "  yes: {calc: count, source: calls, where: \"Answered (Y/N) == 'Y' and Agent == 'Diane'\"}\n"
    )
    result = cli("run", config)
    assert result.exit_code == 2
    assert "put the column name in backticks: `Answered (Y/N)` == 'Y' and Agent == 'Diane'" in result.stderr


TABLE = ibis.table({"Speed of answer in seconds": "int64", "Satisfaction rating": "int64", "Agent": "string"}, "t")


@pytest.mark.parametrize(
    ("text", "column"),
    [
        ("Speed of answer in seconds", "Speed of answer in seconds"),
        ("  speed of answer in seconds ", "Speed of answer in seconds"),
        ("`Satisfaction rating`", "Satisfaction rating"),
        ("Agent", "Agent"),
    ],
)
def test_the_whole_text_naming_a_column_is_that_column(text, column):
    assert compile_text(text, TABLE).get_name() == column


def test_a_parse_error_between_two_words_hints_at_backticks_without_the_columns():
    with pytest.raises(ExpressionError) as caught:
        parse("Satisfaction rating >= 4")
    assert "expected an operator" in caught.value.message and "found 'rating'" in caught.value.message
    assert caught.value.hint == "a name with spaces or symbols goes in backticks: `Satisfaction rating` >= 4"


def test_with_the_columns_known_the_hint_names_the_closest_ones():
    with pytest.raises(ExpressionError) as caught:
        compile_text("Satisfacton ratng >= 4", TABLE)
    assert "`Satisfacton ratng` >= 4" in (caught.value.hint or "")
    assert "the closest columns: 'Satisfaction rating'" in (caught.value.hint or "")


def test_other_syntax_errors_get_no_backtick_hint():
    with pytest.raises(ExpressionError) as caught:
        parse("a > 1 b")
    assert caught.value.hint is None
