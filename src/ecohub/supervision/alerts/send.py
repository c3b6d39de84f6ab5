"""Sending one delivery: an e-mail through SMTP (stdlib ``smtplib``) or a signed webhook POST
(httpx). Each raises :class:`SendError` with a one-line reason when the other side did not take
the message; the dispatcher records it and tries again later.

Webhook signature: ``X-Ecohub-Signature: sha256=<hex>``, the HMAC-SHA256 (RFC 2104) under the
channel's secret of ``<X-Ecohub-Timestamp>.<body bytes>``; the timestamp (Unix seconds) is
signed with the body so a receiver can refuse an old request replayed.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import smtplib
import ssl
import time
from typing import Any

import httpx

from ecohub.settings import AlertChannel

__all__ = ["SendError", "send_smtp", "send_webhook", "sign"]


class SendError(Exception):
    """The channel did not take the message (the reason, one line)."""


def sign(secret: str, timestamp: str, body: bytes) -> str:
    """The ``X-Ecohub-Signature`` value of ``body`` sent at ``timestamp``."""
    mac = hmac.new(secret.encode(), timestamp.encode() + b"." + body, hashlib.sha256)
    return "sha256=" + mac.hexdigest()


def send_webhook(channel: AlertChannel, payload: dict[str, Any]) -> None:
    """POST ``payload`` as JSON; any 2xx answer is a delivery."""
    assert channel.url is not None
    body = json.dumps(payload, ensure_ascii=False, sort_keys=True).encode()
    timestamp = str(int(time.time()))
    headers = {
        "Content-Type": "application/json; charset=utf-8",
        "User-Agent": "ecohub-alerts",
        "X-Ecohub-Event": str(payload.get("event")),
        "X-Ecohub-Delivery": str(payload.get("delivery_id")),
        "X-Ecohub-Timestamp": timestamp,
    }
    if channel.secret is not None:
        headers["X-Ecohub-Signature"] = sign(channel.secret.get_secret_value(), timestamp, body)
    try:
        r = httpx.post(channel.url, content=body, headers=headers, timeout=channel.timeout_s)
    except httpx.HTTPError as exc:
        raise SendError(f"webhook {channel.name}: {type(exc).__name__}: {exc}") from None
    if not 200 <= r.status_code < 300:
        raise SendError(f"webhook {channel.name}: HTTP {r.status_code}")


def send_smtp(channel: AlertChannel, message: Any) -> list[str]:
    """Send ``message`` (an ``EmailMessage``) through the channel's server. Returns the
    recipients the server refused while taking the mail for the others: sending again would
    repeat it to those who have it, so that is a delivery with a note, not a failure."""
    assert channel.host is not None
    try:
        if channel.security == "ssl":
            client: smtplib.SMTP = smtplib.SMTP_SSL(
                channel.host, channel.port, timeout=channel.timeout_s,
                context=ssl.create_default_context(),
            )  # fmt: skip
        else:
            client = smtplib.SMTP(channel.host, channel.port, timeout=channel.timeout_s)
        with client:
            if channel.security == "starttls":
                client.starttls(context=ssl.create_default_context())
            if channel.username:
                password = channel.password.get_secret_value() if channel.password else ""
                client.login(channel.username, password)
            refused = client.send_message(message, from_addr=channel.sender, to_addrs=channel.to)
    except (OSError, smtplib.SMTPException) as exc:
        raise SendError(f"smtp {channel.name}: {type(exc).__name__}: {exc}") from None
    return sorted(refused)
