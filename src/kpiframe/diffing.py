"""`kpiframe diff`: what changed between two scorecards, and whether it is a regression.

A regression is a metric or segment whose status got worse (pass → warn, warn →
fail, anything → error), or, with ``--max-change``, whose value moved in the
metric's worse direction by more than that percentage.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from tabulate import tabulate

from kpiframe.formatting import STATUS_LABELS, delta_text, value_text

_RANK = {"pass": 0, "info": 0, "no_data": 1, "warn": 2, "fail": 3, "error": 4}


@dataclass(frozen=True)
class Change:
    metric: str
    label: str
    unit: str
    direction: str
    old_status: str | None
    new_status: str | None
    old_value: float | None
    new_value: float | None
    regression: bool
    why: str


def _rows(card: dict[str, Any]) -> dict[tuple[str, str], dict[str, Any]]:
    rows = {}
    for m in card["metrics"]:
        rows[(m["id"], "")] = {**m, "label": m["title"]}
        for s in m.get("segments", []):
            rows[(m["id"], s["label"])] = {
                **s,
                "unit": m["unit"],
                "direction": m["direction"],
                "label": f"{m['title']} [{s['label']}]",
            }
    return rows


def compare(old: dict[str, Any], new: dict[str, Any], max_change: float | None = None) -> list[Change]:
    before, after = _rows(old), _rows(new)
    changes = []
    for key in list(after) + [k for k in before if k not in after]:
        a, b = before.get(key), after.get(key)
        ref = b or a
        assert ref is not None
        old_status, new_status = (a or {}).get("status"), (b or {}).get("status")
        old_value, new_value = (a or {}).get("value"), (b or {}).get("value")
        if old_status == new_status and old_value == new_value:
            continue
        why, regression = [], False
        if old_status and new_status and _RANK[new_status] > _RANK[old_status]:
            regression = True
            why.append(f"{old_status} → {new_status}")
        if max_change is not None and old_value not in (None, 0) and new_value is not None:
            pct = 100 * (new_value - old_value) / abs(old_value)
            worse = pct if ref["direction"] == "lower" else -pct if ref["direction"] == "higher" else abs(pct)
            if worse > max_change:
                regression = True
                why.append(f"{abs(pct):.1f}% worse (more than {max_change:g}%)")
        if a is None:
            why.append("new")
        elif b is None:
            why.append("gone")
        changes.append(
            Change(
                key[0],
                ref["label"],
                ref["unit"],
                ref["direction"],
                old_status,
                new_status,
                old_value,
                new_value,
                regression,
                "; ".join(why),
            )
        )
    return changes


def render(changes: list[Change], markdown: bool = False) -> str:
    if not changes:
        return "no changes\n"
    rows = []
    for c in changes:
        delta = ""
        if c.old_value is not None and c.new_value is not None:
            pct = 100 * (c.new_value - c.old_value) / abs(c.old_value) if c.old_value else None
            delta = delta_text(c.new_value - c.old_value, pct, c.unit, c.direction)
        rows.append(
            [
                "REGRESSION" if c.regression else "",
                c.label,
                STATUS_LABELS.get(c.old_status or "", "-"),
                STATUS_LABELS.get(c.new_status or "", "-"),
                value_text(c.old_value, c.unit),
                value_text(c.new_value, c.unit),
                delta,
                c.why,
            ]
        )
    headers = ["", "metric", "was", "now", "old", "new", "Δ", "why"]
    regressions = sum(c.regression for c in changes)
    table = tabulate(rows, headers=headers, tablefmt="github" if markdown else "simple", disable_numparse=True)
    return f"{table}\n\n{len(changes)} changed, {regressions} regression{'s' if regressions != 1 else ''}\n"
