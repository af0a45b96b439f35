"""`validate --data` and the run's own checks: every column a metric uses exists and fits its use,
every mistake located at the key that names the column, before any query (exit 2); a source
that cannot be opened is a source error (exit 3)."""

from __future__ import annotations

import textwrap
from datetime import UTC, datetime
from pathlib import Path

import pyarrow as pa
import pytest

import kpiframe
from conftest import AS_OF, write_parquet
from kpiframe.errors import ConfigError

CALLS_CSV = """\
id,day,talk,wait_time,answered,wait_s,yymmdd,channel,agent
1,2026-02-02,00:03:10,00:00:12,Y,12,260202,phone,ann
2,2026-02-03,00:05:00,00:00:40,N,40,260203,chat,bob
3,2026-02-10,00:01:30,00:00:05,Y,5,260210,phone,ann
"""
# talk: 190 s, 300 s, 90 s; wait_time: 12 s, 40 s, 5 s (the same as wait_s)


def write_calls(folder: Path) -> Path:
    path = folder / "calls.csv"
    path.write_text(CALLS_CSV, encoding="utf-8")
    return path


def write_tickets(folder: Path) -> Path:
    """A Parquet export whose handle time is `hh:mm:ss` text (how many exports write durations)."""
    rows = [
        {"id": 1, "opened": "2026-02-02 09:00:00", "handle": "00:10:00", "status": "open", "assignee": "ann"},
        {"id": 2, "opened": "2026-02-03 10:00:00", "handle": "00:20:30", "status": "solved", "assignee": "bob"},
    ]
    schema = pa.schema(
        [("id", pa.int64()), ("opened", pa.string()), ("handle", pa.string()), ("status", pa.string()),
         ("assignee", pa.string())]
    )  # fmt: skip
    return write_parquet(folder / "tickets.parquet", rows, schema)


# Ten mistakes: a missing file, a glob that matches nothing, a time column of numbers, a role mapped to a
# TIME column, a role mapped to an unknown column, a mean and a p90 of hh:mm:ss, a mean of dates, a share
# of a Y/N column, and a typo in `by:`.
TEN_DATA_MISTAKES = """\
version: 1
window: {last: 30d}
sources:
  calls: {connector: csv, path: calls.csv, time: yymmdd, columns: {wait_seconds: wait_time}}
  tickets:
    connector: parquet
    path: tickets.parquet
    time: opened
    columns: {agent: asignee}
  gone: {connector: csv, path: call.csv}
  archive: {connector: csv, path: "archive/2025-*.csv"}
metrics:
  aht: {calc: mean, source: calls, params: {column: talk}}
  handle_p90: {calc: percentile, source: tickets, params: {column: handle, q: 0.9}}
  mean_day: {calc: mean, source: calls, params: {column: day}}
  answered: {calc: share, source: calls, params: {match: answered}}
  by_channel: {calc: count, source: calls, by: [chanel]}
  asa: {calc: support.average_speed_of_answer, source: calls}
  volume: {calc: count, source: gone}
"""


def _lines(output: str, path: Path) -> list[str]:
    return [line for line in output.splitlines() if line.startswith(f"{path}:")]


def _at(lines: list[str], path: Path, line: int, token: str, key: str) -> str:
    """The message at the line and column where ``token`` first appears on that line of the config (1-based)."""
    column = path.read_text(encoding="utf-8").splitlines()[line - 1].index(token) + 1
    found = [text for text in lines if text.startswith(f"{path}:{line}:{column}: {key}: ")]
    assert found, f"nothing at {line}:{column} {key}; got:\n" + "\n".join(lines)
    return found[0]


