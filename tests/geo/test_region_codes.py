"""A user region's code never takes the place of a division, a bundled key region or a region
of another kind; loading the same kind under the same code replaces it (the documented reload)."""

from __future__ import annotations

import json

import duckdb
import pytest

from ecohub.access.principal import SYSTEM
from ecohub.geo import GeoError, ensure_regions, load_region, stations_in

SQUARE = {
    "type": "Polygon",
    "coordinates": [[[116.0, 40.0], [116.2, 40.0], [116.2, 40.2], [116.0, 40.2], [116.0, 40.0]]],
}


def _load(con: duckdb.DuckDBPyConnection, name: str, kind: str, code: str | None) -> str:
    return str(load_region(con, json.dumps(SQUARE), name=name, kind=kind, code=code)["code"])


@pytest.mark.parametrize(
    ("code", "reason"),
    [
        ("fenwei", "bundled key region"),  # 汾渭平原 (key_regions.csv)
        ("jjj-2+26", "bundled key region"),  # 京津冀及周边 "2+26" cities
    ],
)
def test_a_bundled_key_regions_code_is_refused(
    con: duckdb.DuckDBPyConnection, code: str, reason: str
) -> None:
    ensure_regions(con)
    before = con.execute("SELECT name, kind, source FROM region WHERE code = ?", [code]).fetchone()
    for kind in ("custom", "key_region", "basin"):
        with pytest.raises(GeoError, match=reason) as err:
            _load(con, "假汾渭", kind, code)
        assert err.value.where == "code"
    after = con.execute("SELECT name, kind, source FROM region WHERE code = ?", [code]).fetchone()
    assert after == before and before is not None


def test_a_region_of_another_kind_keeps_its_code(con: duckdb.DuckDBPyConnection) -> None:
    code = _load(con, "海河流域", "basin", "haihe")
    with pytest.raises(GeoError, match="the basin '海河流域', not a custom") as err:
        _load(con, "my area", "custom", code)
    assert err.value.where == "code"
    # the same kind under the same code is the documented reload: replaced
    assert _load(con, "海河流域（修订）", "basin", code) == code
    row = con.execute("SELECT name, kind FROM region WHERE code = ?", [code]).fetchone()
    assert row == ("海河流域（修订）", "basin")


def test_a_division_code_is_refused(con: duckdb.DuckDBPyConnection) -> None:
    # a GB/T 2260 code is all digits: no user code can be one
    with pytest.raises(GeoError, match="lower-case letter first") as err:
        _load(con, "x", "custom", "110105")
    assert err.value.where == "code"


def test_a_bundled_region_held_by_another_comes_back(con: duckdb.DuckDBPyConnection) -> None:
    """A store where a user region took a bundled code (possible before loading refused it):
    the next use of regions installs the bundled region again, under its code."""
    ensure_regions(con)
    con.execute(
        "UPDATE region SET kind = 'custom', name = '假汾渭', source = 'user:wgs84' "
        "WHERE code = 'fenwei'"
    )
    ensure_regions(con)
    row = con.execute("SELECT name, kind FROM region WHERE code = 'fenwei'").fetchone()
    assert row == ("汾渭平原", "key_region")
    # and it is the plain again: Xi'an (610100 members) is inside, Beijing is not
    con.execute(
        "INSERT INTO station (station_id, network, region_code, lon, lat) VALUES "
        "('xian', 'air', '610113', 108.94, 34.26), ('beijing', 'air', '110105', 116.45, 39.93)"
    )
    assert {r["station_id"] for r in stations_in(con, SYSTEM, "fenwei")} == {"xian"}
