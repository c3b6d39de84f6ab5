"""Which channels take a new alert: by severity, and by the channel's region.

A channel's ``region`` is any stored region (:mod:`ecohub.geo.filter`): a GB/T 2260 code (the
division and the ones below it), a key-region id (``jjj-2+26``: its member divisions), or the
code or name of a loaded basin or custom region (the alert's source point inside the polygon;
a source without a point counts by a division lying entirely inside). So a channel for the
"2+26" cities gets the alerts of the sources in any of them, exactly the alerts a user scoped to
that region would see. A channel whose region names nothing the store knows is refused when the
platform starts (:func:`check_channel_regions`), and so is a six-digit code that is no GB/T 2260
division (``110501``, ``110105`` mistyped: the code's form alone would route it nothing); if
its region is removed while the platform runs, it takes nothing and says so in the log, and
raising goes on for the other channels.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from typing import Any

import duckdb

from ecohub.access.region_scope import is_division
from ecohub.settings import AlertChannel, SettingsError

__all__ = ["check_channel_regions", "routes"]

log = logging.getLogger(__name__)

#: Severities in rising order (the rules' ``low | medium | high``).
SEVERITY_RANK = {"low": 0, "medium": 1, "high": 2}


def check_channel_regions(con: duckdb.DuckDBPyConnection, channels: Sequence[AlertChannel]) -> None:
    """:class:`SettingsError` naming the first channel whose region the store does not know, or
    whose six-digit code is no GB/T 2260 division."""
    from ecohub.geo.errors import GeoError
    from ecohub.geo.filter import area_scope
    from ecohub.standards import divisions
    from ecohub.standards.errors import InvalidCode

    for i, ch in enumerate(channels):
        if ch.region is None:
            continue
        reason = None
        if is_division(ch.region):
            # Checked against the division table, as a user's region is: the resolver takes
            # any six digits as a code prefix, so a mistyped code would route nothing, silently.
            try:
                divisions.validate(ch.region)
            except InvalidCode as exc:
                reason = f"no region {ch.region!r}: {exc.message}"
        else:
            try:
                area_scope(con, ch.region)
            except GeoError as exc:
                reason = exc.reason
        if reason is not None:
            raise SettingsError(
                f"alert_channels.{i}.region (ECOHUB_ALERT_CHANNELS): channel {ch.name}: {reason}"
            )


def _inside(con: duckdb.DuckDBPyConnection, region: str, ids: list[int]) -> set[int]:
    """The alerts among ``ids`` whose source lies in ``region`` (see the module doc)."""
    from ecohub.access.scope import area_sql
    from ecohub.geo.filter import area_scope

    pred, params = area_sql(area_scope(con, region), "a.region_code", lon="s.lon", lat="s.lat")
    rows = con.execute(
        f"SELECT a.id FROM alert a LEFT JOIN source s ON s.source_code = a.source_code "
        f"WHERE list_contains(?, a.id) AND {pred}",
        [ids, *params],
    ).fetchall()
    return {int(r[0]) for r in rows}


def routes(
    con: duckdb.DuckDBPyConnection,
    channels: Sequence[AlertChannel],
    new: Sequence[tuple[Any, ...]],
) -> list[tuple[int, str]]:
    """(alert id, channel name) for every new alert (``id, key, severity, region_code`` rows,
    as raising returns them) and every channel that takes it, in alert order."""
    from ecohub.geo.errors import GeoError

    taken: set[tuple[int, str]] = set()
    for ch in channels:
        ids = [int(a) for a, _, severity, _ in new
               if SEVERITY_RANK[severity] >= SEVERITY_RANK[ch.min_severity]]  # fmt: skip
        if not ids:
            continue
        if ch.region is None:
            taken.update((a, ch.name) for a in ids)
            continue
        try:
            inside = _inside(con, ch.region, ids)
        except GeoError as exc:
            log.error("alert channel %s takes nothing: %s", ch.name, exc)
            continue
        taken.update((a, ch.name) for a in inside)
    order = {name: i for i, name in enumerate(ch.name for ch in channels)}
    return sorted(taken, key=lambda t: (t[0], order[t[1]]))
