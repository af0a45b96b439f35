"""Builds the pluggy plugin manager and the index of what each plugin registered.

Load order (as tox does it): the built-in plugin modules, then every installed
entry point of group ``kpiframe`` (restricted by ``KPIFRAME_PLUGINS``), then the
modules or files a config names under ``plugins:``. Every connector, calculator
and reporter keeps the package and version it came from, so clashes and
``kpiframe plugins`` can name them.
"""

from __future__ import annotations

import importlib
import importlib.util
import os
import sys
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from types import ModuleType
from typing import Any

import pluggy

import kpiframe.hookspecs as hookspecs
from kpiframe.contracts import PLUGIN_API_VERSION, Calculator, Connector, Preset, Reporter
from kpiframe.entry_points import installed_entry_points
from kpiframe.errors import PluginError

ENTRY_POINT_GROUP = "kpiframe"

#: The built-in plugins, registered like any other.
BUILTIN_PLUGINS = (
    "kpiframe.connectors.files",
    "kpiframe.connectors.databases",
    "kpiframe.connectors.sql",
    "kpiframe.connectors.http_json",
    "kpiframe.connectors.spark",
    "kpiframe.calculators.basic",
    "kpiframe.calculators.quantiles",
    "kpiframe.calculators.conditional",
    "kpiframe.calculators.duration",
    "kpiframe.calculators.derived",
    "kpiframe.packs.support",
    "kpiframe.reporters.table",
    "kpiframe.reporters.json",
    "kpiframe.reporters.junit",
    "kpiframe.reporters.markdown",
    "kpiframe.reporters.csv",
    "kpiframe.reporters.html",
)

hookimpl = pluggy.HookimplMarker("kpiframe")


@dataclass(frozen=True)
class Origin:
    """Where a plugin came from: a package and version, or a file a config named."""

    plugin: str
    package: str
    version: str

    def __str__(self) -> str:
        return f"{self.package} {self.version}" if self.version else self.package


@dataclass(frozen=True)
class Registration:
    kind: str  # connector | calculator | reporter
    name: str
    obj: Any
    origin: Origin


@dataclass
class Registry:
    """What the loaded plugins provide, by kind and name, with origins."""

    plugin_manager: pluggy.PluginManager
    origins: dict[str, Origin] = field(default_factory=dict)
    connectors: dict[str, Registration] = field(default_factory=dict)
    calculators: dict[str, Registration] = field(default_factory=dict)
    reporters: dict[str, Registration] = field(default_factory=dict)
    presets: dict[str, Registration] = field(default_factory=dict)
    #: abbreviation (lower case) → calculator name, from ``kpiframe_register_abbreviations``.
    abbreviations: dict[str, str] = field(default_factory=dict)
    #: Top-level config sections (``notify:``) → their registration, whose ``obj`` is the JSON Schema.
    sections: dict[str, Registration] = field(default_factory=dict)
    #: Installed entry-point plugins that KPIFRAME_PLUGINS left out: "name (package version)".
    filtered: list[str] = field(default_factory=list)

    def connector(self, name: str) -> Connector:
        return self.connectors[name].obj

    def calculator(self, name: str) -> Calculator:
        return self.calculators[name].obj

    def reporter(self, name: str) -> Reporter:
        return self.reporters[name].obj

    def versions(self) -> dict[str, str]:
        """Package → version of every loaded plugin (for the scorecard's metadata)."""
        return {o.package: o.version for o in self.origins.values()}


def _kpiframe_version() -> str:
    from kpiframe import __version__

    return __version__


def _check_api_version(module: Any, who: str) -> None:
    declared = getattr(module, "KPIFRAME_PLUGIN_API", None)
    major = str(declared).split(".")[0].strip()
    if declared is not None and (not major.isdigit() or int(major) != PLUGIN_API_VERSION):
        raise PluginError(
            f"plugin {who} was written for kpiframe plugin API {declared}, "
            f"but this kpiframe provides API {PLUGIN_API_VERSION}; upgrade the plugin or kpiframe"
        )


def _allowed_entry_points(environ: Mapping[str, str]) -> set[str] | None:
    """``KPIFRAME_PLUGINS``: unset → all; ``builtin`` → none; ``a,b`` → those names."""
    raw = environ.get("KPIFRAME_PLUGINS")
    if raw is None:
        return None
    names = {part.strip() for part in raw.replace(" ", ",").split(",") if part.strip()}
    names.discard("builtin")
    return names


