"""Inline SVG for the trends page: a run-over-run line over its target bands, and a status strip.

As in :mod:`kpiframe.reporters.svg`: hand-written shapes, no ``style``
attribute (the page's CSP forbids it), colours through classes so the dark
theme recolours them, every text escaped, and a title on each chart. Each run
draws the target and warn levels it had, so a target changed mid-year shows as a
step, not as if it had always been the new one.
"""

from __future__ import annotations

import json
from typing import Any

from markupsafe import escape

from kpiframe.formatting import PLAIN_UNITS, STATUS_LABELS, value_text
from kpiframe.trends.model import MetricTrend, Point, RunPoint

__all__ = ["status_strip", "trend_line"]

WIDTH, HEIGHT, LEFT, RIGHT, TOP, BOTTOM = 560, 150, 52, 10, 8, 20


def _limits(point: Point) -> tuple[tuple[str, tuple[float, ...]] | None, tuple[str, tuple[float, ...]] | None]:
    """The point's (operator, bounds) for target and warn; None for a change-only or missing level."""
    found: list[tuple[str, tuple[float, ...]] | None] = []
    for level in (point.target_level, point.warn_level):
        op, bounds = (level or {}).get("op"), (level or {}).get("bounds") or ()
        ok = op and bounds and all(isinstance(b, int | float) for b in bounds)
        found.append((str(op), tuple(float(b) for b in bounds)) if ok else None)
    return found[0], found[1]


def _domain(metric: MetricTrend) -> tuple[float, float]:
    values = [p.value for p in metric.points if p.value is not None]
    for point in metric.points:
        for limit in _limits(point):
            values += list(limit[1]) if limit else []
    if not values:
        return 0.0, 1.0
    low, high = min(values), max(values)
    span = (high - low) or abs(high) or 1.0
    low = max(0.0, low - 0.12 * span) if low >= 0 else low - 0.12 * span
    return low, high + 0.12 * span


def _bands(target: tuple[str, tuple[float, ...]], warn: Any, y: Any, x0: float, x1: float) -> list[str]:
    """Bad, warn and good bands for one stretch of runs with the same levels."""
    top, bottom = TOP, HEIGHT - BOTTOM
    op, bounds = target
    w = x1 - x0

    def rect(kind: str, a: float, b: float) -> str:
        a, b = max(top, min(a, b)), min(bottom, max(a, b))
        return f'<rect class="band-{kind}" x="{x0}" y="{a}" width="{w}" height="{round(b - a, 1)}"/>' if b > a else ""

    if op == "between" and len(bounds) == 2:
        return [rect("good", y(max(bounds)), y(min(bounds)))]
    if len(bounds) != 1 or op == "==":
        return []
    t = y(bounds[0])
    wy = y(warn[1][0]) if warn and len(warn[1]) == 1 else None
    if op.startswith(">"):  # higher is better: bad below the target, warn up to the warn level
        edge = wy if wy is not None and wy < t else t
        return [rect("bad", t, bottom), rect("warn", edge, t) if edge != t else "", rect("good", top, edge)]
    edge = wy if wy is not None and wy > t else t  # lower is better: bad above
    return [rect("bad", top, t), rect("warn", t, edge) if edge != t else "", rect("good", edge, bottom)]


def _stretches(points: tuple[Point, ...]) -> list[tuple[int, int, Point]]:
    """Runs of consecutive points with the same levels: (first index, last index, a point)."""
    stretches: list[tuple[int, int, Point]] = []
    previous = None
    for index, point in enumerate(points):
        key = json.dumps(_limits(point))
        if stretches and key == previous:
            stretches[-1] = (stretches[-1][0], index, stretches[-1][2])
        else:
            stretches.append((index, index, point))
        previous = key
    return stretches


def trend_line(metric: MetricTrend, runs: tuple[RunPoint, ...], changes: set[int]) -> str:
    """The metric's value per run, its bands, target (solid) and warn (dashed) lines, status-change rings."""
    n = len(runs)
    low, high = _domain(metric)
    axis = _TickText(metric.unit, high - low)
    plot = WIDTH - LEFT - RIGHT
    step = plot / (n - 1) if n > 1 else plot

    def x(i: int) -> float:
        return round(LEFT + (i / (n - 1) if n > 1 else 0.5) * plot, 1)

    def y(v: float) -> float:
        return round(TOP + (1 - (v - low) / (high - low)) * (HEIGHT - TOP - BOTTOM), 1)

    parts: list[str] = []
    for first, last, point in _stretches(metric.points):
        target, warn = _limits(point)
        if target is None:
            continue
        x0, x1 = max(LEFT, x(first) - step / 2), min(WIDTH - RIGHT, x(last) + step / 2)
        x0, x1 = round(x0, 1), round(x1, 1)
        parts += _bands(target, warn, y, x0, x1)
        for kind, limit in (("target", target), ("warn", warn)):
            for bound in limit[1] if limit else ():
                parts.append(f'<path class="lim {kind}" d="M{x0} {y(bound)}H{x1}"/>')
    parts.append(f'<path class="frame" d="M{LEFT} {TOP}V{HEIGHT - BOTTOM}H{WIDTH - RIGHT}"/>')
    parts += _line(metric.points, x, y)
    parts += _dots(metric, runs, x, y, changes)
    parts += _labels(axis, low, high, runs, x)
    label = f"{metric.title}: {n} runs, {value_text(metric.latest.value, metric.unit)} in the latest"
    return (
        f'<svg class="chart trend" viewBox="0 0 {WIDTH} {HEIGHT}" role="img" aria-label="{escape(label)}">'
        f"<title>{escape(label)}</title>" + "".join(parts) + "</svg>"
    )


