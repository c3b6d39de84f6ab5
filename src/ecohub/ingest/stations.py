"""Load a station list: stage the file, read its fields in SQL, check, upsert on ``station_id``.

The promises are those of :mod:`ecohub.ingest.files`.
"""

from __future__ import annotations

import time as _time
from collections.abc import Mapping
from pathlib import Path

import duckdb

from ecohub.ingest import _sql as sql
from ecohub.ingest.checks import check_stations
from ecohub.ingest.loadlog import note_load, start_load, store_and_record
from ecohub.ingest.plan import STATION_ROLES, Plan, plan_columns
from ecohub.ingest.readers import ProgressFn, Staged
from ecohub.ingest.rejects import collect_rejects, reject_target
from ecohub.ingest.report import LoadReport
from ecohub.ingest.staging import NO_TEXT, STAGE, blank_filter, drop_temps, stage_file
from ecohub.ingest.upsert import upsert_stations

__all__ = ["load_stations"]

_NETWORK_WORDS = {
    "空气": "air",
    "大气": "air",
    "环境空气": "air",
    "地表水": "surface_water",
    "水质": "surface_water",
    "surface water": "surface_water",
    "地下水": "groundwater",
}


def load_stations(
    con: duckdb.DuckDBPyConnection,
    path: Path | str,
    *,
    mapping: Mapping[str, str] | None = None,
    network: str = "air",
    source: str | None = None,
    reject_path: Path | str | None = None,
    write_rejects: bool = True,
    sheet: str | None = None,
    force: bool = False,
    progress: ProgressFn | None = None,
    label: str | None = None,
) -> LoadReport:
    """Load a station list into ``station`` (upsert on ``station_id``).

    Recognised columns: id, name (zh), name_en, network, region_code (GB/T 2260), basin,
    waterbody, lon, lat (WGS 84); every other column is kept in ``attrs`` (JSON). A field the
    file does not carry keeps its stored value. ``network`` applies to rows without one.
    ``label`` names the file in the lineage and ``load_log`` instead of ``path`` (never opened).
    """
    file, report = start_load(con, path, "stations", force, label)
    if report.already_loaded:
        return report
    target = reject_target(file, reject_path, write_rejects)
    started = _time.perf_counter()
    staged = stage_file(con, file, sheet, progress, report)
    try:
        # A station list's `id` is the station's id; an observation file's is not (params.py).
        plan = plan_columns(
            staged, mapping or {}, STATION_ROLES, with_params=False, kind="stations"
        )
        report.layout = "stations"
        report.columns = plan.described(staged)
        report.columns.update(
            {h: "attrs" for c, h in staged.headers.items() if c not in plan.roles.values()}
        )
        _station_rows(con, staged, plan, network, source or file.name)
        check_stations(con, staged, plan)
        collect_rejects(con, staged, report, target)

        def write() -> None:
            upsert_stations(con, report)
            note_load(con, report, "station")

        store_and_record(con, report, file, write)
    finally:
        drop_temps(con)
    report.seconds = _time.perf_counter() - started
    return report


def _station_rows(
    con: duckdb.DuckDBPyConnection, staged: Staged, plan: Plan, network: str, source: str
) -> None:
    """Stage one ``_ecohub_st`` row per non-blank line with the fields parsed in SQL."""
    r, h = plan.roles, staged.headers

    def txt(role: str) -> str:
        return sql.text(r[role]) if role in r else NO_TEXT

    def num(role: str) -> str:
        return sql.number(r[role], staged.types[r[role]]) if role in r else "CAST(NULL AS DOUBLE)"

    extra = [c for c in h if c not in r.values() and c not in plan.dropped]
    attrs = (
        "json_object(" + ", ".join(f"{sql.lit(h[c])}, {sql.text(c)}" for c in extra) + ")"
        if extra
        else "CAST(NULL AS JSON)"
    )
    words = " ".join(f"WHEN {sql.lit(k)} THEN {sql.lit(v)}" for k, v in _NETWORK_WORDS.items())
    net = f"COALESCE(lower({txt('network')}), {sql.lit(network)})"
    con.execute(
        f"""
        CREATE TEMP TABLE _ecohub_st AS
        SELECT _row, {txt("station")} AS station_id, {txt("name")} AS name,
               {txt("name_en")} AS name_en, CASE {net} {words} ELSE {net} END AS network,
               {txt("region_code")} AS region_code, {txt("basin")} AS basin,
               {txt("waterbody")} AS waterbody, {txt("lon")} AS lon_raw, {num("lon")} AS lon,
               {txt("lat")} AS lat_raw, {num("lat")} AS lat, {attrs} AS attrs,
               {sql.lit(source)} AS source
        FROM {STAGE} WHERE {blank_filter(staged)}
        """
    )
