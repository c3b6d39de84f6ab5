"""Scoped reads of complaints and hot spots, and the load: what the API and the CLI call.

Who sees what: complaints carry what citizens wrote about their neighbourhood, so only the
supervising roles read them — admin, analyst and inspector, each within their region
(:func:`ecohub.access.region_sql` on the complaint's or hot spot's county). An enterprise or a
public caller is refused (:class:`~ecohub.access.AccessDenied`, HTTP 403): nothing of a
complaint, not even the ones linked to its own sources, is shown to the accused. A complaint
whose county is unknown is outside every regional scope (only nationwide callers see it).

The ``region`` filter of the listings takes any region (:func:`ecohub.geo.filter.region_predicate`:
a division, key region, basin, custom region, drawn area or a distance around a point), on top
of the caller's scope.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import duckdb

from ecohub.access import Principal, region_sql, require_role
from ecohub.complaints.analyse import analyse
from ecohub.complaints.classify import CATEGORIES, topics
from ecohub.complaints.load import load_complaints
from ecohub.jobs.plain import jsonable
from ecohub.queries import QueryError, scoped_row
from ecohub.queries.listing import Keyset, Window, window
from ecohub.queries.paging import decode_cursor, encode_cursor, fingerprint, page_size
from ecohub.supervision.period import bound

__all__ = [
    "COLUMNS",
    "HOTSPOT_COLUMNS",
    "get_complaint",
    "hotspots",
    "list_complaints",
    "load",
]

COLUMNS = (
    "complaint_id", "received_at", "channel", "category", "topic", "text", "address",
    "region_code", "lon", "lat", "result", "repeat_of", "hotspot_id", "top_source",
)  # fmt: skip
HOTSPOT_COLUMNS = (
    "hotspot_id", "category", "topic", "region_code", "lon", "lat", "radius_m", "first_at",
    "last_at", "n_complaints", "sources",
)  # fmt: skip
MAX_QUERY_CHARS = 100


def _within(
    con: duckdb.DuckDBPyConnection, region: str | dict[str, Any] | None, alias: str, crs: str
) -> tuple[str, list[Any]]:
    """Rows of ``alias`` (a complaint or hot spot: a county code and a point) inside ``region``."""
    from ecohub.geo.filter import region_predicate

    return region_predicate(con, region, f"{alias}.region_code", lon=f"{alias}.lon",
                            lat=f"{alias}.lat", crs=crs)  # fmt: skip


def _readers(p: Principal) -> None:
    require_role(p, "analyst", "inspector")


def _check_filters(category: str | None, topic: str | None) -> None:
    if category is not None and category not in CATEGORIES:
        raise QueryError("category", f"must be one of {', '.join(CATEGORIES)}, got {category!r}")
    if topic is not None and topic not in topics():
        raise QueryError("topic", f"unknown topic {topic!r} (see docs/complaints.md)")


def list_complaints(
    con: duckdb.DuckDBPyConnection,
    p: Principal,
    *,
    region: str | dict[str, Any] | None = None,
    crs: str = "wgs84",
    category: str | None = None,
    topic: str | None = None,
    start: str | None = None,
    end: str | None = None,
    hotspot: str | None = None,
    source: str | None = None,
    q: str | None = None,
    repeats: bool | None = None,
    limit: int | None = None,
    cursor: str | None = None,
) -> dict[str, Any]:
    """Complaints in the caller's region, newest first, one page (``items``, ``next_cursor``).

    ``start`` inclusive, ``end`` exclusive (a day or an ISO time; CST without offset), except
    that a bare day as ``end`` is through the end of that day, the platform's rule
    (:func:`ecohub.supervision.period.bound`, as alerts and anomalies read it); ``q``: words
    the text contains; ``source``: complaints with that source among their candidates;
    ``repeats``: only repeats (true) or only first complaints (false); ``region``: any region
    (``crs``: the datum of its coordinates).
    """
    _readers(p)
    _check_filters(category, topic)
    if q is not None and (not q.strip() or len(q) > MAX_QUERY_CHARS):
        raise QueryError("q", f"must be 1-{MAX_QUERY_CHARS} non-blank characters")
    t0, t1 = bound("from", start), bound("to", end, end=True)
    if t0 is not None and t1 is not None and t1 <= t0:
        raise QueryError("to", "must be later than from")
    n = page_size(limit)
    scope, sp = region_sql(p, "c.region_code", lon="c.lon", lat="c.lat")
    want, wp = _within(con, region, "c", crs)
    clauses, params = [scope, want], [*sp, *wp]
    for column, value in (("c.category", category), ("c.topic", topic), ("c.hotspot_id", hotspot)):
        if value is not None:
            clauses.append(f"{column} = ?")
            params.append(value)
    if t0 is not None:
        clauses.append("c.received_at >= ?")
        params.append(t0)
    if t1 is not None:
        clauses.append("c.received_at < ?")
        params.append(t1)
    if source is not None:
        clauses.append("c.complaint_id IN (SELECT complaint_id FROM complaint_candidate "
                       "WHERE source_code = ?)")  # fmt: skip
        params.append(source)
    if q is not None:
        clauses.append("contains(c.text, ?)")
        params.append(q.strip())
    if repeats is not None:
        clauses.append("c.repeat_of IS NOT NULL" if repeats else "c.repeat_of IS NULL")
    filters = {"region": region, "crs": crs, "category": category, "topic": topic,
               "from": start, "to": end, "hotspot": hotspot, "source": source, "q": q,
               "repeats": repeats}  # fmt: skip
    fp = fingerprint(p, filters)
    after = decode_cursor(cursor, fp, ("TIMESTAMPTZ", "VARCHAR"))
    if after is not None:
        clauses.append("(c.received_at, c.complaint_id) < (?::TIMESTAMPTZ, ?)")
        params += after
    rows = (
        con.execute(
            f"""
        SELECT c.complaint_id, c.received_at, c.channel, c.category, c.topic, c.text, c.address,
               c.region_code, c.lon, c.lat, c.result, c.repeat_of, c.hotspot_id,
               (SELECT k.source_code FROM complaint_candidate k
                WHERE k.complaint_id = c.complaint_id AND k.rank = 1) AS top_source
        FROM complaint c WHERE {" AND ".join(clauses)}
        ORDER BY c.received_at DESC, c.complaint_id DESC LIMIT ?
        """,
            [*params, n + 1],
        )
        .fetch_arrow_table()
        .to_pylist()
    )
    nxt = None
    if len(rows) > n:
        last = rows[n - 1]
        nxt = encode_cursor([last["received_at"].isoformat(), last["complaint_id"]], fp)
    return {"items": jsonable(rows[:n]), "next_cursor": nxt}


def get_complaint(
    con: duckdb.DuckDBPyConnection, p: Principal, complaint_id: str
) -> dict[str, Any]:
    """One complaint with its classification evidence, candidate sources, repeat chain and hot
    spot; :class:`NotFound` when unknown or outside the caller's region (the same answer)."""
    _readers(p)
    scope, sp = region_sql(p, "region_code", lon="lon", lat="lat")
    out = scoped_row(
        con,
        f"SELECT * EXCLUDE (row_hash) FROM complaint WHERE complaint_id = ? AND {scope}",
        [complaint_id, *sp],
        "complaint",
        complaint_id,
    )
    out["candidates"] = (
        con.execute(
            "SELECT k.rank, k.source_code, s.name, s.industry, k.distance_m, k.industry_fit, "
            "k.upwind, k.score FROM complaint_candidate k LEFT JOIN source s USING (source_code) "
            "WHERE k.complaint_id = ? ORDER BY k.rank",
            [complaint_id],
        )
        .fetch_arrow_table()
        .to_pylist()
    )
    root = out["repeat_of"] or complaint_id
    out["repeat_chain"] = [r[0] for r in con.execute(
        f"SELECT complaint_id FROM complaint WHERE (complaint_id = ? OR repeat_of = ?) AND {scope}"
        " ORDER BY received_at, complaint_id", [root, root, *sp]).fetchall()]  # fmt: skip
    out["hotspot"] = None
    if out["hotspot_id"]:
        spots = _drop_keys(_hotspot_rows(con, "h.hotspot_id = ?", [out["hotspot_id"]]))
        out["hotspot"] = jsonable(spots[0]) if spots else None
    return jsonable(out)


