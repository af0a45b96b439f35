"""kpiframe: turn a YAML file into a KPI scorecard.

The names below are the whole public API. Plugins import from here and nothing
deeper; everything else may change between releases. Every name loads on first
use (PEP 562), so ``import kpiframe`` stays cheap: ``kpiframe --help`` needs
none of the plugin contract, pluggy or the engine, and a run imports Ibis and
DuckDB only when it touches data. ``from kpiframe import Value`` and
``kpiframe.Value`` work as if the names were imported here.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

__version__ = "0.1.0"

#: Each public name, and the module that defines it.
_ORIGINS = {
    "PLUGIN_API_MINOR": "kpiframe.contracts",
    "PLUGIN_API_VERSION": "kpiframe.contracts",
    "Calculator": "kpiframe.contracts",
    "Connector": "kpiframe.contracts",
    "DerivedCalculator": "kpiframe.contracts",
    "Period": "kpiframe.contracts",
    "Preset": "kpiframe.contracts",
    "PreviousRun": "kpiframe.contracts",
    "Reporter": "kpiframe.contracts",
    "SourceContext": "kpiframe.contracts",
    "Value": "kpiframe.contracts",
    "CalculationError": "kpiframe.errors",
    "ConfigError": "kpiframe.errors",
    "DeliveryError": "kpiframe.errors",
    "ExpressionError": "kpiframe.errors",
    "KpiframeError": "kpiframe.errors",
    "PluginError": "kpiframe.errors",
    "SourceError": "kpiframe.errors",
    "ExitCode": "kpiframe.exit_codes",
    "hookimpl": "kpiframe.plugins",
    "Redactor": "kpiframe.redaction",
    "sql_literal": "kpiframe.sql_literals",
    "RunContext": "kpiframe.api",
    "check_data": "kpiframe.api",
    "column": "kpiframe.api",
    "condition": "kpiframe.api",
    "load_config": "kpiframe.api",
    "prepare": "kpiframe.api",
    "run": "kpiframe.api",
    "get_json": "kpiframe.http",
    "post_json": "kpiframe.http",
    "Scorecard": "kpiframe.scorecard",
}

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
    from kpiframe.http import get_json, post_json
    from kpiframe.plugins import hookimpl
    from kpiframe.redaction import Redactor
    from kpiframe.scorecard import Scorecard
    from kpiframe.sql_literals import sql_literal


def __getattr__(name: str) -> Any:
    origin = _ORIGINS.get(name)
    if origin is None:
        raise AttributeError(f"module 'kpiframe' has no attribute {name!r}")
    value = getattr(importlib.import_module(origin), name)
    globals()[name] = value  # found directly from now on
    return value


def __dir__() -> list[str]:
    return sorted({*globals(), *__all__})
