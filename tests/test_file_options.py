"""File options: how CSV, JSON and Parquet exports are read (separators, encodings, types, formats, globs).

Every fixture is written by the test; expected values come from Python's own
``csv`` and ``datetime`` reading the same text.
"""

from __future__ import annotations

import csv
import io
import json
from datetime import datetime
from pathlib import Path

import pytest

import kpiframe
from conftest import AS_OF, write_parquet

HEADER = ["ticket", "opened", "zip", "channel", "wait"]
ROWS = [
    ["1", "30/01/2026 23:50", "01234", "email", "12"],
    ["2", "31/01/2026 08:00", "10115", "chat", "N/A"],
    ["3", "01/02/2026 00:10", "01234", "phone", "30"],
    ["4", "02/02/2026 13:00", "00501", "chat", "6"],
]


def csv_text(rows: list[list[str]], delimiter: str = ",") -> str:
    out = io.StringIO()
    csv.writer(out, delimiter=delimiter, lineterminator="\n").writerows([HEADER, *rows])
    return out.getvalue()


def card_for(write_config, source: str, metrics: str, window: str = "all") -> kpiframe.Scorecard:
    config = write_config(f"version: 1\nwindow: {window}\nsources:\n  t: {source}\nmetrics:\n{metrics}")
    return kpiframe.run(config, as_of=AS_OF)


def segments(card: kpiframe.Scorecard, metric: str) -> dict[str, float | None]:
    return {s.label: s.value for s in card.metric(metric).segments}


@pytest.mark.parametrize(("written", "char"), [("tab", "\t"), ("pipe", "|"), ("';'", ";")])
def test_delimiter_takes_a_character_or_a_name_such_as_tab(tmp_path, write_config, written, char):
    (tmp_path / "t.csv").write_text(csv_text(ROWS, char))
    card = card_for(
        write_config,
        f"{{connector: csv, path: t.csv, delimiter: {written}, null_values: ['N/A']}}",
        "  n: {calc: count, source: t, by: [channel]}\n  wait: {calc: mean, source: t, params: {column: wait}}\n",
    )
    assert segments(card, "n") == {"channel=chat": 2, "channel=email": 1, "channel=phone": 1}
    waits = [float(r[4]) for r in ROWS if r[4] != "N/A"]
    assert card.metric("wait").value == pytest.approx(sum(waits) / len(waits))


def test_a_delimiter_that_is_neither_one_character_nor_a_name_is_a_config_error(tmp_path, write_config, cli):
    (tmp_path / "t.csv").write_text(csv_text(ROWS))
    config = write_config(
        "version: 1\nsources:\n  t: {connector: csv, path: t.csv, delimiter: tabs}\nmetrics:\n"
        "  n: {calc: count, source: t}\n"
    )
    result = cli("validate", config)
    assert result.exit_code == 2
    assert "kpis.yaml:3:47: sources.t.delimiter: expected one character, or tab, comma" in result.output


def test_header_false_names_the_columns_column0_column1(tmp_path, write_config):
    (tmp_path / "t.csv").write_text(csv_text(ROWS).split("\n", 1)[1])  # no header line
    card = card_for(
        write_config,
        "{connector: csv, path: t.csv, header: false}",
        "  n: {calc: count, source: t, by: [column3]}\n",
    )
    assert card.metric("n").value == len(ROWS)
    assert segments(card, "n") == {"column3=chat": 2, "column3=email": 1, "column3=phone": 1}


def test_encoding_latin1_reads_accented_names_and_without_it_the_error_says_so(tmp_path, write_config, cli):
    (tmp_path / "t.csv").write_bytes("agent;n\nJosé;1\nZoë;2\nJosé;3\n".encode("latin-1"))
    card = card_for(
        write_config, "{connector: csv, path: t.csv, encoding: latin-1}", "  n: {calc: count, source: t, by: [agent]}\n"
    )
    assert segments(card, "n") == {"agent=José": 2, "agent=Zoë": 1}
    config = write_config(
        "version: 1\nsources:\n  t: {connector: csv, path: t.csv}\nmetrics:\n  n: {calc: count, source: t}\n"
    )
    result = cli("run", config)
    assert result.exit_code == 3
    assert "not UTF-8 text; say its encoding, e.g. `encoding: latin-1`" in result.output


def test_types_keep_leading_zeros_and_override_detection(tmp_path, write_config):
    (tmp_path / "t.csv").write_text(csv_text(ROWS))
    card = card_for(
        write_config,
        "{connector: csv, path: t.csv, types: {zip: text, ticket: number}, null_values: ['N/A']}",
        "  n: {calc: count, source: t, by: [zip]}\n  ids: {calc: sum, source: t, params: {column: ticket}}\n",
    )
    assert segments(card, "n") == {"zip=00501": 1, "zip=01234": 2, "zip=10115": 1}
    assert card.metric("ids").value == 10.0