def test_validate_data_reports_ten_mistakes_at_once_each_at_the_key_that_names_the_column(tmp_path, write_config, cli):
    write_calls(tmp_path)
    write_tickets(tmp_path)
    path = write_config(TEN_DATA_MISTAKES)
    result = cli("validate", "--data", path)
    assert result.exit_code == 2
    assert "Traceback" not in result.output
    lines = _lines(result.stderr, path)
    time = _at(lines, path, 4, "yymmdd", "sources.calls.time")
    assert "time column 'yymmdd' holds int64, not dates or timestamps" in time and "from_unix(yymmdd)" in time
    role = _at(lines, path, 4, "wait_time", "sources.calls.columns.wait_seconds")
    assert "support.average_speed_of_answer of role 'wait_seconds' needs numbers" in role
    assert "times of day (TIME)" in role and "columns: {wait_seconds: 'seconds(wait_time)'}" in role
    mapped = _at(lines, path, 9, "asignee", "sources.tickets.columns.agent")
    assert "role 'agent' maps to unknown column 'asignee'" in mapped and "did you mean 'assignee'?" in mapped
    assert "did you mean 'calls.csv'?" in _at(lines, path, 10, "call.csv", "sources.gone.path")
    assert "no file matches 'archive/2025-*.csv'" in _at(lines, path, 11, '"archive', "sources.archive.path")
    aht = _at(lines, path, 13, "talk", "metrics.aht.params.column")
    assert "mean of 'talk' needs numbers, but it holds times of day (TIME)" in aht and "`seconds(talk)`" in aht
    handle = _at(lines, path, 14, "handle,", "metrics.handle_p90.params.column")
    assert "percentile of 'handle' needs numbers, but it holds text" in handle and "`seconds(handle)`" in handle
    day = _at(lines, path, 15, "day}", "metrics.mean_day.params.column")
    assert "mean of 'day' needs numbers, but it holds dates" in day and "`calc: max`" in day
    share = _at(lines, path, 16, "answered}", "metrics.answered.params.match")
    assert "'answered' is not a condition" in share and "`answered == 'Y'`" in share
    assert "did you mean 'channel'?" in _at(lines, path, 17, "chanel", "metrics.by_channel.by[0]")
    assert len(lines) == 10  # each said once
    assert "10 problems found" in result.stderr


@pytest.fixture
def statements(monkeypatch) -> list[str]:
    """Every statement the run's DuckDB connection executes, first word upper-cased."""
    import kpiframe.context as context

    seen: list[str] = []
    connect = context.duckdb_connect

    def recording() -> object:
        con = connect()

        class Recorded:
            def execute(self, sql: str, *args: object) -> object:
                seen.append(sql.split(None, 1)[0].upper())
                return con.execute(sql, *args)

            def __getattr__(self, name: str) -> object:
                return getattr(con, name)

        return Recorded()

    monkeypatch.setattr(context, "duckdb_connect", recording)
    return seen


def test_run_stops_at_the_same_problems_before_its_first_query(tmp_path, write_config, cli, statements):
    write_calls(tmp_path)
    write_tickets(tmp_path)
    path = write_config(TEN_DATA_MISTAKES.replace("  gone: {connector: csv, path: call.csv}\n", "").replace(
        "  volume: {calc: count, source: gone}\n", ""))  # fmt: skip
    result = cli("run", path, "--as-of", "2026-03-01")
    assert result.exit_code == 2
    assert set(statements) <= {"SET", "CREATE", "DESCRIBE"}  # views and their schemas: no row was read
    validate = cli("validate", "--data", path)
    assert set(statements) <= {"SET", "CREATE", "DESCRIBE"}
    problems = _lines(result.stderr, path)
    # validate opens every source; run only those its metrics read (`archive` feeds none)
    unused = [line for line in _lines(validate.stderr, path) if "sources.archive.path" in line]
    assert sorted(problems + unused) == sorted(_lines(validate.stderr, path)) and len(problems) == 8
    fixed = write_config("version: 1\nwindow: all\nsources: {calls: {connector: csv, path: calls.csv}}\n"
                         "metrics: {n: {calc: count, source: calls}}\n", "fixed.yaml")  # fmt: skip
    assert cli("run", fixed).exit_code == 0
    assert "SELECT" in statements or "WITH" in statements  # the recording sees the queries a run sends


def test_mean_of_an_hh_mm_ss_column_says_seconds_and_seconds_gives_the_mean(tmp_path, write_config, cli):
    write_calls(tmp_path)
    path = write_config(
        """\
        version: 1
        window: all
        sources: {calls: {connector: csv, path: calls.csv}}
        metrics:
          aht: {calc: mean, source: calls, params: {column: talk}}
        """
    )
    result = cli("run", path)
    assert result.exit_code == 2 and "AttributeError" not in result.output
    assert "`seconds(talk)`" in result.stderr
    path.write_text(path.read_text().replace("column: talk", "column: 'seconds(talk)'"))
    card = kpiframe.run(path, as_of=AS_OF)
    assert card.metric("aht").value == pytest.approx((190 + 300 + 90) / 3)


