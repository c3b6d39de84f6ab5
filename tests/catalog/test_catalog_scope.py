"""The catalogue shows each role only what it may see (security walk I, F5).

A Haidian analyst used to read the Beijing-wide complaint count (688 against its 101), an
enterprise user (which may not read complaints at all) too, and every role the size of the API
key table and the audit log and the columns of ``app_user``. The rule now: coverage figures
only to a caller whose role may read the table's rows and whose scope holds every region of it;
the internal security tables not listed to anyone but an administrator, in lists, searches,
totals and facets alike. Over the real API (uvicorn on loopback) on a store of our own: five
complaints counted by hand, three in Chaoyang (110105) and two in Haidian (110108).
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import datetime
from importlib import resources as pkg
from pathlib import Path

import duckdb
import httpx
import pytest

from ecohub.access import apikeys, users
from ecohub.api.app import close_app, create_app
from ecohub.catalog import definitions, resources, rows, visibility
from ecohub.cst import CST
from ecohub.settings import Settings
from ecohub.store.db import connect
from tests.loopback import on_loopback

PASSWORD = "correct horse battery"
#: Columns that say where a row is: a division code, a station, a device, a source.
LOCATORS = ("region_code", "station_id", "mn", "source_code")
#: The store's security tables, read off the migrations: who may log in (users, password
#: hashes, lock-outs), the credentials and sessions (API keys, refresh tokens), the security
#: audit trail, and who was granted which data (sharing applications and decisions).
SECURITY = {"app_user", "api_key", "refresh_token", "audit_log", "catalog_application",
            "catalog_decision"}  # fmt: skip
#: A data table with a credential column (a device's password, never served: rows.CREDENTIALS).
DEVICE_PASSWORD = {"monitor_point"}
#: (id, received_at CST, region) of the complaints this test loads: 3 in 110105, 2 in 110108.
COMPLAINTS = [
    ("C1", "2016-03-01 08:00", "110105"),
    ("C2", "2016-03-02 09:30", "110105"),
    ("C3", "2016-04-10 10:00", "110105"),
    ("C4", "2016-03-05 11:00", "110108"),
    ("C5", "2016-05-20 12:00", "110108"),
]


@pytest.fixture(scope="module")
def fresh(tmp_path_factory: pytest.TempPathFactory) -> Iterator[duckdb.DuckDBPyConnection]:
    con = connect(tmp_path_factory.mktemp("scope") / "s.duckdb")
    yield con
    con.close()


def test_every_table_that_locates_its_rows_says_how(fresh: duckdb.DuckDBPyConnection) -> None:
    # Why complaints escaped the rule: a table without a `via` line had rows "of no region",
    # whose figures every caller saw. Every table whose rows carry a place must say how.
    specs = definitions.table_specs()
    missing = []
    for table in resources.store_tables(fresh):
        cols = {c for c, _ in resources.table_columns(fresh, table)}
        if cols & set(LOCATORS) and not specs.get(table, {}).get("via"):
            missing.append(table)
    assert missing == []


def test_the_security_tables_are_internal(fresh: duckdb.DuckDBPyConnection) -> None:
    assert set(visibility.internal_tables()) == SECURITY
    # Every table of the identity and audit migration is one of them ...
    sql = pkg.files("ecohub.store").joinpath("schema", "008_access.sql").read_text("utf-8")
    assert set(re.findall(r"CREATE TABLE (\w+)", sql)) <= SECURITY
    # ... and so is any table holding a credential, but for the devices' passwords.
    holding = {
        t
        for t in resources.store_tables(fresh)
        if any(rows.CREDENTIAL_NAME.match(c) for c, _ in resources.table_columns(fresh, t))
    }
    assert holding - DEVICE_PASSWORD <= SECURITY and holding & SECURITY


@dataclass
class Api:
    base: str
    keys: dict[str, str]

    def get(self, who: str, path: str, **kw: object) -> httpx.Response:
        with httpx.Client(base_url=self.base, timeout=60) as c:
            return c.get(path, headers={"Authorization": f"Bearer {self.keys[who]}"}, **kw)  # type: ignore[arg-type]

    def post(self, who: str, path: str, body: dict[str, str]) -> httpx.Response:
        with httpx.Client(base_url=self.base, timeout=60) as c:
            headers = {"Authorization": f"Bearer {self.keys[who]}"}
            return c.post(path, headers=headers, json=body)


@pytest.fixture(scope="module")
def api(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Api]:
    tmp = tmp_path_factory.mktemp("scope-api")
    con = connect(tmp / "s.duckdb")
    for cid, at, region in COMPLAINTS:
        con.execute(
            "INSERT INTO complaint (complaint_id, received_at, text, region_code, category, "
            "topic, row_hash, loaded_at) VALUES (?, ?, '异味扰民', ?, 'air', 'odour', ?, now())",
            [cid, datetime.fromisoformat(at).replace(tzinfo=CST), region, cid],
        )
    keys = {}
    for name, role, region, sources in (
        ("boss", "admin", None, []),
        ("hd", "analyst", "110108", []),
        ("bj", "analyst", "110000", []),
        ("plant", "enterprise", "110105", ["H9110105000000001v001P"]),
        ("citizen", "public", "110105", []),
    ):
        users.add_user(con, name, role, region, sources, PASSWORD)
        keys[name] = apikeys.create(con, name)[0]
    app = create_app(con, settings=Settings(data_dir=Path(tmp)), data_dir=Path(tmp))
    with on_loopback(app) as base:
        yield Api(base, keys)
    close_app(app)
    con.close()


def _entries(api: Api, who: str, **params: str) -> dict[str, dict[str, object]]:
    r = api.get(who, "/api/v1/catalog", params=params)
    assert r.status_code == 200, r.text
    return {i["code"]: i for i in r.json()["items"]}


def _code(api: Api, table: str) -> str:
    return next(c for c, i in _entries(api, "boss").items() if i["table"] == table)


def test_complaint_figures_only_to_who_may_read_every_complaint(api: Api) -> None:
    code = _code(api, "complaint")
    whole = _entries(api, "boss")[code]
    assert whole["rows"] == 5 and whole["n_regions"] == 2  # by hand: 110105 and 110108
    assert whole["time_from"] == "2016-03-01T08:00:00+08:00"
    assert whole["time_to"] == "2016-05-20T12:00:00+08:00"
    # The Haidian analyst holds two of the five; the enterprise user may read none; the
    # Beijing analyst's scope holds both districts, but complaints are not shared through the
    # catalogue (不予共享, a table not yet described): the admin alone reads them here.
    for who in ("hd", "plant", "bj"):
        listed = _entries(api, who)[code]
        assert listed["rows"] is None and listed["time_from"] is None, who
        assert listed["n_regions"] is None and listed["coverage_withheld"], who
        cov = api.get(who, f"/api/v1/catalog/{code}").json()["coverage"]
        assert cov["rows"] is None and cov["regions"] is None and cov["withheld"], who


def test_internal_tables_are_invisible_to_everyone_but_an_admin(api: Api) -> None:
    everything = _entries(api, "boss")
    internal = {c for c, i in everything.items() if i["table"] in SECURITY}
    assert len(internal) == len(SECURITY)
    for who in ("hd", "bj", "plant"):
        seen = _entries(api, who)
        assert not internal & set(seen), who
        # Totals and facets count what the caller sees, nothing more.
        answer = api.get(who, "/api/v1/catalog").json()
        assert answer["total"] == len(everything) - len(SECURITY) == len(seen)
        for facet, counts in answer["facets"].items():
            assert sum(counts.values()) == answer["total"], (who, facet)
        for code in internal:
            for path in ("", "/data", "/lineage"):
                r = api.get(who, f"/api/v1/catalog/{code}{path}")
                assert r.status_code in (403, 404), (who, code, path, r.status_code)
                assert "password_hash" not in r.text
            r = api.get(who, f"/api/v1/catalog/{code}")
            assert r.status_code == 404, (who, code)
    # Applying for one is applying for an unknown resource.
    audit_log = next(c for c in internal if everything[c]["table"] == "audit_log")
    r = api.post("hd", f"/api/v1/catalog/{audit_log}/applications", {
        "purpose": "x", "region": "110108", "valid_from": "2026-01-01",
        "valid_to": "2026-01-02"})  # fmt: skip
    assert r.status_code == 404
    # Searches: the names and columns of the hidden tables match nothing but for an admin.
    for q in ("password", "审计日志", "api_key"):
        assert api.get("hd", "/api/v1/catalog", params={"q": q}).json()["total"] == 0, q
        assert api.get("boss", "/api/v1/catalog", params={"q": q}).json()["total"] >= 1, q
    # The full DCAT behind the log-in lists what the list lists.
    ttl = api.get("hd", "/api/v1/catalog/dcat", params={"format": "ttl"}).text
    for code in internal:
        assert code not in ttl


def test_a_public_user_sees_the_open_entries_only(api: Api) -> None:
    seen = _entries(api, "citizen")
    assert seen and all(i["published"] and i["open_type"] != "不予开放" for i in seen.values())
    answer = api.get("citizen", "/api/v1/catalog").json()
    for facet, counts in answer["facets"].items():
        assert sum(counts.values()) == answer["total"] == len(seen), facet


def test_placeless_tables_follow_the_sharing_type(api: Api) -> None:
    # The catalogue's own resource table has no region: 无条件共享, so an analyst reads every
    # row (and sees its figures); an enterprise user reads it only by a grant (and does not).
    code = _code(api, "catalog_resource")
    assert _entries(api, "hd")[code]["rows"] == _entries(api, "boss")[code]["rows"] > 0
    assert _entries(api, "plant")[code]["rows"] is None
    # The review decisions of the registry (不予共享, no region): the admin's only.
    code = _code(api, "review_decision")
    assert "coverage_withheld" in _entries(api, "hd")[code]


def test_a_table_described_since_it_was_discovered_is_catalogued_once(tmp_path: Path) -> None:
    # A store whose catalogue found `review_flag` undescribed (catalogued under 30100699, as
    # before resources.csv described it): the built-in resource takes over, the discovered
    # entry is retired, and its code is never given to another table.
    from ecohub.access.principal import SYSTEM
    from ecohub.catalog import service

    con = connect(tmp_path / "s.duckdb")
    try:
        resources.sync(con, force=True)
        row = {**resources._discovered(con, "review_flag", datetime.now(CST)),
               "code": "30100699-00099"}  # fmt: skip
        resources._insert(con, row)
        resources.sync(con, force=True)
        listed = service.list_resources(con, SYSTEM)["items"]
        assert [i["code"] for i in listed if i["table"] == "review_flag"] == ["30100101-00008"]
        assert resources.get(con, "30100699-00099") is None
        assert resources.next_code(con, "30100699") == "30100699-00100"
    finally:
        con.close()
