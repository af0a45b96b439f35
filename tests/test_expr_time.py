"""Date and time in the expression language, on real export shapes, on the embedded DuckDB and on PostgreSQL.

The fixtures mimic two public call-centre exports: a bank's tab-separated call log
(dates as YYMMDD integers, times of day as ``h:mm:ss``) and a CSV with a DATE column,
a TIME column and ``hh:mm:ss`` durations. Every expected value is worked out here
with Python's datetime, never by kpiframe.
"""

from __future__ import annotations

from collections import Counter
from datetime import date, datetime, time, timedelta
from statistics import mean
from typing import Any

import ibis
import pytest

import kpiframe
from conftest import AS_OF, require_service
from kpiframe.errors import ExpressionError
from kpiframe.expr import FUNCTION_DOCS, parse, to_ibis


def _clock(seconds: int) -> str:
    """``h:mm:ss`` without a leading zero, as the bank's export writes times of day."""
    return f"{seconds // 3600}:{seconds // 60 % 60:02d}:{seconds % 60:02d}"


def _bank_rows() -> list[dict[str, Any]]:
    """45 calls over February 1999 and early January 2000 (YYMMDD 000105 is the integer 105)."""
    rows = []
    days = [date(1999, 2, 1) + timedelta(days=(i * 5) % 28) for i in range(40)] + [date(2000, 1, 5)] * 5
    for i, day in enumerate(days):
        entry = 6 * 3600 + (i * 2317) % (17 * 3600)  # 6:00 to 23:00
        queue = (i * 37) % 200
        outcome = ("AGENT", "HANG", "PHANTOM")[i % 3]
        rows.append(
            {
                "date": int(day.strftime("%y%m%d")),
                "vru_entry": _clock(entry),
                "q_start": _clock(entry + 10),
                "q_exit": _clock(entry + 10 + queue),
                "q_time": queue,
                "outcome": outcome,
            }
        )
    return rows


BANK = _bank_rows()


def _called_at(row: dict[str, Any]) -> datetime:
    day = datetime.strptime(f"{row['date']:06d}", "%y%m%d").date()
    return datetime.combine(day, datetime.strptime(row["vru_entry"], "%H:%M:%S").time())


def _seconds(text: str) -> int:
    clock = datetime.strptime(text, "%H:%M:%S").time()
    return clock.hour * 3600 + clock.minute * 60 + clock.second


def write_bank_tsv(path: Any) -> Any:
    header = ["vru+line", "call_id", "date", "vru_entry", "q_start", "q_exit", "q_time", "outcome"]
    lines = ["\t".join(header)]
    for i, row in enumerate(BANK):
        cells = ["AA0101", str(30000 + i), str(row["date"]), row["vru_entry"], row["q_start"], row["q_exit"]]
        lines.append("\t".join([*cells, str(row["q_time"]), row["outcome"]]))
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path


BANK_METRICS = """
metrics:
  calls_by_weekday: {calc: count, source: calls, by: ["weekday(called_at)"]}
  calls_by_hour: {calc: count, source: calls, by: ["hour(called_at)"]}
  calls_by_hour_short: {calc: count, source: calls, by: ["hour(timestamp(date, vru_entry))"]}
  calls_by_month: {calc: count, source: calls, by: ["month(to_date(date, '%y%m%d'))"]}
  calls_per_week: {calc: count, source: calls, grain: week}
  queue_wait:
    calc: mean
    source: calls
    where: "outcome == 'AGENT' and q_time > 0"
    params: {column: "seconds(q_exit - q_start)"}
  second_week:
    calc: count
    source: calls
    window: {between: ["1999-02-08", "1999-02-15"]}
  after_noon:
    calc: count
    source: calls
    where: "vru_entry >= '12:00:00' and to_timestamp(date, '%y%m%d') < '2000-01-01'"
"""


def bank_expected() -> dict[str, Any]:
    moments = [_called_at(r) for r in BANK]
    waits = [_seconds(r["q_exit"]) - _seconds(r["q_start"]) for r in BANK if r["outcome"] == "AGENT" and r["q_time"]]
    return {
        "weekday": Counter(m.weekday() for m in moments),
        "hour": Counter(m.hour for m in moments),
        "month": Counter(m.date().replace(day=1) for m in moments),
        "week": Counter((m.date() - timedelta(days=m.weekday())).isoformat() for m in moments),
        "queue_wait": mean(waits),
        "second_week": sum(datetime(1999, 2, 8) <= m < datetime(1999, 2, 15) for m in moments),
        "after_noon": sum(m.time() >= time(12) and m.year == 1999 for m in moments),
    }


