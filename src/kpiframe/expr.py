"""The small expression language of ``where`` filters, value columns and derived metrics.

Grammar (lowest precedence first)::

    expr    := or
    or      := and ("or" and)*
    and     := not ("and" not)*
    not     := "not" not | compare
    compare := sum [ ("=="|"="|"!="|"<>"|"<"|"<="|">"|">=") sum
                   | "is" ["not"] "null"
                   | ["not"] "in" "[" literal ("," literal)* "]"
                   | "between" sum "and" sum ]
    sum     := product (("+"|"-") product)*
    product := unary (("*"|"/"|"%") unary)*
    unary   := "-" unary | atom
    atom    := number | 'string' | "string" | true | false | null
             | name | `any name` | function "(" expr ("," expr)* ")" | "(" expr ")"

Text is parsed by this module into an AST and compiled into Ibis expressions
(:func:`to_ibis`) or evaluated on plain numbers (:func:`evaluate`). Nothing is
ever passed to ``eval`` or pasted into SQL: names become column references and
literals become bound Ibis literals.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

from kpiframe import expr_time
from kpiframe.errors import ExpressionError

__all__ = ["Node", "NameWithSpacesError", "evaluate", "names", "parse", "quote_name", "to_condition", "to_ibis"]


# ---------------------------------------------------------------- AST
@dataclass(frozen=True)
class Node:
    """One node of the expression tree. ``kind`` says what it is; ``args`` its children."""

    kind: str  # literal, name, unary, binary, compare, logic, not, isnull, in, between, call
    value: Any = None
    args: tuple[Node, ...] = ()


# ---------------------------------------------------------------- tokens
_TOKEN = re.compile(
    r"""\s*(?:
        (?P<number>(?:\d+(?:\.\d*)?|\.\d+)(?:[eE][-+]?\d+)?)
      | (?P<string>'(?:[^'\\]|\\.|'')*'|"(?:[^"\\]|\\.)*")
      | (?P<quoted>`[^`]+`)
      | (?P<name>[A-Za-z_][A-Za-z0-9_.]*)
      | (?P<op><=|>=|==|!=|<>|[-+*/%()<>=,\[\]])
    )""",
    re.VERBOSE,
)
_KEYWORDS = {"and", "or", "not", "in", "is", "null", "true", "false", "between"}


def quote_name(name: str) -> str:
    """A column name as the language reads it: bare when it lexes as one plain name, else in backticks.

    Every hint that shows an expression over a column goes through this, so a
    suggested fix parses when pasted (``Call Date`` becomes ```Call Date```, a
    column named ``and`` too). A name already in backticks is left as it is.
    """
    if len(name) > 1 and name.startswith("`") and name.endswith("`"):
        return name
    plain = re.fullmatch(r"[A-Za-z_][A-Za-z0-9_.]*", name) and name.lower() not in _KEYWORDS
    return name if plain else f"`{name}`"


@dataclass(frozen=True)
class _Token:
    kind: str  # number string name op keyword end
    text: str
    pos: int


def _tokenize(text: str) -> list[_Token]:
    tokens: list[_Token] = []
    pos = 0
    while pos < len(text):
        if text[pos:].strip() == "":
            break
        match = _TOKEN.match(text, pos)
        if not match or match.end() == pos:
            at = len(text) - len(text[pos:].lstrip())
            raise ExpressionError(f"unexpected character {text[at]!r} at position {at + 1} in {text!r}")
        kind = match.lastgroup or "op"
        value = match.group(kind)
        start = match.start(kind)
        if kind == "name" and value.lower() in _KEYWORDS:
            tokens.append(_Token("keyword", value.lower(), start))
        elif kind == "quoted":
            tokens.append(_Token("name", value[1:-1], start))
        else:
            tokens.append(_Token(kind, value, start))
        pos = match.end()
    tokens.append(_Token("end", "", len(text)))
    return tokens


def _unquote(text: str) -> str:
    quote = text[0]
    body = text[1:-1]
    if quote == "'":
        body = body.replace("''", "'")
    return re.sub(r"\\(.)", r"\1", body)


# ---------------------------------------------------------------- parser
#: Limits no real expression comes near, so that a hostile one cannot exhaust the
#: parser's, Ibis' or SQLGlot's recursion (130 nested parentheses used to).
MAX_LENGTH = 10_000
MAX_DEPTH = 64


class _Parser:
    def __init__(self, text: str):
        self.text = text
        self.tokens = _tokenize(text)
        self.i = 0
        self.depth = 0

    def nest(self) -> None:
        """Enter a nested construct (parentheses, a call's arguments, unary not or minus)."""
        self.depth += 1
        if self.depth > MAX_DEPTH:
            raise ExpressionError(
                f"the expression nests deeper than {MAX_DEPTH} levels at position {self.tok.pos + 1}",
                "split it: derive a column on the source, or use a role",
            )

    @property
    def tok(self) -> _Token:
        return self.tokens[self.i]

    def take(self) -> _Token:
        tok = self.tokens[self.i]
        self.i += 1
        return tok

    def accept(self, kind: str, text: str | None = None) -> _Token | None:
        tok = self.tok
        if tok.kind == kind and (text is None or tok.text == text):
            self.i += 1
            return tok
        return None

    def expect(self, kind: str, text: str) -> None:
        if not self.accept(kind, text):
            self.fail(f"expected {text!r}")

    def fail(self, what: str) -> None:
        tok = self.tok
        found = "the end" if tok.kind == "end" else repr(tok.text)
        message = f"{what} at position {tok.pos + 1} of {self.text!r}, found {found}"
        words = self.words_around(self.i)
        if words is not None:
            raise NameWithSpacesError(message, self.text, *words)
        raise ExpressionError(message)

    def words_around(self, i: int) -> tuple[int, int] | None:
        """Where a name with spaces lies (``Speed of answer in seconds``) when the parser stopped
        between two words; ``None`` when the mistake is something else."""
        wordlike = ("name", "keyword", "number")
        if i == 0 or self.tokens[i].kind not in wordlike or self.tokens[i - 1].kind not in ("name", "keyword"):
            return None

        def word(j: int) -> bool:
            tok = self.tokens[j]
            return tok.kind in wordlike and tok.text not in ("and", "or") and self.text[tok.pos] != "`"

        first, last = i - 1, i
        while first > 0 and word(first - 1):
            first -= 1
        while self.tokens[last + 1].kind != "end" and word(last + 1):
            last += 1
        end_tok = self.tokens[last]
        return self.tokens[first].pos, end_tok.pos + len(end_tok.text)

    def parse(self) -> Node:
        if self.tok.kind == "end":
            raise ExpressionError("the expression is empty")
        node = self.or_()
        if self.tok.kind != "end":
            self.fail("expected an operator such as 'and', '<=' or '+'")
        return node

    def or_(self) -> Node:
        node = self.and_()
        while self.accept("keyword", "or"):
            node = Node("logic", "or", (node, self.and_()))
        return node

    def and_(self) -> Node:
        node = self.not_()
        while self.accept("keyword", "and"):
            node = Node("logic", "and", (node, self.not_()))
        return node

    def not_(self) -> Node:
        if self.accept("keyword", "not"):
            self.nest()
            node = Node("not", None, (self.not_(),))
            self.depth -= 1
            return node
        return self.compare()

    def compare(self) -> Node:
        left = self.sum_()
        tok = self.tok
        if tok.kind == "op" and tok.text in {"==", "=", "!=", "<>", "<", "<=", ">", ">="}:
            self.take()
            op = {"=": "==", "<>": "!="}.get(tok.text, tok.text)
            return Node("compare", op, (left, self.sum_()))
        if self.accept("keyword", "is"):
            negate = bool(self.accept("keyword", "not"))
            self.expect("keyword", "null")
            node = Node("isnull", None, (left,))
            return Node("not", None, (node,)) if negate else node
        if tok.kind == "keyword" and tok.text == "not" and self.tokens[self.i + 1].text == "in":
            self.take()
            self.take()
            return Node("not", None, (self.in_list(left),))
        if self.accept("keyword", "in"):
            return self.in_list(left)
        if self.accept("keyword", "between"):
            low = self.sum_()
            self.expect("keyword", "and")
            return Node("between", None, (left, low, self.sum_()))
        return left

    def in_list(self, left: Node) -> Node:
        self.expect("op", "[")
        items = [self.literal()]
        while self.accept("op", ","):
            items.append(self.literal())
        self.expect("op", "]")
        return Node("in", tuple(item.value for item in items), (left,))

    def literal(self) -> Node:
        node = self.unary()
        if node.kind != "literal":
            self.fail("expected a literal value in the list")
        return node

    def sum_(self) -> Node:
        node = self.product()
        while self.tok.kind == "op" and self.tok.text in {"+", "-"}:
            op = self.take().text
            node = Node("binary", op, (node, self.product()))
        return node

    def product(self) -> Node:
        node = self.unary()
        while self.tok.kind == "op" and self.tok.text in {"*", "/", "%"}:
            op = self.take().text
            node = Node("binary", op, (node, self.unary()))
        return node

    def unary(self) -> Node:
        if self.accept("op", "-"):
            self.nest()
            inner = self.unary()
            self.depth -= 1
            if inner.kind == "literal" and isinstance(inner.value, (int, float)):
                return Node("literal", -inner.value)
            return Node("unary", "-", (inner,))
        return self.atom()

    def atom(self) -> Node:
        tok = self.tok
        if tok.kind == "number":
            self.take()
            number = float(tok.text)
            return Node(
                "literal",
                int(number) if number.is_integer() and "." not in tok.text and "e" not in tok.text.lower() else number,
            )
        if tok.kind == "string":
            self.take()
            return Node("literal", _unquote(tok.text))
        if tok.kind == "keyword" and tok.text in {"true", "false", "null"}:
            self.take()
            return Node("literal", {"true": True, "false": False, "null": None}[tok.text])
        if tok.kind == "name":
            self.take()
            if self.accept("op", "("):
                self.nest()
                args = [self.or_()]
                while self.accept("op", ","):
                    args.append(self.or_())
                self.expect("op", ")")
                self.depth -= 1
                return Node("call", tok.text.lower(), tuple(args))
            return Node("name", tok.text)
        if self.accept("op", "("):
            self.nest()
            node = self.or_()
            self.expect("op", ")")
            self.depth -= 1
            return node
        self.fail("expected a column name, a number or a quoted string")
        raise AssertionError  # unreachable: fail() raises


