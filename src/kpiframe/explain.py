"""What a calculator, connector, preset or expression function does, from its own
metadata: for `kpiframe explain` and docs/metrics.md."""

from __future__ import annotations

from typing import Any

import yaml

from kpiframe.plugins import Registration

_SOURCE_FOR = {
    "tickets": "tickets",
    "calls": "calls",
    "surveys": "surveys",
    "customers": "customers",
    "agents": "agents",
    "kb_views": "kb_views",
    "quality_reviews": "reviews",
    "servqual": "servqual",
}


def example_block(reg: Registration) -> str:
    """A metric block that uses this calculator, ready to paste under `metrics:`."""
    calc = reg.obj
    metric: dict[str, Any] = {"calc": reg.name, "source": _SOURCE_FOR.get(getattr(calc, "table_kind", ""), "data")}
    example = getattr(calc, "example", None)
    if example:
        metric["params"] = dict(example)
    elif calc.params_schema.get("required"):
        metric["params"] = {key: f"<{key}>" for key in calc.params_schema["required"]}
    block = {reg.name.split(".")[-1]: metric}
    return yaml.safe_dump(block, sort_keys=False, default_flow_style=None).rstrip()


def _params(schema: dict[str, Any]) -> list[tuple[str, str, str]]:
    required = set(schema.get("required", []))
    rows = []
    for key, prop in schema.get("properties", {}).items():
        kind = (
            " | ".join(str(v) for v in prop["enum"])
            if "enum" in prop
            else prop.get("x-kpiframe-expected") or prop.get("type", "")
        )
        if isinstance(kind, list):
            kind = " or ".join(kind)
        rows.append((key + (" (required)" if key in required else ""), str(kind), prop.get("description", "")))
    return rows


def roles_text(calc: Any) -> str:
    roles = list(calc.roles_for({})) if hasattr(calc, "roles_for") else list(calc.roles)
    text = ", ".join(roles) if roles else "none"
    if getattr(calc, "time_role", None):
        text += f"; the window filters on {calc.time_role}"
    if getattr(calc, "windowing", "rows") == "none":
        text += "; not filtered by the window (it reads the window's bounds)"
    return text


def explain(reg: Registration) -> str:
    """A plain-text explanation of one calculator."""
    calc = reg.obj
    lines = [
        f"{reg.name}" + (f"  ({calc.title})" if calc.title else ""),
        "",
        calc.doc,
        "",
        f"unit:      {calc.unit}",
        f"better:    {calc.direction}",
        f"roles:     {roles_text(calc)}",
        f"from:      {reg.origin}",
    ]
    params = _params(calc.params_schema)
    if params:
        lines += ["", "params:"]
        width = max(len(p[0]) for p in params)
        lines += [f"  {name.ljust(width)}  {kind}{': ' + desc if desc else ''}" for name, kind, desc in params]
    lines += ["", "example:", "  metrics:"]
    lines += ["    " + line for line in example_block(reg).splitlines()]
    return "\n".join(lines) + "\n"


def _param_lines(schema: dict[str, Any]) -> list[str]:
    params = _params(schema)
    if not params:
        return []
    width = max(len(p[0]) for p in params)
    return ["", "params:"] + [
        f"  {name.ljust(width)}  {kind}{': ' + desc if desc else ''}" for name, kind, desc in params
    ]


def explain_connector(reg: Registration) -> str:
    """A plain-text explanation of one connector: what it reads and the keys a source gives it."""
    lines = [f"{reg.name}  (connector)", "", reg.obj.description or "(no description)", "", f"from:      {reg.origin}"]
    lines += _param_lines(reg.obj.params_schema)
    lines += ["", "example:", "  sources:", f"    data: {{connector: {reg.name}, ...}}"]
    return "\n".join(lines) + "\n"


def explain_preset(reg: Registration) -> str:
    """A plain-text explanation of one preset: the export it fits and how its columns map to roles."""
    preset = reg.obj
    lines = [f"{reg.name}  (preset)", "", preset.description, "", f"from:      {reg.origin}"]
    if preset.time:
        lines.append(f"time:      {preset.time}")
    width = max((len(role) for role in preset.columns), default=0)
    lines += ["", "roles (role: expression over the export's columns):"]
    lines += [f"  {role.ljust(width)}  {expression}" for role, expression in preset.columns.items()]
    lines += ["", "example:", "  sources:", f"    tickets: {{connector: csv, path: export.csv, preset: {reg.name}}}"]
    return "\n".join(lines) + "\n"


def explain_expressions() -> str:
    """Every function of the expression language (``where:``, roles, ``match:``), with an example."""
    from kpiframe.expr import FUNCTION_DOCS

    width = max(len(signature) for signature, _, _ in FUNCTION_DOCS.values())
    lines = [
        "expressions: where:, match:, roles and derived metrics",
        "",
        "operators:  + - * / %   == != < <= > >=   and or not   in [...]   is null, is not null",
        "names:      a column (or a metric, in `calc: expr`); `backticks` around a name with spaces in an expression;",
        "            a param that is exactly one column's name needs none (column: Speed of answer in seconds)",
        "dates:      to_date(date, '%y%m%d') + to_time(vru_entry) is a timestamp; hour(), weekday(), month()...",
        "            work on DATE, TIMESTAMP and TIME columns",
        "",
        "functions:",
    ]
    for name in sorted(FUNCTION_DOCS):
        signature, what, example = FUNCTION_DOCS[name]
        lines.append(f"  {signature.ljust(width)}  {what}")
        lines.append(f"  {''.ljust(width)}  e.g. {example}")
    return "\n".join(lines) + "\n"


def explain_function(name: str) -> str | None:
    """One expression function (``kpiframe explain to_date``), or ``None`` when there is none of that name."""
    from kpiframe.expr import FUNCTION_DOCS

    entry = FUNCTION_DOCS.get(name.strip().lower().removesuffix("()"))
    if entry is None:
        return None
    signature, what, example = entry
    return f"{signature}  (expression function)\n\n{what}\n\nexample:  {example}\n"
