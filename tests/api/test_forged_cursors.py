"""A paging cursor the server did not issue is a 422 naming ``cursor``, never a 500 (assessment
finding F4): on every paged route, the anonymous open-data ones included.

A cursor is ``<payload>.<tag>`` (``ecohub.queries.paging``): the payload base64url JSON
``{"k": [key…], "f": fingerprint}``, the tag the first 16 bytes of HMAC-SHA256 of the payload
under ``HMAC-SHA256(<jwt.secret>, "ecohub/cursor")``. The tests sign by that description (written
out here, not with the server's functions) to forge cursors the signature check lets through,
whose key values are of the wrong type, and cursors it must refuse. Before the fix the payload
alone was the cursor, its fingerprint an unkeyed hash anyone could rebuild, and a key value such
as ``"zzz"`` for a time made DuckDB's ``CAST(? AS TIMESTAMPTZ)`` fail: HTTP 500.
"""

from __future__ import annotations

import base64
import csv
import hashlib
import hmac
import io
import json
import secrets
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient

from ecohub.api.app import close_app, create_app
from ecohub.queries import paging
from ecohub.settings import Settings
from tests.api import door_data as d
from tests.api.door_data import Door

NOT_OURS = "not a cursor this server issued"
#: (route, query, role or None for anonymous, whether the key has a column that is not text).
ROUTES: list[tuple[str, dict[str, str], str | None, bool]] = [
    ("/api/v1/observations", {}, "admin", True),
    ("/api/v1/stations", {}, "admin", False),
    ("/api/v1/air/aqi/daily", {}, "admin", True),
    ("/api/v1/air/aqi/hourly", {}, "admin", True),
    ("/api/v1/alerts", {}, "admin", True),
    ("/api/v1/alerts", {"format": "csv"}, "admin", True),
    ("/api/v1/hj212/emissions", {}, "admin", True),  # newest first
    ("/api/v1/hj212/emissions", {"from": "2020-01-01"}, "admin", True),  # by device
    ("/api/v1/hj212/rejected", {}, "admin", True),
    ("/api/v1/complaints", {}, "admin", True),
    ("/api/v1/complaints/hotspots", {}, "admin", True),
    ("/api/v1/supervision/anomalies", {}, "admin", True),
    ("/api/v1/supervision/exceedances", {}, "admin", True),
    ("/api/v1/review/flags", {}, "admin", True),
    ("/api/v1/registry/sources", {}, "admin", False),
    ("/open/v1/stations", {}, None, False),
    ("/open/v1/bulk/aqi-daily.csv", {}, None, True),
    ("/open/v1/bulk/aqi-hourly.parquet", {}, None, True),
    ("/open/v1/bulk/stations.csv", {}, None, False),
    (f"/open/v1/stations/{d.ST_IN}/aqi/daily", {}, None, True),
    (f"/open/v1/stations/{d.ST_IN}/aqi/hourly", {}, None, True),
]
IDS = [f"{url}?{'&'.join(f'{k}={v}' for k, v in q.items())}" for url, q, _, _ in ROUTES]


@pytest.fixture(scope="module")
def door(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Door]:
    yield from d.serve(Path(tmp_path_factory.mktemp("forged")))


def _client(door: Door, role: str | None) -> TestClient:
    if role is None:
        return TestClient(door.app, raise_server_exceptions=False)
    return d.client(door, role)


def _b64(raw: bytes) -> str:
    return base64.urlsafe_b64encode(raw).decode().rstrip("=")


def _payload(key: list[Any], fp: str) -> str:
    return _b64(json.dumps({"k": key, "f": fp}, separators=(",", ":")).encode())


def _server_key(door: Door) -> bytes:
    secret = bytes.fromhex((door.data_dir / "jwt.secret").read_text().strip())
    return hmac.new(secret, b"ecohub/cursor", hashlib.sha256).digest()


def _signed(payload: str, key: bytes) -> str:
    return f"{payload}.{_b64(hmac.new(key, payload.encode(), hashlib.sha256).digest()[:16])}"


def _read(payload: str) -> dict[str, Any]:
    data: dict[str, Any] = json.loads(base64.urlsafe_b64decode(payload + "=" * (-len(payload) % 4)))
    return data


def _page(c: TestClient, url: str, params: dict[str, Any]) -> tuple[list[Any], str | None]:
    """The rows of one page (JSON items, CSV records or Parquet rows) and its next cursor."""
    r = c.get(url, params=params)
    assert r.status_code == 200, r.text
    if url.endswith(".csv") or params.get("format") == "csv":
        return list(csv.reader(io.StringIO(r.content.decode("utf-8-sig"))))[1:], r.headers.get(
            "x-next-cursor"
        )
    if url.endswith(".parquet"):
        import pyarrow.parquet as pq

        return pq.read_table(io.BytesIO(r.content)).to_pylist(), r.headers.get("x-next-cursor")
    body = r.json()
    return body["items"], body["next_cursor"]