def test_max_of_a_date_column_is_the_last_date_not_a_python_error(tmp_path, write_config):
    write_calls(tmp_path)
    path = write_config(
        """\
        version: 1
        window: all
        sources: {calls: {connector: csv, path: calls.csv}}
        metrics:
          last_day: {calc: max, source: calls, params: {column: day}}
          first_day: {calc: min, source: calls, params: {column: day}}
        """
    )
    card = kpiframe.run(path, as_of=AS_OF)
    last, first = card.metric("last_day"), card.metric("first_day")
    assert (last.status, first.status) == ("info", "info")
    assert (last.unit, first.unit) == ("date", "date")
    # the value is the date's instant, midnight UTC, in seconds since 1970; reports show the date
    assert last.value == datetime(2026, 2, 10, tzinfo=UTC).timestamp()
    assert first.value == datetime(2026, 2, 2, tzinfo=UTC).timestamp()
    table = str(kpiframe.api.prepare(path)[1].registry.reporter("table").render(card, {"color": False}))
    assert "2026-02-10" in table and "2026-02-02" in table


def test_an_integer_time_column_is_found_by_validate_data_not_only_by_run(tmp_path, write_config, cli):
    write_calls(tmp_path)
    path = write_config(
        """\
        version: 1
        window: {last: 30d}
        sources: {calls: {connector: csv, path: calls.csv, time: yymmdd}}
        metrics: {n: {calc: count, source: calls}}
        """
    )
    assert cli("validate", path).exit_code == 0  # without --data nothing is opened
    result = cli("validate", "--data", path)
    assert result.exit_code == 2
    assert "time column 'yymmdd' holds int64" in _at(
        _lines(result.stderr, path), path, 3, "yymmdd", "sources.calls.time"
    )
    assert _lines(cli("run", path).stderr, path) == _lines(result.stderr, path)


def test_every_expression_key_is_checked_and_located(tmp_path, write_config, cli):
    write_calls(tmp_path)
    path = write_config(
        """\
        version: 1
        window: all
        sources:
          calls: {connector: csv, path: calls.csv, where: "chanel != 'test'"}
        metrics:
          a: {calc: count, source: calls, where: "wait_z > 10"}
          b: {calc: mean, source: calls, params: {column: "wait_s + holds"}, per: [agnt]}
          c:
            calc: ratio
            source: calls
            params:
              numerator: {agg: sum, column: wait_s, where: "answred == 'Y'"}
              denominator: {agg: count}
          d: {calc: duration, source: calls, params: {start: dya, end: day}}
        """
    )
    result = cli("validate", "--data", path)
    assert result.exit_code == 2
    lines = _lines(result.stderr, path)
    assert "did you mean 'channel'?" in _at(lines, path, 4, '"chanel', "sources.calls.where")
    assert "did you mean 'wait_s'?" in _at(lines, path, 6, '"wait_z', "metrics.a.where")
    assert "unknown column 'holds'" in _at(lines, path, 7, '"wait_s', "metrics.b.params.column")
    assert "did you mean 'agent'?" in _at(lines, path, 7, "agnt", "metrics.b.per[0]")
    assert "did you mean 'answered'?" in _at(lines, path, 12, '"answred', "metrics.c.params.numerator.where")
    assert "did you mean 'day'?" in _at(lines, path, 14, "dya", "metrics.d.params.start")
    assert len(lines) == 6


def test_a_source_that_cannot_be_opened_exits_3_located_at_its_path(tmp_path, write_config, cli):
    write_calls(tmp_path)
    path = write_config(
        """\
        version: 1
        window: all
        sources:
          calls: {connector: csv, path: calls.csv}
          gone: {connector: parquet, path: data/tickets.parquet}
        metrics: {n: {calc: count, source: calls}}
        """
    )
    result = cli("validate", "--data", path)
    assert result.exit_code == 3
    message = _at(_lines(result.stderr, path), path, 5, "data/", "sources.gone.path")
    assert "source 'gone' cannot be opened: no file matches 'data/tickets.parquet'" in message
    assert "1 source could not be opened" in result.stderr
    assert cli("run", path).exit_code == 0  # `gone` feeds no metric


