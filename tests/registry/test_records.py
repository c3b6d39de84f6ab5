"""The loader: header recognition, rejects with reasons, flags, idempotent reloads."""

from __future__ import annotations

from pathlib import Path

import duckdb
import pandas as pd
import pytest

from ecohub.registry.records import load_records

GOOD = "91130200699229617X"


def _write(tmp_path: Path, rows: list[dict[str, object]], name: str = "in.csv") -> Path:
    path = tmp_path / name
    pd.DataFrame(rows).to_csv(path, index=False)
    return path


def _base(**kw: object) -> dict[str, object]:
    row: dict[str, object] = {
        "编号": "1",
        "单位名称": "唐山华兴钢铁有限公司",
        "统一社会信用代码": GOOD,
        "地址": "河北省唐山市丰润区新华路88号",
        "经度": 118.16,
        "纬度": 39.83,
    }
    row.update(kw)
    return row


def test_zh_headers_and_normalised_columns(con: duckdb.DuckDBPyConnection, tmp_path: Path) -> None:
    res = load_records(con, "permit", _write(tmp_path, [_base()]))
    assert (res.rows_loaded, res.rows_rejected) == (1, 0)
    row = con.execute(
        "SELECT name_core, uscc_norm, uscc_status, region_code, address_norm, flags "
        "FROM source_record"
    ).fetchone()
    assert row == ("华兴钢铁", GOOD, "valid", "130208", "新华路88号", None)


def test_rejects_and_flags(con: duckdb.DuckDBPyConnection, tmp_path: Path) -> None:
    rows = [
        _base(编号="1", 单位名称="   "),  # empty name: rejected
        _base(编号="2", 统一社会信用代码="9113020069922"),  # wrong length: flagged
        _base(编号="3", 经度=-74.0, 纬度=40.7),  # outside China: flagged
        _base(编号="4"),
        _base(编号="4", 单位名称="别的企业有限公司"),  # same id, other content: rejected
        _base(编号="5", 统一社会信用代码="911302006992296170"),  # bad check char: flagged
        _base(编号="6"),
        _base(编号="6"),  # identical repeat: one record
    ]
    path = _write(tmp_path, rows)
    res = load_records(con, "permit", path)
    assert res.rows_rejected == 3 and res.reject_path is not None
    assert Path(res.reject_path).read_bytes().startswith(b"\xef\xbb\xbf")
    rej = pd.read_csv(res.reject_path, dtype=str)
    assert sorted(rej.reason) == ["duplicate record_id with different content"] * 2 + ["empty name"]
    flags = dict(con.execute("SELECT record_id, flags FROM source_record").fetchall())
    assert flags == {
        "2": "uscc_bad_length",
        "3": "coords_outside_china",
        "5": "uscc_bad_check",
        "6": None,
    }
    row = con.execute(
        "SELECT uscc_norm, uscc_body FROM source_record WHERE record_id = '5'"
    ).fetchone()
    assert row == (None, GOOD[:17])  # kept only as a weak signal


def test_a_corrected_reject_file_loads_again_as_it_is(
    con: duckdb.DuckDBPyConnection, tmp_path: Path
) -> None:
    rows = [_base(编号="1"), _base(编号="2", 单位名称=" "), _base(编号="3", 单位名称="")]
    first = load_records(con, "permit", _write(tmp_path, rows))
    assert (first.rows_loaded, first.rows_rejected) == (1, 2)
    rej = pd.read_csv(first.reject_path, dtype=str, keep_default_na=False)
    assert list(rej.columns[:2]) == ["line", "reason"]
    assert list(rej.line) == ["3", "4"]  # file lines: the header is line 1
    # The steward fixes one name and leaves the other empty, and loads the file as it is.
    rej.loc[rej.编号 == "2", "单位名称"] = "唐山市丰润区宏达建材厂"
    fixed = tmp_path / "fixed.csv"
    rej.to_csv(fixed, index=False)
    again = load_records(con, "permit", fixed, reject_path=tmp_path / "again.rejects.csv")
    assert (again.rows_loaded, again.rows_rejected) == (1, 1)
    names = dict(con.execute("SELECT record_id, name FROM source_record").fetchall())
    assert names["2"] == "唐山市丰润区宏达建材厂"
    rej2 = pd.read_csv(again.reject_path, dtype=str, keep_default_na=False)
    assert list(rej2.columns) == list(rej.columns)  # the old notes gave way to the new ones
    assert (list(rej2.line), list(rej2.reason), list(rej2.编号)) == (["3"], ["empty name"], ["3"])


