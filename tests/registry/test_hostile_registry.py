"""Hostile input against the registry (issue 9, "Registry"): every bad file or option gives one
clear error naming the option or field, and nothing half-loaded stays behind."""

from __future__ import annotations

import csv
import math
import random
import tempfile
from pathlib import Path

import duckdb
import pandas as pd
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from ecohub.registry import service
from ecohub.registry.linkage import LinkConfig
from ecohub.registry.records import FIELD_CAPS
from ecohub.store.db import connect

HEADER = "record_id,name,uscc,address\n"
ROWS = (
    "1,北京华兴钢铁有限公司,,北京市朝阳区建国路88号\n"
    "2,天津滨海化工有限公司,,天津市滨海新区港城大道1号\n"
)


def write(path: Path, text: str, encoding: str = "utf-8") -> Path:
    path.write_text(text, encoding=encoding)
    return path


def count(con: duckdb.DuckDBPyConnection, sql: str) -> int:
    row = con.execute(sql).fetchone()
    return int(row[0]) if row else 0


def test_over_long_fields_are_rejected_with_the_field_and_cap(
    con: duckdb.DuckDBPyConnection, tmp_path: Path
) -> None:
    long_name = "名" * 1_000_000
    f = write(tmp_path / "a.csv", HEADER + ROWS + f"3,{long_name},,某地\n4,某公司,,{'址' * 501}\n")
    result = service.load_records(con, "permit", f)
    assert (result.rows_loaded, result.rows_rejected) == (2, 2)
    assert result.reject_path is not None
    rejected = pd.read_csv(result.reject_path, dtype=str)
    assert rejected["reason"].tolist() == [
        f"name longer than {FIELD_CAPS['name']} characters (1000000)",
        f"address longer than {FIELD_CAPS['address']} characters (501)",
    ]
    # The reject file keeps the row, each cell cut to 200 characters and its length.
    assert rejected["name"].iloc[0] == "名" * 200 + "… (1000000 characters)"
    out = service.link(con)
    assert out["records"] == 2


def test_gbk_csv_is_read(con: duckdb.DuckDBPyConnection, tmp_path: Path) -> None:
    f = write(tmp_path / "gbk.csv", "编号,企业名称,地址\n" + ROWS.replace(",,", ","), "gbk")
    result = service.load_records(con, "tax", f)
    assert result.rows_loaded == 2
    names = {r[0] for r in con.execute("SELECT name FROM source_record").fetchall()}
    assert names == {"北京华兴钢铁有限公司", "天津滨海化工有限公司"}


