"""The validation SQL: give each candidate row its first failing check, and collect the rejects.

Each check is (condition, reason, column label, offending text); the first that fails names the
reject. Rejects land in the temporary table ``_ecohub_rejects`` (``row_no``, ``col_name``,
``value``, ``reason``), which :mod:`ecohub.ingest.rejects` reports and writes out.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import UTC, datetime, timedelta, timezone

import duckdb

from ecohub.ingest import _sql as sql
from ecohub.ingest.plan import Plan
from ecohub.ingest.readers import Staged

__all__ = [
    "EARLIEST_TIME",
    "LATEST_AHEAD",
    "check_observations",
    "check_stations",
    "plausible_times",
    "reject_conflicting_observations",
]

CST = timezone(timedelta(hours=8))
# Observation times outside EARLIEST_TIME .. now + LATEST_AHEAD are rejected at load. China's
# environmental monitoring began after the first national environmental protection conference
# (1973), so no real measurement is older; the bound also keeps out the Unix epoch
# (1970-01-01, what a reset device clock or DuckDB's 'epoch' gives) and year 0 / 'infinity'.
# One day ahead leaves room for a device clock that runs fast and for hour-ending labels.
EARLIEST_TIME = datetime(1973, 1, 1, tzinfo=CST)
LATEST_AHEAD = timedelta(days=1)

_VALUE_TEXT = "COALESCE(c.value_raw, CAST(c.value_num AS VARCHAR))"

# Dividing by 1000 gives the correctly rounded decimal (700 µg/m³ -> 0.7 mg/m³) where multiplying
# by 0.001 would not (0.7000000000000001); factors above 1 are whole numbers and multiply exactly.
_CONVERTED = (
    "CASE WHEN c.factor >= 1 THEN c.value_num * c.factor ELSE c.value_num / round(1 / c.factor) END"
)


def _station_keys(con: duckdb.DuckDBPyConnection) -> None:
    """Station id, or an unambiguous name / English name, to station_id."""
    con.execute(
        """
        CREATE TEMP TABLE _ecohub_station_keys AS
        WITH k AS (
            SELECT station_id AS key, station_id, 0 AS rank FROM station
            UNION ALL
            SELECT name, any_value(station_id), 1 FROM station
            WHERE name IS NOT NULL GROUP BY name HAVING count(*) = 1
            UNION ALL
            SELECT name_en, any_value(station_id), 2 FROM station
            WHERE name_en IS NOT NULL GROUP BY name_en HAVING count(*) = 1
        )
        SELECT key, arg_min(station_id, rank) AS station_id FROM k GROUP BY key
        """
    )


def plausible_times(now: datetime | None = None) -> tuple[datetime, datetime]:
    """The span a stored observation time must fall in: :data:`EARLIEST_TIME` .. now + 1 day."""
    return EARLIEST_TIME, (now or datetime.now(UTC)) + LATEST_AHEAD


def check_observations(con: duckdb.DuckDBPyConnection, labels: Mapping[str, str]) -> None:
    """Give every candidate its first failing check (or none) as reason, column and value."""
    _station_keys(con)
    lit = sql.lit
    lo, hi = plausible_times()
    span = f"{lo:%Y-%m-%d} .. {hi.astimezone(CST):%Y-%m-%d %H:%M} CST (now + 1 day)"
    p_label = lit(labels.get("parameter", ""))
    # The first failing check wins; its column and offending text go to the reject file.
    checks = [
        ("c.station_raw IS NULL", "'station is empty'", lit(labels["station"]), "NULL"),
        (
            "c.ts IS NULL",
            "CASE WHEN c.time_raw IS NULL THEN 'time is empty' "
            "WHEN c.time_note IS NOT NULL THEN c.time_note ELSE 'time is not a date-time' END",
            lit(labels["time"]),
            "c.time_raw",
        ),
        (
            f"c.ts NOT BETWEEN {lit(lo.isoformat())}::TIMESTAMPTZ "
            f"AND {lit(hi.isoformat())}::TIMESTAMPTZ",
            lit(f"time outside {span}"),
            lit(labels["time"]),
            "c.time_raw",
        ),
        ("s.station_id IS NULL", "'unknown station'", lit(labels["station"]), "c.station_raw"),
        ("c.param_error IS NOT NULL", "c.param_error", p_label, "c.param_raw"),
        (
            "c.period_error IS NOT NULL",
            "c.period_error",
            lit(labels.get("period", "")),
            "c.period_raw",
        ),
        ("c.missing", "NULL", "NULL", "NULL"),
        ("c.unit_error IS NOT NULL", "c.unit_error", lit(labels.get("unit", "")), "c.unit_raw"),
        ("c.value_num IS NULL", "'not a number'", "c.col", _VALUE_TEXT),
        ("NOT isfinite(c.value_num)", "'not a finite number'", "c.col", _VALUE_TEXT),
        ("c.value_num < 0", "'negative value'", "c.col", _VALUE_TEXT),
        (
            "c.below AND c.value_num = 0",
            "'detection limit (value before L) must be above 0'",
            "c.col",
            _VALUE_TEXT,
        ),
        (
            f"NOT isfinite({_CONVERTED})",
            "'not a finite number after conversion to ' || c.unit",
            "c.col",
            _VALUE_TEXT,
        ),
    ]

    def case(pick: int) -> str:
        return "CASE " + " ".join(f"WHEN {w[0]} THEN {w[pick]}" for w in checks) + " END"

    con.execute(
        f"""
        CREATE TEMP TABLE _ecohub_checked AS
        SELECT c._row, c.col, c.ts, c.parameter, c.period, c.unit, c.flag, c.below, c.missing,
               c.value_raw, c.value_num, {_CONVERTED} AS value, s.station_id,
               {case(1)} AS reason, {case(2)} AS reason_col, {case(3)} AS reason_value
        FROM _ecohub_cand c LEFT JOIN _ecohub_station_keys s ON s.key = c.station_raw
        """
    )
    # A record-level failure (station, time) repeats for each of its values: report it once.
    con.execute(
        """
        CREATE TEMP TABLE _ecohub_rejects AS
        SELECT DISTINCT _row AS row_no, reason_col AS col_name, reason_value AS value, reason
        FROM _ecohub_checked WHERE reason IS NOT NULL
        """
    )


def reject_conflicting_observations(con: duckdb.DuckDBPyConnection) -> None:
    """Group the good values by key into ``_ecohub_keys``; reject in-file conflicts."""
    con.execute(
        """
        CREATE TEMP TABLE _ecohub_keys AS
        SELECT station_id, parameter, period, ts AS time,
               min(value) AS value, min(unit) AS unit, min(flag) AS flag,
               bool_or(below) AS below_detection, count(*) AS n,
               min(value) <> max(value) OR min(unit) <> max(unit)
                 OR min(COALESCE(flag, '')) <> max(COALESCE(flag, ''))
                 OR bool_or(below) <> bool_and(below) AS conflict
        FROM _ecohub_checked WHERE reason IS NULL AND NOT missing
        GROUP BY ALL
        """
    )
    con.execute(
        """
        INSERT INTO _ecohub_rejects
        SELECT c._row, c.col, COALESCE(c.value_raw, CAST(c.value_num AS VARCHAR)),
               'duplicate key (station, parameter, period, time) with different values in rows '
               || string_agg(CAST(c._row AS VARCHAR), ', ' ORDER BY c._row)
                    OVER (PARTITION BY c.station_id, c.parameter, c.period, c.ts)
        FROM _ecohub_checked c
        JOIN _ecohub_keys k ON k.conflict AND k.station_id = c.station_id
             AND k.parameter = c.parameter AND k.period = c.period AND k.time = c.ts
        WHERE c.reason IS NULL AND NOT c.missing
        """
    )


def check_stations(con: duckdb.DuckDBPyConnection, staged: Staged, plan: Plan) -> None:
    """Check the rows of ``_ecohub_st``; reject bad fields and in-file duplicate stations."""
    r, h = plan.roles, staged.headers
    lit = sql.lit

    def label(role: str) -> str:
        return lit(h[r[role]]) if role in r else "''"

    checks = [
        ("station_id IS NULL", "'station is empty'", label("station"), "NULL"),
        ("lon_raw IS NOT NULL AND lon IS NULL", "'not a number'", label("lon"), "lon_raw"),
        ("lon NOT BETWEEN -180 AND 180", "'longitude outside -180..180'", label("lon"), "lon_raw"),
        ("lat_raw IS NOT NULL AND lat IS NULL", "'not a number'", label("lat"), "lat_raw"),
        ("lat NOT BETWEEN -90 AND 90", "'latitude outside -90..90'", label("lat"), "lat_raw"),
        (
            "region_code IS NOT NULL AND NOT regexp_full_match(region_code, '[0-9]{6}')",
            "'not a six-digit GB/T 2260 code'",
            label("region_code"),
            "region_code",
        ),
    ]

    def case(pick: int) -> str:
        return "CASE " + " ".join(f"WHEN {w[0]} THEN {w[pick]}" for w in checks) + " END"

    con.execute(
        f"CREATE TEMP TABLE _ecohub_st_checked AS SELECT *, {case(1)} AS reason, "
        f"{case(2)} AS reason_col, {case(3)} AS reason_value FROM _ecohub_st"
    )
    con.execute(
        "CREATE TEMP TABLE _ecohub_rejects AS SELECT _row AS row_no, reason_col AS col_name, "
        "reason_value AS value, reason FROM _ecohub_st_checked WHERE reason IS NOT NULL"
    )
    sid = label("station")
    con.execute(
        f"""
        INSERT INTO _ecohub_rejects
        SELECT _row, {sid}, station_id,
               'duplicate station with different fields in rows '
               || string_agg(CAST(_row AS VARCHAR), ', ' ORDER BY _row)
                    OVER (PARTITION BY station_id)
        FROM _ecohub_st_checked
        WHERE reason IS NULL AND station_id IN (
            SELECT station_id FROM _ecohub_st_checked WHERE reason IS NULL GROUP BY station_id
            HAVING count(DISTINCT (name, name_en, network, region_code, basin, waterbody, lon,
                                   lat, CAST(attrs AS VARCHAR))) > 1)
        """
    )
