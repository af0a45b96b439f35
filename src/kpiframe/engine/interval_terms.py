"""Which queries compute the interval-only terms (``AVG(x * x)`` beside a mean's ``AVG(x)``).

A mean's Student-t interval needs E[x²] next to the mean and n. That term
feeds the interval and nothing else, and it is not free: on DuckDB 1.5 over 10M
rows, the terms of the two means among the benchmark's eight checks add 8% to the
query's instructions and 9-13% to its CPU time. Cheaper forms of the same numbers
do not help: ``SUM(x * x)`` costs the same, ``VAR_SAMP``/``STDDEV_SAMP`` run fewer
instructions but take longer (a division per row), and ``n`` (``COUNT(x)``) is
shown anyway and costs nothing.

So the term is computed only where an interval is shown or gated on. Every
report (table, Markdown, HTML, JSON, CSV, JUnit) shows the interval of a
metric's value and of each of its segments, and ``confidence: significant``
judges them. Nothing shows the interval of a series' period, a heat-map cell, the
``compare:`` window's value (it is a baseline: only its number is used), or one
group of a ``per:`` metric (the metric's value is a statistic over the groups'
values, with no interval). Those queries leave the terms out, so every shown
value and interval is the same as before.

The decision reads the request's kind and the metric's config only, so
``kpiframe sql`` shows exactly what a run sends.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from kpiframe.config.model import MetricSpec
from kpiframe.contracts import Calculator

#: The request kinds whose values reports show with an interval (see the module docstring).
SHOWN_WITH_INTERVAL = frozenset({"overall", "segments"})


def shows_interval(kind: str, spec: MetricSpec) -> bool:
    """Whether the values of a request of ``kind`` for ``spec`` can show (or be judged by) an interval."""
    return kind in SHOWN_WITH_INTERVAL and not spec.per


def needed_parts(calculator: Calculator, kind: str, spec: MetricSpec, parts: Mapping[str, Any]) -> dict[str, Any]:
    """``parts`` without the calculator's ``interval_parts`` when the request shows no interval."""
    if not calculator.interval_parts or shows_interval(kind, spec):
        return dict(parts)
    return {name: expr for name, expr in parts.items() if name not in calculator.interval_parts}