def _counts(metric: Any) -> dict[Any, int]:
    """Segment key → n, for segments with rows."""
    return {next(iter(s.key.values())): s.n for s in metric.segments if s.n}


def _plain(key: Any) -> Any:
    return key.date() if isinstance(key, datetime) else key


def check_bank(card: kpiframe.Scorecard, rel: float = 1e-12) -> None:
    expected = bank_expected()
    for metric in card.metrics:
        assert metric.status not in ("error", "no_data"), (metric.id, metric.reason)
    assert _counts(card.metric("calls_by_weekday")) == dict(expected["weekday"])
    assert _counts(card.metric("calls_by_hour")) == dict(expected["hour"])
    assert _counts(card.metric("calls_by_hour_short")) == dict(expected["hour"])
    hours = card.metric("calls_by_hour").segments  # all 24, labelled, the empty ones as no_data
    assert [s.label for s in hours] == [f"hour(called_at)={h:02d}:00" for h in range(24)]
    assert [s.n for s in hours] == [expected["hour"][h] for h in range(24)]
    assert [s.label.split("=")[1] for s in card.metric("calls_by_weekday").segments] == [
        "Mon",
        "Tue",
        "Wed",
        "Thu",
        "Fri",
        "Sat",
        "Sun",
    ]
    assert {_plain(k): n for k, n in _counts(card.metric("calls_by_month")).items()} == dict(expected["month"])
    series = {p.period: p.n for p in card.metric("calls_per_week").series or () if p.n}
    assert series == dict(expected["week"])
    assert card.metric("queue_wait").value == pytest.approx(expected["queue_wait"], rel=rel)
    assert card.metric("second_week").value == expected["second_week"] > 0
    assert card.metric("after_noon").value == expected["after_noon"] > 0


def test_bank_export_dates_and_times_on_the_embedded_duckdb(tmp_path, write_config):
    write_bank_tsv(tmp_path / "calls.txt")
    config = write_config(
        """
        version: 1
        window: all
        sources:
          calls:
            connector: csv
            path: calls.txt
            columns: {called_at: "to_date(date, '%y%m%d') + vru_entry"}
            time: called_at
        """
        + BANK_METRICS.replace("\n", "\n        ")
    )
    card = kpiframe.run(config, as_of=AS_OF)
    check_bank(card)
    assert card.run.scans == 1  # every metric in the one GROUPING SETS query of the fast path: no fallback


PWC = [
    # Date, Time, Answered (Y/N), Speed of answer in seconds, AvgTalkDuration
    (date(2021, 1, 1), time(9, 12, 58), "Y", 109, "00:02:23"),
    (date(2021, 1, 1), time(17, 5, 1), "N", None, None),
    (date(2021, 1, 4), time(10, 0, 0), "Y", 70, "00:04:02"),
    (date(2021, 1, 10), time(11, 30, 0), "Y", 12, "00:01:00"),
    (date(2021, 2, 14), time(9, 59, 59), "Y", 5, "00:06:40"),
    (date(2021, 3, 31), time(12, 0, 0), "N", None, None),
    (date(2021, 3, 1), time(16, 45, 10), "Y", 33, "00:03:30"),
]


def write_pwc_csv(path: Any) -> Any:
    lines = ["Call Id,Agent,Date,Time,Topic,Answered (Y/N),Resolved,Speed of answer in seconds,AvgTalkDuration"]
    for i, (day, clock, answered, speed, talk) in enumerate(PWC):
        speed_text = "" if speed is None else str(speed)
        lines.append(
            f"ID{i:04d},Diane,{day.isoformat()},{clock.isoformat()},Streaming,{answered},Y,{speed_text},{talk or ''}"
        )
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path


