"""PostgreSQL and MariaDB sources on the real servers: same numbers as a Parquet copy, work pushed down."""

from __future__ import annotations

from typing import Any

import pytest

import kpiframe
from conftest import AS_OF, TICKETS, require_service, write_parquet

METRICS = """
  n_{s}: {{calc: count, source: {s}}}
  wait_mean_{s}: {{calc: mean, source: {s}, params: {{column: wait}}}}
  email_share_{s}: {{calc: share, source: {s}, params: {{match: "channel == 'email'"}}}}
  agents_{s}: {{calc: distinct_count, source: {s}, params: {{column: agent}}}}
  frt_{s}: {{calc: support.first_response_time, source: {s}, params: {{unit: min}}}}
  by_channel_{s}: {{calc: count, source: {s}, by: [channel]}}
"""
PERCENTILE = "  frt_p90_{s}: {{calc: support.first_response_time, source: {s}, params: {{stat: p90, unit: min}}}}\n"


def load_postgres(url: str, rows: list[dict[str, Any]]) -> None:
    import psycopg

    with psycopg.connect(url, autocommit=True) as con:
        con.execute(
            "create table tickets (id int, created_at timestamp, first_response_at timestamp, resolved_at timestamp,"
            " channel text, agent text, wait double precision, escalated boolean)"
        )
        with con.cursor() as cur:
            cur.executemany(
                "insert into tickets values (%s, %s, %s, %s, %s, %s, %s, %s)",
                [
                    (
                        r["id"],
                        r["created_at"],
                        r["first_response_at"],
                        r["resolved_at"],
                        r["channel"],
                        r["agent"],
                        r["wait"],
                        r["escalated"],
                    )
                    for r in rows
                ],
            )


def compare(card: kpiframe.Scorecard, a: str, b: str, names: list[str]) -> None:
    for name in names:
        left, right = card.metric(f"{name}_{a}"), card.metric(f"{name}_{b}")
        assert left.status != "error", (name, left.reason)
        assert left.value == pytest.approx(right.value, rel=1e-12), name
        assert {s.label: s.value for s in left.segments} == {s.label: s.value for s in right.segments}


def test_postgres_equals_a_parquet_copy(postgres_schema, tmp_path, write_config, monkeypatch):
    load_postgres(postgres_schema, TICKETS)
    write_parquet(tmp_path / "tickets.parquet", TICKETS)
    monkeypatch.setenv("SUPPORT_PG_DSN", postgres_schema)
    config = write_config(
        "version: 1\nwindow: {last: 30d}\nsources:\n"
        '  pg: {connector: postgres, dsn: "${SUPPORT_PG_DSN}", table: tickets, time: created_at}\n'
        "  pq: {connector: parquet, path: tickets.parquet, time: created_at}\n"
        "metrics:\n" + "".join((METRICS + PERCENTILE).format(s=s) for s in ("pg", "pq"))
    )
    card = kpiframe.run(config, as_of=AS_OF)
    compare(card, "pg", "pq", ["n", "wait_mean", "email_share", "agents", "frt", "frt_p90", "by_channel"])
    assert card.metric("n_pg").value == 6


