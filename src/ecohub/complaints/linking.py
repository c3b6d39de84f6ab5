"""Candidate sources of a complaint or hot spot: near, in a fitting industry, upwind.

A registry source (``source`` with a WGS84 point, not merged or closed) is a candidate for a
complaint when it lies within ``candidate_radius_m`` and its industry fits the complaint's topic
(``topic_industries.csv``; a topic no industry fits — traffic noise, a neighbour's renovation —
gets no candidates). Its score, 0..1:

    w_distance · (1 − d / candidate_radius_m) + w_industry · fit + w_wind · wind

where ``wind`` is 1 when the source lies upwind of the complaint (its bearing within
``upwind_half_angle`` of the direction the wind comes from), 0 when downwind, and 0.5 when no
wind is known: the wind direction (HJ 212 ``a01008``, degrees, where the wind blows from) of the
nearest station within ``wind_radius_m`` reporting it within ``wind_hours`` of the complaint.
The Beijing sample has no wind observations, so there every ``upwind`` is NULL.
"""

from __future__ import annotations

import duckdb
import numpy as np
import numpy.typing as npt
import pandas as pd
from sklearn.neighbors import BallTree

from ecohub.complaints.hotspots import Hotspot
from ecohub.complaints.params import Params, industry_fit
from ecohub.complaints.places import EARTH_RADIUS_M, haversine_m

__all__ = ["bearing_deg", "complaint_candidates", "hotspot_candidates", "registry_sources",
           "wind_at"]  # fmt: skip

WIND_DIRECTION = "a01008"  # HJ 212: 风向, degrees


def registry_sources(con: duckdb.DuckDBPyConnection) -> pd.DataFrame:
    """Sources with a point that may still emit (not merged, closed or retired)."""
    return con.execute(
        "SELECT source_code, name, industry, lon, lat FROM source "
        "WHERE lon IS NOT NULL AND lat IS NOT NULL "
        "AND COALESCE(status, 'active') NOT IN ('merged', 'closed', 'retired') "
        "ORDER BY source_code"
    ).df()


def bearing_deg(
    lon1: npt.ArrayLike, lat1: npt.ArrayLike, lon2: npt.ArrayLike, lat2: npt.ArrayLike
) -> npt.NDArray[np.float64]:
    """Initial great-circle bearing from point 1 to point 2, degrees clockwise from north."""
    x1, y1, x2, y2 = (np.radians(np.asarray(v, dtype=float)) for v in (lon1, lat1, lon2, lat2))
    y = np.sin(x2 - x1) * np.cos(y2)
    x = np.cos(y1) * np.sin(y2) - np.sin(y1) * np.cos(y2) * np.cos(x2 - x1)
    return np.asarray((np.degrees(np.arctan2(y, x)) + 360.0) % 360.0, dtype=float)


def wind_at(con: duckdb.DuckDBPyConnection, frame: pd.DataFrame, p: Params) -> pd.Series:
    """Wind direction (degrees from) per complaint of ``frame`` with a point, or NaN."""
    out = pd.Series(np.nan, index=frame.index)
    stations = con.execute(
        "SELECT s.station_id, s.lon, s.lat FROM station s WHERE s.lon IS NOT NULL AND "
        "s.lat IS NOT NULL AND EXISTS (SELECT 1 FROM observation_all o WHERE o.station_id = "
        "s.station_id AND o.parameter = ?)",
        [WIND_DIRECTION],
    ).df()
    pts = frame[frame["lon"].notna()]
    if stations.empty or pts.empty:
        return out
    d = haversine_m(
        pts["lon"].to_numpy()[:, None],
        pts["lat"].to_numpy()[:, None],
        stations["lon"].to_numpy()[None, :],
        stations["lat"].to_numpy()[None, :],
    )
    nearest = d.argmin(axis=1)
    ok = d[np.arange(len(pts)), nearest] <= p.wind_radius_m
    ask = pd.DataFrame({"i": pts.index[ok], "station_id": stations["station_id"].to_numpy()[
        nearest[ok]], "ts": pts["received_at"].to_numpy()[ok]})  # fmt: skip
    if ask.empty:
        return out
    con.register("_ecohub_wind_ask", ask)
    try:
        got = con.execute(
            "SELECT a.i, arg_min(o.value, abs(epoch(o.time) - epoch(a.ts))) AS wd "
            "FROM _ecohub_wind_ask a JOIN observation_all o ON o.station_id = a.station_id "
            "AND o.parameter = ? AND o.time BETWEEN a.ts - to_hours(CAST(? AS BIGINT)) "
            "AND a.ts + to_hours(CAST(? AS BIGINT)) GROUP BY a.i",
            [WIND_DIRECTION, int(p.wind_hours), int(p.wind_hours)],
        ).df()
    finally:
        con.unregister("_ecohub_wind_ask")
    out.loc[got["i"].to_numpy()] = got["wd"].to_numpy(float)
    return out


