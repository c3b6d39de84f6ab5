"""The station-hour grid of one air run, computed on columns: the pivot of the six pollutants'
values into one row per station and hour, every hour of each station-day with a row, and the
raw 8-h and 24-h moving counts and means.

This is the run's heaviest step (for a national year, 263 M values into 44 M station-hours).
As SQL it took a hash aggregate for the pivot, a union for the missing hours and a sorted
window over strings; here it is array arithmetic over the values' integer keys, and one
function serves every engine: :func:`ecohub.store.engine.map_groups` hands it whole groups
of stations (all of them on DuckDB, a group per task on Spark).

Semantics are those of :func:`ecohub.analytics.air.hourly_values`: a value is the maximum of
the valid values of its key (a duplicated key is reported by ``rows_max`` and then refused
by the checks); an hour of a station-day that has any row is present even without a row of
its own (``observed`` False); a moving mean covers the hours t-7..t or t-23..t of the same
station that have a valid value, whether their rows exist or not, and is NULL with no valid
hour. Validity (how many hours make a mean) is judged afterwards, by the HJ 663 tables.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import pyarrow as pa

from ecohub.analytics._time import CST_OFFSET_S
from ecohub.analytics.aqi import POLLUTANT_COLUMNS

__all__ = ["INPUT_COLUMNS", "OUTPUT_SCHEMA", "STEMS", "WINDOWS", "station_hours"]

#: Column stems in the order the input's pollutant index ``p`` counts them (0..5): HJ 633's
#: table order, as ``air.STEMS``.
STEMS = tuple(POLLUTANT_COLUMNS.values())
#: Moving windows: stem -> hours (t-hours+1 .. t).
WINDOWS = {"o3": 8, "so2": 24, "pm10": 24, "pm25": 24}
#: What :func:`station_hours` reads: station index into its ``station_ids``, the instant
#: (start of the hour), pollutant index into :data:`STEMS`, and the value (NaN where missing
#: or not valid).
INPUT_COLUMNS = ("k", "time", "p", "v")
_CST_OFFSET_H = CST_OFFSET_S // 3600
_NP = len(STEMS)

OUTPUT_SCHEMA = pa.schema(
    [
        ("station_id", pa.string()),
        ("time", pa.timestamp("us", tz="UTC")),
        ("hour_index", pa.int64()),
        ("day", pa.int64()),
        ("observed", pa.bool_()),
        *((f"{s}_1h", pa.float64()) for s in STEMS),
        *(
            field
            for s, n in WINDOWS.items()
            for field in (
                (f"n_{s}_{n}h", pa.int16()),
                (f"{s}_{n}h_raw", pa.float64()),
            )
        ),
        ("rows_max", pa.int32()),
    ]
)


def station_hours(data: pa.Table, station_ids: Sequence[str]) -> pa.Table:
    """The grid of ``data`` (columns :data:`INPUT_COLUMNS`, any row order, whole stations)
    as a table of :data:`OUTPUT_SCHEMA`, ordered by station index and hour.

    Memory is bounded by the station-days that have rows (times 24 hours and six
    pollutants), not by the span of time they cover."""
    if data.num_rows == 0:
        return OUTPUT_SCHEMA.empty_table()
    # The value-sized arrays (23 M for a national month) are made as few times as possible and
    # reused in place: each new one is a fresh mapping whose pages fault in on first touch,
    # which cost as much as the arithmetic (2026-11-27: 2.2-3.9 s a call before).
    k = _ints(data, "k")
    day, hod = np.divmod(_hours(data.column("time")), 24)
    hod = hod.astype(np.int8)
    p = _ints(data, "p")
    v = data.column("v").to_numpy(zero_copy_only=False).astype(np.float64, copy=False)

    # Station-days with a row, numbered in (station, day) order: days by their rank among
    # the days any station has, so a long sparse record costs no more than its own days.
    d0 = int(day.min())
    day -= d0
    seen = np.flatnonzero(np.bincount(day))
    days = seen + d0
    n_days = len(days)
    rank = np.full(int(seen[-1]) + 1, -1, _index(n_days))
    rank[seen] = np.arange(n_days)
    n_cells = len(station_ids) * n_days
    cell = k.astype(_index(n_cells))
    del k
    cell *= n_days
    cell += rank[day]
    del day
    present = np.zeros(n_cells, bool)
    present[cell] = True
    blocks = np.flatnonzero(present)
    g = len(blocks)
    n_slots = _NP * g * 24
    block_of = np.full(n_cells, -1, _index(n_slots))
    block_of[blocks] = np.arange(g)

    # One slot per pollutant, block and hour, pollutant-major: each pollutant's hours are
    # one contiguous (blocks, 24) array.
    slot = p.astype(block_of.dtype)
    del p
    slot *= g
    slot += block_of[cell]
    del cell
    slot *= 24
    slot += hod
    del hod
    vals = np.full(n_slots, np.nan)
    vals[slot] = v
    mark = np.zeros(n_slots, np.uint8)
    mark[slot] = 1
    observed = mark.reshape(_NP, g * 24).any(axis=0)
    if np.count_nonzero(mark) == len(slot):
        rows_max = observed.astype(np.int32)
    else:
        # A key met twice keeps its largest valid value (as the SQL pivot's max; a NaN may
        # have been written last); rare, and then refused by the input checks anyway.
        rows = np.bincount(slot, minlength=n_slots)
        twice = rows[slot] > 1
        vals[slot[twice]] = np.nan
        np.fmax.at(vals, slot[twice], v[twice])
        rows_max = rows.reshape(_NP, g * 24).max(axis=0).astype(np.int32)
    by_pollutant = vals.reshape(_NP, g, 24)

    # The day before each block, when that station has it (windows reach 23 hours back).
    b_station, b_rank = np.divmod(blocks, n_days)
    b_day = days[b_rank]
    prev_day = b_day - 1 - d0
    prev_rank = np.where(prev_day >= 0, rank[np.maximum(prev_day, 0)], -1)
    prev_block = np.where(
        prev_rank >= 0, block_of[b_station * n_days + np.maximum(prev_rank, 0)], -1
    )

    hour_index = (np.repeat(b_day * 24, 24).reshape(g, 24) + np.arange(24)).reshape(-1)
    cols: dict[str, pa.Array] = {
        "station_id": pa.array(station_ids, pa.string()).take(np.repeat(b_station, 24)),
        # A missing hour has no time of its own (as the rows of the SQL grid had none).
        "time": pa.array(
            (hour_index - _CST_OFFSET_H) * 3_600_000_000,
            pa.timestamp("us", tz="UTC"),
            mask=~observed,
        ),
        "hour_index": pa.array(hour_index),
        "day": pa.array(np.repeat(b_day, 24)),
        "observed": pa.array(observed),
    }
    for i, s in enumerate(STEMS):
        cols[f"{s}_1h"] = _floats(by_pollutant[i].reshape(-1))
    for s, n in WINDOWS.items():
        count, mean = _moving(by_pollutant[STEMS.index(s)], prev_block, n)
        cols[f"n_{s}_{n}h"] = pa.array(count.reshape(-1))
        cols[f"{s}_{n}h_raw"] = _floats(mean.reshape(-1))
    cols["rows_max"] = pa.array(rows_max)
    return pa.table(cols, schema=OUTPUT_SCHEMA)


def _index(n: int) -> type[np.signedinteger]:
    """The narrowest index type that numbers ``n`` things (int32 halves the memory moved)."""
    return np.int32 if n < 2**31 else np.int64


def _moving(x: np.ndarray, prev_block: np.ndarray, hours: int) -> tuple[np.ndarray, np.ndarray]:
    """Counts and means of the valid values of hours t-hours+1..t for each block's 24 hours,
    reaching into the block of the day before where there is one."""
    before = np.full_like(x, np.nan)
    linked = prev_block >= 0
    before[linked] = x[prev_block[linked]]
    both = np.concatenate([before, x], axis=1)  # hours -24..23 of each block's day
    valid = ~np.isnan(both)
    zeroed = np.where(valid, both, 0.0)
    first = 24 - hours + 1
    # Added oldest hour first, one shifted slice at a time: the sum a reader works by hand.
    total = zeroed[:, first : first + 24].copy()
    for j in range(1, hours):
        total += zeroed[:, first + j : first + j + 24]
    # Counts are whole numbers, so differences of running counts are exact: one pass
    # instead of one per hour of the window.
    running = np.zeros((valid.shape[0], valid.shape[1] + 1), np.int16)
    np.cumsum(valid, axis=1, dtype=np.int16, out=running[:, 1:])
    count = running[:, first + hours : first + hours + 24] - running[:, first : first + 24]
    with np.errstate(invalid="ignore", divide="ignore"):
        mean = total / count  # NaN where no hour counts (0 / 0)
    return count, mean


def _hours(time: pa.ChunkedArray) -> np.ndarray:
    """Whole hours since 1970-01-01 00:00 CST of UTC instants (as ``air.hour_index``).

    On the raw microseconds: the engines' own timestamp arithmetic went through a time-zone
    cast per value, five times the cost of reading the values (2026-11-26, DuckDB 1.4)."""
    if time.null_count:
        raise ValueError("station_hours: column time has NULLs")
    us = time.cast(pa.timestamp("us", tz="UTC")).cast(pa.int64()).to_numpy()
    # int32 from here: hours since 1970 fit until the year 246,000 and half the bytes move.
    h = (us // 3_600_000_000).astype(np.int32)
    del us
    h += _CST_OFFSET_H
    return h


def _ints(data: pa.Table, name: str) -> np.ndarray:
    col = data.column(name)
    if col.null_count:
        raise ValueError(f"station_hours: column {name} has NULLs")
    return col.to_numpy()


def _floats(x: np.ndarray) -> pa.Array:
    """A float column with NULL where ``x`` is NaN (missing is NULL in the store's tables)."""
    return pa.array(x, mask=np.isnan(x))