PWC_METRICS = """
metrics:
  by_month: {calc: count, source: calls, by: ["month(Date)"]}
  by_week: {calc: count, source: calls, by: ["week(Date)"]}
  by_day: {calc: count, source: calls, by: ["date(Date)"]}
  by_hour: {calc: count, source: calls, by: ["hour(Time)"]}
  talk:
    calc: mean
    source: calls
    where: "`Answered (Y/N)` == 'Y'"
    params: {column: "seconds(AvgTalkDuration)"}
  morning_calls:
    calc: count
    source: calls
    where: "hour(timestamp(Date, Time)) < 12 and weekday(Date + Time) < 5"
"""


def pwc_expected() -> dict[str, Any]:
    talks = [_seconds(t) for _, _, a, _, t in PWC if a == "Y" and t]
    return {
        "month": Counter(d.replace(day=1) for d, *_ in PWC),
        "week": Counter(d - timedelta(days=d.weekday()) for d, *_ in PWC),
        "day": Counter(d for d, *_ in PWC),
        "hour": Counter(t.hour for _, t, *_ in PWC),
        "talk": mean(talks),
        "morning": sum(t.hour < 12 and d.weekday() < 5 for d, t, *_ in PWC),
    }


def check_pwc(card: kpiframe.Scorecard, rel: float = 1e-12) -> None:
    expected = pwc_expected()
    for metric in card.metrics:
        assert metric.status not in ("error", "no_data"), (metric.id, metric.reason)
    for metric_id, name in (("by_month", "month"), ("by_week", "week"), ("by_day", "day"), ("by_hour", "hour")):
        assert {_plain(k): n for k, n in _counts(card.metric(metric_id)).items()} == dict(expected[name]), metric_id
    assert card.metric("talk").value == pytest.approx(expected["talk"], rel=rel)
    assert card.metric("morning_calls").value == expected["morning"]


def test_parts_of_a_date_column_no_longer_crash_on_the_embedded_duckdb(tmp_path, write_config):
    write_pwc_csv(tmp_path / "calls.csv")
    config = write_config(
        "version: 1\nwindow: all\nsources:\n  calls: {connector: csv, path: calls.csv, time: Date}\n" + PWC_METRICS
    )
    card = kpiframe.run(config, as_of=AS_OF)
    check_pwc(card)
    assert card.run.scans == 1


# ---------------------------------------------------------------- PostgreSQL
def _load_postgres(url: str) -> None:
    import psycopg

    with psycopg.connect(url, autocommit=True) as con:
        con.execute(
            "create table bank (date integer, vru_entry time, q_start time, q_exit time, q_time integer,"
            " outcome text, entry_text text)"
        )
        con.execute(
            'create table pwc ("Date" date, "Time" time, "Answered (Y/N)" text,'
            ' "Speed of answer in seconds" integer, "AvgTalkDuration" text)'
        )
        with con.cursor() as cur:
            cur.executemany(
                "insert into bank values (%s, %s, %s, %s, %s, %s, %s)",
                [
                    (r["date"], r["vru_entry"], r["q_start"], r["q_exit"], r["q_time"], r["outcome"], r["vru_entry"])
                    for r in BANK
                ],
            )
            cur.executemany("insert into pwc values (%s, %s, %s, %s, %s)", PWC)


def test_the_same_dates_and_times_are_pushed_down_to_postgres(postgres_schema, write_config, monkeypatch):
    _load_postgres(postgres_schema)
    monkeypatch.setenv("PG_DSN", postgres_schema)
    bank = write_config(
        """
        version: 1
        window: all
        sources:
          calls:
            connector: postgres
            dsn: "${PG_DSN}"
            table: bank
            columns: {called_at: "timestamp(to_date(date, '%y%m%d'), to_time(entry_text))"}
            time: called_at
        """
        + BANK_METRICS.replace("\n", "\n        "),
        "bank.yaml",
    )
    check_bank(kpiframe.run(bank, as_of=AS_OF))
    pwc = write_config(
        'version: 1\nwindow: all\nsources:\n  calls: {connector: postgres, dsn: "${PG_DSN}", table: pwc, time: Date}\n'
        + PWC_METRICS,
        "pwc.yaml",
    )
    check_pwc(kpiframe.run(pwc, as_of=AS_OF))


