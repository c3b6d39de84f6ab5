"""The generated population end to end: files loaded and linked through the registry, then the
watch list and the unapproved list judged against the known bad actors (bench/risk.py measures
the same on a larger population)."""

from __future__ import annotations

from pathlib import Path

import duckdb

from ecohub.access.principal import SYSTEM
from ecohub.enterprise import measured, unapproved, watchlist


def test_bad_actors_top_the_watch_list(con: duckdb.DuckDBPyConnection, tmp_path: Path) -> None:
    pop = measured.build(con, tmp_path, n=150, seed=3)
    assert len(pop.codes) == 150  # every listed source got a code
    bad = pop.bad()
    assert len(bad) >= 10
    links = con.execute(
        "SELECT count(*) FILTER (WHERE r.source_code IN (SELECT source_code FROM source_record "
        "WHERE system = 'permit')), count(*) FROM source_record r "
        "WHERE r.system IN ('enforcement', 'eia_approval')"
    ).fetchone()
    assert links is not None and links[0] >= 0.95 * links[1]  # cases and approvals linked
    top = [i["source_code"] for i in watchlist(con, SYSTEM, region=pop.region, month=pop.month,
                                               limit=10)["items"]]  # fmt: skip
    assert len(top) == 10
    assert sum(c in bad for c in top) >= 9
    got = {r["source_code"] for r in unapproved(con, SYSTEM, region=pop.region)}
    truth = pop.unapproved()
    assert len(got & truth) >= 0.9 * len(truth)
    assert len(got & truth) >= 0.9 * len(got)
