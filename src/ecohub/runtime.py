"""What ``ecohub up`` runs: the store, the HJ 212 listener, the HTTP endpoint, in one event loop.

Shutdown on SIGINT/SIGTERM: stop accepting devices, commit and answer what was received, stop
HTTP, checkpoint and close the store. Nothing is answered that was not stored.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
import os
import signal
import socket
import sys
from collections.abc import Callable, Generator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import uvicorn

from ecohub.access.local import remove_local_credential
from ecohub.api.app import close_app, create_app
from ecohub.ingest import devices as device_service
from ecohub.ingest.after_commit import AfterCommit
from ecohub.ingest.hj212_server import Hj212Server
from ecohub.ingest.simulator import SimDevice, demo_outlets, send_history, simulate
from ecohub.jobs.files import JobFiles
from ecohub.jobs.runner import JobRunner
from ecohub.process import raise_fd_limit, tune_gc
from ecohub.settings import Settings
from ecohub.store.db import apply_settings, connect, is_empty
from ecohub.store.folders import lake_location

log = logging.getLogger(__name__)


class _Http(uvicorn.Server):
    """Uvicorn without its own signal handling: the platform owns shutdown."""

    @contextlib.contextmanager
    def capture_signals(self) -> Generator[None, None, None]:
        yield


def _tls(settings: Settings) -> dict[str, Any]:
    """uvicorn's TLS options when both a certificate and a key are configured."""
    if settings.http_ssl_certfile is None or settings.http_ssl_keyfile is None:
        return {}
    return {"ssl_certfile": str(settings.http_ssl_certfile),
            "ssl_keyfile": str(settings.http_ssl_keyfile)}  # fmt: skip


def tune_serving(con: Any, settings: Settings) -> None:
    """DuckDB threads, the API's worker threads and the GIL switch interval for serving
    (``db_threads``, ``http_threads``, ``gil_switch_ms``; docs/benchmarks.md "API under load",
    "OGC API"). Call in the running event loop, after start-up work that wants every core
    (the sample load, regions)."""
    import anyio.to_thread

    if settings.db_threads:
        con.execute(f"SET threads = {int(settings.db_threads)}")
    anyio.to_thread.current_default_thread_limiter().total_tokens = settings.http_threads
    sys.setswitchinterval(settings.gil_switch_ms / 1000)


@dataclass
class Endpoints:
    hj212: tuple[str, int]
    http: tuple[str, int]
    tls: bool = False

    @property
    def http_url(self) -> str:
        host = self.http[0] if self.http[0] not in ("0.0.0.0", "::") else "127.0.0.1"
        return f"{'https' if self.tls else 'http'}://{host}:{self.http[1]}"


#: The simulated outlets' polluter: a provisional HJ 608 code (H9 + its district, for a unit with
#: no credit code) in Chaoyang, so a Chaoyang or Beijing inspector, analyst or enterprise user can
#: work its findings and alerts (with no region only an admin saw them).
DEMO_SOURCE = "H9110105000000099w001P"
DEMO_REGION = "110105"
DEMO_POINT = (116.486, 39.921)  # a plant in eastern Chaoyang (WGS84)
DEMO_PERMIT = "DEMO-PERMIT-0001"
DEMO_LIMIT_MG_M3 = 100.0  # hourly SO2 limit of the demo flue-gas outlets (our choice)


