"""kpiframe: turn a YAML file into a KPI scorecard.

The names below are the whole public API. Plugins import from here and nothing
deeper; everything else may change between releases. Heavy modules (Ibis,
DuckDB) load only when a run needs them, so ``import kpiframe`` stays cheap.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from kpiframe.contracts import (
    PLUGIN_API_MINOR,
    PLUGIN_API_VERSION,
    Calculator,
    Connector,
    DerivedCalculator,
    Period,
    Preset,
    PreviousRun,
    Reporter,
    SourceContext,
    Value,
)
from kpiframe.errors import (
    CalculationError,
    ConfigError,
    DeliveryError,
    ExpressionError,
    KpiframeError,
    PluginError,
    SourceError,
)
from kpiframe.exit_codes import ExitCode
from kpiframe.plugins import hookimpl
from kpiframe.redaction import Redactor
from kpiframe.sql_literals import sql_literal

__version__ = "0.1.0"

__all__ = [
    "PLUGIN_API_MINOR",
    "PLUGIN_API_VERSION",
    "CalculationError",
    "Calculator",
    "ConfigError",
    "Connector",
    "DeliveryError",
    "DerivedCalculator",
    "ExitCode",
    "ExpressionError",
    "KpiframeError",
    "Period",
    "PluginError",
    "Preset",
    "PreviousRun",
    "Redactor",
    "Reporter",
    "RunContext",
    "Scorecard",
    "SourceContext",
    "SourceError",
    "Value",
    "check_data",
    "column",
    "condition",
    "get_json",
    "hookimpl",
    "load_config",
    "post_json",
    "prepare",
    "run",
    "sql_literal",
    "__version__",
]

if TYPE_CHECKING:
    from kpiframe.api import RunContext, check_data, column, condition, load_config, prepare, run
    from kpiframe.http import get_json, post_json
    from kpiframe.scorecard import Scorecard


def __getattr__(name: str) -> Any:
    # Lazy re-exports: these pull in the engine (and so Ibis) only when used.
    if name in {"get_json", "post_json"}:
        from kpiframe import http

        return getattr(http, name)
    if name in {"run", "check_data", "load_config", "prepare", "column", "condition", "RunContext"}:
        from kpiframe import api

        return getattr(api, name)
    if name == "Scorecard":
        from kpiframe.scorecard import Scorecard

        return Scorecard
    raise AttributeError(f"module 'kpiframe' has no attribute {name!r}")
