# ruff: noqa: E501  (the report templates are Markdown lines)
"""API under load: authenticated clients on loopback while HJ 212 packets keep arriving.

Two measurements, both written into docs/benchmarks.md:

``queries`` (default): a generated national store (stations in counties of every province,
hourly observations of six pollutants, daily AQI rows), made with SQL straight in DuckDB. First
the baseline: the same service calls straight on DuckDB, ``--clients`` threads, no HTTP. Then
``ecohub up`` on the store, an HJ 212 simulator at ``--hj212-rate`` packets/s and ``--clients``
concurrent API clients (analysts of one province or prefecture each, API keys) sending a mix of
region-filtered observation pages and daily-AQI queries for ``--duration`` seconds, twice: closed
loop (each client waits for its answer, then sends again) and open loop (each client scheduled at
``--rate`` requests/s, latency counted from the scheduled send time, so queueing is not hidden).
The clients are bench/_load.py, a lean asyncio process, so they take little of the two cores.
Reported: p50/p99 latency, requests/s and the server's CPU per request, and the HJ 212 answer
latency during each run.

``job``: HJ 212 answer latency (p50/p99 of probe packets, one at a time) with the simulator
running, first alone, then while an ``air-compute`` job (full) runs on the server.

    python bench/api.py --rows 50000000          # the issue's size (long: generation + index)
    python bench/api.py --rows 5000000 --duration 20
    python bench/api.py --mode job
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import random
import signal
import subprocess
import sys
import tempfile
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

import httpx

sys.path.insert(0, str(Path(__file__).resolve().parent))
from _report import write_section
from ecohub.access import apikeys, users
from ecohub.access.principal import Principal
from ecohub.store.db import connect

PARAMS = [("a34004", 45.0, "µg/m³"), ("a34002", 75.0, "µg/m³"), ("a21026", 10.0, "µg/m³"),
          ("a21004", 30.0, "µg/m³"), ("a21005", 0.8, "mg/m³"), ("a05024", 90.0, "µg/m³")]  # fmt: skip
PASSWORD = "bench password 0123"


def pct(values: list[float], q: float) -> float:
    if not values:
        return float("nan")
    s = sorted(values)
    return s[min(len(s) - 1, int(q * len(s)))]


# ------------------------------------------------------------------ the store


def generate(db: Path, rows: int, stations: int) -> dict[str, Any]:
    """Stations in ``stations`` counties spread over every province; hourly values of six
    pollutants, enough hours for ``rows``; one daily AQI row per station and day."""
    from ecohub.standards import divisions

    counties = sorted(c for c, r in divisions._rows().items()
                      if r["kind"] == "division" and r["level"] == "county")  # fmt: skip
    step = max(1, len(counties) // stations)
    picked = counties[::step][:stations]
    hours = max(24, -(-rows // (len(picked) * len(PARAMS))))
    con = connect(db)
    t0 = time.perf_counter()
    con.execute("CREATE TEMP TABLE c (code VARCHAR)")
    con.executemany("INSERT INTO c VALUES (?)", [[c] for c in picked])
    con.execute(
        "INSERT INTO station (station_id, name, network, region_code) "
        "SELECT 'S' || code, 'station ' || code, 'air', code FROM c"
    )
    values = ", ".join(f"('{c}', {b}, '{u}')" for c, b, u in PARAMS)
    days = -(-hours // 24)
    # Rows in key order (station, parameter, time), a block of stations at a time: a station's
    # values lie together, so a station (or a region's contiguous ids) + time range reads few
    # row groups. Ingest appends in time order instead; see docs/benchmarks.md.
    ids = [r[0] for r in con.execute("SELECT station_id FROM station ORDER BY 1").fetchall()]
    for i in range(0, len(ids), 40):
        lo, hi = ids[i], ids[min(len(ids), i + 40) - 1]
        con.execute(
            f"""
            INSERT INTO observation (station_id, parameter, period, time, value, unit, flag, source)
            SELECT s.station_id, p.code, '1h',
                   TIMESTAMPTZ '2025-01-01 00:00:00+08' + to_hours(r.h),
                   round(p.base * (0.6 + 0.8 * ((hash(s.station_id, p.code, r.h) % 1000) / 1000.0)), 1),
                   p.unit, NULL, 'bench'
            FROM station s, (VALUES {values}) p(code, base, unit), range({hours}) r(h)
            WHERE s.station_id BETWEEN ? AND ?
            ORDER BY 1, 2, 4
            """,
            [lo, hi],
        )
    con.execute(
        f"""
        INSERT INTO air_daily (scope, code, date, edition, aqi, level, category, complete, published)
        SELECT 'station', s.station_id, DATE '2025-01-01' + r.d::INTEGER, 2012, a, CASE WHEN a <= 50 THEN 1
               WHEN a <= 100 THEN 2 WHEN a <= 150 THEN 3 ELSE 4 END, NULL, TRUE, a::VARCHAR
        FROM station s, range({days}) r(d),
             LATERAL (SELECT 20 + hash(s.station_id, r.d) % 180 AS a)
        ORDER BY 2, 3
        """
    )
    # The results are as `air compute` would leave them (nothing stale).
    con.execute("INSERT OR REPLACE INTO air_state VALUES ('edition', 'auto')")
    con.execute("CHECKPOINT")
    n = con.execute("SELECT count(*) FROM observation").fetchone()[0]  # type: ignore[index]
    con.close()
    return {"stations": len(picked), "hours": hours, "days": days, "observations": n,
            "seconds": time.perf_counter() - t0}  # fmt: skip


def analysts(db: Path, n: int) -> list[tuple[str, str]]:
    """``n`` analysts bound to provinces and prefectures that have stations; (region, key)."""
    con = connect(db)
    regions = [r[0] for r in con.execute(
        "SELECT DISTINCT left(region_code, 2) || '0000' FROM station UNION "
        "SELECT DISTINCT left(region_code, 4) || '00' FROM station ORDER BY 1").fetchall()]  # fmt: skip
    from ecohub.standards import divisions

    regions = [r for r in regions if divisions.is_valid(r)]
    rng = random.Random(7)
    out = []
    for i in range(n):
        region = rng.choice(regions)
        name = f"bench{i:03d}"
        if users.get_user(con, name) is None:
            users.add_user(con, name, "analyst", region, [], PASSWORD)
        out.append((region, apikeys.create(con, name)[0]))
    con.close()
    return out


def queries(region: str, days: int, rng: random.Random) -> tuple[str, dict[str, Any]]:
    """One request of the mix: a region-filtered observation page or a daily-AQI range."""
    d0 = rng.randrange(0, max(1, days - 7))
    start = f"2025-{1 + d0 // 28 % 12:02d}-{1 + d0 % 28:02d}"
    if rng.random() < 0.5:
        return "/api/v1/observations", {"region": region, "parameter": "a34004",
                                        "from": start, "limit": 100}  # fmt: skip
    end = f"2025-{1 + d0 // 28 % 12:02d}-{min(28, 1 + d0 % 28 + 6):02d}"
    return "/api/v1/air/aqi/daily", {"region": region, "from": start, "to": end, "limit": 500}


def call_direct(con: Any, p: Principal, path: str, params: dict[str, Any]) -> int:
    """The same service call a route makes, without HTTP."""
    from ecohub.queries import air, stations

    if path.endswith("observations"):
        t, _ = stations.observations(
            con, p, region=params["region"], parameter=params["parameter"],
            start=params["from"], limit=params["limit"],
        )  # fmt: skip
        return int(t.num_rows)
    t, _ = air.aqi(con, p, kind="daily", region=params["region"], start=params["from"],
                   end=params["to"], limit=params["limit"])  # fmt: skip
    return int(t.num_rows)


def baseline(db: Path, who: list[tuple[str, str]], days: int, duration: float) -> dict[str, Any]:
    from ecohub.settings import Settings

    con = connect(db)
    threads = Settings().db_threads  # as the server runs (runtime.tune_serving)
    if threads:
        con.execute(f"SET threads = {threads}")
    lat: list[float] = []
    lock = threading.Lock()
    stop = time.monotonic() + duration

    def worker(i: int) -> None:
        cur = con.cursor()
        rng = random.Random(i)
        p = Principal(f"bench{i:03d}", "analyst", who[i][0])
        while time.monotonic() < stop:
            path, params = queries(who[i][0], days, rng)
            t = time.perf_counter()
            call_direct(cur, p, path, params)
            with lock:
                lat.append(time.perf_counter() - t)
        cur.close()

    t0 = time.monotonic()
    with ThreadPoolExecutor(len(who)) as pool:
        list(pool.map(worker, range(len(who))))
    took = time.monotonic() - t0
    con.close()
    return {"n": len(lat), "rps": len(lat) / took, "p50": pct(lat, 0.5), "p99": pct(lat, 0.99),
            "threads": threads or "default"}  # fmt: skip


# ------------------------------------------------------------------ the platform


def _up(
    data: Path, env: dict[str, str], role: str, wait_s: float
) -> tuple[subprocess.Popen[str], dict[str, Any]]:
    """``ecohub up`` (``role``: all or ingest) on loopback with ports the OS picks, waited for
    until it writes its ``server.json``; the process and that state."""
    env = {**os.environ, "ECOHUB_DATA_DIR": str(data), "ECOHUB_HJ212_HOST": "127.0.0.1",
           "ECOHUB_HJ212_REJECT_UNKNOWN_MN": "false", **env}  # fmt: skip
    extra = ["--no-sample"] if role == "all" else ["--role", role]
    proc = subprocess.Popen(
        [sys.executable, "-m", "ecohub.cli.main", "up", *extra, "--hj212-port", "0",
         "--http-port", "0"],
        env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True,
    )  # fmt: skip
    state = data / "server.json"
    deadline = time.monotonic() + wait_s
    while not state.exists():
        if proc.poll() is not None:
            raise RuntimeError(proc.stderr.read() if proc.stderr else f"ecohub up ({role}) failed")
        if time.monotonic() > deadline:
            raise RuntimeError(f"ecohub up ({role}) did not start")
        time.sleep(0.2)
    time.sleep(0.3)
    return proc, json.loads(state.read_text())


def start_platform(data: Path, db: Path) -> tuple[subprocess.Popen[str], str, int, str]:
    proc, s = _up(data, {"ECOHUB_DB_PATH": str(db)}, "all", 300)
    cred = (data / "local.credential").read_text().strip()
    return proc, s["http"], int(s["hj212"][1]), cred


def start_ingest_node(data: Path, lake: Path) -> tuple[subprocess.Popen[str], int]:
    """``ecohub up --role ingest`` in its own data folder, writing the platform's lake: the
    ministry deployment, where HJ 212 has a process (and a GIL) of its own."""
    data.mkdir(parents=True, exist_ok=True)
    env = {"ECOHUB_LAKE": str(lake), "ECOHUB_NODE_ID": "bench-ingest-1"}
    proc, s = _up(data, env, "ingest", 120)
    return proc, int(s["hj212"][1])


def start_simulator(port: int, rate: float, duration: float) -> subprocess.Popen[str]:
    """Simulated outlets at ``rate`` packets/s in all (200 units), at nice 10 like the loggers
    they stand in for."""
    units = 200
    return subprocess.Popen(
        ["nice", "-n", "10", sys.executable, "-m", "ecohub.cli.main", "hj212", "simulate",
         "--port", str(port), "--devices", str(units), "--rate", str(rate / units),
         "--duration", str(duration)],
        stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
    )  # fmt: skip


async def probe(port: int, seconds: float, out: list[float]) -> None:
    """One probe unit: a packet, wait for its answer, again; answer latencies into ``out``."""
    from ecohub.ingest.simulator import demo_devices, packets

    dev = demo_devices(1, prefix="PRB")[0]
    reader, writer = await asyncio.open_connection("127.0.0.1", port)
    gen = packets(dev, __import__("datetime").datetime(2025, 6, 1, tzinfo=__import__(
        "ecohub.cst", fromlist=["CST"]).CST), 1)  # fmt: skip
    end = time.monotonic() + seconds
    while time.monotonic() < end:
        frame, _, _ = next(gen)
        t = time.perf_counter()
        writer.write(frame)
        await writer.drain()
        try:
            await asyncio.wait_for(reader.readuntil(b"\r\n"), 5.0)
            out.append(time.perf_counter() - t)
        except (TimeoutError, asyncio.IncompleteReadError):
            out.append(5.0)
        await asyncio.sleep(0.05)
    writer.close()


def client_specs(
    who: list[tuple[str, str]], days: int, per_client: int = 400
) -> list[dict[str, Any]]:
    """Each client's requests (its analyst's key, the mix of :func:`queries`), for bench/_load.py."""
    from urllib.parse import urlencode

    specs = []
    for i, (region, key) in enumerate(who):
        rng = random.Random(i)
        paths = []
        for _ in range(per_client):
            path, params = queries(region, days, rng)
            paths.append(f"{path}?{urlencode(params)}")
        specs.append({"headers": {"Authorization": f"Bearer {key}"}, "paths": paths})
    return specs


def cpu_seconds(pid: int) -> float:
    """User + system CPU seconds of a process so far (Linux /proc): the server's CPU per
    request is comparable between runs even when the shared machine's load is not."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def api_load(url: str, specs: list[dict[str, Any]], duration: float, rate: float,
             server_pid: int) -> dict[str, Any]:  # fmt: skip
    """Run bench/_load.py (its own process, asyncio + raw HTTP/1.1 keep-alive) against the
    server: ``rate`` requests/s per client (open loop), or closed loop when ``rate`` is 0."""
    host, port = url.split("//", 1)[1].rsplit(":", 1)
    cfg = {"host": host, "port": int(port), "duration": duration, "rate": rate, "clients": specs}
    cpu0 = cpu_seconds(server_pid)
    out = subprocess.run(
        [sys.executable, str(Path(__file__).resolve().parent / "_load.py")],
        input=json.dumps(cfg), capture_output=True, text=True, check=True,
    )  # fmt: skip
    res = json.loads(out.stdout)
    lat = res["lat"]
    bad = sum(n for code, n in res["status"].items() if code != "200")
    return {"n": len(lat), "rps": len(lat) / res["wall"], "p50": pct(lat, 0.5),
            "unsent": res["unsent"],
            "p99": pct(lat, 0.99), "max": max(lat) if lat else float("nan"), "errors": bad,
            "status": res["status"], "client_cpu": res["cpu"],
            "server_cpu_ms": (cpu_seconds(server_pid) - cpu0) / max(1, len(lat)) * 1000}  # fmt: skip


