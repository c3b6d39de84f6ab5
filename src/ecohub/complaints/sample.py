"""The complaint part of the bundled sample: demonstration sources and a generated complaint set.

``ecohub up`` calls :func:`load_sample_complaints` after the air sample, so the console's
complaint layer has data: the sources of ``data/sample_sources.csv`` are registered (codes
``DEMO…C1``..``C8``, clearly not real HJ 608 codes, like the simulator's ``DEMO…`` source), the
set of :mod:`.generate` is written as a CSV and loaded through the ordinary loader, and the
analysis runs. Safe to call again: nothing is doubled.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import duckdb

from ecohub.complaints.analyse import analyse
from ecohub.complaints.generate import generate, sample_sources, write_csv
from ecohub.complaints.load import load_complaints
from ecohub.jobs.plain import jsonable

__all__ = ["SAMPLE_FILE", "ensure_sample_sources", "load_sample_complaints"]

SAMPLE_FILE = "sample_complaints.csv"


def ensure_sample_sources(con: duckdb.DuckDBPyConnection) -> int:
    """Register the demonstration sources that are not in ``source`` yet; how many were new."""
    before = con.execute("SELECT count(*) FROM source").fetchone()
    con.executemany(
        "INSERT INTO source (source_code, name, address, region_code, industry, lon, lat, status)"
        " VALUES (?, ?, ?, ?, ?, ?, ?, 'active') ON CONFLICT DO NOTHING",
        [[s["source_code"], s["name"], s["address"], s["region_code"], s["industry"],
          float(s["lon"]), float(s["lat"])] for s in sample_sources()],
    )  # fmt: skip
    after = con.execute("SELECT count(*) FROM source").fetchone()
    return int(after[0]) - int(before[0]) if after and before else 0


def load_sample_complaints(con: duckdb.DuckDBPyConnection, folder: Path) -> dict[str, Any]:
    """Register the demo sources, write the generated set into ``folder`` and load it."""
    new_sources = ensure_sample_sources(con)
    path = write_csv(generate(), folder / SAMPLE_FILE)
    report = load_complaints(con, path, write_rejects=False)
    result = analyse(con) if not report.already_loaded or new_sources else {}
    return {"sources": new_sources, "report": jsonable(report), "analysis": result}