def test_bad_files_give_one_clear_error(con: duckdb.DuckDBPyConnection, tmp_path: Path) -> None:
    with pytest.raises(ValueError, match=r"^h\.csv: no data rows"):
        service.load_records(con, "permit", write(tmp_path / "h.csv", HEADER))
    with pytest.raises(ValueError, match=r"^e\.csv: the file is empty"):
        service.load_records(con, "permit", write(tmp_path / "e.csv", ""))
    src = tmp_path / "ok.xlsx"
    pd.read_csv(write(tmp_path / "ok.csv", HEADER + ROWS), dtype=str).to_excel(src, index=False)
    data = src.read_bytes()
    rng = random.Random(3)
    errors = 0
    for i in range(15):
        damaged = bytearray(data)
        for _ in range(5):
            damaged[rng.randrange(len(damaged))] = rng.randrange(256)
        path = tmp_path / f"d{i}.xlsx"
        path.write_bytes(bytes(damaged))
        try:
            service.load_records(con, f"s{i}", path)
        except ValueError as exc:
            assert str(exc).startswith(f"d{i}.xlsx: not a readable XLSX file (")
            errors += 1
    assert errors
    (tmp_path / "cut.xlsx").write_bytes(data[: len(data) // 2])
    with pytest.raises(ValueError, match=r"^cut\.xlsx: not a readable XLSX file"):
        service.load_records(con, "eia", tmp_path / "cut.xlsx")


def test_unwritable_rejects_path_loads_nothing(
    con: duckdb.DuckDBPyConnection, tmp_path: Path
) -> None:
    f = write(tmp_path / "a.csv", HEADER + ROWS + ",no id,,\n")
    (tmp_path / "dir").mkdir()
    with pytest.raises(service.OptionError, match=r"^--rejects .*dir: is a directory"):
        service.load_records(con, "permit", f, reject_path=tmp_path / "dir")
    (tmp_path / "file").write_text("x")
    with pytest.raises(service.OptionError, match=r"^--rejects .*cannot write"):
        service.load_records(con, "permit", f, reject_path=tmp_path / "file" / "r.csv")
    # The default path, unwritable only when it is written: still nothing loaded.
    (tmp_path / "a.rejects.csv").mkdir()
    with pytest.raises(ValueError, match=r"^--rejects .*nothing loaded"):
        service.load_records(con, "permit", f)
    assert count(con, "SELECT count(*) FROM source_record") == 0
    assert count(con, "SELECT count(*) FROM load_log") == 0


@pytest.mark.parametrize(
    ("system", "message"),
    [
        ("", "--system: must not be empty"),
        ("   ", "--system: must not be empty"),
        ("a:b", "--system 'a:b': must not contain ':'"),
        ("a|b", "--system 'a|b': must not contain '|'"),
        ("x" * 51, "--system 'xxxx"),
    ],
)
def test_system_names(
    con: duckdb.DuckDBPyConnection, tmp_path: Path, system: str, message: str
) -> None:
    f = write(tmp_path / "a.csv", HEADER + ROWS)
    with pytest.raises(service.OptionError) as err:
        service.load_records(con, system, f)
    assert str(err.value).startswith(message)


@pytest.mark.parametrize(
    ("auto", "low", "message"),
    [
        (2.0, -1.0, "--auto-accept: must be a probability between 0 and 1, got 2.0"),
        (0.9, -1.0, "--review-low: must be a probability between 0 and 1, got -1.0"),
        (math.nan, 0.5, "--auto-accept: must be a probability between 0 and 1, got nan"),
        (0.9, math.inf, "--review-low: must be a probability between 0 and 1, got inf"),
        (0.5, 0.9, "--review-low 0.9 is above --auto-accept 0.5"),
    ],
)
def test_link_thresholds(
    con: duckdb.DuckDBPyConnection, auto: float, low: float, message: str
) -> None:
    with pytest.raises(service.OptionError) as err:
        service.link(con, config=LinkConfig(auto_accept=auto, review_low=low))
    assert str(err.value).startswith(message)
    assert count(con, "SELECT count(*) FROM link_run") == 0


def test_review_options(con: duckdb.DuckDBPyConnection, tmp_path: Path) -> None:
    service.load_records(con, "permit", write(tmp_path / "a.csv", HEADER + ROWS))
    for limit in (-1, 0):
        with pytest.raises(service.OptionError, match=f"^--limit: .* got {limit}$"):
            service.pending(con, limit=limit)
    assert service.pending(con, limit=1) == []
    with pytest.raises(service.OptionError, match=r"^--a and --b name the same record"):
        service.decide(con, "permit:1", "permit:1", "match", by="t")
    with pytest.raises(service.OptionError, match=r"^--b 'permit': expected system:record_id"):
        service.decide(con, "permit:1", "permit", "match", by="t")
    with pytest.raises(service.OptionError, match=r"^--decision: expected match or nonmatch"):
        service.decide(con, "permit:1", "permit:2", "maybe", by="t")
    assert service.decide(con, "permit:1", "permit:2", "nonmatch", by="t")["decision"] == "nonmatch"


def test_export_options(con: duckdb.DuckDBPyConnection, tmp_path: Path) -> None:
    with pytest.raises(service.OptionError, match=r"^--format: expected csv, parquet, xlsx"):
        service.export_codes_to(con, tmp_path / "o.json", "json")
    (tmp_path / "d").mkdir()
    with pytest.raises(service.OptionError, match=r"^--out .*: is a directory"):
        service.export_codes_to(con, tmp_path / "d", "csv")
    (tmp_path / "f").write_text("x")
    with pytest.raises(service.OptionError, match=r"^--out .*: cannot write"):
        service.export_codes_to(con, tmp_path / "f" / "o.csv", "csv")
    assert service.export_codes_to(con, tmp_path / "o.csv", "csv") == 0


# --- property: random cells in a registry list -------------------------------------------------

_text = st.text(st.characters(codec="utf-8", exclude_characters="\r\n\x00"), max_size=30)
_row = st.fixed_dictionaries(
    {
        "name": st.one_of(_text, st.sampled_from(["华兴钢铁有限公司", "", "  "])),
        "uscc": st.one_of(_text, st.sampled_from(["91110000600037341L", "9111000060003734"])),
        "address": _text,
        "region_code": st.one_of(_text, st.sampled_from(["110105", "999999", "11010"])),
        "lon": st.one_of(_text, st.sampled_from(["116.4", "1e400", "nan", "-inf", "200"])),
        "lat": st.one_of(_text, st.sampled_from(["39.9", "90.5", ""])),
    }
)


@settings(max_examples=20, deadline=None, suppress_health_check=list(HealthCheck))
@given(st.lists(_row, min_size=1, max_size=8))
def test_random_registry_rows_load_or_are_rejected(rows: list[dict[str, str]]) -> None:
    with tempfile.TemporaryDirectory() as d:
        path = Path(d) / "list.csv"
        with path.open("w", encoding="utf-8", newline="") as fh:
            out = csv.DictWriter(fh, ["record_id", *rows[0]])
            out.writeheader()
            for i, row in enumerate(rows):
                out.writerow({"record_id": f"r{i}", **row})
        con = connect(":memory:")
        try:
            result = service.load_records(con, "prop", path)
            # Every row (ids are unique) is loaded or rejected, and each reject has a reason.
            assert result.rows_loaded + result.rows_rejected == len(rows)
            if result.rows_rejected:
                assert result.reject_path is not None
                rejected = pd.read_csv(result.reject_path, dtype=str, keep_default_na=False)
                assert len(rejected) == result.rows_rejected
                assert (rejected["reason"] != "").all()
            stored = count(con, "SELECT count(*) FROM source_record")
            assert stored == result.rows_loaded
        except ValueError as exc:
            # Only a whole-file problem may stop it, and it says which file.
            assert str(exc).startswith("list.csv: "), exc
        finally:
            con.close()
