"""``load cases`` / ``load eia``: headers, rejects, idempotent reloads, and links through the
registry's linkage (a real link run on a small list)."""

from __future__ import annotations

import shutil
from collections.abc import Iterator
from pathlib import Path

import duckdb
import pandas as pd
import pytest

from ecohub.access.principal import SYSTEM
from ecohub.enterprise import LoadError, cases, eia, load_cases, load_eia
from ecohub.registry.records import load_records
from ecohub.registry.service import link
from ecohub.standards import uscc
from ecohub.store.db import connect

REGISTRY = [
    ("R1", "唐山市华兴钢铁有限公司", "130203", "3110", "唐山市路北区华兴路1号"),
    ("R2", "唐山市鼎盛化工股份有限公司", "130203", "2614", "唐山市路北区鼎盛路2号"),
    ("R3", "石家庄市恒泰水泥有限公司", "130102", "3011", "石家庄市长安区恒泰路3号"),
    ("R4", "邯郸市永信造纸有限公司", "130402", "2221", "邯郸市邯山区永信路4号"),
    ("R5", "保定市金鼎热电有限公司", "130681", "4412", "保定市涿州市金鼎路5号"),
    ("R6", "唐山市瑞祥制药有限公司", "130208", "2710", "唐山市丰润区瑞祥路6号"),
]


def _code(i: int) -> str:
    body = f"91{REGISTRY[i][2]}MA0{i:05d}X"[:17]
    return str(body + uscc.check_char(body))


