"""Service functions of the registry: what the CLI (and later the API) call. Plain data out.

Every option is checked here, not in the CLI: a bad one raises :class:`OptionError` (a
ValueError) whose message starts with the option's command-line name (``--auto-accept``).
"""

from __future__ import annotations

import io
import json
import math
import time
import uuid
from datetime import datetime
from pathlib import Path
from typing import Any

import duckdb
import pandas as pd

from ecohub.catalog.produce import note
from ecohub.ingest.report import shorten
from ecohub.queries.export import csv_bytes, write_xlsx
from ecohub.registry import attach, coding, lifecycle, linkage, records, review, survivorship
from ecohub.registry.cluster import cluster
from ecohub.registry.errors import OptionError
from ecohub.store.backend import AnalyticsBackend, duckdb_backend

__all__ = [
    "EXPORT_FORMATS",
    "MAX_SYSTEM_CHARS",
    "OptionError",
    "check_link_config",
    "check_writable",
    "decide",
    "export_codes",
    "export_codes_bytes",
    "export_codes_to",
    "link",
    "load_records",
    "pending",
    "write_export",
]

EXPORT_FORMATS = ("csv", "parquet", "xlsx")
CRS = ("wgs84", "gcj02")
MAX_SYSTEM_CHARS = 50  # a system name is a short label ("permit", "tax"), part of every key


def check_writable(option: str, target: Path) -> None:
    """Raise :class:`OptionError` unless ``target`` can be written (tried, then left as it was)."""
    if target.is_dir():
        raise OptionError(f"{option} {target}: is a directory, not a file")
    existed = target.exists()
    try:
        with target.open("a", encoding="utf-8"):
            pass
    except OSError as exc:
        raise OptionError(f"{option} {target}: cannot write: {exc.strerror or exc}") from exc
    if not existed:
        target.unlink(missing_ok=True)


def check_system(system: str) -> str:
    """The system label, trimmed; it names records as ``system:record_id`` and ``system|id``."""
    name = system.strip()
    if not name:
        raise OptionError("--system: must not be empty")
    if len(name) > MAX_SYSTEM_CHARS:
        raise OptionError(
            f"--system {shorten(name, 40)!r}: longer than {MAX_SYSTEM_CHARS} characters"
        )
    bad = sorted({c for c in name if c in ":|" or not c.isprintable()})
    if bad:
        raise OptionError(
            f"--system {name!r}: must not contain {', '.join(repr(c) for c in bad)} "
            "(records are named system:record_id)"
        )
    return name


def load_records(
    con: duckdb.DuckDBPyConnection,
    system: str,
    path: Path,
    *,
    column_map: dict[str, str] | None = None,
    crs: str = "wgs84",
    reject_path: Path | None = None,
    full_list: bool = False,
    actor: str = "system",
) -> records.LoadResult:
    """Check the options, then load ``path`` as ``system``'s list (:func:`records.load_records`;
    ``full_list``: the system's whole list, its records missing from it are withdrawn)."""
    name = check_system(system)
    if crs not in CRS:
        raise OptionError(f"--crs: expected {' or '.join(CRS)}, got {shorten(crs, 40)!r}")
    if not path.is_file():
        raise OptionError(f"FILE {path}: no such file")
    if reject_path is not None:
        check_writable("--rejects", reject_path)
    return records.load_records(
        con,
        name,
        path,
        column_map=column_map,
        crs=crs,
        reject_path=reject_path,
        full_list=full_list,
        actor=actor,
    )


def check_link_config(config: linkage.LinkConfig) -> None:
    """Both thresholds are probabilities and the review band lies below auto-accept."""
    for option, value in (
        ("--auto-accept", config.auto_accept),
        ("--review-low", config.review_low),
    ):
        if not isinstance(value, int | float) or not math.isfinite(value) or not 0 <= value <= 1:
            raise OptionError(f"{option}: must be a probability between 0 and 1, got {value}")
    if config.review_low > config.auto_accept:
        raise OptionError(
            f"--review-low {config.review_low} is above --auto-accept {config.auto_accept}: "
            "the review band is review-low <= p < auto-accept"
        )


