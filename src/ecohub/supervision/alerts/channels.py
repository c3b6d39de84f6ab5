"""The configured channels as an operator checks them: where each goes and how its outbox
stands. Secrets are never part of the answer (only whether a webhook is signed)."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import duckdb

from ecohub.settings import AlertChannel

__all__ = ["channel_status"]


def _bare(url: str | None) -> str:
    """The URL without user info, query or fragment: robot webhooks (WeCom, DingTalk) carry
    their access key in the query, and that is a secret too."""
    from urllib.parse import urlsplit

    parts = urlsplit(url or "")
    host = parts.hostname or ""
    port = f":{parts.port}" if parts.port else ""
    return f"{parts.scheme}://{host}{port}{parts.path}"


def channel_status(
    con: duckdb.DuckDBPyConnection, channels: Sequence[AlertChannel]
) -> list[dict[str, Any]]:
    """One dict per configured channel: its target, filters and outbox counts (``delivered``,
    ``pending``, ``retrying`` = pending after a failed try) and its latest error."""
    stats = {
        name: (delivered, waiting, retrying, error)
        for name, delivered, waiting, retrying, error in con.execute(
            """SELECT channel, count(delivered_at), count(*) - count(delivered_at),
                      count(*) FILTER (WHERE delivered_at IS NULL AND attempts > 0),
                      arg_max(last_error, next_try) FILTER (WHERE delivered_at IS NULL)
               FROM alert_delivery GROUP BY channel"""
        ).fetchall()
    }
    out = []
    for ch in channels:
        delivered, waiting, retrying, error = stats.get(ch.name, (0, 0, 0, None))
        target = _bare(ch.url) if ch.kind == "webhook" else f"smtp://{ch.host}:{ch.port}"
        out.append({
            "name": ch.name, "kind": ch.kind, "target": target,
            "to": list(ch.to) if ch.kind == "smtp" else None,
            "signed": ch.secret is not None if ch.kind == "webhook" else None,
            "security": ch.security if ch.kind == "smtp" else None,
            "min_severity": ch.min_severity, "region": ch.region,
            "delivered": int(delivered), "pending": int(waiting), "retrying": int(retrying),
            "last_error": error,
        })  # fmt: skip
    return out
