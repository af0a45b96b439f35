"""The ``kpiframe`` command: a thin shell over :mod:`kpiframe.api`.

It parses arguments, calls the API, prints, and sets the exit code. Errors a
person can fix are printed as messages (exit 2 for config and usage errors);
a traceback appears only with ``--debug``. Heavy modules load inside commands,
so ``kpiframe --help`` starts instantly.

The module has no ``from __future__ import annotations``: typer reads every
command's signature twice when it builds the command line, and evaluating
string annotations (``eval`` and ``compile`` of each) cost some 60 M
instructions of every start-up; real annotations are built once, at import.
"""

import json
import os
import sys
from datetime import UTC, datetime
from enum import StrEnum
from pathlib import Path
from typing import Annotated, Any

import typer

from kpiframe.cli_boundary import GuardedGroup, install_signal_handlers, reader_gone, state
from kpiframe.errors import ConfigError
from kpiframe.exit_codes import ExitCode
from kpiframe.formatting import printable
from kpiframe.outputs import FORMAT_ALIASES

app = typer.Typer(
    name="kpiframe",
    help=(
        "Turn a YAML file into a KPI scorecard. Exit codes: 0 ok, 1 a target failed, 2 config or usage error, 3 a"
        " source or calculator error, 4 kpiframe crashed."
    ),
    cls=GuardedGroup,
    no_args_is_help=True,
    add_completion=True,
    pretty_exceptions_enable=False,
    context_settings={"help_option_names": ["-h", "--help"]},
)


def first_sentence(text: str) -> str:
    """The first sentence of a description (up to ". "), without its full stop."""
    return text.split(". ")[0].strip().rstrip(".")


def _use_color(choice: bool | None) -> bool:
    if choice is not None:
        return choice
    if os.environ.get("NO_COLOR"):
        return False
    if os.environ.get("FORCE_COLOR"):
        return True
    return sys.stdout.isatty() and os.environ.get("TERM") != "dumb"


def _parse_as_of(text: str | None, zone: str = "UTC") -> datetime | None:
    """``--as-of``; without an offset it is a wall-clock time in ``zone``, the scorecard's (engine/windows.py)."""
    if text is None:
        return None
    from kpiframe.config.literals import DateRangeError
    from kpiframe.config.load import parse_timestamp

    try:
        return parse_timestamp(text, zone).astimezone(UTC)
    except DateRangeError as exc:
        raise ConfigError(f"--as-of: {exc}") from None
    except ValueError:
        raise ConfigError(f"--as-of: expected a date or timestamp such as 2026-01-31T00:00:00Z, got {text!r}") from None


class HistoryMode(StrEnum):
    """``--history-mode``: how a run of an already recorded window is recorded."""

    REPLACE = "replace"
    APPEND = "append"


class FailOn(StrEnum):
    """``--fail-on``: the lowest status that fails the run (see kpiframe.engine.evaluate.FAIL_ON)."""

    never = "never"
    error = "error"
    fail = "fail"
    no_data = "no_data"
    warn = "warn"


def _version(value: bool) -> None:
    if value:
        from kpiframe import __version__

        typer.echo(f"kpiframe {__version__}")
        raise typer.Exit()


@app.callback()
def main_options(
    debug: Annotated[bool, typer.Option("--debug", help="Show tracebacks for errors (secrets masked).")] = False,
    version: Annotated[
        bool, typer.Option("--version", callback=_version, is_eager=True, help="Print the version and exit.")
    ] = False,
    no_config_plugins: Annotated[
        bool,
        typer.Option(
            "--no-config-plugins",
            envvar="KPIFRAME_NO_CONFIG_PLUGINS",
            help="Refuse a config that names plugins: (their code would run, even under validate).",
        ),
    ] = False,
) -> None:
    state.reset()
    state.debug = debug
    state.config_plugins = not no_config_plugins