class NameWithSpacesError(ExpressionError):
    """Two words in a row where an operator was expected: most likely a column name with spaces.

    ``guess`` is the run of words; the hint shows the text with it in backticks. Code
    that knows the source's columns (:func:`compile_text`) adds the closest ones.
    """

    def __init__(self, message: str, text: str, start: int, end: int):
        self.guess = text[start:end]
        self.suggestion = f"{text[:start]}`{self.guess}`{text[end:]}"
        super().__init__(message, f"a name with spaces or symbols goes in backticks: {self.suggestion}")


def parse(text: str) -> Node:
    """Parse ``text`` into an expression tree, or raise :class:`ExpressionError`."""
    if not isinstance(text, str):
        raise ExpressionError(f"expected an expression as text, got {text!r}")
    if len(text) > MAX_LENGTH:
        raise ExpressionError(
            f"the expression is {len(text):,} characters long; the limit is {MAX_LENGTH:,}",
            "split it: derive a column on the source, or use a role",
        )
    node = _Parser(text).parse()
    if _depth(node) > MAX_DEPTH * 2:
        raise ExpressionError(
            f"the expression has more than {MAX_DEPTH * 2} operators in a chain",
            "split it: derive a column on the source, or use a role",
        )
    return node


def _depth(root: Node) -> int:
    """The depth of the tree, counted without recursion (a chain of 5,000 `+` is deep)."""
    deepest, stack = 0, [(root, 1)]
    while stack:
        node, depth = stack.pop()
        deepest = max(deepest, depth)
        stack.extend((child, depth + 1) for child in node.args)
    return deepest


