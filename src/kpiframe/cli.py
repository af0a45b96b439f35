"""The ``kpiframe`` command: a thin shell over :mod:`kpiframe.api`.

It parses arguments, calls the API, prints, and sets the exit code. Errors a
person can fix are printed as messages (exit 2 for config and usage errors);
a traceback appears only with ``--debug``. Heavy modules load inside commands,
so ``kpiframe --help`` starts instantly.
"""

from __future__ import annotations

import json
import os
import sys
from datetime import datetime, timezone
from pathlib import Path
from typing import Annotated, Any, NoReturn

import typer

from kpiframe.errors import ConfigError, KpiframeError, PluginError
from kpiframe.exit_codes import ExitCode

app = typer.Typer(
    name="kpiframe",
    help="Turn a YAML file into a KPI scorecard. Exit codes: 0 ok, 1 a target failed, 2 config or usage error, 3 a source or calculator error.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
    context_settings={"help_option_names": ["-h", "--help"]},
)

_state: dict[str, Any] = {"debug": False}


def _fail(error: BaseException) -> NoReturn:
    if _state["debug"]:
        raise error
    from kpiframe.history import HistoryError

    code = ExitCode.USAGE_ERROR if isinstance(error, (ConfigError, PluginError, HistoryError)) else ExitCode.SOURCE_ERROR
    if isinstance(error, ConfigError):
        count = len(error.problems)
        typer.echo(str(error), err=True)
        if any(p.file for p in error.problems):
            typer.echo(f"{count} problem{'s' if count != 1 else ''} found; nothing was computed.", err=True)
    else:
        typer.echo(f"error: {error}", err=True)
    raise typer.Exit(int(code))


def _use_color(choice: bool | None) -> bool:
    if choice is not None:
        return choice
    if os.environ.get("NO_COLOR"):
        return False
    if os.environ.get("FORCE_COLOR"):
        return True
    return sys.stdout.isatty() and os.environ.get("TERM") != "dumb"


def _parse_as_of(text: str | None) -> datetime | None:
    if text is None:
        return None
    from kpiframe.config.load import parse_timestamp

    from kpiframe.config.literals import DateRangeError

    try:
        return parse_timestamp(text).astimezone(timezone.utc)
    except DateRangeError as exc:
        raise ConfigError(f"--as-of: {exc}") from None
    except ValueError:
        raise ConfigError(f"--as-of: expected a date or timestamp such as 2026-01-31T00:00:00Z, got {text!r}") from None


def _version(value: bool) -> None:
    if value:
        from kpiframe import __version__

        typer.echo(f"kpiframe {__version__}")
        raise typer.Exit()


@app.callback()
def main_options(
    debug: Annotated[bool, typer.Option("--debug", help="Show tracebacks for errors.")] = False,
    version: Annotated[bool, typer.Option("--version", callback=_version, is_eager=True, help="Print the version and exit.")] = False,
) -> None:
    _state["debug"] = debug


FORMAT_ALIASES = {"md": "markdown", "xml": "junit", "txt": "table"}


def _outputs(specs: list[str], default_format: str) -> list[tuple[str, Path]]:
    """``--output junit=report.xml`` or ``--output card.json`` (in --format) → (format, path)."""
    outputs = []
    for spec in specs:
        name, eq, path = spec.partition("=")
        if eq and name and "/" not in name and "." not in name:
            outputs.append((FORMAT_ALIASES.get(name, name), Path(path)))
        else:
            outputs.append((default_format, Path(spec)))
    return outputs


def _write(path: Path, report: str | bytes) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    if isinstance(report, bytes):
        path.write_bytes(report)
    else:
        path.write_text(report, encoding="utf-8")