@app.command()
def run(
    config: Annotated[Path, typer.Argument(help="The YAML config.")],
    as_of: Annotated[
        str | None,
        typer.Option(
            "--as-of",
            help=(
                "Windows end here (ISO date or timestamp, in the config's time zone unless it has an offset;"
                " default: the config's as_of, else now)."
            ),
        ),
    ] = None,
    format: Annotated[
        str | None,
        typer.Option(
            "--format",
            "-f",
            help="Report format: table (default), json, markdown, junit, csv, html, or any installed reporter.",
        ),
    ] = None,
    output: Annotated[
        list[str] | None,
        typer.Option(
            "--output",
            "-o",
            help=(
                "Write a report to a file: PATH (the format from its extension: .html .json .xml .md .csv .txt, or"
                " --format) or FORMAT=PATH; repeat for several. The table still goes to the terminal."
            ),
        ),
    ] = None,
    fail_on: Annotated[
        FailOn,
        typer.Option(
            "--fail-on", help="Lowest status that fails the run (pass, info < warn < no_data < fail < error), or never."
        ),
    ] = FailOn.fail,
    baseline: Annotated[
        Path | None, typer.Option("--baseline", help="An earlier scorecard JSON that change targets compare with.")
    ] = None,
    history: Annotated[
        str | None,
        typer.Option(
            "--history",
            envvar="KPIFRAME_HISTORY",
            help=(
                "A history store (DuckDB or SQLite file, or PostgreSQL URL): change targets compare with runs of"
                " earlier windows, and this run is recorded."
            ),
        ),
    ] = None,
    history_mode: Annotated[
        HistoryMode,
        typer.Option(
            "--history-mode",
            help=(
                "replace: a run of a window already recorded replaces it (re-runs give the first verdict); append: keep"
                " every run."
            ),
        ),
    ] = None,  # type: ignore[assignment]
    color: Annotated[
        bool | None,
        typer.Option(
            "--color/--no-color", help="Colour the table (default: when the terminal supports it; NO_COLOR honoured)."
        ),
    ] = None,
    quiet: Annotated[
        bool, typer.Option("--quiet", "-q", help="Print nothing to the terminal when writing --output.")
    ] = False,
    select: Annotated[
        list[str] | None,
        typer.Option(
            "--select",
            "-s",
            help=(
                "Run only these metrics (id, glob such as frt_*, or tag:NAME), with the metrics they are computed from;"
                " repeatable."
            ),
        ),
    ] = None,
    exclude: Annotated[
        list[str] | None, typer.Option("--exclude", help="Leave out these metrics (id, glob or tag:NAME); repeatable.")
    ] = None,
    memory_limit: Annotated[
        str | None,
        typer.Option(
            "--memory-limit",
            help="The most memory the embedded DuckDB may use, e.g. 4GB or 50% (overrides engine.memory_limit).",
        ),
    ] = None,
    threads: Annotated[
        int | None, typer.Option("--threads", min=1, max=1024, help="DuckDB worker threads (overrides engine.threads).")
    ] = None,
) -> None:
    """Compute every metric, evaluate its targets and print the scorecard."""
    from kpiframe.api import prepare
    from kpiframe.api import run as run_scorecard
    from kpiframe.atomic import write_atomic
    from kpiframe.engine.evaluate import exit_code
    from kpiframe.outputs import Output, parse_outputs
    from kpiframe.scorecard_file import read_scorecard
    from kpiframe.selection import select_metrics

    fail_on = FailOn(fail_on).value  # type: ignore[assignment]
    moment = _parse_as_of(as_of)

    loaded, context = prepare(
        config, engine={"memory_limit": memory_limit, "threads": threads}, config_plugins=state.config_plugins
    )
    loaded = select_metrics(loaded, context.registry, select or (), exclude or ())
    state.redactor.add(loaded.secrets)
    moment = _parse_as_of(as_of, loaded.timezone)  # checked above; read now in the scorecard's zone
    registry = context.registry
    reporters = registry.reporters
    explicit = FORMAT_ALIASES.get(format, format) if format else None
    if explicit is not None and explicit not in reporters:
        raise ConfigError(f"--format: unknown format {format!r}; installed: {', '.join(sorted(reporters))}")
    outputs = parse_outputs(output or [], reporters, explicit)
    protected = _protected_files(loaded, history)
    for target in outputs:
        protected.check(target, binary_report=bool(getattr(registry.reporter(target.format), "binary", False)))
    summary_file = os.environ.get("GITHUB_STEP_SUMMARY")
    if summary_file:
        protected.check(Output("markdown", Path(summary_file)), "GITHUB_STEP_SUMMARY")
        _check_step_summary(Path(summary_file))
    baseline_data = read_scorecard(baseline) if baseline else None
    mode = HistoryMode(history_mode).value if history_mode else "replace"
    progress = _progress(quiet)
    context.progress = progress
    try:
        scorecard = run_scorecard(
            loaded, as_of=moment, baseline=baseline_data, history=history, context=context, history_mode=mode
        )
    finally:
        progress.close()
    for note in scorecard.run.notes:
        typer.echo(f"warning: {printable(state.redactor(note))}", err=True)
    options = {"color": _use_color(color) and not outputs, "fail_on": fail_on}
    # Render everything before writing anything: a reporter that fails leaves no file half-updated.
    reports = [
        (target, registry.reporter(target.format).render(scorecard, {**options, "color": False})) for target in outputs
    ]
    summary = str(registry.reporter("markdown").render(scorecard, options)) + "\n" if summary_file else None
    for target, report in reports:
        write_atomic(target.path, report, what=f"--output {target.format}")
    if summary is not None:
        write_atomic(Path(summary_file), summary, append=True, what="GITHUB_STEP_SUMMARY")  # type: ignore[arg-type]
    if outputs:
        if not quiet:
            colored = _use_color(color)
            typer.echo(
                registry.reporter("table").render(scorecard, {"color": colored, "fail_on": fail_on}),
                nl=False,
                color=colored,
            )
            for target in outputs:
                typer.echo(f"{target.format} report written to {target.path}")
    else:
        report = registry.reporter(explicit or "table").render(scorecard, options)
        if isinstance(report, bytes):
            sys.stdout.buffer.write(report)
        else:
            # color= keeps the codes the reporter chose; click would strip them off a non-terminal.
            typer.echo(report, nl=False, color=bool(options["color"]))
    raise typer.Exit(int(exit_code(scorecard, fail_on)))


