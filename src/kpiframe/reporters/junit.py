"""JUnit XML: each metric and each segment a test case, so CI systems show KPIs as tests.

``fail`` is a ``<failure>``, ``error`` an ``<error>``; ``warn`` and ``no_data``
are a ``<failure>`` when ``--fail-on`` makes them fail the run (``--fail-on warn``,
``--fail-on no_data`` for no_data) and ``<skipped>`` otherwise. The file validates against the
common JUnit XSD (Jenkins' junit-10.xsd shape).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

from kpiframe.contracts import Reporter
from kpiframe.engine.evaluate import gates
from kpiframe.formatting import delta_text, interval_text, value_text, xml_safe
from kpiframe.plugins import hookimpl
from kpiframe.scorecard import MetricResult, Scorecard

if TYPE_CHECKING:
    from xml.etree import ElementTree as ET


def _message(status: str, value: str, target: str | None, delta: str, reason: str | None) -> str:
    text = f"{status}: {value}"
    if target:
        text += f", target {target}"
    if delta:
        text += f", change {delta}"
    if reason:
        text += f" ({reason})"
    return text


def _clean(root: ET.Element) -> None:
    """ElementTree escapes < and &, but writes control characters XML forbids: make them visible instead."""
    for element in root.iter():
        if element.text:
            element.text = xml_safe(element.text)
        for key, value in element.attrib.items():
            element.set(key, xml_safe(value))


class JUnitReporter(Reporter):
    name = "junit"
    extension = "xml"
    description = "JUnit XML: each metric and segment a test case (fail and error as failures, warn by --fail-on)."

    def case(
        self, suite: ET.Element, metric: MetricResult, label: str | None, values: dict[str, Any], fail_on: str
    ) -> str:
        from xml.etree import ElementTree as ET  # only when a JUnit file is written

        name = metric.title + (f" [{label}]" if label else "")
        case = ET.SubElement(suite, "testcase", name=name, classname=f"kpiframe.{metric.id}", time="0")
        status = values["status"]
        value = value_text(values["value"], metric.unit)
        delta = delta_text(values.get("delta"), values.get("delta_pct"), metric.unit, metric.direction)
        message = _message(status, value, values.get("target"), delta, values.get("reason"))
        if status == "fail" or (status in ("warn", "no_data") and gates(status, fail_on)):
            ET.SubElement(case, "failure", message=message, type=status).text = message
        elif status == "error":
            ET.SubElement(case, "error", message=message, type="error").text = message
        elif status in ("warn", "no_data"):
            ET.SubElement(case, "skipped", message=message)
        details = [f"value: {value}", f"n: {values.get('n')}"]
        if values.get("interval"):
            details.append(f"95% CI: {interval_text(values['interval'], metric.unit)}")
        if values.get("baseline") is not None:
            details.append(f"baseline: {value_text(values['baseline'], metric.unit)} ({delta})")
        ET.SubElement(case, "system-out").text = "\n".join(details)
        return status

    def render(self, scorecard: Scorecard, options: Mapping[str, Any]) -> str:
        from xml.etree import ElementTree as ET

        fail_on = str(options.get("fail_on", "fail"))
        suites = ET.Element("testsuites", name="kpiframe")
        suite = ET.SubElement(
            suites, "testsuite", name=scorecard.title, timestamp=scorecard.run.started_at[:19], hostname="kpiframe"
        )
        props = ET.SubElement(suite, "properties")
        for key in ("as_of", "config_path", "config_hash", "kpiframe_version"):
            ET.SubElement(props, "property", name=key, value=str(getattr(scorecard.run, key)))
        ET.SubElement(props, "property", name="window", value=scorecard.run.window.label)
        counts = {"tests": 0, "failures": 0, "errors": 0, "skipped": 0}
        for metric in scorecard.metrics:
            rows = [(None, metric.__dict__)] + [(s.label, s.__dict__) for s in metric.segments]
            for label, values in rows:
                status = self.case(suite, metric, label, values, fail_on)
                counts["tests"] += 1
                if status == "fail" or (status in ("warn", "no_data") and gates(status, fail_on)):
                    counts["failures"] += 1
                elif status == "error":
                    counts["errors"] += 1
                elif status in ("warn", "no_data"):
                    counts["skipped"] += 1
        for element in (suites, suite):
            for key, count in counts.items():
                element.set(key, str(count))
            element.set("time", f"{scorecard.run.duration_s:.3f}")
        _clean(suites)
        ET.indent(suites)
        return '<?xml version="1.0" encoding="UTF-8"?>\n' + ET.tostring(suites, encoding="unicode") + "\n"


@hookimpl
def kpiframe_register_reporters() -> list[Reporter]:
    return [JUnitReporter()]
