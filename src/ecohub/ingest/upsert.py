"""The write: upsert the checked rows into ``observation`` and ``station``.

The caller runs each inside the transaction that also records the load
(:func:`~ecohub.ingest.loadlog.store_and_record`).

Only new keys are inserted and only changed rows updated, so reloading a file rewrites nothing;
the counts of new, updated and unchanged rows go to the :class:`~ecohub.ingest.report.LoadReport`.
"""

from __future__ import annotations

import duckdb

from ecohub.ingest.daysums import refresh_days
from ecohub.ingest.report import LoadReport
from ecohub.store import lake

__all__ = ["upsert_observations", "upsert_stations"]


def upsert_observations(con: duckdb.DuckDBPyConnection, report: LoadReport, source: str) -> None:
    """Insert new keys of ``_ecohub_keys`` and update changed ones in one transaction."""
    counts = con.execute(
        """
        SELECT (SELECT count(*) FROM _ecohub_rows),
               (SELECT count(*) FROM _ecohub_checked WHERE reason IS NULL AND missing),
               (SELECT count(*) FROM _ecohub_keys WHERE NOT conflict)
        """
    ).fetchone()
    assert counts is not None
    rows_read, report.skipped_null, good = (int(x) for x in counts)
    report.rows_read += rows_read
    # What a key holds now: its hot row, else its lake row (a hot row is a newer load and
    # wins). A reload of settled data is then unchanged, not new; a changed value of a settled
    # row is an update, written to the hot table (where it hides the lake's until compaction).
    # The lake is read within the keys' months only (partition and row-group pruning).
    month = lake.month_sql(lake.spec("observation"))
    span = con.execute(
        f"SELECT min(m), max(m) FROM (SELECT {month} AS m FROM _ecohub_keys WHERE NOT conflict)"
    ).fetchall()[0]
    con.execute(
        """
        CREATE TEMP TABLE _ecohub_changes AS
        WITH cur AS (
            SELECT k.*, o.station_id IS NOT NULL AS in_hot, l.station_id IS NOT NULL AS in_lake,
                   CASE WHEN o.station_id IS NOT NULL THEN o.value ELSE l.value END AS c_value,
                   CASE WHEN o.station_id IS NOT NULL THEN o.unit ELSE l.unit END AS c_unit,
                   CASE WHEN o.station_id IS NOT NULL THEN o.flag ELSE l.flag END AS c_flag,
                   CASE WHEN o.station_id IS NOT NULL THEN o.below_detection
                        ELSE l.below_detection END AS c_below
            FROM _ecohub_keys k
            LEFT JOIN observation o ON o.station_id = k.station_id
                 AND o.parameter = k.parameter AND o.period = k.period AND o.time = k.time
            LEFT JOIN (SELECT * FROM observation_lake
                       WHERE month BETWEEN $lo AND $hi) l
                 ON l.station_id = k.station_id AND l.parameter = k.parameter
                 AND l.period = k.period AND l.time = k.time
            WHERE NOT k.conflict
        )
        SELECT station_id, parameter, period, time, value, unit, flag, below_detection,
               NOT in_hot AND NOT in_lake AS is_new, in_hot
        FROM cur
        WHERE (NOT in_hot AND NOT in_lake) OR c_value IS DISTINCT FROM value
              OR c_unit IS DISTINCT FROM unit OR c_flag IS DISTINCT FROM flag
              OR COALESCE(c_below, FALSE) <> below_detection
        """,
        {"lo": span[0] or "", "hi": span[1] or ""},
    )
    con.execute(
        "INSERT INTO observation (station_id, parameter, period, time, value, unit, flag, "
        "below_detection, source) "
        "SELECT station_id, parameter, period, time, value, unit, flag, below_detection, ? "
        "FROM _ecohub_changes WHERE NOT in_hot",
        [source],
    )
    changed = con.execute("SELECT count(*) FROM _ecohub_changes WHERE in_hot").fetchone()
    if changed and changed[0]:
        con.execute(
            "UPDATE observation o SET value = c.value, unit = c.unit, flag = c.flag, "
            "below_detection = c.below_detection, source = ? FROM _ecohub_changes c "
            "WHERE c.in_hot AND o.station_id = c.station_id AND o.parameter = c.parameter "
            "AND o.period = c.period AND o.time = c.time",
            [source],
        )
    row = con.execute(
        "SELECT count(*) FILTER (is_new), count(*) FILTER (NOT is_new) FROM _ecohub_changes"
    ).fetchone()
    assert row is not None
    report.new, report.updated = int(row[0]), int(row[1])
    report.unchanged = good - report.new - report.updated
    _mark_air_days_stale(con)
    refresh_days(con, "_ecohub_changes")


