"""Outcomes → the scorecard's metric results: verdicts per metric and segment, deltas, series, matrix."""

from __future__ import annotations

import math
from dataclasses import replace
from datetime import UTC, date, datetime, timedelta
from typing import Any

from kpiframe.config.model import Level, MetricSpec
from kpiframe.contracts import Value
from kpiframe.engine.evaluate import status_of
from kpiframe.engine.execute import Outcome, short_of_rows
from kpiframe.engine.time_keys import WEEKDAYS, fill_keys, key_name, key_text, normalized, periods, time_part
from kpiframe.engine.windows import Window, local_naive, period_name
from kpiframe.scorecard import SEVERITY, LevelInfo, MetricResult, SegmentResult, SeriesPoint, WindowInfo
from kpiframe.status import Status

#: The most periods a series is completed to (a daily series over decades is left as it came).
MAX_PERIODS = 10_000


def iso(moment: datetime | None) -> str | None:
    return moment.astimezone(UTC).isoformat().replace("+00:00", "Z") if moment else None


def window_info(window: Window | None) -> WindowInfo | None:
    return WindowInfo(iso(window.start), iso(window.end), window.label, window.zone) if window else None


def finite(number: Any) -> Any:
    """A number fit for a report: infinite and NaN become None (the status says why)."""
    return None if isinstance(number, float) and not math.isfinite(number) else number


def _interval(value: Value | None) -> tuple[float, float] | None:
    if value is None or not value.interval or any(finite(bound) is None for bound in value.interval):
        return None
    return tuple(value.interval)  # type: ignore[return-value]


def level_info(level: Level | None, unit: str) -> LevelInfo | None:
    """A target or warn level as scorecard data: bounds in the metric's unit, the unit it was written in."""
    if level is None:
        return None
    info = LevelInfo(text=level.text, noise_runs=level.noise_runs)
    if level.value is not None:
        bounds = tuple(bound.in_unit(unit) for bound in level.value.bounds)
        if level.value.op == "between":
            bounds = tuple(sorted(bounds))
        info = replace(info, op=level.value.op, bounds=bounds, written_unit=_written_unit(level.value.bounds[0], unit))
    if level.change is not None:
        change = level.change
        info = replace(
            info,
            change_op=change.op,
            change_limit=change.limit(unit),
            change_relative=change.relative,
            change_worse=change.worse,
        )
    return info


def _written_unit(quantity: Any, unit: str) -> str | None:
    """``h`` for "24h", ``%`` for "85%", the metric's unit for a plain number."""
    if quantity.kind == "percent":
        return "%"
    if quantity.kind == "duration":
        suffix = quantity.text.strip().lstrip("0123456789.+- ")
        return {"sec": "s", "ms": "ms", "min": "min", "h": "h", "d": "d", "w": "w", "s": "s"}.get(suffix, unit)
    return unit


def _key_text(value: Any) -> str:
    if isinstance(value, (date, datetime)):
        return value.isoformat()
    return "" if value is None else str(value)


def _delta(value: float | None, baseline: float | None) -> tuple[float | None, float | None]:
    value, baseline = finite(value), finite(baseline)
    if value is None or baseline is None:
        return None, None
    # Each step can overflow (1e308 - -1e308); an infinite change is reported as none, like a value.
    change = finite(value - baseline)
    if change is None or not baseline:
        return change, None
    return change, finite(100.0 * (change / abs(baseline)))


def _compared_with(outcome: Outcome) -> str | None:
    """The ``compare:`` window's short name in the reporting zone, for reasons: ``2026-09``."""
    window = outcome.plan.previous_window
    return period_name(window.start, window.end, outcome.plan.timezone) if window else None


def _noise(spec: MetricSpec, baselines: Any, segment: str | None) -> dict[int, Any]:
    """The run-to-run range for each noise gate the metric's levels ask for."""
    wanted = {level.noise_runs for level in (spec.target, spec.warn) if level and level.noise_runs}
    return {runs: baselines.noise(spec.id, segment, runs) for runs in wanted} if baselines else {}


