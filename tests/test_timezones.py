"""Time zones, one rule (engine/windows.py): windows, hours and weekdays in the reporting zone.

A call log in Asia/Jerusalem (UTC+2, UTC+3 from 27 March 2026), with calls placed
minutes from the edges of weeks in both zones. Expected counts come from pandas
and zoneinfo on the same wall-clock times, not from kpiframe.
"""

from __future__ import annotations

from datetime import UTC, datetime
from zoneinfo import ZoneInfo

import pandas as pd
import pytest

import kpiframe
from conftest import write_parquet

LOCAL = "Asia/Jerusalem"
#: Naive wall-clock times in Jerusalem; each call's weight is a power of two, so a sum names its calls.
CALLS = [
    "2026-02-22 23:30",  # Sunday night: the week before, in either zone
    "2026-02-23 00:30",  # Monday 00:30 local = Sunday 22:30 UTC
    "2026-02-23 01:59",  # Sunday 23:59 UTC
    "2026-02-23 02:30",  # Monday 00:30 UTC
    "2026-03-01 23:30",  # Sunday 21:30 UTC
    "2026-03-02 00:30",  # Monday local, Sunday UTC
    "2026-03-02 01:30",
    "2026-03-02 02:30",  # Monday in both
    "2026-03-29 23:30",  # after the switch to summer time (UTC+3): Sunday 20:30 UTC
    "2026-03-30 00:30",  # Monday local, Sunday 21:30 UTC
    "2026-03-30 03:30",  # Monday 00:30 UTC
]
WEIGHTS = [2**i for i in range(len(CALLS))]


def frame() -> pd.DataFrame:
    local = pd.to_datetime(pd.Series(CALLS)).dt.tz_localize(LOCAL)
    return pd.DataFrame({"local": local, "utc": local.dt.tz_convert("UTC"), "n": WEIGHTS})


def weight_between(clock: str, start: str, end: str) -> int:
    """Σ weights of the calls whose time in ``clock`` ('local' or 'utc') is in [start, end)."""
    data = frame()
    zone = LOCAL if clock == "local" else "UTC"
    lo, hi = (pd.Timestamp(t).tz_localize(zone) for t in (start, end))
    return int(data.loc[(data[clock] >= lo) & (data[clock] < hi), "n"].sum())


@pytest.fixture
def calls_csv(tmp_path):
    text = "called_at,n\n" + "".join(f"{t}:00,{w}\n" for t, w in zip(CALLS, WEIGHTS))
    (tmp_path / "calls.csv").write_text(text)
    return tmp_path / "calls.csv"


def run(
    write_config, head: str, as_of: str, window: str, source_extra: str = "", metrics: str = ""
) -> kpiframe.Scorecard:
    config = write_config(
        f"version: 1\n{head}window: {window}\nsources:\n"
        f"  calls: {{connector: csv, path: calls.csv, time: called_at{source_extra}}}\n"
        "metrics:\n  s: {calc: sum, source: calls, params: {column: n}}\n" + metrics
    )
    return kpiframe.run(config, as_of=datetime.fromisoformat(as_of))


def test_a_source_timezone_alone_puts_the_week_edges_at_its_midnight(calls_csv, write_config):
    card = run(write_config, "", "2026-03-03T12:00:00+00:00", "{calendar: previous_week}", f", timezone: {LOCAL}")
    expected = weight_between("local", "2026-02-23", "2026-03-02")
    assert expected != weight_between("utc", "2026-02-23", "2026-03-02")  # the rows tell the two rules apart
    assert card.metric("s").value == expected
    assert card.run.window.label == "previous week (2026-02-23 to 2026-03-02)"


def test_a_week_across_the_switch_to_summer_time_ends_at_local_midnight(calls_csv, write_config):
    card = run(write_config, "", "2026-03-31T12:00:00+00:00", "{calendar: previous_week}", f", timezone: {LOCAL}")
    assert card.metric("s").value == weight_between("local", "2026-03-23", "2026-03-30")


@pytest.mark.parametrize(
    ("head", "window", "clock"),
    [
        # windows in UTC: the top level says so, or the times carry the offset
        ("timezone: UTC\n", "{calendar: previous_week}", "utc"),
        ("", "{between: ['2026-02-23T00:00:00Z', '2026-03-02T00:00:00Z']}", "utc"),
        ("timezone: UTC\n", "{between: ['2026-02-23', '2026-03-02']}", "utc"),
        # windows in local time: the source's zone, the top level's, or the offset
        ("", "{between: ['2026-02-23', '2026-03-02']}", "local"),
        (f"timezone: {LOCAL}\n", "{calendar: previous_week}", "local"),
        ("timezone: UTC\n", "{between: ['2026-02-23T00:00:00+02:00', '2026-03-02T00:00:00+02:00']}", "local"),
    ],
)
def test_windows_given_in_utc_or_in_local_time_count_the_calls_pandas_counts(
    calls_csv, write_config, head, window, clock
):
    card = run(write_config, head, "2026-03-03T12:00:00+00:00", window, f", timezone: {LOCAL}")
    assert card.metric("s").value == weight_between(clock, "2026-02-23", "2026-03-02")


