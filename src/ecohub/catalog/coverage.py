"""Coverage of each resource: row count, temporal and spatial coverage, kept current.

Cheap by design: a count, a min and a max over the time column, and the distinct keys that
locate rows (a station id, an MN, a source code) resolved to divisions and points through the
small tables that hold them (``station``, ``monitor_point`` + ``source``, ``source``). How a
table locates its rows is data (``data/tables.csv``, column ``via``):

- ``self[:region:lon:lat]``: the table has its own division code (and point) columns;
- ``station:COL`` / ``mn:COL`` / ``source:COL``: COL refers to a station, a device, a source;
- ``region:COL``: COL is a GB/T 2260 code;
- ``aqi``: ``scope`` / ``code`` of the air results (a station id, or a city's division code).

The same expressions give the row predicate that :mod:`ecohub.catalog.grants` scopes reads with.
"""

from __future__ import annotations

import logging
from datetime import UTC, date, datetime, time, timedelta
from typing import Any

import duckdb

from ecohub.catalog import definitions, resources
from ecohub.catalog._db import WRITE_LOCK, replace_rows, rollback, transaction
from ecohub.catalog._time import iso
from ecohub.cst import CST

log = logging.getLogger(__name__)
MAX_REGIONS_LISTED = 200
_COLUMNS = ("code", "rows", "time_from", "time_to", "regions", "n_regions", "lon_min", "lat_min",
            "lon_max", "lat_max", "refreshed_at")  # fmt: skip
#: Coverage older than this is recomputed when the catalogue is read (seconds).
STALE_AFTER_S = 300.0


def _via(table: str) -> tuple[str, str | None, str | None, list[str]] | None:
    """(region expression, lon expression, lat expression, key columns) over alias ``t``."""
    spec = definitions.table_specs().get(table, {}).get("via", "")
    if not spec:
        return None
    kind, _, rest = spec.partition(":")
    if kind == "self":
        parts = rest.split(":") if rest else []
        reg, lon, lat = (parts + ["region_code", "lon", "lat"][len(parts) :])[:3]
        return f"t.{reg}", f"t.{lon}", f"t.{lat}", [reg, lon, lat]
    if kind == "region":
        return f"t.{rest}", None, None, [rest]
    if kind == "station":
        look = f"(SELECT s.{{c}} FROM station s WHERE s.station_id = t.{rest})"
    elif kind == "source":
        look = f"(SELECT s.{{c}} FROM source s WHERE s.source_code = t.{rest})"
    elif kind == "mn":
        look = (
            "(SELECT s.{c} FROM monitor_point m JOIN source s ON s.source_code = m.source_code "
            f"WHERE m.mn = t.{rest})"
        )
    elif kind == "aqi":
        st = "(SELECT s.{c} FROM station s WHERE s.station_id = t.code)"
        reg = f"CASE WHEN t.scope = 'city' THEN t.code ELSE {st.format(c='region_code')} END"
        return reg, st.format(c="lon"), st.format(c="lat"), ["scope", "code"]
    else:
        raise ValueError(f"via: unknown kind {kind!r} for table {table}")
    return look.format(c="region_code"), look.format(c="lon"), look.format(c="lat"), [rest]


def region_expression(table: str) -> str | None:
    """SQL giving a row's GB/T 2260 code (over alias ``t``), or ``None`` when rows have none."""
    v = _via(table)
    return v[0] if v else None


#: Reference tables whose rows describe places (the division list and boundaries, the divisions
#: of each key region) rather than belong to one: they locate rows for coverage and the
#: ``region=`` filter, but no region scope bounds them (``/api/v1/geo/boundaries`` and
#: ``/api/v1/geo/regions`` serve them to every signed-in user, too).
REFERENCE = frozenset({"region", "region_member"})


def scope_expression(table: str) -> str | None:
    """The expression a region scope bounds ``table``'s rows by, or ``None`` when its rows belong
    to no region (no region column, or a :data:`REFERENCE` table)."""
    return None if table in REFERENCE else region_expression(table)


def _as_time(value: Any, end: bool) -> datetime | None:
    if value is None:
        return None
    if isinstance(value, datetime):
        return value
    if isinstance(value, date):
        return datetime.combine(value, time.max if end else time.min, tzinfo=CST)
    if isinstance(value, int):  # a year column
        return (
            datetime(value, 12, 31, 23, 59, 59, tzinfo=CST)
            if end
            else datetime(value, 1, 1, tzinfo=CST)
        )
    return None


