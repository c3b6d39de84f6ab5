"""Where a complaint is: WGS84 point, county, normalised address; and distances in metres.

- The point is the file's, converted from GCJ-02 when the file says so (web maps in China give
  GCJ-02; :mod:`ecohub.geo.gcj02`).
- The county: a GB/T 2260 code the file gives wins (``given``); else the county whose boundary
  holds the point (``point``, :func:`ecohub.geo.assign_counties`); else the most specific
  division the address names (``address``, :func:`ecohub.standards.divisions.resolve_address`).
  A given code that is no division is passed over, and ``region_from`` says so
  (``point; given 110501 is no GB/T 2260 division``); the loader has already rejected such a
  row when it has no point.
- The normalised address (NFKC, simplified characters, without the leading division names and
  punctuation) is what "same place" compares when a complaint has no point.
"""

from __future__ import annotations

import duckdb
import numpy as np
import numpy.typing as npt
import pandas as pd

from ecohub.geo.gcj02 import gcj02_to_wgs84
from ecohub.standards.divisions import is_valid, resolve_address

__all__ = ["EARTH_RADIUS_M", "haversine_m", "locate"]

EARTH_RADIUS_M = 6_371_008.8  # IUGG mean Earth radius; the haversine distances use it


def haversine_m(
    lon1: npt.ArrayLike, lat1: npt.ArrayLike, lon2: npt.ArrayLike, lat2: npt.ArrayLike
) -> npt.NDArray[np.float64]:
    """Great-circle distance in metres between points in degrees (broadcasting)."""
    x1, y1, x2, y2 = (np.radians(np.asarray(v, dtype=float)) for v in (lon1, lat1, lon2, lat2))
    h = np.sin((y2 - y1) / 2) ** 2 + np.cos(y1) * np.cos(y2) * np.sin((x2 - x1) / 2) ** 2
    return np.asarray(2 * EARTH_RADIUS_M * np.arcsin(np.sqrt(np.clip(h, 0, 1))), dtype=float)


def locate(
    con: duckdb.DuckDBPyConnection,
    address: pd.Series,
    lon: npt.NDArray[np.float64],
    lat: npt.NDArray[np.float64],
    region_code: pd.Series,
    *,
    crs: str = "wgs84",
) -> pd.DataFrame:
    """``lon``, ``lat`` (WGS84), ``region_code``, ``region_from`` and ``address_norm`` per row."""
    from ecohub.registry.normalize import normalize_addresses

    lon, lat = np.asarray(lon, dtype=float), np.asarray(lat, dtype=float)
    has_point = ~np.isnan(lon) & ~np.isnan(lat)
    if crs == "gcj02" and has_point.any():
        wlon, wlat = gcj02_to_wgs84(lon[has_point], lat[has_point])
        lon, lat = lon.copy(), lat.copy()
        lon[has_point], lat[has_point] = wlon, wlat
    n = len(lon)
    region: list[str | None] = [None] * n
    source: list[str | None] = [None] * n
    given = region_code.reset_index(drop=True)
    unknown: dict[int, str] = {}
    for i, code in enumerate(given):
        if isinstance(code, str) and code:
            if is_valid(code):
                region[i], source[i] = code, "given"
            else:
                # A code no division has (000000, or 110501 for 110105) would hide the complaint
                # from the district that owns it: the point (or address) places it instead.
                unknown[i] = code
    need_point = np.flatnonzero(has_point & np.array([r is None for r in region], dtype=bool))
    if need_point.size:
        from ecohub.geo import assign_counties

        counties = assign_counties(con, lon[need_point], lat[need_point])
        for k, code in zip(need_point.tolist(), counties, strict=True):
            if code is not None:
                region[k], source[k] = str(code), "point"
    addresses = address.reset_index(drop=True)
    for i, text in enumerate(addresses):
        if region[i] is None and isinstance(text, str):
            code = resolve_address(text)
            if code is not None:
                region[i], source[i] = code, "address"
    for i, code in unknown.items():
        found = source[i] or "none"
        source[i] = f"{found}; given {code} is no GB/T 2260 division"
    norm = normalize_addresses(addresses.astype(object).where(addresses.notna(), None))
    return pd.DataFrame(
        {
            "lon": np.round(lon, 6),
            "lat": np.round(lat, 6),
            "region_code": region,
            "region_from": source,
            "address_norm": norm["address_norm"].to_numpy(object),
        }
    )
