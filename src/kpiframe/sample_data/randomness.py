"""Random draws written as DuckDB SQL expressions, keyed by (seed, stream, row).

Every draw is a hash of the row's key, the seed and a stream number named after the
column it feeds (``"tickets.channel"``), so a value never depends on the rows before it:
DuckDB may compute the rows of a table in any order, on any number of threads, and the
same seed still gives the same value. Adding a column (a new stream) never changes the others.

DuckDB's ``hash`` is stable for a given DuckDB version, which is what "the same seed
gives the same files" promises.
"""

from __future__ import annotations

import hashlib
import math
import re
from collections.abc import Sequence
from typing import Any

__all__ = ["Draws", "as_doubles", "literal", "pick_by"]

_SCALE = 2.0**-64
# A quoted string (kept as it is) or a number with a decimal point outside one.
_LITERAL = re.compile(r"'(?:[^']|'')*'|(?<![\w.])(\d+\.\d+)(?![\w.])")


def as_doubles(sql: str) -> str:
    """Every decimal literal in ``sql`` as a DOUBLE (``0.25`` becomes ``0.25e0``).

    DuckDB reads ``0.25`` as a DECIMAL, and DECIMAL arithmetic on millions of rows is
    about 30 times slower than DOUBLE; every number the generator computes is a float.
    """
    return _LITERAL.sub(lambda m: m.group(1) + "e0" if m.group(1) else m.group(0), sql)


def literal(value: Any) -> str:
    """A Python value as a SQL literal (strings quoted, None as NULL)."""
    if value is None:
        return "NULL"
    if isinstance(value, bool):
        return "TRUE" if value else "FALSE"
    if isinstance(value, str):
        return "'" + value.replace("'", "''") + "'"
    return repr(value)


class Draws:
    """Builds the SQL for draws from one seed; ``key`` is the SQL of the row's identity."""

    def __init__(self, seed: int, key: str = "i"):
        self.seed = seed
        self.key = key

    def with_key(self, key: str) -> Draws:
        """The same seed, drawn per another key (a ticket's id, an agent's number)."""
        return Draws(self.seed, key)

    def uniform(self, stream: str) -> str:
        """Uniform in [0, 1): 64 hashed bits as a DOUBLE (0 comes up once in 2**64 draws)."""
        # hash(a, b) combines hashes cheaply, so two streams of one row would be correlated:
        # the stream's constant is XORed into the key's hash, and hashing that mixes every bit.
        # DOUBLE throughout: a literal like 0.5 is a DECIMAL, and DECIMAL arithmetic is 100x slower.
        digest = hashlib.blake2b(f"{self.seed}/{stream}".encode(), digest_size=8).digest()
        constant = int.from_bytes(digest, "little")
        return f"(CAST(hash(xor(hash({self.key}), {constant}::UBIGINT)) AS DOUBLE) * CAST({_SCALE!r} AS DOUBLE))"

    def below(self, stream: str, count: int) -> str:
        """A whole number in [0, count)."""
        # least(): a draw that rounds up to 1.0 must still land in range.
        return f"least({count - 1}, CAST(floor({self.uniform(stream)} * {count}) AS BIGINT))"

    def normal(self, stream: str, mean: float = 0.0, sigma: float = 1.0) -> str:
        """Gaussian, by Box–Muller from two uniforms."""
        a, b = self.uniform(stream + "#r"), self.uniform(stream + "#t")
        return (
            f"({_double(mean)} + {_double(sigma)} * sqrt({_double(-2)} * ln({a})) * cos({_double(2 * math.pi)} * {b}))"
        )

    def lognormal(self, stream: str, median: float | str, sigma: float) -> str:
        """Lognormal with the given median (a number or a SQL expression) and log-sigma."""
        return f"(({median}) * exp({self.normal(stream, 0.0, sigma)}))"

    def exponential(self, stream: str, mean: float | str) -> str:
        """Exponential with the given mean (a number or a SQL expression)."""
        return f"({_double(-1)} * ln({self.uniform(stream)}) * ({mean}))"


def _double(value: float) -> str:
    return f"CAST({float(value)!r} AS DOUBLE)"


def pick_by(uniform: str, options: Sequence[tuple[Any, float]]) -> str:
    """The option whose cumulative share first exceeds ``uniform`` (the last one otherwise).

    A balanced tree of two-way CASEs on the cumulative shares: DuckDB pays for every
    branch it tests, and a row tests about log2(n) of them instead of up to n (the
    24-hour pick costs half). ``uniform`` is repeated in every branch, so pass a
    column computed one level down, not a draw's expression.
    """
    total = sum(weight for _, weight in options)
    running, thresholds = 0.0, []
    for _, weight in options[:-1]:
        running += weight
        thresholds.append(running / total)

    def tree(low: int, high: int) -> str:
        # The options low..high; a row that reaches here is at or above threshold low - 1.
        if low == high:
            return literal(options[low][0])
        middle = (low + high) // 2
        below, above = tree(low, middle), tree(middle + 1, high)
        return f"(CASE WHEN {uniform} < {thresholds[middle]!r} THEN {below} ELSE {above} END)"

    return tree(0, len(options) - 1)