def _mark_air_days_stale(con: duckdb.DuckDBPyConnection) -> None:
    """Tell the air results which station-days this load changed, in the load's transaction,
    so the next compute (or read) recomputes those days and what depends on them only."""
    from ecohub.analytics.air_service import mark_stale

    spans = con.execute(
        "SELECT station_id, min(time), max(time) FROM _ecohub_changes GROUP BY station_id"
    ).fetchall()
    for station_id, first, last in spans:
        mark_stale(con, [station_id], first, last)


def upsert_stations(con: duckdb.DuckDBPyConnection, report: LoadReport) -> None:
    """Upsert the good rows of ``_ecohub_st_checked``; a blank field keeps the stored value."""
    con.execute(
        """
        CREATE TEMP TABLE _ecohub_st_good AS
        SELECT DISTINCT ON (station_id) * EXCLUDE (_row, reason, reason_col, reason_value,
                                                   lon_raw, lat_raw)
        FROM _ecohub_st_checked
        WHERE reason IS NULL AND station_id NOT IN (
            SELECT value FROM _ecohub_rejects WHERE value IS NOT NULL AND reason LIKE 'duplicate%')
        ORDER BY station_id
        """
    )
    # A field the file leaves blank keeps the stored value; attrs are merged key by key.
    merged = """
        SELECT g.station_id, COALESCE(g.name, s.name) AS name, COALESCE(g.name_en, s.name_en)
               AS name_en, COALESCE(g.network, s.network) AS network,
               COALESCE(g.region_code, s.region_code) AS region_code,
               COALESCE(g.basin, s.basin) AS basin, COALESCE(g.waterbody, s.waterbody)
               AS waterbody, COALESCE(g.lon, s.lon) AS lon, COALESCE(g.lat, s.lat) AS lat,
               CASE WHEN s.attrs IS NULL THEN g.attrs WHEN g.attrs IS NULL THEN s.attrs
                    ELSE json_merge_patch(s.attrs, g.attrs) END AS attrs,
               COALESCE(g.source, s.source) AS source, s.station_id IS NULL AS is_new,
               s.station_id IS NOT NULL AND (
                 s.name IS DISTINCT FROM COALESCE(g.name, s.name)
                 OR s.name_en IS DISTINCT FROM COALESCE(g.name_en, s.name_en)
                 OR s.network IS DISTINCT FROM COALESCE(g.network, s.network)
                 OR s.region_code IS DISTINCT FROM COALESCE(g.region_code, s.region_code)
                 OR s.basin IS DISTINCT FROM COALESCE(g.basin, s.basin)
                 OR s.waterbody IS DISTINCT FROM COALESCE(g.waterbody, s.waterbody)
                 OR s.lon IS DISTINCT FROM COALESCE(g.lon, s.lon)
                 OR s.lat IS DISTINCT FROM COALESCE(g.lat, s.lat)
                 OR CAST(s.attrs AS VARCHAR) IS DISTINCT FROM CAST(CASE WHEN s.attrs IS NULL
                    THEN g.attrs WHEN g.attrs IS NULL THEN s.attrs
                    ELSE json_merge_patch(s.attrs, g.attrs) END AS VARCHAR)) AS is_changed
        FROM _ecohub_st_good g LEFT JOIN station s USING (station_id)
    """
    con.execute(f"CREATE TEMP TABLE _ecohub_st_changes AS {merged}")
    cols = (
        "station_id, name, name_en, network, region_code, basin, waterbody, lon, lat, attrs, source"
    )
    con.execute(
        f"INSERT INTO station ({cols}) SELECT {cols} FROM _ecohub_st_changes "
        "WHERE is_new OR is_changed ON CONFLICT (station_id) DO UPDATE SET "
        "name = EXCLUDED.name, name_en = EXCLUDED.name_en, network = EXCLUDED.network, "
        "region_code = EXCLUDED.region_code, basin = EXCLUDED.basin, "
        "waterbody = EXCLUDED.waterbody, lon = EXCLUDED.lon, lat = EXCLUDED.lat, "
        "attrs = EXCLUDED.attrs, source = EXCLUDED.source"
    )
    # coalesce: with every row rejected there is no change row, and count_if over none is NULL.
    row = con.execute(
        "SELECT (SELECT count(*) FROM _ecohub_st), coalesce(count_if(is_new), 0), "
        "coalesce(count_if(is_changed), 0), "
        "coalesce(count_if(NOT is_new AND NOT is_changed), 0) FROM _ecohub_st_changes"
    ).fetchall()[0]
    rows_read, report.new, report.updated, report.unchanged = (int(x) for x in row)
    report.rows_read += rows_read
