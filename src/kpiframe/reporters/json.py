"""The scorecard as JSON, valid against ``schemas/scorecard-1.schema.json``."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from kpiframe.contracts import Reporter
from kpiframe.plugins import hookimpl
from kpiframe.scorecard import Scorecard


class JsonReporter(Reporter):
    name = "json"
    extension = "json"
    description = "The scorecard object as JSON (its schema: `kpiframe schema --scorecard`)."

    def render(self, scorecard: Scorecard, options: Mapping[str, Any]) -> str:
        return scorecard.to_json(indent=2) + "\n"


@hookimpl
def kpiframe_register_reporters() -> list[Reporter]:
    return [JsonReporter()]
