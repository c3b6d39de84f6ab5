"""Generate synthetic minute emissions straight into a lake folder, laid out as compaction lays
them out (``<lake>/emission/month=YYYY-MM/bucket=H/<node>-....parquet``).

    python bench/lake_generate.py /tmp/ecohub-lake1b/lake [--rows 1000000000] [--devices 320]

``devices`` outlets x 6 pollutants x every minute, ending three days before now (settled), one
file per month and bucket (node name ``gen``), one row group per device and month, each
device's rows in time order. Values repeat with a period of 1,000 (they only need to take about
the room real rows take); ``fields`` holds the value text as a device sends it.

Written with pyarrow from arrays built once per month: on this shared 2-core machine DuckDB's
``COPY (SELECT ... FROM range(n))`` managed ~0.25 M rows/s for these 21 columns (MD5 of the
device and time-zone arithmetic per row were most of it), the arrays ~1.5 M rows/s.
"""

from __future__ import annotations

import argparse
import hashlib
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

import numpy as np
import pyarrow as pa
import pyarrow.parquet as pq

from ecohub.cst import CST

POLLUTANTS = ["a21026", "a21002", "a34013", "a19001", "a01012", "a00000"]
VALUES = 1000
FIELDS = [f'{{"Avg":"{k / 10:.1f}","Flag":"N"}}' for k in range(VALUES)]
_US = pa.timestamp("us", tz="UTC")


def _same(n: int, value: object, type_: pa.DataType) -> pa.Array:
    """``n`` copies of one value, dictionary-encoded (written as such: nothing to hash)."""
    return pa.DictionaryArray.from_arrays(pa.array(np.zeros(n, np.int32)), pa.array([value], type_))


def month_columns(n_min: int) -> dict[str, pa.Array]:
    """Every column but ``mn`` and the times, for one device-month of ``n_min`` minutes."""
    n = n_min * len(POLLUTANTS)
    k = pa.array((np.arange(n) * 7919 % VALUES).astype(np.int32))
    values = np.arange(VALUES) / 10.0

    def by_value(arr: np.ndarray | list[str], type_: pa.DataType) -> pa.Array:
        return pa.DictionaryArray.from_arrays(k, pa.array(arr, type_))

    return {
        "cn": _same(n, "2011", pa.string()),
        "pollutant": pa.DictionaryArray.from_arrays(
            pa.array((np.arange(n) % len(POLLUTANTS)).astype(np.int32)), pa.array(POLLUTANTS)
        ),
        "rtd": pa.nulls(n, pa.float64()),
        "avg": by_value(values, pa.float64()),
        "min": by_value(values - 1, pa.float64()),
        "max": by_value(values + 1, pa.float64()),
        "cou": pa.nulls(n, pa.float64()),
        "zs_rtd": pa.nulls(n, pa.float64()),
        "zs_avg": pa.nulls(n, pa.float64()),
        "flag": _same(n, "N", pa.string()),
        "fields": by_value(FIELDS, pa.string()),
        "qn": pa.nulls(n, pa.string()),
        "st": _same(n, "31", pa.string()),
        "edition": _same(n, "2017", pa.string()),
        "deviation": pa.nulls(n, pa.string()),
        "registered": _same(n, True, pa.bool_()),
        "below_detection": _same(n, False, pa.bool_()),
        "incomplete": _same(n, False, pa.bool_()),
    }


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("lake", type=Path)
    ap.add_argument("--rows", type=int, default=1_000_000_000)
    ap.add_argument("--devices", type=int, default=320)
    a = ap.parse_args()
    per_minute = a.devices * len(POLLUTANTS)
    minutes = -(-a.rows // per_minute)
    end = (datetime.now(CST) - timedelta(days=3)).replace(hour=0, minute=0, second=0,
                                                          microsecond=0)  # fmt: skip
    first = end - timedelta(minutes=minutes)
    target = a.lake / "emission"
    names = [f"GEN{d:017d}" for d in range(a.devices)]
    buckets: dict[str, list[str]] = {}
    for mn in names:
        buckets.setdefault(hashlib.md5(mn.encode()).hexdigest()[0], []).append(mn)
    began = time.perf_counter()
    total = files = size = 0
    month_start = first
    while month_start < end:
        nxt = (month_start.replace(day=1) + timedelta(days=32)).replace(
            day=1, hour=0, minute=0, second=0, microsecond=0
        )
        month_end = min(nxt, end)
        n_min = int((month_end - month_start).total_seconds() // 60)
        n = n_min * len(POLLUTANTS)
        cols = month_columns(n_min)
        t0 = int(month_start.astimezone(UTC).timestamp()) * 1_000_000
        minute = (np.arange(n) // len(POLLUTANTS)).astype(np.int64) * 60_000_000 + t0
        data_time = pa.array(minute, _US)
        received = pa.array(minute + 5_000_000, _US)
        for bucket, devs in sorted(buckets.items()):
            folder = target / f"month={month_start:%Y-%m}" / f"bucket={bucket}"
            folder.mkdir(parents=True, exist_ok=True)
            path = folder / f"gen-{month_start:%Y%m}-{bucket}.parquet"
            part = folder / f"_{path.name}.part"  # renamed when complete, as compaction does
            writer = None
            for mn in devs:
                table = pa.table({"mn": _same(n, mn, pa.string()), **cols, "data_time": data_time,
                                  "received_at": received})  # fmt: skip
                if writer is None:
                    writer = pq.ParquetWriter(part, table.schema, store_schema=False)
                writer.write_table(table, row_group_size=n)
                total += n
            assert writer is not None
            writer.close()
            part.rename(path)
            files += 1
            size += path.stat().st_size
        print(f"{month_start:%Y-%m}: {total:,} rows so far ({time.perf_counter() - began:.0f} s)",
              flush=True)  # fmt: skip
        month_start = month_end
    print(f"{total:,} rows in {files} files, {size / 1e9:.2f} GB, "
          f"{time.perf_counter() - began:.0f} s")  # fmt: skip


if __name__ == "__main__":
    main()
