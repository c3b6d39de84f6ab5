"""``GET /api/v1/trend``: the reviewed record by default, every value with ``raw=true``
(walk E, finding 3). Input and expected values are ``tests.analytics.test_trend_review``'s
(monthly means by hand, pymannkendall)."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import numpy as np
import pymannkendall as pmk
import pytest
from fastapi.testclient import TestClient

from tests.analytics.test_trend_review import _frames, _series
from tests.api import door_data as d
from tests.api.door_data import Door


@pytest.fixture
def door(tmp_path: Path) -> Iterator[Door]:
    from argon2 import PasswordHasher

    from ecohub.access import users

    users.HASHER = PasswordHasher(time_cost=1, memory_cost=1024, parallelism=1)
    built = d.build(tmp_path)
    obs, flags = _frames()
    built.con.register("obs", obs.assign(station_id=d.ST_IN))
    built.con.register("flags", flags.assign(station_id=d.ST_IN))
    built.con.execute("INSERT INTO observation BY NAME SELECT * FROM obs")
    built.con.execute("INSERT INTO review_flag BY NAME SELECT * FROM flags")
    yield built
    built.app.state.ctx.jobs.shutdown()
    built.con.close()


@pytest.mark.parametrize("raw", [False, True])
def test_trend_reviewed_by_default_raw_on_request(door: Door, raw: bool) -> None:
    c = TestClient(door.app, headers={"Authorization": f"Bearer {door.keys['admin']}"})
    params = {"station": d.ST_IN, "parameter": "PM2.5", "from": 2013, "to": 2016}
    if raw:
        params["raw"] = "true"
    r = c.get("/api/v1/trend", params=params)
    assert r.status_code == 200, r.text
    (row,) = r.json()
    kept = {"flagged", "confirmed", "overruled"} if raw else {"overruled"}
    ref = pmk.seasonal_test(np.array(_series(kept)), period=12)
    assert row["s"] == ref.s and row["slope_per_year"] == pytest.approx(ref.slope)
    assert row["record"] == ("raw" if raw else "reviewed")
    assert row["n_set_aside"] == (0 if raw else 72) and row["n_rejected"] == 3
