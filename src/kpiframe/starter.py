"""`kpiframe init`: a starter config for a pack, shaped for a known export."""

from __future__ import annotations

from kpiframe.errors import ConfigError

_TICKET_METRICS = """\
  volume:
    calc: support.ticket_volume
    source: tickets
  frt_median:
    title: First response time (median)
    calc: support.first_response_time
    source: tickets
    params: {stat: median, unit: h}
    target: "<= 4h"
  frt_p90:
    title: First response time (p90)
    calc: support.first_response_time
    source: tickets
    params: {stat: p90, unit: h}
    target: "<= 24h"
  resolution_time:
    calc: support.time_to_resolution
    source: tickets
    params: {stat: median, unit: h}
    target: "<= 48h"
  backlog:
    calc: support.backlog
    source: tickets
"""

_CSAT = """\
  csat:                       # pair speed with quality: fast answers that do not help are not a win
    calc: support.csat
    source: {source}
    params: {{kind: any}}
    target: ">= 85%"
    min_sample: 30
"""

_CALL_METRICS = """\
  service_level:
    calc: support.service_level
    source: calls
    params: {threshold: 20s}
    target: ">= 80%"          # the industry's 80/20
  asa:
    calc: support.average_speed_of_answer
    source: calls
    target: "<= 30s"
  abandonment:
    calc: support.abandonment_rate
    source: calls
    target: "<= 8%"
  aht:
    calc: support.average_handle_time
    source: calls
    params: {unit: min}
"""

SOURCES = {
    None: (
        "  tickets: {connector: parquet, path: sample-data/tickets.parquet, time: created_at}\n"
        "  calls: {connector: parquet, path: sample-data/calls.parquet, time: queued_at}\n"
        "  surveys: {connector: parquet, path: sample-data/surveys.parquet, time: answered_at}\n"
    ),
    "zendesk": (
        "  tickets: {connector: jsonl, path: zendesk-tickets.jsonl, preset: zendesk}   # the incremental export with"
        " metric_sets\n"
    ),
    "freshdesk": (
        "  tickets: {connector: csv, path: freshdesk-tickets.csv, preset: freshdesk}    # Tickets → Export as CSV\n"
    ),
    "intercom": "  tickets: {connector: jsonl, path: intercom-conversations.jsonl, preset: intercom}\n",
    "call_log": "  calls: {connector: csv, path: calls.csv, preset: call_log}\n",
}


def starter_config(pack: str, preset: str | None) -> str:
    """The text of a starter config; raises ConfigError for an unknown pack or preset."""
    if pack != "support":
        raise ConfigError(f"--pack: unknown pack {pack!r}; available: support")
    if preset not in SOURCES:
        raise ConfigError(f"--preset: unknown preset {preset!r}; available: {', '.join(p for p in SOURCES if p)}")
    metrics = ""
    if preset != "call_log":
        metrics += _TICKET_METRICS
    if preset in (None, "call_log"):
        metrics += _CALL_METRICS
    if preset in ("zendesk", "intercom"):
        metrics += _CSAT.format(source="tickets")
    elif preset is None:
        metrics += _CSAT.format(source="surveys").replace("{kind: any}", "{kind: csat}")
    described = f"a {preset} export" if preset else "kpiframe's sample data (kpiframe sample-data sample-data)"
    return (
        f"# A starter support scorecard for {described}.\n# Check it with `kpiframe validate`, run it with `kpiframe"
        " run`; `kpiframe explain NAME` says what a KPI computes.\nversion: 1\ntitle: Support scorecard\nwindow:"
        " {last: 30d}          # relative to --as-of (default: now, UTC)\n\nsources:\n"
        + SOURCES[preset]
        + "\nmetrics:\n"
        + metrics
    )
