"""JSON pages turn Arrow rows into Python values with :func:`ecohub.queries.export.pylist`,
which converts zoned timestamps itself (faster than Arrow): the values must be Arrow's own."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import orjson
import pyarrow as pa
from hypothesis import given, settings
from hypothesis import strategies as st

from ecohub.queries.export import pylist

# 1900..2100 in microseconds since the epoch; Asia/Shanghai kept summer time 1986-1991.
MICROS = st.integers(min_value=-2_208_988_800_000_000, max_value=4_102_444_800_000_000)


@settings(max_examples=60, deadline=None)
@given(
    values=st.lists(st.one_of(st.none(), MICROS), max_size=40),
    zone=st.sampled_from(["Asia/Shanghai", "UTC", "America/New_York", "+08:00"]),
    unit=st.sampled_from(["s", "ms", "us"]),
)
def test_pylist_is_to_pylist(values: list[int | None], zone: str, unit: str) -> None:
    scale = {"s": 1_000_000, "ms": 1_000, "us": 1}[unit]
    col = pa.array([None if v is None else v // scale for v in values], pa.timestamp(unit, zone))
    table = pa.table({"t": col, "n": pa.array(range(len(values)), pa.int64())})
    got, want = pylist(table), table.to_pylist()
    assert got == want
    # and the same JSON: same instant, same offset written
    assert [orjson.dumps(r) for r in got] == [orjson.dumps(r) for r in want]


def test_summer_time_offset_is_kept() -> None:
    # China kept summer time 1986-1991 (tz database): 1988-07-01 03:00 UTC is 12:00 at +09:00
    at = datetime(1988, 7, 1, 3, 0, tzinfo=UTC)
    micros = int((at - datetime(1970, 1, 1, tzinfo=UTC)) / timedelta(microseconds=1))
    table = pa.table({"t": pa.array([micros], pa.timestamp("us", "Asia/Shanghai"))})
    assert orjson.dumps(pylist(table)[0]["t"]) == b'"1988-07-01T12:00:00+09:00"'


def test_empty_and_duplicate_columns() -> None:
    empty = pa.table({"t": pa.array([], pa.timestamp("us", "Asia/Shanghai"))})
    assert pylist(empty) == []
    dup = pa.Table.from_arrays([pa.array([1]), pa.array([2])], names=["a", "a"])
    assert pylist(dup) == dup.to_pylist()