def test_validate_data_says_what_it_checked(tmp_path, write_config, cli):
    write_calls(tmp_path)
    path = write_config(
        """\
        version: 1
        window: {last: 30d}
        sources: {calls: {connector: csv, path: calls.csv, time: day}}
        metrics:
          aht: {calc: mean, source: calls, params: {column: "seconds(talk)"}}
          answered: {calc: share, source: calls, params: {match: "answered == 'Y'"}}
          last_day: {calc: max, source: calls, params: {column: day}}
          ratio: {calc: expr, params: {expr: "aht / 60"}}
        """
    )
    result = cli("validate", "--data", path)
    assert result.exit_code == 0, result.output
    assert result.stdout.strip() == f"{path}: ok (1 sources opened, 3 metrics checked against their columns)"


def test_the_python_api_returns_the_problems(tmp_path, write_config):
    write_calls(tmp_path)
    path = write_config(
        """\
        version: 1
        window: all
        sources: {calls: {connector: csv, path: calls.csv}}
        metrics: {aht: {calc: mean, source: calls, params: {column: talk}}}
        """
    )
    checked = kpiframe.check_data(path)
    assert [p.path for p in checked.problems] == ["metrics.aht.params.column"] and checked.unreadable == []
    with pytest.raises(ConfigError, match="seconds"):
        checked.raise_for_problems()


def test_support_roles_are_checked_where_the_source_maps_them(tmp_path, write_config, cli):
    rows = [
        {"id": 1, "created": "2026-02-01 10:00:00", "first": 1769940600, "resolved": 1769990000},
        {"id": 2, "created": "2026-02-02 10:00:00", "first": 1770027000, "resolved": 1770030000},
    ]
    write_parquet(tmp_path / "t.parquet", rows)
    path = write_config(
        """\
        version: 1
        window: {last: 30d}
        sources:
          t:
            connector: parquet
            path: t.parquet
            time: created
            columns: {created_at: created, first_response_at: first, resolved_at: resolved}
        metrics:
          frt: {calc: support.first_response_time, source: t}
          ttr: {calc: support.time_to_resolution, source: t}
          dur: {calc: duration, source: t, params: {start: created, end: first}}
        """
    )
    result = cli("validate", "--data", path)
    assert result.exit_code == 2
    lines = _lines(result.stderr, path)
    created = _at(lines, path, 8, "created,", "sources.t.columns.created_at")
    assert "support.first_response_time of role 'created_at' needs timestamps, but it holds text" in created
    resolved = _at(lines, path, 8, "resolved}", "sources.t.columns.resolved_at")
    assert "support.time_to_resolution windows on role 'resolved_at', which holds int64" in resolved
    assert 'columns: {resolved_at: "from_unix(resolved)"}' in resolved
    end = _at(lines, path, 12, "first}", "metrics.dur.params.end")
    assert "'first' is int64, not a timestamp" in end and "`from_unix(first)`" in end
    assert len(lines) == 3


def test_a_share_of_a_count_column_suggests_a_comparison(tmp_path, write_config, cli):
    write_parquet(tmp_path / "t.parquet", [{"id": 1, "reopens": 2}, {"id": 2, "reopens": 0}])
    path = write_config(
        """\
        version: 1
        window: all
        sources: {t: {connector: parquet, path: t.parquet}}
        metrics: {reopened: {calc: share, source: t, params: {match: reopens}}}
        """
    )
    result = cli("validate", "--data", path)
    assert result.exit_code == 2
    message = _at(_lines(result.stderr, path), path, 4, "reopens}", "metrics.reopened.params.match")
    assert "'reopens' is not a condition (it gives int64" in message and "`reopens > 0`" in message


PG_CALLS = [
    # id, day, talk (hh:mm:ss), answered, wait (s), channel
    (1, "2026-02-02", "00:03:10", "Y", 12, "phone"),
    (2, "2026-02-03", "00:05:00", "N", 40, "chat"),
    (3, "2026-02-10", "00:01:30", "Y", 5, "phone"),
]


