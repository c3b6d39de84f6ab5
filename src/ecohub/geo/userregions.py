"""User regions: basins, key regions or custom areas loaded from GeoJSON (``ecohub geo load``).

A region's code is ``<kind>-<10 hex digits of SHA-256 of its name>`` unless given: loading the
same name again replaces it (idempotent), and no such code can be a GB/T 2260 code. The file is
validated whole before anything is written (:mod:`ecohub.geo.geojson_check`), and the write is
one transaction, so a bad file stores nothing.
"""

from __future__ import annotations

import hashlib
import re
from pathlib import Path
from typing import Any

import duckdb
import shapely

from ecohub.geo import boundaries
from ecohub.geo.errors import GeoError
from ecohub.geo.geojson_check import parse_area

KINDS = ("basin", "key_region", "custom")
_CODE = re.compile(r"^[a-z][a-z0-9_+-]{1,63}$")


def region_code(kind: str, name: str) -> str:
    return f"{kind}-{hashlib.sha256(name.encode('utf-8')).hexdigest()[:10]}"


def _check_code_free(con: duckdb.DuckDBPyConnection, code: str, kind: str) -> None:
    """Loading replaces only a user region of the same kind under the same code: a division,
    a bundled key region (even one not installed yet) or a region of another kind keeps it."""
    from ecohub.geo.keyregions import definitions

    if code in {k.region_id for k in definitions()}:
        raise GeoError("code", f"{code!r} is a bundled key region's code")
    clash = con.execute("SELECT kind, name, source FROM region WHERE code = ?", [code]).fetchone()
    if clash is None:
        return
    held, name, source = clash
    if held == "division":
        raise GeoError("code", f"{code!r} is a division code")
    if str(source or "").startswith("bundled:"):
        raise GeoError("code", f"{code!r} is the bundled {held} {name!r}")
    if held != kind:
        raise GeoError("code", f"{code!r} is the {held} {name!r}, not a {kind}: use another code")


def load_region(
    con: duckdb.DuckDBPyConnection,
    source: Path | str | bytes,
    *,
    name: str,
    kind: str,
    crs: str = "wgs84",
    code: str | None = None,
) -> dict[str, Any]:
    """Validate a GeoJSON file (path) or text and store it as one region; plain summary back."""
    name = name.strip()
    if not name:
        raise GeoError("name", "must not be empty")
    if kind not in KINDS:
        raise GeoError("kind", f"must be one of {', '.join(KINDS)}, not {kind!r}")
    code = code or region_code(kind, name)
    if not _CODE.match(code):
        raise GeoError("code", f"{code!r}: lower-case letter first, then letters, digits, _ + -")
    if isinstance(source, Path):
        try:
            data: str | bytes = source.read_bytes()
        except OSError as exc:
            raise GeoError("file", f"cannot read {source}: {exc.strerror}") from None
    else:
        data = source
    parsed = parse_area(data, crs=crs, border=boundaries.national_border())
    _check_code_free(con, code, kind)
    geom = parsed.geometry
    x0, y0, x1, y1 = geom.bounds
    con.execute("BEGIN")
    try:
        con.execute("DELETE FROM region WHERE code = ?", [code])
        con.execute(
            "INSERT INTO region (code, name, level, kind, geom_wkb, xmin, ymin, xmax, ymax, leaf,"
            " source, loaded_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, FALSE, ?, now())",
            [code, name, kind, kind, shapely.to_wkb(geom), x0, y0, x1, y1,
             f"user:{crs}"],
        )  # fmt: skip
        con.execute("COMMIT")
    except Exception:
        con.execute("ROLLBACK")
        raise
    return {
        "code": code,
        "name": name,
        "kind": kind,
        "features": parsed.features,
        "parts": shapely.get_num_geometries(geom),
        "bbox": [x0, y0, x1, y1],
        "notes": parsed.notes,
    }


def list_regions(con: duckdb.DuckDBPyConnection, kind: str | None = None) -> list[dict[str, Any]]:
    """Non-division regions (key, basin, custom): code, name, kind, source."""
    sql = "SELECT code, name, kind, source FROM region WHERE kind <> 'division'"
    params: list[Any] = []
    if kind:
        sql += " AND kind = ?"
        params.append(kind)
    rows = con.execute(sql + " ORDER BY kind, code", params).fetchall()
    return [dict(zip(("code", "name", "kind", "source"), r, strict=True)) for r in rows]
