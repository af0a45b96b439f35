"""Read a config file into a validated :class:`Config`, reporting every problem at once."""

from __future__ import annotations

import hashlib
import os
import re
from collections.abc import Mapping
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError, available_timezones

from kpiframe.business_hours import parse_schedule
from kpiframe.config.comparisons import (
    Comparison,
    change_never_fires,
    never_fires,
    parse_change,
    parse_comparison,
    stricter_hint,
    unit_fits,
)
from kpiframe.config.derived_slices import derived_slices
from kpiframe.config.include import merge
from kpiframe.config.interpolate import interpolate
from kpiframe.config.literals import UnitError, check_date, parse_duration
from kpiframe.config.model import Config, Level, MetricSpec, SourceSpec, WindowSpec
from kpiframe.config.reading import Unreadable, read_config_text
from kpiframe.config.schema import DEFAULT_MAX_SEGMENTS, SOURCE_CORE_KEYS, core_schema, with_sections
from kpiframe.config.validation import validate
from kpiframe.config.yaml_source import Document, dotted, parse_yaml
from kpiframe.config.zones import reporting_zone
from kpiframe.contracts import DerivedCalculator
from kpiframe.derive import MAX_DERIVED, DeriveProblem, derive_levels
from kpiframe.errors import ConfigError, ConfigProblem, ExpressionError, PluginError
from kpiframe.expr import suggest
from kpiframe.expr_names import check_syntax
from kpiframe.redaction import Redactor
from kpiframe.titles import title_from_id

#: Metric keys whose ``null`` means "none for this metric", also when ``defaults:`` give one.
OPT_OUTS = ("warn", "min_sample")


def parse_timestamp(text: str, zone: str = "UTC") -> datetime:
    """An ISO date or timestamp; naive ones are read in ``zone``. Returns an aware datetime.

    Raises ``ValueError`` for a malformed date and for one outside
    :data:`~kpiframe.config.literals.DATE_RANGE` (``0001-01-01`` made the
    previous calendar period year 0, a crash).
    """
    value = datetime.fromisoformat(text.strip().replace("Z", "+00:00"))
    check_date(value)
    if value.tzinfo is None:
        value = value.replace(tzinfo=ZoneInfo(zone))
    return value


def _zone_ok(name: str) -> bool:
    try:
        ZoneInfo(name)
        return True
    except (ZoneInfoNotFoundError, ValueError):
        return False