@app.command()
def run(
    config: Annotated[Path, typer.Argument(help="The YAML config.")],
    as_of: Annotated[str | None, typer.Option("--as-of", help="Windows end here (ISO date or timestamp; default: the config's as_of, else now, UTC).")] = None,
    format: Annotated[str, typer.Option("--format", "-f", help="Report format: table, json, markdown, junit, csv, or any installed reporter.")] = "table",
    output: Annotated[list[str] | None, typer.Option("--output", "-o", help="Write a report to a file: PATH (in --format) or FORMAT=PATH; repeat for several. The table still goes to the terminal.")] = None,
    fail_on: Annotated[str, typer.Option("--fail-on", help="Lowest status that fails the run: warn, no_data, fail, error or never (pass, info < warn < no_data < fail < error).")] = "fail",
    baseline: Annotated[Path | None, typer.Option("--baseline", help="An earlier scorecard JSON that change targets compare with.")] = None,
    history: Annotated[str | None, typer.Option("--history", envvar="KPIFRAME_HISTORY", help="A history store (DuckDB or SQLite file, or PostgreSQL URL): change targets compare with it and the run is appended.")] = None,
    color: Annotated[bool | None, typer.Option("--color/--no-color", help="Colour the table (default: when the terminal supports it; NO_COLOR honoured).")] = None,
    quiet: Annotated[bool, typer.Option("--quiet", "-q", help="Print nothing to the terminal when writing --output.")] = False,
) -> None:
    """Compute every metric, evaluate its targets and print the scorecard."""
    from kpiframe.api import load_config
    from kpiframe.api import run as run_scorecard
    from kpiframe.engine.evaluate import FAIL_ON, exit_code

    try:
        if fail_on not in FAIL_ON:
            raise ConfigError(f"--fail-on: expected one of {', '.join(FAIL_ON)}, got {fail_on!r}")
        moment = _parse_as_of(as_of)
        loaded = load_config(config)
        format = FORMAT_ALIASES.get(format, format)
        outputs = _outputs(output or [], format)
        for name in {format, *(f for f, _ in outputs)}:
            if name not in loaded.registry.reporters:
                raise ConfigError(f"--format: unknown format {name!r}; installed: {', '.join(sorted(loaded.registry.reporters))}")
        for _, path in outputs:
            if path.resolve() == loaded.path.resolve():
                raise ConfigError(f"--output {path} would overwrite the config file; choose another path")
        baseline_data = _read_scorecard(baseline) if baseline else None
        scorecard = run_scorecard(loaded, as_of=moment, baseline=baseline_data, history=history)
        for note in scorecard.run.notes:
            typer.echo(f"warning: {note}", err=True)
        options = {"color": _use_color(color) and not outputs, "fail_on": fail_on}
        for name, path in outputs:
            _write(path, loaded.registry.reporter(name).render(scorecard, {**options, "color": False}))
        summary_file = os.environ.get("GITHUB_STEP_SUMMARY")
        if summary_file:
            with open(summary_file, "a", encoding="utf-8") as handle:
                handle.write(loaded.registry.reporter("markdown").render(scorecard, options) + "\n")
        if outputs:
            if not quiet:
                colored = _use_color(color)
                typer.echo(loaded.registry.reporter("table").render(scorecard, {"color": colored, "fail_on": fail_on}), nl=False, color=colored)
                for name, path in outputs:
                    typer.echo(f"{name} report written to {path}")
        else:
            report = loaded.registry.reporter(format).render(scorecard, options)
            if isinstance(report, bytes):
                sys.stdout.buffer.write(report)
            else:
                # color= keeps the codes the reporter chose; click would strip them off a non-terminal.
                typer.echo(report, nl=False, color=options["color"])
    except KpiframeError as error:
        _fail(error)
    raise typer.Exit(int(exit_code(scorecard, fail_on)))


def _read_scorecard(path: Path) -> dict[str, Any]:
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise ConfigError(f"scorecard {path} not found") from None
    except (OSError, ValueError) as exc:
        raise ConfigError(f"{path} is not a scorecard JSON file: {exc}") from None
    if not isinstance(data, dict) or data.get("schema_version") != 1 or "metrics" not in data:
        raise ConfigError(f"{path} is not a kpiframe scorecard (no schema_version 1); write one with --format json")
    return data


@app.command()
def diff(
    old: Annotated[Path, typer.Argument(help="The earlier scorecard JSON.")],
    new: Annotated[Path, typer.Argument(help="The later scorecard JSON.")],
    max_change: Annotated[str | None, typer.Option("--max-change", help="Also a regression: a value that moved the worse way by more than this, e.g. 10%.")] = None,
    format: Annotated[str, typer.Option("--format", "-f", help="table or markdown")] = "table",
) -> None:
    """Show what changed between two scorecards; exit 1 on a regression."""
    from kpiframe.diffing import compare, render

    try:
        limit = None
        if max_change is not None:
            text = max_change.strip().rstrip("%")
            try:
                limit = float(text)
            except ValueError:
                raise ConfigError(f"--max-change: expected a percentage such as 10%, got {max_change!r}") from None
        changes = compare(_read_scorecard(old), _read_scorecard(new), limit)
    except KpiframeError as error:
        _fail(error)
    typer.echo(render(changes, markdown=format in ("markdown", "md")), nl=False)
    raise typer.Exit(int(ExitCode.TARGET_FAILED if any(c.regression for c in changes) else ExitCode.OK))


