"""The outbox dispatcher: sends due deliveries, retrying with exponential back-off.

``ecohub up`` runs one :class:`Dispatcher` thread with its own store cursor. Every
``interval_s`` it takes the deliveries that are due (not delivered, ``next_try`` passed), sends
each through its channel and records the outcome: ``delivered_at`` on success; otherwise
``attempts`` + 1, ``last_error`` and ``next_try`` = now + ``base_s`` x 2^(attempts - 1), at most
``max_s`` ahead. It never gives up: a channel that comes back gets everything it missed. Once a
channel has failed in a round, its other deliveries wait for the next round (they would fail
the same way, each after a time-out). A delivery whose channel is no longer configured waits,
with that as its error, until the channel is configured again.

Nothing here runs on the HJ 212 writer's or the detector's thread: a dead webhook or mail
server costs this thread its time-outs and nothing else. Delivery is at least once: a mail
server that takes a message but whose answer is lost gets it again (same Message-ID; webhook
receivers de-duplicate on ``delivery_id``).
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Sequence
from datetime import datetime, timedelta
from typing import Any

import duckdb

from ecohub.access.principal import SYSTEM
from ecohub.cst import CST
from ecohub.settings import AlertChannel
from ecohub.supervision.alerts.message import email_message, payload
from ecohub.supervision.alerts.send import SendError, send_smtp, send_webhook
from ecohub.supervision.alerts.service import get_alert

__all__ = ["Dispatcher", "backoff_s", "pending"]

log = logging.getLogger(__name__)

BATCH = 200  # deliveries taken per round (a backlog is worked off over rounds)


def backoff_s(attempts: int, base_s: float, max_s: float) -> float:
    """Seconds to wait after the ``attempts``-th failed try: base, 2 base, 4 base, ... <= max."""
    return float(min(max_s, base_s * 2 ** max(0, attempts - 1)))


def pending(con: duckdb.DuckDBPyConnection) -> int:
    """Deliveries not yet made (the outbox's depth; /healthz shows it)."""
    row = con.execute("SELECT count(*) FROM alert_delivery WHERE delivered_at IS NULL").fetchone()
    return int(row[0]) if row else 0


class Dispatcher:
    """Works the outbox from one thread (see the module doc)."""

    def __init__(
        self,
        con: duckdb.DuckDBPyConnection,
        channels: Sequence[AlertChannel],
        *,
        interval_s: float = 2.0,
        base_s: float = 30.0,
        max_s: float = 3600.0,
        public_url: str | None = None,
    ) -> None:
        self._con = con
        # The console's address (the `public_url` setting) for the link in each notice; none
        # without it: the server's bind address means nothing in a reader's mailbox.
        self._public_url = public_url
        self._cur = con.cursor()
        self._cur.execute("SET TimeZone = 'Asia/Shanghai'")
        self._channels = {c.name: c for c in channels}
        self._interval_s = interval_s
        self._base_s = base_s
        self._max_s = max_s
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, name="ecohub-alerts", daemon=True)
        self.sent = 0
        self.failed = 0
        self.errors = 0

    def start(self) -> None:
        self._thread.start()

    def close(self, timeout: float = 30.0) -> None:
        """Stop after the delivery being sent; deliveries not made stay in the outbox."""
        self._stop.set()
        if self._thread.is_alive():
            self._thread.join(timeout)
            if self._thread.is_alive():
                log.error("alert dispatcher still sending after %s s; not waited for", timeout)
                return
        self._cur.close()

    def pending(self) -> int:
        """The outbox's depth (any thread: a cursor of its own, not the dispatcher's)."""
        cur = self._con.cursor()
        try:
            return pending(cur)
        finally:
            cur.close()

    def _run(self) -> None:
        while not self._stop.wait(self._interval_s):
            try:
                self.run_once()
            except Exception:
                self.errors += 1
                log.exception("alert dispatch round failed")

    def run_once(self, now: datetime | None = None) -> dict[str, int]:
        """One round over the due deliveries; returns the counts ``sent`` and ``failed``."""
        at = now or datetime.now(CST)
        due = self._cur.execute(
            "SELECT id, alert_id, channel, event, attempts FROM alert_delivery "
            "WHERE delivered_at IS NULL AND next_try <= ? ORDER BY next_try, id LIMIT ?",
            [at, BATCH],
        ).fetchall()
        failed_channels: set[str] = set()
        counts = {"sent": 0, "failed": 0}
        for delivery_id, alert_id, name, event, attempts in due:
            if self._stop.is_set():
                break
            channel = self._channels.get(name)
            if channel is None:
                self._record(delivery_id, attempts, f"channel {name!r} is not configured",
                              at + timedelta(seconds=self._max_s))  # fmt: skip
                continue
            if name in failed_channels:
                continue
            try:
                note = self._send(channel, alert_id, event, delivery_id)
            except SendError as exc:
                wait = backoff_s(attempts + 1, self._base_s, self._max_s)
                self._record(delivery_id, attempts + 1, str(exc)[:500],
                             at + timedelta(seconds=wait))  # fmt: skip
                failed_channels.add(name)
                counts["failed"] += 1
                log.warning("alert %s to %s failed (try %d, next in %.0f s): %s",
                            alert_id, name, attempts + 1, wait, exc)  # fmt: skip
                continue
            self._cur.execute(
                "UPDATE alert_delivery SET delivered_at = ?, attempts = ?, last_error = ? "
                "WHERE id = ?",
                [datetime.now(CST), attempts + 1, note, delivery_id],
            )
            counts["sent"] += 1
        self.sent += counts["sent"]
        self.failed += counts["failed"]
        return counts

    def _send(self, channel: AlertChannel, alert_id: int, event: str, delivery_id: int) -> Any:
        alert = get_alert(self._cur, SYSTEM, alert_id)
        if channel.kind == "webhook":
            send_webhook(channel, payload(alert, event, delivery_id, self._public_url))
            return None
        assert channel.sender is not None
        mail = email_message(alert, channel.sender, channel.to, delivery_id, self._public_url)
        refused = send_smtp(channel, mail)
        return f"recipients refused: {', '.join(refused)}" if refused else None

    def _record(self, delivery_id: int, attempts: int, error: str, next_try: datetime) -> None:
        self._cur.execute(
            "UPDATE alert_delivery SET attempts = ?, last_error = ?, next_try = ? WHERE id = ?",
            [attempts, error, next_try, delivery_id],
        )
