"""The version of what an open data route serves, known before the data is read.

An open route's answer depends on its tables' rows, on whether their resources are published,
and on the request. The rows change only through producers, and each producer records a run in
the transaction that writes them (:mod:`ecohub.catalog.produce`: loads of stations and
observations, air computations); the stored air results also carry
``air_state.results_version``, renewed in the transaction that commits changed results (a read
that computes stale days records no run). So a version is a few aggregates of the catalogue's
own small tables (runs, publications, ``air_state``): no data is read to know it, and an
unchanged data set is answered ``304 Not Modified`` without being read at all (the ``ETag`` of
``/open/v1``, docs/api.md).

While stored air results are stale (a load or a review decision marked station-days, which
the next read computes) the version is unknown (``None``): the route reads (and so computes)
and answers in full.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from datetime import datetime

import duckdb

from ecohub.catalog.produce import code_of

#: The air result tables, which are computed from the stations and the observations (and kept
#: current by reads: ``analytics.air_service``).
AIR = frozenset({"air_hourly_aqi", "air_daily", "air_period_stat", "air_category_days"})


@dataclass(frozen=True)
class Version:
    """``tag``: changes whenever what the tables hold or whether they are published does;
    ``modified``: the last of those changes that has a time (a run, a publication)."""

    tag: str
    modified: datetime | None


def of_tables(con: duckdb.DuckDBPyConnection, tables: tuple[str, ...]) -> Version | None:
    """The version of ``tables`` (store tables with a built-in resource) as an open route
    serves them, or ``None`` while it is not known (stale air results: the read computes)."""
    wanted = set(tables)
    if wanted & AIR:
        wanted |= {"station", "observation"}  # what the air results are computed from
    codes = sorted(code_of(t) for t in wanted)
    marks = ", ".join("?" for _ in codes)
    air = bool(wanted & AIR)
    row = con.execute(
        f"""SELECT
            (SELECT max(recorded_at) FROM catalog_run WHERE resource_code IN ({marks})
                AND NOT derived),
            (SELECT count(*) FROM catalog_run WHERE resource_code IN ({marks}) AND NOT derived),
            (SELECT max(acted_at) FROM catalog_publication WHERE code IN ({marks})),
            (SELECT max(id) FROM catalog_publication WHERE code IN ({marks})),
            {
            "(SELECT string_agg(name || '=' || value, ';' ORDER BY name) FROM air_state)"
            if air
            else "NULL"
        },
            {"EXISTS (SELECT 1 FROM air_stale)" if air else "FALSE"}""",
        codes * 4,
    ).fetchall()[0]
    run_at, runs, acted_at, publication, state, stale = row
    if stale:
        return None
    text = "\x1f".join(str(v) for v in (codes, run_at, runs, acted_at, publication, state))
    times = [t for t in (run_at, acted_at) if t is not None]
    return Version(hashlib.sha256(text.encode()).hexdigest(), max(times) if times else None)
