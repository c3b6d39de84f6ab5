"""The bundled sample: hourly air quality of 12 Beijing stations, 2013-2017 (UCI id 501, CC BY 4.0).

:func:`load_sample` loads it through the ordinary file loaders, so the sample exercises the same
code path as an operator's ``ecohub load``. Attribution and provenance: ``data/README.md``.
"""

from __future__ import annotations

from contextlib import ExitStack
from importlib import resources
from typing import Any

import duckdb

from ecohub.ingest.files import LoadReport, ProgressFn, load_observations, load_stations

__all__ = ["SAMPLE_SOURCE", "load_sample"]

SAMPLE_SOURCE = "uci-501-beijing-multisite"  # observation.source / station.source of the sample


def load_sample(
    con: duckdb.DuckDBPyConnection, *, progress: ProgressFn | None = None
) -> dict[str, Any]:
    """Load the sample stations and observations into ``con``; safe to call again.

    Returns plain counts: ``stations`` and ``observations`` (rows written by this call),
    ``observations_total`` (sample rows now in the store), ``rejected``, ``already_loaded``, and
    the two :class:`~ecohub.ingest.files.LoadReport` objects under ``reports``. No reject file is
    written (the package directory may be read-only); the sample has no rejects.
    """
    data = resources.files("ecohub.sample").joinpath("data")
    with ExitStack() as stack:
        stations_csv = stack.enter_context(resources.as_file(data.joinpath("stations.csv")))
        hourly = stack.enter_context(resources.as_file(data.joinpath("prsa_hourly.parquet")))
        st: LoadReport = load_stations(
            con, stations_csv, network="air", source=SAMPLE_SOURCE, write_rejects=False
        )
        # co_ugm3 declares µg/m³ in its header; the loader converts it to mg/m³.
        obs: LoadReport = load_observations(
            con,
            hourly,
            period="1h",
            source=SAMPLE_SOURCE,
            write_rejects=False,
            progress=progress,
        )
    total = con.execute(
        "SELECT count(*) FROM observation_all WHERE source = ?", [SAMPLE_SOURCE]
    ).fetchone()
    return {
        "stations": st.stored,
        "observations": obs.stored,
        "observations_total": int(total[0]) if total else 0,
        "rejected": st.rejected + obs.rejected,
        "already_loaded": st.already_loaded and obs.already_loaded,
        "reports": {"stations": st, "observations": obs},
    }