_RECORDS_SQL = f"""
SELECT system || '|' || record_id AS unique_id, system, record_id, source_code, uscc_norm,
       name, address, address_norm, region_code, industry, lon_wgs, lat_wgs,
       {survivorship.AS_OF_SQL} AS as_of, loaded_at, withdrawn_at
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
    engine: AnalyticsBackend | None = None,
    config: linkage.LinkConfig | None = None,
    actor: str = "system",
) -> dict[str, Any]:
    """Link every loaded record, keep issued codes, store the review band; one transaction.
    The model is trained and scored on ``engine`` (default: DuckDB)."""
    config = config or linkage.LinkConfig()
    check_link_config(config)
    engine = engine or duckdb_backend()
    run_id = datetime.now().strftime("%Y%m%dT%H%M%S-") + uuid.uuid4().hex[:6]
    t0 = time.perf_counter()
    frame = linkage.input_frame(con)
    pairs, model = linkage.predict_pairs(frame, engine=engine, config=config)
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
        # Two valid credit codes are two legal entities: only a person's decision joins them.
        keys=records.set_index("unique_id")["uscc_norm"],
    )
    con.execute("BEGIN")
    try:
        con.execute(
            "INSERT INTO link_run (run_id, started_at, engine, actor, n_records, n_pairs, params) "
            "VALUES (?, now(), ?, ?, ?, ?, ?)",
            [
                run_id,
                engine.name,
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
        now = datetime.now().astimezone()
        counts["status_changed"] = lifecycle.refresh(con, now=now, actor=actor, run_id=run_id)
        review.store_band(con, pairs, clustered, run_id)
        attached = attach.attach_all(con, actor=actor, run_id=run_id)
        con.execute(
            "UPDATE link_run SET finished_at = now(), n_clusters = ? WHERE run_id = ?",
            [counts["clusters"], run_id],
        )
        # Lineage: this run made the register from the departments' records and the reviewers'
        # decisions (recorded with the run, in its transaction).
        note(
            con,
            ("source", "source_event", "permit", "outlet", "review_pair", "link_run"),
            "link-run",
            [("resource", "source_record"), ("resource", "review_decision"), ("run", run_id)],
            {"engine": engine, "auto_accept": config.auto_accept, "records": len(records)},
            actor=actor,
        )
        con.execute("COMMIT")
    except Exception:
        con.execute("ROLLBACK")
        raise
    return {
        "run_id": run_id,
        "engine": engine.name,
        "records": len(records),
        "pairs": len(pairs),
        "seconds_predict": round(t_predict, 2),
        "seconds_total": round(time.perf_counter() - t0, 2),
        **counts,
        **attached,
    }


def export_codes(con: duckdb.DuckDBPyConnection) -> pd.DataFrame:
    """One row per record: ``system, record_id, source_code``."""
    return con.execute(
        "SELECT system, record_id, source_code FROM source_record ORDER BY system, record_id"
    ).df()


def export_codes_bytes(con: duckdb.DuckDBPyConnection, fmt: str = "csv") -> tuple[bytes, int]:
    """:func:`export_codes` as the bytes of a ``fmt`` file, and the number of records."""
    if fmt not in EXPORT_FORMATS:
        raise OptionError(f"--format: expected {', '.join(EXPORT_FORMATS)}, got {fmt!r}")
    df = export_codes(con)
    buf = io.BytesIO()
    if fmt == "csv":
        buf.write(csv_bytes(df))
    elif fmt == "parquet":
        df.to_parquet(buf, index=False)
    else:
        write_xlsx(df, buf)
    return buf.getvalue(), len(df)


def write_export(out: Path, data: bytes) -> None:
    """Write an export's bytes to ``out`` (:class:`OptionError` naming ``--out`` if it fails)."""
    try:
        out.write_bytes(data)
    except OSError as exc:
        raise OptionError(f"--out {out}: cannot write: {exc.strerror or exc}") from exc


def export_codes_to(con: duckdb.DuckDBPyConnection, out: Path, fmt: str = "csv") -> int:
    """Write :func:`export_codes` to ``out`` as ``fmt``; return the number of records."""
    if fmt not in EXPORT_FORMATS:
        raise OptionError(f"--format: expected {', '.join(EXPORT_FORMATS)}, got {fmt!r}")
    check_writable("--out", out)
    data, n = export_codes_bytes(con, fmt)
    write_export(out, data)
    return n


def pending(con: duckdb.DuckDBPyConnection, limit: int = 20) -> list[dict[str, Any]]:
    """Undecided pairs of the review band (:func:`review.pending`), at most ``limit``."""
    if isinstance(limit, bool) or not isinstance(limit, int) or limit < 1:
        raise OptionError(f"--limit: must be a whole number of at least 1, got {limit}")
    return review.pending(con, limit=limit)


def decide(
    con: duckdb.DuckDBPyConnection,
    a: str,
    b: str,
    decision: str,
    *,
    by: str,
    note: str | None = None,
) -> dict[str, Any]:
    """Record a decision on two different records (:func:`review.decide`)."""
    for option, value in (("--a", a), ("--b", b)):
        system, sep, record = value.partition(":")
        if not sep or not system.strip() or not record.strip():
            raise OptionError(f"{option} {shorten(value, 60)!r}: expected system:record_id")
    if a.strip() == b.strip():
        raise OptionError(f"--a and --b name the same record ({a}); a pair needs two records")
    if decision not in review.DECISIONS:
        raise OptionError(
            f"--decision: expected {' or '.join(review.DECISIONS)}, got {shorten(decision, 40)!r}"
        )
    return review.decide(con, a, b, decision, by=by, note=note)
