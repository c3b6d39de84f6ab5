"""A registry list's reject file escapes formula text (a ``'`` in front, assessment finding F2)
and, fixed by hand and loaded again, gives the original values (the loader takes the ``'`` off
again, ``ecohub.queries.cells.unescape``)."""

from __future__ import annotations

import csv
from pathlib import Path

import duckdb

from ecohub.registry.records import load_records, read_table

ADDRESS = '=HYPERLINK("http://evil.example/","河北省唐山市")'


def test_a_fixed_reject_file_loads_the_original_values(
    con: duckdb.DuckDBPyConnection, tmp_path: Path
) -> None:
    src = tmp_path / "in.csv"
    with src.open("w", newline="", encoding="utf-8") as fh:
        w = csv.writer(fh)
        w.writerow(["编号", "单位名称", "地址"])
        w.writerow(["1", "唐山华兴钢铁有限公司", "河北省唐山市丰润区新华路88号"])
        w.writerow(["@2", "", ADDRESS])  # no name: rejected, with its id and address
    res = load_records(con, "permit", src)
    assert (res.rows_loaded, res.rows_rejected) == (1, 1) and res.reject_path is not None
    with open(res.reject_path, encoding="utf-8-sig", newline="") as fh:
        rejects = list(csv.DictReader(fh))
    assert (rejects[0]["编号"], rejects[0]["地址"]) == ("'@2", "'" + ADDRESS)
    fixed = tmp_path / "fixed.csv"
    with fixed.open("w", newline="", encoding="utf-8") as fh:
        # The file's own columns, the name filled in (the reject file adds `reason`).
        w = csv.DictWriter(fh, fieldnames=["编号", "单位名称", "地址"], extrasaction="ignore")
        w.writeheader()
        w.writerow({**rejects[0], "单位名称": "唐山某公司"})
    assert read_table(fixed)["地址"].tolist() == [ADDRESS]
    assert load_records(con, "permit", fixed).rows_loaded == 1
    got = con.execute(
        "SELECT record_id, name, address FROM source_record WHERE record_id = '@2'"
    ).fetchall()
    assert got == [("@2", "唐山某公司", ADDRESS)]