def test_postgres_work_is_pushed_down(postgres_schema, tmp_path, write_config, monkeypatch):
    """A million rows on the server; only the aggregate rows come back."""
    import ibis
    import psycopg

    with psycopg.connect(postgres_schema, autocommit=True) as con:
        con.execute(
            "create table big as select i as id, timestamp '2026-02-01' + (i % 2419200) * interval '1 second' as"
            " created_at, (array['email', 'chat', 'phone'])[1 + i % 3] as channel, (i % 997) / 10.0 as wait from"
            " generate_series(1, 1000000) i"
        )
    log: list[list[Any]] = []
    real = ibis.postgres.connect

    def recording(*args: Any, **kwargs: Any) -> Any:
        backend = real(*args, **kwargs)
        backend.con = Recorder(backend.con, log)
        return backend

    monkeypatch.setattr(ibis.postgres, "connect", recording)
    config = write_config(
        f"version: 1\nwindow: all\nsources:\n  pg: {{connector: postgres, dsn: '{postgres_schema}', table:"
        " big}\nmetrics:\n  n: {calc: count, source: pg}\n  wait: {calc: mean, source: pg, params: {column:"
        " wait}}\n  p90: {calc: percentile, source: pg, params: {column: wait, q: 0.9}}\n  chan: {calc: count,"
        " source: pg, by: [channel]}\n"
    )
    card = kpiframe.run(config, as_of=AS_OF)
    assert card.metric("n").value == 1_000_000 and len(card.metric("chan").segments) == 3
    with psycopg.connect(postgres_schema) as con:
        expected = con.execute(
            "select avg(wait), percentile_cont(0.9) within group (order by wait) from big"
        ).fetchone()
    assert card.metric("p90").status != "error", card.metric("p90").reason
    assert card.metric("wait").value == pytest.approx(float(expected[0]), rel=1e-12)
    assert card.metric("p90").value == pytest.approx(float(expected[1]), rel=1e-12)
    queries = [
        (sql, rows)
        for sql, rows in log
        if "big" in sql
        and sql.lstrip().upper().startswith("SELECT")
        and "information_schema" not in sql.lower()
        and "pg_" not in sql
    ]
    assert queries, log
    assert sum(rows for _, rows in queries) <= 1 + 3  # the totals row and the three channel rows: no table rows
    assert all(("count(" in sql.lower() or "avg(" in sql.lower() or "percentile" in sql.lower()) for sql, _ in queries)


class Recorder:
    """A psycopg connection that logs every statement and how many rows were fetched for it."""

    def __init__(self, inner: Any, log: list[list[Any]]):
        self._inner, self._log = inner, log

    def cursor(self, *args: Any, **kwargs: Any) -> Any:
        return _Cursor(self._inner.cursor(*args, **kwargs), self._log)

    def __getattr__(self, name: str) -> Any:
        return getattr(self._inner, name)


class _Cursor:
    def __init__(self, inner: Any, log: list[list[Any]]):
        self._inner, self._log = inner, log

    def __enter__(self) -> _Cursor:
        self._inner.__enter__()
        return self

    def __exit__(self, *exc: Any) -> Any:
        return self._inner.__exit__(*exc)

    def execute(self, sql: Any, *args: Any, **kwargs: Any) -> _Cursor:
        self._inner.execute(sql, *args, **kwargs)
        self._log.append([str(sql), 0])
        return self

    def _count(self, rows: Any) -> Any:
        if self._log:
            self._log[-1][1] += len(rows) if isinstance(rows, list) else int(rows is not None)
        return rows

    def fetchall(self) -> Any:
        return self._count(self._inner.fetchall())

    def fetchmany(self, *args: Any) -> Any:
        return self._count(self._inner.fetchmany(*args))

    def fetchone(self) -> Any:
        return self._count(self._inner.fetchone())

    def __getattr__(self, name: str) -> Any:
        return getattr(self._inner, name)


@pytest.mark.parametrize(
    ("dsn", "table", "message"),
    [
        ("postgresql://kpi:hunter2pw@127.0.0.1:1/test", "tickets", "cannot connect"),
        ("postgresql://nobody:hunter2pw@127.0.0.1:5432/test", "tickets", "cannot connect"),
        (
            "{url}",
            "no_such_table",
            "cannot read table 'no_such_table': it does not exist, or this user may not read it",
        ),
    ],
)
def test_postgres_failures_are_clear_errors_without_secrets(
    postgres_schema, write_config, monkeypatch, dsn, table, message
):
    monkeypatch.setenv("PG_DSN", dsn.format(url=postgres_schema))
    config = write_config(
        "version: 1\nwindow: all\nsources:\n  pg: {connector: postgres, dsn: '${PG_DSN}', table:"
        f" {table}}}\nmetrics:\n  n: {{calc: count, source: pg}}\n"
    )
    card = kpiframe.run(config, as_of=AS_OF)
    metric = card.metric("n")
    assert metric.status == "error" and message in metric.reason
    assert "hunter2pw" not in card.to_json()