def _progress(quiet: bool) -> Any:
    """A terminal progress display when one is wanted (a terminal, not --quiet, not CI), else a silent one."""
    from kpiframe.progress import TerminalProgress, wanted

    if wanted(quiet):
        return TerminalProgress()

    class Silent:
        def update(self, what: str, done: int, total: int | None = None) -> None:
            pass

        def close(self) -> None:
            pass

    return Silent()


#: GitHub shows at most 1 MiB of a step's summary; a bigger file is not one (and is read whole to append).
MAX_STEP_SUMMARY = 1024 * 1024


def _check_step_summary(path: Path) -> None:
    """GITHUB_STEP_SUMMARY must name a step summary: refuse a big file before reading it whole to append."""
    try:
        size = path.stat().st_size if path.is_file() else 0
    except OSError:
        return  # the write reports it
    if size > MAX_STEP_SUMMARY:
        raise ConfigError(
            f"GITHUB_STEP_SUMMARY {path} holds {size:,} bytes, more than a step summary can (1 MiB); "
            "point it at the step's summary file"
        )


def _protected_files(loaded: Any, history: str | None) -> Any:
    """The config, every file a source reads, and the history store: no --output may replace them."""
    from kpiframe.outputs import ProtectedFiles

    protected = ProtectedFiles()
    protected.add(loaded.path, "the config file")
    for included in loaded.included:
        protected.add(included, "a file the config includes")
    for source in loaded.sources.values():
        path = source.params.get("path")
        if isinstance(path, str) and "://" not in path:
            candidate = Path(path).expanduser()
            protected.add(
                candidate if candidate.is_absolute() else (source.base_dir or loaded.base_dir) / candidate,
                f"a file of source {source.id!r}",
            )
    if history and "://" not in history:
        protected.add(history, "the history store")
    return protected


