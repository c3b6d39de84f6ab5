"""What every catalogue read starts from: the definitions written and indexed, the coverage
current (:func:`ensure`), and the entries with their coverage and publication state."""

from __future__ import annotations

import logging
from typing import Any

import duckdb

from ecohub.access.principal import Principal
from ecohub.access.region_scope import region_prefix
from ecohub.access.scope import region_sql
from ecohub.catalog import coverage, grants, resources, search
from ecohub.catalog._db import WRITE_LOCK, rollback
from ecohub.catalog._time import iso

_INDEXED: set[str] = set()
log = logging.getLogger(__name__)


def definitions(con: duckdb.DuckDBPyConnection) -> None:
    """Definitions written and the search index built (once per store and process).

    Called by reads: a write here that fails (a DuckDB conflict with another transaction) is
    rolled back and logged, and the read goes on with the stored definitions."""
    with WRITE_LOCK:
        key = resources._store_key(con)
        try:
            if resources.sync(con) or key not in _INDEXED:
                search.reindex(con)
                _INDEXED.add(key)
        except duckdb.Error as exc:
            rollback(con)
            if not con.execute("SELECT count(*) FROM catalog_resource").fetchall()[0][0]:
                raise
            log.warning("catalog: definitions not rewritten, serving the stored ones: %s", exc)


def ensure(con: duckdb.DuckDBPyConnection) -> None:
    """Definitions written, search index built, coverage and derived lineage current (a failed
    refresh serves the stored coverage: :func:`ecohub.catalog.coverage.current`)."""
    definitions(con)
    coverage.current(con)


def _visible(con: duckdb.DuckDBPyConnection, p: Principal, code: str) -> bool:
    if p.role != "public":
        return True
    res = resources.get(con, code)
    return res is not None and res["open_type"] != "不予开放" and grants.is_published(con, code)


_SUMMARY_SQL = """
SELECT r.code, r.name_zh, r.name_en, r.theme, r.subtheme, r.provider, r.provider_code, r.kind,
       r.table_name, r.sharing_type, r.open_type, r.update_cycle,
       coalesce(p.action = 'publish', FALSE) AS published, c.rows, c.time_from, c.time_to,
       c.n_regions, c.regions
FROM catalog_resource r
LEFT JOIN catalog_coverage c USING (code)
LEFT JOIN (SELECT code, arg_max(action, id) AS action FROM catalog_publication GROUP BY code) p
  USING (code)
"""
_SUMMARY_KEYS = (
    "code",
    "name_zh",
    "name_en",
    "theme",
    "subtheme",
    "provider",
    "provider_code",
    "kind",
    "table",
    "sharing_type",
    "open_type",
    "update_cycle",
    "published",
    "rows",
    "time_from",
    "time_to",
    "n_regions",
    "regions",
)
#: The figures of a coverage that count or place a table's rows.
FIGURES = ("rows", "time_from", "time_to", "regions", "n_regions", "bbox")
WITHHELD = "whole-table figures: shown to users whose scope holds every row's region"


def coverage_visible(p: Principal, table: str | None, regions: list[str], n_regions: int) -> bool:
    """Whether ``p`` may see the whole-table coverage figures of a resource on ``table``.

    Coverage counts and places every row of the table, whoever's region: shown to a
    nationwide caller, for a table whose rows belong to no region (standards, divisions), or
    when every region the table holds lies in the caller's own division (the regions listed
    in full). Otherwise withheld, since a count, a span or a box of other regions' rows is what
    a region scope keeps from the caller (docs/api.md: counts obey the scope)."""
    if table is None or coverage.scope_expression(table) is None:
        return True
    own = region_sql(p, "x")
    if own == ("TRUE", []):
        return True
    if p.region is None or p.area is not None or not p.own_scope:
        return False
    if n_regions == 0 or len(regions) != n_regions:
        return False  # nothing located, or the list is cut short: nothing to show it by
    try:
        prefix = region_prefix(p.region)
    except ValueError:
        return False
    return all(r.startswith(prefix) for r in regions)


def _summaries(
    con: duckdb.DuckDBPyConnection, codes: list[str] | None = None, p: Principal | None = None
) -> list[dict[str, Any]]:
    """Catalogue entries with their coverage and publication state, by code (one query).

    With ``p``, the coverage figures ``p`` may not see (:func:`coverage_visible`) are None
    and the entry says ``coverage_withheld``."""
    rows = con.execute(_SUMMARY_SQL + " ORDER BY r.code").fetchall()
    out = []
    for r in rows:
        s = dict(zip(_SUMMARY_KEYS, r, strict=True))
        if codes is not None and s["code"] not in codes:
            continue
        for k in ("time_from", "time_to"):
            s[k] = iso(s[k])
        regions = (s.pop("regions") or "").split()
        if p is not None and not coverage_visible(p, s["table"], regions, s["n_regions"] or 0):
            for k in ("rows", "time_from", "time_to", "n_regions"):
                s[k] = None
            s["coverage_withheld"] = WITHHELD
        out.append(s)
    return out


def _open(s: dict[str, Any]) -> bool:
    return bool(s["published"]) and s["open_type"] != "不予开放"