def _refused(c: TestClient, url: str, params: dict[str, Any], cursor: str) -> None:
    r = c.get(url, params={**params, "limit": 1, "cursor": cursor})
    assert r.status_code == 422, (cursor, r.status_code, r.text)
    assert r.headers["content-type"].startswith("application/problem+json")
    assert r.json()["errors"] == [{"field": "cursor", "reason": NOT_OURS}], r.text


@pytest.mark.parametrize(("url", "params", "role", "typed"), ROUTES, ids=IDS)
def test_a_forged_cursor_is_a_422_naming_cursor(
    door: Door, url: str, params: dict[str, str], role: str | None, typed: bool
) -> None:
    c = _client(door, role)
    _, real = _page(c, url, {**params, "limit": 1})
    assert real is not None, "the route needs two rows for a next cursor"
    payload, _, _ = real.partition(".")
    data = _read(payload)
    key, fp, width = data["k"], data["f"], len(data["k"])
    server = _server_key(door)
    forged = [
        # The assessor's forgeries, as the old unsigned cursor (payload alone, fingerprint
        # rebuilt): every key value, then the last one, a text no typed column reads.
        _payload(["zzz-not-valid"] * width, fp),
        _payload([*key[:-1], "zzz-not-valid"], fp),
        # A real key signed with another server's key (another data folder's secret).
        _signed(payload, secrets.token_bytes(32)),
        # A real cursor whose tag was cut or changed.
        f"{payload}.",
        real[:-2] + ("AA" if not real.endswith("AA") else "BB"),
        # Signed as the server signs, but the key is not of the listing's shape or types:
        # JSON numbers and null instead of text, one value too few, one too many.
        _signed(_payload([7] * width, fp), server),
        _signed(_payload([None] * width, fp), server),
        _signed(_payload(key[:-1], fp), server),
        _signed(_payload([*key, "x"], fp), server),
        _signed(_b64(b'{"k": "not a list", "f": "%s"}' % fp.encode()), server),
        # Not a cursor at all.
        "%%%",
        "a.b.c",
        _signed(_b64(b"\xff\xfe not json"), server),
    ]
    if typed:
        forged += [
            _signed(_payload(["zzz-not-valid"] * width, fp), server),
            # Numbers and times DuckDB would read but the server never writes.
            _signed(_payload([f" {v}" for v in key], fp), server),
            _signed(_payload(["9" * 40] * width, fp), server),
        ]
    for cursor in forged:
        _refused(c, url, params, cursor)


@pytest.mark.parametrize(("url", "params", "role", "typed"), ROUTES, ids=IDS)
def test_real_cursors_page_without_gaps(
    door: Door, url: str, params: dict[str, str], role: str | None, typed: bool
) -> None:
    c = _client(door, role)
    whole, nxt = _page(c, url, params)
    assert nxt is None and len(whole) >= 2
    walked: list[Any] = []
    cursor: str | None = None
    for _ in range(100):
        after = {"cursor": cursor} if cursor else {}
        rows, cursor = _page(c, url, {**params, "limit": 1, **after})
        walked += rows
        if cursor is None:
            break
    assert walked == whole


def test_a_cursor_for_other_filters_is_still_refused_as_such(door: Door) -> None:
    c = _client(door, "admin")
    _, real = _page(c, "/api/v1/observations", {"limit": 1})
    r = c.get("/api/v1/observations", params={"limit": 1, "cursor": real, "parameter": "a34004"})
    assert r.status_code == 422
    assert r.json()["errors"] == [
        {"field": "cursor", "reason": "was issued for other filters; start again without it"}
    ]


def test_a_cursor_outlives_a_restart_of_the_same_server(door: Door) -> None:
    """A server over another data folder refuses the cursor; a new process over the same data
    folder (a random key until its app is made) takes the cursors the last one gave."""
    url = f"/open/v1/stations/{d.ST_IN}/aqi/hourly"
    whole, _ = _page(_client(door, None), url, {})
    first, cursor = _page(_client(door, None), url, {"limit": 1})
    assert cursor is not None
    settings = Settings(data_dir=door.data_dir, open_rate_per_s=1000.0, open_burst=1000)
    other = create_app(door.con, settings=settings, data_dir=door.data_dir / "other", audit=False)
    try:
        _refused(TestClient(other, raise_server_exceptions=False), url, {}, cursor)
    finally:
        close_app(other)
    paging.use_signing_key(secrets.token_bytes(32))  # as a freshly started process has
    again = create_app(door.con, settings=settings, data_dir=door.data_dir, audit=False)
    try:
        rest, _ = _page(TestClient(again), url, {"cursor": cursor})
        assert first + rest == whole
    finally:
        close_app(again)
