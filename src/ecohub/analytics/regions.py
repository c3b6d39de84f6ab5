"""Which city (region) a station's values roll up to, for city AQI and rankings.

A station carries the GB/T 2260 code of its county. Its *city* is the prefecture above
it — except where that prefecture row is only a grouping (``市辖区``/``县`` under the
four municipalities 北京, 天津, 上海, 重庆, or ``省直辖县级行政区划``): a municipality is
itself the city (Beijing's 1101xx stations -> 110000 北京市), and a county-level city
directly under a province is its own city. A station coded at prefecture or province
level is its own city. Codes GB/T 2260 does not know are kept as given.
"""

from __future__ import annotations

from functools import cache

import pandas as pd

from ecohub.standards import divisions
from ecohub.standards.errors import StandardsError

__all__ = ["city_of", "city_table"]

_GROUPINGS = frozenset({"市辖区", "县"})
_DIRECT_COUNTIES = frozenset({"省直辖县级行政区划", "自治区直辖县级行政区划"})


@cache
def city_of(region_code: str) -> str:
    """The city code a station in ``region_code`` is assessed with."""
    try:
        div = divisions.lookup(region_code)
    except StandardsError:
        return region_code
    if div.level != "county":
        return div.code
    parent = divisions.parent(div.code)
    if parent is None:
        return div.code
    pdiv = divisions.lookup(parent)
    if pdiv.name in _GROUPINGS:
        return divisions.parent(parent) or parent
    if pdiv.name in _DIRECT_COUNTIES:
        return div.code
    return parent


def city_table(stations: pd.DataFrame) -> pd.DataFrame:
    """``station_id, city_code, city_name`` for a frame of ``station_id, region_code``."""
    rows = []
    for sid, code in zip(stations.station_id, stations.region_code, strict=True):
        if code is None or (isinstance(code, float) and pd.isna(code)):
            continue
        city = city_of(str(code))
        try:
            name = divisions.lookup(city).name
        except StandardsError:
            name = city
        rows.append((str(sid), city, name))
    return pd.DataFrame(rows, columns=["station_id", "city_code", "city_name"])