def names(node: Node) -> set[str]:
    """Every column (or metric) name the expression refers to."""
    if node.kind == "name":
        return {node.value}
    found: set[str] = set()
    for arg in node.args:
        found |= names(arg)
    return found


def suggest(name: str, known: list[str]) -> str | None:
    import difflib  # only a mistake needs a suggestion

    close = difflib.get_close_matches(name, known, n=1, cutoff=0.6)
    return f"did you mean {close[0]!r}?" if close else None


# ---------------------------------------------------------------- to Ibis
def _ibis_functions() -> dict[str, Callable[..., Any]]:
    return {
        "coalesce": _coalesce,
        "abs": lambda x: x.abs(),
        "lower": lambda x: x.lower(),
        "upper": lambda x: x.upper(),
        "length": lambda x: x.length(),
        "round": lambda x, digits=None: x.round(digits) if digits is not None else x.round(),
        "if": _if,
        **expr_time.time_functions(),
    }


epoch = expr_time.epoch

#: Every function of the expression language: (signature, what it gives, an example).
#: `kpiframe explain expressions` and docs/reference/expressions.md are written from it.
FUNCTION_DOCS: dict[str, tuple[str, str, str]] = {
    "abs": ("abs(x)", "the absolute value", "abs(balance_change) > 100"),
    "coalesce": (
        "coalesce(a, b, ...)",
        "the first argument that is not null, in the type of the first (text next to a date is read as one)",
        "coalesce(resolved_at, closed_at)",
    ),
    "if": (
        "if(condition, a, b)",
        "a where the condition holds, else b (null when b is left out), in a's type",
        "if(channel == 'phone', talk_s, 0)",
    ),
    "length": ("length(text)", "the number of characters", "length(comment) > 0"),
    "lower": ("lower(text)", "the text in lower case", "lower(status) == 'solved'"),
    "round": (
        "round(x[, digits])",
        "x rounded half to even, to whole numbers or to `digits` places",
        "round(score / 2)",
    ),
    "upper": ("upper(text)", "the text in upper case", "upper(answered) == 'Y'"),
    **expr_time.TIME_FUNCTION_DOCS,
}
FUNCTIONS = tuple(sorted(FUNCTION_DOCS))


