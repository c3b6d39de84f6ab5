"""Repeat complaints: the same topic about the same place within a few days.

"Same place" is within ``repeat_distance_m`` of each other when both have a point; otherwise
the same normalised address in the same county. The normalised address drops the division
names, so 幸福小区 in Dongcheng and 幸福小区 in Pudong compare equal: only the county (region
code) tells them apart. And two points farther apart than the threshold are two places, whatever
their addresses say. A repeat points at the first complaint of its chain (``repeat_of``), so a
place complained about every day for a month is one chain, not thirty pairs.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from ecohub.complaints.params import Params
from ecohub.complaints.places import haversine_m

__all__ = ["find_repeats"]


def find_repeats(frame: pd.DataFrame, p: Params) -> pd.Series:
    """``repeat_of`` per row of ``frame`` (complaint_id, received_at, topic, region_code, lon,
    lat, address_norm): the id of its chain's first complaint, or None."""
    out = pd.Series([None] * len(frame), index=frame.index, dtype=object)
    window = pd.Timedelta(days=p.repeat_days)
    for _, group in frame.sort_values("received_at").groupby("topic", sort=False):
        if group["topic"].iloc[0] == "other":
            continue  # "other" is no topic: two enquiries are not one problem
        ids = group["complaint_id"].to_numpy(object)
        times = group["received_at"].to_numpy("datetime64[ns]")
        lon, lat = group["lon"].to_numpy(float), group["lat"].to_numpy(float)
        addr = group["address_norm"].to_numpy(object)
        county = group["region_code"].to_numpy(object)
        root: list[str | None] = [None] * len(group)
        start = 0
        for i in range(len(group)):
            while times[i] - times[start] > window.to_timedelta64():
                start += 1
            if start == i:
                continue
            js = np.arange(start, i)
            near = np.zeros(len(js), dtype=bool)
            if not np.isnan(lon[i]):
                near = haversine_m(lon[i], lat[i], lon[js], lat[js]) <= p.repeat_distance_m
            if isinstance(addr[i], str) and isinstance(county[i], str):
                same = (addr[js] == addr[i]) & (county[js] == county[i])
                # Both placed: the distance above has decided, an equal address cannot undo it.
                both = ~np.isnan(lon[js]) & (not np.isnan(lon[i]))
                near |= same & ~both
            hits = js[near]
            if hits.size:
                j = int(hits[-1])  # the latest earlier one; its chain's first is the root
                root[i] = root[j] or ids[j]
        out.loc[group.index] = root
    return out