# ---------------------------------------------------------------- the functions one by one
def _table() -> Any:
    import pandas as pd

    frame = pd.DataFrame(
        {
            "day": [date(1999, 2, 1), date(2000, 1, 5)],
            "clock": [time(7, 2, 47), time(23, 59, 1)],
            "moment": [datetime(1999, 2, 1, 7, 2, 47), datetime(2000, 1, 5, 23, 59, 1)],
            "yymmdd": [990201, 105],
            "hhmmss": [70247, 235901],
            "text": ["7:02:47", "23:59:01"],
            "flag": [True, False],
        }
    )
    return ibis.duckdb.connect().create_table("t", frame)


def _values(text: str) -> list[Any]:
    table = _table()
    return table.select(x=to_ibis(parse(text), table)).to_pyarrow().column("x").to_pylist()


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("to_date(yymmdd, '%y%m%d')", [date(1999, 2, 1), date(2000, 1, 5)]),
        ("to_date(yymmdd)", [date(1999, 2, 1), date(2000, 1, 5)]),
        ("to_date(yymmdd + 19000000)", [date(1999, 2, 1), date(1900, 1, 5)]),  # 8 digits: YYYYMMDD
        ("timestamp(yymmdd, text)", [datetime(1999, 2, 1, 7, 2, 47), datetime(2000, 1, 5, 23, 59, 1)]),
        ("to_timestamp(yymmdd, '%y%m%d')", [datetime(1999, 2, 1), datetime(2000, 1, 5)]),
        ("to_time(hhmmss, '%H%M%S')", [time(7, 2, 47), time(23, 59, 1)]),
        ("to_time(text)", [time(7, 2, 47), time(23, 59, 1)]),
        ("timestamp(day, clock)", [datetime(1999, 2, 1, 7, 2, 47), datetime(2000, 1, 5, 23, 59, 1)]),
        ("clock + day", [datetime(1999, 2, 1, 7, 2, 47), datetime(2000, 1, 5, 23, 59, 1)]),
        ("week(day)", [date(1999, 2, 1), date(2000, 1, 3)]),
        ("month(day)", [date(1999, 2, 1), date(2000, 1, 1)]),
        ("date(day)", [date(1999, 2, 1), date(2000, 1, 5)]),
        ("weekday(day)", [0, 2]),
        ("hour(clock)", [7, 23]),
        ("minute(moment)", [2, 59]),
        ("seconds(clock)", [7 * 3600 + 2 * 60 + 47, 23 * 3600 + 59 * 60 + 1]),
        ("seconds(moment - timestamp(day, '00:00:00'))", [7 * 3600 + 2 * 60 + 47, 23 * 3600 + 59 * 60 + 1]),
        ("seconds(if(flag, moment - moment, null))", [0, None]),
        ("if(flag, null, day)", [None, date(2000, 1, 5)]),
        ("coalesce(if(flag, clock, null), '12:00:00')", [time(7, 2, 47), time(12)]),
        ("clock > '12:00'", [False, True]),
    ],
)
def test_each_date_and_time_function_matches_python(text, expected):
    assert _values(text) == expected


@pytest.mark.parametrize(
    ("text", "message", "hint"),
    [
        ("hour(day)", "a date has no time of day", "timestamp(date_column, time_column)"),
        ("month(clock)", "a time has no date", "timestamp(date_column, time_column)"),
        ("to_timestamp(yymmdd)", "needs a format", "from_unix(x)"),
        ("to_date(text, '%Q')", "unsupported directive '%Q'", "%y"),
        ("seconds(yymmdd)", "seconds() needs a timestamp", "already is one"),
    ],
)
def test_a_part_a_value_does_not_have_is_a_clear_error(text, message, hint):
    with pytest.raises(ExpressionError) as caught:
        to_ibis(parse(text), _table())
    assert message in caught.value.message and hint in (caught.value.hint or "")


def test_every_function_is_documented_with_an_example_that_parses(cli):
    result = cli("explain", "expressions")
    assert result.exit_code == 0
    for name, (signature, _what, example) in FUNCTION_DOCS.items():
        assert signature in result.stdout and example in result.stdout, name
        parse(example)
    for name in ("to_timestamp", "to_date", "to_time", "timestamp", "week", "month", "hour", "weekday", "seconds"):
        assert name in FUNCTION_DOCS