class _Checker:
    """Turns validated raw data into the model, collecting every problem."""

    def __init__(self, doc: Document, registry: Any, reported: set[str]):
        self.doc = doc
        self.registry = registry
        self.problems: list[ConfigProblem] = []
        self.reported = reported  # dotted paths the schema already complained about
        #: Whether validation may keep a hash of what it checked: not of a ``${VAR}``'s value.
        self.remember = True
        self.schedules: dict[str, Any] = {}
        self.scorecard_zone = "UTC"  # the reporting zone: naive times of a source without `timezone:`
        self.calc_uses: dict[str, int] = {}
        self.default_baseline: Any = "previous"
        #: The folder of the included file each source comes from (the config's own: not listed).
        self.source_dirs: dict[str, Path] = {}

    def bad(self, path: tuple[Any, ...]) -> bool:
        """Whether the schema already reported ``path`` or something inside or above it."""
        text = dotted(path)
        return any(r == text or r.startswith(text + ".") or text.startswith(r + ".") for r in self.reported)

    def guarded(self, check: Any, *args: Any) -> Any:
        """Run one check; when it trips over a value the schema already refused, that report stands.

        The checks below read values the schema may have refused (a unit that is
        a list, params that are a number). Every such mistake is already reported,
        so an exception here is its consequence, not news. With nothing reported,
        it is a bug, and it propagates (exit 4).
        """
        try:
            return check(*args)
        except Exception:
            if self.reported or self.problems:
                return None
            raise

    def add(self, path: tuple[Any, ...], message: str, hint: str | None = None, *, key: bool = False) -> None:
        if not self.bad(path):
            self.problems.append(self.doc.problem(path, message, hint, key=key))

    def zone(self, name: Any, path: tuple[Any, ...], default: str = "UTC") -> str:
        if name is None:
            return default
        if not _zone_ok(name):
            self.add(
                path,
                f"unknown time zone {name!r}",
                suggest(name, sorted(available_timezones())) or "use an IANA name such as Europe/Berlin",
            )
            return "UTC"
        return str(name)

    def window(self, raw: Any, path: tuple[Any, ...], zone: str) -> WindowSpec | None:
        if raw is None or self.bad(path):
            return None
        if raw == "all":
            return WindowSpec("all")
        if "last" in raw:
            try:
                last = parse_duration(raw["last"])
            except ValueError as exc:
                self.value_error(path + ("last",), exc)
                return None
            if last < timedelta(seconds=1):  # timedelta keeps microseconds: 0.0000001s is an empty window
                self.add(
                    path + ("last",), f"{raw['last']!r} is out of range: a window runs from 1s to 100 years (36525d)"
                )
                return None
            return WindowSpec("last", last=last)
        if "calendar" in raw:
            return WindowSpec("calendar", calendar=raw["calendar"])
        try:
            start, end = (parse_timestamp(x, zone) for x in raw["between"])
        except ValueError as exc:
            self.add(path + ("between",), f"not a valid date: {exc}")
            return None
        if start >= end:
            self.add(
                path + ("between",), "the window's start must be before its end", "write [from, to] with from < to"
            )
            return None
        return WindowSpec("between", between=(start, end))

    def value_error(self, path: tuple[Any, ...], exc: ValueError) -> None:
        """A literal's ``ValueError`` as a problem; the refused unit ``m`` brings its hint."""
        if isinstance(exc, UnitError):
            self.add(path, exc.message, exc.hint)
        else:
            self.add(path, str(exc))

    def expression(self, text: str | None, path: tuple[Any, ...]) -> None:
        if not isinstance(text, str) or self.bad(path):
            return
        try:
            check_syntax(text)
        except ExpressionError as exc:
            self.add(path, exc.message, exc.hint)

    def params(self, schema: dict[str, Any], params: dict[str, Any], path: tuple[Any, ...]) -> None:
        if not self.bad(path):
            found = validate(params, schema, self.doc, path, remember=self.remember)
            self.problems.extend(found)
            if found:
                # Later checks (derived inputs, units) read these params: they must not trip over them.
                self.reported.add(dotted(path))

    def source(self, sid: str, raw: Any) -> SourceSpec | None:
        path = ("sources", sid)
        if not isinstance(raw, dict) or not isinstance(raw.get("connector"), str):
            return None
        name = raw["connector"]
        params = {k: v for k, v in raw.items() if k not in SOURCE_CORE_KEYS}
        if name not in self.registry.connectors:
            known = sorted(self.registry.connectors)
            self.add(
                path + ("connector",),
                f"unknown connector {name!r}",
                suggest(name, known) or f"installed connectors: {', '.join(known)}",
            )
        else:
            self.params(self.registry.connector(name).params_schema, params, path)
        self.expression(raw.get("where"), path + ("where",))
        preset_name, preset_columns, time = raw.get("preset"), {}, raw.get("time")
        if isinstance(preset_name, str):
            if preset_name not in self.registry.presets:
                known = sorted(self.registry.presets)
                self.add(
                    path + ("preset",),
                    f"unknown preset {preset_name!r}",
                    suggest(preset_name, known) or f"installed presets: {', '.join(known)}",
                )
            else:
                preset = self.registry.presets[preset_name].obj
                preset_columns = dict(preset.columns)
                time = time or preset.time
        return SourceSpec(
            id=sid,
            connector=name,
            params=params,
            preset=preset_name if isinstance(preset_name, str) else None,
            preset_columns=preset_columns,
            time=time,
            # Naive timestamps: the source's zone, else the scorecard's (engine/windows.py has the rule).
            timezone=self.zone(raw.get("timezone"), path + ("timezone",), self.scorecard_zone),
            derive=self.derive(raw.get("derive"), path + ("derive",)),
            columns=dict(raw["columns"]) if isinstance(raw.get("columns"), dict) else {},
            where=raw.get("where"),
            min_rows=(
                raw["min_rows"]
                if isinstance(raw.get("min_rows"), int) and not isinstance(raw.get("min_rows"), bool)
                else None
            ),
            base_dir=self.source_dirs.get(sid),
        )

    def derive(self, raw: Any, path: tuple[Any, ...]) -> dict[str, str]:
        """A source's derived columns in dependency order; a cycle is a problem at the column that starts it."""
        if not isinstance(raw, dict) or self.bad(path):
            return {}
        derive = {str(k): v for k, v in raw.items() if isinstance(v, str)}
        if len(derive) > MAX_DERIVED:
            self.add(
                path,
                f"a source derives at most {MAX_DERIVED} columns; this one has {len(derive)}",
                "derive the columns metrics use; a long chain is better split into roles or a view in the database",
            )
            return {}
        try:
            levels = derive_levels(derive)
        except DeriveProblem as exc:
            self.add(path + (exc.column,), exc.message, exc.hint)
            return {}
        return {column: derive[column] for level in levels for column in level}

    def business_hours(
        self, params: dict[str, Any], path: tuple[Any, ...], schedules: Mapping[str, Any]
    ) -> dict[str, Any]:
        """Replace a schedule name in ``params['business_hours']`` by the schedule, checking it parses."""
        value = params.get("business_hours")
        if value is None or self.bad(path + ("business_hours",)):
            return params
        if isinstance(value, str):
            if value not in schedules:
                known = sorted(schedules)
                self.add(
                    path + ("business_hours",),
                    f"unknown schedule {value!r}",
                    suggest(value, known)
                    or (
                        f"defined schedules: {', '.join(known)}"
                        if known
                        else "define it under a top-level `business_hours:`"
                    ),
                )
                return params
            value = schedules[value]
        try:
            parse_schedule(value)
        except ValueError as exc:
            self.add(path + ("business_hours",), str(exc))
            return params
        if "timezone" in value:
            self.zone(value["timezone"], path + ("business_hours", "timezone"))
        return {**params, "business_hours": value}

    def comparison(self, text: Any, path: tuple[Any, ...], unit: str) -> Comparison | None:
        try:
            comparison = parse_comparison(text)
            comparison.check_unit(unit)
        except ValueError as exc:
            self.value_error(path, exc)
            return None
        if comparison.empty():
            low, high = comparison.bounds[1].text, comparison.bounds[0].text
            self.add(
                path,
                f"{text!r} is an empty range: no value is at least {high} and at most {low}",
                f"write the smaller bound first: between {low} and {high}",
            )
            return None
        if unit == "%" and all(b.kind == "number" and 0 < abs(b.value) < 1 for b in comparison.bounds):
            percent = comparison.bounds[0].value * 100
            self.add(
                path,
                f"{text!r} on a percentage metric means {comparison.bounds[0].value}%",
                f"write {percent:g}% if that is what you mean",
            )
            return None
        return comparison

    def level(self, raw: Any, path: tuple[Any, ...], unit: str) -> Level | None:
        """A target or warn level: a comparison, or {value:, change:}."""
        if self.bad(path):
            return None
        if not isinstance(raw, dict):
            comparison = self.comparison(raw, path, unit)
            return Level(value=comparison) if comparison else None
        value = self.comparison(raw["value"], path + ("value",), unit) if "value" in raw else None
        change = None
        if "change" in raw:
            try:
                change = parse_change(raw["change"])
                if not change.relative and change.amount.kind == "duration":
                    change.amount.in_unit(unit)
            except ValueError as exc:
                self.value_error(path + ("change",), exc)
        noise = raw.get("noise", {}).get("last") if isinstance(raw.get("noise"), dict) else None
        if noise and not change:
            self.add(path + ("noise",), "`noise` guards a change target", "add `change:` beside it")
        return Level(value=value, change=change, noise_runs=noise) if value or change else None

    def dead_warn(
        self, target: Level | None, warn: Level | None, path: tuple[Any, ...], unit: str, segment: str | None = None
    ) -> None:
        """Refuse a warn level that can never fire: every value passing ``target`` passes it too.

        A warn level fires when any of its parts (value, change) is missed while the
        target holds; a part can fire unless the target's part of the same kind implies it.
        ``segment`` names a per-segment target checked against the metric's warn.
        """
        if target is None or warn is None:
            return
        dead: list[tuple[str, str, str]] = []
        if warn.value is not None:
            why = never_fires(target.value, warn.value, unit) if target.value is not None else None
            if why is None:
                return
            dead.append(("value", why, stricter_hint(target.value, warn.value, unit)))  # type: ignore[arg-type]
        if warn.change is not None:
            same_noise = target.noise_runs == warn.noise_runs
            why = (
                change_never_fires(target.change, warn.change, unit)
                if target.change is not None and same_noise
                else None
            )
            if why is None:
                return
            dead.append(("change", why, "a warn level must be stricter than the target: a smaller change"))
        if not dead:
            return
        key, why, hint = dead[0]
        if segment is not None:
            why = f"for segment {segment}, {why.replace('the target', 'its target')}"
            hint = "loosen this segment's target, or make the metric's `warn` stricter"
        self.add(
            path + ((key,) if len(dead) == 1 and isinstance(self.doc_value(path), dict) else ()),
            "; ".join([why, *(d[1] for d in dead[1:])]),
            hint,
        )

    def doc_value(self, path: tuple[Any, ...]) -> Any:
        """The raw value at ``path`` in the document (``None`` when absent)."""
        node: Any = self.doc.data
        for part in path:
            node = node.get(part) if isinstance(node, dict) else None
        return node

    def segment_targets(
        self, raw: Any, by: tuple[str, ...], path: tuple[Any, ...], unit: str, warn: Level | None = None
    ) -> dict[tuple[tuple[str, str], ...], Level]:
        """``{"channel=phone": "<= 30s"}`` → {(("channel", "phone"),): Level}; keys must name `by` keys."""
        if not isinstance(raw, dict) or self.bad(path):
            return {}
        if not by:
            self.add(path, "per-segment targets need segments", "add `by: [<key>]` to the metric")
            return {}
        result = {}
        for key, level_raw in raw.items():
            pairs: list[tuple[str, str]] = []
            for part in str(key).split(","):
                name, eq, value = part.partition("=")
                if not eq or name.strip() not in by:
                    self.add(
                        path + (key,),
                        f"segment {key!r} must be written key=value with a key of `by` ({', '.join(by)})",
                        suggest(name.strip(), list(by)),
                        key=True,
                    )
                    pairs = []
                    break
                pairs.append((name.strip(), value.strip()))
            level = self.level(level_raw, path + (key,), unit)
            if pairs and level:
                self.dead_warn(level, warn, path + (key,), unit, segment=str(key))
                result[tuple(sorted(pairs))] = level
        return result

    def default_title(self, mid: str, calc: str, calc_title: str) -> str:
        """The calculator's title when one metric uses it; otherwise one from the metric id."""
        humanized = title_from_id(mid, getattr(self.registry, "abbreviations", {}))
        if calc_title and self.calc_uses.get(calc, 0) == 1:
            return calc_title
        return f"{calc_title}: {humanized}" if calc_title else humanized

    def metric(self, mid: str, raw: Any, sources: Mapping[str, SourceSpec], zone: str) -> MetricSpec | None:
        path = ("metrics", mid)
        if not isinstance(raw, dict) or not isinstance(raw.get("calc"), str):
            return None
        name = raw["calc"]
        params = raw.get("params", {}) if isinstance(raw.get("params", {}), dict) else {}
        calc = self.registry.calculators.get(name)
        if calc is None:
            known = sorted(self.registry.calculators)
            hint = suggest(name, known) or "run `kpiframe plugins` to list them"
            filtered = getattr(self.registry, "filtered", [])
            if filtered:
                hint = (
                    f"KPIFRAME_PLUGINS leaves out the installed plugin{'s' if len(filtered) > 1 else ''} "
                    f"{', '.join(filtered)}; add the one that provides it to KPIFRAME_PLUGINS"
                )
            self.add(path + ("calc",), f"unknown calculator {name!r}", hint)
            return None
        calculator = calc.obj
        self.params(calculator.params_schema, params, path + ("params",))
        params = self.business_hours(params, path + ("params",), self.schedules)
        derived = isinstance(calculator, DerivedCalculator)
        raw = {key: value for key, value in raw.items() if value is not None or key not in OPT_OUTS}
        if derived:
            raw = self.unapply_default(raw, path, "source")  # a default source is for the metrics that read one
        source = raw.get("source")
        if derived:
            if source is not None:
                self.add(
                    path + ("source",),
                    f"{name} metrics are computed from other metrics and take no source",
                    "remove `source:`",
                )
        elif source is None:
            self.add(
                path,
                "missing required key 'source'",
                f"name one of the sources: {', '.join(sources) or '(none defined)'}",
            )
        elif not isinstance(source, str):
            self.add(
                path + ("source",),
                f"expected the name of a source, got {source!r}",
                f"defined sources: {', '.join(map(str, sources)) or '(none)'}",
            )
        elif source not in sources:
            self.add(
                path + ("source",),
                f"unknown source {source!r}",
                suggest(source, list(sources)) or f"defined sources: {', '.join(sources)}",
            )
        self.expression(raw.get("where"), path + ("where",))
        try:
            unit = calculator.unit_for(params)
        except Exception:  # params already reported invalid above
            unit = calculator.unit
        if "warn" in raw and not unit_fits(raw["warn"], unit):
            raw = self.unapply_default(raw, path, "warn")  # a default warn is for the metrics whose unit it fits
        levels = {key: self.level(raw[key], path + (key,), unit) for key in ("target", "warn") if key in raw}
        by = tuple(raw["by"]) if isinstance(raw.get("by"), list) else ()
        self.dead_warn(levels.get("target"), levels.get("warn"), path + ("warn",), unit)
        segment_targets = self.segment_targets(raw.get("targets"), by, path + ("targets",), unit, levels.get("warn"))
        if raw.get("top") and raw.get("worst"):
            self.add(path + ("worst",), "give either `top` or `worst`, not both")
        if "grain" in raw and calculator.windowing == "none":
            self.add(path + ("grain",), f"{name} is a snapshot of the window, so it has no series over it")
        return MetricSpec(
            id=mid,
            calc=name,
            source=source,
            title=raw.get("title") or self.default_title(mid, name, calculator.title),
            params=params,
            unit=unit,
            direction=raw.get("direction", calculator.direction),
            where=raw.get("where"),
            window=self.window(raw.get("window"), path + ("window",), zone),
            target=levels.get("target"),
            warn=levels.get("warn"),
            min_sample=raw.get("min_sample") if isinstance(raw.get("min_sample"), int) else None,
            confidence=raw.get("confidence", "point") if raw.get("confidence") in ("point", "significant") else "point",
            description=raw.get("description"),
            tags=tuple(raw.get("tags", ())) if isinstance(raw.get("tags", ()), list) else (),
            by=by,
            segment_levels={key: (level, None) for key, level in segment_targets.items()},
            top=raw.get("top") if isinstance(raw.get("top"), int) else None,
            worst=raw.get("worst") if isinstance(raw.get("worst"), int) else None,
            grain=raw.get("grain") if isinstance(raw.get("grain"), str) else None,
            compare=raw.get("compare") if isinstance(raw.get("compare"), str) else None,
            per=tuple(raw["per"]) if isinstance(raw.get("per"), list) else (),
            per_stat=raw.get("per_stat", "mean") if isinstance(raw.get("per_stat"), str) else "mean",
            heatmap=raw.get("heatmap") is True,
            max_segments=raw["max_segments"] if isinstance(raw.get("max_segments"), int) else DEFAULT_MAX_SEGMENTS,
            baseline=raw.get("baseline", self.default_baseline),
        )

    def unapply_default(self, raw: dict[str, Any], path: tuple[Any, ...], key: str) -> dict[str, Any]:
        """``raw`` without ``key`` when ``defaults:`` gave it: the merged document (what ``validate --print``
        shows) drops it too. A key the metric sets itself is kept, to be checked as written."""
        if path + (key,) not in self.doc.inherited:
            return raw
        self.doc.inherited = self.doc.inherited - {path + (key,)}
        merged = self.doc.data.get("metrics", {}).get(path[-1]) if isinstance(self.doc.data, dict) else None
        if isinstance(merged, dict):
            merged.pop(key, None)
        return {k: v for k, v in raw.items() if k != key}

    def derived_graph(self, metrics: Mapping[str, MetricSpec]) -> None:
        """Derived metrics must name existing metrics and form no cycle."""
        edges: dict[str, set[str]] = {}
        for mid, spec in metrics.items():
            calculator = self.registry.calculator(spec.calc)
            if isinstance(calculator, DerivedCalculator) and not self.bad(("metrics", mid, "params")):
                try:
                    deps = calculator.inputs(spec.params)
                except ExpressionError as exc:
                    at = ("metrics", mid, "params", "expr") if "expr" in spec.params else ("metrics", mid, "params")
                    self.add(at, exc.message, exc.hint)
                    continue
                for dep in sorted(deps - set(metrics)):
                    self.add(("metrics", mid, "params", "expr"), f"unknown metric {dep!r}", suggest(dep, list(metrics)))
                edges[mid] = deps & set(metrics)
        state: dict[str, int] = {}

        def visit(node: str, trail: list[str]) -> None:
            if state.get(node) == 2:
                return
            if state.get(node) == 1:
                cycle = trail[trail.index(node) :] + [node]
                self.add(
                    ("metrics", node, "params", "expr"),
                    f"derived metrics form a cycle: {' -> '.join(cycle)}",
                    "break the cycle",
                )
                return
            state[node] = 1
            for dep in sorted(edges.get(node, ())):
                visit(dep, trail + [node])
            state[node] = 2

        for node in sorted(edges):
            visit(node, [])