def _if(condition: Any, then: Any, otherwise: Any = None) -> Any:
    """``if(cond, a, b)``: a where cond holds, else b, in one type: a null takes the other
    branch's type, and text beside a date or time is read as one."""
    import ibis

    then, otherwise = expr_time.like(then, otherwise), expr_time.like(otherwise, then)
    if then is None and isinstance(otherwise, ibis.Expr):
        then = ibis.null(otherwise.type())
    then_expr = _as_expr(then)
    if otherwise is None:
        otherwise = ibis.null(then_expr.type())
    return ibis.ifelse(_as_bool(condition), then_expr, otherwise)


def _coalesce(*args: Any) -> Any:
    """``coalesce(a, b, ...)`` in the type of its first value (``coalesce(ended_at, '2026-01-01')``)."""
    import ibis

    first = next((a for a in args if isinstance(a, ibis.Expr) and not a.type().is_null()), None)
    return ibis.coalesce(*[expr_time.like(a, first) for a in args])


def to_condition(text: str, table: Any) -> Any:
    """Compile ``text`` as a condition (``where:``, ``match:``): an error unless it is true or false."""
    from kpiframe.expr_names import compile_text

    predicate = _as_expr(compile_text(text, table))  # a literal (`0`, `true`) becomes an expression too
    if not predicate.type().is_boolean():
        raise ExpressionError(
            f"{text!r} is not a condition (it gives {predicate.type()}, not true or false)",
            "compare it: for example `score >= 4` or `flag == 'Y'`",
        )
    return predicate


def to_ibis(node: Node, table: Any) -> Any:
    """Compile an expression tree into an Ibis expression over ``table``.

    Unknown columns raise :class:`ExpressionError` listing the table's columns.
    """
    import ibis

    columns = list(table.columns)
    functions = _ibis_functions()

    def column(name: str) -> Any:
        if name in columns:
            return table[name]
        lowered = {c.lower(): c for c in columns}
        if name.lower() in lowered:
            return table[lowered[name.lower()]]
        head, _, rest = name.partition(".")
        if rest and head in columns and table[head].type().is_struct():
            return _field(table[head], rest, name)
        raise ExpressionError(
            f"unknown column {name!r}; the source has: {', '.join(columns)}",
            suggest(name, columns),
        )

    def compare_operand(expr: Any, other: Any) -> Any:
        # A string literal compared with a timestamp, date or time column is read as one.
        return expr_time.like(expr, other)

    def go(n: Node) -> Any:
        kind = n.kind
        if kind == "literal":
            return n.value
        if kind == "name":
            return column(n.value)
        if kind == "unary":
            return -_as_expr(go(n.args[0]))
        if kind == "binary":
            left, right = go(n.args[0]), go(n.args[1])
            if not isinstance(left, ibis.Expr) and not isinstance(right, ibis.Expr):
                return _apply_python(n.value, left, right)
            if n.value == "+" and (moment := expr_time.add(left, right)) is not None:
                return moment  # date + time
            left, right = _as_expr(left), right
            ops = {
                "+": lambda: left + right,
                "-": lambda: left - right,
                "*": lambda: left * right,
                "/": lambda: left / right,
                "%": lambda: left % right,
            }
            return ops[n.value]()
        if kind == "compare":
            left, right = go(n.args[0]), go(n.args[1])
            left = compare_operand(left, right)
            right = compare_operand(right, left)
            left_expr = _as_expr(left)
            ops = {
                "==": lambda: left_expr == right,
                "!=": lambda: left_expr != right,
                "<": lambda: left_expr < right,
                "<=": lambda: left_expr <= right,
                ">": lambda: left_expr > right,
                ">=": lambda: left_expr >= right,
            }
            return ops[n.value]()
        if kind == "logic":
            left, right = _as_bool(go(n.args[0])), _as_bool(go(n.args[1]))
            return (left & right) if n.value == "and" else (left | right)
        if kind == "not":
            return ~_as_bool(go(n.args[0]))
        if kind == "isnull":
            return _as_expr(go(n.args[0])).isnull()
        if kind == "in":
            return _as_expr(go(n.args[0])).isin(list(n.value))
        if kind == "between":
            value, low, high = (go(a) for a in n.args)
            low, high = compare_operand(low, value), compare_operand(high, value)
            return _as_expr(value).between(low, high)
        if kind == "call":
            if n.value not in functions:
                raise ExpressionError(f"unknown function {n.value}()", f"known functions: {', '.join(FUNCTIONS)}")
            if n.value == "seconds" and len(n.args) == 1 and n.args[0].kind == "binary" and n.args[0].value == "-":
                between = expr_time.seconds_between(go(n.args[0].args[0]), go(n.args[0].args[1]))
                if between is not None:
                    return between  # seconds(end - start), exactly, times of day too
            args = [go(a) for a in n.args]
            try:
                return functions[n.value](*[_as_expr(a) if i == 0 else a for i, a in enumerate(args)])
            except (AttributeError, TypeError) as exc:
                raise ExpressionError(f"{n.value}() cannot be applied here: {exc}") from None
        raise ExpressionError(f"cannot compile {kind}")

    try:
        return go(node)
    except ExpressionError:
        raise
    except (
        TypeError,
        AttributeError,
        NotImplementedError,
        ibis.common.exceptions.IbisTypeError,
        ibis.common.annotations.ValidationError,  # `day - 1`: a signature Ibis refuses
    ) as exc:
        raise ExpressionError(f"the expression does not fit the column types: {refusal(exc)}") from None


