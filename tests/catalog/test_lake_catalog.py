"""The catalog covers the data lake: rows and times of settled emissions, one Parquet
distribution per month partition in the DCAT export."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import duckdb
import pytest
from rdflib import Graph, URIRef
from rdflib.namespace import DCAT, DCTERMS, RDF

from ecohub.access.principal import SYSTEM, Principal
from ecohub.catalog import coverage, service
from ecohub.queries import QueryError
from ecohub.settings import Settings, get_settings
from ecohub.store import lake
from ecohub.store.db import connect
from ecohub.store.lake_compact import compact

EMISSION = "30100202-00002"
NOW = datetime(2026, 11, 26, 12, 0, tzinfo=UTC)


@pytest.fixture
def node(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> Iterator[tuple[Settings, duckdb.DuckDBPyConnection]]:
    """Node n1's settings (as the catalog reads them) and its store with the lake attached."""
    monkeypatch.setenv("ECOHUB_DATA_DIR", str(tmp_path))
    monkeypatch.setenv("ECOHUB_NODE_ID", "n1")
    get_settings.cache_clear()
    try:
        s = get_settings()
        con = connect(s.database)
        lake.attach(con, s)
        yield s, con
        con.close()
    finally:
        get_settings.cache_clear()


def parquet_months(con: duckdb.DuckDBPyConnection, resource: str) -> list[str]:
    """The months of ``resource``'s lake-partition distributions in the DCAT export, sorted."""
    data = service.export_dcat(con, SYSTEM, base="http://x", fmt="ttl",
                               licence_url="http://l", attribution="a")  # fmt: skip
    g = Graph().parse(data=data.decode(), format="turtle")
    ds = URIRef(f"http://x/api/v1/catalog/{resource}")
    return sorted(
        str(d).rsplit("#lake-", 1)[-1] for d in g.objects(ds, DCAT.distribution) if "#lake-" in d
    )


def test_coverage_and_dcat_include_the_lake(
    node: tuple[Settings, duckdb.DuckDBPyConnection],
) -> None:
    s, con = node
    # Two rows settle (October and early November, CST), one stays hot (today).
    for t in (datetime(2026, 10, 5, 1, tzinfo=UTC), datetime(2026, 11, 2, 1, tzinfo=UTC),
              NOW):  # fmt: skip
        con.execute(
            "INSERT INTO emission (mn, cn, data_time, pollutant, avg, received_at) "
            "VALUES ('MN000000000000000001', '2051', ?, 'a21026', 1, ?)",
            [t, t],
        )
    assert compact(con, s, now=NOW)["emission"]["moved"] == 2
    coverage.refresh(con)
    c = coverage.get(con, EMISSION)
    assert c is not None
    assert c["rows"] == 3
    assert c["time_from"] == "2026-10-05T09:00:00+08:00"
    assert c["time_to"] == "2026-11-26T20:00:00+08:00"
    assert parquet_months(con, EMISSION) == ["2026-10", "2026-11"]


def test_footprint_reads_times_from_footers(tmp_path: Path) -> None:
    s = Settings(data_dir=tmp_path, node_id="n1")
    con = connect(s.database)
    t = datetime(2026, 10, 5, 1, tzinfo=UTC)
    for m in range(3):
        con.execute(
            "INSERT INTO emission (mn, cn, data_time, pollutant, received_at) "
            "VALUES ('MN000000000000000001', '2051', ?, 'a21026', ?)",
            [t + timedelta(minutes=m), t],
        )
    compact(con, s, now=NOW)
    (part,) = lake.footprint(s, "emission")
    assert (part["month"], part["files"], part["rows"]) == ("2026-10", 1, 3)
    assert part["time_from"] == t and part["time_to"] == t + timedelta(minutes=2)


def _station(con: duckdb.DuckDBPyConnection) -> None:
    con.execute(
        "INSERT INTO station (station_id, name, region_code, lon, lat) "
        "VALUES ('S1', 'one', '110101', 116.4, 39.9)"
    )


def _observe(
    con: duckdb.DuckDBPyConnection, t: datetime, value: float, parameter: str = "a34004"
) -> None:
    """One hourly value of station S1, as the loader stores it in the hot table."""
    con.execute(
        "INSERT INTO observation (station_id, parameter, period, time, value, unit, "
        "below_detection) VALUES ('S1', ?, '1h', ?, ?, 'ug/m3', false)",
        [parameter, t, value],
    )


