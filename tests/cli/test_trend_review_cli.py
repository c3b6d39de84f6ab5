"""`ecohub trend` reads the reviewed record by default and every value with ``--raw``
(walk E, finding 3); the stored rows say which. Input and expected values are
``tests.analytics.test_trend_review``'s (monthly means by hand, pymannkendall)."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pymannkendall as pmk
import pytest
from typer.testing import CliRunner

from ecohub.cli.main import app
from tests.analytics.test_trend_review import _frames, _series

runner = CliRunner()


@pytest.fixture(scope="module")
def db(tmp_path_factory: pytest.TempPathFactory) -> Path:
    from ecohub.store.db import connect

    path = tmp_path_factory.mktemp("trend-review") / "ecohub.duckdb"
    obs, flags = _frames()
    con = connect(path)
    con.register("obs", obs)
    con.register("flags", flags)
    con.execute("INSERT INTO observation BY NAME SELECT * FROM obs")
    con.execute("INSERT INTO review_flag BY NAME SELECT * FROM flags")
    con.close()
    return path


def _run(db: Path, *args: str) -> object:
    from ecohub.settings import get_settings

    get_settings.cache_clear()
    return runner.invoke(app, ["trend", *args], env={"ECOHUB_DB_PATH": str(db), "COLUMNS": "200"})


@pytest.mark.parametrize("raw", [False, True])
def test_trend_reviewed_by_default_raw_on_request(db: Path, tmp_path: Path, raw: bool) -> None:
    out = tmp_path / "t.csv"
    r = _run(db, *(["--raw"] if raw else []), "--out", str(out))
    assert r.exit_code == 0, r.output
    row = pd.read_csv(out, encoding="utf-8-sig").set_index("station_id").loc["S1"]
    kept = {"flagged", "confirmed", "overruled"} if raw else {"overruled"}
    ref = pmk.seasonal_test(np.array(_series(kept)), period=12)
    assert row.record == ("raw" if raw else "reviewed")
    assert row.n_set_aside == (0 if raw else 72) and row.n_rejected == 3
    assert row.s == ref.s and row.slope_per_year == pytest.approx(ref.slope)
    assert ("raw record" if raw else "reviewed record") in r.output
    if not raw:
        assert "72 value(s) set aside by the data review" in r.output
    from ecohub.store.db import connect

    con = connect(db, read_only=True)
    stored = con.execute("SELECT record, n_set_aside, s FROM trend_result").fetchall()
    con.close()
    assert stored == [("raw" if raw else "reviewed", 0 if raw else 72, float(ref.s))]
