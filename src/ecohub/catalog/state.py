"""What every catalogue read starts from: the definitions written and indexed, the coverage
current (:func:`ensure`), and the entries with their coverage and publication state."""

from __future__ import annotations

import logging
from typing import Any

import duckdb

from ecohub.access.principal import Principal
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
       c.n_regions
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
)


def _summaries(
    con: duckdb.DuckDBPyConnection, codes: list[str] | None = None
) -> list[dict[str, Any]]:
    """Catalogue entries with their coverage and publication state, by code (one query)."""
    rows = con.execute(_SUMMARY_SQL + " ORDER BY r.code").fetchall()
    out = []
    for r in rows:
        s = dict(zip(_SUMMARY_KEYS, r, strict=True))
        if codes is not None and s["code"] not in codes:
            continue
        for k in ("time_from", "time_to"):
            s[k] = iso(s[k])
        out.append(s)
    return out


def _open(s: dict[str, Any]) -> bool:
    return bool(s["published"]) and s["open_type"] != "不予开放"