HOURS = [f"{h:02d}:00" for h in range(24)]
WEEKDAYS = ["Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun"]


def complete(key: str, sums: pd.Series) -> dict[str, int | None]:
    """Every hour or weekday as kpiframe labels it, the ones without calls as no data (None)."""
    labels = HOURS if key == "hour" else WEEKDAYS
    found = {int(k): int(v) for k, v in sums.items()}
    return {f"{key}(called_at)={label}": found.get(number) for number, label in enumerate(labels)}


def keyed(clock: str, key: str) -> dict[str, int | None]:
    data = frame()
    values = data[clock].dt.hour if key == "hour" else data[clock].dt.day_of_week
    return complete(key, data.groupby(values)["n"].sum())


@pytest.mark.parametrize(
    ("head", "clock"), [("timezone: UTC\n", "utc"), ("", "local"), (f"timezone: {LOCAL}\n", "local")]
)
def test_hour_weekday_and_day_keys_read_the_clock_of_the_reporting_zone(calls_csv, write_config, head, clock):
    metrics = (
        '  by_hour: {calc: sum, source: calls, params: {column: n}, by: ["hour(called_at)"], max_segments: 100}\n'
        '  by_day: {calc: sum, source: calls, params: {column: n}, by: ["weekday(called_at)"]}\n'
        "  daily: {calc: sum, source: calls, params: {column: n}, grain: day, window: {between: ['2026-03-01', '2026-03-03']}}\n"
    )
    card = run(write_config, head, "2026-04-01T00:00:00+00:00", "all", f", timezone: {LOCAL}", metrics)
    assert card.run.queries == 1  # converted clocks are part of the source's one scan
    assert {s.label: s.value for s in card.metric("by_hour").segments} == keyed(clock, "hour")
    assert {s.label: s.value for s in card.metric("by_day").segments} == keyed(clock, "weekday")
    data = frame()
    days = data[clock].dt.strftime("%Y-%m-%d")
    expected = {day: int(data.loc[days == day, "n"].sum()) for day in ("2026-03-01", "2026-03-02")}
    assert {p.period: p.value for p in card.metric("daily").series if p.value} == {
        d: v for d, v in expected.items() if v
    }


def test_zone_aware_timestamps_are_instants_read_on_the_reporting_clock(tmp_path, write_config):
    instants = [datetime.fromisoformat(t).replace(tzinfo=ZoneInfo(LOCAL)).astimezone(UTC) for t in CALLS]
    write_parquet(tmp_path / "calls.parquet", [{"called_at": t, "n": w} for t, w in zip(instants, WEIGHTS)])
    config = write_config(
        f"version: 1\ntimezone: {LOCAL}\nwindow: {{calendar: previous_week}}\nsources:\n"
        "  calls: {connector: parquet, path: calls.parquet, time: called_at}\n"
        "metrics:\n  s: {calc: sum, source: calls, params: {column: n}}\n"
        '  h: {calc: sum, source: calls, params: {column: n}, by: ["hour(called_at)"], max_segments: 100}\n'
    )
    card = kpiframe.run(config, as_of=datetime(2026, 3, 3, 12, tzinfo=UTC))
    assert card.metric("s").value == weight_between("local", "2026-02-23", "2026-03-02")
    data = frame()
    inside = data[
        (data["local"] >= pd.Timestamp("2026-02-23", tz=LOCAL)) & (data["local"] < pd.Timestamp("2026-03-02", tz=LOCAL))
    ]
    hours = complete("hour", inside.groupby(inside["local"].dt.hour)["n"].sum())
    assert {s.label: s.value for s in card.metric("h").segments} == hours


def test_a_top_level_zone_is_how_naive_times_of_a_source_without_one_are_read(calls_csv, write_config):
    card = run(write_config, f"timezone: {LOCAL}\n", "2026-03-03T12:00:00+00:00", "{calendar: previous_week}")
    assert card.metric("s").value == weight_between("local", "2026-02-23", "2026-03-02")


def test_validate_warns_where_a_source_zone_and_the_reporting_zone_differ(calls_csv, write_config, cli):
    def validate(head: str, extra: str) -> tuple[int, str]:
        config = write_config(
            f"version: 1\n{head}sources:\n  calls: {{connector: csv, path: calls.csv, time: called_at{extra}}}\n"
            "  other: {connector: csv, path: calls.csv, time: called_at, timezone: Europe/London}\n"
            "metrics:\n  s: {calc: count, source: calls}\n"
        )
        result = cli("validate", config)
        return result.exit_code, result.output

    code, text = validate("timezone: UTC\n", f", timezone: {LOCAL}")
    assert code == 0
    assert (
        "warning: " in text
        and "kpis.yaml:4:71: sources.calls.timezone: source 'calls' has naive times in Asia/Jerusalem, but windows,"
        " hours and weekdays are in UTC (the top-level `timezone:`)"
        in text
    )
    code, text = validate("", f", timezone: {LOCAL}")
    assert code == 0
    assert "the sources name different time zones (Asia/Jerusalem, Europe/London) and the config none" in text
    code, text = validate(f"timezone: {LOCAL}\n", f", timezone: {LOCAL}")
    assert code == 0 and "warning" not in text  # `other` has no metric: its zone changes nothing