@pytest.fixture(scope="module")
def registry_file(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A store with the departmental list loaded and linked once (a link run takes seconds)."""
    root = tmp_path_factory.mktemp("registry")
    rows = [{"许可证流水号": r[0], "单位名称": r[1], "统一社会信用代码": _code(i),
             "行政区划代码": r[2], "行业类别": r[3], "生产经营场所地址": r[4]}
            for i, r in enumerate(REGISTRY)]  # fmt: skip
    path = root / "permit.csv"
    pd.DataFrame(rows).to_csv(path, index=False)
    con = connect(root / "ecohub.duckdb")
    load_records(con, "permit", path)
    link(con)
    con.execute("CHECKPOINT")
    con.close()
    return root / "ecohub.duckdb"


@pytest.fixture
def registered(registry_file: Path, tmp_path: Path) -> Iterator[duckdb.DuckDBPyConnection]:
    """A copy of that store for one test."""
    copy = tmp_path / "ecohub.duckdb"
    shutil.copyfile(registry_file, copy)
    con = connect(copy)
    yield con
    con.close()


CASES = """案件编号,检查日期,单位名称,统一社会信用代码,地址,违法类型,处罚依据,罚款金额,状态
K1,2026-03-02,唐山市华兴钢铁有限公司,{c0},唐山市路北区华兴路1号,超标排放,大气污染防治法第九十九条,5万元,未结案
K2,2026/4/5,唐山鼎盛化工股份有限公司,,唐山市路北区鼎盛路2号,,,,
K3,2026年5月6日,某某不存在贸易有限公司,,广州市天河区某路9号,未批先建,环境影响评价法第三十一条,200000,已结案
K4,2026-13-01,唐山市华兴钢铁有限公司,,,,,,
K5,2026-03-02,,,,,,,
K6,2026-03-07,唐山市华兴钢铁有限公司,,,超标排放,,abc,未结案
K7,2026-03-08,唐山市华兴钢铁有限公司,,,超标排放,,,
"""


def test_cases_load_link_and_reject(registered: duckdb.DuckDBPyConnection, tmp_path: Path) -> None:
    path = tmp_path / "cases.csv"
    path.write_text(CASES.format(c0=_code(0)), encoding="utf-8")
    out = load_cases(registered, path)
    assert (out["rows_read"], out["new"], out["rejected"]) == (7, 3, 4)
    # UTF-8 after a byte-order mark, so Excel shows the Chinese (pandas takes the mark off).
    assert (
        Path(out["reject_path"]).read_bytes().startswith(b"\xef\xbb\xbfrow,column,value,reason\n")
    )
    rejects = pd.read_csv(out["reject_path"], dtype=str)
    assert list(rejects.columns) == ["row", "column", "value", "reason"]
    assert rejects[["row", "column"]].values.tolist() == [
        ["5", "检查日期"], ["6", "单位名称"], ["7", "罚款金额"], ["8", "状态"]]  # fmt: skip
    assert rejects.reason.tolist()[0].startswith("case_date: no such day")
    assert rejects.reason.tolist()[3].startswith("status: empty status of a case")
    got = {c["case_id"]: c for c in cases(registered, SYSTEM)}
    r1 = registered.execute("SELECT source_code FROM source_record WHERE system = 'permit' "
                            "AND record_id = 'R1'").fetchone()  # fmt: skip
    assert r1 is not None
    assert got["K1"]["source_code"] == r1[0] and got["K1"]["link_status"] == "linked"
    assert got["K1"]["penalty_yuan"] == 50000 and got["K1"]["status"] == "open"
    assert got["K2"]["status"] == "closed" and got["K2"]["case_date"] == "2026-04-05"
    assert got["K3"]["link_status"] == "unmatched"  # a unit no department lists
    assert out["linked"] + out["review"] + out["unmatched"] == 3


def test_reload_is_idempotent_and_a_changed_row_updates(
    registered: duckdb.DuckDBPyConnection, tmp_path: Path
) -> None:
    path = tmp_path / "cases.csv"
    path.write_text(CASES.format(c0=_code(0)), encoding="utf-8")
    load_cases(registered, path)
    again = load_cases(registered, path)
    assert again["already_loaded"] and again["unchanged"] == 3
    forced = load_cases(registered, path, force=True)
    assert (forced["new"], forced["updated"], forced["unchanged"]) == (0, 0, 3)
    assert forced["link_run"] is None  # nothing changed: no link run
    changed = tmp_path / "cases2.csv"
    changed.write_text(CASES.format(c0=_code(0)).replace("5万元,未结案", "5万元,已结案"), "utf-8")
    out = load_cases(registered, changed)
    assert (out["new"], out["updated"], out["unchanged"]) == (0, 1, 2)
    n = registered.execute("SELECT count(*), count(*) FILTER (WHERE status = 'open') "
                           "FROM enforcement_case").fetchone()  # fmt: skip
    assert n == (3, 0)
    recs = registered.execute("SELECT count(*) FROM source_record WHERE system = 'enforcement'")
    assert recs.fetchone() == (3,)


def test_eia_english_headers_xlsx_and_parquet(
    registered: duckdb.DuckDBPyConnection, tmp_path: Path
) -> None:
    frame = pd.DataFrame([
        {"approval_no": "冀环审〔2020〕1号", "approval_date": "2020-05-01", "project": "炼钢项目",
         "unit": "唐山市华兴钢铁有限公司", "uscc": _code(0), "address": "唐山市路北区华兴路1号",
         "capacity": "年产100万吨"},
        {"approval_no": "冀环审〔2021〕2号", "approval_date": "2021-06-01", "project": "制药项目",
         "unit": "唐山市瑞祥制药有限公司", "uscc": _code(5), "address": "唐山市丰润区瑞祥路6号",
         "capacity": ""},
        {"approval_no": "", "approval_date": "2021-06-01", "project": "x", "unit": "y",
         "uscc": "", "address": "", "capacity": ""},
    ])  # fmt: skip
    xlsx = tmp_path / "eia.xlsx"
    frame.to_excel(xlsx, index=False)
    out = load_eia(registered, xlsx)
    assert (out["new"], out["rejected"], out["linked"]) == (2, 1, 2)
    parquet = tmp_path / "eia.parquet"
    frame.iloc[:2].to_parquet(parquet)
    again = load_eia(registered, parquet)
    assert (again["new"], again["unchanged"]) == (0, 2)
    rows = eia(registered, SYSTEM, region="130200")  # Tangshan: both counties
    assert [r["approval_no"] for r in rows] == ["冀环审〔2021〕2号", "冀环审〔2020〕1号"]


def test_whole_file_errors_load_nothing(registered: duckdb.DuckDBPyConnection,
                                        tmp_path: Path) -> None:  # fmt: skip
    no_date = tmp_path / "a.csv"
    no_date.write_text("单位名称,违法类型\n某公司,超标\n", encoding="utf-8")
    with pytest.raises(LoadError, match=r"missing column.*case_date"):
        load_cases(registered, no_date)
    broken = tmp_path / "b.xlsx"
    broken.write_bytes(b"PK\x03\x04 not a zip")
    with pytest.raises(LoadError, match=r"b\.xlsx"):
        load_eia(registered, broken)
    with pytest.raises(LoadError, match="no such file"):
        load_eia(registered, tmp_path / "none.csv")
    assert registered.execute("SELECT count(*) FROM enforcement_case").fetchone() == (0,)


def test_review_state_comes_from_the_registry_review_queue(
    registered: duckdb.DuckDBPyConnection, tmp_path: Path
) -> None:
    path = tmp_path / "cases.csv"
    path.write_text(CASES.format(c0=_code(0)), encoding="utf-8")
    load_cases(registered, path)
    # A pair of the review band naming K3's record puts K3 in the review queue.
    registered.execute("INSERT INTO review_pair VALUES ('enforcement', 'K3', 'permit', 'R1', "
                       "0.7, 'run')")  # fmt: skip
    assert {c["case_id"] for c in cases(registered, SYSTEM, link_status="review")} == {"K3"}


def test_a_file_whose_rows_were_all_rejected_is_not_marked_loaded(
    registered: duckdb.DuckDBPyConnection, tmp_path: Path
) -> None:
    # As for observations (walk J, finding 6): a load that kept no row is not in load_log, so
    # the same file, read again, is read (its rejects again), not "already loaded".
    path = tmp_path / "bad_cases.csv"
    path.write_text(CASES.splitlines()[0] + "\n" + "\n".join(CASES.splitlines()[4:6]) + "\n",
                    encoding="utf-8")  # fmt: skip
    out = load_cases(registered, path)
    assert (out["new"], out["rejected"]) == (0, 2)
    again = load_cases(registered, path)
    assert not again["already_loaded"] and again["rejected"] == 2
