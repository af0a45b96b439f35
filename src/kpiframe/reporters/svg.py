"""Inline SVG charts for the HTML scorecard: bullet charts, series lines and heat maps.

Hand-written because each chart is a handful of shapes, and a charting library
would either need JavaScript or weigh more than the whole report. Every chart
carries a <title> and <desc> for screen readers, uses presentation attributes
(never `style`, which the page's Content-Security-Policy forbids), and escapes
every text it shows.
"""

from __future__ import annotations

from typing import Any

from markupsafe import escape

# Status colours, readable on white; every status is also shown as a word.
COLORS = {
    "pass": "#1a7f37",
    "info": "#0969da",
    "no_data": "#6e7781",
    "warn": "#9a6700",
    "fail": "#cf222e",
    "error": "#8250df",
}
BAND_BAD, BAND_WARN, BAND_GOOD = "#f6d5d8", "#f5e6b8", "#d2ecd9"


def _svg(kind: str, width: float, height: float, label: str, parts: list[str]) -> str:
    """A chart's envelope: scalable, an image to assistive tech, titled with its label."""
    return (
        f'<svg class="chart {kind}" viewBox="0 0 {width} {height}" role="img" aria-label="{escape(label)}">'
        f"<title>{escape(label)}</title>" + "".join(parts) + "</svg>"
    )


def _fmt(value: float) -> str:
    if value == 0:
        return "0"
    magnitude = abs(value)
    if magnitude >= 1000:
        return f"{value:,.0f}"
    return f"{value:.1f}" if magnitude >= 10 else f"{value:.2f}" if magnitude >= 1 else f"{value:.3f}"


def bullet(
    value: float | None,
    status: str,
    limits: dict[str, tuple[str, list[float]]],
    interval: tuple[float, float] | None,
    direction: str,
    label: str,
    axis: Axis | None = None,
) -> str:
    """A bullet chart: the value as a bar over bands of bad, warn and good, with target and warn lines.

    ``limits`` maps ``target``/``warn`` to (operator, bounds in the metric's unit).
    ``axis`` says the unit the tick labels read in (``h`` for a target written in
    hours) and the fixed domain of a percentage (0–100%).
    """
    if value is None:
        return ""
    axis = axis or Axis()
    points = [value, 0.0] + [b for _, bounds in limits.values() for b in bounds] + (list(interval) if interval else [])
    low, high = min(points), max(points)
    span = (high - low) or abs(high) or 1.0
    low, high = low - (0.05 * span if low < 0 else 0), high + 0.12 * span
    if axis.percent and low >= 0 and max(points) <= 100:
        low, high = 0.0, 100.0
    width, height, pad = 300, 40, 4

    def x(v: float) -> float:
        return round(pad + (v - low) / (high - low) * (width - 2 * pad), 2)

    parts = [f'<rect class="track" x="{pad}" y="6" width="{width - 2 * pad}" height="18" fill="#eaeef2"/>']
    target = limits.get("target")
    warn = limits.get("warn")
    if target and len(target[1]) == 1:
        t = x(target[1][0])
        w = x(warn[1][0]) if warn and len(warn[1]) == 1 else None
        if target[0].startswith(">"):  # higher is better: bad below the target
            parts.append(
                f'<rect class="band-bad" x="{pad}" y="6" width="{max(0, t - pad)}" height="18" fill="{BAND_BAD}"/>'
            )
            if w is not None and w > t:
                parts.append(f'<rect class="band-warn" x="{t}" y="6" width="{w - t}" height="18" fill="{BAND_WARN}"/>')
            start = w if w is not None and w > t else t
            parts.append(
                f'<rect class="band-good" x="{start}" y="6" width="{max(0, width - pad - start)}" height="18"'
                f' fill="{BAND_GOOD}"/>'
            )
        else:  # lower is better: bad above the target
            parts.append(
                f'<rect class="band-bad" x="{t}" y="6" width="{max(0, width - pad - t)}" height="18"'
                f' fill="{BAND_BAD}"/>'
            )
            if w is not None and w < t:
                parts.append(f'<rect class="band-warn" x="{w}" y="6" width="{t - w}" height="18" fill="{BAND_WARN}"/>')
            end = w if w is not None and w < t else t
            parts.append(
                f'<rect class="band-good" x="{pad}" y="6" width="{max(0, end - pad)}" height="18" fill="{BAND_GOOD}"/>'
            )
    elif target and len(target[1]) == 2:
        a, b = sorted(x(v) for v in target[1])
        parts.append(f'<rect class="band-good" x="{a}" y="6" width="{b - a}" height="18" fill="{BAND_GOOD}"/>')
    parts.append(
        f'<rect class="bar" x="{x(min(0, value))}" y="11" width="{max(1, abs(x(value) - x(0)))}" height="8"'
        f' fill="{COLORS.get(status, "#57606a")}"/>'
    )
    if interval:
        a, b = x(interval[0]), x(interval[1])
        parts.append(
            f'<path class="mark" d="M{a} 15H{b}M{a} 11V19M{b} 11V19" stroke="#24292f" stroke-width="1.2" fill="none"/>'
        )
    for name, (_, bounds) in limits.items():
        for bound in bounds:
            dash = ' stroke-dasharray="3 2"' if name == "warn" else ""
            parts.append(
                f'<line class="mark" x1="{x(bound)}" x2="{x(bound)}" y1="3" y2="27" stroke="#24292f"'
                f' stroke-width="2"{dash}/>'
            )
    for tick in axis.ticks(low, high):
        anchor = "start" if tick == low else "end" if tick == high else "middle"
        parts.append(f'<line class="tick" x1="{x(tick)}" x2="{x(tick)}" y1="24" y2="28" stroke="#8c959f"/>')
        parts.append(
            f'<text class="axis" x="{x(tick)}" y="37" font-size="8" fill="#57606a"'
            f' text-anchor="{anchor}">{escape(axis.label(tick))}</text>'
        )
    return _svg("bullet", width, height, label, parts)


