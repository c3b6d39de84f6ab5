"""A lean HTTP/1.1 load generator for the API benchmarks, run as its own process.

Why not httpx or threads: the server, the HJ 212 simulator and the clients share the machine's
two cores, so every millisecond of client CPU is taken from the server being measured. This
generator is one asyncio process (uvloop when installed) writing raw ``GET`` requests on
keep-alive connections and reading ``Content-Length`` (or chunked) answers: ~0.1 ms of CPU per
request against ~1 ms for an httpx client.

Two modes per client (one connection each):

- **open loop** (``rate`` > 0): client *i* is scheduled to send at ``t0 + phase_i + k / rate``;
  latency is measured from the *scheduled* time, so a slow answer that delays the next send is
  counted in the next request's latency too (no coordinated omission). The offered load is
  fixed (``clients * rate`` requests/s), whatever the server does; a client that has fallen
  more than ``GRACE_S`` behind at the end stops and reports what it did not send (``unsent``).
- **closed loop** (``rate`` = 0): send, wait for the answer, send again (no think time); the
  server's pace sets the load, so mean latency = clients / throughput.

Input (JSON on stdin): ``{"host", "port", "duration", "rate", "clients": [{"headers": {...},
"paths": [...]}]}`` — each client cycles through its paths. Output (JSON on stdout):
latencies in seconds, status counts, the wall time and this process's CPU seconds.

Optional input: ``warmup`` seconds (default 0) run before the measured ``duration``: requests
sent (open loop: scheduled) before ``t0 + warmup`` are not in ``lat`` or ``status`` (their
status counts are in ``warmup_status``, so a failing warm-up is still seen), and ``wall`` is
the measured part only; ``cpu_pid``: a process (the server) whose CPU seconds over the
measured part are reported as ``pid_cpu`` (Linux /proc).
"""

from __future__ import annotations

import asyncio
import json
import os
import random
import sys
import time
from typing import Any

#: Open loop: a client still sending this long after the run's end (it fell behind schedule)
#: stops; the requests it had yet to send are reported as ``unsent``, never silently dropped.
GRACE_S = 5.0


async def _answer(reader: asyncio.StreamReader) -> int:
    """Read one HTTP/1.1 response; its status."""
    head = await reader.readuntil(b"\r\n\r\n")
    status = int(head[9:12])
    lower = head.lower()
    at = lower.find(b"\r\ncontent-length:")
    if at >= 0:
        end = lower.index(b"\r\n", at + 2)
        await reader.readexactly(int(lower[at + 17 : end]))
        return status
    if b"\r\ntransfer-encoding: chunked" in lower:
        while True:
            size = int((await reader.readuntil(b"\r\n")).split(b";")[0], 16)
            await reader.readexactly(size + 2)
            if size == 0:
                return status
    raise RuntimeError("answer without Content-Length or chunked body")


async def _client(
    host: str, port: int, spec: dict[str, Any], rate: float, t0: float, stop: float,
    phase: float, lat: list[float], status: dict[int, int], unsent: list[int],
    measured: float = 0.0, warm: dict[int, int] | None = None,
) -> None:  # fmt: skip
    extra = "".join(f"{k}: {v}\r\n" for k, v in spec["headers"].items())
    requests = [
        f"GET {p} HTTP/1.1\r\nHost: {host}:{port}\r\n{extra}\r\n".encode() for p in spec["paths"]
    ]
    reader, writer = await asyncio.open_connection(host, port)
    loop = asyncio.get_running_loop()
    k = 0
    due = t0 + phase
    try:
        while True:
            now = loop.time()
            if rate > 0:
                if due >= stop:
                    break
                if now >= stop + GRACE_S:  # far behind schedule: what is left is not sent
                    unsent[0] += int((stop - due) * rate) + 1
                    break
                if due > now:
                    await asyncio.sleep(due - now)
                sent_for = due
                due += 1.0 / rate
            else:
                if now >= stop:
                    break
                sent_for = now
            writer.write(requests[k % len(requests)])
            k += 1
            try:
                code = await asyncio.wait_for(_answer(reader), 30)
            except (TimeoutError, asyncio.IncompleteReadError, ConnectionError, RuntimeError):
                code = 0
                writer.close()
                reader, writer = await asyncio.open_connection(host, port)
            if sent_for < measured and warm is not None:  # warm-up: counted apart, not timed
                warm[code] = warm.get(code, 0) + 1
                continue
            lat.append(loop.time() - sent_for)
            status[code] = status.get(code, 0) + 1
    finally:
        writer.close()


def _pid_cpu(pid: int) -> float:
    """User + system CPU seconds of process ``pid`` so far (Linux /proc)."""
    with open(f"/proc/{pid}/stat") as f:
        fields = f.read().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


async def run(cfg: dict[str, Any]) -> dict[str, Any]:
    loop = asyncio.get_running_loop()
    lat: list[float] = []
    status: dict[int, int] = {}
    warm: dict[int, int] = {}
    unsent = [0]
    rate = float(cfg["rate"])
    warmup = float(cfg.get("warmup", 0.0))
    pid = cfg.get("cpu_pid")
    t0 = loop.time() + 0.2
    measured = t0 + warmup
    stop = measured + float(cfg["duration"])
    rng = random.Random(11)
    # Phases spread the clients' sends over one period, so the offered load is smooth.
    phases = [rng.uniform(0, 1.0 / rate) if rate > 0 else 0.0 for _ in cfg["clients"]]
    cpu0, wall0 = time.process_time(), time.perf_counter()
    pid_cpu: list[float] = []
    if pid is not None:
        loop.call_at(measured, lambda: pid_cpu.append(_pid_cpu(int(pid))))
    await asyncio.gather(
        *(
            _client(cfg["host"], cfg["port"], spec, rate, t0, stop, ph, lat, status, unsent,
                    measured, warm if warmup > 0 else None)
            for spec, ph in zip(cfg["clients"], phases, strict=True)
        )
    )  # fmt: skip
    took = loop.time() - measured
    out = {"lat": lat, "status": {str(k): v for k, v in status.items()}, "wall": took,
           "unsent": unsent[0],
           "cpu": time.process_time() - cpu0, "elapsed": time.perf_counter() - wall0}  # fmt: skip
    if warmup > 0:
        out["warmup_status"] = {str(k): v for k, v in warm.items()}
    if pid is not None:
        out["pid_cpu"] = _pid_cpu(int(pid)) - pid_cpu[0]
    return out


def main() -> None:
    cfg = json.load(sys.stdin)
    try:
        import uvloop
    except ImportError:  # the stdlib loop works, at a little more CPU per request
        json.dump(asyncio.run(run(cfg)), sys.stdout)
        return
    json.dump(uvloop.run(run(cfg)), sys.stdout)


if __name__ == "__main__":
    main()