def _span(outcome: Outcome) -> tuple[date | None, date | None]:
    """The first and last local day of the metric's window (``None`` where it is unbounded)."""
    window, zone = outcome.plan.window, outcome.plan.timezone
    start, end = local_naive(window.start, zone), local_naive(window.end, zone)
    return (start.date() if start else None, (end - timedelta(microseconds=1)).date() if end else None)


def _complete(spec: MetricSpec, outcome: Outcome, parts: list[str | None]) -> dict[Any, Value]:
    """The segments, with every hour, weekday or period of a time key that had no rows as ``no_data``, n = 0
    (not with ``top:`` or ``worst:``, where only segments with rows compete)."""
    current = dict(outcome.values.get("segments", {}))
    if not any(parts):
        return current
    current = {normalized(key, parts): value for key, value in current.items()}
    if not (spec.top or spec.worst):
        for key in fill_keys(list(current), parts, _span(outcome), spec.max_segments):
            current[key] = Value.no_data("no rows in the window", n=0)
    return current


def _segments(spec: MetricSpec, outcome: Outcome, redact: Any, baselines: Any) -> tuple[tuple[SegmentResult, ...], int]:
    parts = [time_part(name) for name in spec.by]
    current = _complete(spec, outcome, parts)
    previous = {normalized(key, parts): value for key, value in outcome.values.get("previous_segments", {}).items()}
    results = []
    for key, value in current.items():
        pairs = tuple(sorted((name, _key_text(v)) for name, v in zip(spec.by, key)))
        shown = tuple(sorted((name, key_text(v, part)) for name, v, part in zip(spec.by, key, parts)))
        label = ", ".join(
            f"{key_name(name)}={key_text(v, part) or '(blank)'}" for name, v, part in zip(spec.by, key, parts)
        )
        target = _match(spec, pairs) or _match(spec, shown)
        base = previous.get(key)
        baseline, against = (base.value if base else None), _compared_with(outcome)
        if baseline is None and baselines is not None and not spec.compare:
            baseline, source = baselines.value(spec, label)
            against = source.name if source else None
        status, reason = status_of(
            spec, value, None, baseline=baseline, target=target, noise=_noise(spec, baselines, label), against=against
        )
        delta, delta_pct = _delta(value.value, baseline)
        results.append(
            SegmentResult(
                key={name: v for name, v in zip(spec.by, key)},
                label=label,
                status=status,
                value=finite(value.value),
                n=value.n,
                interval=_interval(value),
                target=level.text if (level := target or spec.target) is not None else None,
                warn=spec.warn.text if spec.warn else None,
                target_level=level_info(target or spec.target, spec.unit),
                reason=redact(reason) if reason else None,
                baseline=finite(baseline),
                delta=delta,
                delta_pct=delta_pct,
            )
        )
    # Worst first: status, then the value from worst to best for the metric's direction.
    sign = -1 if spec.direction == "lower" else 1
    results.sort(key=lambda s: (-SEVERITY[s.status], s.value is None, sign * (s.value or 0), s.label))
    keep, hidden = spec.top or spec.worst, 0
    if keep and len(results) > keep:
        if spec.top:
            chosen = sorted(results, key=lambda s: -(s.n or 0))[:keep]
            results = [s for s in results if s in chosen]
        else:
            results = results[:keep]
        hidden = len(current) - keep
    if any(parts):  # a profile reads in time order: 00:00 to 23:00, Mon to Sun, by agent then hour
        results.sort(key=lambda s: tuple((s.key[name] is None, s.key[name]) for name in spec.by))
    return tuple(results), hidden


def _match(spec: MetricSpec, pairs: tuple[tuple[str, str], ...]) -> Any:
    """The per-segment target whose key=value pairs this segment has (case-insensitive)."""
    lowered = {(k, v.lower()) for k, v in pairs}
    for key, (target, _warn) in spec.segment_levels.items():
        if all((k, v.lower()) in lowered for k, v in key):
            return target
    return None