def test_a_list_with_its_own_reason_column_keeps_it_in_the_reject_file(
    con: duckdb.DuckDBPyConnection, tmp_path: Path
) -> None:
    rows = [_base(编号="1", reason="新建"), _base(编号="2", 单位名称="", reason="整改")]
    res = load_records(con, "permit", _write(tmp_path, rows))
    assert res.rows_rejected == 1
    rej = pd.read_csv(res.reject_path, dtype=str, keep_default_na=False)
    assert list(rej.columns[:2]) == ["reject_line", "reject_reason"]
    assert (rej.reject_reason[0], rej.reason[0]) == ("empty name", "整改")


def test_reload_same_file_changes_nothing(con: duckdb.DuckDBPyConnection, tmp_path: Path) -> None:
    path = _write(tmp_path, [_base(编号="1"), _base(编号="2")])
    load_records(con, "permit", path)
    before = con.execute("SELECT * FROM source_record ORDER BY record_id").fetchall()
    again = load_records(con, "permit", path)
    assert again.skipped
    assert con.execute("SELECT * FROM source_record ORDER BY record_id").fetchall() == before
    # Same rows in another file: unchanged rows, nothing rewritten.
    other = _write(tmp_path, [_base(编号="1"), _base(编号="2")], "copy.csv")
    pd.read_csv(other).to_csv(other, index=False, lineterminator="\r\n")
    res = load_records(con, "permit", other)
    assert (res.rows_loaded, res.rows_unchanged) == (0, 2)


def test_map_joins_columns_and_reads_parquet(
    con: duckdb.DuckDBPyConnection, tmp_path: Path
) -> None:
    df = pd.DataFrame(
        {"rec_id": ["a"], "given_name": ["john"], "surname": ["smith"], "soc_sec_id": ["1234567"]}
    )
    path = tmp_path / "f.parquet"
    df.to_parquet(path)
    load_records(
        con,
        "febrl",
        path,
        column_map={"record_id": "rec_id", "name": "given_name+surname", "uscc": "soc_sec_id"},
    )
    row = con.execute("SELECT name_core, uscc_status, flags FROM source_record").fetchone()
    assert row == ("john smith", "bad_length", "uscc_bad_length")


def test_joined_name_with_one_part_missing_loads(
    con: duckdb.DuckDBPyConnection, tmp_path: Path
) -> None:
    """A joined name with one part empty is a record; only a row with no name at all is not."""
    path = tmp_path / "f.csv"
    path.write_text("rec_id,given_name,surname\na,john,\nb,,smith\nc,,\n", encoding="utf-8")
    res = load_records(
        con, "febrl", path, column_map={"record_id": "rec_id", "name": "given_name+surname"}
    )
    assert (res.rows_loaded, res.rows_rejected) == (2, 1)
    rows = con.execute("SELECT record_id, name_core FROM source_record ORDER BY 1").fetchall()
    assert rows == [("a", "john"), ("b", "smith")]
    assert pd.read_csv(res.reject_path, dtype=str)["reason"].tolist() == ["empty name"]


def test_unknown_map_field(con: duckdb.DuckDBPyConnection, tmp_path: Path) -> None:
    with pytest.raises(ValueError, match="no column"):
        load_records(con, "x", _write(tmp_path, [_base()]), column_map={"name": "nope"})


@pytest.mark.parametrize(("drop", "field"), [("编号", "record_id"), ("单位名称", "name")])
def test_a_file_without_a_required_column_loads_nothing_and_can_be_loaded_again(
    con: duckdb.DuckDBPyConnection, tmp_path: Path, drop: str, field: str
) -> None:
    # A permit list keyed by 许可证编号 (no header the loader knows for the record id): one
    # error naming the field, not every row rejected as "empty record_id".
    rows = [{("许可证编号" if k == drop else k): v for k, v in _base(**{drop: "P-1"}).items()}]
    path = _write(tmp_path, rows)
    with pytest.raises(ValueError, match=f"no {field} column.*--map {field}=COLUMN"):
        load_records(con, "permit", path)
    assert con.execute("SELECT count(*) FROM load_log").fetchall() == [(0,)]
    # The same file, with the column named: loaded (not skipped as seen before).
    got = load_records(con, "permit", path, column_map={field: "许可证编号"})
    assert not got.skipped and (got.rows_loaded, got.rows_rejected) == (1, 0)


