"""A year of weekly runs in a history store, generated: the fixture the trends tests read back."""

from __future__ import annotations

import random
from datetime import UTC, datetime, timedelta

from kpiframe.scorecard import LevelInfo, MetricResult, RunInfo, Scorecard, WindowInfo

START = datetime(2025, 12, 29, tzinfo=UTC)  # a Monday: week 1 of 2026 ends on 5 January


def _iso(moment: datetime) -> str:
    return moment.strftime("%Y-%m-%dT%H:%M:%SZ")


def _verdict(value: float | None, op: str, target: float, warn: float) -> str:
    if value is None:
        return "no_data"
    better = (value >= target) if op == ">=" else (value <= target)
    if not better:
        return "fail"
    return "pass" if ((value >= warn) if op == ">=" else (value <= warn)) else "warn"


def metric(i: int, week: int, rng: random.Random) -> MetricResult | None:
    """Metric ``m{i}`` in week ``week`` (0-based): a share, a duration or a count, each with its own shape."""
    if i == 1 and week < 10:
        return None  # added to the config in week 10
    if i == 2 and week >= 40:
        return None  # removed in week 40
    kind = i % 3
    window = WindowInfo(_iso(START + timedelta(weeks=week)), _iso(START + timedelta(weeks=week + 1)), "last 7d")
    if kind == 0:  # a share: higher is better, >= 80% (>= 85% from week 30 for m0), warn >= 88%
        target = 85.0 if i == 0 and week >= 30 else 80.0
        value = round(84 + 6 * ((week * (i + 3)) % 7 - 3) / 3 + rng.uniform(-1, 1), 3)
        op, unit, direction, warn = ">=", "%", "higher", 88.0
        written = "%"
    elif kind == 1:  # a duration in minutes: lower is better, <= 60 min written as 1h, warn <= 50 min
        value = round(45 + 20 * ((week + i) % 9) / 8 + rng.uniform(-2, 2), 3)
        op, unit, direction, target, warn, written = "<=", "min", "lower", 60.0, 50.0, "h"
    else:  # a count with no data some weeks
        value = None if week % 13 == 5 else float(rng.randint(80, 140))
        op, unit, direction, target, warn, written = ">=", "count", "higher", 100.0, 120.0, None
    status = _verdict(value, op, target, warn)
    shown_target = f"{op} {target:g}{'%' if unit == '%' else ' min' if unit == 'min' else ''}"
    return MetricResult(
        id=f"m{i}",
        title=f"Metric {i}",
        calc="share" if kind == 0 else "duration" if kind == 1 else "count",
        source="tickets",
        unit=unit,
        direction=direction,
        status=status,  # type: ignore[arg-type]
        value=value,
        n=500,
        target=shown_target,
        warn=f"{op} {warn:g}",
        window=window,
        reason=None if status != "fail" else f"{value} misses {shown_target}",
        target_level=LevelInfo(shown_target, op, (target,), written),
        warn_level=LevelInfo(f"{op} {warn:g}", op, (warn,), written),
    )


def weekly_scorecards(metrics: int = 12, weeks: int = 52, title: str = "Support weekly", seed: int = 3):
    """``weeks`` scorecards, oldest first, of ``metrics`` metrics each."""
    rng = random.Random(seed)
    cards = []
    for week in range(weeks):
        end = START + timedelta(weeks=week + 1)
        window = WindowInfo(_iso(end - timedelta(weeks=1)), _iso(end), "last 7d")
        run = RunInfo("kpis.yaml", "abc123", _iso(end), _iso(end), 0.4, "0.1.0", {"kpiframe": "0.1.0"}, window, 2)
        results = tuple(m for i in range(metrics) if (m := metric(i, week, rng)) is not None)
        cards.append(Scorecard(title, run, results))
    return cards


def record(store: str, cards) -> None:
    """Record each scorecard through the history API, as `kpiframe run --history` does."""
    from kpiframe.history import open_history

    history = open_history(store)
    for card in cards:
        history.append(card.to_dict(), git=f"commit{card.run.as_of[:10]}")