def test_postgres_sources_get_the_same_checks_from_their_catalogue(postgres_schema, write_config, cli):
    import psycopg

    with psycopg.connect(postgres_schema, autocommit=True) as con:
        con.execute("create table calls (id int, day date, talk time, answered text, wait int, channel text)")
        with con.cursor() as cur:
            cur.executemany("insert into calls values (%s, %s, %s, %s, %s, %s)", PG_CALLS)
    config = f"""\
        version: 1
        window: {{last: 30d}}
        sources:
          pg: {{connector: postgres, dsn: '{postgres_schema}', table: calls, time: wait}}
          down: {{connector: postgres, dsn: 'postgresql://postgres@127.0.0.1:9/test', table: calls}}
        metrics:
          aht: {{calc: mean, source: pg, params: {{column: talk}}}}
          mean_day: {{calc: mean, source: pg, params: {{column: day}}}}
          answered: {{calc: share, source: pg, params: {{match: answered}}}}
          by_channel: {{calc: count, source: pg, by: [chanel]}}
        """
    path = write_config(config)
    result = cli("validate", "--data", path)
    assert result.exit_code == 2 and "Traceback" not in result.output
    lines = _lines(result.stderr, path)
    assert "time column 'wait' holds int32" in _at(lines, path, 4, "wait}", "sources.pg.time")
    assert "cannot be opened" in _at(lines, path, 5, "{connector", "sources.down")
    assert "`seconds(talk)`" in _at(lines, path, 7, "talk}", "metrics.aht.params.column")
    assert "holds dates" in _at(lines, path, 8, "day}", "metrics.mean_day.params.column")
    assert "`answered == 'Y'`" in _at(lines, path, 9, "answered}", "metrics.answered.params.match")
    assert "did you mean 'channel'?" in _at(lines, path, 10, "chanel", "metrics.by_channel.by[0]")
    assert len(lines) == 6
    assert cli("run", path).exit_code == 2

    fixed = write_config(
        f"""\
        version: 1
        window: {{last: 30d}}
        sources:
          pg: {{connector: postgres, dsn: '{postgres_schema}', table: calls, time: day}}
        metrics:
          aht: {{calc: mean, source: pg, params: {{column: "seconds(talk)"}}}}
          last_day: {{calc: max, source: pg, params: {{column: day}}}}
          answered: {{calc: share, source: pg, params: {{match: "answered == 'Y'"}}}}
          by_channel: {{calc: count, source: pg, by: [channel]}}
        """,
        "fixed.yaml",
    )
    checked = cli("validate", "--data", fixed)
    assert checked.exit_code == 0, checked.output
    card = kpiframe.run(fixed, as_of=AS_OF)
    assert card.metric("aht").value == pytest.approx((190 + 300 + 90) / 3)
    assert card.metric("last_day").value == datetime(2026, 2, 10, tzinfo=UTC).timestamp()
    assert card.metric("last_day").unit == "date"
    assert card.metric("answered").value == pytest.approx(200 / 3)
    assert {s.label: s.value for s in card.metric("by_channel").segments} == {"channel=phone": 2, "channel=chat": 1}


def test_validate_data_never_prints_a_secret_of_a_source_that_is_down(write_config, cli):
    path = write_config(
        """\
        version: 1
        window: all
        sources: {pg: {connector: postgres, dsn: '${PG_DSN}', table: calls}}
        metrics: {n: {calc: count, source: pg}}
        """
    )
    result = cli("validate", "--data", path, env={"PG_DSN": "postgresql://kpi:hunter2pw@127.0.0.1:9/test"})
    assert result.exit_code == 3
    assert "hunter2pw" not in result.output
    assert "cannot be opened" in _at(_lines(result.stderr, path), path, 3, "{connector", "sources.pg")


