"""Trends from the run history: every metric run over run, as a page, JSON, Markdown or a table.

``kpiframe report --history STORE -o trends.html`` and ``kpiframe history show
STORE --format md|json`` read the last runs of one scorecard title
(:func:`load_trends`) and render them (:mod:`kpiframe.trends.page`,
:mod:`kpiframe.trends.text`). Reading only: the history is never written.
"""

from kpiframe.trends.model import MetricTrend, Point, RunPoint, StatusChange, Trends, load_trends

__all__ = ["MetricTrend", "Point", "RunPoint", "StatusChange", "Trends", "load_trends"]