def load_config(
    path: str | os.PathLike[str],
    registry: Any = None,
    *,
    environ: Mapping[str, str] | None = None,
    config_plugins: bool = True,
) -> Config:
    """Load and validate a config file. Raises :class:`ConfigError` with every problem found.

    :param path: the YAML file.
    :param registry: the :class:`kpiframe.plugins.Registry` whose connectors and
        calculators the config is checked against. Without one, a registry is
        built from the installed plugins and the config's ``plugins:``;
        :func:`load_with_registry` returns it too.
    :param environ: where ``${VAR}`` values come from (``os.environ`` by default).
    :param config_plugins: ``False`` makes a ``plugins:`` key an error instead of
        importing what it names (``--no-config-plugins``, for configs you did not write).
    """
    return load_with_registry(path, registry, environ=environ, config_plugins=config_plugins)[0]


def load_with_registry(
    path: str | os.PathLike[str],
    registry: Any = None,
    *,
    environ: Mapping[str, str] | None = None,
    config_plugins: bool = True,
) -> tuple[Config, Any]:
    """:func:`load_config`, and the registry it was checked against (built once, here, when not given)."""
    from kpiframe.plugins import make_plugin_manager

    environ = os.environ if environ is None else environ
    file = Path(path)
    display = str(path)
    try:
        text = read_config_text(file)
    except Unreadable as exc:
        raise ConfigError([ConfigProblem(display, None, None, "", exc.message, exc.hint)]) from None

    doc = parse_yaml(text, display)
    if not isinstance(doc.data, dict):
        raise ConfigError(
            [
                doc.problem(
                    (), "the config must be a mapping with version, sources and metrics", "see docs/getting-started.md"
                )
            ]
        )
    merged = merge(doc, text, file)
    doc = merged.doc
    data, secrets, problems = interpolate(doc, environ)
    problems = merged.read_problems + merged.problems + problems

    plugins = data.get("plugins", ())
    plugins = [p for p in plugins if isinstance(p, str)] if isinstance(plugins, list) else []
    if plugins and not config_plugins:
        refused = doc.problem(
            ("plugins",),
            f"the config names plugins ({', '.join(plugins)}), whose code would run",
            "--no-config-plugins is set: remove `plugins:`, or install the plugin as a package",
        )
        raise _redacted([*problems, *validate(data, core_schema(), doc, remember=not secrets), refused], secrets)
    if registry is None:
        try:
            registry = make_plugin_manager(plugins, base_dir=file.parent, environ=environ)
        except PluginError as exc:
            problems += validate(data, core_schema(), doc, remember=not secrets)
            raise _redacted(problems + [doc.problem(("plugins",), str(exc))], secrets) from None
    # Plugins' sections (`notify:`) are known once the plugins are: the schema includes them.
    problems += validate(data, with_sections(core_schema(), registry), doc, remember=not secrets)

    # Check what the schema could not (plugins' params, names, targets, expressions) even
    # when it found problems, so that one run reports every mistake at once.
    # A duplicate key leaves its first definition in place: that one is still checked.
    check = _Checker(doc, registry, {p.path for p in problems if p not in merged.read_problems})
    check.remember = not secrets
    check.source_dirs = merged.source_dirs
    check.schedules = data.get("business_hours") if isinstance(data.get("business_hours"), dict) else {}
    check.default_baseline = data.get("baseline", "previous")
    for name, schedule in check.schedules.items():
        if isinstance(schedule, dict) and not check.bad(("business_hours", name)):
            try:
                parse_schedule(schedule)
            except ValueError as exc:
                check.add(("business_hours", name, "hours"), str(exc))
    raw_sources = data.get("sources") if isinstance(data.get("sources"), dict) else {}
    top_zone = data.get("timezone") if isinstance(data.get("timezone"), str) else None
    if top_zone is not None:
        zone = check.zone(top_zone, ("timezone",))
    elif data.get("timezone") is None:  # windows follow the sources' zone when they name one (engine/windows.py)
        zone = reporting_zone(None, [raw.get("timezone") for raw in raw_sources.values() if isinstance(raw, dict)])
    else:
        zone = "UTC"  # not text: the schema reported it
    check.scorecard_zone = zone
    raw_metrics = data.get("metrics") if isinstance(data.get("metrics"), dict) else {}
    sources = {sid: s for sid, raw in raw_sources.items() if (s := check.guarded(check.source, sid, raw))}
    for raw in raw_metrics.values():
        if isinstance(raw, dict) and isinstance(raw.get("calc"), str):
            check.calc_uses[raw["calc"]] = check.calc_uses.get(raw["calc"], 0) + 1
    metrics = {
        mid: m for mid, raw in raw_metrics.items() if (m := check.guarded(check.metric, mid, raw, raw_sources, zone))
    }
    check.guarded(check.derived_graph, metrics)
    check.guarded(derived_slices, metrics, registry, check.add)
    window = check.window(data.get("window"), ("window",), zone) or WindowSpec("all")
    as_of = None
    if isinstance(data.get("as_of"), str) and not check.bad(("as_of",)):
        try:
            as_of = parse_timestamp(data["as_of"], zone)
        except ValueError as exc:
            check.add(("as_of",), f"not a valid timestamp: {exc}")
    problems += check.problems
    if problems:
        raise _redacted(_in_order(problems, display, doc.inherited), secrets)

    config = Config(
        path=file,
        title=data.get("title") or file.stem,
        sources=sources,
        metrics=metrics,
        window=window,
        timezone=zone,
        as_of=as_of.astimezone(UTC) if as_of else None,
        hash=_config_hash(merged.texts),
        secrets=frozenset(secrets),
        baseline=data.get("baseline", "previous"),
        document=doc,
        plugins=tuple(plugins),
        engine=dict(data["engine"]) if isinstance(data.get("engine"), dict) else {},
        included=tuple(merged.included),
        sections={name: data[name] for name in getattr(registry, "sections", {}) if name in data},
    )
    return config, registry