def _load_file(path: Path) -> ModuleType:
    module_name = f"kpiframe_config_plugin_{abs(hash(str(path)))}"
    spec = importlib.util.spec_from_file_location(module_name, path)
    if spec is None or spec.loader is None:
        raise PluginError(f"cannot load plugin file {path}")
    module = importlib.util.module_from_spec(spec)
    sys.modules[module_name] = module
    spec.loader.exec_module(module)
    return module


def make_plugin_manager(
    config_plugins: Iterable[str] = (),
    *,
    base_dir: Path | None = None,
    environ: Mapping[str, str] | None = None,
    extra: Iterable[Any] = (),
) -> Registry:
    """Build a fresh plugin manager and index its registrations.

    :param config_plugins: module names or ``.py`` paths from a config's ``plugins:`` key.
    :param base_dir: the folder relative paths in ``config_plugins`` resolve against.
    :param environ: the environment (``KPIFRAME_PLUGINS``); ``os.environ`` by default.
    :param extra: plugin objects to register directly (tests, embedding applications).
    """
    environ = os.environ if environ is None else environ
    pm = pluggy.PluginManager("kpiframe")
    pm.add_hookspecs(hookspecs)
    registry = Registry(pm)
    version = _kpiframe_version()

    def register(plugin: Any, name: str, origin: Origin) -> None:
        _check_api_version(plugin, str(origin))
        # A config may name (under `plugins:`) a module that is installed too: it loads once.
        if pm.has_plugin(name) or pm.is_registered(plugin):
            return
        try:
            pm.register(plugin, name=name)
        except ValueError as exc:
            raise PluginError(f"plugin {origin} could not be registered: {exc}") from None
        except pluggy.PluginValidationError as exc:  # a hook written for another kpiframe's hookspecs
            detail = " ".join(str(exc).split("\n")[1:]).strip() or str(exc)
            raise PluginError(
                f"plugin {origin} does not fit this kpiframe's hooks: {detail} (upgrade the plugin or "
                "kpiframe so they agree, or leave the plugin out with KPIFRAME_PLUGINS)"
            ) from None
        registry.origins[name] = origin

    for module_name in BUILTIN_PLUGINS:
        register(importlib.import_module(module_name), module_name, Origin(module_name, "kpiframe", version))

    allowed = _allowed_entry_points(environ)
    for ep in installed_entry_points(ENTRY_POINT_GROUP):
        label = f"{ep.package} {ep.version}" if ep.package is not None else None
        if allowed is not None and ep.name not in allowed:
            registry.filtered.append(f"{ep.name} ({label})" if label else ep.name)
            continue
        origin = Origin(ep.name, ep.package or ep.value, ep.version or "")
        try:
            plugin = ep.load()
        except Exception as exc:  # a broken third-party package must not look like our bug
            raise PluginError(
                f"plugin {ep.name!r} from {origin} failed to import: {type(exc).__name__}: {exc}"
            ) from None
        register(plugin, f"entrypoint:{ep.name}", origin)

    for spec in config_plugins:
        looks_like_path = spec.endswith(".py") or "/" in spec or os.sep in spec
        try:
            if looks_like_path:
                path = Path(spec)
                if not path.is_absolute() and base_dir is not None:
                    path = base_dir / path
                if not path.is_file():
                    raise PluginError(f"plugin file {spec} not found (looked at {path})")
                module = _load_file(path.resolve())
                origin = Origin(spec, spec, "")
            else:
                module = importlib.import_module(spec)
                origin = Origin(spec, spec, "")
        except PluginError:
            raise
        except Exception as exc:
            raise PluginError(
                f"plugin {spec!r} named in the config failed to import: {type(exc).__name__}: {exc}"
            ) from None
        register(module, f"config:{spec}", origin)

    for i, plugin in enumerate(extra):
        register(
            plugin,
            f"extra:{i}:{getattr(plugin, '__name__', type(plugin).__name__)}",
            Origin(f"extra:{i}", getattr(plugin, "__name__", "extra"), ""),
        )

    try:
        pm.check_pending()
    except pluggy.PluginValidationError as exc:
        raise PluginError(f"a plugin implements a hook kpiframe does not have: {exc}") from None

    _index(registry)
    return registry


_KINDS = (
    ("connector", "kpiframe_register_connectors", Connector, "connectors"),
    ("calculator", "kpiframe_register_calculators", Calculator, "calculators"),
    ("reporter", "kpiframe_register_reporters", Reporter, "reporters"),
    ("preset", "kpiframe_register_presets", Preset, "presets"),
)


