"""OGC API - Features: items page latency at 20 concurrent clients on loopback.

    PYTHONPATH=src python bench/ogc.py [--sources 1000000] [--clients 20] [--duration 10]
        [--warmup 2] [--store DIR] [--no-baseline] [--no-write]

A fresh store (or ``--store DIR``'s, built there once and reused) gets the real boundaries, the
sample's stations and ``--sources`` registry sources at points drawn uniformly inside China's
border (counties assigned with the real boundaries). A real server (uvicorn, one process, as
``ecohub up`` serves) runs in a child process; the clients are bench/_load.py, a lean asyncio
load generator in its own process (so client CPU and a client-side GIL are not in the
latencies): 20 keep-alive connections in closed loop per scenario, ``--warmup`` seconds
unmeasured, then ``--duration`` seconds measured.
Target: items page p99 <= 100 ms. Baseline, in the same run: the very SQL of each page
(:func:`ecohub.geo.ogc.pages.page_query`) straight on DuckDB, alone and from 20 threads, so
the HTTP + JSON share is visible. The server holds the store's lock, so the baseline runs
after it stops.
"""

from __future__ import annotations

import argparse
import os
import socket
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import shapely

sys.path.insert(0, str(Path(__file__).resolve().parent))
from _report import write_section
from ecohub.access.principal import ANONYMOUS, Principal
from ecohub.geo.ogc.pages import page_query
from ecohub.geo.spatial import load_spatial
from ecohub.geo.storage import hkey_sql
from ecohub.store.db import connect

DRAWN = "POLYGON((114 36,119.5 36.5,120 40.5,115.5 41.5,113.5 39,114 36))"
FILTER = f"industry IN ('4411', '3011') AND S_INTERSECTS(geometry, {DRAWN})"
ADMIN = Principal("u_admin", "admin", None, via="apikey")
ANALYST = Principal("u_analyst", "analyst", "110105", via="apikey")
#: (name, collection, who, params)
SCENARIOS: list[tuple[str, str, str, dict[str, str]]] = [
    ("stations, first page (open data)", "stations", "anonymous", {"limit": "100"}),
    ("sources, bbox Beijing-Tianjin, 100 per page", "sources", "admin",
     {"limit": "100", "bbox": "115.4,38.5,118.0,41.0"}),
    ("sources, CQL2 industry IN + S_INTERSECTS polygon", "sources", "admin",
     {"limit": "100", "filter": FILTER}),
    ("sources, district analyst's scope (110105)", "sources", "analyst", {"limit": "100"}),
    ("sources, 50th page (offset 4900)", "sources", "admin", {"limit": "100", "offset": "4900"}),
    ("sources, 50th page by its next link (after = 4900th id and its place)", "sources", "admin",
     {"limit": "100", "offset": "4900", "after": "<4900>"}),
    ("regions, bbox Beijing, 10 county boundaries", "regions", "admin",
     {"limit": "10", "bbox": "116.0,39.6,116.8,40.2"}),
]  # fmt: skip
INDUSTRIES = ["4411", "3011", "2511", "3110", "2614", "1713", "3311", "4420", "2710", "3041"]


def points_in_china(n: int, seed: int = 20261125) -> tuple[np.ndarray, np.ndarray]:
    from ecohub.geo import boundaries

    border = boundaries.national_border()
    rng = np.random.default_rng(seed)
    x0, y0, x1, y1 = border.bounds
    xs, ys, have = [], [], 0
    while have < n:
        x, y = rng.uniform(x0, x1, n), rng.uniform(y0, y1, n)
        keep = shapely.contains_xy(border, x, y)
        xs.append(x[keep])
        ys.append(y[keep])
        have += int(keep.sum())
    return np.concatenate(xs)[:n], np.concatenate(ys)[:n]


