"""Lineage: which files, devices, runs, jobs and parameters made each version of a resource.

Two ways in:

- producers (loaders, the HJ 212 writer, analytics computations, registry runs) register what
  they make through :mod:`ecohub.catalog.produce` (in their own transactions); an operator or a
  script may also call :func:`record_run` ("this run made (a version of) this resource");
- runs presented from what is kept in bulk: the devices the HJ 212 writer counted per table
  (``catalog_device``), and data products (made from their table). :func:`walk` computes them
  in memory as of now; :func:`derive` stores them (a full coverage refresh calls it), replacing
  the previous derived runs; recorded ones are kept.

:func:`walk` follows a resource back through the resources it was made from to the source files
(by SHA-256) and devices (by MN).
"""

from __future__ import annotations

import json
import uuid
from collections.abc import Iterable, Mapping
from datetime import UTC, datetime
from typing import Any

import duckdb

from ecohub.catalog import definitions, resources
from ecohub.catalog._db import replace_rows, transaction
from ecohub.catalog._time import iso, json_default
from ecohub.catalog.produce import input_rows
from ecohub.queries import NotFound, QueryError

INPUT_KINDS = ("file", "device", "resource", "job", "run")
MAX_DEPTH = 8  # resources made from resources made from ...: far more than the store has


def resolve(con: duckdb.DuckDBPyConnection, resource: str) -> str:
    """A resource code from a code or a table name (``resource: ...`` when neither)."""
    resources.sync(con)  # once per store and process: the definitions are there to resolve
    if definitions.CODE.match(resource):
        if resources.get(con, resource) is None:
            raise NotFound("resource", resource)
        return resource
    rows = con.execute(
        "SELECT code FROM catalog_resource WHERE table_name = ? AND kind = 'table' "
        f"AND {resources.CURRENT} ORDER BY code",
        [resource],
    ).fetchall()
    if not rows:
        raise QueryError("resource", f"{resource!r} is neither a resource code nor a table")
    return str(rows[0][0])


def _input(item: Any) -> tuple[str, str, dict[str, Any]]:
    if isinstance(item, tuple) and len(item) == 2:
        kind, ref, detail = item[0], item[1], {}
    elif isinstance(item, Mapping):
        kind, ref = item.get("kind"), item.get("ref")
        detail = {k: v for k, v in item.items() if k not in ("kind", "ref")}
    else:
        raise QueryError("inputs", f"each input is (kind, ref) or {{kind, ref, ...}}, not {item!r}")
    if kind not in INPUT_KINDS:
        raise QueryError("inputs", f"kind must be one of {', '.join(INPUT_KINDS)}, not {kind!r}")
    if not isinstance(ref, str) or not ref:
        raise QueryError("inputs", f"ref of a {kind} input must be a non-empty string")
    return kind, ref, detail


def record_run(
    con: duckdb.DuckDBPyConnection,
    resource_code: str,
    kind: str,
    inputs: Iterable[Any] = (),
    params: Mapping[str, Any] | None = None,
    *,
    actor: str | None = None,
    run_id: str | None = None,
    started_at: datetime | None = None,
) -> str:
    """Record that a run of ``kind`` made a version of ``resource_code`` from ``inputs``.

    ``resource_code`` may also be a table name (its table resource). ``inputs`` are
    ``(kind, ref)`` pairs or dicts ``{"kind", "ref", **detail}`` with kind one of
    :data:`INPUT_KINDS`: a file by SHA-256, a device by MN, a resource by code, a job by id, a
    run by id. Returns the run id (a new one unless given; recording the same id again
    replaces that run).
    """
    if not kind or len(kind) > 64:
        raise QueryError("kind", "must be 1..64 characters")
    code = resolve(con, resource_code)
    parsed = [_input(i) for i in inputs]
    rid = run_id or uuid.uuid4().hex
    now = datetime.now(UTC)
    with transaction(con):
        _write(con, rid, code, kind, actor, params, started_at or now, now, False, parsed)
    return rid