#: Hot spots' order as a keyset: most complaints first, then the latest, then the id.
HOTSPOT_KEY = Keyset(("k_n", "k_last", "hotspot_id"), ("BIGINT", "DOUBLE", "VARCHAR"))


def _hotspot_rows(
    con: duckdb.DuckDBPyConnection, where: str, params: list[Any], page: Window | None = None
) -> list[Any]:
    """Hot spots matching ``where``, largest first; with ``page``, one keyset page of them
    (rows then carry the :data:`HOTSPOT_KEY` columns; :func:`_drop_keys` removes them)."""
    sql = f"""
        SELECT -h.n_complaints AS k_n, -epoch(h.last_at) AS k_last,
               h.hotspot_id, h.category, h.topic, h.region_code, h.lon, h.lat, h.radius_m,
               h.first_at, h.last_at, h.n_complaints,
               COALESCE((SELECT list({{'rank': k.rank, 'source_code': k.source_code,
                                      'name': s.name, 'distance_m': k.distance_m,
                                      'score': k.score}} ORDER BY k.rank)
                         FROM complaint_hotspot_source k LEFT JOIN source s USING (source_code)
                         WHERE k.hotspot_id = h.hotspot_id), []) AS sources
        FROM complaint_hotspot h WHERE {where}
        """
    if page is not None:
        sql, params = page.wrap(sql, params)
    else:
        sql += " ORDER BY k_n, k_last, hotspot_id"
    return con.execute(sql, params).fetch_arrow_table().to_pylist()


