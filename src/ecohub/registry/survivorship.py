"""Survivorship: which of a source's records its master name, address and point come from.

Rule (docs/design.md, "Status, full lists and survivorship"): **the newest record wins, field by
field, and the place fields travel together.** Records are ranked: still listed before withdrawn
by a full list; then newest first by their *as-of* time (the record's own date when its list
gives one, else when its content was loaded - an unchanged row reloaded keeps its time); then
latest loaded; then record id, so the choice never depends on the order rows come back in.

* name, industry: from the first record in that order that has one;
* address: from the first record that has one (the *address record*); its region code too, else
  the first record's that has one;
* point: from the first record that has one *at the master address* (same normalised address,
  or no address at all), so the master never pairs one site's address with another site's
  point. When no record at that address has a point, the master has none.

It replaced "most frequent value, ties to the smallest string", under which a renamed or moved
plant with one record on each side showed whichever name or address sorts first in Unicode
(红星 before 绿源), and a point that was the median of all records' points.
"""

from __future__ import annotations

import pandas as pd

__all__ = ["AS_OF_SQL", "master", "ranked"]

#: A record's as-of time in SQL: its own date (from the day's start), else when it was loaded.
AS_OF_SQL = "coalesce(CAST(record_date AS TIMESTAMPTZ), loaded_at)"


def ranked(df: pd.DataFrame, key: str) -> pd.DataFrame:
    """``df`` (columns ``key``, ``unique_id``, ``as_of``, ``loaded_at``, ``withdrawn_at``) in
    survivorship order within each ``key``."""
    order = df.assign(_listed=df["withdrawn_at"].isna())
    order = order.sort_values(
        [key, "_listed", "as_of", "loaded_at", "unique_id"],
        ascending=[True, False, False, False, True],
        na_position="last",
        kind="stable",
    )
    return order.drop(columns="_listed")


def _first(order: pd.DataFrame, key: str, col: str) -> pd.Series:
    return order.dropna(subset=[col]).drop_duplicates(key).set_index(key)[col]


def master(df: pd.DataFrame, key: str) -> pd.DataFrame:
    """Per ``key``: ``name``, ``address``, ``region_code``, ``industry``, ``lon``, ``lat`` by the
    rule above. ``df`` holds those record columns (``lon_wgs``/``lat_wgs`` for the point) and
    ``address_norm`` besides the ones :func:`ranked` needs."""
    order = ranked(df, key)
    out = pd.DataFrame(index=pd.Index(order[key].unique(), name=key))
    out["name"] = _first(order, key, "name")
    out["industry"] = _first(order, key, "industry")
    lead = order.dropna(subset=["address"]).drop_duplicates(key).set_index(key)
    out["address"] = lead["address"]
    out["region_code"] = lead["region_code"].combine_first(_first(order, key, "region_code"))
    place = order[key].map(lead["address_norm"])
    at_place = order["address_norm"].isna() | place.isna() | (order["address_norm"] == place)
    has_point = order["lon_wgs"].notna() & order["lat_wgs"].notna()
    point = order[at_place & has_point].drop_duplicates(key).set_index(key)
    out["lon"], out["lat"] = point["lon_wgs"], point["lat_wgs"]
    return out