class Axis:
    """How a chart's axis reads: in which unit, and whether it is a percentage (0–100%).

    :param unit: the metric's unit (values arrive in it).
    :param shown: the unit to label the axis in (a target written in hours draws in hours).
    """

    _SECONDS = {"ms": 0.001, "s": 1.0, "min": 60.0, "h": 3600.0, "d": 86400.0, "w": 604800.0}

    def __init__(self, unit: str = "", shown: str | None = None):
        self.unit = unit
        self.shown = shown if shown in self._SECONDS and unit in self._SECONDS else unit
        self.percent = unit == "%"

    def label(self, value: float) -> str:
        if self.percent:
            return f"{value:g}%" if value == int(value) else f"{value:.1f}%"
        if self.shown in self._SECONDS and self.unit in self._SECONDS:
            return f"{_fmt(value * self._SECONDS[self.unit] / self._SECONDS[self.shown])} {self.shown}"
        suffix = "" if self.unit in ("", "number", "count") else f" {self.unit}"
        return _fmt(value) + suffix

    def ticks(self, low: float, high: float) -> list[float]:
        """The two ends, and the middle: enough to read a bullet chart, few enough to stay legible."""
        return [low, (low + high) / 2, high]


def line(points: list[tuple[str, float | None]], limit: float | None, label: str, color: str = "#0969da") -> str:
    """The series as a line with dots; gaps where a period had no data; the target as a dashed line."""
    values = [v for _, v in points if v is not None]
    if len(values) < 1:
        return ""
    low, high = (
        min(values + ([limit] if limit is not None else [])),
        max(values + ([limit] if limit is not None else [])),
    )
    span = (high - low) or abs(high) or 1.0
    # Pad the axis, but not below zero for a quantity that never goes there (a duration, a count).
    low, high = (max(0.0, low - 0.1 * span) if low >= 0 else low - 0.1 * span), high + 0.1 * span
    width, height, left, right, top, bottom = 300, 90, 34, 6, 6, 16
    n = len(points)

    def x(i: int) -> float:
        return round(left + (i / (n - 1) if n > 1 else 0.5) * (width - left - right), 1)

    def y(v: float) -> float:
        return round(top + (1 - (v - low) / (high - low)) * (height - top - bottom), 1)

    segments: list[list[str]] = []
    current: list[str] = []
    for i, (_, v) in enumerate(points):
        if v is None:
            if current:
                segments.append(current)
            current = []
        else:
            current.append(f"{x(i)},{y(v)}")
    if current:
        segments.append(current)
    parts = [f'<path d="M{left} {top}V{height - bottom}H{width - right}" stroke="#d0d7de" fill="none"/>']
    if limit is not None:
        parts.append(
            f'<line x1="{left}" x2="{width - right}" y1="{y(limit)}" y2="{y(limit)}" stroke="#cf222e"'
            ' stroke-dasharray="4 3"/>'
        )
    for seg in segments:
        parts.append(f'<polyline points="{" ".join(seg)}" fill="none" stroke="{color}" stroke-width="1.6"/>')
    if n <= 60:
        parts += [
            f'<circle cx="{x(i)}" cy="{y(v)}" r="1.8" fill="{color}"><title>{escape(p)}:'
            f" {escape(_fmt(v))}</title></circle>"
            for i, (p, v) in enumerate(points)
            if v is not None
        ]
    parts.append(
        f'<text x="{left - 3}" y="{top + 6}" font-size="8" text-anchor="end" fill="#57606a">{escape(_fmt(high))}</text>'
    )
    parts.append(
        f'<text x="{left - 3}" y="{height - bottom}" font-size="8" text-anchor="end"'
        f' fill="#57606a">{escape(_fmt(low))}</text>'
    )
    parts.append(f'<text x="{left}" y="{height - 4}" font-size="8" fill="#57606a">{escape(points[0][0])}</text>')
    parts.append(
        f'<text x="{width - right}" y="{height - 4}" font-size="8" text-anchor="end"'
        f' fill="#57606a">{escape(points[-1][0])}</text>'
    )
    return _svg("series", width, height, label, parts)


