"""Key regions (重点区域) as data: sets of divisions from ``data/key_regions.csv``.

Each is stored in ``region`` (kind ``key_region``) with the union of its members' boundaries,
and its members in ``region_member``; the CSV names the defining document of every region.
"""

from __future__ import annotations

import csv
import io
from dataclasses import dataclass
from functools import cache
from importlib import resources
from typing import Any

import duckdb
import shapely

from ecohub.geo.errors import GeoError
from ecohub.standards import divisions

TABLE = "key_regions.csv"


@dataclass(frozen=True)
class KeyRegion:
    region_id: str
    name: str
    name_en: str
    members: tuple[str, ...]
    source: str


@cache
def definitions() -> tuple[KeyRegion, ...]:
    """The key regions of the bundled CSV, members checked against GB/T 2260 (read once)."""
    text = resources.files("ecohub.geo").joinpath("data", TABLE).read_text(encoding="utf-8")
    body = "\n".join(line for line in text.splitlines() if not line.startswith("#"))
    out = []
    for row in csv.DictReader(io.StringIO(body)):
        members = tuple(m.strip() for m in row["members"].split(";") if m.strip())
        for code in members:
            divisions.validate(code)
        out.append(KeyRegion(row["region_id"], row["name"], row["name_en"], members, row["source"]))
    return tuple(out)


def install(con: duckdb.DuckDBPyConnection) -> dict[str, Any]:
    """(Re)write the key regions; their geometry is the union of their members' boundaries."""
    rows = []
    for region in definitions():
        marks = ", ".join("?" for _ in region.members)
        found = con.execute(
            f"SELECT code, geom_wkb FROM region WHERE kind = 'division' AND code IN ({marks})",
            list(region.members),
        ).fetchall()
        missing = sorted(set(region.members) - {code for code, _ in found})
        if missing:
            raise GeoError(region.region_id, f"members without a boundary: {', '.join(missing)}")
        union = shapely.union_all(shapely.from_wkb([wkb for _, wkb in found]))
        union = shapely.orient_polygons(union, exterior_cw=False)
        rows.append((region, union))
    con.execute("BEGIN")
    try:
        # The bundled codes are reserved: a region a user loaded under one (possible before
        # loading refused them) gives way to the bundled region.
        ids = [region.region_id for region, _ in rows]
        bundled = (
            "(SELECT code FROM region WHERE kind <> 'division' AND "
            "((kind = 'key_region' AND source LIKE 'bundled:%') OR list_contains(?, code)))"
        )
        con.execute(f"DELETE FROM region_member WHERE region_code IN {bundled}", [ids])
        con.execute(f"DELETE FROM region WHERE code IN {bundled}", [ids])
        for region, geom in rows:
            x0, y0, x1, y1 = geom.bounds
            con.execute(
                "INSERT INTO region (code, name, name_en, level, kind, geom_wkb, xmin, ymin, xmax,"
                " ymax, leaf, source, loaded_at) VALUES (?, ?, ?, 'key_region', 'key_region', ?,"
                " ?, ?, ?, ?, FALSE, ?, now())",
                [region.region_id, region.name, region.name_en, shapely.to_wkb(geom),
                 x0, y0, x1, y1, f"bundled:{region.source}"],
            )  # fmt: skip
            con.executemany(
                "INSERT INTO region_member VALUES (?, ?)",
                [[region.region_id, code] for code in region.members],
            )
        con.execute("COMMIT")
    except Exception:
        con.execute("ROLLBACK")
        raise
    return {"key_regions": len(rows)}