@app.command()
def report(
    history: Annotated[
        str,
        typer.Option(
            "--history",
            envvar="KPIFRAME_HISTORY",
            help="The history store to read (DuckDB or SQLite file, or PostgreSQL URL); it is never written.",
        ),
    ],
    output: Annotated[
        Path,
        typer.Option("--output", "-o", help="Where to write: .html (the trends page), .json or .md."),
    ],
    title: Annotated[
        str | None, typer.Option("--title", help="The scorecard title (needed when the store holds several).")
    ] = None,
    last: Annotated[int, typer.Option("--last", min=1, max=10000, help="Show the newest N runs.")] = 26,
    recent: Annotated[
        int, typer.Option("--recent", min=1, max=10000, help='"Changed recently" means in the last N runs.')
    ] = 4,
) -> None:
    """Write the trends page: every metric run over run, with its target bands and status changes."""
    from kpiframe.trends.commands import write_report

    trends = write_report(history, title, last, recent, output)
    for warning in trends.warnings:
        typer.echo(f"warning: {printable(state.redactor(warning))}", err=True)
    typer.echo(f"trends of {len(trends.metrics)} metrics over {len(trends.runs)} runs written to {output}")


@app.command()
def diff(
    old: Annotated[Path, typer.Argument(help="The earlier scorecard JSON.")],
    new: Annotated[Path, typer.Argument(help="The later scorecard JSON.")],
    max_change: Annotated[
        str | None,
        typer.Option(
            "--max-change", help="Also a regression: a value that moved the worse way by more than this, e.g. 10%."
        ),
    ] = None,
    format: Annotated[str, typer.Option("--format", "-f", help="table or markdown")] = "table",
) -> None:
    """Show what changed between two scorecards; exit 1 on a regression."""
    from kpiframe.diffing import compare, render
    from kpiframe.scorecard_file import read_scorecard

    limit = None
    if max_change is not None:
        text = max_change.strip().rstrip("%")
        try:
            limit = float(text)
        except ValueError:
            raise ConfigError(f"--max-change: expected a percentage such as 10%, got {max_change!r}") from None
    changes = compare(read_scorecard(old), read_scorecard(new), limit)
    typer.echo(render(changes, markdown=format in ("markdown", "md")), nl=False)
    raise typer.Exit(int(ExitCode.TARGET_FAILED if any(c.regression for c in changes) else ExitCode.OK))


@app.command()
def sql(
    config: Annotated[Path, typer.Argument(help="The YAML config.")],
    as_of: Annotated[
        str | None,
        typer.Option(
            "--as-of",
            help="Windows end here (in the config's time zone unless it has an offset; default: as_of, else now).",
        ),
    ] = None,
    select: Annotated[
        list[str] | None,
        typer.Option("--select", "-s", help="Only these metrics (id, glob or tag:NAME), with their inputs."),
    ] = None,
    exclude: Annotated[list[str] | None, typer.Option("--exclude", help="Leave out these metrics.")] = None,
) -> None:
    """Print each fused query a run would send, per source and window, in the engine's dialect."""
    from datetime import datetime

    from kpiframe.api import prepare
    from kpiframe.engine.compiled import compile_queries
    from kpiframe.selection import select_metrics

    loaded, context = prepare(config, config_plugins=state.config_plugins)
    loaded = select_metrics(loaded, context.registry, select or (), exclude or ())
    state.redactor.add(loaded.secrets)
    moment = _parse_as_of(as_of, loaded.timezone) or loaded.as_of or datetime.now(UTC)
    try:
        queries = compile_queries(loaded, context, moment)
    finally:
        context.backends.close()
    for number, query in enumerate(queries, 1):
        typer.echo(
            f"-- query {number} of {len(queries)}: source {query.source} ({query.dialect}) · window {query.window} ·"
            f" {query.grouping}"
        )
        typer.echo(f"-- metrics: {', '.join(query.metrics)}")
        typer.echo(state.redactor(query.sql.strip().rstrip(";")) + ";\n")