def test_unreadable_coordinates_are_flagged_and_the_record_loads(
    con: duckdb.DuckDBPyConnection, tmp_path: Path
) -> None:
    rows = [
        _base(编号="1", 经度="abc", 纬度="北纬39.9"),  # neither is a number
        _base(编号="2", 经度="118.16", 纬度=""),  # half a point
        _base(编号="3", 经度="", 纬度=""),  # no point given: nothing to flag
        _base(编号="4"),
    ]
    res = load_records(con, "permit", _write(tmp_path, rows))
    assert (res.rows_loaded, res.rows_flagged) == (4, 2)
    got = con.execute(
        "SELECT record_id, flags, lon_wgs FROM source_record ORDER BY record_id"
    ).fetchall()
    assert got == [
        ("1", "coords_unreadable", None),
        ("2", "coords_unreadable", None),
        ("3", None, None),
        ("4", None, 118.16),
    ]
    from ecohub.registry.report import report

    assert [r["record_id"] for r in report(con)["suspicious"]] == ["1", "2"]


def test_a_row_without_the_later_fields_hashes_as_before(
    con: duckdb.DuckDBPyConnection, tmp_path: Path
) -> None:
    """Status and record date joined the fields after lists were loaded: a row without them
    keeps the hash it had (SHA-1 of the eleven fields joined by U+001F, a missing one empty:
    pandas' ``fillna`` turns the NUL the loader gives it into ""), so reloading an old list
    finds it unchanged."""
    import hashlib

    load_records(con, "permit", _write(tmp_path, [_base()]))
    fields = ["1", "唐山华兴钢铁有限公司", GOOD, "河北省唐山市丰润区新华路88号", "", "", "",
              "118.16", "39.83", "", ""]  # fmt: skip
    want = hashlib.sha1("\x1f".join(fields).encode("utf-8")).hexdigest()
    assert con.execute("SELECT row_hash FROM source_record").fetchall() == [(want,)]


@pytest.mark.parametrize(
    ("columns", "mapping", "field", "message"),
    [
        (["编号", "公司"], None, "path", "no name column: the file has none of the headers"),
        (["编号", "公司"], {"nam": "公司"}, "mapping", "--map: unknown field 'nam'; known: "),
        (["编号", "单位名称"], {"name": "公司"}, "mapping", "--map name=公司: no column '公司'"),
    ],
)
def test_a_list_the_loader_cannot_take_names_the_member_at_fault(
    con: duckdb.DuckDBPyConnection,
    tmp_path: Path,
    columns: list[str],
    mapping: dict[str, str] | None,
    field: str,
    message: str,
) -> None:
    from ecohub.queries.failures import classify
    from ecohub.registry.errors import ListError

    path = tmp_path / "x.csv"
    pd.DataFrame([["X1", "北京某厂"]], columns=columns).to_csv(path, index=False)
    with pytest.raises(ListError, match=message) as caught:
        load_records(con, "t", path, column_map=mapping)
    assert caught.value.field == field
    # Through the API or a job: a 400 naming the member, with the loader's own words.
    problem = classify(caught.value).problem()
    assert problem["status"] == 400 and problem["detail"] == str(caught.value)
    assert problem["errors"] == [{"field": field, "reason": str(caught.value)}]
    assert con.execute("SELECT count(*) FROM load_log").fetchall() == [(0,)]


def test_a_title_row_above_the_headers_is_named(
    con: duckdb.DuckDBPyConnection, tmp_path: Path
) -> None:
    """Merged title cells above the real headers (row 2): pandas reads the title as the header
    and 'Unnamed: 1' ... for the merged cells; the message says where the headers are."""
    path = tmp_path / "merged.xlsx"
    rows = [["编号", "企业名称", "统一社会信用代码"], ["X1", "北京合并表头测试有限公司", GOOD]]
    pd.DataFrame(rows, columns=["企业基本信息", None, None]).to_excel(path, index=False)
    words = r"no record_id column.*row 2 holds headers: 编号, 企业名称"
    with pytest.raises(ValueError, match=words):
        load_records(con, "t", path)
