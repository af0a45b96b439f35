"""The customer-service KPI pack: every KPI of METRICS.md as a ``support.*`` calculator.

Registered through the same hooks a third-party pack would use.
"""

from __future__ import annotations

from kpiframe.contracts import Calculator, Preset
from kpiframe.packs.support import customers, experience, people, resolution, speed, volume
from kpiframe.packs.support.presets import PRESETS
from kpiframe.plugins import hookimpl

KPIS: list[Calculator] = [*volume.KPIS, *speed.KPIS, *resolution.KPIS, *experience.KPIS, *customers.KPIS, *people.KPIS]


@hookimpl
def kpiframe_register_calculators() -> list[Calculator]:
    return list(KPIS)


@hookimpl
def kpiframe_register_presets() -> list[Preset]:
    return list(PRESETS)