@app.command()
def validate(
    configs: Annotated[
        list[Path],
        typer.Argument(metavar="CONFIG...", help="The YAML configs (several at once, as pre-commit passes them)."),
    ],
    data: Annotated[
        bool,
        typer.Option(
            "--data",
            help=(
                "Also open every source (its schema only, no rows) and check that every column a metric uses exists"
                " and fits its use. Exit 2 on a mistake, 3 when a source cannot be opened."
            ),
        ),
    ] = False,
    print_merged: Annotated[
        bool,
        typer.Option(
            "--print",
            help="Print the merged config (includes and defaults applied) as YAML, ${VAR} kept as written;"
            " the ok line goes to stderr.",
        ),
    ] = False,
) -> None:
    """Check configs (schema, plugins, targets, expressions); with --data, against the sources' columns too.

    Every config is checked, and each wrong one reported; the exit code is the worst (2 for a config error).
    """
    from kpiframe.cli_boundary import report_error
    from kpiframe.errors import KpiframeError

    worst = ExitCode.OK
    for config in configs:
        try:
            worst = max(worst, _validate_one(config, data, print_merged))
        except KpiframeError as error:
            worst = max(worst, report_error(error))
    raise typer.Exit(int(worst))


def _validate_one(config: Path, data: bool, print_merged: bool) -> ExitCode:
    from kpiframe.api import check_data, load_config, prepare
    from kpiframe.config.zones import zone_warnings

    checked = None
    if data:
        loaded, context = prepare(config, config_plugins=state.config_plugins)
        state.redactor.add(loaded.secrets)
        checked = check_data(loaded, context=context)
        checked.raise_for_problems()
    else:
        loaded = load_config(config, config_plugins=state.config_plugins)
    for warning in zone_warnings(loaded):
        typer.echo(f"warning: {printable(state.redactor(warning.render()))}", err=True)
    if checked is not None:
        for problem in checked.errors:
            typer.echo(printable(state.redactor(problem.render())), err=True)
        if checked.unreadable:
            count = len(checked.unreadable)
            its = "its" if count == 1 else "their"
            typer.echo(
                f"{count} source{'s' if count != 1 else ''} could not be opened; {its} metrics were not checked.",
                err=True,
            )
        if checked.errors:
            return ExitCode.SOURCE_ERROR
    if print_merged:
        from kpiframe.config.printing import render_merged

        typer.echo(render_merged(loaded), nl=False)
    if checked is not None:
        summary = (
            f"{config}: ok ({checked.sources} sources opened, {checked.metrics} metrics checked against their columns)"
        )
    else:
        summary = f"{config}: ok ({len(loaded.sources)} sources, {len(loaded.metrics)} metrics)"
    typer.echo(summary, err=print_merged)
    return ExitCode.OK


@app.command()
def schema(
    scorecard: Annotated[
        bool, typer.Option("--scorecard", help="Print the scorecard JSON's schema instead of the config's.")
    ] = False,
) -> None:
    """Print the config's full JSON Schema (core plus every installed plugin's params)."""
    if scorecard:
        from importlib.resources import files

        typer.echo(files("kpiframe").joinpath("schemas/scorecard-1.schema.json").read_text(encoding="utf-8"), nl=False)
        return
    from kpiframe.config.schema import full_schema
    from kpiframe.plugins import make_plugin_manager

    typer.echo(json.dumps(full_schema(make_plugin_manager()), indent=2))