def _series(spec: MetricSpec, outcome: Outcome) -> tuple[SeriesPoint, ...] | None:
    """The value per period, every period of the window present (an empty one has no value and n = 0)."""
    if "series" not in outcome.values:
        return None
    values = {_day(key[0]): value for key, value in outcome.values["series"].items()}
    first, last = _span(outcome)
    days = [d for d in values if d is not None]
    first, last = first or (min(days) if days else None), last or (max(days) if days else None)
    filled = periods(spec.grain, first, last, MAX_PERIODS) if spec.grain and first and last else None
    for day in filled or ():
        values.setdefault(day, Value.no_data("no rows in the window", n=0))
    points = sorted(values.items(), key=lambda item: (item[0] is None, item[0] or date.min))
    return tuple(SeriesPoint(_key_text(day), finite(value.value), value.n) for day, value in points)


def _day(value: Any) -> Any:
    return value.date() if isinstance(value, datetime) else value


def _matrix(outcome: Outcome) -> dict[str, Any] | None:
    cells = outcome.values.get("heatmap")
    if cells is None:
        return None
    values: list[list[float | None]] = [[None] * 24 for _ in WEEKDAYS]
    counts: list[list[int | None]] = [[None] * 24 for _ in WEEKDAYS]
    for (weekday, hour), value in cells.items():
        if weekday is None or hour is None:
            continue
        values[int(weekday)][int(hour)] = finite(value.value)
        counts[int(weekday)][int(hour)] = value.n
    return {"rows": list(WEEKDAYS), "columns": list(range(24)), "values": values, "n": counts}


def build(spec: MetricSpec, outcome: Outcome, redact: Any, baselines: Any = None) -> MetricResult:
    """One metric's result. ``compare:`` gives the baseline when set; else ``baselines``
    (a scorecard file or the history) does, by the metric's ``baseline:`` rule."""
    value: Value | None = outcome.value
    previous = outcome.values.get("previous", {}).get(())
    baseline = previous.value if previous else None
    baseline_from, against = window_info(outcome.plan.previous_window), _compared_with(outcome)
    if not spec.compare and baselines is not None:
        baseline, source = baselines.value(spec)
        baseline_from = WindowInfo(source.start, source.end, source.label) if source else None
        against = source.name if source else None
    status, reason = status_of(
        spec, value, outcome.error, baseline=baseline, noise=_noise(spec, baselines, None), against=against
    )
    if status == "no_data" and outcome.note:
        reason = outcome.note  # the source's own time range says more than "no rows in the window"
    short = short_of_rows(outcome)
    if short and status != "error":
        status, reason = Status.FAIL, short
    segments, hidden = _segments(spec, outcome, redact, baselines) if not outcome.error else ((), 0)
    delta, delta_pct = _delta(value.value if value else None, baseline)
    return MetricResult(
        id=spec.id,
        title=spec.title,
        calc=spec.calc,
        source=spec.source,
        unit=(value.unit if value and value.unit else spec.unit),
        direction=spec.direction,
        status=status,
        value=finite(value.value) if value else None,
        n=value.n if value else None,
        interval=_interval(value),
        target=spec.target.text if spec.target else None,
        warn=spec.warn.text if spec.warn else None,
        target_level=level_info(spec.target, spec.unit),
        warn_level=level_info(spec.warn, spec.unit),
        reason=redact(reason) if reason else None,
        window=window_info(outcome.plan.window),
        details=dict(value.details) if value else {},
        description=spec.description,
        segments=segments,
        hidden_segments=hidden,
        series=_series(spec, outcome),
        baseline=finite(baseline),
        baseline_window=baseline_from,
        delta=delta,
        delta_pct=delta_pct,
        matrix=_matrix(outcome),
    )