def _index(registry: Registry) -> None:
    pm = registry.plugin_manager
    _index_sections(registry)
    for impl in pm.hook.kpiframe_register_abbreviations.get_hookimpls():  # registration order: first wins
        try:
            provided = impl.function() or {}
        except Exception as exc:
            raise PluginError(
                f"kpiframe_register_abbreviations of plugin {impl.plugin_name} raised {type(exc).__name__}: {exc}"
            ) from None
        for short, name in dict(provided).items():  # type: ignore[call-overload]
            registry.abbreviations.setdefault(str(short).lower(), str(name))
    for kind, hook_name, base, attr in _KINDS:
        table: dict[str, Registration] = getattr(registry, attr)
        # Call each implementation on its own (HookImpl is public pluggy API) so
        # every registration keeps the plugin that made it.
        for impl in getattr(pm.hook, hook_name).get_hookimpls():  # in registration order
            origin = registry.origins.get(impl.plugin_name, Origin(impl.plugin_name, impl.plugin_name, ""))
            try:
                provided = impl.function() or []
            except Exception as exc:
                raise PluginError(f"{hook_name} of plugin {origin} raised {type(exc).__name__}: {exc}") from None
            for obj in provided:
                if not isinstance(obj, base):
                    raise PluginError(
                        f"plugin {origin} returned {obj!r} from {hook_name}; expected a kpiframe.{base.__name__}"
                        " instance"
                    )
                name = getattr(obj, "name", None)
                if not isinstance(name, str) or not name:
                    raise PluginError(f"plugin {origin} registered a {kind} without a name")
                if name in table:
                    first = table[name].origin
                    raise PluginError(
                        f"two plugins register the {kind} {name!r}: {first} and {origin}; "
                        "uninstall one, or restrict which load with KPIFRAME_PLUGINS"
                    )
                table[name] = Registration(kind, name, obj, origin)


def _surely_a_schema(schema: Any) -> bool:
    """A quick "this is a JSON Schema" from jsonschema-rs (remembered, as a config's yes is:
    :mod:`kpiframe.config.valid_before`), so that loading a plugin's config section imports
    neither jsonschema nor, on a repeat run, jsonschema-rs; jsonschema says why one is not."""
    from kpiframe.config import valid_before

    if valid_before.known(_META_SCHEMA, schema):
        return True
    try:
        import jsonschema_rs

        valid = bool(jsonschema_rs.meta.is_valid(schema))
    except Exception:  # not installed, or a schema it cannot read: ask jsonschema
        return False
    if valid:
        valid_before.remember(_META_SCHEMA, schema)
    return valid


#: What a section's schema is checked against, as valid_before names it.
_META_SCHEMA = "jsonschema-rs meta.is_valid: Draft 2020-12"


def _index_sections(registry: Registry) -> None:
    """Each plugin's top-level config sections, checked: a free name, a valid JSON Schema, no clash."""
    from kpiframe.config.schema import core_schema

    reserved = set(core_schema()["properties"])
    for impl in registry.plugin_manager.hook.kpiframe_register_config_sections.get_hookimpls():
        origin = registry.origins.get(impl.plugin_name, Origin(impl.plugin_name, impl.plugin_name, ""))
        try:
            provided: dict[Any, Any] = dict(impl.function() or {})  # type: ignore[call-overload]
        except Exception as exc:
            raise PluginError(
                f"kpiframe_register_config_sections of plugin {origin} raised {type(exc).__name__}: {exc}"
            ) from None
        for name, schema in provided.items():
            if not isinstance(name, str) or not name.isidentifier() or name != name.lower() or name in reserved:
                raise PluginError(
                    f"plugin {origin} registers the config section {name!r}: expected a lower-case identifier"
                    f" that is not one of kpiframe's own keys ({', '.join(sorted(reserved))})"
                )
            if not _surely_a_schema(schema):
                import jsonschema  # for the reason a section's schema is not one

                try:
                    jsonschema.Draft202012Validator.check_schema(schema)
                except jsonschema.SchemaError as exc:
                    raise PluginError(
                        f"plugin {origin}: the schema of config section {name!r} is invalid: {exc.message}"
                    ) from None
            if name in registry.sections:
                raise PluginError(
                    f"two plugins register the config section {name!r}: {registry.sections[name].origin} and"
                    f" {origin}; uninstall one, or restrict which load with KPIFRAME_PLUGINS"
                )
            registry.sections[name] = Registration("section", name, schema, origin)