def measure(
    con: duckdb.DuckDBPyConnection, resource: dict[str, Any], tables: set[str] | None = None
) -> dict[str, Any]:
    """Coverage of one resource now (plain data)."""
    table, where = resource["table_name"], resource.get("row_filter")
    if table not in (tables if tables is not None else set(resources.store_tables(con))):
        return {
            "rows": None,
            "time_from": None,
            "time_to": None,
            "regions": [],
            "n_regions": 0,
            "bbox": None,
        }
    cond = f"WHERE {where}" if where else ""
    # A table kept partly in the data lake: a filtered resource (a product) and the regions
    # are read over its whole history; the unfiltered count and span add the lake's Parquet
    # footers to the hot rows (_add_lake: nothing scanned).
    history = _history(table)
    source = history if history and where else table
    spec = definitions.table_specs().get(table, {})
    tcol = spec.get("time_column") or ""
    lo, _, hi = tcol.partition(":")
    hi = hi or lo
    if lo:
        row = con.execute(
            f'SELECT count(*), min(t."{lo}"), max(t."{hi}") FROM "{source}" t {cond}'
        ).fetchall()[0]
    else:
        row = (
            con.execute(f'SELECT count(*) FROM "{source}" t {cond}').fetchall()[0][0],
            None,
            None,
        )
    out: dict[str, Any] = {
        "rows": int(row[0]),
        "time_from": _as_time(row[1], False),
        "time_to": _as_time(row[2], True),
        "regions": [],
        "n_regions": 0,
        "bbox": None,
    }
    if not where and history:
        months = _add_lake(out, table)
        out["rows"] -= _hot_over_lake(con, table, months)
    via = _via(table)
    if via is not None and out["rows"]:
        reg, lon, lat, keys = via
        key_list = ", ".join(f't."{k}"' for k in keys)
        points = f"{lon}, {lat}" if lon else "NULL, NULL"
        found = con.execute(
            f'WITH k AS (SELECT DISTINCT {key_list.replace("t.", "")} FROM "{history or table}" t '
            f"{cond}) "
            f"SELECT {reg} AS region, {points} FROM k t"
        ).fetchall()
        regions = sorted({r[0] for r in found if r[0]})
        lons = [r[1] for r in found if r[1] is not None and r[2] is not None]
        lats = [r[2] for r in found if r[1] is not None and r[2] is not None]
        out["regions"], out["n_regions"] = regions, len(regions)
        if lons:
            out["bbox"] = [min(lons), min(lats), max(lons), max(lats)]
    return out


def _history(table: str) -> str | None:
    """``<table>_all`` for a table kept partly in the data lake (ecohub.store.lake), else None."""
    from ecohub.store import lake

    return f"{table}_all" if table in lake.SPECS else None


def _add_lake(out: dict[str, Any], table: str) -> set[str]:
    """Count the rows compaction moved to the data lake (ecohub.store.lake) and widen the time
    coverage to theirs, from the Parquet footers (nothing is scanned); returns the lake's
    months that hold rows. Regions stay those of the store's rows."""
    from ecohub.settings import get_settings
    from ecohub.store import lake

    if table not in lake.SPECS:
        return set()
    months: set[str] = set()
    for part in lake.footprint(get_settings(), table):
        if part["rows"]:
            months.add(str(part["month"]))
        out["rows"] += int(part["rows"])  # type: ignore[call-overload]
        for key, pick in (("time_from", min), ("time_to", max)):
            if part[key] is not None:
                t = part[key]
                out[key] = t if out[key] is None else pick(out[key], t)
    return months


def _hot_over_lake(con: duckdb.DuckDBPyConnection, table: str, lake_months: set[str]) -> int:
    """Hot rows of a last-load-wins table (observations) whose key the lake holds too: a
    corrected reload of a settled value, which ``<table>_all`` shows once (the hot row) but
    the hot count plus the lake's footers counted twice until compaction rewrites the
    partition. Only months both sides hold are compared (``lake_months``: the lake's, from
    its folders; the hot side's from its first and last time), so a hot store of recent rows
    over a lake of settled ones reads nothing."""
    from ecohub.store import lake

    s = lake.spec(table)
    if s.winner != "last" or not lake_months:  # first-wins: the two sides never share a key
        return 0
    span = con.execute(f"SELECT min({s.time}), max({s.time}) FROM {table}").fetchone()
    if span is None or span[0] is None:
        return 0
    first, last = lake.month_of(span[0]), lake.month_of(span[1])
    both = sorted(m for m in lake_months if first <= m <= last)
    if not both:
        return 0
    lo, hi = lake.month_bounds(both[0])[0], lake.month_bounds(both[-1])[1]
    keys = ", ".join(s.keys)
    row = con.execute(
        f"SELECT count(*) FROM {table} SEMI JOIN (SELECT {keys} FROM {table}_lake "
        f"WHERE month IN ({', '.join('?' for _ in both)})) USING ({keys}) "
        f"WHERE {s.time} >= ? AND {s.time} < ?",
        [*both, lo, hi],
    ).fetchone()
    return int(row[0]) if row else 0


