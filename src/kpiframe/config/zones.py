"""Which time zone a config's windows, hours and weekdays are in, and when a config's zones may surprise.

The rule itself is written once, in :mod:`kpiframe.engine.windows`: the top-level
``timezone:`` is the *reporting zone*; when the top level names none, the one
zone the sources' ``timezone:`` name is; else UTC. A source's naive timestamps
are wall-clock times in its own ``timezone:``, else in the reporting zone.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import TYPE_CHECKING, Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

if TYPE_CHECKING:
    from kpiframe.config.model import Config
    from kpiframe.errors import ConfigProblem

__all__ = ["reporting_zone", "zone_warnings"]


def _known(name: Any) -> bool:
    try:
        ZoneInfo(name)
        return isinstance(name, str)
    except (ZoneInfoNotFoundError, ValueError, TypeError):
        return False


def reporting_zone(top: str | None, source_zones: Iterable[Any]) -> str:
    """The zone of window edges and time keys: ``top``, else the sources' one zone, else UTC."""
    if top is not None:
        return top
    named = {zone for zone in source_zones if zone is not None and _known(zone)}
    return named.pop() if len(named) == 1 else "UTC"


def zone_warnings(config: Config) -> list[ConfigProblem]:
    """Where a source's clock and the reporting zone differ, so its times are converted: said, located.

    A warning, not an error: a Jerusalem call log on a London scorecard is a fine
    thing to want, but a call at 00:30 on Monday in Jerusalem then counts on
    Sunday in London, which is worth a sentence.
    """
    doc, zone = config.document, config.timezone
    top_set = ("timezone",) in doc.values
    used = {m.source for m in config.metrics.values() if m.source}
    warnings = []
    named = sorted({s.timezone for sid, s in config.sources.items() if ("sources", sid, "timezone") in doc.values})
    if not top_set and len(named) > 1:
        warnings.append(
            doc.problem(
                ("sources",),
                f"the sources name different time zones ({', '.join(named)}) and the config none, so windows, hours"
                " and weekdays are in UTC",
                f"set a top-level `timezone:` (e.g. timezone: {named[0]}) to say which one the scorecard follows",
            )
        )
    for sid, source in sorted(config.sources.items()):
        if sid not in used or source.timezone == zone:
            continue
        whose = "the top-level `timezone:`" if top_set else "UTC, as the sources name different zones"
        path = ("sources", sid, "timezone") if ("sources", sid, "timezone") in doc.values else ("sources", sid)
        warnings.append(
            doc.problem(
                path,
                f"source {sid!r} has naive times in {source.timezone}, but windows, hours and weekdays are in {zone}"
                f" ({whose}); its times are converted to {zone} for them",
                f"if its times are {zone} times, or the scorecard should follow {source.timezone}, set both"
                " `timezone:` keys to one zone",
            )
        )
    return warnings