def test_observation_resources_and_products_cover_the_lake(
    node: tuple[Settings, duckdb.DuckDBPyConnection],
) -> None:
    s, con = node
    _station(con)
    for t, parameter in ((datetime(2026, 10, 5, 1, tzinfo=UTC), "a34004"),
                         (datetime(2026, 10, 5, 2, tzinfo=UTC), "a21026"),
                         (NOW, "a34004")):  # fmt: skip
        _observe(con, t, 1, parameter)
    assert compact(con, s, now=NOW)["observation"]["moved"] == 2
    coverage.refresh(con)
    whole, pm25 = coverage.get(con, "30100101-00002"), coverage.get(con, "30100101-00003")
    assert whole is not None and pm25 is not None
    assert (whole["rows"], whole["regions"]) == (3, ["110101"])
    # A product (a filter on the table) counts its settled rows too.
    assert (pm25["rows"], pm25["time_from"]) == (2, "2026-10-05T09:00:00+08:00")
    assert parquet_months(con, "30100101-00002") == ["2026-10"]


def test_a_corrected_settled_value_is_counted_once(
    node: tuple[Settings, duckdb.DuckDBPyConnection],
) -> None:
    s, con = node
    _station(con)
    settled = datetime(2026, 10, 5, 1, tzinfo=UTC)
    for t in (settled, settled + timedelta(hours=1), NOW):
        _observe(con, t, 1)
    assert compact(con, s, now=NOW)["observation"]["moved"] == 2
    # A reloaded file corrects a settled value: the new row is hot, the old one still in the
    # lake until compaction rewrites its partition; the table shows the key once.
    _observe(con, settled, 2)
    assert con.execute("SELECT count(*) FROM observation_all").fetchone() == (3,)
    coverage.refresh(con)
    whole = coverage.get(con, "30100101-00002")
    assert whole is not None and whole["rows"] == 3
    # A new hour is a new row.
    _observe(con, settled + timedelta(hours=2), 3)
    coverage.refresh(con)
    whole = coverage.get(con, "30100101-00002")
    assert whole is not None and whole["rows"] == 4


def _pages(con: duckdb.DuckDBPyConnection, p: Principal, code: str, **kw: object) -> list[dict]:
    """Every row of ``code``'s data route for ``p``, one row a page (the cursor crosses from the
    hot rows to the lake's)."""
    out, cursor = [], None
    while True:
        page = service.data(con, p, code, limit=1, cursor=cursor, **kw)  # type: ignore[arg-type]
        out += page["items"]
        cursor = page["next_cursor"]
        if cursor is None:
            return out


def test_the_data_route_reads_the_lake_too(
    node: tuple[Settings, duckdb.DuckDBPyConnection],
) -> None:
    s, con = node
    _station(con)
    con.execute(
        "INSERT INTO station (station_id, name, region_code, lon, lat) "
        "VALUES ('S2', 'two', '120101', 117.2, 39.1)"
    )
    settled = datetime(2026, 10, 5, 1, tzinfo=UTC)
    for t in (settled, settled + timedelta(hours=1), NOW):
        _observe(con, t, 1)
    con.execute(
        "INSERT INTO observation (station_id, parameter, period, time, value, unit, "
        "below_detection) VALUES ('S2', 'a34004', '1h', ?, 5, 'ug/m3', false)",
        [settled],
    )
    for t in (settled, NOW):
        con.execute(
            "INSERT INTO emission (mn, cn, data_time, pollutant, avg, received_at) "
            "VALUES ('MN000000000000000001', '2051', ?, 'a21026', 1, ?)",
            [t, t],
        )
    moved = compact(con, s, now=NOW)
    assert (moved["observation"]["moved"], moved["emission"]["moved"]) == (3, 1)
    assert con.execute("SELECT count(*) FROM observation").fetchone() == (1,)

    admin = _pages(con, SYSTEM, "30100101-00002")
    # Key order (station, parameter, period, time): S1's three hours, then S2's one.
    assert [(r["station_id"], r["time"]) for r in admin] == [
        ("S1", "2026-10-05T09:00:00+08:00"),
        ("S1", "2026-10-05T10:00:00+08:00"),
        ("S1", "2026-11-26T20:00:00+08:00"),
        ("S2", "2026-10-05T09:00:00+08:00"),
    ]
    assert "month" not in admin[0] and "bucket" not in admin[0]
    # The caller's scope is still a predicate of the query: Tianjin's analyst reads S2 only,
    # and a region filter narrows an admin's read.
    tianjin = Principal("tj", "analyst", "120000")
    assert [r["station_id"] for r in _pages(con, tianjin, "30100101-00002")] == ["S2"]
    assert len(_pages(con, SYSTEM, "30100101-00002", region="110101")) == 3
    # A product (hourly PM2.5, a filter on the table) reads the lake too.
    assert len(_pages(con, SYSTEM, "30100101-00003")) == 4
    emissions = _pages(con, SYSTEM, EMISSION)
    assert [r["data_time"] for r in emissions] == [
        "2026-10-05T09:00:00+08:00",
        "2026-11-26T20:00:00+08:00",
    ]