def load_average() -> str:
    """``uptime``'s load averages (1, 5, 15 min): the machine is shared, so every figure is
    reported beside the load it was taken under."""
    return " / ".join(f"{x:.1f}" for x in os.getloadavg())


def run_queries(args: argparse.Namespace) -> None:
    load0 = load_average()
    base = Path(args.data_dir or tempfile.mkdtemp(prefix="ecohub-bench-api-"))
    db = base / "ecohub.duckdb"
    if not db.exists():
        print(f"generating {args.rows:,} observation rows ...", flush=True)
        gen = generate(db, args.rows, args.stations)
    else:
        con = connect(db, read_only=True)
        n = con.execute("SELECT count(*) FROM observation").fetchone()[0]  # type: ignore[index]
        st = con.execute("SELECT count(*) FROM station").fetchone()[0]  # type: ignore[index]
        days = con.execute("SELECT count(DISTINCT date) FROM air_daily").fetchone()[0]  # type: ignore[index]
        con.close()
        gen = {"stations": st, "observations": n, "days": days, "hours": days * 24, "seconds": 0}
    print(gen, flush=True)
    who = analysts(db, args.clients)
    print("baseline (service calls straight on DuckDB) ...", flush=True)
    base_res: dict[str, Any] = (
        {"n": 0, "rps": float("nan"), "p50": float("nan"), "p99": float("nan"), "threads": "-"}
        if args.no_baseline
        else baseline(db, who, gen["days"], args.duration)
    )
    print(base_res, flush=True)
    proc, url, port, _ = start_platform(base, db)
    node: subprocess.Popen[str] | None = None
    ingest_pid = proc.pid
    if args.ingest_node:
        node, port = start_ingest_node(Path(tempfile.mkdtemp(prefix="ecohub-bench-node-")),
                                       base / "lake")  # fmt: skip
        ingest_pid = node.pid
    specs = client_specs(who, gen["days"])
    runs: dict[str, dict[str, Any]] = {}
    hj: dict[str, list[float]] = {}
    sim_lines: list[str] = []
    try:
        # Warm-up (first touches of the store's blocks), not counted.
        api_load(url, specs, 3, 0, proc.pid)
        for name, rate in (("closed", 0.0), ("open", args.rate)):
            sim = start_simulator(port, args.hj212_rate, args.duration + 15)
            time.sleep(3)
            # The server's CPU for HJ 212 ingest alone (no API requests), to tell it apart.
            c0 = cpu_seconds(ingest_pid)
            time.sleep(3)
            ingest_cpu = (cpu_seconds(ingest_pid) - c0) / 3
            probes: list[float] = []

            async def both(rate: float = rate, probes: list[float] = probes) -> dict[str, Any]:
                res, _ = await asyncio.gather(
                    asyncio.to_thread(api_load, url, specs, args.duration, rate, proc.pid),
                    probe(port, args.duration, probes),
                )
                return res

            runs[name] = asyncio.run(both())
            runs[name]["ingest_cpu"] = ingest_cpu
            hj[name] = probes
            try:  # it stops by itself a few seconds after the run, with its summary line
                sim_out, _ = sim.communicate(timeout=120)
            except subprocess.TimeoutExpired:
                sim.kill()
                sim_out, _ = sim.communicate()
            lines = sim_out.strip().splitlines()
            sim_lines.append(lines[-2] if len(lines) > 1 else "-")
            print(name, runs[name] | {"status": runs[name]["status"]},
                  {"hj_p50": pct(probes, 0.5), "hj_p99": pct(probes, 0.99)}, flush=True)  # fmt: skip
    finally:
        if node is not None:
            node.send_signal(signal.SIGTERM)
            node.communicate(timeout=300)
        proc.send_signal(signal.SIGTERM)
        _, err = proc.communicate(timeout=300)
        (base / "server.err").write_text(err or "", encoding="utf-8")

    def row(label: str, r: dict[str, Any]) -> str:
        return (f"| {label} | {r['n']:,} | {r['rps']:,.0f} | {r['p50'] * 1000:.1f} | "
                f"{r['p99'] * 1000:.1f} | {r['errors']} | {r['unsent']} | {r['server_cpu_ms']:.1f} |")  # fmt: skip

    def hj_text(name: str) -> str:
        v = hj[name]
        return (f"p50 {pct(v, 0.5) * 1000:.1f} ms, p99 {pct(v, 0.99) * 1000:.1f} ms, "
                f"max {max(v) * 1000 if v else float('nan'):.0f} ms ({len(v)} probe packets)")  # fmt: skip

    offered = args.rate * args.clients
    where = ("on its own ingest node (`ecohub up --role ingest`, its own process and store, "
             "writing the same lake)" if args.ingest_node else "in the `ecohub up` process")  # fmt: skip
    cpu_of = ("HJ 212 ingest (the ingest node's process) alone"
              if args.ingest_node else "HJ 212 ingest alone")  # fmt: skip
    body = f"""`python bench/api.py --rows {args.rows} --clients {args.clients} --duration {args.duration:g} --hj212-rate {args.hj212_rate:g} --rate {args.rate:g}{" --ingest-node" if args.ingest_node else ""}`

Store: {gen["observations"]:,} hourly observations ({gen["stations"]:,} stations in counties of every
province, six pollutants, {gen["hours"]:,} hours), and {gen["stations"] * gen["days"]:,} daily AQI rows.
{args.clients} analysts, each bound to one province or prefecture, API keys. The mix: half observation
pages (`region`, PM2.5, from a day, 100 rows), half daily-AQI ranges (`region`, 7 days, up to 500 rows).
During each API run the HJ 212 simulator offered {args.hj212_rate:g} packets/s (200 units, nice 10) to the
listener {where}, and a probe unit sent one packet at a time and timed each answer. Clients: bench/_load.py, one asyncio process,
one keep-alive HTTP/1.1 connection per client. *Closed loop*: each client sends its next request when the
last is answered. *Open loop*: each client is scheduled at {args.rate:g} requests/s ({offered:,.0f}/s offered in
all) and latency counts from the scheduled send time, so time queued behind a slow answer is counted.
Server CPU is the `ecohub up` process's CPU seconds (HTTP, DuckDB{"" if args.ingest_node else ", HJ 212 ingest"}) per API request;
{cpu_of} took {runs["closed"]["ingest_cpu"]:.2f} / {runs["open"]["ingest_cpu"]:.2f} CPU s per s before the closed / open run.
"Not sent": open-loop requests a client had still to send 5 s after the run's end (it had fallen behind).

| | requests | requests/s | p50 ms | p99 ms | non-200 | not sent | server CPU ms / request |
|---|---|---|---|---|---|---|---|
| baseline: the same service calls straight on DuckDB ({args.clients} threads, DuckDB threads {base_res["threads"]}) | {base_res["n"]:,} | {base_res["rps"]:,.0f} | {base_res["p50"] * 1000:.1f} | {base_res["p99"] * 1000:.1f} | - | - | - |
{row(f"API over HTTP, {args.clients} clients, closed loop, during HJ 212 ingest", runs["closed"])}
{row(f"API over HTTP, {args.clients} clients x {args.rate:g}/s open loop, during HJ 212 ingest", runs["open"])}

HJ 212 answer latency meanwhile: closed loop {hj_text("closed")}; open loop {hj_text("open")}.
Simulator (units, sent, answered, unanswered, connect errors, answered/s): closed {sim_lines[0]}; open {sim_lines[1]}.
Load generator CPU: {runs["closed"]["client_cpu"]:.1f} s (closed), {runs["open"]["client_cpu"]:.1f} s (open) over {args.duration:g} s each.

Taken under load: load average (1 / 5 / 15 min) {load0} at the start, {load_average()} at the end (a
2-core machine shared with other work).
"""
    title = "API under load (bench/api.py)"
    if args.no_baseline:  # a run without its baseline is printed, never written as a report
        print(body)
        return
    write_section(title + (", HJ 212 on its own ingest node" if args.ingest_node else ""), body)


