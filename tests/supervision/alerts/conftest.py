"""Real local endpoints for alert delivery: an aiosmtpd SMTP server and an HTTP webhook
receiver, both on 127.0.0.1 with a port the OS picks; and a small store with sources in two
regions and helpers writing findings and exceedance events as the detectors store them."""

from __future__ import annotations

import json
import socket
import threading
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from email import message_from_bytes, policy
from email.message import EmailMessage
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from zoneinfo import ZoneInfo

import duckdb
import pytest
from aiosmtpd.controller import Controller

from ecohub.settings import AlertChannel
from ecohub.store.db import connect

CST = ZoneInfo("Asia/Shanghai")
T0 = datetime(2026, 3, 2, 8, 0, tzinfo=CST)
# S1 in Tangshan (130203), S2 in Chaoyang, Beijing (110105).
MN1, MN2 = "88888880000001", "88888880000002"


def store() -> duckdb.DuckDBPyConnection:
    con = connect(":memory:")
    con.execute("SET TimeZone = 'Asia/Shanghai'")
    con.execute(
        "INSERT INTO source (source_code, name, region_code) VALUES "
        "('S1', '唐山某电厂', '130203'), ('S2', '朝阳某热力', '110105')"
    )
    con.execute(
        "INSERT INTO monitor_point (mn, source_code, outlet_code, interval_s) VALUES "
        f"('{MN1}', 'S1', 'DA001', 60), ('{MN2}', 'S2', 'DA001', 60)"
    )
    return con


def finding(
    con: duckdb.DuckDBPyConnection,
    mn: str = MN1,
    rule: str = "constant",
    pollutant: str = "a21026",
    start: datetime = T0,
    hours: float = 4,
    severity: str = "medium",
    evidence: dict[str, Any] | None = None,
) -> int:
    """One finding row as `findings.store_findings` writes it; returns its id."""
    source = "S1" if mn == MN1 else "S2"
    row = con.execute(
        'INSERT INTO anomaly (mn, source_code, outlet_code, pollutant, rule, start, "end", '
        "evidence, severity, found_at, updated_at) VALUES (?, ?, 'DA001', ?, ?, ?, ?, ?, ?, "
        "now(), now()) RETURNING id",
        [mn, source, pollutant, rule, start, start + timedelta(hours=hours),
         json.dumps(evidence or {"n": 240, "max": 42.0, "open": True}), severity],
    ).fetchone()  # fmt: skip
    assert row is not None
    return int(row[0])


def exceedance(
    con: duckdb.DuckDBPyConnection,
    mn: str = MN1,
    start: datetime = T0,
    peak: float = 150.0,
    *,
    pollutant: str = "a21026",
    limit: float = 100.0,
) -> int:
    """One open hourly exceedance event (by default SO2 against a 100 mg/m3 limit of permit
    P1); returns its id."""
    source = "S1" if mn == MN1 else "S2"
    row = con.execute(
        "INSERT INTO exceedance (mn, source_code, outlet_code, pollutant, period, start, "
        '"end", peak, "limit", multiple, permit_no, open, found_at, updated_at) VALUES '
        "(?, ?, 'DA001', ?, 'hour', ?, ?, ?, ?, ?, 'P1', true, now(), now()) "
        "RETURNING id",
        [mn, source, pollutant, start, start + timedelta(hours=1), peak, limit, peak / limit],
    ).fetchone()
    assert row is not None
    return int(row[0])


@dataclass
class Mailbox:
    """What the SMTP server took: (mail from, recipients, parsed message)."""

    received: list[tuple[str, list[str], EmailMessage]] = field(default_factory=list)
    refuse: str | None = None  # an SMTP reply to give DATA instead of taking the mail

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
        if self.refuse is not None:
            return self.refuse
        msg = message_from_bytes(envelope.original_content, policy=policy.default)
        assert isinstance(msg, EmailMessage)
        self.received.append((envelope.mail_from, list(envelope.rcpt_tos), msg))
        return "250 OK"


class _Controller(Controller):
    """aiosmtpd's controller on port 0: its readiness probe needs the port the OS chose."""

    def _trigger_server(self) -> None:
        assert self.server is not None
        self.port = self.server.sockets[0].getsockname()[1]  # type: ignore[attr-defined]
        super()._trigger_server()


@dataclass
class Smtp:
    port: int
    box: Mailbox
    controller: Controller


def start_smtp(port: int = 0) -> Smtp:
    box = Mailbox()
    ctl = _Controller(box, hostname="127.0.0.1", port=port)
    ctl.start()
    return Smtp(ctl.port, box, ctl)


@pytest.fixture
def smtp() -> Iterator[Smtp]:
    s = start_smtp()
    yield s
    s.controller.stop()


@dataclass
class Hook:
    """A webhook receiver: the requests it got, and the status it answers (200 by default)."""

    url: str
    requests: list[tuple[dict[str, str], bytes]] = field(default_factory=list)
    status: int = 200


@pytest.fixture
def hook() -> Iterator[Hook]:
    state = Hook("")

    class Handler(BaseHTTPRequestHandler):
        def do_POST(self) -> None:
            body = self.rfile.read(int(self.headers.get("Content-Length", "0")))
            state.requests.append(({k.lower(): v for k, v in self.headers.items()}, body))
            self.send_response(state.status)
            self.send_header("Content-Length", "0")
            self.end_headers()

        def log_message(self, *args: Any) -> None:  # keep test output quiet
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    state.url = f"http://127.0.0.1:{server.server_address[1]}/hooks/ecohub?key=robot-secret"
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield state
    server.shutdown()
    server.server_close()


def free_port() -> int:
    """A port nothing listens on (bound, then released)."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def mail_channel(port: int, **kw: Any) -> AlertChannel:
    return AlertChannel(name=kw.pop("name", "mail"), kind="smtp", host="127.0.0.1", port=port,
                        sender="ecohub@bureau.example", to=["duty@bureau.example",
                        "chief@bureau.example"], timeout_s=5, **kw)  # fmt: skip


def hook_channel(url: str, **kw: Any) -> AlertChannel:
    kw.setdefault("timeout_s", 5)
    return AlertChannel(name=kw.pop("name", "hook"), kind="webhook", url=url, **kw)