@app.command()
def plugins(
    as_json: Annotated[bool, typer.Option("--json", help="Machine-readable output.")] = False,
) -> None:
    """List every connector, calculator, reporter, preset and config section, with the package and version it came from."""
    import textwrap

    from tabulate import tabulate

    from kpiframe.plugins import make_plugin_manager

    registry = make_plugin_manager()
    rows = []
    for kind, table in (
        ("connector", registry.connectors),
        ("calculator", registry.calculators),
        ("reporter", registry.reporters),
        ("preset", registry.presets),
        ("section", registry.sections),  # a top-level config key; its obj is the JSON Schema
    ):
        for name, reg in sorted(table.items()):
            doc = getattr(reg.obj, "description", "") or getattr(reg.obj, "doc", "")
            doc = str(reg.obj.get("description", "")) if isinstance(reg.obj, dict) else doc
            rows.append(
                {
                    "kind": kind,
                    "name": name,
                    "package": reg.origin.package,
                    "version": reg.origin.version,
                    "summary": first_sentence(doc),
                }
            )
    if as_json:
        typer.echo(json.dumps(rows, indent=2))
        return
    listing = [
        [
            r["kind"],
            r["name"],
            f"{r['package']} {r['version']}".strip(),
            textwrap.shorten(r["summary"], 72, placeholder=" …"),
        ]
        for r in rows
    ]
    typer.echo(tabulate(listing, headers=["kind", "name", "from", "summary"]))


@app.command()
def explain(
    name: Annotated[
        str,
        typer.Argument(
            help=(
                "A calculator (support.csat, percentile, or what people call it: frt, aht), a connector, a preset, an"
                " expression function (to_date), or `expressions`."
            )
        ),
    ],
) -> None:
    """Say what a calculator, connector or preset does, or list the expression functions."""
    from kpiframe import explain as explaining
    from kpiframe.expr import suggest
    from kpiframe.plugins import make_plugin_manager

    if name.lower() in ("expressions", "expression", "functions"):
        typer.echo(explaining.explain_expressions(), nl=False)
        return
    registry = make_plugin_manager()
    full = registry.abbreviations.get(name.lower(), name)
    calculator = registry.calculators.get(full) or next(
        (reg for calc, reg in sorted(registry.calculators.items()) if calc.rsplit(".", 1)[-1] == full), None
    )
    if calculator is not None:
        typer.echo(explaining.explain(calculator), nl=False)
    elif name in registry.connectors or name in registry.presets:
        texts = [explaining.explain_connector(registry.connectors[name])] if name in registry.connectors else []
        texts += [explaining.explain_preset(registry.presets[name])] if name in registry.presets else []
        typer.echo("\n".join(texts), nl=False)
    elif (function := explaining.explain_function(name)) is not None:
        typer.echo(function, nl=False)
    else:
        known = [*registry.calculators, *registry.connectors, *registry.presets, *registry.abbreviations, "expressions"]
        hint = suggest(name, sorted(known))
        raise ConfigError(
            f"unknown calculator, connector or preset {name!r}"
            + (f" ({hint})" if hint else "; `kpiframe plugins` lists them")
        )


class Pack(StrEnum):
    support = "support"


@app.command()
def init(
    pack: Annotated[Pack, typer.Option("--pack", help="The KPI pack.")] = Pack.support,
    preset: Annotated[
        str | None, typer.Option("--preset", help="The export you have: zendesk, freshdesk, intercom or call_log.")
    ] = None,
    output: Annotated[
        Path, typer.Option("--output", "-o", help="Where to write the config (never overwritten).")
    ] = Path("kpis.yaml"),
) -> None:
    """Write a starter config for a pack, shaped for your export, and the schema editors check it with."""
    from kpiframe.atomic import create_new, write_atomic
    from kpiframe.config.schema import full_schema
    from kpiframe.plugins import make_plugin_manager
    from kpiframe.starter import starter_config

    schema_path = output.parent / SCHEMA_FILE
    line = f"# yaml-language-server: $schema={SCHEMA_FILE}\n"
    create_new(output, line + starter_config(pack.value, preset), what="the starter config")
    typer.echo(f"wrote {output}; next: kpiframe validate {output}")
    if not schema_path.exists() or _is_our_schema(schema_path):
        # The schema is generated (it lists the installed plugins' params): refreshing ours loses nothing.
        write_atomic(
            schema_path, json.dumps(full_schema(make_plugin_manager()), indent=2) + "\n", what="the config schema"
        )
        typer.echo(f"wrote {schema_path}: editors with a YAML language server check {output.name} as you type")
    else:
        typer.echo(f"left {schema_path} as it is (not a kpiframe schema); `kpiframe schema` prints one", err=True)


