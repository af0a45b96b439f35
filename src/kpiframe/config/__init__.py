"""Config loading: line-aware YAML, ``${VAR}`` interpolation, JSON Schema validation, typed model."""

from kpiframe.config.load import load_config
from kpiframe.config.model import Config, MetricSpec, SourceSpec

__all__ = ["Config", "MetricSpec", "SourceSpec", "load_config"]
