"""The pytest plugin: ``pytest --kpiframe configs/ci-sla.yaml`` makes each KPI a test.

Every metric is a test item named by its id (``frt_p90``), and every segment with
its own target (``targets: {"channel=phone": ...}``) one more (``frt_p90[channel=phone]``),
so ``-k``, ``-x``, ``--junitxml`` and the summary work as they do for any test.
Segments without their own target count towards their metric's item, as they
count towards kpiframe's exit code. Statuses become outcomes:

========  ==================================================================
pass      passed (``info``, a metric without a target, passes too)
warn      passed, with a :class:`KpiframeWarning` in the warnings summary
no_data   skipped with the reason (``--kpiframe-fail-on no_data``: failed)
fail      failed
error     an error (pytest's ``E``): the metric could not be computed
========  ==================================================================

The config is read at collection (a config error is a collection error that
names file:line:col) and run once per session, lazily, when the first of its
selected items sets up: deselected configs never touch their data.

pytest loads this module in every session of every project where kpiframe is
installed, so it imports nothing beyond pytest until ``--kpiframe`` (or the
``kpiframe_configs`` ini option) names a config.
"""

from __future__ import annotations

import os
import warnings
from collections.abc import Generator, Iterator
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pytest

if TYPE_CHECKING:
    from kpiframe.scorecard import Scorecard

__all__ = ["KpiframeWarning"]

#: ``--kpiframe-fail-on``: the lowest status that fails an item (fail and error always do).
FAIL_ON = ("fail", "no_data", "warn")
_KEY = pytest.StashKey[dict[str, Any]]()


class KpiframeWarning(UserWarning):
    """A KPI at ``warn``: it passed its target but missed its warn level.

    ``-W error::kpiframe.pytest_plugin.KpiframeWarning`` (or ``--kpiframe-fail-on warn``) fails it instead.
    """


class KpiFailure(pytest.fail.Exception):  # type: ignore[misc, name-defined]
    """A KPI missed its target (or a status ``--kpiframe-fail-on`` gates): a test failure, shown without a traceback."""

    # As pytest's own Failed does: summaries read "KpiFailure: frt_p90: fail ...", not the module path.
    __module__ = "builtins"

    def __init__(self, message: str) -> None:
        super().__init__(message, pytrace=False)


class KpiError(KpiFailure):
    """A KPI could not be judged (a source or calculator error, a run that could not start).

    Raised while the item sets up, so pytest reports an error (``E``), not a failure.
    """

    __module__ = "builtins"


def pytest_addoption(parser: pytest.Parser) -> None:
    group = parser.getgroup("kpiframe", "KPI scorecards as tests (kpiframe)")
    group.addoption(
        "--kpiframe",
        action="append",
        default=[],
        metavar="CONFIG",
        dest="kpiframe",
        help="A kpiframe config whose metrics (and segments with their own target) become test items; repeatable.",
    )
    group.addoption(
        "--kpiframe-as-of",
        metavar="WHEN",
        default=None,
        help="Windows end here (ISO date or timestamp; default: the config's as_of, else now, UTC).",
    )
    group.addoption(
        "--kpiframe-history",
        metavar="STORE",
        default=None,
        help="A history store (DuckDB or SQLite file, or PostgreSQL URL): change targets compare with it and the run"
        " is recorded in it (default: $KPIFRAME_HISTORY).",
    )
    group.addoption(
        "--kpiframe-fail-on",
        choices=FAIL_ON,
        default="fail",
        help="Lowest status that fails an item: fail (default), no_data (also a metric without data) or warn.",
    )
    parser.addini("kpiframe_configs", type="paths", default=[], help="kpiframe configs to test in every session.")


def _configs(config: pytest.Config) -> list[Path]:
    given = [config.invocation_params.dir / path for path in config.getoption("kpiframe") or ()]
    listed = [Path(path) for path in config.getini("kpiframe_configs") or ()]
    unique: dict[Path, None] = dict.fromkeys(path.resolve() for path in [*given, *listed])
    return list(unique)


def pytest_configure(config: pytest.Config) -> None:
    configs = _configs(config)
    as_of_text = config.getoption("kpiframe_as_of")
    if not configs:
        if as_of_text or config.getoption("kpiframe_history"):
            raise pytest.UsageError("--kpiframe-as-of and --kpiframe-history need a config: add --kpiframe CONFIG")
        return
    config.stash[_KEY] = {
        "configs": configs,
        "as_of": _parse_as_of(as_of_text) if as_of_text else None,
        "history": config.getoption("kpiframe_history") or os.environ.get("KPIFRAME_HISTORY") or None,
        "fail_on": config.getoption("kpiframe_fail_on"),
        "runs": [],
    }


def _parse_as_of(text: str) -> Any:
    from datetime import UTC

    from kpiframe.config.literals import DateRangeError
    from kpiframe.config.load import parse_timestamp

    try:
        return parse_timestamp(text).astimezone(UTC)
    except (DateRangeError, ValueError) as exc:
        raise pytest.UsageError(
            f"--kpiframe-as-of: expected a date or timestamp such as 2026-01-31T00:00:00Z, got {text!r} ({exc})"
        ) from None


@pytest.hookimpl(wrapper=True)
def pytest_make_collect_report(
    collector: pytest.Collector,
) -> Generator[None, pytest.CollectReport, pytest.CollectReport]:
    """The session collects each config given, beside the tests found on disk."""
    report = yield
    settings = collector.config.stash.get(_KEY, None)
    if settings and isinstance(collector, pytest.Session) and report.passed:
        report.result.extend(KpiframeConfig.from_parent(collector, path=path) for path in settings["configs"])
    return report


