"""Re-ordering `source` along a Hilbert curve keeps every row and value; only the order (and the
page key `hkey` that records it) changes."""

from __future__ import annotations

import duckdb

from ecohub.geo.storage import reorder_sources


def test_reorder_keeps_rows_and_puts_neighbours_together(con: duckdb.DuckDBPyConnection) -> None:
    # Codes alternate between two far-apart cities, so code order interleaves them.
    rows = []
    for i in range(40):
        lon, lat = (116.40 + i * 1e-4, 39.90) if i % 2 == 0 else (121.47 + i * 1e-4, 31.23)
        rows.append((f"S{i:03d}", f"name {i}", "4411", lon, lat))
    rows.append(("S999", "no point", None, None, None))
    con.executemany(
        "INSERT INTO source (source_code, name, industry, lon, lat) VALUES (?, ?, ?, ?, ?)", rows
    )
    values = "SELECT * EXCLUDE (hkey) FROM source"
    before = sorted(con.execute(values).fetchall(), key=str)
    assert reorder_sources(con) == 41
    stored = con.execute("SELECT source_code, lat FROM source ORDER BY rowid").fetchall()
    assert sorted(con.execute(values).fetchall(), key=str) == before
    # Storage order: one city's 20 sources, then the other's, then the one without a point.
    lats = [lat for _, lat in stored]
    assert len({*lats[:20]}) == 1 and len({*lats[20:40]}) == 1 and lats[0] != lats[20]
    assert stored[-1] == ("S999", None)
    # The page key: stored in its order, unique, the point's cell on the curve (DuckDB
    # spatial's ST_Hilbert over China's box, 16 bits a side) in the high 32 bits; no point: the
    # last cell.
    keys = con.execute(
        "SELECT hkey >> 32, ST_Hilbert(lon, lat, ST_Extent(ST_MakeEnvelope(73, 3, 136, 54))), "
        "hkey FROM source ORDER BY rowid"
    ).fetchall()
    assert [k for *_, k in keys] == sorted(k for *_, k in keys)
    assert len({k for *_, k in keys}) == 41
    assert all(cell == want for cell, want, _ in keys[:40]) and keys[40][0] == 2**32 - 1
    # The primary key still holds after the rewrite.
    con.execute("INSERT INTO source (source_code) VALUES ('S998')")
    try:
        con.execute("INSERT INTO source (source_code) VALUES ('S000')")
    except duckdb.ConstraintException:
        pass
    else:
        raise AssertionError("duplicate source_code accepted after the re-order")
