"""The hooks kpiframe calls, and what a plugin returns from each.

A plugin is a module (or object) with functions marked ``@kpiframe.hookimpl``
and named like the specs below. Built-in connectors, calculators and reporters
register through these same hooks.

Hooks are called in this order during ``kpiframe run``:

1. :func:`kpiframe_register_connectors`, :func:`kpiframe_register_calculators`,
   :func:`kpiframe_register_reporters`, :func:`kpiframe_register_presets`,
   :func:`kpiframe_register_abbreviations`, :func:`kpiframe_register_config_sections`:
   once, when the plugin manager is built.
2. :func:`kpiframe_scorecard_ready`: once, after every target was evaluated and
   before any report is written.

A hook implementation may accept fewer arguments than its spec offers; new
arguments are only ever added, so plugins keep working.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import pluggy

if TYPE_CHECKING:
    from kpiframe.config.model import Config
    from kpiframe.contracts import Calculator, Connector, Preset, PreviousRun, Reporter
    from kpiframe.scorecard import Scorecard

# Private on purpose: plugins implement hooks, they do not define new ones.
_hookspec = pluggy.HookspecMarker("kpiframe")


@_hookspec
def kpiframe_register_connectors() -> list[Connector]:
    """Return the source connectors this plugin provides.

    Called once when the plugin manager is built. Each connector's ``name`` is
    what a source's ``connector:`` key names; two plugins returning the same
    name is an error that names both.

    :returns: a list of :class:`kpiframe.Connector` instances (may be empty).

    Example::

        @kpiframe.hookimpl
        def kpiframe_register_connectors():
            return [MyApiConnector()]
    """


@_hookspec
def kpiframe_register_calculators() -> list[Calculator]:
    """Return the metric calculators this plugin provides.

    Called once when the plugin manager is built. Each calculator's ``name`` is
    what a metric's ``calc:`` key names (use a prefix such as ``mypack.``).

    :returns: a list of :class:`kpiframe.Calculator` instances (may be empty).
    """


@_hookspec
def kpiframe_register_reporters() -> list[Reporter]:
    """Return the scorecard reporters (output formats) this plugin provides.

    :returns: a list of :class:`kpiframe.Reporter` instances; each ``name`` is
        a value for ``kpiframe run --format``.
    """


@_hookspec
def kpiframe_register_presets() -> list[Preset]:
    """Return the source presets this plugin provides.

    A source that says ``preset: NAME`` gets the preset's ``columns`` (role →
    expression over the export's own column names); keys the source maps itself
    win. Presets let one config line adapt a pack to a known export format.

    :returns: a list of :class:`kpiframe.Preset` (may be empty).

    .. versionadded:: 0.1
    """


@_hookspec
def kpiframe_register_abbreviations() -> dict[str, str]:
    """Return the short names people use for this plugin's calculators.

    Called once when the plugin manager is built. ``kpiframe explain frt`` finds
    ``support.first_response_time`` through them, and a metric titled from its id
    writes them in capitals (``frt_p90`` → "FRT p90"). A pack knows its field's
    words; the core does not.

    :returns: a mapping of abbreviation (lower case) → calculator name. When two
        plugins claim one abbreviation, the first registered keeps it.

    Example::

        @kpiframe.hookimpl
        def kpiframe_register_abbreviations():
            return {"mrr": "saas.monthly_recurring_revenue"}

    .. versionadded:: 0.2
    """


@_hookspec
def kpiframe_register_config_sections() -> dict[str, dict[str, Any]]:
    """Return the top-level config sections this plugin reads, each with its JSON Schema.

    Called once when the plugin manager is built. A config may then hold the
    section (``notify:``, say); kpiframe validates it against the schema when the
    config loads, reporting every mistake with file, line and column like any
    other key, and hands it, with ``${VAR}`` values substituted, to hooks as
    ``config.sections[NAME]``. Without a plugin that registers it, the key is
    an unknown key, as before.

    :returns: a mapping of section name (a lower-case identifier that is not a
        core key such as ``metrics``) → JSON Schema (draft 2020-12) of its value.
        Two plugins registering one name is an error naming both.

    Example::

        @kpiframe.hookimpl
        def kpiframe_register_config_sections():
            return {"notify": {"type": "object", "properties": {"always": {"type": "boolean"}}}}

    .. versionadded:: 1.2
    """


@_hookspec
def kpiframe_scorecard_ready(
    scorecard: Scorecard, config: Config, history: str | None, previous: PreviousRun | None
) -> None:
    """Called once per run after every target was evaluated, before reports are written.

    Use it for notifiers (chat, webhooks, files). Exceptions propagate and stop
    the run, so catch what you can handle. The return value is ignored. The run
    is not yet in the history when this is called.

    :param scorecard: the finished :class:`kpiframe.Scorecard`.
    :param config: the loaded config the scorecard was computed from;
        ``config.sections`` holds the sections plugins registered, and
        ``config.secrets`` the values that came from ``${VAR}``.
    :param history: where the run will be recorded (``--history``, credentials
        masked), or ``None`` when the run keeps no history.
    :param previous: the recorded run this one follows: the newest run of the
        same window (a re-run) or else of an earlier window, as a
        :class:`kpiframe.PreviousRun`; ``None`` without a history or before the
        first run of the title.

    .. versionchanged:: 1.2
       ``history`` and ``previous``.
    """