#: The config schema `init` writes beside the config, for YAML language servers.
SCHEMA_FILE = "kpiframe.schema.json"


def _is_our_schema(path: Path) -> bool:
    try:
        return json.loads(path.read_text(encoding="utf-8")).get("$id", "").startswith("https://kpiframe.dev/schema/")
    except (OSError, ValueError, AttributeError):
        return False


class PluginKind(StrEnum):
    connector = "connector"
    calculator = "calculator"
    reporter = "reporter"


new_app = typer.Typer(help="Start something new: a plugin package.", no_args_is_help=True)
app.add_typer(new_app, name="new")


@new_app.command("plugin")
def new_plugin_command(
    name: Annotated[str, typer.Argument(help="The plugin's name (lower case, e.g. helpscout).")],
    kind: Annotated[PluginKind, typer.Option("--kind", help="What the plugin provides.")] = PluginKind.connector,
    folder: Annotated[Path, typer.Option("--output", "-o", help="The folder to create the package in.")] = Path("."),
) -> None:
    """Write a plugin package that installs, registers and passes kpiframe's contract tests."""
    from kpiframe.scaffold import new_plugin

    root = new_plugin(name, kind.value, folder)
    typer.echo(f"wrote {root}\nnext: cd {root} && pip install -e '.[test]' && pytest")


history_app = typer.Typer(help="List, show and prune the runs of a history store.", no_args_is_help=True)
app.add_typer(history_app, name="history")
_HISTORY_ARG = typer.Argument(
    envvar="KPIFRAME_HISTORY", help="The history store: a DuckDB or SQLite file, or a PostgreSQL URL."
)


@history_app.command("list")
def history_list(
    store: Annotated[str, _HISTORY_ARG],
    title: Annotated[str | None, typer.Option("--title", help="Only runs of this scorecard title.")] = None,
    limit: Annotated[
        int, typer.Option("--limit", min=1, max=1_000_000, help="At most this many runs, newest first.")
    ] = 50,
) -> None:
    """List runs, newest first."""
    from tabulate import tabulate

    history = _existing_history(store)
    runs = history.runs(title, limit=limit)
    _warn_skipped(history)
    rows = [[r.run_id, r.recorded_at[:19], _window_text(r), r.title, r.status, (r.git_commit or "")[:10]] for r in runs]
    text = tabulate(rows, headers=["run", "recorded", "window", "title", "status", "commit"]) if rows else "no runs yet"
    typer.echo(printable(state.redactor(text)))


def _existing_history(store: str) -> Any:
    """The store ``history list/show/prune`` read: a path that names no file is a typo, not a new
    store to create (only ``run --history`` creates one)."""
    from kpiframe.errors import HistoryError
    from kpiframe.history import open_history

    if "://" not in store and not Path(store).exists():
        raise HistoryError(f"no history store at {store}; `kpiframe run CONFIG --history {store}` creates one")
    return open_history(store)


def _window_text(run: Any) -> str:
    from kpiframe.period_labels import window_text

    return window_text(run.window_start, run.window_end, run.window_zone)


def _warn_skipped(history: Any) -> None:
    for warning in history.skipped:
        typer.echo(f"warning: {printable(state.redactor(warning))}", err=True)