def refresh(con: duckdb.DuckDBPyConnection, codes: list[str] | None = None) -> int:
    """Recompute coverage (and derived lineage) of ``codes`` (default: every resource)."""
    from ecohub.catalog import lineage

    resources.sync(con)
    measured = []
    tables = set(resources.store_tables(con))
    for res in resources.every(con):
        if codes is None or res["code"] in codes:
            measured.append((res["code"], measure(con, res, tables)))
    now = datetime.now(UTC)
    rows = [
        [
            code,
            m["rows"],
            m["time_from"],
            m["time_to"],
            " ".join(m["regions"][:MAX_REGIONS_LISTED]) or None,
            m["n_regions"],
            *(m["bbox"] or [None] * 4),
            now,
        ]
        for code, m in measured
    ]
    scope = None if codes is None else (f"code IN ({', '.join('?' for _ in codes)})", codes)
    with transaction(con):  # in place: a delete and insert of a key conflicts (catalog._db)
        replace_rows(con, "catalog_coverage", _COLUMNS, ["code"], rows, scope=scope)
    if codes is None:
        lineage.derive(con)  # stored for run counts; walks compute their own (lineage._live)
    return len(measured)


#: Resources (tables, and the products over them) whose table a producer wrote after their
#: coverage was measured: a recorded run, or a device heard from (the HJ 212 tables change all the
#: time, so those wait DEVICE_REFRESH_S between measurements).
_CHANGED_SQL = """
SELECT DISTINCT p.code FROM catalog_resource p
JOIN catalog_resource t ON t.table_name = p.table_name AND t.kind = 'table'
JOIN catalog_coverage c ON c.code = p.code
WHERE EXISTS (SELECT 1 FROM catalog_run r WHERE r.resource_code = t.code AND NOT r.derived
              AND r.recorded_at > c.refreshed_at)
   OR (c.refreshed_at < ? AND EXISTS (SELECT 1 FROM catalog_device d
       WHERE d.table_name = t.table_name AND d.last_seen > c.refreshed_at))
"""
DEVICE_REFRESH_S = 10.0


def _due(con: duckdb.DuckDBPyConnection, max_age_s: float) -> tuple[bool, list[str] | None]:
    """(whether some coverage is missing, what to refresh: ``None`` all, ``[]`` nothing)."""
    missing, oldest = con.execute(
        "SELECT count(*) FILTER (WHERE c.code IS NULL), min(c.refreshed_at) "
        "FROM catalog_resource r LEFT JOIN catalog_coverage c USING (code) "
        f"WHERE r.{resources.CURRENT}"
    ).fetchall()[0]
    now = datetime.now(UTC)
    if missing or oldest is None or now - oldest > timedelta(seconds=max_age_s):
        return bool(missing), None
    since = now - timedelta(seconds=DEVICE_REFRESH_S)
    return False, [r[0] for r in con.execute(_CHANGED_SQL, [since]).fetchall()]


def current(con: duckdb.DuckDBPyConnection, max_age_s: float | None = None) -> None:
    """Refresh when any resource's coverage is missing or older than ``max_age_s`` (default
    :data:`STALE_AFTER_S`); else refresh the resources whose tables producers wrote since they
    were measured.

    For a read, so it never fails and never queues: while another thread writes the catalogue
    the stored coverage is served (only missing coverage is waited for), and a refresh that
    fails (a DuckDB conflict) is rolled back, logged and left to the next read.
    """
    age = STALE_AFTER_S if max_age_s is None else max_age_s
    missing, codes = _due(con, age)
    if codes == []:
        return
    if not WRITE_LOCK.acquire(blocking=missing):
        return
    try:
        missing, codes = _due(con, age)  # another thread may have refreshed meanwhile
        if codes != []:
            refresh(con, codes)
    except duckdb.Error as exc:
        rollback(con)
        log.warning("catalog: coverage refresh failed, serving the stored coverage: %s", exc)
    finally:
        WRITE_LOCK.release()


_SQL = (
    "SELECT rows, time_from, time_to, regions, n_regions, lon_min, lat_min, lon_max, "
    "lat_max, refreshed_at, code FROM catalog_coverage"
)


def get(con: duckdb.DuckDBPyConnection, code: str) -> dict[str, Any] | None:
    """The stored coverage of one resource (plain data), or ``None``."""
    rows = con.execute(f"{_SQL} WHERE code = ?", [code]).fetchall()
    return as_dict(rows[0]) if rows else None


def every(con: duckdb.DuckDBPyConnection) -> dict[str, dict[str, Any]]:
    """Code -> stored coverage of every resource."""
    return {r[10]: as_dict(r) for r in con.execute(_SQL).fetchall()}


def as_dict(r: tuple[Any, ...] | list[Any]) -> dict[str, Any]:
    """A stored coverage row (rows, times, regions, n_regions, box, refreshed_at) as plain data."""
    return {
        "rows": r[0],
        "time_from": iso(r[1]),
        "time_to": iso(r[2]),
        "regions": r[3].split() if r[3] else [],
        "n_regions": r[4],
        "bbox": [r[5], r[6], r[7], r[8]] if r[5] is not None else None,
        "refreshed_at": iso(r[9]),
    }
