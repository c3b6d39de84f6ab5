"""HEAD on every readable resource and the security headers, against the whole app served by
a real uvicorn on loopback (uvicorn's own HEAD handling is part of what is tested)."""

from __future__ import annotations

import json
import math
from collections.abc import Iterator

import httpx
import pytest

from tests.api import door_data as d
from tests.api.door_data import Door
from tests.loopback import on_loopback


@pytest.fixture(scope="module")
def served(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[Door, str]]:
    for door in d.serve(tmp_path_factory.mktemp("basics")):
        with on_loopback(door.app) as base:
            yield door, base


def _key(door: Door, role: str = "admin") -> dict[str, str]:
    return {"Authorization": f"Bearer {door.keys[role]}"}


@pytest.mark.parametrize(
    ("path", "role"),
    [
        ("/healthz", None),  # what a load balancer's probe asks
        ("/open/v1/stations", None),
        ("/open/v1/bulk/aqi-daily.csv", None),  # a streamed download
        ("/open/v1/bulk/stations.csv", None),  # CSV: the BOM counts in both lengths
        ("/api/v1/observations?format=csv&limit=3", "admin"),
        ("/api/v1/registry/codes?format=csv", "admin"),
        ("/api/v1/stations?limit=2", "admin"),
        ("/api/v1/docs", None),
    ],
)
def test_head_answers_as_get_without_the_body(
    served: tuple[Door, str], path: str, role: str | None
) -> None:
    door, base = served
    headers = _key(door, role) if role else {}
    got = httpx.get(base + path, headers=headers)
    head = httpx.head(base + path, headers=headers)
    assert got.status_code == 200, got.text
    assert head.status_code == 200
    assert head.content == b""
    assert head.headers["content-type"] == got.headers["content-type"]
    if "content-length" in got.headers:  # a streamed answer has none
        assert head.headers["content-length"] == got.headers["content-length"]


def test_head_follows_the_get_access_rules(served: tuple[Door, str]) -> None:
    door, base = served
    # No credentials: 401 as for GET; a role the route does not admit: 403 as for GET.
    assert httpx.head(base + "/api/v1/stations").status_code == 401
    path = "/api/v1/audit"
    got = httpx.get(base + path, headers=_key(door, "analyst"))
    head = httpx.head(base + path, headers=_key(door, "analyst"))
    assert got.status_code == head.status_code == 403
    assert head.content == b""
    # A route that only takes POST still refuses HEAD (its GET is refused too).
    assert httpx.head(base + "/api/v1/auth/token").status_code == 405


def test_every_answer_carries_the_security_headers(served: tuple[Door, str]) -> None:
    door, base = served
    answers = {
        "json": httpx.get(base + "/api/v1/stations?limit=1", headers=_key(door)),
        "problem": httpx.get(base + "/api/v1/stations"),
        "open": httpx.get(base + "/open/v1/stations"),
        "console": httpx.get(base + "/", headers={"Accept": "text/html"}),
        "docs": httpx.get(base + "/api/v1/docs"),
        "static": httpx.get(base + "/static/app.js"),
    }
    assert answers["problem"].status_code == 401
    for name, r in answers.items():
        assert r.headers["x-content-type-options"] == "nosniff", name
        assert r.headers["x-frame-options"] == "DENY", name
        assert r.headers["referrer-policy"] == "no-referrer", name
    # Answers to a request with credentials are kept by no cache, shared or private (RFC 9111
    # 5.2.2.5, 5.2.2.7); open ones by any, for five minutes.
    assert answers["json"].headers["cache-control"] == "private, no-store"
    assert answers["open"].headers["cache-control"] == "public, max-age=300"
    # HTML pages have a content security policy: the console runs no inline script at all,
    # the docs page only its one start-up script; neither loads anything from elsewhere.
    console = answers["console"].headers["content-security-policy"]
    docs = answers["docs"].headers["content-security-policy"]
    assert "script-src 'self';" in console and "unsafe-inline" not in console.split("style-src")[0]
    assert "script-src 'self' 'unsafe-inline';" in docs
    for csp in (console, docs):
        assert "default-src 'self'" in csp and "frame-ancestors 'none'" in csp
        assert "http" not in csp  # no outside origin is allowed
    assert "content-security-policy" not in answers["json"].headers