@app.command()
def validate(config: Annotated[Path, typer.Argument(help="The YAML config.")]) -> None:
    """Check a config (schema, plugins, targets, expressions) without reading any data."""
    from kpiframe.api import load_config

    try:
        loaded = load_config(config)
    except KpiframeError as error:
        _fail(error)
    typer.echo(f"{config}: ok ({len(loaded.sources)} sources, {len(loaded.metrics)} metrics)")


@app.command()
def schema(
    scorecard: Annotated[bool, typer.Option("--scorecard", help="Print the scorecard JSON's schema instead of the config's.")] = False,
) -> None:
    """Print the config's full JSON Schema (core plus every installed plugin's params)."""
    try:
        if scorecard:
            from importlib.resources import files

            typer.echo(files("kpiframe").joinpath("schemas/scorecard-1.schema.json").read_text(encoding="utf-8"), nl=False)
            return
        from kpiframe.config.schema import full_schema
        from kpiframe.plugins import make_plugin_manager

        typer.echo(json.dumps(full_schema(make_plugin_manager()), indent=2))
    except KpiframeError as error:
        _fail(error)


@app.command()
def plugins(
    as_json: Annotated[bool, typer.Option("--json", help="Machine-readable output.")] = False,
) -> None:
    """List every connector, calculator, reporter and preset, with the package and version it came from."""
    from tabulate import tabulate

    from kpiframe.plugins import make_plugin_manager

    try:
        registry = make_plugin_manager()
    except KpiframeError as error:
        _fail(error)
    rows = []
    for kind, table in (("connector", registry.connectors), ("calculator", registry.calculators), ("reporter", registry.reporters), ("preset", registry.presets)):
        for name, reg in sorted(table.items()):
            doc = getattr(reg.obj, "description", "") or getattr(reg.obj, "doc", "")
            rows.append({"kind": kind, "name": name, "package": reg.origin.package, "version": reg.origin.version, "summary": doc.split(". ")[0].rstrip(".")})
    if as_json:
        typer.echo(json.dumps(rows, indent=2))
        return
    typer.echo(tabulate([[r["kind"], r["name"], f"{r['package']} {r['version']}".strip(), r["summary"][:70]] for r in rows], headers=["kind", "name", "from", "summary"]))


#: What support teams call the KPIs, for `kpiframe explain`.
_ABBREVIATIONS = {
    "frt": "first_response_time", "asa": "average_speed_of_answer", "aht": "average_handle_time",
    "fcr": "first_contact_resolution", "ttr": "time_to_resolution", "sl": "service_level",
    "iqs": "iqs", "enps": "agent_satisfaction", "esat": "agent_satisfaction", "clv": "clv",
}


@app.command()
def explain(name: Annotated[str, typer.Argument(help="A calculator, such as support.csat or percentile.")]) -> None:
    """Say what a calculator computes: formula, roles, params, unit, direction and an example."""
    from kpiframe.explain import explain as explain_text
    from kpiframe.plugins import make_plugin_manager

    try:
        registry = make_plugin_manager()
        full = _ABBREVIATIONS.get(name.lower(), name)
        reg = registry.calculators.get(full) or registry.calculators.get(f"support.{full}")
        if reg is None:
            from kpiframe.expr import suggest

            hint = suggest(name, sorted(registry.calculators))
            raise ConfigError(f"unknown calculator {name!r}" + (f" ({hint})" if hint else "; `kpiframe plugins` lists them"))
    except KpiframeError as error:
        _fail(error)
    typer.echo(explain_text(reg), nl=False)


@app.command()
def init(
    pack: Annotated[str, typer.Option("--pack", help="The KPI pack: support.")] = "support",
    preset: Annotated[str | None, typer.Option("--preset", help="The export you have: zendesk, freshdesk, intercom or call_log.")] = None,
    output: Annotated[Path, typer.Option("--output", "-o", help="Where to write the config (never overwritten).")] = Path("kpis.yaml"),
) -> None:
    """Write a starter config for a pack, shaped for your export."""
    from kpiframe.starter import starter_config

    try:
        text = starter_config(pack, preset)
        if output.exists():
            raise ConfigError(f"{output} already exists; kpiframe never overwrites a file you wrote. Choose another --output")
    except KpiframeError as error:
        _fail(error)
    output.write_text(text, encoding="utf-8")
    typer.echo(f"wrote {output}; next: kpiframe validate {output}")


new_app = typer.Typer(help="Start something new: a plugin package.", no_args_is_help=True)
app.add_typer(new_app, name="new")