def heatmap(matrix: dict[str, Any], direction: str, unit: str, label: str) -> str:
    """Weekday × hour cells shaded by value (darker is worse for the metric's direction)."""
    values = sorted(v for row in matrix["values"] for v in row if v is not None)
    if not values:
        return ""
    # Clip the colour scale at the 5th and 95th percentiles: one slow night must not
    # wash out the week. Cells beyond take the end colours; their titles keep the value.
    low, high = values[int(0.05 * (len(values) - 1))], values[int(0.95 * (len(values) - 1))]
    cell, left, top = 12, 28, 12
    width, height = left + 24 * cell + 2, top + 7 * cell + 14
    parts = []
    for h in range(0, 24, 3):
        parts.append(
            f'<text x="{left + h * cell + cell / 2}" y="{top - 3}" font-size="7" text-anchor="middle"'
            f' fill="#57606a">{h}</text>'
        )
    for d, day in enumerate(matrix["rows"]):
        parts.append(
            f'<text x="{left - 4}" y="{top + d * cell + 9}" font-size="8" text-anchor="end"'
            f' fill="#57606a">{escape(day)}</text>'
        )
        for h in range(24):
            v = matrix["values"][d][h]
            n = matrix["n"][d][h]
            if v is None:
                fill, tip = "#f6f8fa", f"{day} {h:02d}:00: no data"
            else:
                share = 0.5 if high == low else min(1.0, max(0.0, (v - low) / (high - low)))
                badness = share if direction != "higher" else 1 - share
                # from pale to deep: lightness carries the meaning, so it reads in greyscale too
                lightness = round(92 - 62 * badness)
                fill = f"hsl(212, 70%, {lightness}%)" if direction == "neutral" else f"hsl(8, 72%, {lightness}%)"
                tip = f"{day} {h:02d}:00: {_fmt(v)} {unit} (n={n})"
            parts.append(
                f'<rect x="{left + h * cell}" y="{top + d * cell}" width="{cell - 1}" height="{cell - 1}"'
                f' fill="{fill}"><title>{escape(tip)}</title></rect>'
            )
    best, worst = (low, high) if direction != "higher" else (high, low)
    legend = (
        f"lightest ≤ {_fmt(best)}, darkest ≥ {_fmt(worst)} {unit} (5th–95th percentile of the cells)"
        if direction != "higher"
        else f"lightest ≥ {_fmt(best)}, darkest ≤ {_fmt(worst)} {unit} (5th–95th percentile of the cells)"
    )
    parts.append(f'<text x="{left}" y="{height - 2}" font-size="8" fill="#57606a">{escape(legend)}</text>')
    return _svg("heatmap", width, height, label, parts)