def register_demo_devices(con: Any, devs: list[SimDevice], data_dir: Path | None = None) -> None:
    """The demo's monitoring points: simulated stack and waste-water outlets of one demo
    source, registered; with ``data_dir``, also a demo permit with an hourly SO2 limit for each
    flue-gas outlet, loaded through the permits service (so the exceeding unit is judged)."""
    con.execute(
        "INSERT INTO source (source_code, name, region_code, lon, lat, status) "
        "VALUES (?, ?, ?, ?, ?, 'active') ON CONFLICT DO NOTHING",
        [DEMO_SOURCE, "示例企业 (simulated)", DEMO_REGION, *DEMO_POINT],
    )
    rows = []
    # A device an operator already gave to another source (a registry link) stays with it.
    owned = dict(
        con.execute(
            "SELECT mn, source_code FROM monitor_point "
            "WHERE source_code IS NOT NULL AND source_code <> ?",
            [DEMO_SOURCE],
        ).fetchall()
    )
    for i, dev in enumerate(devs):
        if dev.mn in owned:
            continue
        outlet = f"{'DA' if dev.medium == 'gas' else 'DW'}{i + 1:03d}"
        device_service.register_device(
            con, dev.mn, name=f"示例{'废气' if dev.medium == 'gas' else '废水'}排放口 {outlet}",
            source_code=DEMO_SOURCE, outlet_code=outlet, st=dev.st, pw=dev.pw, interval_s=60,
        )  # fmt: skip
        if dev.medium == "gas":
            rows.append(f"{DEMO_PERMIT},{DEMO_SOURCE},{outlet},a21026,{DEMO_LIMIT_MG_M3},"
                        "mg/m3,hour,9,demo limit")  # fmt: skip
    if data_dir is not None and rows:
        from ecohub.supervision.permits import load_permits

        path = data_dir / "demo_permits.csv"
        path.parent.mkdir(parents=True, exist_ok=True)
        header = (
            "permit_no,source_code,outlet_code,pollutant,limit,unit,period,reference_o2,standard"
        )
        path.write_text("\n".join([header, *rows]) + "\n", encoding="utf-8")
        load_permits(con, path)


def _submit_air_compute(con: Any, jobs: JobRunner, sample_loaded: bool) -> str | None:
    """Queue the air results as a server-side job when the sample was just loaded or none are
    stored yet (the console's AQI colours); returns the job id."""
    from ecohub.access.principal import SYSTEM
    from ecohub.analytics import air_results

    # Read to the end: a half-read result on the server's own connection would hold its
    # transaction open for the server's whole life (docs/design.md, "Results read to the end").
    (has_obs,) = con.execute("SELECT count(*) > 0 FROM observation_all").fetchall()[0]
    if not has_obs:
        return None
    if not sample_loaded and air_results.state(con).get("edition") is not None:
        return None
    return str(jobs.submit(SYSTEM, "air-compute", {})["id"])


async def _run_demo(
    host: str,
    port: int,
    demo: list[SimDevice],
    history_hours: int,
    on_status: Callable[[str], None],
) -> None:
    """The simulated outlets: their last hours of minute data at once, then live packets."""
    if history_hours > 0:
        rep = await send_history(host, port, demo, history_hours)
        on_status(f"demo: {rep.acked:,} packets of the last {history_hours} h backfilled "
                  f"in {rep.elapsed_s:.1f} s")  # fmt: skip
    await simulate(host, port, demo, rate=0.2, duration=10 * 365 * 86400, live=True)


