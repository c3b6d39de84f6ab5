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
from collections.abc import Callable, Generator
from dataclasses import dataclass
from typing import Any

import uvicorn

from ecohub.access.local import remove_local_credential
from ecohub.api.app import close_app, create_app
from ecohub.ingest import devices as device_service
from ecohub.ingest.hj212_server import Hj212Server
from ecohub.ingest.simulator import SimDevice, demo_devices, simulate
from ecohub.jobs.runner import JobRunner
from ecohub.process import raise_fd_limit, tune_gc
from ecohub.settings import Settings
from ecohub.store.db import connect, is_empty

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


@dataclass
class Endpoints:
    hj212: tuple[str, int]
    http: tuple[str, int]
    tls: bool = False

    @property
    def http_url(self) -> str:
        host = self.http[0] if self.http[0] not in ("0.0.0.0", "::") else "127.0.0.1"
        return f"{'https' if self.tls else 'http'}://{host}:{self.http[1]}"


def register_demo_devices(con: Any, devs: list[SimDevice]) -> None:
    """The sample's monitoring points: simulated stack and waste-water outlets, registered."""
    for i, dev in enumerate(devs):
        outlet = f"{'DA' if dev.medium == 'gas' else 'DW'}{i + 1:03d}"
        device_service.register_device(
            con, dev.mn, name=f"示例{'废气' if dev.medium == 'gas' else '废水'}排放口 {outlet}",
            outlet_code=outlet, st=dev.st, pw=dev.pw, interval_s=60,
        )  # fmt: skip


async def run_platform(
    settings: Settings,
    *,
    simulate_devices: int = 0,
    on_ready: Callable[[Endpoints], None] | None = None,
    on_status: Callable[[str], None] = print,
    stop: asyncio.Event | None = None,
) -> None:
    """Run until ``stop`` is set or SIGINT/SIGTERM arrives."""
    fd_limit = raise_fd_limit()
    con = connect(settings.database)
    stop = stop or asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGINT, signal.SIGTERM):
        with contextlib.suppress(NotImplementedError, RuntimeError):
            loop.add_signal_handler(sig, stop.set)
    demo = demo_devices(simulate_devices) if simulate_devices else []
    if settings.load_sample and is_empty(con):
        on_status("store is empty: loading the bundled sample data ...")
        from ecohub.sample import load_sample

        summary = load_sample(con)
        on_status(
            f"sample loaded: {summary['stations']} stations, "
            f"{summary['observations']:,} hourly values (Beijing 2013-2017, CC BY 4.0)"
        )
    if demo:
        register_demo_devices(con, demo)
    # Bind HTTP first: a busy port is then a plain OSError before anything else has started.
    http_sock = socket.create_server((settings.http_host, settings.http_port), reuse_port=False)
    hj = Hj212Server(con, settings)
    try:
        hj_addr = await hj.start()
    except OSError:
        http_sock.close()
        con.close()
        raise
    jobs = JobRunner(con, workers=settings.job_workers, nice=settings.job_nice)
    app = create_app(
        con,
        settings=settings,
        metrics_registry=hj.metrics.registry,
        offline_after_s=settings.hj212_offline_after_s,
        on_policy=lambda mn, p: hj.set_policy(mn, p == "lenient"),
        on_devices_changed=hj.reload_policies,
        health=lambda: {"hj212_connections": hj.connection_count},
        jobs=jobs,
    )
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
    state.write_text(
        json.dumps({"pid": os.getpid(), "http": ends.http_url, "hj212": list(hj_addr)}),
        encoding="utf-8",
    )
    on_status(f"HJ 212 listener on {hj_addr[0]}:{hj_addr[1]}")
    on_status(f"HTTP on {ends.http_url}  (API /api/v1/docs, open data /open/v1, /healthz)")
    on_status(f"store: {settings.database}  (open-file limit {fd_limit})")
    sim_task = None
    if demo:
        target = "127.0.0.1" if hj_addr[0] in ("0.0.0.0", "::") else hj_addr[0]
        sim_task = asyncio.create_task(
            simulate(target, hj_addr[1], demo, rate=0.2, duration=10 * 365 * 86400)
        )
        on_status(f"demo: {len(demo)} simulated outlets sending HJ 212 packets")
    tune_gc()
    if on_ready:
        on_ready(ends)
    try:
        await stop.wait()
    finally:
        on_status("stopping: no new connections; committing and answering what was received ...")
        if sim_task is not None:
            sim_task.cancel()
            with contextlib.suppress(BaseException):
                await sim_task
        await hj.stop()
        http.should_exit = True
        with contextlib.suppress(Exception):
            await http_task
        # A running job ends its transaction and queued audit entries are committed before the
        # store closes.
        await asyncio.to_thread(close_app, app)
        remove_local_credential(settings.data_dir)
        with contextlib.suppress(Exception):
            con.execute("CHECKPOINT")
        con.close()
        with contextlib.suppress(FileNotFoundError):
            state.unlink()
        on_status("stopped.")