def _chunks(total: int, size: int = 8192) -> Iterator[bytes]:
    yield b'{"region": "'
    for _ in range(total // size):
        yield b"x" * size
    yield b'"}'


def test_bodies_named_over_real_http(served: tuple[Door, str]) -> None:
    """What a client that streams, truncates or mislabels its body gets: 413 for a chunked body
    over the cap (no Content-Length to refuse it on: it once became a 400 "error parsing the
    body"), 400 naming the body for broken JSON (it named a character position), 415 for a
    body that is not sent as JSON."""
    door, base = served
    url = base + "/api/v1/geo/stations"
    with httpx.Client(headers=_key(door, "analyst")) as c:
        jobs = base + "/api/v1/jobs"
        big = c.post(jobs, content=_chunks(200_000), headers={"content-type": "application/json"})
        assert big.status_code == 413, big.text
        assert big.headers["content-type"] == "application/problem+json"
        assert big.json()["detail"] == "body: larger than 65536 bytes"
        # a route that takes a region's geometry takes a real outline, up to 8 MiB
        huge = c.post(url, content=_chunks(9 << 20), headers={"content-type": "application/json"})
        assert huge.status_code == 413, huge.text
        assert huge.json()["detail"] == "body: larger than 8388608 bytes"
        broken = c.post(
            url, content=b'{"region":"110105"', headers={"content-type": "application/json"}
        )
        assert broken.status_code == 400, broken.text
        assert broken.json()["errors"] == [
            {"field": "body", "reason": broken.json()["detail"].removeprefix("body: ")}
        ]
        assert broken.json()["detail"].startswith("body: not valid JSON")
        plain = c.post(url, content=b'{"region":"110105"}', headers={"content-type": "text/plain"})
        assert plain.status_code == 415, plain.text
        assert plain.json()["errors"][0]["field"] == "body"
        # a form (curl -d) to a JSON route is not JSON either
        form = c.post(url, data={"region": "110105"})
        assert form.status_code == 415, form.text
        assert form.json()["detail"].startswith("body: sent as application/x-www-form-urlencoded")
        # the log-in form still takes its form
        form = c.post(
            base + "/api/v1/auth/token", data={"username": "nobody", "password": "x" * 12}
        )
        assert form.status_code == 401, form.text


def test_a_region_outline_of_hundreds_of_kib_is_taken(served: tuple[Door, str]) -> None:
    """A drawn or uploaded outline (here a 20,000-vertex circle around Chaoyang, ~0.6 MB of
    JSON) goes to the geo routes; a body that size anywhere else is still a 413."""
    door, base = served
    n = 20_000
    ring = [
        [round(116.45 + 0.3 * math.cos(2 * math.pi * i / n), 7),
         round(39.95 + 0.2 * math.sin(2 * math.pi * i / n), 7)]
        for i in range(n)
    ]  # fmt: skip
    ring.append(ring[0])
    body = {"region": {"geojson": {"type": "Polygon", "coordinates": [ring]}}}
    assert len(json.dumps(body)) > 400_000
    with httpx.Client(headers=_key(door, "admin"), timeout=60) as c:
        r = c.post(base + "/api/v1/geo/stations", json=body)
        assert r.status_code == 200, r.text[:300]
        assert r.json()["items"] == []  # read and judged (this store's stations have no points)
        other = c.post(base + "/api/v1/jobs", json={"kind": "x", "params": {"pad": "x" * 400_000}})
        assert other.status_code == 413


@pytest.mark.parametrize(
    ("method", "path", "kwargs", "field"),
    [
        # A NUL ends a string literal in the SQL text Ibis compiles: it was a 500.
        ("GET", "/api/v1/water/assessments", {"params": {"basin": "\x00"}}, "basin"),
        ("GET", "/api/v1/water/assessments", {"params": {"basin": "海河\x00x"}}, "basin"),
        ("GET", "/api/v1/stations", {"params": {"region": "110105\x00"}}, "region"),
        ("GET", "/open/v1/stations", {"params": {"q": "\x00"}}, "q"),
        ("GET", "/api/v1/stations/A%00B", {}, "path"),
        ("POST", "/api/v1/jobs", {"json": {"kind": "water-assess", "params": {"basin": "\x00"}}},
         "params"),
    ],
)  # fmt: skip
def test_a_nul_character_is_refused_naming_its_field(
    served: tuple[Door, str], method: str, path: str, kwargs: dict, field: str
) -> None:
    door, base = served
    r = httpx.request(method, base + path, headers=_key(door), **kwargs)
    assert r.status_code == 422, r.text
    assert r.headers["content-type"].startswith("application/problem+json")
    assert r.json()["errors"][0]["field"] == field
    assert "NUL" in r.json()["errors"][0]["reason"]