@history_app.command("show")
def history_show(
    store: Annotated[str, _HISTORY_ARG],
    run_ref: Annotated[
        str | None,
        typer.Argument(
            metavar="[RUN]",
            help="A run id (or its first characters) or a date; without it, the trends of the last runs.",
        ),
    ] = None,
    format: Annotated[
        str,
        typer.Option(
            "--format",
            "-f",
            help="With RUN: table, json, markdown or any reporter. Without: the trends as table, md or json.",
        ),
    ] = "table",
    title: Annotated[
        str | None,
        typer.Option("--title", help="The scorecard title (for the trends, needed when the store holds several)."),
    ] = None,
    last: Annotated[int, typer.Option("--last", min=1, max=10000, help="Trends: the newest N runs.")] = 26,
    recent: Annotated[
        int, typer.Option("--recent", min=1, max=10000, help='Trends: "changed recently" means in the last N runs.')
    ] = 4,
) -> None:
    """Print one run's scorecard, or (without RUN) every metric's trend over the last runs."""
    if run_ref is None:
        from kpiframe.trends.commands import show

        text, trends = show(store, title, last, recent, format)
        for warning in trends.warnings:
            typer.echo(f"warning: {printable(state.redactor(warning))}", err=True)
        typer.echo(state.redactor(text), nl=False)
        return
    from kpiframe.plugins import make_plugin_manager
    from kpiframe.scorecard import Scorecard

    registry = make_plugin_manager()
    name = FORMAT_ALIASES.get(format, format)
    if name not in registry.reporters:
        raise ConfigError(f"--format: unknown format {format!r}; installed: {', '.join(sorted(registry.reporters))}")
    from kpiframe.errors import HistoryError
    from kpiframe.scorecard_file import scorecard_problem

    history = _existing_history(store)
    run = history.find(run_ref, title)
    _warn_skipped(history)
    problem = scorecard_problem(run.scorecard)
    if problem:
        raise HistoryError(f"run {run.run_id} in {history.location} cannot be shown: {problem}")
    reporter = registry.reporter(name)
    typer.echo(reporter.render(Scorecard.from_dict(run.scorecard), {"color": False}), nl=False)


@history_app.command("prune")
def history_prune(
    store: Annotated[str, _HISTORY_ARG],
    keep: Annotated[
        int | None, typer.Option("--keep", min=1, help="Keep the newest N runs of each scorecard title.")
    ] = None,
    before: Annotated[
        str | None,
        typer.Option(
            "--before", help="Delete runs recorded before a date (2026-01-31) or a duration ago (30d, 12w, 6h)."
        ),
    ] = None,
) -> None:
    """Delete old runs (asked for explicitly: nothing is pruned by default)."""
    from kpiframe.history import parse_before

    if keep is None and before is None:
        raise ConfigError("say what to prune: --keep N and/or --before 2026-01-31 (or 30d)")
    cutoff = parse_before(before) if before is not None else None
    history = _existing_history(store)
    removed = history.prune(keep=keep, before=cutoff)
    _warn_skipped(history)
    typer.echo(f"removed {removed} runs")


@app.command("sample-data")
def sample_data(
    directory: Annotated[Path, typer.Argument(help="Where to write the files (created if missing).")],
    rows: Annotated[
        int, typer.Option("--rows", min=100, help="Number of tickets; calls and surveys scale with it.")
    ] = 20000,
    seed: Annotated[int, typer.Option("--seed", help="Random seed: the same seed gives the same files.")] = 7,
    csv: Annotated[
        bool, typer.Option("--csv/--no-csv", help="Also write each table as CSV (about half the time at scale).")
    ] = True,
) -> None:
    """Write a deterministic, realistic support data set (tickets, calls, surveys) as Parquet and CSV."""
    from kpiframe.sample_data import write_sample_data

    progress = _progress(False)
    try:
        written = write_sample_data(directory, tickets=rows, seed=seed, progress=progress, csv=csv)
    finally:
        progress.close()
    for path, count in written.items():
        typer.echo(f"wrote {path} ({count:,} rows)")


def main() -> None:
    """Console-script entry point."""
    install_signal_handlers()
    try:
        app()
    except KeyboardInterrupt:
        typer.echo("interrupted", err=True)
        sys.exit(130)
    except BrokenPipeError:  # top-level --help into a closed pipe, outside any command
        sys.exit(reader_gone())
