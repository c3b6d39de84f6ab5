"""Spatio-temporal hot spots: DBSCAN with the haversine metric, run per category and time window.

Space: scikit-learn's DBSCAN on (lat, lon) in radians with ``metric="haversine"`` (a ball tree),
``eps`` = ``hotspot_eps_m`` / Earth's radius, so the neighbourhood is a true distance in metres.

Time, as a windowed run (not a scaled extra dimension, which the haversine metric cannot carry):
the complaints of one category are cut into windows of ``hotspot_window_days`` starting every
``hotspot_step_days`` (overlapping by half) from a fixed calendar anchor (:data:`ANCHOR`, a
Monday 00:00 CST, so with the shipped 7-day step every window starts on a Monday), DBSCAN runs
on each window, and clusters that share a complaint (the same burst seen in two overlapping
windows) are merged. A hot spot is therefore at least ``hotspot_min_samples`` complaints of one
category within ``hotspot_eps_m`` chains of each other inside one window; a burst within any
``hotspot_window_days - hotspot_step_days`` (7 days) always falls inside one window. The
windows never move with the data: anchored at the oldest complaint, loading an older, unrelated
complaint anywhere shifted every window and made hot spots vanish or reappear. A place
complained about for months stays one hot spot as long as consecutive windows keep it dense.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass

import numpy as np
import pandas as pd
from sklearn.cluster import DBSCAN

from ecohub.complaints.params import Params
from ecohub.complaints.places import EARTH_RADIUS_M, haversine_m

__all__ = ["ANCHOR", "Hotspot", "find_hotspots"]

#: Where the windows are counted from: a Monday at midnight, China Standard Time. Any fixed
#: instant keeps a cluster independent of other data; a Monday makes the windows calendar weeks.
ANCHOR = pd.Timestamp("2000-01-03T00:00:00+08:00")


@dataclass(frozen=True)
class Hotspot:
    hotspot_id: str
    category: str
    topic: str
    region_code: str | None
    lon: float
    lat: float
    radius_m: float
    first_at: pd.Timestamp
    last_at: pd.Timestamp
    members: tuple[str, ...]  # complaint ids, oldest first


def _find(parent: list[int], i: int) -> int:
    while parent[i] != i:
        parent[i] = parent[parent[i]]
        i = parent[i]
    return i


def _clusters(group: pd.DataFrame, p: Params) -> list[list[int]]:
    """Row positions of ``group`` per merged cluster."""
    times = group["received_at"]
    rad = np.radians(group[["lat", "lon"]].to_numpy(float))
    parent = list(range(len(group)))
    clustered = np.zeros(len(group), dtype=bool)
    window, step = pd.Timedelta(days=p.hotspot_window_days), pd.Timedelta(days=p.hotspot_step_days)
    # The first anchored window that still reaches the oldest complaint (start + window > it).
    start = ANCHOR + ((times.min() - ANCHOR - window) // step + 1) * step
    last = times.max()
    eps = p.hotspot_eps_m / EARTH_RADIUS_M
    while start <= last:
        inside = np.flatnonzero(((times >= start) & (times < start + window)).to_numpy())
        if inside.size >= p.hotspot_min_samples:
            labels = DBSCAN(eps=eps, min_samples=p.hotspot_min_samples, metric="haversine",
                            algorithm="ball_tree").fit_predict(rad[inside])  # fmt: skip
            for label in set(labels) - {-1}:
                members = inside[labels == label]
                clustered[members] = True
                root = _find(parent, int(members[0]))
                for m in members[1:]:
                    parent[_find(parent, int(m))] = root
        start += step
    groups: dict[int, list[int]] = {}
    for i in np.flatnonzero(clustered):
        groups.setdefault(_find(parent, int(i)), []).append(int(i))
    return list(groups.values())


def find_hotspots(frame: pd.DataFrame, p: Params) -> list[Hotspot]:
    """Hot spots of ``frame`` (complaint_id, received_at, category, topic, region_code, lon,
    lat); complaints without a point and of category ``other`` take no part."""
    pts = frame[frame["lon"].notna() & frame["lat"].notna() & (frame["category"] != "other")]
    out: list[Hotspot] = []
    for category, group in pts.sort_values(["received_at", "complaint_id"]).groupby(
        "category", sort=True
    ):
        group = group.reset_index(drop=True)
        for members in _clusters(group, p):
            rows = group.iloc[sorted(members)]
            lon, lat = float(rows["lon"].mean()), float(rows["lat"].mean())
            regions = Counter(r for r in rows["region_code"] if isinstance(r, str))
            out.append(
                Hotspot(
                    hotspot_id="H" + str(rows["complaint_id"].iloc[0]),
                    category=str(category),
                    topic=Counter(rows["topic"]).most_common(1)[0][0],
                    region_code=regions.most_common(1)[0][0] if regions else None,
                    lon=round(lon, 6),
                    lat=round(lat, 6),
                    radius_m=round(float(haversine_m(lon, lat, rows["lon"], rows["lat"]).max()), 1),
                    first_at=rows["received_at"].iloc[0],
                    last_at=rows["received_at"].iloc[-1],
                    members=tuple(rows["complaint_id"]),
                )
            )
    return out
