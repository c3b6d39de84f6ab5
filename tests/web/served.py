"""A running platform for the browser tests: a temp store with the sample's stations, three
months of their hours, air results, two registry sources (one per district) tied to the two
simulated outlets, three analysts and an enterprise user; then ``ecohub up --no-sample``."""

from __future__ import annotations

import os
from collections.abc import Iterator
from contextlib import contextmanager
from importlib import resources
from pathlib import Path

import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.parquet as pq

from tests.platform_up import ecohub_up

PASSWORD = "correct horse battery"
# (user, region): a Chaoyang analyst, a Haidian analyst, a Beijing analyst.
USERS = (("ana", "110105"), ("hai", "110108"), ("bei", "110000"))
CHAOYANG = {"Aotizhongxin", "Nongzhanguan"}  # the sample's stations coded 110105
HAIDIAN = {"Wanliu"}
HOSTILE_NAME = '密云<img src=x onerror="window.__xss=1"><b id="xss">探针</b>'
BEIJING_STATIONS = 13  # the sample's 12 and the probe
CHAOYANG_SOURCE = "北京示例热电有限公司"
SOURCES = """record_id,name,address,region_code,industry,lon,lat,mn
P001,北京示例热电有限公司,北京市朝阳区示例路1号,110105,4411,116.47,39.94,SIM000000000000000000000
P002,北京示例污水处理厂,北京市海淀区示例路2号,110108,4620,116.29,39.99,SIM000000000000000000001
"""


def prepare(data: Path) -> None:
    """Fill an empty store through the service functions the CLI calls (in this process: one
    interpreter start instead of seven), then close it for the server."""
    from ecohub.access import users
    from ecohub.analytics.air_service import compute
    from ecohub.ingest.files import load_observations, load_stations
    from ecohub.registry.records import load_records
    from ecohub.registry.service import link
    from ecohub.store.db import connect

    work = data.parent / "inputs"
    work.mkdir(parents=True, exist_ok=True)
    data.mkdir(parents=True, exist_ok=True)
    sample = resources.files("ecohub.sample").joinpath("data")
    with resources.as_file(sample.joinpath("prsa_hourly.parquet")) as hourly:
        t = pq.read_table(hourly)
    month = pc.strftime(t["time_local"], "%Y-%m")
    keep = pc.is_in(month, value_set=pa.array(["2014-01", "2014-02", "2014-03"]))
    pq.write_table(t.filter(keep), work / "q1-2014.parquet")
    (work / "sources.csv").write_text(SOURCES, encoding="utf-8")
    con = connect(data / "ecohub.duckdb")
    try:
        for name, region in USERS:
            users.add_user(con, name, "analyst", region, [], PASSWORD)
        with resources.as_file(sample.joinpath("stations.csv")) as st:
            assert load_stations(con, st, write_rejects=False).new == 12
        # A station whose name is markup (as a hostile file could bring): shown as text.
        con.execute(
            "INSERT INTO station (station_id, name, network, region_code, lon, lat) "
            "VALUES ('Probe', ?, 'air', '110118', 116.84, 40.37)",
            [HOSTILE_NAME],
        )
        assert load_observations(con, work / "q1-2014.parquet", write_rejects=False).new > 0
        compute(con)
        load_records(con, "permit", work / "sources.csv")
        enterprise_files(con, work)
        link(con)
        enterprise_decisions(con)
        # An enterprise user of the Chaoyang source (its code was issued by the link).
        row = con.execute(
            "SELECT source_code FROM source WHERE name = ? AND status = 'active'", [CHAOYANG_SOURCE]
        )
        (code,) = row.fetchone() or ("",)
        users.add_user(con, "qiye", "enterprise", "110105", [code], PASSWORD)
        # A Beijing inspector: acknowledges and closes alerts (the stuck simulated analyser's).
        users.add_user(con, "insp", "inspector", "110000", [], PASSWORD)
        # Permits (有条件开放) published: listed on the open-data page, rows only under a grant.
        from ecohub.access.principal import SYSTEM
        from ecohub.catalog.opendata import publish

        publish(con, SYSTEM, CONDITIONAL_RESOURCE)
    finally:
        con.close()


CASE_NO = "京朝环罚〔2026〕12号"
CONDITIONAL_RESOURCE = "30100201-00004"  # permits: open type 有条件开放
APPROVAL_NO = "京朝环审〔2026〕88号"


def enterprise_files(con: object, work: Path) -> None:
    """An open violation case and an EIA approval of the Chaoyang source; none for the Haidian
    sewage plant (an industry that needs one): both on Beijing's watch list (ecohub.enterprise).
    Loaded without their own link run: the caller's link run links them with the sources."""
    from ecohub.enterprise import load_cases, load_eia

    (work / "cases.csv").write_text(
        "案件编号,检查日期,单位名称,地址,违法类型,罚款金额,状态\n"
        f"{CASE_NO},2026-10-12,北京示例热电有限公司,北京市朝阳区示例路1号,超标排放,20万元,未结案\n",
        encoding="utf-8",
    )
    (work / "eia.csv").write_text(
        "批复文号,批复日期,项目名称,建设单位,建设地点\n"
        f"{APPROVAL_NO},2026-11-20,示例热电项目,北京示例热电有限公司,北京市朝阳区示例路1号\n",
        encoding="utf-8",
    )
    load_cases(con, work / "cases.csv", link=False)  # type: ignore[arg-type]
    load_eia(con, work / "eia.csv", link=False)  # type: ignore[arg-type]


def enterprise_decisions(con: object) -> None:
    """Two records and a case cannot train the linkage model, so a person decides, as the
    registry's review queue asks: the case and the approval are the Chaoyang source's."""
    from ecohub.registry.service import decide, link

    for record in (f"enforcement:{CASE_NO}", f"eia_approval:{APPROVAL_NO}"):
        decide(con, "permit:P001", record, "match", by="test")  # type: ignore[arg-type]
    link(con)  # type: ignore[arg-type]


@contextmanager
def running(data: Path) -> Iterator[str]:
    """``ecohub up`` over ``data`` with two simulated outlets; yields the HTTP base URL."""
    env = {**os.environ, "ECOHUB_DATA_DIR": str(data), "ECOHUB_HJ212_HOST": "127.0.0.1"}
    with ecohub_up(data, "--no-sample", "--simulate", "2", env=env, start_s=180) as up:
        yield up.url