def test_dcat_publishes_no_server_paths(
    node: tuple[Settings, duckdb.DuckDBPyConnection],
) -> None:
    """The lake's partitions are described with the API's URL, never a file URL, and each
    distribution belongs to one dataset (the observations and hourly PM2.5, a product over the
    same table, used to share one node with two descriptions)."""
    s, con = node
    _station(con)
    for t, parameter in ((datetime(2026, 10, 5, 1, tzinfo=UTC), "a34004"),
                         (datetime(2026, 10, 5, 2, tzinfo=UTC), "a21026"),
                         (NOW, "a34004")):  # fmt: skip
        _observe(con, t, 1, parameter)
    assert compact(con, s, now=NOW)["observation"]["moved"] == 2
    enterprise = Principal("plant", "enterprise", "110101", ("S1",))
    graphs = {}
    for who in (enterprise, SYSTEM):
        data = service.export_dcat(con, who, base="http://x", fmt="ttl",
                                   licence_url="http://l", attribution="a")  # fmt: skip
        text = data.decode()
        assert "file://" not in text and str(s.data_dir) not in text
        g = graphs[who.name] = Graph().parse(data=text, format="turtle")
        for dist in set(g.subjects(RDF.type, DCAT.Distribution)):
            owners = list(g.subjects(DCAT.distribution, dist))
            assert len(owners) == 1, dist
            # The API, or open data: a bulk download, a year's route, an open resource's pages.
            for url in g.objects(dist, DCAT.accessURL):
                assert str(url).startswith(
                    ("http://x/api/v1/catalog/", "http://x/open/v1/bulk/",
                     "http://x/open/v1/assessments/", "http://x/open/v1/catalog/")
                ), url  # fmt: skip
    obs = URIRef("http://x/api/v1/catalog/30100101-00002")
    # An enterprise user may not read the observations (有条件共享: a grant), so their
    # figures, and the lake's months that are their time coverage, are withheld from it,
    # though every row lies in its district (before, its district alone decided).
    assert not [d for d in graphs["plant"].objects(obs, DCAT.distribution) if "#lake-" in str(d)]
    g = graphs[SYSTEM.name]
    (lake_dist,) = [d for d in g.objects(obs, DCAT.distribution) if "#lake-" in str(d)]
    assert str(lake_dist) == "http://x/api/v1/catalog/30100101-00002#lake-2026-10"
    # Its access URL serves that month (JSON pages of the API); the files are only described.
    assert list(g.objects(lake_dist, DCAT.accessURL)) == [
        URIRef("http://x/api/v1/catalog/30100101-00002/data?month=2026-10")
    ]
    json_type = URIRef("http://publications.europa.eu/resource/authority/file-type/JSON")
    assert list(g.objects(lake_dist, DCTERMS["format"])) == [json_type]
    assert list(g.objects(lake_dist, DCAT.byteSize)) == []
    october = service.data(con, SYSTEM, "30100101-00002", month="2026-10")["items"]
    assert sorted(r["parameter"] for r in october) == ["a21026", "a34004"]
    assert service.data(con, SYSTEM, "30100101-00002", month="2026-09")["items"] == []
    for code, month, why in (
        ("30100101-00002", "2026-13", "expected YYYY-MM"),
        ("30100101-00001", "2026-10", "only for tables kept in the lake"),
    ):
        try:
            service.data(con, SYSTEM, code, month=month)
        except QueryError as exc:
            assert exc.field == "month" and why.split()[0] in exc.reason, exc.reason
        else:
            raise AssertionError(f"{code} month={month} answered")
    # A product's rows are a filter of the table: its lake is not the partition's files.
    pm25 = URIRef("http://x/api/v1/catalog/30100101-00003")
    assert [str(d) for d in g.objects(pm25, DCAT.distribution)] == [f"{pm25}/data"]