def build(path: Path, n: int, hilbert: bool = False) -> dict[str, str]:
    from importlib import resources

    from argon2 import PasswordHasher

    from ecohub.access import apikeys, users
    from ecohub.geo import assign_counties, ensure_regions
    from ecohub.ingest.stations import load_stations

    con = connect(path)
    ensure_regions(con)
    data = resources.files("ecohub.sample").joinpath("data").joinpath("stations.csv")
    with resources.as_file(data) as csv:
        load_stations(con, csv, network="air", source="sample", write_rejects=False)
    lon, lat = points_in_china(n)
    # A few thousand inside Chaoyang, so the district analyst has a full page.
    rng = np.random.default_rng(7)
    lon[: n // 200] = rng.uniform(116.45, 116.6, n // 200)
    lat[: n // 200] = rng.uniform(39.85, 40.0, n // 200)
    region = assign_counties(con, lon, lat)
    seq = np.arange(n)
    # Codes as the registry issues them without a USCC: H9 + county + sequence (a USCC holds
    # the county at the same place), so codes of one county sort together.
    frame = pd.DataFrame({
        "source_code": [f"H9{r or '990000'}{i:010d}{1 + i % 999:03d}P"
                        for r, i in zip(region, seq, strict=True)],
        "name": [f"企业{i}" for i in seq],
        "region_code": region,
        "industry": np.array(INDUSTRIES)[seq % len(INDUSTRIES)],
        "lon": lon, "lat": lat,
    })  # fmt: skip
    con.register("frame", frame)
    # Stored as the registry stores them: along a Hilbert curve over China's box (the order
    # its link run inserts new sources in, and `ecohub geo reorder`'s); --code-order: the
    # old storage order, for comparison.
    if hilbert:
        load_spatial(con)
    if hilbert:
        con.execute(
            "INSERT INTO source (source_code, name, region_code, industry, lon, lat, hkey) "
            "SELECT source_code, name, region_code, industry, lon, lat, hkey FROM "
            f"(SELECT *, {hkey_sql()} AS hkey FROM frame) ORDER BY hkey"
        )
    else:  # keys in insertion order (the column's default)
        con.execute(
            "INSERT INTO source (source_code, name, region_code, industry, lon, lat) "
            "SELECT source_code, name, region_code, industry, lon, lat FROM frame"
        )
    users.HASHER = PasswordHasher(time_cost=1, memory_cost=1024, parallelism=1)
    keys = {}
    for p in (ADMIN, ANALYST):
        users.add_user(con, p.name, p.role, p.region, [], "correct horse battery")
        keys[p.name.removeprefix("u_")] = apikeys.create(con, p.name)[0]
    con.execute("CHECKPOINT")
    con.close()
    return keys


def open_or_build(store: Path, n: int, hilbert: bool) -> dict[str, str]:
    """The store at ``store`` with its API keys (``keys.json`` beside it), built when missing
    (``--store`` reuses one between runs: building 1 M sources takes minutes)."""
    import json

    saved = store.parent / "keys.json"
    if store.exists() and saved.exists():
        keys: dict[str, str] = json.loads(saved.read_text())
        print(f"reusing {store}")
    else:
        t = time.perf_counter()
        keys = build(store, n, hilbert)
        saved.write_text(json.dumps(keys))
        print(f"store with {n:,} sources built in {time.perf_counter() - t:.1f} s")
    import duckdb

    # Read-write, to fold what the last runs left in the WAL into the file (a killed server's
    # audit entries): otherwise each server start replays it, and a run may pay the fold.
    con = duckdb.connect(str(store))
    con.execute("CHECKPOINT")
    row = con.execute(
        "SELECT source_code, hkey FROM source ORDER BY 1 LIMIT 1 OFFSET 4899"
    ).fetchone()
    con.close()
    # The 50th page as a next link names it (keyset: the 4900th id and its place).
    from ecohub.geo.ogc import keyset
    from ecohub.geo.ogc.collections import get

    for _, _, _, params in SCENARIOS:
        if params.get("after") == "<4900>":
            params["after"] = keyset.token(get("sources"), row[0], row[1]) if row else ""
    return keys


def serve(store: str, port: int) -> None:
    """Child process: the API over the store on 127.0.0.1:port, served as ``ecohub up`` serves
    it (uvloop, httptools, the same DuckDB and worker-thread settings: ``tune_serving``)."""
    import asyncio

    import uvicorn

    from ecohub.api.app import close_app, create_app
    from ecohub.process import tune_gc
    from ecohub.runtime import tune_serving
    from ecohub.settings import Settings

    con = connect(store)
    data = Path(store).parent
    settings = Settings(data_dir=data)
    # Audited as `ecohub up` audits (the sources pages are non-open reads, each one an entry).
    app = create_app(con, settings=settings, data_dir=data)

    async def main() -> None:
        tune_serving(con, settings)
        tune_gc()  # as `ecohub up` does once started: what start-up left alive is frozen
        config = uvicorn.Config(app, host="127.0.0.1", port=port, log_level="warning",
                                access_log=False, lifespan="off")  # fmt: skip
        await uvicorn.Server(config).serve()

    try:
        import uvloop
    except ImportError:
        asyncio.run(main())
    else:
        uvloop.run(main())
    # Stopped (SIGTERM) as `ecohub up` stops: audit entries committed, the WAL folded.
    close_app(app)
    con.execute("CHECKPOINT")
    con.close()


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _stats(lat: list[float], wall: float) -> dict[str, float]:
    a = np.array(lat) * 1000
    return {"p50": float(np.percentile(a, 50)), "p99": float(np.percentile(a, 99)),
            "max": float(a.max()), "rps": len(a) / wall}  # fmt: skip


def _concurrent(fn: Any, clients: int, per_client: int) -> dict[str, float]:
    lat: list[float] = []
    lock = threading.Lock()
    errors: list[str] = []

    def worker() -> None:
        state = fn()
        mine = []
        for _ in range(per_client):
            t = time.perf_counter()
            try:
                state()
            except Exception as exc:  # reported, and the run fails
                errors.append(repr(exc))
                return
            mine.append(time.perf_counter() - t)
        with lock:
            lat.extend(mine)

    threads = [threading.Thread(target=worker) for _ in range(clients)]
    t0 = time.perf_counter()
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    if errors:
        raise RuntimeError(errors[0])
    return _stats(lat, time.perf_counter() - t0)


def _cpu_s(pid: int) -> float:
    """User + system CPU seconds of a process so far (Linux /proc)."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def http_run(
    port: int, pid: int, keys: dict[str, str], clients: int, duration: float, warmup: float
) -> list[dict[str, Any]]:
    """Each scenario in closed loop from bench/_load.py (its own asyncio process, one
    keep-alive connection per client, no think time): ``warmup`` seconds first (not measured:
    the connections open and the server warms), then ``duration`` seconds measured. Any answer
    but 200, in the warm-up too, fails the run."""
    import json
    import urllib.request
    from urllib.parse import urlencode

    out = []
    for name, cid, who, params in SCENARIOS:
        headers = {"Authorization": f"Bearer {keys[who]}"} if who in keys else {}
        path = f"/ogc/collections/{cid}/items?{urlencode(params)}"
        req = urllib.request.Request(f"http://127.0.0.1:{port}{path}", headers=headers)
        with urllib.request.urlopen(req, timeout=60) as r:  # a 4xx/5xx raises here
            returned = json.loads(r.read())["numberReturned"]
        specs = [{"headers": headers, "paths": [path]} for _ in range(clients)]
        cfg = {"host": "127.0.0.1", "port": port, "duration": duration, "rate": 0,
               "warmup": warmup, "cpu_pid": pid, "clients": specs}  # fmt: skip
        run = subprocess.run(
            [sys.executable, str(Path(__file__).resolve().parent / "_load.py")],
            input=json.dumps(cfg), capture_output=True, text=True,
        )  # fmt: skip
        if run.returncode != 0:
            raise RuntimeError(f"{name}: the load generator failed: {run.stderr[-2000:]}")
        res = json.loads(run.stdout)
        bad = {k: v for st in (res["status"], res["warmup_status"]) for k, v in st.items()
               if k != "200"}  # fmt: skip
        if bad:
            raise RuntimeError(f"{name}: answers other than 200: {bad}")
        n = len(res["lat"])
        stats = _stats(res["lat"], res["wall"])
        cpu = res["pid_cpu"] / n * 1000
        out.append({"name": name, "returned": returned, "cpu_ms": cpu, "n": n, **stats})
        print(f"  HTTP {name}: {n} requests, p50 {stats['p50']:.1f} ms, p99 {stats['p99']:.1f} "
              f"ms, {stats['rps']:.0f}/s, server CPU {cpu:.2f} ms/req, load {_uptime()}",
              flush=True)  # fmt: skip
    return out


def _uptime() -> str:
    return " / ".join(f"{x:.2f}" for x in os.getloadavg())


def baseline_run(store: Path, clients: int, per: int) -> list[dict[str, Any]]:
    import duckdb

    con = duckdb.connect(str(store), read_only=True)
    load_spatial(con)
    out = []
    who = {"admin": ADMIN, "analyst": ANALYST, "anonymous": ANONYMOUS}
    for name, cid, w, params in SCENARIOS:
        q = page_query(who[w], cid, params)

        def cursor(q: Any = q) -> Any:
            cur = con.cursor()
            return lambda: q.fetch(cur, spatial_ready=True)  # loaded above, as the server does

        cursor()()
        alone = _concurrent(cursor, 1, per)
        many = _concurrent(cursor, clients, per)
        out.append({"name": name, "alone": alone, "many": many})
        print(f"  DuckDB {name}: p50 {alone['p50']:.1f} ms alone", flush=True)
    con.close()
    return out


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--sources", type=int, default=1_000_000)
    ap.add_argument("--clients", type=int, default=20)
    ap.add_argument("--requests", type=int, default=40, help="per client, DuckDB baseline")
    ap.add_argument("--duration", type=float, default=10.0, help="measured seconds per page")
    ap.add_argument("--warmup", type=float, default=2.0, help="unmeasured seconds before")
    ap.add_argument("--no-baseline", action="store_true", help="HTTP runs only")
    ap.add_argument("--serve", nargs=2, metavar=("STORE", "PORT"), help=argparse.SUPPRESS)
    ap.add_argument("--no-write", action="store_true", help="print only")
    ap.add_argument(
        "--store", type=Path, help="folder of a store to reuse (built there when missing)"
    )
    ap.add_argument(
        "--code-order", action="store_true", help="store sources in code order (the old way)"
    )
    args = ap.parse_args()
    if args.serve:
        serve(args.serve[0], int(args.serve[1]))
        return
    tmp = args.store or Path(tempfile.mkdtemp(prefix="ogc-bench-"))
    tmp.mkdir(parents=True, exist_ok=True)
    store = tmp / "store.duckdb"
    keys = open_or_build(store, args.sources, not args.code_order)
    port = _free_port()
    env = {**os.environ, "PYTHONPATH": os.environ.get("PYTHONPATH", "src")}
    child = subprocess.Popen([sys.executable, __file__, "--serve", str(store), str(port)], env=env)
    base = f"http://127.0.0.1:{port}"
    try:
        import httpx

        deadline = time.monotonic() + 60
        while True:
            try:
                if httpx.get(f"{base}/ogc", timeout=2).status_code == 200:
                    break
            except httpx.TransportError:
                pass
            if time.monotonic() > deadline or child.poll() is not None:
                raise RuntimeError("the server did not start")
            time.sleep(0.2)
        load = _uptime()
        http = http_run(port, child.pid, keys, args.clients, args.duration, args.warmup)
        load_end = _uptime()
    finally:
        child.terminate()
        child.wait(timeout=30)
    if args.no_baseline:
        for h in http:
            print(f"| {h['name']} | {h['n']} | {h['p50']:.1f} | {h['p99']:.1f} | {h['max']:.1f} "
                  f"| {h['rps']:.0f} | {h['cpu_ms']:.2f} |")  # fmt: skip
        return
    base_rows = baseline_run(store, args.clients, args.requests)
    report(args, http, base_rows, load, load_end)


def report(
    args: Any, http: list[dict[str, Any]], base: list[dict[str, Any]], load: str, load_end: str
) -> None:
    lines = [
        f"`bench/ogc.py{' --code-order' if args.code_order else ''}`: {args.sources:,} registry "
        "sources (uniform inside China's border, codes H9 + county + sequence, "
        f"{'stored in code order, ' if args.code_order else 'stored in Hilbert-curve order, '}"
        f"counties from the real boundaries), the sample's 12 stations, the real boundaries; "
        "one uvicorn process on loopback as `ecohub up` serves it (audited). Clients: "
        f"bench/_load.py (one asyncio process of its own, raw HTTP/1.1), {args.clients} "
        "keep-alive connections in closed loop (each sends its next request when the last is "
        f"answered, no think time); per page {args.warmup:g} s of warm-up that is not measured "
        f"(connections opened, first answers), then {args.duration:g} s measured. Server CPU "
        "per request: the server process's user + system CPU over the measured part / requests "
        f"answered. {os.cpu_count()} cores shared with other work: `uptime` load {load} at "
        f"the start, {load_end} at the end of the HTTP runs. Every answer (warm-up too) was "
        "200. Baseline: the same page's SQL (`page_query(...).fetch`: one statement for point "
        "collections, ids then rows for regions) straight on DuckDB, alone and from "
        f"{args.clients} threads, {args.requests} each. Times in ms. Target: items page p99 "
        "<= 100 ms.",
        "",
        "| page | features | requests | HTTP p50 | HTTP p99 | HTTP max | req/s "
        "| server CPU per req | DuckDB alone p50 | DuckDB alone p99 "
        f"| DuckDB x{args.clients} p99 |",
        "|---|---|---|---|---|---|---|---|---|---|---|",
    ]
    for h, b in zip(http, base, strict=True):
        lines.append(
            f"| {h['name']} | {h['returned']} | {h['n']:,} | {h['p50']:.1f} | {h['p99']:.1f} "
            f"| {h['max']:.1f} | {h['rps']:.0f} | {h['cpu_ms']:.2f} | {b['alone']['p50']:.1f} "
            f"| {b['alone']['p99']:.1f} | {b['many']['p99']:.1f} |"
        )
    text = "\n".join(lines)
    print(text)
    if not args.no_write:
        write_section("OGC API, sources in code order" if args.code_order else "OGC API", text)


if __name__ == "__main__":
    main()
