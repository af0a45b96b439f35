"""Shared fixtures: small tables written in the test, configs written in the test."""

from __future__ import annotations

import textwrap
from collections.abc import Callable
from datetime import datetime
from pathlib import Path
from typing import Any

import pyarrow as pa
import pyarrow.parquet as pq
import pytest
from typer.testing import CliRunner

from kpiframe.cli import app

AS_OF = datetime.fromisoformat("2026-03-01T00:00:00+00:00")


@pytest.fixture(autouse=True)
def compiled_query_cache(tmp_path_factory: pytest.TempPathFactory, monkeypatch: pytest.MonkeyPatch) -> Path:
    """Each test its own compiled-query cache: a test that runs a config twice takes the cached way
    the second time (as a user's repeat run does), and no test sees another's entries."""
    folder = tmp_path_factory.mktemp("kpiframe-cache")
    monkeypatch.setenv("KPIFRAME_CACHE_DIR", str(folder))
    return folder


def write_parquet(path: Path, rows: list[dict[str, Any]], schema: pa.Schema | None = None) -> Path:
    table = pa.Table.from_pylist(rows, schema=schema)
    pq.write_table(table, path)
    return path


@pytest.fixture
def write_config(tmp_path: Path) -> Callable[[str, str], Path]:
    """Write a YAML config (dedented) into the test's folder and return its path."""

    def write(text: str, name: str = "kpis.yaml") -> Path:
        path = tmp_path / name
        path.write_text(textwrap.dedent(text).lstrip("\n"), encoding="utf-8")
        return path

    return write


@pytest.fixture
def cli() -> Callable[..., Any]:
    """Run the kpiframe CLI in-process; returns the click Result (exit_code, stdout, stderr)."""
    runner = CliRunner()

    def invoke(*args: str, env: dict[str, str] | None = None) -> Any:
        return runner.invoke(app, [str(a) for a in args], env=env, catch_exceptions=False)

    return invoke


TICKETS = [
    # id, created, first response, resolved, channel, agent, wait (s), escalated
    {
        "id": 1,
        "created_at": datetime(2026, 2, 2, 9, 0),
        "first_response_at": datetime(2026, 2, 2, 9, 30),
        "resolved_at": datetime(2026, 2, 3, 9, 0),
        "channel": "email",
        "agent": "ann",
        "wait": 12.0,
        "escalated": False,
    },
    {
        "id": 2,
        "created_at": datetime(2026, 2, 3, 10, 0),
        "first_response_at": datetime(2026, 2, 3, 10, 5),
        "resolved_at": None,
        "channel": "chat",
        "agent": "bob",
        "wait": 30.0,
        "escalated": True,
    },
    {
        "id": 3,
        "created_at": datetime(2026, 2, 10, 23, 0),
        "first_response_at": None,
        "resolved_at": None,
        "channel": "email",
        "agent": None,
        "wait": None,
        "escalated": None,
    },
    {
        "id": 4,
        "created_at": datetime(2026, 2, 14, 8, 0),
        "first_response_at": datetime(2026, 2, 14, 7, 0),
        "resolved_at": datetime(2026, 2, 14, 12, 0),
        "channel": "phone",
        "agent": "ann",
        "wait": 5.5,
        "escalated": False,
    },
    {
        "id": 5,
        "created_at": datetime(2026, 2, 20, 12, 0),
        "first_response_at": datetime(2026, 2, 20, 14, 0),
        "resolved_at": datetime(2026, 2, 21, 0, 0),
        "channel": "chat",
        "agent": "cy",
        "wait": 61.0,
        "escalated": False,
    },
    {
        "id": 6,
        "created_at": datetime(2026, 2, 27, 16, 0),
        "first_response_at": datetime(2026, 2, 27, 16, 1),
        "resolved_at": datetime(2026, 2, 27, 17, 0),
        "channel": "email",
        "agent": "bob",
        "wait": 0.0,
        "escalated": True,
    },
    # outside a `last: 30d` window ending 2026-03-01
    {
        "id": 7,
        "created_at": datetime(2026, 1, 5, 9, 0),
        "first_response_at": datetime(2026, 1, 5, 11, 0),
        "resolved_at": datetime(2026, 1, 6, 9, 0),
        "channel": "email",
        "agent": "ann",
        "wait": 99.0,
        "escalated": False,
    },
]


@pytest.fixture
def tickets(tmp_path: Path) -> Path:
    return write_parquet(tmp_path / "tickets.parquet", TICKETS)


def sql_value(query: str) -> Any:
    """The single value a hand-written DuckDB query returns (the independent reference)."""
    import duckdb

    with duckdb.connect() as con:
        return con.execute(query).fetchall()[0][0]


def require_service(name: str, available: bool, why: str) -> None:
    """Skip a test whose server is missing, unless KPIFRAME_REQUIRE_SERVICES=1 (CI) makes that a failure."""
    import os

    if available:
        return
    if os.environ.get("KPIFRAME_REQUIRE_SERVICES") == "1":
        pytest.fail(f"{name} is required (KPIFRAME_REQUIRE_SERVICES=1) but not reachable: {why}")
    pytest.skip(f"{name} not reachable ({why}); CI runs this with KPIFRAME_REQUIRE_SERVICES=1")


POSTGRES_URL = "postgresql://postgres@127.0.0.1:5432/test"


@pytest.fixture
def postgres_schema():
    """A fresh schema on the local PostgreSQL server, dropped afterwards; yields a URL that uses it."""
    import uuid

    try:
        import psycopg

        con = psycopg.connect(POSTGRES_URL, connect_timeout=5, autocommit=True)
    except Exception as exc:
        require_service("PostgreSQL", False, str(exc).splitlines()[0] if str(exc) else type(exc).__name__)
        return
    schema = f"kpiframe_test_{uuid.uuid4().hex[:8]}"
    con.execute(f'create schema "{schema}"')
    try:
        yield f"{POSTGRES_URL}?options=-csearch_path%3D{schema}"
    finally:
        con.execute(f'drop schema "{schema}" cascade')
        con.close()
