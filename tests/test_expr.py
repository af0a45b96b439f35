"""The expression language: parsing, precedence, errors, and filters checked against pandas."""

from __future__ import annotations

import ibis
import pandas as pd
import pytest

from kpiframe.errors import ExpressionError
from kpiframe.expr import evaluate, names, parse, to_ibis

ROWS = pd.DataFrame(
    {
        "a": [1, 2, 3, None, 5, 6],
        "b": [10.0, None, 30.0, 40.0, 50.0, 60.0],
        "channel": ["email", "chat", None, "Email", "phone", "chat"],
        "ok": [True, False, None, True, True, False],
        "Speed of answer": [3, 4, 5, 6, 7, 8],
    }
)

# expression → the same filter written in pandas (nulls never match, as in the config language)
CASES = [
    ("a > 2", lambda d: d.a > 2),
    ("a >= 2 and b < 50", lambda d: (d.a >= 2) & (d.b < 50)),
    ("a == 1 or b == 30 and channel == 'email'", lambda d: (d.a == 1) | ((d.b == 30) & (d.channel == "email"))),
    ("not ok", lambda d: d.ok == False),  # noqa: E712
    ("channel in ['chat', \"phone\"]", lambda d: d.channel.isin(["chat", "phone"])),
    ("channel not in ['chat']", lambda d: d.channel.notna() & ~d.channel.isin(["chat"])),
    ("channel is null", lambda d: d.channel.isna()),
    ("b is not null and a is null", lambda d: d.b.notna() & d.a.isna()),
    ("a between 2 and 5", lambda d: (d.a >= 2) & (d.a <= 5)),
    ("a * 10 + 5 > b", lambda d: d.a * 10 + 5 > d.b),
    ("-a < -2", lambda d: -d.a < -2),
    ("(a + 1) * 2 == 8", lambda d: (d.a + 1) * 2 == 8),
    ("lower(channel) = 'email'", lambda d: d.channel.str.lower() == "email"),
    ("`Speed of answer` >= 6", lambda d: d["Speed of answer"] >= 6),
    ("a != 2", lambda d: d.a.notna() & (d.a != 2)),
    ("coalesce(a, 0) == 0", lambda d: d.a.fillna(0) == 0),
]


@pytest.mark.parametrize(("text", "reference"), CASES, ids=[c[0] for c in CASES])
def test_filters_match_pandas(text, reference):
    table = ibis.memtable(ROWS)
    predicate = to_ibis(parse(text), table)
    got = sorted(table.filter(predicate.fill_null(False)).to_pandas()["Speed of answer"].tolist())
    mask = reference(ROWS).fillna(False).astype(bool)
    assert got == sorted(ROWS[mask]["Speed of answer"].tolist())


def test_precedence_and_binds_tighter_than_or():
    tree = parse("x or y and z")
    assert tree.kind == "logic" and tree.value == "or"
    assert tree.args[1].value == "and"


def test_arithmetic_precedence_on_plain_values():
    assert evaluate(parse("1 + 2 * 3 - 4 / 2"), {}) == 5
    assert evaluate(parse("(a + b) / c"), {"a": 1, "b": 3, "c": 2}) == 2
    assert evaluate(parse("a / b"), {"a": 1, "b": 0}) is None
    assert evaluate(parse("a + 1"), {"a": None}) is None
    assert evaluate(parse("round(a / 3, 2)"), {"a": 1}) == 0.33


def test_names_are_collected():
    assert names(parse("a + lower(b) > `c d` and e in [1, 2]")) == {"a", "b", "c d", "e"}


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("a <", "expected a column name, a number or a quoted string at position 4"),
        ("a > 1 b", "expected an operator such as 'and', '<=' or '+' at position 7"),
        ("a in (1, 2)", "expected '['"),
        ("a in [b]", "expected a literal value in the list"),
        ("a ; drop table t", "unexpected character ';' at position 3"),
        ("'unterminated", "unexpected character"),
        ("", "the expression is empty"),
    ],
)
def test_syntax_errors_say_where(text, message):
    with pytest.raises(ExpressionError, match=message.replace("(", r"\(").replace("[", r"\[").replace("+", r"\+")):
        parse(text)


def test_unknown_column_lists_the_columns_and_suggests():
    table = ibis.memtable(ROWS)
    with pytest.raises(ExpressionError) as caught:
        to_ibis(parse("chanel == 'x'"), table)
    assert "unknown column 'chanel'; the source has: a, b, channel, ok, Speed of answer" in caught.value.message
    assert caught.value.hint == "did you mean 'channel'?"


def test_unknown_function_is_an_error():
    with pytest.raises(ExpressionError, match="unknown function system"):
        to_ibis(parse("system('rm -rf /') == 1"), ibis.memtable(ROWS))


def test_string_literals_are_values_never_sql():
    table = ibis.memtable(ROWS)
    hostile = "x' or '1'='1"
    predicate = to_ibis(parse(f'channel == "{hostile}"'), table)
    assert table.filter(predicate).count().to_pyarrow().as_py() == 0


@pytest.mark.parametrize(
    "text",
    [
        "(" * 130 + "a" + ")" * 130,
        "- " * 500 + "1",
        "not " * 200 + "ok",
        " + ".join(["a"] * 1000),
        "abs(" * 100 + "a" + ")" * 100,
    ],
    ids=["parentheses", "unary-minus", "not", "long-chain", "calls"],
)
def test_expressions_deeper_than_the_limit_are_refused_with_a_hint(text):
    with pytest.raises(ExpressionError, match="nests deeper|operators in a chain") as caught:
        parse(text)
    assert caught.value.hint and "split it" in caught.value.hint


def test_an_expression_longer_than_the_limit_is_refused():
    with pytest.raises(ExpressionError, match="characters long"):
        parse("a == 1 or " * 2000 + "a == 2")


def test_reasonable_nesting_still_parses():
    assert parse("(" * 30 + "a + 1" + ")" * 30).kind == "binary"