async def run_platform(
    settings: Settings,
    *,
    simulate_devices: int = 0,
    history_hours: int = 8,
    on_ready: Callable[[Endpoints], None] | None = None,
    on_status: Callable[[str], None] = print,
    stop: asyncio.Event | None = None,
    role: str = "all",
) -> None:
    """Run until ``stop`` is set or SIGINT/SIGTERM arrives.

    ``role="ingest"``: the HJ 212 listener, its writer and lake compaction only (no sample, no
    regions, no anomaly detector, no API: HTTP serves ``/healthz`` and ``/metrics``)."""
    from ecohub.runtime_ingest import cancel, compact_every, ingest_app, open_lake

    ingest_only = role == "ingest"
    from ecohub.store.folders import check_folders

    check_folders(settings)  # a configured lake that is not there stops start-up
    files = JobFiles.of(settings)
    files.prepare(settings)  # import and rejects folders (0700); a bad import_dirs stops it
    fd_limit = raise_fd_limit()
    con = connect(settings.database)
    apply_settings(con, settings)
    lake_line = open_lake(con, settings)
    stop = stop or asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGINT, signal.SIGTERM):
        with contextlib.suppress(NotImplementedError, RuntimeError):
            loop.add_signal_handler(sig, stop.set)
    demo = demo_outlets(simulate_devices) if simulate_devices else []
    sample_loaded = False
    if settings.load_sample and not ingest_only and is_empty(con):
        on_status("store is empty: loading the bundled sample data ...")
        from ecohub.sample import load_sample

        summary = load_sample(con)
        on_status(
            f"sample loaded: {summary['stations']} stations, "
            f"{summary['observations']:,} hourly values (Beijing 2013-2017, CC BY 4.0)"
        )  # the loader ran the automatic data review after its commit (docs/review.md)
        sample_loaded = True
        from ecohub.complaints.sample import load_sample_complaints

        cs = load_sample_complaints(con, settings.data_dir)  # generated (docs/complaints.md)
        on_status(
            f"sample complaints: {cs['report']['new']:,} generated 12369 complaints, "
            f"{cs['analysis'].get('hotspots', 0)} hot spots around {cs['sources']} demo sources"
        )
        from ecohub.enterprise.sample import load_enterprise_sample

        ent = load_enterprise_sample(con)  # docs/enterprise.md
        on_status(f"sample sources: {ent['sources']} with {ent['cases']} cases and "
                  f"{ent['eia']} EIA approvals, linked (synthetic)")  # fmt: skip
    from ecohub.geo import ensure_regions

    if not ingest_only:
        ensure_regions(con)  # region boundaries and key regions (about 1 s the first time)
        from ecohub.supervision.alerts.routing import check_channel_regions

        try:
            check_channel_regions(con, settings.alert_channels)  # a channel's region must exist
        except ValueError:
            con.close()
            raise
    if demo:
        register_demo_devices(con, demo, settings.data_dir)
    # Bind HTTP first: a busy port is then a plain OSError before anything else has started.
    http_sock = socket.create_server((settings.http_host, settings.http_port), reuse_port=False)
    hj = Hj212Server(con, settings)
    # The anomaly detector judges each committed batch on its own thread (docs/supervision.md).
    from ecohub.supervision.stream import Detector

    detector = Detector(channels=settings.alert_channels)
    after = AfterCommit(con, detector.on_batch, tick=detector.tick, flush=detector.flush)
    if not ingest_only:
        hj.writer.after_commit.append(after.submit)
        after.start()
    try:
        hj_addr = await hj.start()
    except OSError:
        http_sock.close()
        after.close()
        detector.close()
        con.close()
        raise
    # One analytics backend for the process (ECOHUB_ENGINE): the API and the jobs share it, so a
    # Spark session, when the engine is Spark, is started once and reused.
    from ecohub.store.backend import open_backend

    engine = open_backend(settings)
    jobs = JobRunner(
        con, workers=settings.job_workers, nice=settings.job_nice, threads=settings.job_threads,
        engine=engine, files=files,
    )  # fmt: skip
    # The alert outbox: sent from a thread of its own, retried with back-off (supervision.alerts).
    from ecohub.supervision.alerts import Dispatcher

    dispatcher = Dispatcher(
        con, settings.alert_channels, interval_s=settings.alert_dispatch_interval_s,
        base_s=settings.alert_retry_base_s, max_s=settings.alert_retry_max_s,
        public_url=settings.public_url,  # the console link in each notice (none when unset)
    )  # fmt: skip
    dispatcher.start()

    def health() -> dict[str, Any]:
        return {
            "hj212_connections": hj.connection_count,
            "anomaly_backlog": after.depth(),
            "alert_outbox": dispatcher.pending(),
        }

    app = (
        ingest_app(con, hj.metrics.registry, health)
        if ingest_only
        else create_app(
            con,
            settings=settings,
            metrics_registry=hj.metrics.registry,
            offline_after_s=settings.hj212_offline_after_s,
            on_policy=lambda mn, p: hj.set_policy(mn, p == "lenient"),
            on_devices_changed=hj.reload_policies,
            health=health,
            jobs=jobs,
            engine=engine,
        )
    )
    tune_serving(con, settings)
    http = _Http(
        uvicorn.Config(app, host=settings.http_host, port=settings.http_port, log_level="warning",
                       lifespan="off", access_log=False, **_tls(settings))
    )  # fmt: skip
    http_task = asyncio.create_task(http.serve(sockets=[http_sock]))
    while not http.started:
        if http_task.done():
            await http_task  # raises the start-up error (port in use, ...)
            raise RuntimeError("HTTP server stopped during start-up")
        await asyncio.sleep(0.02)
    http_addr = http_sock.getsockname()[:2]
    ends = Endpoints(hj212=hj_addr, http=http_addr, tls=bool(_tls(settings)))
    state = settings.data_dir / "server.json"
    state.parent.mkdir(parents=True, exist_ok=True)
    # "imports": where the CLI puts a file a job is to read (the first import folder).
    # "lake": the lake it works in, for a CLI that names another one (folders.check_same_lake).
    where = {"imports": os.path.realpath(files.imports[0]),
             "rejects": os.path.realpath(str(files.rejects)),
             "lake": lake_location(settings)}  # fmt: skip
    state.write_text(
        json.dumps(
            {"pid": os.getpid(), "http": ends.http_url, "hj212": list(hj_addr), "role": role}
            | where
        ),
        encoding="utf-8",
    )
    on_status(f"HJ 212 listener on {hj_addr[0]}:{hj_addr[1]}")
    on_status(f"HTTP on {ends.http_url}  ("
              + ("/healthz, /metrics only" if ingest_only else
                 "API /api/v1/docs, open data /open/v1, /healthz") + ")")  # fmt: skip
    on_status(f"store: {settings.database}  (open-file limit {fd_limit})")
    on_status(lake_line + (" (ingest node)" if ingest_only else ""))
    compaction = None
    if settings.lake_compact_every_s > 0:
        compaction = asyncio.create_task(
            compact_every(jobs, settings.lake_compact_every_s, on_status)
        )
    air_job = None if ingest_only else _submit_air_compute(con, jobs, sample_loaded)
    if air_job:
        on_status(f"computing the air results in the background (job {air_job})")
    sim_task = None
    if demo:
        target = "127.0.0.1" if hj_addr[0] in ("0.0.0.0", "::") else hj_addr[0]
        sim_task = asyncio.create_task(
            _run_demo(target, hj_addr[1], demo, history_hours, on_status)
        )
        kinds = ", ".join(f"{d.mn[-4:]} {d.behaviour}" for d in demo)
        on_status(f"demo: {len(demo)} simulated outlets sending HJ 212 packets ({kinds})")
    tune_gc()
    if on_ready:
        on_ready(ends)
    try:
        await stop.wait()
    finally:
        on_status("stopping: no new connections; committing and answering what was received ...")
        await cancel(compaction)
        if sim_task is not None:
            sim_task.cancel()
            with contextlib.suppress(BaseException):
                await sim_task
        await hj.stop()
        # The detector judges what the last batches left buffered before the store closes.
        await asyncio.to_thread(after.close)
        detector.close()
        await asyncio.to_thread(dispatcher.close)  # what is not sent stays in the outbox
        http.should_exit = True
        with contextlib.suppress(Exception):
            await http_task
        # A running job ends its transaction and queued audit entries are committed before the
        # store closes.
        if ingest_only:
            await asyncio.to_thread(jobs.shutdown)
        else:
            await asyncio.to_thread(close_app, app)  # type: ignore[arg-type]
        remove_local_credential(settings.data_dir)
        with contextlib.suppress(Exception):
            con.execute("CHECKPOINT")
        con.close()
        with contextlib.suppress(FileNotFoundError):
            state.unlink()
        on_status("stopped.")