def _drop_keys(rows: list[dict[str, Any]]) -> list[dict[str, Any]]:
    return [{k: v for k, v in r.items() if k not in ("k_n", "k_last")} for r in rows]


def hotspots(
    con: duckdb.DuckDBPyConnection,
    p: Principal,
    *,
    region: str | dict[str, Any] | None = None,
    crs: str = "wgs84",
    category: str | None = None,
    start: str | None = None,
    end: str | None = None,
    limit: int | None = None,
    cursor: str | None = None,
) -> dict[str, Any]:
    """Hot spots in the caller's region (largest first) with their ranked candidate sources;
    ``start``/``end`` keep hot spots active in that span (a bare day as ``end``: its end);
    ``region``: any region (a hot spot is inside when its centre is). One page."""
    _readers(p)
    _check_filters(category, None)
    t0, t1 = bound("from", start), bound("to", end, end=True)
    if t0 is not None and t1 is not None and t1 <= t0:  # as the complaint list says it
        raise QueryError("to", "must be later than from")
    scope, sp = region_sql(p, "h.region_code", lon="h.lon", lat="h.lat")
    want, wp = _within(con, region, "h", crs)
    clauses, params = [scope, want], [*sp, *wp]
    if category is not None:
        clauses.append("h.category = ?")
        params.append(category)
    if t0 is not None:
        clauses.append("h.last_at >= ?")
        params.append(t0)
    if t1 is not None:
        clauses.append("h.first_at < ?")
        params.append(t1)
    filters = {"region": region, "crs": crs, "category": category, "from": start, "to": end}
    win = window(p, filters, HOTSPOT_KEY, limit, cursor)
    chunk, nxt = win.cut_rows(_hotspot_rows(con, " AND ".join(clauses), params, win))
    return {"items": jsonable(_drop_keys(chunk)), "next_cursor": nxt}


def load(
    con: duckdb.DuckDBPyConnection,
    path: Path | str,
    *,
    mapping: dict[str, str] | None = None,
    crs: str = "wgs84",
    reject_path: Path | str | None = None,
    sheet: str | None = None,
    force: bool = False,
) -> dict[str, Any]:
    """Load a complaint file, then rerun the analysis (when anything changed): plain data."""
    report = load_complaints(con, path, mapping=mapping, crs=crs, reject_path=reject_path,
                             sheet=sheet, force=force)  # fmt: skip
    analysis = analyse(con) if report.new or report.updated else None
    return {"report": jsonable(report), "stored": report.stored, "analysis": analysis}