def _line(points: tuple[Point, ...], x: Any, y: Any) -> list[str]:
    """The value line, broken where a run had no value."""
    segments: list[list[str]] = [[]]
    for i, point in enumerate(points):
        if point.value is None:
            segments.append([])
        else:
            segments[-1].append(f"{x(i)},{y(point.value)}")
    return [f'<polyline class="value" points="{" ".join(s)}"/>' for s in segments if len(s) > 1]


def _dots(metric: MetricTrend, runs: tuple[RunPoint, ...], x: Any, y: Any, changes: set[int]) -> list[str]:
    """A dot per run in its status colour (a square on the axis when it had no value); a ring at each change."""
    parts = []
    floor = HEIGHT - BOTTOM
    for i, (run, point) in enumerate(zip(runs, metric.points, strict=True)):
        if point.status is None:
            continue
        tip = escape(f"{run.label}: {value_text(point.value, metric.unit)}, {STATUS_LABELS.get(point.status, '')}")
        if i in changes:
            cy = y(point.value) if point.value is not None else floor
            parts.append(f'<circle class="chg s-{point.status}" cx="{x(i)}" cy="{cy}" r="5.5"/>')
        if point.value is None:
            parts.append(f'<rect class="pt s-{point.status}" x="{x(i) - 3}" y="{floor - 3}" width="6" height="6">')
        else:
            parts.append(f'<circle class="pt s-{point.status}" cx="{x(i)}" cy="{y(point.value)}">')  # r in CSS
        parts.append(f"<title>{tip}</title></{'rect' if point.value is None else 'circle'}>")
    return parts


class _TickText:
    """Axis labels in the metric's own unit ("69 min" reads better on a trend than "1.15 h"), with as
    many decimals as the axis span needs: 566, not 566.4, on an axis of tickets from 210 to 566."""

    def __init__(self, unit: str, span: float):
        self.unit = unit
        self.digits = 0 if span >= 20 else 1 if span >= 2 else 2 if span >= 0.2 else 3

    def label(self, value: float) -> str:
        text = f"{value:,.{self.digits}f}"
        if self.unit == "%":
            return text + "%"
        return text if self.unit in PLAIN_UNITS else f"{text} {self.unit}"


def _labels(axis: _TickText, low: float, high: float, runs: tuple[RunPoint, ...], x: Any) -> list[str]:
    middle = TOP + (HEIGHT - TOP - BOTTOM) / 2
    parts = [
        f'<text x="{LEFT - 4}" y="{TOP + 8}" text-anchor="end">{escape(axis.label(high))}</text>',
        f'<text x="{LEFT - 4}" y="{middle + 3}" text-anchor="end">{escape(axis.label((low + high) / 2))}</text>',
        f'<text x="{LEFT - 4}" y="{HEIGHT - BOTTOM}" text-anchor="end">{escape(axis.label(low))}</text>',
    ]
    n = len(runs)
    picks = sorted({0, n // 2, n - 1}) if n > 2 else list(range(n))
    for i in picks:
        anchor = "start" if i == 0 and n > 1 else "end" if i == n - 1 and n > 1 else "middle"
        parts.append(f'<text x="{x(i)}" y="{HEIGHT - 5}" text-anchor="{anchor}">{escape(runs[i].label)}</text>')
    return parts


def status_strip(statuses: list[str | None], what: str) -> str:
    """One cell per run in its status colour (blank where the run lacked the metric): the year at a glance."""
    cell, gap, height = 6, 1, 12
    paths: dict[str, list[str]] = {}
    start = 0
    for i, status in enumerate(statuses):
        if i + 1 < len(statuses) and statuses[i + 1] == status:
            continue  # a run of one status is one shape: a steady year costs a few bytes, not 52 cells
        if status is not None:
            width = (i - start + 1) * (cell + gap) - gap
            paths.setdefault(status, []).append(f"M{start * (cell + gap)} 0h{width}v{height}h-{width}z")
        start = i + 1
    width = max(1, len(statuses) * (cell + gap) - gap)
    counts: dict[str, int] = {}
    for status in statuses:
        counts[status or "absent"] = counts.get(status or "absent", 0) + 1
    tally = ", ".join(f"{n} {STATUS_LABELS.get(s, 'not in the run').lower()}" for s, n in counts.items())
    # A tally, not 52 words: each run's status is in the card's table of values.
    label = f"{what}, status per run, oldest first: {tally}"
    shapes = "".join(f'<path class="s-{status}" d="{"".join(d)}"/>' for status, d in paths.items())
    return (
        f'<svg class="strip" viewBox="0 0 {width} {height}" width="{width}" height="{height}" role="img"'
        f' aria-label="{escape(label)}"><title>{escape(label)}</title>{shapes}</svg>'
    )