def _write(
    con: duckdb.DuckDBPyConnection,
    rid: str,
    code: str,
    kind: str,
    actor: str | None,
    params: Mapping[str, Any] | None,
    started: datetime | None,
    now: datetime,
    derived: bool,
    inputs: list[tuple[str, str, dict[str, Any]]],
) -> None:
    con.execute("DELETE FROM catalog_run_input WHERE run_id = ?", [rid])
    con.execute(
        "INSERT OR REPLACE INTO catalog_run VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
        [
            rid,
            code,
            kind,
            actor,
            json.dumps(dict(params or {}), default=json_default, ensure_ascii=False),
            started,
            now,
            derived,
        ],
    )
    resources.insert_rows(con, "catalog_run_input", input_rows(rid, inputs))


def _code_of(con: duckdb.DuckDBPyConnection, table: str) -> str | None:
    rows = con.execute(
        "SELECT code FROM catalog_resource WHERE table_name = ? AND kind = 'table' "
        f"AND {resources.CURRENT} ORDER BY code",
        [table],
    ).fetchall()
    return str(rows[0][0]) if rows else None


#: HJ 212 tables whose rows come from devices (ecohub.catalog.produce.DEVICE_UPSERT).
DEVICE_TABLES = ("emission", "hj212_message", "packet_log")


def _derived_runs(con: duckdb.DuckDBPyConnection) -> list[tuple[Any, ...]]:
    """Runs read back from what producers keep in bulk rather than run by run: the devices the
    HJ 212 writer counted per table (``catalog_device``), the registered monitoring points, and
    the data products (made from the table they select from)."""
    out: list[tuple[Any, ...]] = []  # (run_id, code, kind, params, started, inputs)
    points = dict(con.execute("SELECT mn, source_code FROM monitor_point").fetchall())
    every: dict[str, dict[str, Any]] = {}
    for table in DEVICE_TABLES:
        code = _code_of(con, table)
        rows = con.execute(
            "SELECT mn, first_seen, last_seen, packets FROM catalog_device WHERE table_name = ? "
            "ORDER BY mn",
            [table],
        ).fetchall()
        devices = []
        for mn, first, last, n in rows:
            detail = {"first": first, "last": last, "packets": n, "source_code": points.get(mn)}
            devices.append(("device", mn, detail))
            every.setdefault(mn, {"source_code": points.get(mn)})
        if code and devices:
            started = min(r[1] for r in rows)
            out.append((f"hj212:{table}", code, "hj212-ingest", {}, started, devices))
    # A monitoring point is registered by the registry or first heard from by the server.
    code = _code_of(con, "monitor_point")
    devices = [("device", mn, d) for mn, d in sorted(every.items())]
    if code and devices:
        out.append(("hj212:monitor_point", code, "hj212-ingest", {}, None, devices))
    for code, table, where in con.execute(
        "SELECT code, table_name, row_filter FROM catalog_resource WHERE kind = 'product'"
    ).fetchall():
        parent = _code_of(con, table)
        if parent:
            inputs: list[tuple[str, str, dict[str, Any]]] = [("resource", parent, {})]
            out.append((f"product:{code}", code, "select", {"filter": where}, None, inputs))
    return out


def derive(con: duckdb.DuckDBPyConnection) -> int:
    """Replace the derived runs with what the store records now; return how many there are."""
    runs = _derived_runs(con)
    now = datetime.now(UTC)
    run_rows: list[list[Any]] = []
    inputs: list[list[Any]] = []
    for rid, code, kind, params, started, ins in runs:
        params_text = json.dumps(dict(params or {}), default=json_default, ensure_ascii=False)
        run_rows.append([rid, code, kind, "system", params_text, started, now, True])
        inputs.extend(input_rows(rid, ins))
    derived: tuple[str, list[Any]] = (
        "run_id IN (SELECT run_id FROM catalog_run WHERE derived)",
        [],
    )
    # In place (catalog._db.replace_rows): the derived run ids are the same each time, and a
    # delete and insert of a key conflicts with any older open transaction.
    with transaction(con):
        replace_rows(con, "catalog_run_input", _INPUT_COLUMNS, _INPUT_COLUMNS[:3], inputs,
                     scope=derived)  # fmt: skip
        replace_rows(con, "catalog_run", _RUN_COLUMNS, ["run_id"], run_rows, scope=("derived", []))
    return len(runs)