@pytest.mark.parametrize(
    ("column", "function", "present", "wanted"),
    [
        ("yymmdd", "to_date", False, 'derive: {yymmdd_at: "from_unix(yymmdd)"} and time: yymmdd_at'),
        ("yymmdd", "to_date", True, """derive: {yymmdd_at: "to_date(yymmdd, '%y%m%d')"} and time: yymmdd_at"""),
        ("talk", "timestamp", False, "a time of day has no date: name a date or timestamp column"),
        ("talk", "timestamp", True, 'join it to one, derive: {talk_at: "timestamp(day, talk)"} and time: talk_at'),
    ],
)
def test_a_time_column_that_is_not_a_date_gets_a_hint_with_the_functions_the_language_has(
    tmp_path, write_config, cli, monkeypatch, column, function, present, wanted
):
    from kpiframe import expr

    if present:
        monkeypatch.setitem(expr.FUNCTION_DOCS, function, (f"{function}(...)", "", ""))
    else:
        monkeypatch.delitem(expr.FUNCTION_DOCS, function, raising=False)
    write_calls(tmp_path)
    path = write_config(
        f"""\
        version: 1
        window: {{last: 30d}}
        sources: {{calls: {{connector: csv, path: calls.csv, time: {column}}}}}
        metrics: {{n: {{calc: count, source: calls}}}}
        """
    )
    result = cli("validate", "--data", path)
    assert result.exit_code == 2
    assert wanted in _at(_lines(result.stderr, path), path, 3, f"{column}}}", "sources.calls.time")


def test_a_calculator_that_fails_while_planned_is_a_metric_error_for_validate_data_too(tmp_path, write_config, cli):
    write_calls(tmp_path)
    (tmp_path / "broken.py").write_text(
        textwrap.dedent(
            """\
            import kpiframe


            class Broken(kpiframe.Calculator):
                name = "broken"

                def parts(self, table, params, where, window):
                    return {"n": table.count(where=where) / 0 if {}["missing"] else None}

                def finalize(self, parts, params):
                    return kpiframe.Value(1)


            @kpiframe.hookimpl
            def kpiframe_register_calculators():
                return [Broken()]
            """
        )
    )
    path = write_config(
        """\
        version: 1
        window: all
        plugins: [./broken.py]
        sources: {calls: {connector: csv, path: calls.csv}}
        metrics:
          bad: {calc: broken, source: calls}
          n: {calc: count, source: calls}
        """
    )
    result = cli("validate", "--data", path)
    assert result.exit_code == 3
    message = _at(_lines(result.stderr, path), path, 6, "broken", "metrics.bad.calc")
    assert "metric 'bad': calculator broken could not be planned: KeyError" in message
    assert cli("run", path).exit_code == 3


def test_a_date_value_reads_as_a_date_and_its_change_in_days():
    from kpiframe.formatting import delta_text, value_text

    moment = datetime(2026, 2, 10, 9, 30, tzinfo=UTC).timestamp()
    assert value_text(moment, "date") == "2026-02-10"
    assert value_text(moment, "timestamp") == "2026-02-10 09:30:00"
    assert value_text(1e300, "date").endswith(" date")  # beyond the year 9999: a number, never a crash
    assert delta_text(2 * 86400.0, 0.0001, "date", "neutral") == "▲2 d"


def test_hints_name_odd_columns_as_the_config_must_write_them(tmp_path, write_config, cli):
    (tmp_path / "calls.csv").write_text(
        "Call Id,Answered (Y/N),Talk time\nID1,Y,00:02:23\nID2,N,\n", encoding="utf-8"
    )  # the shape of a call-centre export: names with spaces and brackets, Y/N, hh:mm:ss
    path = write_config(
        """\
        version: 1
        window: all
        sources: {calls: {connector: csv, path: calls.csv, columns: {talk_seconds: "`Talk time`"}}}
        metrics:
          answered: {calc: share, source: calls, params: {match: "`Answered (Y/N)`"}}
          talk: {calc: support.call_duration, source: calls}
        """
    )
    result = cli("validate", "--data", path)
    assert result.exit_code == 2
    lines = _lines(result.stderr, path)
    answered = _at(lines, path, 5, '"`Answered', "metrics.answered.params.match")
    assert """compare it: "`Answered (Y/N)` == 'Y'\"""" in answered
    talk = _at(lines, path, 3, '"`Talk', "sources.calls.columns.talk_seconds")
    assert """"columns: {talk_seconds: 'seconds(`Talk time`)'}" on the source""" in talk