def test_types_naming_a_missing_column_is_a_source_error_naming_it(tmp_path, write_config, cli):
    (tmp_path / "t.csv").write_text(csv_text(ROWS))
    for connector, path in (("csv", "t.csv"), ("parquet", "t.parquet")):
        write_parquet(tmp_path / "t.parquet", [{"ticket": 1}])
        config = write_config(
            f"version: 1\nsources:\n  t: {{connector: {connector}, path: {path}, types: {{zipcode: text}}}}\n"
            "metrics:\n  n: {calc: count, source: t}\n"
        )
        result = cli("run", config)
        assert result.exit_code == 3, result.output
        assert "zipcode" in result.output and "types:" in result.output


def window_count(rows: list[list[str]], start: datetime, end: datetime) -> int:
    return sum(1 for r in rows if start <= datetime.strptime(r[1], "%d/%m/%Y %H:%M") < end)


def test_timestamp_format_reads_day_first_times_for_windows(tmp_path, write_config):
    (tmp_path / "t.csv").write_text(csv_text(ROWS))
    card = card_for(
        write_config,
        "{connector: csv, path: t.csv, time: opened, timestamp_format: '%d/%m/%Y %H:%M'}",
        "  n: {calc: count, source: t}\n",
        window="{between: ['2026-01-31', '2026-02-02']}",
    )
    assert card.metric("n").value == window_count(ROWS, datetime(2026, 1, 31), datetime(2026, 2, 2)) == 2


def test_date_format_reads_dotted_dates(tmp_path, write_config):
    (tmp_path / "t.csv").write_text("day,n\n31.01.2026,1\n01.02.2026,2\n28.02.2026,3\n01.03.2026,4\n")
    card = card_for(
        write_config,
        "{connector: csv, path: t.csv, time: day, date_format: '%d.%m.%Y'}",
        "  n: {calc: sum, source: t, params: {column: n}}\n",
        window="{calendar: previous_month}",
    )
    assert card.metric("n").value == 2 + 3  # February 2026; as-of is 2026-03-01


def test_json_lines_types_and_timestamp_format(tmp_path, write_config):
    records = [{"ticket": r[0], "opened": r[1], "zip": r[2]} for r in ROWS]
    (tmp_path / "t.jsonl").write_text("\n".join(json.dumps(r) for r in records) + "\n")
    card = card_for(
        write_config,
        "{connector: jsonl, path: t.jsonl, time: opened, types: {opened: timestamp, ticket: integer},"
        " timestamp_format: '%d/%m/%Y %H:%M'}",
        "  n: {calc: count, source: t}\n  ids: {calc: sum, source: t, params: {column: ticket}}\n",
        window="{between: ['2026-01-31', '2026-02-02']}",
    )
    inside = [
        r for r in ROWS if datetime(2026, 1, 31) <= datetime.strptime(r[1], "%d/%m/%Y %H:%M") < datetime(2026, 2, 2)
    ]
    assert card.metric("n").value == len(inside) == 2
    assert card.metric("ids").value == sum(int(r[0]) for r in inside)


def records_in(text: str) -> int:
    """What a person counts: the rows below the header with any field that is not empty."""
    return sum(1 for row in list(csv.reader(io.StringIO(text)))[1:] if any(field.strip() for field in row))


def test_an_all_empty_row_is_not_a_record_unless_skip_blank_rows_is_false(tmp_path, write_config):
    text = csv_text(ROWS[:2]) + ",,,,\n" + csv_text(ROWS[2:]).split("\n", 1)[1] + " , ,,,\n"
    (tmp_path / "t.csv").write_text(text)
    metrics = "  n: {calc: count, source: t}\n"
    kept = card_for(write_config, "{connector: csv, path: t.csv, null_values: ['N/A']}", metrics)
    assert kept.metric("n").value == records_in(text) == 4
    raw = card_for(write_config, "{connector: csv, path: t.csv, skip_blank_rows: false}", metrics)
    assert raw.metric("n").value == len(text.strip("\n").split("\n")) - 1 == 6


def test_a_glob_reads_every_matching_csv_as_one_source_even_with_columns_reordered(tmp_path, write_config):
    data = tmp_path / "data"
    data.mkdir()
    (data / "2026-01.csv").write_text(csv_text(ROWS[:2]))
    reordered = [[r[3], r[0], r[1], r[2], r[4]] for r in ROWS[2:]]
    (data / "2026-02.csv").write_text(
        "channel,ticket,opened,zip,wait\n" + "\n".join(",".join(r) for r in reordered) + "\n"
    )
    (data / "2025-12.txt").write_text(csv_text(ROWS))  # not matched
    card = card_for(
        write_config,
        "{connector: csv, path: 'data/2026-*.csv', types: {zip: text}}",
        "  n: {calc: count, source: t, by: [channel]}\n  zips: {calc: distinct_count, source: t, params: {column: zip}}\n",
    )
    assert segments(card, "n") == {"channel=chat": 2, "channel=email": 1, "channel=phone": 1}
    assert card.metric("zips").value == len({r[2] for r in ROWS}) == 3