_RUN_COLUMNS = ("run_id", "resource_code", "kind", "actor", "params", "started_at", "recorded_at",
                "derived")  # fmt: skip
_INPUT_COLUMNS = ("run_id", "input_kind", "input_ref", "detail")


def _live(con: duckdb.DuckDBPyConnection) -> dict[str, list[dict[str, Any]]]:
    """The derived runs as of now, by resource code, computed in memory (a read never writes:
    rewriting the stored derived runs from concurrent readers would conflict in DuckDB)."""
    out: dict[str, list[dict[str, Any]]] = {}
    for rid, code, kind, params, started, ins in _derived_runs(con):
        inputs = [
            {"kind": k, "ref": ref, **json.loads(json.dumps(d, default=json_default))}
            for k, ref, d in sorted(ins, key=lambda i: (i[0], i[1]))
        ]
        out.setdefault(code, []).append(
            {"run_id": rid, "kind": kind, "actor": "system", "params": params,
             "started_at": iso(started), "recorded_at": None, "derived": True,
             "inputs": inputs}
        )  # fmt: skip
    return out


def _runs(con: duckdb.DuckDBPyConnection, code: str) -> list[dict[str, Any]]:
    out = []
    for rid, kind, actor, params, started, recorded, derived in con.execute(
        "SELECT run_id, kind, actor, params, started_at, recorded_at, derived FROM catalog_run "
        "WHERE resource_code = ? AND NOT derived ORDER BY started_at NULLS LAST, run_id",
        [code],
    ).fetchall():
        inputs = [
            {"kind": k, "ref": ref, **(json.loads(d) if d else {})}
            for k, ref, d in con.execute(
                "SELECT input_kind, input_ref, detail FROM catalog_run_input WHERE run_id = ? "
                "ORDER BY input_kind, input_ref",
                [rid],
            ).fetchall()
        ]
        out.append(
            {
                "run_id": rid,
                "kind": kind,
                "actor": actor,
                "params": json.loads(params) if params else {},
                "started_at": iso(started),
                "recorded_at": iso(recorded),
                "derived": derived,
                "inputs": inputs,
            }
        )
    return out


def walk(con: duckdb.DuckDBPyConnection, resource: str) -> dict[str, Any]:
    """The lineage tree of ``resource`` (code or table) back to files and devices.

    ``{"code", "name_zh", "runs": [{..., "inputs": [...]}], "files": [...], "devices": [...]}``;
    a resource input carries its own ``lineage`` subtree (each resource expanded once).
    """
    code = resolve(con, resource)
    live = _live(con)  # the devices counted by the HJ 212 writer up to now, the products
    files: dict[str, dict[str, Any]] = {}
    devices: dict[str, dict[str, Any]] = {}
    seen: set[str] = set()

    def node(c: str, depth: int) -> dict[str, Any]:
        res = resources.get(con, c) or {}
        out: dict[str, Any] = {
            "code": c,
            "name_zh": res.get("name_zh"),
            "table": res.get("table_name"),
        }
        if c in seen or depth > MAX_DEPTH:
            out["expanded_above"] = True
            return out
        seen.add(c)
        runs = live.get(c, []) + _runs(con, c)
        for run in runs:
            for i in run["inputs"]:
                if i["kind"] == "file":
                    files.setdefault(i["ref"], {"sha256": i["ref"], "path": i.get("path")})
                elif i["kind"] == "device":
                    devices.setdefault(
                        i["ref"], {"mn": i["ref"], "source_code": i.get("source_code")}
                    )
                elif i["kind"] == "resource":
                    i["lineage"] = node(i["ref"], depth + 1)
        out["runs"] = runs
        return out

    tree = node(code, 0)
    tree["files"] = sorted(files.values(), key=lambda f: f["sha256"])
    tree["devices"] = sorted(devices.values(), key=lambda d: d["mn"])
    return tree
