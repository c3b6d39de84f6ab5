"""What every catalogue read starts from: the definitions written and indexed, the coverage
current (:func:`ensure`), and the entries with their coverage and publication state."""

from __future__ import annotations

import logging
from typing import Any

import duckdb

from ecohub.access.principal import Principal
from ecohub.catalog import coverage, resources, search, visibility
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
    """Whether ``code`` is an entry ``p`` sees (:func:`ecohub.catalog.visibility.listed`)."""
    where, params = visibility.listed(p)
    return bool(
        con.execute(
            f"SELECT 1 FROM catalog_resource r {visibility.PUBLICATION} "
            f"WHERE r.code = ? AND {where}",
            [code, *params],
        ).fetchall()
    )


def definitions_seen(con: duckdb.DuckDBPyConnection, p: Principal | None) -> list[dict[str, Any]]:
    """The full definitions of the entries ``p`` sees (``None``: every one), by code."""
    where, params = visibility.listed(p)
    cols = ", ".join(f"r.{c}" for c in resources.COLUMNS)
    rows = con.execute(
        f"SELECT {cols} FROM catalog_resource r {visibility.PUBLICATION} WHERE {where} "
        "ORDER BY r.code",
        params,
    ).fetchall()
    return [dict(zip(resources.COLUMNS, r, strict=True)) for r in rows]


#: The figures of a coverage that count or place a table's rows.
FIGURES = ("rows", "time_from", "time_to", "regions", "n_regions", "bbox")
WITHHELD = (
    "whole-table figures: shown to users who may read the table's rows and whose scope "
    "holds every row's region"
)
_SUMMARY_KEYS = ("code", "name_zh", "name_en", "theme", "subtheme", "provider",
                 "provider_code", "kind", "table", "sharing_type", "open_type", "update_cycle",
                 "published", "shown", "rows", "time_from", "time_to", "n_regions")  # fmt: skip


def _summaries(
    con: duckdb.DuckDBPyConnection,
    codes: list[str] | None = None,
    p: Principal | None = None,
) -> list[dict[str, Any]]:
    """The catalogue entries ``p`` sees (``None``: the platform, every entry) with their
    coverage and publication state, by code; optionally only ``codes`` (one query).

    Which entries, and whether their coverage figures are shown, are predicates of the query
    (:mod:`ecohub.catalog.visibility`); an entry whose figures ``p`` may not see has them None
    and says ``coverage_withheld``."""
    where, wp = visibility.listed(p)
    shown, sp = visibility.figures(p)
    chosen, cp = "TRUE", []
    if codes is not None:
        chosen = f"r.code IN ({', '.join('?' for _ in codes)})" if codes else "FALSE"
        cp = list(codes)
    sql = f"""
        SELECT r.code, r.name_zh, r.name_en, r.theme, r.subtheme, r.provider, r.provider_code,
               r.kind, r.table_name, r.sharing_type, r.open_type, r.update_cycle,
               coalesce(pub.action = 'publish', FALSE) AS published, s.shown,
               CASE WHEN s.shown THEN c.rows END, CASE WHEN s.shown THEN c.time_from END,
               CASE WHEN s.shown THEN c.time_to END, CASE WHEN s.shown THEN c.n_regions END
        FROM catalog_resource r
        LEFT JOIN catalog_coverage c ON c.code = r.code
        {visibility.PUBLICATION}
        CROSS JOIN LATERAL (SELECT coalesce({shown}, FALSE) AS shown) s
        WHERE {where} AND {chosen}
        ORDER BY r.code
    """
    out = []
    for row in con.execute(sql, [*sp, *wp, *cp]).fetchall():
        s = dict(zip(_SUMMARY_KEYS, row, strict=True))
        for k in ("time_from", "time_to"):
            s[k] = iso(s[k])
        if not s.pop("shown"):
            s["coverage_withheld"] = WITHHELD
        out.append(s)
    return out


#: The stored coverage columns, in :func:`ecohub.catalog.coverage.as_dict` order.
_COVERAGE = ("rows", "time_from", "time_to", "regions", "n_regions", "lon_min", "lat_min",
             "lon_max", "lat_max")  # fmt: skip


def coverages(
    con: duckdb.DuckDBPyConnection, p: Principal | None, code: str | None = None
) -> dict[str, dict[str, Any]]:
    """Code -> the stored coverage of the entries ``p`` sees (of ``code`` only, if given):
    the figures where ``p`` may see them, else only ``refreshed_at`` and ``withheld`` (the
    figures are NULL in the query itself: :func:`ecohub.catalog.visibility.figures`)."""
    where, wp = visibility.listed(p)
    shown, sp = visibility.figures(p)
    chosen, cp = ("r.code = ?", [code]) if code is not None else ("TRUE", [])
    figures = ", ".join(f"CASE WHEN s.shown THEN c.{k} END" for k in _COVERAGE)
    sql = (
        f"SELECT r.code, s.shown, {figures}, c.refreshed_at FROM catalog_resource r "
        f"JOIN catalog_coverage c ON c.code = r.code {visibility.PUBLICATION} "
        f"CROSS JOIN LATERAL (SELECT coalesce({shown}, FALSE) AS shown) s "
        f"WHERE {where} AND {chosen}"
    )
    out: dict[str, dict[str, Any]] = {}
    for row in con.execute(sql, [*sp, *wp, *cp]).fetchall():
        got = coverage.as_dict(row[2:])
        if not row[1]:
            got = {**dict.fromkeys(FIGURES), "refreshed_at": got["refreshed_at"],
                   "withheld": WITHHELD}  # fmt: skip
        out[row[0]] = got
    return out


def _open(s: dict[str, Any]) -> bool:
    return bool(s["published"]) and s["open_type"] != "不予开放"
