"""Text from configs and data is made safe for where it is printed: no terminal escapes,
valid XML whatever the data holds, and no spreadsheet formulas in CSV cells."""

from __future__ import annotations

import csv
import io
from datetime import datetime
from pathlib import Path

import pytest
import xmlschema

from conftest import write_parquet

XSD = Path(__file__).parent / "fixtures" / "junit.xsd"
HOSTILE = [
    "\x1b[2J\x1b]0;pwned\x07red",
    '=HYPERLINK("http://evil","x")',
    "+1+1",
    "@SUM(A1)",
    "-2+3",
    "bell\x07\x08\x01",
    "invoice\u202egpj.exe",
    "ok",
]


@pytest.fixture
def config(tmp_path, write_config):
    rows = [
        {"created_at": datetime(2026, 2, 10, i), "channel": channel, "wait": float(i)}
        for i, channel in enumerate(HOSTILE)
    ]
    data = write_parquet(tmp_path / "t.parquet", rows)
    return write_config(f"""
        version: 1
        title: "Title with \\x1b[31m escape"
        as_of: "2026-03-01T00:00:00Z"
        window: {{last: 30d}}
        sources:
          t: {{connector: parquet, path: {data}, time: created_at}}
        metrics:
          wait: {{calc: mean, source: t, params: {{column: wait}}, by: [channel], target: "<= 100", title: "=2+5"}}
        """)


def test_the_terminal_table_shows_control_characters_instead_of_obeying_them(config, cli):
    out = cli("run", config, "--no-color").stdout
    assert "\x1b" not in out and "\x07" not in out and "\x08" not in out and "\x01" not in out
    assert "\\x1b[2J\\x1b]0;pwned\\x07red" in out and "Title with \\x1b[31m escape" in out
    # A right-to-left override would show "invoiceexe.jpg" on the terminal.
    assert "\u202e" not in out and "invoice\\u202egpj.exe" in out


def test_junit_is_valid_xml_whatever_the_data_holds(config, cli, tmp_path):
    out = tmp_path / "report.xml"
    assert cli("run", config, "-o", out).exit_code == 0
    xmlschema.XMLSchema(XSD).validate(out)
    names = [case["@name"] for case in xmlschema.XMLSchema(XSD).to_dict(out)["testsuite"][0]["testcase"]]
    assert any("bell\\x07\\x08\\x01" in name for name in names)


def test_csv_cells_that_a_spreadsheet_would_run_are_neutralised(config, cli, tmp_path):
    out = tmp_path / "card.csv"
    assert cli("run", config, "-o", out).exit_code == 0
    rows = list(csv.DictReader(io.StringIO(out.read_text())))
    assert {row["title"] for row in rows} == {"'=2+5"}
    labels = {row["segment"] for row in rows if row["segment"]}
    assert "channel=-2+3" in labels  # starts with "c": harmless, left as it is
    assert all(row["value"] == "" or float(row["value"]) >= 0 for row in rows)  # numbers stay numbers


def test_csv_neutralises_a_formula_at_the_start_of_any_text_cell():
    from kpiframe.formatting import csv_safe

    assert [csv_safe(v) for v in ["=1+1", "+1", "-1", "@x", "\tx", "plain", -1.5, 3]] == [
        "'=1+1",
        "'+1",
        "'-1",
        "'@x",
        "'\tx",
        "plain",
        -1.5,
        3,
    ]


def test_xml_safe_escapes_exactly_the_characters_outside_xml_1_0s_char_production():
    from kpiframe.formatting import xml_safe

    def allowed(code: int) -> bool:  # https://www.w3.org/TR/xml/#charsets, production [2]
        return code in (0x9, 0xA, 0xD) or 0x20 <= code <= 0xD7FF or 0xE000 <= code <= 0xFFFD or code >= 0x10000

    every = "".join(map(chr, range(0x110000)))
    forbidden = [code for code in range(0x110000) if not allowed(code)]
    expected = "".join(
        (f"\\x{code:02x}" if code <= 0xFF else f"\\u{code:04x}") if not allowed(code) else chr(code)
        for code in range(0x110000)
    )
    assert len(forbidden) == 29 + 2048 + 2  # C0 controls but tab, LF, CR; surrogates; U+FFFE, U+FFFF
    assert xml_safe(every) == expected