def test_seconds_of_a_postgres_interval_and_of_a_difference_are_exact(postgres_schema, write_config, monkeypatch):
    import psycopg

    handles = [timedelta(days=1, hours=2, minutes=3, seconds=4.5), timedelta(seconds=90), timedelta(minutes=7)]
    with psycopg.connect(postgres_schema, autocommit=True) as con:
        con.execute("create table work (handle interval, opened timestamp, closed timestamp, since time, till time)")
        with con.cursor() as cur:
            cur.executemany(
                "insert into work values (%s, %s, %s, %s, %s)",
                [
                    (h, datetime(2026, 1, 1, 10), datetime(2026, 1, 1, 10) + h, time(7, i), time(8, 2 * i))
                    for i, h in enumerate(handles)
                ],
            )
    monkeypatch.setenv("PG_DSN", postgres_schema)
    config = write_config(
        'version: 1\nwindow: all\nsources:\n  work: {connector: postgres, dsn: "${PG_DSN}", table: work}\n'
        "metrics:\n"
        '  handle: {calc: sum, source: work, params: {column: "seconds(handle)"}}\n'
        '  span: {calc: sum, source: work, params: {column: "seconds(closed - opened)"}}\n'
        '  shift: {calc: sum, source: work, params: {column: "seconds(till - since)"}}\n'
    )
    card = kpiframe.run(config, as_of=AS_OF)
    total = sum(h.total_seconds() for h in handles)
    assert card.metric("handle").value == pytest.approx(total, rel=1e-12)
    assert card.metric("span").value == pytest.approx(total, rel=1e-12)
    assert card.metric("shift").value == sum(3600 + 60 * i for i in range(len(handles)))


@pytest.mark.parametrize("name", ["to_date", "timestamp", "hour()"])
def test_explain_names_one_function_with_its_example(cli, name):
    result = cli("explain", name)
    signature, what, example = FUNCTION_DOCS[name.removesuffix("()")]
    assert result.exit_code == 0
    assert signature in result.stdout and what in result.stdout and example in result.stdout


# ---------------------------------------------------------------- MariaDB
@pytest.fixture
def mariadb_tables():
    """The bank's and the CSV's calls as two tables on the local MariaDB, dropped afterwards."""
    import uuid

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
    suffix = uuid.uuid4().hex[:8]
    bank, pwc = f"bank_{suffix}", f"pwc_{suffix}"
    cur = con.cursor()
    cur.execute(
        f"create table {bank} (date int, vru_entry time, q_start time, q_exit time, q_time int, outcome varchar(10))"
    )
    cur.executemany(
        f"insert into {bank} values (%s, %s, %s, %s, %s, %s)",
        [(r["date"], r["vru_entry"], r["q_start"], r["q_exit"], r["q_time"], r["outcome"]) for r in BANK],
    )
    cur.execute(
        f"create table {pwc} (`Date` date, `Time` time, `Answered (Y/N)` varchar(1),"
        " `Speed of answer in seconds` int, `AvgTalkDuration` varchar(8))"
    )
    cur.executemany(f"insert into {pwc} values (%s, %s, %s, %s, %s)", PWC)
    con.commit()
    try:
        yield bank, pwc
    finally:
        cur.execute(f"drop table {bank}")
        cur.execute(f"drop table {pwc}")
        con.close()


@pytest.mark.filterwarnings("ignore:Unable to set session timezone")
def test_the_same_dates_and_times_are_pushed_down_to_mariadb(mariadb_tables, write_config):
    bank_table, pwc_table = mariadb_tables
    dsn = "mysql://root@127.0.0.1:3306/test"
    bank = write_config(
        f"""
        version: 1
        window: all
        sources:
          calls:
            connector: mysql
            dsn: "{dsn}"
            table: {bank_table}
            columns: {{called_at: "timestamp(date, vru_entry)"}}
            time: called_at
        """
        + BANK_METRICS.replace("\n", "\n        "),
        "bank.yaml",
    )
    # MySQL's AVG of exact numbers is a DECIMAL with four more places: equal to 1e-9, not to the last bit.
    check_bank(kpiframe.run(bank, as_of=AS_OF), rel=1e-9)
    pwc = write_config(
        f"version: 1\nwindow: all\nsources:\n  calls: {{connector: mysql, dsn: '{dsn}', table: {pwc_table}, time: Date}}\n"
        + PWC_METRICS,
        "pwc.yaml",
    )
    check_pwc(kpiframe.run(pwc, as_of=AS_OF), rel=1e-9)