def test_postgres_permission_denied_is_an_error_status(postgres_schema, write_config):
    import psycopg

    with psycopg.connect(postgres_schema, autocommit=True) as con:
        con.execute("create table secret (id int)")
        con.execute(
            "do $$ begin if not exists (select from pg_roles where rolname = 'kpiframe_reader') then create role"
            " kpiframe_reader login; end if; end $$"
        )
        schema = postgres_schema.rsplit("%3D", 1)[1]
        con.execute(f'grant usage on schema "{schema}" to kpiframe_reader')
    reader = postgres_schema.replace("postgres@", "kpiframe_reader@")
    config = write_config(
        f"version: 1\nwindow: all\nsources:\n  t: {{connector: postgres, dsn: '{reader}', table: secret}}\n"
        f"  q: {{connector: postgres, dsn: '{reader}', query: 'select * from secret'}}\n"
        "metrics:\n  by_table: {calc: count, source: t}\n  by_query: {calc: count, source: q}\n"
    )
    card = kpiframe.run(config, as_of=AS_OF)
    assert card.metric("by_table").status == "error" and "permission denied" in card.metric("by_table").reason.lower()
    assert card.metric("by_query").status == "error" and "permission denied" in card.metric("by_query").reason.lower()


@pytest.mark.parametrize(
    "query",
    [
        "delete from tickets",
        "with d as (delete from tickets returning *) select * from d",
        "select 1; drop table tickets",
    ],
)
def test_a_query_source_must_be_read_only(postgres_schema, write_config, query):
    config = write_config(
        f"version: 1\nwindow: all\nsources:\n  pg: {{connector: postgres, dsn: '{postgres_schema}', query:"
        f' "{query}"}}\nmetrics:\n  n: {{calc: count, source: pg}}\n'
    )
    metric = kpiframe.run(config, as_of=AS_OF).metric("n")
    assert metric.status == "error" and "must be one read-only SELECT" in metric.reason


def test_a_query_source_works(postgres_schema, write_config):
    load_postgres(postgres_schema, TICKETS)
    config = write_config(
        f"version: 1\nwindow: all\nsources:\n  pg: {{connector: postgres, dsn: '{postgres_schema}', query: \"select *"
        " from tickets where channel = 'email' and agent != 'update'\"}\nmetrics:\n  n: {calc: count, source: pg}\n"
    )
    assert kpiframe.run(config, as_of=AS_OF).metric("n").value == 3  # the 4th email ticket has no agent


MARIADB = "mysql://root@127.0.0.1:3306/test"


@pytest.fixture
def mariadb():
    try:
        import MySQLdb
    except ImportError as exc:
        require_service("MariaDB driver (kpiframe[mysql])", False, str(exc))
        return
    try:
        con = MySQLdb.connect(host="127.0.0.1", user="root", password="", database="test", connect_timeout=5)
    except Exception as exc:
        require_service("MariaDB", False, str(exc))
        return
    import uuid

    table = f"kpiframe_tickets_{uuid.uuid4().hex[:8]}"
    cur = con.cursor()
    cur.execute(
        f"create table {table} (id int, created_at datetime, first_response_at datetime, resolved_at datetime, channel"
        " varchar(20), agent varchar(20), wait double, escalated boolean)"
    )
    cur.executemany(
        f"insert into {table} values (%s, %s, %s, %s, %s, %s, %s, %s)",
        [
            (
                r["id"],
                r["created_at"],
                r["first_response_at"],
                r["resolved_at"],
                r["channel"],
                r["agent"],
                r["wait"],
                r["escalated"],
            )
            for r in TICKETS
        ],
    )
    con.commit()
    try:
        yield table
    finally:
        cur.execute(f"drop table {table}")
        con.close()


