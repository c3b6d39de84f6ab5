"""What producers call to register what they made (the lineage of each resource).

- :func:`note` — one run of a loader, an analytics computation or a registry run made (a
  version of) a table from inputs: files by SHA-256, resources, runs. It writes plain INSERTs
  on the caller's connection, so a producer calls it inside its own transaction and the run is
  recorded with the rows it made, or not at all. Inside a server job (:func:`job_context`) the
  job's id and parameters are added to every run, without the producer knowing it is a job.
- :data:`DEVICE_UPSERT` — the HJ 212 writer's cheap per-device bookkeeping (table, MN, first and
  last seen, packets), flushed with its last-seen times; :func:`ecohub.catalog.lineage.walk`
  reads it as the devices behind ``emission``, ``hj212_message`` and ``packet_log``.

Producers name the table they wrote; its resource code comes from the built-in definitions
(no catalogue sync needed, nothing read from the catalogue tables).
"""

from __future__ import annotations

import json
import uuid
from collections.abc import Iterable, Iterator, Mapping
from contextlib import contextmanager
from contextvars import ContextVar
from datetime import UTC, datetime
from typing import Any

import duckdb
import pyarrow as pa

from ecohub.catalog import definitions, resources
from ecohub.catalog._time import json_default

_JOB: ContextVar[tuple[str, str, Mapping[str, Any]] | None] = ContextVar("ecohub_job", default=None)


def input_rows(run_id: str, inputs: Iterable[tuple[str, str, Any]]) -> list[list[Any]]:
    """``catalog_run_input`` rows of one run: each (kind, ref) input once (the first one's
    detail, as JSON text)."""
    rows: list[list[Any]] = []
    seen: set[tuple[str, str]] = set()
    for kind, ref, detail in inputs:
        if (kind, ref) not in seen:
            seen.add((kind, ref))
            text = json.dumps(detail, default=json_default, ensure_ascii=False)
            rows.append([run_id, kind, ref, text])
    return rows


@contextmanager
def job_context(job_id: str, kind: str, params: Mapping[str, Any]) -> Iterator[None]:
    """Runs noted inside this block name job ``job_id`` (of ``kind``, with ``params``)."""
    token = _JOB.set((job_id, kind, dict(params)))
    try:
        yield
    finally:
        _JOB.reset(token)


def code_of(table: str) -> str:
    """The resource code of a store table (from the built-in definitions)."""
    for d in definitions.definitions():
        if d["kind"] == "table" and d["table_name"] == table:
            return str(d["code"])
    raise ValueError(f"table {table!r} has no built-in resource: add it to resources.csv")


def has_resource(table: str) -> bool:
    """Whether ``table`` has a built-in resource (a producer may write helper tables too)."""
    return any(d["kind"] == "table" and d["table_name"] == table for d in definitions.definitions())


def note(
    con: duckdb.DuckDBPyConnection,
    tables: str | Iterable[str],
    kind: str,
    inputs: Iterable[tuple[str, str] | tuple[str, str, Mapping[str, Any]]] = (),
    params: Mapping[str, Any] | None = None,
    *,
    actor: str | None = None,
) -> list[str]:
    """Record that one run of ``kind`` made ``tables`` from ``inputs``; returns the run ids.

    ``inputs``: ``(kind, ref)`` or ``(kind, ref, detail)`` with kind ``file`` (SHA-256),
    ``device`` (MN), ``resource`` (a code, or a table name), ``job`` or ``run``. Written on
    ``con`` as it is (in the caller's transaction, if any).
    """
    names = [tables] if isinstance(tables, str) else list(tables)
    rows_in: list[tuple[str, str, dict[str, Any]]] = []
    for item in inputs:
        k, ref = item[0], item[1]
        detail: dict[str, Any] = dict(item[2]) if len(item) > 2 else {}
        if k == "resource" and not definitions.CODE.match(ref):
            ref = code_of(ref)
        rows_in.append((k, ref, detail))
    all_params = dict(params or {})
    job = _JOB.get()
    if job is not None:
        rows_in.append(("job", job[0], {"job_kind": job[1], "params": job[2]}))
        all_params.setdefault("job", job[0])
    now = datetime.now(UTC)
    dumped = json.dumps(all_params, default=json_default, ensure_ascii=False)
    run_ids = []
    runs: list[list[Any]] = []
    ins: list[list[Any]] = []
    for table in names:
        rid = uuid.uuid4().hex
        run_ids.append(rid)
        runs.append([rid, code_of(table), kind, actor, dumped, now, now, False])
        ins.extend(input_rows(rid, rows_in))
    resources.insert_rows(con, "catalog_run", runs)
    resources.insert_rows(con, "catalog_run_input", ins)
    return run_ids


#: The writer's device rows: (table_name, mn, first_seen, last_seen, packets).
DEVICE_SCHEMA = pa.schema(
    [
        ("table_name", pa.string()),
        ("mn", pa.string()),
        ("first_seen", pa.timestamp("us", tz="UTC")),
        ("last_seen", pa.timestamp("us", tz="UTC")),
        ("packets", pa.int64()),
    ]
)
#: Upsert of :data:`DEVICE_SCHEMA` rows from ``{src}`` (one row per table and MN).
DEVICE_UPSERT = (
    "INSERT INTO catalog_device AS d SELECT * FROM {src} ON CONFLICT (table_name, mn) DO UPDATE "
    "SET first_seen = least(d.first_seen, excluded.first_seen), "
    "last_seen = greatest(d.last_seen, excluded.last_seen), packets = d.packets + excluded.packets"
)


def device_rows(counts: Mapping[tuple[str, str], list[Any]]) -> pa.Table:
    """``{(table, mn): [first, last, packets]}`` as a :data:`DEVICE_SCHEMA` table."""
    rows = [(t, mn, v[0], v[1], v[2]) for (t, mn), v in counts.items()]
    cols: list[Any] = list(zip(*rows, strict=True)) if rows else [() for _ in DEVICE_SCHEMA]
    return pa.table(
        [pa.array(list(c), type=f.type) for c, f in zip(cols, DEVICE_SCHEMA, strict=True)],
        schema=DEVICE_SCHEMA,
    )
