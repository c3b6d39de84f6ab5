"""Service functions of the registry: what the CLI (and later the API) call. Plain data out."""

from __future__ import annotations

import json
import time
import uuid
from datetime import datetime
from typing import Any

import duckdb
import pandas as pd

from ecohub.registry import attach, coding, linkage
from ecohub.registry.cluster import cluster

__all__ = ["export_codes", "link"]

_RECORDS_SQL = """
SELECT system || '|' || record_id AS unique_id, system, record_id, source_code, uscc_norm,
       name, address, region_code, industry, lon_wgs, lat_wgs
FROM source_record
"""


def _decisions(con: duckdb.DuckDBPyConnection) -> tuple[list[tuple[str, str]], ...]:
    rows = con.execute(
        "SELECT system_a || '|' || record_a, system_b || '|' || record_b, decision "
        "FROM review_decision"
    ).fetchall()
    must = [(a, b) for a, b, d in rows if d == "match"]
    cannot = [(a, b) for a, b, d in rows if d == "nonmatch"]
    return must, cannot


def link(
    con: duckdb.DuckDBPyConnection,
    *,
    engine: str = "duckdb",
    config: linkage.LinkConfig | None = None,
    actor: str = "system",
    spark: Any | None = None,
) -> dict[str, Any]:
    """Link every loaded record, keep issued codes, store the review band; one transaction."""
    config = config or linkage.LinkConfig()
    run_id = datetime.now().strftime("%Y%m%dT%H%M%S-") + uuid.uuid4().hex[:6]
    t0 = time.perf_counter()
    frame = linkage.input_frame(con)
    pairs, model = linkage.predict_pairs(frame, engine=engine, config=config, spark=spark)
    t_predict = time.perf_counter() - t0
    must, cannot = _decisions(con)
    records = con.execute(_RECORDS_SQL).df()
    prior = records.set_index("unique_id")["source_code"]
    clustered = cluster(
        records["unique_id"],
        pairs,
        threshold=config.auto_accept,
        prior=prior,
        must=must,
        cannot=cannot,
    )
    con.execute("BEGIN")
    try:
        con.execute(
            "INSERT INTO link_run (run_id, started_at, engine, actor, n_records, n_pairs, params) "
            "VALUES (?, now(), ?, ?, ?, ?, ?)",
            [
                run_id,
                engine,
                actor,
                len(records),
                len(pairs),
                json.dumps(
                    {
                        "auto_accept": config.auto_accept,
                        "review_low": config.review_low,
                        "model": model,
                    },
                    default=str,
                ),
            ],
        )
        counts = coding.assign_codes(con, clustered, records, run_id=run_id, actor=actor)
        _store_review_band(con, pairs, clustered, config, run_id)
        attached = attach.attach_all(con, actor=actor, run_id=run_id)
        con.execute(
            "UPDATE link_run SET finished_at = now(), n_clusters = ? WHERE run_id = ?",
            [counts["clusters"], run_id],
        )
        con.execute("COMMIT")
    except Exception:
        con.execute("ROLLBACK")
        raise
    return {
        "run_id": run_id,
        "engine": engine,
        "records": len(records),
        "pairs": len(pairs),
        "seconds_predict": round(t_predict, 2),
        "seconds_total": round(time.perf_counter() - t0, 2),
        **counts,
        **attached,
    }


def _store_review_band(
    con: duckdb.DuckDBPyConnection,
    pairs: pd.DataFrame,
    clustered: pd.DataFrame,
    config: linkage.LinkConfig,
    run_id: str,
) -> None:
    """Band pairs whose records ended in different sources and nobody has decided yet."""
    band = pairs[pairs.match_probability < config.auto_accept]
    label = clustered.set_index("unique_id")["cluster"]
    band = band[band.unique_id_l.map(label).to_numpy() != band.unique_id_r.map(label).to_numpy()]
    a = band.unique_id_l.str.split("|", n=1, expand=True)
    b = band.unique_id_r.str.split("|", n=1, expand=True)
    frame = pd.DataFrame(
        {
            "system_a": a[0] if len(band) else [],
            "record_a": a[1] if len(band) else [],
            "system_b": b[0] if len(band) else [],
            "record_b": b[1] if len(band) else [],
            "match_probability": band.match_probability.to_numpy(),
            "run_id": run_id,
        }
    )
    swap = (frame.system_a > frame.system_b) | (
        (frame.system_a == frame.system_b) & (frame.record_a > frame.record_b)
    )
    frame.loc[swap, ["system_a", "record_a", "system_b", "record_b"]] = frame.loc[
        swap, ["system_b", "record_b", "system_a", "record_a"]
    ].to_numpy()
    con.execute("DELETE FROM review_pair")
    con.register("_band", frame)
    try:
        con.execute(
            "INSERT INTO review_pair SELECT b.* FROM _band b WHERE NOT EXISTS (SELECT 1 FROM "
            "review_decision d WHERE d.system_a = b.system_a AND d.record_a = b.record_a AND "
            "d.system_b = b.system_b AND d.record_b = b.record_b)"
        )
    finally:
        con.unregister("_band")


def export_codes(con: duckdb.DuckDBPyConnection) -> pd.DataFrame:
    """One row per record: ``system, record_id, source_code``."""
    return con.execute(
        "SELECT system, record_id, source_code FROM source_record ORDER BY system, record_id"
    ).df()