def _config_hash(texts: list[str]) -> str:
    """The config's fingerprint in the history: its text, and its included files' (unchanged without includes)."""
    digest = hashlib.sha256(texts[0].encode())
    for text in texts[1:]:
        digest.update(b"\0" + text.encode())
    return digest.hexdigest()[:16]


_INHERITED = re.compile(r"^metrics\.(?P<metric>\w+)\.(?P<key>source|window|min_sample|warn)(?P<rest>\b.*)$")


def _in_order(problems: list[ConfigProblem], main: str, inherited: frozenset[Any]) -> list[ConfigProblem]:
    """The main config's problems first, then each included file's, by line; each once.

    A wrong value in ``defaults:`` is wrong for every metric that inherits it: it is
    reported once, at its place, under ``defaults.KEY``, naming the metrics that inherit it.
    """
    unique: dict[tuple[Any, ...], tuple[ConfigProblem, list[str]]] = {}
    for p in sorted(problems, key=lambda p: (p.file != main, p.file, p.line or 0, p.column or 0)):
        match = _INHERITED.match(p.path)
        if match and ("metrics", match["metric"], match["key"]) in inherited:
            defaults_path = f"defaults.{match['key']}{match['rest']}"
            first, metrics = unique.setdefault(
                (p.file, p.line, p.column, p.message), (replace(p, path=defaults_path), [])
            )
            metrics.append(match["metric"])
        else:
            unique.setdefault((p.file, p.line, p.column, p.message), (p, []))
    return [
        replace(p, hint="; ".join([*([p.hint] if p.hint else []), f"inherited by {', '.join(metrics)}"]))
        if metrics
        else p
        for p, metrics in unique.values()
    ]


def _redacted(problems: list[ConfigProblem], secrets: set[str]) -> ConfigError:
    redact = Redactor(secrets)
    return ConfigError(
        [
            ConfigProblem(p.file, p.line, p.column, p.path, redact(p.message), p.hint and redact(p.hint))
            for p in problems
        ]
    )
