"""Every expression a data-check hint suggests parses and compiles as pasted: names in backticks where
the language needs them, and the value it gives is the one the hint promises."""

from __future__ import annotations

import re
from datetime import UTC, date, datetime, time, timedelta

import ibis
import pytest

from kpiframe.engine.column_types import Column, derived_name, time_column_hint, type_hint
from kpiframe.expr import parse, quote_name
from kpiframe.expr_names import compile_text

TABLE = ibis.memtable(
    {
        "Call Date": [261001, 260131],  # YYMMDD written as a number
        "Unix Seconds": [1_790_000_000, 0],
        "Call Time": [time(18, 25, 41), time(9, 0)],
        "Day": [date(2026, 10, 1), date(2026, 1, 31)],
        "Talk Duration": ["00:03:10", "00:00:05"],
        "and": [261001, 260131],  # a keyword as a column name
        "call_date": [0, 0],  # the snake-case name is taken: the derived column gets another
    }
)


def derived(hint: str) -> list[tuple[str, str]]:
    """The (name, expression) pairs of the ``derive: {name: "expression"}`` snippets of a hint."""
    return re.findall(r'derive: \{(\w+): "(.*?)"\} and time: (?:\w+)', hint)


def evaluate(expression: str) -> list:
    parse(expression)
    return TABLE.select(value=compile_text(expression, TABLE)).to_pyarrow().column("value").to_pylist()


@pytest.mark.parametrize("name", ["Call Date", "and"])
def test_an_integer_time_column_gets_pastable_from_unix_and_to_date_derives(name):
    hint = time_column_hint(name, TABLE)
    (unix_name, unix), (day_name, day) = derived(hint)
    assert unix == f"from_unix({quote_name(name)})" and name not in unix.replace(f"`{name}`", "")
    assert day == f"to_date(`{name}`, '%y%m%d')"
    assert unix_name == day_name and unix_name.lower() not in {c.lower() for c in TABLE.columns}
    assert [v.date() if isinstance(v, datetime) else v for v in evaluate(day)] == [date(2026, 10, 1), date(2026, 1, 31)]
    instants = [v.replace(tzinfo=UTC) if v.tzinfo is None else v for v in evaluate(unix)]
    assert instants[1] == datetime(1970, 1, 1, tzinfo=UTC) + timedelta(seconds=260131)
    assert f"time: {day_name}" in hint and "columns:" not in hint


def test_a_time_of_day_is_joined_to_a_date_column_of_the_table():
    hint = time_column_hint("Call Time", TABLE)
    ((_, expression),) = derived(hint)
    assert expression == "timestamp(Day, `Call Time`)"
    assert evaluate(expression)[0] == datetime(2026, 10, 1, 18, 25, 41)


def test_a_seconds_hint_for_a_named_param_quotes_the_name_and_keeps_an_expression():
    hint = type_hint(
        Column(("metrics", "talk", "params", "column"), "Talk Duration", TABLE["Talk Duration"].type()), None
    )
    (expression,) = re.findall(r"(seconds\(.*?\))[\"`]", hint or "")
    assert expression == "seconds(`Talk Duration`)" and evaluate(expression) == [190, 5]
    kept = type_hint(Column(("m",), "lower(`Talk Duration`)", TABLE["Talk Duration"].type()), None)
    assert "seconds(lower(`Talk Duration`))" in (kept or "")


def test_a_name_is_bare_only_when_it_lexes_as_one_plain_name():
    assert [quote_name(n) for n in ["talk", "talk_s", "a.b", "Call Date", "and", "NULL", "1st", "café", "`x y`"]] == [
        "talk",
        "talk_s",
        "a.b",
        "`Call Date`",
        "`and`",
        "`NULL`",
        "`1st`",
        "`café`",
        "`x y`",
    ]
    assert derived_name("Call Date", ["id"]) == "call_date"
    assert derived_name("Call Date", ["CALL_DATE"]) == "call_date_at"
    assert derived_name("2nd (Y/N)", []) == "c_2nd_y_n"
