"""Run the whole analysis over the stored complaints and store it: repeats, hot spots,
candidate sources (``complaint_candidate`` and the shared ``complaint_source``).

Derived data: every run rebuilds it from ``complaint`` and ``source`` in one transaction, so a
reload, a new registry source or new wind observations are reflected by the next run, and a
failed run leaves the previous result in place.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import duckdb
import pandas as pd

from ecohub.complaints.hotspots import find_hotspots
from ecohub.complaints.linking import (
    complaint_candidates,
    hotspot_candidates,
    registry_sources,
    wind_at,
)
from ecohub.complaints.params import Params, params
from ecohub.complaints.repeats import find_repeats
from ecohub.cst import CST

__all__ = ["analyse"]


def analyse(con: duckdb.DuckDBPyConnection, p: Params | None = None) -> dict[str, Any]:
    """Recompute and store repeats, hot spots and candidates; plain counts of what was found."""
    p = p or params()
    frame = con.execute(
        "SELECT complaint_id, received_at, category, topic, region_code, lon, lat, address_norm "
        "FROM complaint ORDER BY received_at, complaint_id"
    ).df()
    frame["received_at"] = pd.to_datetime(frame["received_at"], utc=True)
    frame["repeat_of"] = find_repeats(frame, p)
    spots = find_hotspots(frame, p)
    member_of = {cid: h.hotspot_id for h in spots for cid in h.members}
    frame["hotspot_id"] = frame["complaint_id"].map(member_of)
    sources = registry_sources(con)
    links = complaint_candidates(frame, sources, wind_at(con, frame, p), p)
    spot_links = hotspot_candidates(spots, sources, links, p)
    _store(con, frame, spots, links, spot_links)
    return {
        "complaints": len(frame),
        "repeats": int(frame["repeat_of"].notna().sum()),
        "hotspots": len(spots),
        "in_hotspots": len(member_of),
        "candidates": len(links),
        "complaints_linked": int(links["complaint_id"].nunique()) if len(links) else 0,
        "hotspot_candidates": len(spot_links),
        "sources_with_points": len(sources),
    }


def _store(
    con: duckdb.DuckDBPyConnection,
    frame: pd.DataFrame,
    spots: list[Any],
    links: pd.DataFrame,
    spot_links: pd.DataFrame,
) -> None:
    now = datetime.now(UTC)
    marks = frame[["complaint_id", "repeat_of", "hotspot_id"]].astype(object)
    marks = marks.where(marks.notna(), None)
    spot_rows = pd.DataFrame(
        [(h.hotspot_id, h.category, h.topic, h.region_code, h.lon, h.lat, h.radius_m,
          h.first_at, h.last_at, len(h.members), now) for h in spots],
        columns=["hotspot_id", "category", "topic", "region_code", "lon", "lat", "radius_m",
                 "first_at", "last_at", "n_complaints", "computed_at"],
    )  # fmt: skip
    shared = links[["complaint_id", "source_code", "received_at", "topic", "distance_m", "score"]]
    shared = shared.copy()
    if len(shared):  # the agreed interface keeps CST wall time without zone (CST months)
        shared["received_at"] = (
            pd.to_datetime(shared["received_at"], utc=True).dt.tz_convert(CST).dt.tz_localize(None)
        )
    cand = links[["complaint_id", "source_code", "distance_m", "industry_fit", "upwind",
                  "score", "rank"]].astype(object)  # fmt: skip
    cand = cand.where(cand.notna(), None)
    con.execute("BEGIN")
    try:
        for name, df in (("_ecohub_cmarks", marks), ("_ecohub_spots", spot_rows),
                         ("_ecohub_shared", shared), ("_ecohub_cand", cand),
                         ("_ecohub_spotlinks", spot_links)):  # fmt: skip
            con.register(name, df)
        con.execute(
            "UPDATE complaint SET repeat_of = m.repeat_of, hotspot_id = m.hotspot_id "
            "FROM _ecohub_cmarks m WHERE complaint.complaint_id = m.complaint_id AND "
            "(complaint.repeat_of IS DISTINCT FROM m.repeat_of OR "
            "complaint.hotspot_id IS DISTINCT FROM m.hotspot_id)"
        )
        for table in ("complaint_hotspot", "complaint_hotspot_source", "complaint_candidate",
                      "complaint_source"):  # fmt: skip
            con.execute(f"DELETE FROM {table}")
        if len(spot_rows):
            con.execute("INSERT INTO complaint_hotspot SELECT * FROM _ecohub_spots")
        if len(spot_links):
            con.execute(
                "INSERT INTO complaint_hotspot_source SELECT hotspot_id, source_code, "
                "distance_m, industry_fit, score, rank FROM _ecohub_spotlinks"
            )
        if len(cand):
            con.execute(
                "INSERT INTO complaint_candidate SELECT complaint_id, source_code, distance_m, "
                "industry_fit, CAST(upwind AS BOOLEAN), score, rank FROM _ecohub_cand"
            )
            con.execute(
                "INSERT INTO complaint_source (complaint_id, source_code, received_at, topic, "
                "distance_m, score) SELECT complaint_id, source_code, received_at, topic, "
                "distance_m, score FROM _ecohub_shared"
            )
        con.execute("COMMIT")
    except BaseException:
        con.execute("ROLLBACK")
        raise
    finally:
        for name in ("_ecohub_cmarks", "_ecohub_spots", "_ecohub_shared", "_ecohub_cand",
                     "_ecohub_spotlinks"):  # fmt: skip
            con.unregister(name)
