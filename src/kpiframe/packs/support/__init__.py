"""The customer-service KPI pack: every KPI of METRICS.md as a ``support.*`` calculator.

Registered through the same hooks a third-party pack would use.
"""

from __future__ import annotations

from kpiframe.contracts import Calculator, Preset
from kpiframe.packs.support import customers, experience, people, resolution, speed, volume, workforce
from kpiframe.packs.support.presets import PRESETS
from kpiframe.plugins import hookimpl

KPIS: list[Calculator] = [
    *volume.KPIS,
    *speed.KPIS,
    *resolution.KPIS,
    *experience.KPIS,
    *customers.KPIS,
    *people.KPIS,
    *workforce.KPIS,
]


@hookimpl
def kpiframe_register_calculators() -> list[Calculator]:
    return list(KPIS)


@hookimpl
def kpiframe_register_presets() -> list[Preset]:
    return list(PRESETS)


#: What support teams call the KPIs: `kpiframe explain frt`, and titles such as "FRT p90".
ABBREVIATIONS = {
    "frt": "support.first_response_time",
    "asa": "support.average_speed_of_answer",
    "aht": "support.average_handle_time",
    "fcr": "support.first_contact_resolution",
    "ttr": "support.time_to_resolution",
    "sl": "support.service_level",
    "csat": "support.csat",
    "nps": "support.nps",
    "ces": "support.ces",
    "iqs": "support.iqs",
    "enps": "support.agent_satisfaction",
    "esat": "support.agent_satisfaction",
    "clv": "support.clv",
}


@hookimpl
def kpiframe_register_abbreviations() -> dict[str, str]:
    return dict(ABBREVIATIONS)