def pytest_report_header(config: pytest.Config) -> str | None:
    settings = config.stash.get(_KEY, None)
    if not settings:
        return None
    return "kpiframe: " + ", ".join(_shown(config, path) for path in settings["configs"])


def pytest_terminal_summary(terminalreporter: Any, config: pytest.Config) -> None:
    runs = (config.stash.get(_KEY, None) or {}).get("runs", ())
    if runs:
        terminalreporter.section("kpiframe")
    for path, scorecard in runs:
        counts = ", ".join(f"{n} {status.replace('_', ' ')}" for status, n in scorecard.summary.items() if n)
        terminalreporter.write_line(
            f"kpiframe: {_shown(config, path)} ({scorecard.title}) ran {len(scorecard.metrics)} metrics, window"
            f" {scorecard.run.window.label}, as of"
            f" {scorecard.run.as_of}: {counts or 'no metrics'}"
        )


def _shown(config: pytest.Config, path: Path) -> str:
    try:
        return str(path.relative_to(config.invocation_params.dir))
    except ValueError:
        return str(path)


class KpiframeConfig(pytest.File):
    """One config: its metrics are the items; it runs once, when its first item sets up."""

    def collect(self) -> Iterator[KpiframeItem]:
        from kpiframe.api import prepare
        from kpiframe.pytest_verdicts import segment_label

        self._loaded, self._context = prepare(self.path)
        self._outcome: Any = None
        for metric in self._loaded.metrics.values():
            yield KpiframeItem.from_parent(self, name=metric.id, metric_id=metric.id, segment=None)
            for key in metric.segment_levels:
                label = segment_label(key, metric.by)
                yield KpiframeItem.from_parent(self, name=f"{metric.id}[{label}]", metric_id=metric.id, segment=key)

    def repr_failure(self, excinfo: pytest.ExceptionInfo[BaseException]) -> Any:  # type: ignore[override]
        from kpiframe.errors import KpiframeError

        if isinstance(excinfo.value, KpiframeError):
            # file:line:col and how to fix it, with the path as the user typed it; a traceback adds nothing.
            return str(excinfo.value).replace(str(self.path), _shown(self.config, self.path))
        return super().repr_failure(excinfo)

    def scorecard(self) -> Scorecard:
        """The run's scorecard, computed on the first call; a run that could not start raises :class:`KpiError`."""
        if self._outcome is None:
            try:
                self._outcome = self._run()
            except Exception as crash:
                # A bug (in kpiframe or a plugin): its traceback once, on this item; the others point at it.
                self._outcome = (
                    f"the run of {_shown(self.config, self.path)} crashed ({type(crash).__name__}); see the first error"
                )
                raise
        if isinstance(self._outcome, str):
            raise KpiError(self._outcome)
        return self._outcome

    def _run(self) -> Scorecard | str:
        from kpiframe.api import run
        from kpiframe.errors import KpiframeError

        settings = self.config.stash[_KEY]
        try:
            scorecard = run(self._loaded, as_of=settings["as_of"], history=settings["history"], context=self._context)
        except KpiframeError as exc:
            return f"{_shown(self.config, self.path)}: {self._context.redactor(str(exc))}"
        settings["runs"].append((self.path, scorecard))
        return scorecard

    def line_of(self, path: tuple[str, ...]) -> int | None:
        location = self._loaded.document.locate(path, key=True)
        return location.line if location else None


class KpiframeItem(pytest.Item):
    """One metric, or one segment with its own target, judged from the config's single run."""

    parent: KpiframeConfig

    def __init__(self, *, metric_id: str, segment: tuple[tuple[str, str], ...] | None, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.metric_id = metric_id
        self.segment = segment
        self.verdict: tuple[str, str] = ("pass", "")

    def setup(self) -> None:
        # Computing the KPI is the setup: when it cannot be computed, the item is an error, not a failure.
        scorecard = self.parent.scorecard()
        from kpiframe.pytest_verdicts import verdict

        spec = self.parent._loaded.metrics[self.metric_id]
        self.verdict = verdict(scorecard.metric(self.metric_id), self.segment, spec.segment_levels)
        status, message = self.verdict
        self.user_properties += [("kpiframe_status", status), ("kpiframe_title", scorecard.title)]
        if status == "error":
            raise KpiError(f"{message}\n  at {self.location_text()}")

    def runtest(self) -> None:
        from kpiframe.status import SEVERITY

        status, message = self.verdict
        if SEVERITY[status] >= SEVERITY[self.config.stash[_KEY]["fail_on"]]:
            raise KpiFailure(f"{message}\n  at {self.location_text()}")
        if status == "no_data":
            # Reported at the metric's line in the config, as a skip mark is at its test's.
            raise pytest.skip.Exception(message, _use_item_location=True)
        if status == "warn":
            # Attributed to the config's line, so the warnings summary points at the metric, not at this plugin.
            line = self.parent.line_of(("metrics", self.metric_id)) or 1
            try:
                warnings.warn_explicit(KpiframeWarning(message), KpiframeWarning, str(self.path), line)
            except KpiframeWarning:  # -W error::kpiframe.pytest_plugin.KpiframeWarning: a failure like any other
                raise KpiFailure(f"{message}\n  at {self.location_text()}") from None

    def location_text(self) -> str:
        """``configs/ci-sla.yaml:22``: where the metric is defined."""
        _, line, _ = self.reportinfo()
        return f"{_shown(self.config, self.path)}:{(line or 0) + 1}"

    def reportinfo(self) -> tuple[Path, int | None, str]:
        path = ("metrics", self.metric_id)
        line = self.parent.line_of(path + ("targets",) if self.segment else path)
        return self.path, None if line is None else line - 1, f"kpiframe: {self.name}"