def test_zones_agree_on_postgres(postgres_schema, write_config, monkeypatch):
    import psycopg

    with psycopg.connect(postgres_schema, autocommit=True) as con:
        con.execute("create table calls (called_at timestamp, n bigint)")
        with con.cursor() as cur:
            cur.executemany(
                "insert into calls values (%s, %s)", [(datetime.fromisoformat(t), w) for t, w in zip(CALLS, WEIGHTS)]
            )
    monkeypatch.setenv("PG_DSN", postgres_schema)
    for head, clock in (("timezone: UTC\n", "utc"), ("", "local")):
        config = write_config(
            f"version: 1\n{head}window: {{calendar: previous_week}}\nsources:\n"
            f'  calls: {{connector: postgres, dsn: "${{PG_DSN}}", table: calls, time: called_at, timezone: {LOCAL}}}\n'
            "metrics:\n  s: {calc: sum, source: calls, params: {column: n}}\n"
            '  h: {calc: sum, source: calls, params: {column: n}, by: ["hour(called_at)"], max_segments: 100}\n'
        )
        card = kpiframe.run(config, as_of=datetime(2026, 3, 3, 12, tzinfo=UTC))
        assert card.metric("s").value == weight_between(clock, "2026-02-23", "2026-03-02"), clock
        data = frame()
        zone = "UTC" if clock == "utc" else LOCAL
        lo, hi = pd.Timestamp("2026-02-23", tz=zone), pd.Timestamp("2026-03-02", tz=zone)
        inside = data[(data[clock] >= lo) & (data[clock] < hi)]
        hours = complete("hour", inside.groupby(inside[clock].dt.hour)["n"].sum())
        assert {s.label: s.value for s in card.metric("h").segments} == hours, clock


def test_an_as_of_without_an_offset_on_the_command_line_is_a_time_in_the_scorecards_zone(calls_csv, write_config, cli):
    import json

    config = write_config(
        "version: 1\nwindow: {last: 1d}\nsources:\n"
        f"  calls: {{connector: csv, path: calls.csv, time: called_at, timezone: {LOCAL}}}\n"
        "metrics:\n  s: {calc: sum, source: calls, params: {column: n}}\n"
    )
    result = cli("run", config, "--as-of", "2026-03-02T01:00:00", "--format", "json")
    assert result.exit_code == 0, result.output
    (metric,) = json.loads(result.stdout)["metrics"]
    expected = weight_between("local", "2026-03-01T01:00", "2026-03-02T01:00")
    assert expected != weight_between("utc", "2026-03-01T01:00", "2026-03-02T01:00")
    assert metric["value"] == expected


@pytest.mark.parametrize(("head", "clock"), [("timezone: UTC\n", "utc"), ("", "local")])
def test_a_derived_time_column_from_a_date_and_a_time_follows_the_same_rule(tmp_path, write_config, head, clock):
    text = "call_date,call_time,n\n" + "".join(f"{t.replace(' ', ',')}:00,{w}\n" for t, w in zip(CALLS, WEIGHTS))
    (tmp_path / "calls.csv").write_text(text)
    config = write_config(
        f"version: 1\n{head}window: {{calendar: previous_week}}\nsources:\n  calls:\n    connector: csv\n"
        f"    path: calls.csv\n    time: called_at\n    timezone: {LOCAL}\n"
        '    derive: {called_at: "from_unix(seconds(call_date) + seconds(call_time))"}\n'
        "metrics:\n  s: {calc: sum, source: calls, params: {column: n}}\n"
    )
    card = kpiframe.run(config, as_of=datetime(2026, 3, 3, 12, tzinfo=UTC))
    assert card.metric("s").value == weight_between(clock, "2026-02-23", "2026-03-02")


def test_a_source_without_a_zone_reads_its_times_in_the_zone_another_source_names(calls_csv, write_config, cli):
    config = write_config(
        "version: 1\nwindow: {calendar: previous_week}\nsources:\n"
        f"  named: {{connector: csv, path: calls.csv, time: called_at, timezone: {LOCAL}}}\n"
        "  plain: {connector: csv, path: calls.csv, time: called_at}\n"
        "metrics:\n  a: {calc: sum, source: named, params: {column: n}}\n"
        "  b: {calc: sum, source: plain, params: {column: n}}\n"
    )
    card = kpiframe.run(config, as_of=datetime(2026, 3, 3, 12, tzinfo=UTC))
    expected = weight_between("local", "2026-02-23", "2026-03-02")
    assert card.metric("a").value == card.metric("b").value == expected
    result = cli("validate", config)
    assert result.exit_code == 0 and "warning" not in result.output