def test_a_glob_reads_every_matching_parquet_file_as_one_source(tmp_path, write_config):
    for month, rows in (("01", [{"x": 1}, {"x": 2}]), ("02", [{"x": 40}])):
        write_parquet(tmp_path / f"2026-{month}.parquet", rows)
    card = card_for(
        write_config,
        "{connector: parquet, path: '2026-*.parquet'}",
        "  s: {calc: sum, source: t, params: {column: x}}\n",
    )
    assert card.metric("s").value == 43


def test_a_glob_that_matches_nothing_is_a_source_error_naming_the_pattern(tmp_path, write_config, cli):
    config = write_config(
        "version: 1\nsources:\n  t: {connector: csv, path: 'data/2026-*.csv'}\nmetrics:\n  n: {calc: count, source: t}\n"
    )
    result = cli("run", config)
    assert result.exit_code == 3
    assert "no file matches 'data/2026-*.csv'" in result.output


def test_option_values_and_column_names_reach_the_sql_quoted(tmp_path, write_config):
    # a quote in a null marker and in a column name cannot end the literal or the identifier
    (tmp_path / "t.csv").write_text('"it\'s ""odd""",n\n1,it\'s\n2,3\n')
    card = card_for(
        write_config,
        """{connector: csv, path: t.csv, null_values: ["it's"], types: {'it''s "odd"': text}}""",
        "  s: {calc: sum, source: t, params: {column: n}}\n  k: {calc: distinct_count, source: t, params: {column: '`it''s \"odd\"`'}}\n",
    )
    assert card.metric("s").value == 3
    assert card.metric("k").value == 2


def test_file_sources_still_refuse_what_is_not_a_regular_file(tmp_path, write_config, cli):
    (tmp_path / "folder.csv").mkdir()
    config = write_config(
        "version: 1\nsources:\n  t: {connector: csv, path: '*.csv', delimiter: tab}\nmetrics:\n"
        "  n: {calc: count, source: t}\n"
    )
    result = cli("run", config)
    assert result.exit_code == 3
    assert "is a folder; a source reads regular files" in result.output


def test_the_options_are_documented_in_the_guide():
    guide = (Path(__file__).parents[1] / "docs" / "config-guide.md").read_text()
    for option in ("delimiter", "header", "encoding", "null_values", "types", "timestamp_format", "date_format"):
        assert f"`{option}" in guide, option
    assert "skip_blank_rows" in guide


def test_a_yymmdd_date_column_is_read_as_a_date_with_date_format(tmp_path, write_config):
    # the call-centre export that needed a 15-line days-from-civil formula
    rows = [("990101", "00:05:10", "AGENT"), ("990131", "23:59:59", "HANG"), ("990201", "00:00:00", "AGENT")]
    (tmp_path / "t.csv").write_text("vru_date,vru_entry,outcome\n" + "".join(f"{','.join(r)}\n" for r in rows))
    card = card_for(
        write_config,
        "{connector: csv, path: t.csv, date_format: '%y%m%d', time: called_at,"
        ' derive: {called_at: "from_unix(seconds(vru_date) + seconds(vru_entry))"}}',
        "  n: {calc: count, source: t, by: [outcome]}\n",
        window="{between: ['1999-01-01', '1999-02-01']}",
    )
    inside = [r for r in rows if datetime.strptime(r[0] + r[1], "%y%m%d%H:%M:%S") < datetime(1999, 2, 1)]
    assert card.metric("n").value == len(inside) == 2
    assert segments(card, "n") == {"outcome=AGENT": 1, "outcome=HANG": 1}


def test_parquet_types_cast_a_column_for_metrics_and_keys(tmp_path, write_config):
    write_parquet(
        tmp_path / "t.parquet",
        [{"code": 7, "day": "2026-02-03"}, {"code": 7, "day": "2026-02-04"}, {"code": 12, "day": "2026-02-04"}],
    )
    card = card_for(
        write_config,
        "{connector: parquet, path: t.parquet, types: {code: text, day: date}, time: day}",
        "  n: {calc: count, source: t, by: [code]}\n",
        window="{between: ['2026-02-04', '2026-02-05']}",
    )
    assert segments(card, "n") == {"code=7": 1, "code=12": 1}