def test_mariadb_equals_a_parquet_copy(mariadb, tmp_path, write_config):
    write_parquet(tmp_path / "tickets.parquet", TICKETS)
    config = write_config(
        "version: 1\nwindow: {last: 30d}\nsources:\n"
        f"  my: {{connector: mysql, dsn: '{MARIADB}', table: {mariadb}, time: created_at}}\n"
        "  pq: {connector: parquet, path: tickets.parquet, time: created_at}\n"
        "metrics:\n" + "".join(METRICS.format(s=s) for s in ("my", "pq"))
    )
    card = kpiframe.run(config, as_of=AS_OF)
    compare(card, "my", "pq", ["n", "wait_mean", "email_share", "agents", "frt", "by_channel"])


def test_a_postgres_query_that_calls_a_writing_function_cannot_write(postgres_schema, write_config):
    import psycopg

    load_postgres(postgres_schema, TICKETS)
    with psycopg.connect(postgres_schema, autocommit=True) as con:
        con.execute("create function wipe() returns int language sql as 'delete from tickets returning 1'")
        large_objects = con.execute("select count(*) from pg_largeobject_metadata").fetchone()[0]
    for query in (
        "select *, wipe() as x from tickets",
        "select *, lo_from_bytea(0, 'x') as x from tickets",
        "select *, LO_FROM_BYTEA (0, 'x') as x from tickets",
    ):
        config = write_config(
            "version: 1\nwindow: all\nsources:\n"
            f"  pg: {{connector: postgres, dsn: '{postgres_schema}', query: \"{query}\"}}\n"
            "metrics:\n  n: {calc: count, source: pg, where: 'x is not null'}\n"
        )
        card = kpiframe.run(config, as_of=AS_OF)
        reason = card.metric("n").reason or ""
        assert card.metric("n").status == "error" and (
            "read-only transaction" in reason or "lo_from_bytea()" in reason.lower()
        ), reason
    with psycopg.connect(postgres_schema) as con:
        assert con.execute("select count(*) from tickets").fetchone()[0] == len(TICKETS)
        assert con.execute("select count(*) from pg_largeobject_metadata").fetchone()[0] == large_objects


def test_a_postgres_statement_stops_at_the_source_timeout(postgres_schema, write_config):
    load_postgres(postgres_schema, TICKETS)
    config = write_config(
        f"version: 1\nwindow: all\nsources:\n  pg: {{connector: postgres, dsn: '{postgres_schema}', query: 'select *,"
        " pg_sleep(3) as z from tickets', timeout: 1}\nmetrics:\n  n: {calc: count, source: pg}\n"
    )
    card = kpiframe.run(config, as_of=AS_OF)
    assert card.metric("n").status == "error" and "statement timeout" in card.metric("n").reason


def test_mariadb_sessions_are_read_only(mariadb, write_config):
    import MySQLdb

    con = MySQLdb.connect(host="127.0.0.1", user="root", password="", database="test")
    cur = con.cursor()
    name = f"wipe_{mariadb[-8:]}"
    cur.execute(f"create function {name}() returns int modifies sql data begin delete from {mariadb}; return 1; end")
    try:
        config = write_config(
            "version: 1\nwindow: all\nsources:\n"
            f"  my: {{connector: mysql, dsn: '{MARIADB}', query: 'select *, {name}() as x from {mariadb}'}}\n"
            "metrics:\n  n: {calc: count, source: my, where: 'x is not null'}\n"
        )
        card = kpiframe.run(config, as_of=AS_OF)
        assert card.metric("n").status == "error"
        cur.execute(f"select count(*) from {mariadb}")
        assert cur.fetchone()[0] == len(TICKETS)
    finally:
        cur.execute(f"drop function {name}")
        con.close()