def run_job(args: argparse.Namespace) -> None:
    """HJ 212 answer latency without and with an air-compute job on the server."""
    load0 = load_average()
    base = Path(args.data_dir or tempfile.mkdtemp(prefix="ecohub-bench-job-"))
    db = base / "ecohub.duckdb"
    con = connect(db)
    from ecohub.sample import load_sample

    print("loading the sample (if not there yet) ...", flush=True)
    load_sample(con)
    con.close()
    proc, url, port, cred = start_platform(base, db)
    res: dict[str, list[float]] = {"idle": [], "job": []}
    try:
        sim = start_simulator(port, args.hj212_rate, 2 * args.duration + 60)
        time.sleep(3)
        asyncio.run(probe(port, args.duration, res["idle"]))
        client = httpx.Client(base_url=url, headers={"Authorization": f"Bearer {cred}"},
                              timeout=60)  # fmt: skip
        job = client.post("/api/v1/jobs", json={"kind": "air-compute",
                                                "params": {"full": True}}).json()  # fmt: skip
        t0 = time.monotonic()
        asyncio.run(probe(port, args.duration, res["job"]))
        state = client.get(f"/api/v1/jobs/{job['id']}").json()
        still = state["state"] == "running"
        sim.send_signal(signal.SIGINT)
        try:
            sim.communicate(timeout=60)
        except subprocess.TimeoutExpired:  # a loaded machine: the numbers are taken already
            sim.kill()
            sim.communicate()
    finally:
        proc.send_signal(signal.SIGTERM)
        proc.communicate(timeout=600)
    rows = "\n".join(
        f"| {k} | {len(v)} | {pct(v, 0.5) * 1000:.1f} | {pct(v, 0.99) * 1000:.1f} | "
        f"{max(v) * 1000:.0f} |"
        for k, v in (("simulator only", res["idle"]), ("simulator + air-compute job", res["job"]))
    )
    body = f"""`python bench/api.py --mode job --duration {args.duration:g} --hj212-rate {args.hj212_rate:g}`

The bundled sample (2.45 M observations) in the store; `ecohub up`; the HJ 212 simulator at
{args.hj212_rate:g} packets/s (200 units, nice 10); a probe unit sends one packet at a time and times
its answer, {args.duration:g} s without a job, then {args.duration:g} s while an `air-compute` job
(`full`: the whole sample) runs in the server's job thread (job still running at the end of the
second window: {still}; {time.monotonic() - t0:.0f} s after it started).

| | probe packets | p50 ms | p99 ms | max ms |
|---|---|---|---|---|
{rows}

Taken under load: load average (1 / 5 / 15 min) {load0} at the start, {load_average()} at the end (a
2-core machine shared with other work). Job settings: `job_nice` 10, `job_threads` 1 (the defaults).
"""
    write_section("HJ 212 answer latency while a job runs (bench/api.py --mode job)", body)
    print(body)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawTextHelpFormatter)
    ap.add_argument("--mode", choices=["queries", "job"], default="queries")
    ap.add_argument("--rows", type=int, default=50_000_000)
    ap.add_argument("--stations", type=int, default=1700)
    ap.add_argument("--clients", type=int, default=50)
    ap.add_argument("--duration", type=float, default=30.0)
    ap.add_argument("--hj212-rate", type=float, default=2000.0)
    ap.add_argument("--rate", type=float, default=10.0,
                    help="open loop: requests/s per client (50 x 10 = the issue's 500/s)")  # fmt: skip
    ap.add_argument(
        "--no-baseline",
        action="store_true",
        help="skip the straight-on-DuckDB run (the report is printed, not written)",
    )
    ap.add_argument("--data-dir", default=None, help="reuse a generated store")
    ap.add_argument("--ingest-node", action="store_true",
                    help="HJ 212 on its own `ecohub up --role ingest` process (same lake)")  # fmt: skip
    args = ap.parse_args()
    from argon2 import PasswordHasher

    # Benchmark users log in with API keys; their password hashes need not cost 0.1 s each.
    users.HASHER = PasswordHasher(time_cost=1, memory_cost=1024, parallelism=1)
    (run_job if args.mode == "job" else run_queries)(args)


if __name__ == "__main__":
    main()
