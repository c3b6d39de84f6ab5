"""Properties over arbitrary hourly series: review never changes a stored value, every flag
points at a stored value with that value, a negative value is always flagged, and a re-run
adds and removes nothing."""

from __future__ import annotations

import duckdb
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from ecohub.store.db import connect
from ecohub.supervision.review import run

from .conftest import STATIONS, put

values = st.one_of(
    st.floats(min_value=-50, max_value=2000, allow_nan=False),
    st.sampled_from([0.0, 20.0, 999.0, 1071.0]),
)
series = st.lists(
    st.tuples(
        st.sampled_from(["s1", "s2", "s3", "s4"]),
        st.sampled_from(["a34004", "a34002", "a05024", "a21005"]),
        st.integers(min_value=0, max_value=40),
        values,
    ),
    max_size=120,
    unique_by=lambda r: r[:3],
)


def _store() -> duckdb.DuckDBPyConnection:
    con = connect(":memory:")
    for sid, region in STATIONS.items():
        con.execute(
            "INSERT INTO station (station_id, network, region_code) VALUES (?, 'air', ?)",
            [sid, region],
        )
    return con


@settings(max_examples=15, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(series)
def test_review_properties(rows: list[tuple[str, str, int, float]]) -> None:
    con = _store()
    try:
        if rows:
            put(con, rows)
        before = con.execute("SELECT * FROM observation ORDER BY ALL").fetchall()
        run(con)
        assert con.execute("SELECT * FROM observation ORDER BY ALL").fetchall() == before
        orphans = con.execute(
            "SELECT count(*) FROM review_flag f LEFT JOIN observation o USING "
            "(station_id, parameter, period, time) WHERE o.value IS DISTINCT FROM f.value"
        ).fetchone()
        assert orphans == (0,)
        unflagged_negative = con.execute(
            "SELECT count(*) FROM observation o WHERE o.value < 0 AND NOT EXISTS (SELECT 1 "
            "FROM review_flag f WHERE f.rule = 'negative' AND f.station_id = o.station_id "
            "AND f.parameter = o.parameter AND f.time = o.time)"
        ).fetchone()
        assert unflagged_negative == (0,)
        again = run(con)
        assert (again["new"], again["removed"]) == (0, 0)
    finally:
        con.close()