@new_app.command("plugin")
def new_plugin_command(
    name: Annotated[str, typer.Argument(help="The plugin's name (lower case, e.g. helpscout).")],
    kind: Annotated[str, typer.Option("--kind", help="connector, calculator or reporter.")] = "connector",
    folder: Annotated[Path, typer.Option("--output", "-o", help="The folder to create the package in.")] = Path("."),
) -> None:
    """Write a plugin package that installs, registers and passes kpiframe's contract tests."""
    from kpiframe.scaffold import new_plugin

    try:
        root = new_plugin(name, kind, folder)
    except KpiframeError as error:
        _fail(error)
    typer.echo(f"wrote {root}\nnext: cd {root} && pip install -e '.[test]' && pytest")


history_app = typer.Typer(help="List, show and prune the runs of a history store.", no_args_is_help=True)
app.add_typer(history_app, name="history")
_HISTORY_ARG = typer.Argument(envvar="KPIFRAME_HISTORY", help="The history store: a DuckDB or SQLite file, or a PostgreSQL URL.")


@history_app.command("list")
def history_list(
    store: Annotated[str, _HISTORY_ARG],
    title: Annotated[str | None, typer.Option("--title", help="Only runs of this scorecard title.")] = None,
    limit: Annotated[int, typer.Option("--limit", help="At most this many runs, newest first.")] = 50,
) -> None:
    """List runs, newest first."""
    from tabulate import tabulate

    from kpiframe.history import open_history

    try:
        runs = open_history(store).runs(title, limit=limit)
    except KpiframeError as error:
        _fail(error)
    rows = [[r.run_id, r.recorded_at[:19], r.as_of[:19], r.title, r.status, (r.git_commit or "")[:10]] for r in runs]
    typer.echo(tabulate(rows, headers=["run", "recorded", "as of", "title", "status", "commit"]) if rows else "no runs yet")


@history_app.command("show")
def history_show(
    store: Annotated[str, _HISTORY_ARG],
    run_ref: Annotated[str, typer.Argument(metavar="RUN", help="A run id (or its first characters) or a date.")],
    format: Annotated[str, typer.Option("--format", "-f", help="table, json, markdown...")] = "table",
) -> None:
    """Print one run's scorecard."""
    from kpiframe.history import open_history
    from kpiframe.plugins import make_plugin_manager
    from kpiframe.scorecard import Scorecard

    try:
        run = open_history(store).find(run_ref)
        reporter = make_plugin_manager().reporter(FORMAT_ALIASES.get(format, format))
    except KeyError:
        _fail(ConfigError(f"--format: unknown format {format!r}"))
    except KpiframeError as error:
        _fail(error)
    typer.echo(reporter.render(Scorecard.from_dict(run.scorecard), {"color": False}), nl=False)


@history_app.command("prune")
def history_prune(
    store: Annotated[str, _HISTORY_ARG],
    keep: Annotated[int | None, typer.Option("--keep", min=1, help="Keep the newest N runs of each scorecard title.")] = None,
    before: Annotated[str | None, typer.Option("--before", help="Delete runs recorded before this date (YYYY-MM-DD).")] = None,
) -> None:
    """Delete old runs (asked for explicitly: nothing is pruned by default)."""
    from kpiframe.history import open_history

    try:
        if keep is None and before is None:
            raise ConfigError("say what to prune: --keep N and/or --before YYYY-MM-DD")
        removed = open_history(store).prune(keep=keep, before=before)
    except KpiframeError as error:
        _fail(error)
    typer.echo(f"removed {removed} runs")


@app.command("sample-data")
def sample_data(
    directory: Annotated[Path, typer.Argument(help="Where to write the files (created if missing).")],
    rows: Annotated[int, typer.Option("--rows", min=100, help="Number of tickets; calls and surveys scale with it.")] = 20000,
    seed: Annotated[int, typer.Option("--seed", help="Random seed: the same seed gives the same files.")] = 7,
) -> None:
    """Write a deterministic, realistic support data set (tickets, calls, surveys) as Parquet and CSV."""
    from kpiframe.sample_data import write_sample_data

    try:
        written = write_sample_data(directory, tickets=rows, seed=seed)
    except KpiframeError as error:
        _fail(error)
    for path, count in written.items():
        typer.echo(f"wrote {path} ({count:,} rows)")


def main() -> None:
    """Console-script entry point."""
    try:
        app()
    except KeyboardInterrupt:
        typer.echo("interrupted", err=True)
        sys.exit(130)