def _wind_term(upwind: pd.Series) -> npt.NDArray[np.float64]:
    return np.array([0.5 if u is None or pd.isna(u) else float(bool(u)) for u in upwind])


def complaint_candidates(
    frame: pd.DataFrame, sources: pd.DataFrame, wind: pd.Series, p: Params
) -> pd.DataFrame:
    """One row per (complaint, candidate source), ranked by score within each complaint."""
    cols = ["complaint_id", "source_code", "distance_m", "industry_fit", "upwind", "score",
            "rank", "received_at", "topic"]  # fmt: skip
    pts = frame[frame["lon"].notna() & (frame["category"] != "other")]
    if pts.empty or sources.empty:
        return pd.DataFrame({c: [] for c in cols})
    tree = BallTree(np.radians(sources[["lat", "lon"]].to_numpy(float)), metric="haversine")
    hits = tree.query_radius(np.radians(pts[["lat", "lon"]].to_numpy(float)),
                             r=p.candidate_radius_m / EARTH_RADIUS_M)  # fmt: skip
    rows = []
    for (idx, c), near in zip(pts.iterrows(), hits, strict=True):
        for k in near:
            s = sources.iloc[int(k)]
            fit = industry_fit(c["topic"], s["industry"], s["name"])
            if fit <= 0:
                continue
            dist = float(haversine_m(c["lon"], c["lat"], s["lon"], s["lat"]))
            up = None
            wd = float(wind.get(idx, np.nan))
            if not np.isnan(wd):
                diff = abs((bearing_deg(c["lon"], c["lat"], s["lon"], s["lat"]) - wd
                            + 180.0) % 360.0 - 180.0)  # fmt: skip
                up = bool(diff <= p.upwind_half_angle)
            rows.append((c["complaint_id"], s["source_code"], round(dist, 1), fit, up,
                         c["received_at"], c["topic"]))  # fmt: skip
    if not rows:
        return pd.DataFrame({c: [] for c in cols})
    out = pd.DataFrame(
        rows,
        columns=[
            "complaint_id",
            "source_code",
            "distance_m",
            "industry_fit",
            "upwind",
            "received_at",
            "topic",
        ],
    )
    out["score"] = np.round(p.w_distance * (1 - out["distance_m"] / p.candidate_radius_m)
                            + p.w_industry * out["industry_fit"]
                            + p.w_wind * _wind_term(out["upwind"]), 4)  # fmt: skip
    out = out.sort_values(["complaint_id", "score", "source_code"], ascending=[True, False, True])
    out["rank"] = out.groupby("complaint_id").cumcount() + 1
    return out[out["rank"] <= p.candidate_max][cols].reset_index(drop=True)


def hotspot_candidates(
    spots: list[Hotspot], sources: pd.DataFrame, links: pd.DataFrame, p: Params
) -> pd.DataFrame:
    """One row per (hot spot, candidate source): distance from the centroid (the radius widened
    by the hot spot's own), industry fit to its topic, wind as the mean of its complaints'."""
    cols = ["hotspot_id", "source_code", "distance_m", "industry_fit", "score", "rank"]
    rows = []
    for h in spots:
        if sources.empty:
            break
        reach = p.candidate_radius_m + h.radius_m
        d = haversine_m(h.lon, h.lat, sources["lon"], sources["lat"])
        mine = links[links["complaint_id"].isin(h.members)] if not links.empty else links
        for k in np.flatnonzero(d <= reach):
            s = sources.iloc[int(k)]
            fit = industry_fit(h.topic, s["industry"], s["name"])
            if fit <= 0:
                continue
            ups = mine[mine["source_code"] == s["source_code"]]["upwind"] if len(mine) else []
            wind = float(np.mean(_wind_term(pd.Series(list(ups))))) if len(ups) else 0.5
            score = p.w_distance * (1 - d[k] / reach) + p.w_industry * fit + p.w_wind * wind
            rows.append((h.hotspot_id, s["source_code"], round(float(d[k]), 1), fit,
                         round(float(score), 4)))  # fmt: skip
    if not rows:
        return pd.DataFrame({c: [] for c in cols})
    out = pd.DataFrame(rows, columns=cols[:-1])
    out = out.sort_values(["hotspot_id", "score", "source_code"], ascending=[True, False, True])
    out["rank"] = out.groupby("hotspot_id").cumcount() + 1
    return out[out["rank"] <= p.candidate_max].reset_index(drop=True)