def refusal(exc: Exception) -> str:
    """The part of an Ibis refusal a person needs: a signature error's own reasons, not its dump of the table."""
    lines = [line.strip() for line in str(exc).splitlines()]
    reasons = [line.lstrip("`").replace("`:", ":", 1) for line in lines if line.startswith("`")]
    text = "; ".join(reasons) or next((line for line in lines if line), type(exc).__name__)
    return text[:300]


def _field(value: Any, path: str, full: str) -> Any:
    """``metric_set.reply_time.calendar``: walk struct fields (nested JSON exports)."""
    for part in path.split("."):
        dtype = value.type()
        if not dtype.is_struct() or part not in dtype.names:
            known = ", ".join(dtype.names) if dtype.is_struct() else "none"
            raise ExpressionError(f"unknown field {part!r} in {full!r}; the fields there are: {known}")
        value = value[part]
    return value


def _as_expr(value: Any) -> Any:
    import ibis

    return value if isinstance(value, ibis.Expr) else ibis.literal(value)


def _as_bool(value: Any) -> Any:

    expr = _as_expr(value)
    if not expr.type().is_boolean():
        raise ExpressionError(f"expected a condition (true or false), got a {expr.type()} value")
    return expr


# ---------------------------------------------------------------- on plain numbers
def _apply_python(op: str, left: Any, right: Any) -> Any:
    if left is None or right is None:
        return None
    if op in ("/", "%") and right == 0:
        return None  # x / 0 has no value; the metric reports no data, as SQL's NULLIF idiom would
    return (
        {"+": left + right, "-": left - right, "*": left * right, "%": left % right if op == "%" else None}.get(op)
        if op != "/"
        else left / right
    )


def evaluate(node: Node, values: Mapping[str, float | None]) -> Any:
    """Evaluate an expression tree on plain values (derived metrics). ``None`` propagates."""

    def go(n: Node) -> Any:
        if n.kind == "literal":
            return n.value
        if n.kind == "name":
            if n.value not in values:
                raise ExpressionError(f"unknown metric {n.value!r}", suggest(n.value, list(values)))
            return values[n.value]
        if n.kind == "unary":
            inner = go(n.args[0])
            return None if inner is None else -inner
        if n.kind == "binary":
            return _apply_python(n.value, go(n.args[0]), go(n.args[1]))
        if n.kind == "call" and n.value in {"abs", "round", "coalesce"}:
            args = [go(a) for a in n.args]
            if n.value == "coalesce":
                return next((a for a in args if a is not None), None)
            if args[0] is None:
                return None
            return abs(args[0]) if n.value == "abs" else round(args[0], int(args[1]) if len(args) > 1 else 0)
        if n.kind in {"compare", "logic", "not", "isnull", "in", "between", "call"}:
            raise ExpressionError("a derived metric is arithmetic on other metrics (+ - * / and abs, round, coalesce)")
        raise ExpressionError(f"cannot evaluate {n.kind}")

    return go(node)
