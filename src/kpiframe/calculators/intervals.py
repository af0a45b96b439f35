"""Confidence intervals for proportions (for share-like metrics on small samples)."""

from __future__ import annotations

import math
from typing import Any

from kpiframe.contracts import Value

Z95 = 1.959963984540054  # two-sided 95% normal quantile


def wilson(successes: int, n: int, z: float = Z95) -> tuple[float, float] | None:
    """Wilson score interval of a proportion, as fractions in [0, 1].

    Chosen over the normal (Wald) interval because it stays inside [0, 1] and
    keeps its coverage for small n and for proportions near 0 or 1.
    """
    if n <= 0:
        return None
    p = successes / n
    denominator = 1 + z * z / n
    centre = (p + z * z / (2 * n)) / denominator
    half = z * math.sqrt(p * (1 - p) / n + z * z / (4 * n * n)) / denominator
    return (max(0.0, centre - half), min(1.0, centre + half))


def share_value(successes: int, n: int, reason: str, **details: Any) -> Value:
    """successes ÷ n as a percentage with n and its Wilson 95% interval; no data when n is 0."""
    if n <= 0:
        return Value(None, n=0, reason=reason)
    low, high = wilson(successes, n) or (0.0, 0.0)
    return Value(100.0 * successes / n, n=n, interval=(100 * low, 100 * high), details=details)
