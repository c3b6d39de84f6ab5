"""Property tests of the observation loader: random cells in a wide CSV.

Whatever the cells hold, the load raises nothing but :class:`LoadError` (and for these files not
even that); every well-formed value lands with its value; every other cell of a good record is
either a missing-value token, stored, or rejected with a reason — never silently dropped; every
record with a bad station or time gets a reject naming the column.
"""

from __future__ import annotations

import atexit
import csv
import io
import re
import shutil
import tempfile
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import duckdb
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from ecohub.ingest._sql import MISSING_TOKENS
from ecohub.ingest.files import load_observations, load_stations
from ecohub.store.db import connect

COLUMNS = {"PM2.5": "a34004", "SO2": "a21026"}
BASE = datetime(2020, 1, 1)
# Written here from the documented syntax (docs/operations.md), not taken from the loader.
NUMBER = re.compile(r"[+-]?(\d+(\.\d*)?|\.\d+)([eE][+-]?\d+)?")

_DB: list[duckdb.DuckDBPyConnection] = []
_DIR = Path(tempfile.mkdtemp(prefix="ecohub-prop-"))
atexit.register(shutil.rmtree, _DIR, ignore_errors=True)


def _con() -> duckdb.DuckDBPyConnection:
    if not _DB:
        con = connect(":memory:")
        stations = _DIR / "stations.csv"
        stations.write_text("station_id,name\nS1,a\nS2,b\n", encoding="utf-8")
        load_stations(con, stations)
        _DB.append(con)
    return _DB[0]


good_number = st.one_of(
    st.integers(0, 10**6).map(str),
    st.decimals(0, 10**4, places=3, allow_nan=False, allow_infinity=False).map(str),
)
good_value = st.one_of(
    good_number.map(lambda s: (s, False)),
    good_number.filter(lambda s: float(s) > 0).map(lambda s: (s + "L", True)),
)
# Any text without line breaks (a quoted line break is one record on two lines: another test).
any_text = st.text(st.characters(codec="utf-8", exclude_characters="\r\n\x00"), max_size=12)
cell = st.one_of(good_value.map(lambda v: ("good", v)), any_text.map(lambda t: ("any", (t, False))))
bad_time = st.sampled_from(
    ["yesterday", "epoch", "infinity", "0000-01-01", "290309-12-22 (BC)", "2020-13-01", ""]
)
record = st.tuples(
    st.sampled_from(["S1", "S2", "S9", ""]),
    st.one_of(st.none(), bad_time),  # None: a good, unique time
    cell,
    cell,
)


@settings(
    max_examples=25,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
)
@given(st.lists(record, min_size=1, max_size=12))
def test_random_cells_land_or_are_rejected(records: list[tuple[Any, ...]]) -> None:
    con = _con()
    con.execute("DELETE FROM observation")
    buf = io.StringIO()
    out = csv.writer(buf, lineterminator="\n")
    out.writerow(["station", "time", *COLUMNS])
    for i, (station, time, a, b) in enumerate(records):
        good_time = (BASE + timedelta(hours=i)).strftime("%Y-%m-%d %H:%M")
        out.writerow([station, good_time if time is None else time, a[1][0], b[1][0]])
    path = _DIR / "obs.csv"
    path.write_text(buf.getvalue(), encoding="utf-8")

    reject_file = _DIR / "rejects.csv"
    reject_file.unlink(missing_ok=True)
    report = load_observations(con, path, force=True, reject_path=reject_file)

    got = {
        (s, p, t.astimezone(UTC).replace(tzinfo=None) + timedelta(hours=8)): (v, bool(d))
        for s, p, t, v, d in con.execute(
            "SELECT station_id, parameter, time, value, below_detection FROM observation"
        ).fetchall()
    }
    rows = []
    if report.rejected:
        with reject_file.open(encoding="utf-8-sig") as fh:
            rows = list(csv.DictReader(fh))
    assert len(rows) == report.rejected
    assert all(r["reason"] for r in rows)
    rejected = {(int(r["row"]), r["column"]) for r in rows}
    for i, (station, time, a, b) in enumerate(records):
        line = i + 2
        if all(
            c.strip(" ") == "" for c in (station, "x" if time is None else time, a[1][0], b[1][0])
        ):
            continue  # a blank line
        if station not in ("S1", "S2") or time is not None:
            # The first failing check names the column: empty station, then time, then unknown.
            column = "station" if station == "" or time is None else "time"
            assert (line, column) in rejected, (line, column)
            assert not any(k[2] == BASE + timedelta(hours=i) and k[0] == station for k in got)
            continue
        when = BASE + timedelta(hours=i)
        for header, (kind, (text, below)) in zip(COLUMNS, (a, b), strict=True):
            key = (station, COLUMNS[header], when)
            if kind == "good":
                assert got[key] == (float(text.rstrip("L")), below), (key, text)
                assert (line, header) not in rejected
                continue
            token = text.strip(" ").lower()
            if token in MISSING_TOKENS:
                assert key not in got
            elif key in got:
                assert NUMBER.fullmatch(text.strip(" ").rstrip("Ll").rstrip(" ")), text
            else:
                assert (line, header) in rejected, (line, header, text)
    assert report.rows_read <= len(records)
