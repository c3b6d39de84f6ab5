"""The permission matrix: every role × every route × an object inside and outside the scope.

Generated from the route table (``app.routes``): a route without an access rule in
:mod:`ecohub.api.rules`, or without a case below, fails the suite.
"""

from __future__ import annotations

import csv
import io
import itertools
import json
import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient

from ecohub.api.rules import ACCESS, OPEN, route_table
from tests.api import door_data as d
from tests.api.door_data import Door

# How to call each protected route on an object inside and outside the scoped users' scope,
# and what "outside" looks like: "404" (exactly the answer for an unknown object, 404 or the
# service's 400 "unknown station"),
# "empty" (a list route: no rows), "same" (no scoped object: both calls are the same).
Case = tuple[dict[str, Any], dict[str, Any], str]
CAT_OPEN = "30100101-00005"  # a published open catalog resource (air_daily)
APPLY_IN = {
    "purpose": "test",
    "region": d.INSIDE,
    "valid_from": "2026-01-01",
    "valid_to": "2026-01-31",
}
DAY = {"from": "2024-01-01", "to": "2024-01-01"}
NEW_USER = {"name": "{new_name}", "role": "analyst", "region": d.INSIDE, "password": d.PASSWORD}
IMPORT_FILE = "{import_file}"  # a file in the app's import folder (the door fixture makes it)


def decision(station: str) -> dict[str, Any]:
    return {"station": station, "parameter": "a34004", "time": d.FLAG_TIME.replace(" ", "T"),
            "status": "confirmed"}  # fmt: skip


# "{me}": the caller's own user; an admin files a paper application for the analyst.
APPLY_AS = {**APPLY_IN, "applicant": "{me}"}
CASES: dict[tuple[str, str], Case] = {
    ("GET", "/api/v1/complaints"): (
        {"url": f"/api/v1/complaints?region={d.INSIDE}"},
        {"url": f"/api/v1/complaints?region={d.OUTSIDE}"},
        "empty",
    ),
    ("GET", "/api/v1/complaints/hotspots"): (
        {"url": f"/api/v1/complaints/hotspots?region={d.INSIDE}"},
        {"url": f"/api/v1/complaints/hotspots?region={d.OUTSIDE}"},
        "empty",
    ),
    ("GET", "/api/v1/complaints/{complaint_id}"): (
        {"url": f"/api/v1/complaints/{d.CP_IN}"},
        {"url": f"/api/v1/complaints/{d.CP_OUT}"},
        "404",
    ),
    ("GET", "/metrics"): ({"url": "/metrics"}, {"url": "/metrics"}, "same"),
    ("GET", "/api/v1/me"): ({"url": "/api/v1/me"}, {"url": "/api/v1/me"}, "same"),
    ("GET", "/api/v1/regions"): (
        {"url": "/api/v1/regions"},
        {"url": "/api/v1/regions?parent=110100"},
        "same",
    ),
    ("GET", "/api/v1/regions/{code}"): (
        {"url": f"/api/v1/regions/{d.INSIDE}"},
        {"url": f"/api/v1/regions/{d.OUTSIDE}"},
        "same",
    ),
    ("GET", "/api/v1/stations"): (
        {"url": f"/api/v1/stations?region={d.INSIDE}"},
        {"url": f"/api/v1/stations?region={d.OUTSIDE}"},
        "empty",
    ),
    ("GET", "/api/v1/stations/{station_id}"): (
        {"url": f"/api/v1/stations/{d.ST_IN}"},
        {"url": f"/api/v1/stations/{d.ST_OUT}"},
        "404",
    ),
    ("GET", "/api/v1/observations"): (
        {"url": f"/api/v1/observations?station={d.ST_IN}"},
        {"url": f"/api/v1/observations?station={d.ST_OUT}"},
        "empty",
    ),
    ("GET", "/api/v1/air/aqi/hourly"): (
        {"url": f"/api/v1/air/aqi/hourly?station={d.ST_IN}"},
        {"url": f"/api/v1/air/aqi/hourly?station={d.ST_OUT}"},
        "404",
    ),
    ("GET", "/api/v1/air/aqi/daily"): (
        {"url": f"/api/v1/air/aqi/daily?station={d.ST_IN}"},
        {"url": f"/api/v1/air/aqi/daily?station={d.ST_OUT}"},
        "404",
    ),
    ("GET", "/api/v1/air/assessments"): (
        {"url": f"/api/v1/air/assessments?year=2024&station={d.ST_IN}"},
        {"url": f"/api/v1/air/assessments?year=2024&station={d.ST_OUT}"},
        "404",
    ),
    ("GET", "/api/v1/water/classes"): (
        {"url": f"/api/v1/water/classes?station={d.ST_IN}"},
        {"url": f"/api/v1/water/classes?station={d.ST_OUT}"},
        "empty",
    ),
    ("GET", "/api/v1/water/assessments"): (
        {"url": f"/api/v1/water/assessments?region={d.INSIDE}"},
        {"url": f"/api/v1/water/assessments?region={d.OUTSIDE}"},
        "same",
    ),
    ("GET", "/api/v1/trend"): (
        {"url": f"/api/v1/trend?station={d.ST_IN}"},
        {"url": f"/api/v1/trend?station={d.ST_OUT}"},
        "404",
    ),
    ("GET", "/api/v1/hj212/devices"): (
        {"url": "/api/v1/hj212/devices"},
        {"url": "/api/v1/hj212/devices"},
        "mn",
    ),
    ("GET", "/api/v1/hj212/devices/{mn}"): (
        {"url": f"/api/v1/hj212/devices/{d.MN_IN}"},
        {"url": f"/api/v1/hj212/devices/{d.MN_OUT}"},
        "404",
    ),
    ("PUT", "/api/v1/hj212/devices/{mn}"): (
        {"url": f"/api/v1/hj212/devices/{d.MN_IN}", "json": {"interval_s": 60}},
        {"url": f"/api/v1/hj212/devices/{d.MN_OUT}", "json": {"interval_s": 60}},
        "same",
    ),
    ("PUT", "/api/v1/hj212/devices/{mn}/policy"): (
        {"url": f"/api/v1/hj212/devices/{d.MN_IN}/policy", "json": {"policy": "strict"}},
        {"url": f"/api/v1/hj212/devices/{d.MN_OUT}/policy", "json": {"policy": "strict"}},
        "404",
    ),
    ("GET", "/api/v1/hj212/emissions"): (
        {"url": f"/api/v1/hj212/emissions?mn={d.MN_IN}"},
        {"url": f"/api/v1/hj212/emissions?mn={d.MN_OUT}"},
        "empty",
    ),
    ("GET", "/api/v1/hj212/rejected"): (
        {"url": f"/api/v1/hj212/rejected?mn={d.MN_IN}"},
        {"url": f"/api/v1/hj212/rejected?mn={d.MN_OUT}"},
        "empty",
    ),
    ("GET", "/api/v1/hj212/deviations"): (
        {"url": "/api/v1/hj212/deviations"},
        {"url": "/api/v1/hj212/deviations"},
        "mn",
    ),
    ("GET", "/api/v1/registry/sources"): (
        {"url": f"/api/v1/registry/sources?source_code={d.SRC_IN}"},
        {"url": f"/api/v1/registry/sources?source_code={d.SRC_OUT}"},
        "empty",
    ),
    ("GET", "/api/v1/registry/sources/{code}"): (
        {"url": f"/api/v1/registry/sources/{d.SRC_IN}"},
        {"url": f"/api/v1/registry/sources/{d.SRC_OUT}"},
        "404",
    ),
    # OGC API - Features (ecohub.geo.ogc): lists filtered to the object, items by id.
    ("GET", "/ogc/collections/sources/items"): (
        {"url": f"/ogc/collections/sources/items?filter=source_code='{d.SRC_IN}'"},
        {"url": f"/ogc/collections/sources/items?filter=source_code='{d.SRC_OUT}'"},
        "empty",
    ),
    ("GET", "/ogc/collections/sources/items/{feature_id}"): (
        {"url": f"/ogc/collections/sources/items/{d.SRC_IN}"},
        {"url": f"/ogc/collections/sources/items/{d.SRC_OUT}"},
        "404",
    ),
    ("GET", "/ogc/collections/outlets/items"): (
        {"url": f"/ogc/collections/outlets/items?filter=source_code='{d.SRC_IN}'"},
        {"url": f"/ogc/collections/outlets/items?filter=source_code='{d.SRC_OUT}'"},
        "empty",
    ),
    ("GET", "/ogc/collections/outlets/items/{feature_id}"): (
        {"url": f"/ogc/collections/outlets/items/{d.SRC_IN}.DA001"},
        {"url": f"/ogc/collections/outlets/items/{d.SRC_OUT}.DA001"},
        "404",
    ),
    ("GET", "/ogc/collections/regions/items"): (
        {"url": f"/ogc/collections/regions/items?filter=code='{d.INSIDE}'"},
        {"url": f"/ogc/collections/regions/items?filter=code='{d.OUTSIDE}'"},
        "empty",
    ),
    ("GET", "/ogc/collections/regions/items/{feature_id}"): (
        {"url": f"/ogc/collections/regions/items/{d.INSIDE}"},
        {"url": f"/ogc/collections/regions/items/{d.OUTSIDE}"},
        "404",
    ),
    # ecohub.enterprise: each source has an open violation case and an approval after its data.
    ("GET", "/api/v1/sources/{code}/profile"): (
        {"url": f"/api/v1/sources/{d.SRC_IN}/profile"},
        {"url": f"/api/v1/sources/{d.SRC_OUT}/profile"},
        "404",
    ),
    ("GET", "/api/v1/sources/watchlist"): (
        {"url": f"/api/v1/sources/watchlist?region={d.INSIDE}"},
        {"url": f"/api/v1/sources/watchlist?region={d.OUTSIDE}"},
        "empty",
    ),
    ("GET", "/api/v1/sources/unapproved"): (
        {"url": f"/api/v1/sources/unapproved?region={d.INSIDE}"},
        {"url": f"/api/v1/sources/unapproved?region={d.OUTSIDE}"},
        "empty",
    ),
    ("GET", "/api/v1/cases"): (
        {"url": f"/api/v1/cases?source={d.SRC_IN}"},
        {"url": f"/api/v1/cases?source={d.SRC_OUT}"},
        "empty",
    ),
    ("GET", "/api/v1/eia"): (
        {"url": f"/api/v1/eia?source={d.SRC_IN}"},
        {"url": f"/api/v1/eia?source={d.SRC_OUT}"},
        "empty",
    ),
    ("POST", "/api/v1/jobs"): (
        {"url": "/api/v1/jobs", "json": {"kind": "air-compute"}},
        {"url": "/api/v1/jobs", "json": {"kind": "air-compute"}},
        "same",
    ),
    ("GET", "/api/v1/jobs"): ({"url": "/api/v1/jobs"}, {"url": "/api/v1/jobs"}, "same"),
    # /api/v1/geo: the test store's stations have no coordinates, so the region scope inside
    # these routes is tested in tests/api/test_geo_routes.py; here roles, 401 and 403.
    **{
        ("GET", f"/api/v1/geo/{path}"): (
            {"url": f"/api/v1/geo/{q_in}"},
            {"url": f"/api/v1/geo/{q_out}"},
            "same",
        )
        for path, q_in, q_out in (
            ("boundaries", f"boundaries?parent={d.INSIDE}", f"boundaries?parent={d.OUTSIDE}"),
            ("areas", "areas", "areas"),
            ("areas/{ref}", f"areas/{d.INSIDE}", f"areas/{d.OUTSIDE}"),
            ("levels", "levels", "levels"),
            ("limits", "limits", "limits"),
        )
    },
    **{
        ("POST", f"/api/v1/geo/{path}"): (
            {"url": f"/api/v1/geo/{path}", "method": "POST", "json": {"region": d.INSIDE}},
            {"url": f"/api/v1/geo/{path}", "method": "POST", "json": {"region": d.OUTSIDE}},
            "same",
        )
        for path in ("feature", "stations", "sources", "air", "water")
    },
    # The `ecohub geo` commands' routes; their scope: tests/api/test_geo_query_routes.py.
    ("GET", "/api/v1/geo/county"): (
        {"url": "/api/v1/geo/county?lon=116.461&lat=39.937"},
        {"url": "/api/v1/geo/county?lon=116.287&lat=39.987"},
        "same",
    ),
    ("GET", "/api/v1/geo/regions"): (
        {"url": "/api/v1/geo/regions"},
        {"url": "/api/v1/geo/regions?kind=key_region"},
        "same",
    ),
    **{
        ("POST", f"/api/v1/geo/{path}"): (
            {
                "url": f"/api/v1/geo/{path}",
                "method": "POST",
                "json": {"region": d.INSIDE, "what": "sources"},
            },
            {
                "url": f"/api/v1/geo/{path}",
                "method": "POST",
                "json": {"region": d.OUTSIDE, "what": "sources"},
            },
            "same",
        )
        for path in ("in", "summary")
    },
    ("GET", "/api/v1/jobs/{job_id}"): (
        {"url": "/api/v1/jobs/{own_job}"},
        {"url": "/api/v1/jobs/{other_job}"},
        "404",
    ),
    # Each role's job is a station load that wrote a reject file (door_data.build).
    ("GET", "/api/v1/jobs/{job_id}/rejects"): (
        {"url": "/api/v1/jobs/{own_job}/rejects"},
        {"url": "/api/v1/jobs/{other_job}/rejects"},
        "404",
    ),
    # /api/v1/supervision: findings of the sources in scope.
    **{
        ("GET", f"/api/v1/supervision/{what}"): (
            {"url": f"/api/v1/supervision/{what}?mn={d.MN_IN}"},
            {"url": f"/api/v1/supervision/{what}?mn={d.MN_OUT}"},
            "empty",
        )
        for what in ("anomalies", "exceedances")
    },
    ("POST", "/api/v1/supervision/detect"): (
        {"url": "/api/v1/supervision/detect", "method": "POST", "json": DAY},
        {"url": "/api/v1/supervision/detect", "method": "POST", "json": DAY},
        "same",
    ),
    # The job is queued (202) for any existing file in an import folder ("{import_file}"); the
    # loader then judges its rows.
    ("POST", "/api/v1/supervision/permits"): (
        {"url": "/api/v1/supervision/permits", "method": "POST", "json": {"path": IMPORT_FILE}},
        {"url": "/api/v1/supervision/permits", "method": "POST", "json": {"path": IMPORT_FILE}},
        "same",
    ),
    # /api/v1/registry for operators (admin only, the whole registry: nothing scoped). The
    # load job is queued for any file in an import folder (the loader then judges the file).
    ("POST", "/api/v1/registry/loads"): (
        {
            "url": "/api/v1/registry/loads",
            "method": "POST",
            "json": {"system": "permit", "path": IMPORT_FILE},
        },
        {
            "url": "/api/v1/registry/loads",
            "method": "POST",
            "json": {"system": "permit", "path": IMPORT_FILE},
        },
        "same",
    ),
    ("POST", "/api/v1/registry/link"): (
        {"url": "/api/v1/registry/link", "method": "POST", "json": {}},
        {"url": "/api/v1/registry/link", "method": "POST", "json": {}},
        "same",
    ),
    **{
        ("GET", f"/api/v1/registry/{what}"): (
            {"url": f"/api/v1/registry/{what}"},
            {"url": f"/api/v1/registry/{what}"},
            "same",
        )
        for what in ("review", "report", "codes")
    },
    ("POST", "/api/v1/registry/review/decision"): (
        {
            "url": "/api/v1/registry/review/decision",
            "method": "POST",
            "json": {"a": "permit:1", "b": "tax:2", "decision": "match"},
        },
        {
            "url": "/api/v1/registry/review/decision",
            "method": "POST",
            "json": {"a": "permit:1", "b": "tax:2", "decision": "match"},
        },
        "same",
    ),
    # A source's status (close / reopen) is the registry's word: admin only, like decisions.
    ("POST", "/api/v1/registry/sources/{code}/status"): (
        {
            "url": f"/api/v1/registry/sources/{d.SRC_IN}/status",
            "method": "POST",
            "json": {"status": "active", "reason": "permission matrix"},
        },
        {
            "url": f"/api/v1/registry/sources/{d.SRC_OUT}/status",
            "method": "POST",
            "json": {"status": "active", "reason": "permission matrix"},
        },
        "same",
    ),
    # Outlet registration changes the whole registry's numbering: admin only, like decisions.
    ("POST", "/api/v1/registry/outlets"): (
        {
            "url": "/api/v1/registry/outlets",
            "method": "POST",
            "json": {"source_code": d.SRC_IN, "medium": "air"},
        },
        {
            "url": "/api/v1/registry/outlets",
            "method": "POST",
            "json": {"source_code": d.SRC_OUT, "medium": "air"},
        },
        "same",
    ),
    # /api/v1/review: flags of the stations in scope.
    **{
        ("GET", f"/api/v1/review/{what}"): (
            {"url": f"/api/v1/review/{what}?station={d.ST_IN}"},
            {"url": f"/api/v1/review/{what}?station={d.ST_OUT}"},
            "empty",
        )
        for what in ("flags", "summary")
    },
    ("POST", "/api/v1/review/flags/decision"): (
        {"url": "/api/v1/review/flags/decision", "method": "POST", "json": decision(d.ST_IN)},
        {"url": "/api/v1/review/flags/decision", "method": "POST", "json": decision(d.ST_OUT)},
        "404",
    ),
    ("POST", "/api/v1/review/run"): (
        {"url": "/api/v1/review/run", "method": "POST", "json": DAY},
        {"url": "/api/v1/review/run", "method": "POST", "json": DAY},
        "same",
    ),
    # Users, keys and the audit log: admin only, nothing scoped. {new_user} / {new_key}: made
    # just before the call (a name is added once; a revoked key stays revoked).
    ("GET", "/api/v1/users"): ({"url": "/api/v1/users"}, {"url": "/api/v1/users"}, "same"),
    ("POST", "/api/v1/users"): (
        {"url": "/api/v1/users", "method": "POST", "json": NEW_USER},
        {"url": "/api/v1/users", "method": "POST", "json": NEW_USER},
        "same",
    ),
    ("POST", "/api/v1/users/{name}/disable"): (
        {"url": "/api/v1/users/{new_user}/disable", "method": "POST"},
        {"url": "/api/v1/users/{new_user}/disable", "method": "POST"},
        "same",
    ),
    ("POST", "/api/v1/users/{name}/enable"): (
        {"url": "/api/v1/users/{new_user}/enable", "method": "POST"},
        {"url": "/api/v1/users/{new_user}/enable", "method": "POST"},
        "same",
    ),
    ("POST", "/api/v1/users/{name}/password"): (
        {
            "url": "/api/v1/users/{new_user}/password",
            "method": "POST",
            "json": {"password": "a new long password"},
        },
        {
            "url": "/api/v1/users/{new_user}/password",
            "method": "POST",
            "json": {"password": "a new long password"},
        },
        "same",
    ),
    # Every role changes its own password (the caller's password is set to d.PASSWORD first).
    ("POST", "/api/v1/auth/password"): (
        {
            "url": "/api/v1/auth/password",
            "method": "POST",
            "json": {"current_password": d.PASSWORD, "new_password": "a new long password"},
        },
        {
            "url": "/api/v1/auth/password",
            "method": "POST",
            "json": {"current_password": d.PASSWORD, "new_password": "a new long password"},
        },
        "same",
    ),
    ("GET", "/api/v1/apikeys"): ({"url": "/api/v1/apikeys"}, {"url": "/api/v1/apikeys"}, "same"),
    ("POST", "/api/v1/apikeys"): (
        {"url": "/api/v1/apikeys", "method": "POST", "json": {"user": "u_analyst"}},
        {"url": "/api/v1/apikeys", "method": "POST", "json": {"user": "u_analyst"}},
        "same",
    ),
    ("POST", "/api/v1/apikeys/{key_id}/revoke"): (
        {"url": "/api/v1/apikeys/{new_key}/revoke", "method": "POST"},
        {"url": "/api/v1/apikeys/{new_key}/revoke", "method": "POST"},
        "same",
    ),
    ("GET", "/api/v1/audit"): (
        {"url": "/api/v1/audit?user=u_admin"},
        {"url": "/api/v1/audit?from=2024-01-01"},
        "same",
    ),
    ("GET", "/api/v1/audit/verify"): (
        {"url": "/api/v1/audit/verify"},
        {"url": "/api/v1/audit/verify"},
        "same",
    ),
    # /api/v1/catalog: the catalogue is reference data (same for everyone); a resource's rows
    # follow the caller's scope and grants (tests/catalog/test_sharing_api.py checks those).
    **{
        ("GET", f"/api/v1/catalog{path}"): (
            {"url": f"/api/v1/catalog{q_in}"},
            {"url": f"/api/v1/catalog{q_out}"},
            "same",
        )
        for path, q_in, q_out in (
            ("", "", "?q=PM2.5"),
            ("/dcat", "/dcat", "/dcat?format=ttl"),
            ("/{code}", f"/{CAT_OPEN}", f"/{CAT_OPEN}"),
            ("/{code}/lineage", f"/{CAT_OPEN}/lineage", f"/{CAT_OPEN}/lineage"),
            ("/{code}/data", f"/{CAT_OPEN}/data", f"/{CAT_OPEN}/data"),
            ("/applications", "/applications", f"/applications?resource={CAT_OPEN}"),
        )
    },
    ("POST", "/api/v1/catalog/{code}/applications"): (
        {"url": f"/api/v1/catalog/{CAT_OPEN}/applications", "method": "POST", "json": APPLY_AS},
        {"url": f"/api/v1/catalog/{CAT_OPEN}/applications", "method": "POST", "json": APPLY_AS},
        "same",
    ),
    # {own_app}: an application of the caller's (the admin's: one it filed for the analyst);
    # {other_app}: another user's, which only an admin may read (anyone else: as unknown).
    ("GET", "/api/v1/catalog/applications/{app_id}"): (
        {"url": "/api/v1/catalog/applications/{own_app}"},
        {"url": "/api/v1/catalog/applications/{other_app}"},
        "404",
    ),
    # {new_app}: an application the analyst files just before the call (a decision is once).
    ("POST", "/api/v1/catalog/{code}/applications/{app_id}/decision"): (
        {
            "url": f"/api/v1/catalog/{CAT_OPEN}/applications/{{new_app}}/decision",
            "method": "POST",
            "json": {"decision": "refuse", "reason": "test"},
        },
        {
            "url": f"/api/v1/catalog/{CAT_OPEN}/applications/{{new_app}}/decision",
            "method": "POST",
            "json": {"decision": "grant", "region": d.INSIDE},
        },
        "same",
    ),
    # Admin only; {granted_app}: an application filed and granted just before.
    ("POST", "/api/v1/catalog/{code}/applications/{app_id}/revocation"): (
        {
            "url": f"/api/v1/catalog/{CAT_OPEN}/applications/{{granted_app}}/revocation",
            "method": "POST",
            "json": {"reason": "test"},
        },
        {
            "url": f"/api/v1/catalog/{CAT_OPEN}/applications/{{granted_app}}/revocation",
            "method": "POST",
            "json": {"reason": "test"},
        },
        "same",
    ),
    **{
        ("POST", f"/api/v1/catalog/{path}"): (
            {"url": f"/api/v1/catalog/{url}", "method": "POST"},
            {"url": f"/api/v1/catalog/{url}", "method": "POST"},
            "same",
        )
        for path, url in (
            ("{code}/publish", f"{CAT_OPEN}/publish"),
            ("{code}/withdraw", f"{CAT_OPEN}/withdraw"),
            ("coverage/refresh", "coverage/refresh"),
        )
    },
}
# /api/v1/alerts: {fresh_alert_in|out} is an open alert made just before the call (a step is
# once per alert).
ALERT_CASES: dict[tuple[str, str], Case] = {
    ("GET", "/api/v1/alerts"): (
        {"url": f"/api/v1/alerts?mn={d.MN_IN}"},
        {"url": f"/api/v1/alerts?mn={d.MN_OUT}"},
        "empty",
    ),
    ("GET", "/api/v1/alerts/channels"): (
        {"url": "/api/v1/alerts/channels"},
        {"url": "/api/v1/alerts/channels"},
        "same",
    ),
    ("GET", "/api/v1/alerts/{alert_id}"): (
        {"url": f"/api/v1/alerts/{d.ALERT_IN}"},
        {"url": f"/api/v1/alerts/{d.ALERT_OUT}"},
        "404",
    ),
    **{
        ("POST", f"/api/v1/alerts/{{alert_id}}/{step}"): (
            {
                "url": f"/api/v1/alerts/{{fresh_alert_in}}/{step}",
                "method": "POST",
                "json": {"comment": "on it"},
            },
            {
                "url": f"/api/v1/alerts/{{fresh_alert_out}}/{step}",
                "method": "POST",
                "json": {"comment": "on it"},
            },
            "404",
        )
        for step in ("ack", "close")
    },
}
CASES.update(ALERT_CASES)


def _fresh_alert(con: Any, mn: str, source: str) -> int:
    row = con.execute(
        "INSERT INTO alert (dedup_key, kind, mn, source_code, pollutant, rule, severity, "
        "first_seen, last_seen, active, raised_at, updated_at) VALUES (?, 'finding', ?, ?, "
        "'a21026', 'constant', 'medium', now(), now(), true, now(), now()) RETURNING id",
        [f"test|{mn}", mn, source],
    ).fetchone()
    return int(row[0])


# Routes whose "in" call may legitimately answer 400 with no data in the test store: water
# assessment needs surface-water samples (it then answers the same for inside and outside).
NO_DATA_400 = {("GET", "/api/v1/water/assessments")}


@pytest.fixture(scope="module")
def door(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Door]:
    from argon2 import PasswordHasher

    from ecohub.access import users

    users.HASHER = PasswordHasher(time_cost=1, memory_cost=1024, parallelism=1)
    built = d.build(Path(tmp_path_factory.mktemp("door")))
    (built.imports / "permits.csv").write_text("permit_no\n", encoding="utf-8")
    yield built
    built.app.state.ctx.jobs.shutdown()
    built.con.close()


def _routes() -> list[tuple[str, str]]:
    from ecohub.api.app import create_app
    from ecohub.store.db import connect

    con = connect(":memory:")
    try:
        return [
            (m, p)
            for m, p, _ in route_table(
                create_app(con, data_dir="/tmp", audit=False, write_local_credential=False)
            )
        ]
    finally:
        con.close()


ROUTES = _routes()
PROTECTED = [r for r in ROUTES if r not in OPEN]


def test_every_route_has_an_access_rule_and_a_case() -> None:
    missing = [r for r in ROUTES if r not in ACCESS and r not in OPEN]
    assert not missing, f"routes without an access rule in ecohub.api.rules: {missing}"
    untested = [r for r in PROTECTED if r not in CASES]
    assert not untested, f"protected routes without a permission case: {untested}"
    stale = [r for r in [*ACCESS, *OPEN] if r not in ROUTES]
    assert not stale, f"access rules for routes that do not exist: {stale}"


_SERIAL = itertools.count(1)


def _call(client: TestClient, spec: dict[str, Any], key: str | None, door: Door, role: str) -> Any:
    other = "admin" if role != "admin" else "analyst"
    new_app = "0" * 32
    if "{new_app}" in spec["url"]:
        filed = client.post(
            f"/api/v1/catalog/{CAT_OPEN}/applications",
            json=APPLY_IN,
            headers={"Authorization": f"Bearer {door.keys['analyst']}"},
        )
        new_app = filed.json()["id"]
    apps = {"own_app": "0" * 32, "other_app": "0" * 32}
    for name in apps:
        if "{" + name + "}" in spec["url"]:
            apps[name] = _filed(client, door, role, own=name == "own_app")
    granted_app = "0" * 32
    if "{granted_app}" in spec["url"]:
        first = today()  # a grant still in force (an ended one is a 409)
        filed = client.post(
            f"/api/v1/catalog/{CAT_OPEN}/applications",
            json={**APPLY_IN, "valid_from": first.isoformat(),
                  "valid_to": (first + timedelta(days=30)).isoformat()},
            headers={"Authorization": f"Bearer {door.keys['analyst']}"},
        )  # fmt: skip
        granted_app = filed.json()["id"]
        granted = client.post(
            f"/api/v1/catalog/{CAT_OPEN}/applications/{granted_app}/decision",
            json={"decision": "grant"},
            headers={"Authorization": f"Bearer {door.keys['admin']}"},
        )
        assert granted.status_code == 200, granted.text
    made = {"new_user": "", "new_key": ""}
    if "{new_user}" in spec["url"] or "{new_key}" in spec["url"]:
        from ecohub.access import apikeys, users

        name = f"m{next(_SERIAL)}"
        users.add_user(door.con, name, "analyst", d.INSIDE, [], d.PASSWORD)
        made = {"new_user": name, "new_key": apikeys.create(door.con, name)[1].key_id}
    fresh = {"fresh_alert_in": 0, "fresh_alert_out": 0}
    for name, mn, source in (("fresh_alert_in", d.MN_IN, d.SRC_IN),
                             ("fresh_alert_out", d.MN_OUT, d.SRC_OUT)):  # fmt: skip
        if "{" + name + "}" in spec["url"]:
            fresh[name] = _fresh_alert(door.con, mn, source)
    url = spec["url"].format(
        own_job=door.jobs[role],
        other_job=door.jobs[other],
        new_app=new_app,
        granted_app=granted_app,
        **apps,
        **made,
        **fresh,
    )
    if spec["url"] == "/api/v1/auth/password" and key:
        from ecohub.access import passwords, users

        if users.get_user(door.con, f"u_{role}") is not None:
            passwords.set_password(door.con, f"u_{role}", d.PASSWORD)
    headers = {"Authorization": f"Bearer {key}"} if key else {}
    method = spec.get("method") or (
        "PUT" if "json" in spec and "jobs" not in url else ("POST" if "json" in spec else "GET")
    )
    body = spec.get("json")
    if isinstance(body, dict) and body.get("applicant") == "{me}":
        body = {**body, "applicant": "u_analyst" if role == "admin" else f"u_{role}"}
    if isinstance(body, dict) and body.get("name") == "{new_name}":
        body = {**body, "name": f"n{next(_SERIAL)}"}
    if isinstance(body, dict) and body.get("path") == IMPORT_FILE:
        body = {**body, "path": str(door.imports / "permits.csv")}
    return client.request(method, url, json=body, headers=headers)


def _filed(client: TestClient, door: Door, role: str, *, own: bool) -> str:
    """The id of an application filed for ``role``'s user (``own``; the admin files one for
    the analyst as its own, as for the public user, who may not read it) or for another user
    (filed by the admin)."""
    me = "admin" if role == "admin" else role
    if own and role not in ("admin", "public"):  # a public user applies for nothing (403)
        body, key = APPLY_IN, door.keys[role]
    else:
        applicant = "u_analyst" if own or role != "analyst" else "u_inspector"
        body, key = {**APPLY_IN, "applicant": applicant}, door.keys["admin"]
    filed = client.post(
        f"/api/v1/catalog/{CAT_OPEN}/applications",
        json=body,
        headers={"Authorization": f"Bearer {key}"},
    )
    assert filed.status_code == 201, (me, filed.text)
    return str(filed.json()["id"])


def _rows(body: Any) -> list[Any]:
    if isinstance(body, str):  # a CSV file (a job's rejects): the rows after the header
        return list(csv.reader(io.StringIO(body.removeprefix("\ufeff"))))[1:]
    if isinstance(body, list):
        return body
    for k in ("items", "days", "features"):
        if isinstance(body, dict) and k in body:
            return list(body[k])
    return [body]


@pytest.mark.parametrize("route", PROTECTED, ids=[f"{m} {p}" for m, p in PROTECTED])
def test_matrix(door: Door, route: tuple[str, str]) -> None:
    client = TestClient(door.app, raise_server_exceptions=False)
    inside, outside, kind = CASES[route]
    # No credentials: 401, whatever the route.
    r = _call(client, inside, None, door, "admin")
    assert r.status_code == 401, (route, r.text)
    assert r.headers["content-type"] == "application/problem+json"
    for role in d.ROLES:
        key = door.keys[role]
        allowed = role in ACCESS[route]
        r_in = _call(client, inside, key, door, role)
        r_out = _call(client, outside, key, door, role)
        if not allowed:
            assert (r_in.status_code, r_out.status_code) == (403, 403), (route, role, r_in.text)
            assert r_in.json()["status"] == 403
            continue
        ok = {400} if route in NO_DATA_400 else set(range(200, 300))
        assert r_in.status_code in ok, (route, role, r_in.status_code, r_in.text)
        nationwide = role == "admin"
        if kind == "same" or nationwide:
            assert r_out.status_code in ok, (route, role, r_out.status_code, r_out.text)
            if kind == "same" and route in NO_DATA_400:
                assert r_out.json() == r_in.json()  # outside answers as "no data"
            continue
        if r_in.status_code < 300 and kind != "mn":
            body = r_in.text if "text/csv" in r_in.headers["content-type"] else r_in.json()
            assert _rows(body), (route, role, "no rows inside the scope", r_in.text)
        if kind == "404":
            # Not found (404), or the service's "unknown station" (400): as for an unknown one.
            assert r_out.status_code in (400, 404), (route, role, r_out.status_code, r_out.text)

            def unknown_of(text: str) -> str:
                return (
                    text.replace(d.ST_OUT, "NoSuch")
                    .replace(d.MN_OUT, "NOSUCHMN")
                    .replace(d.SRC_OUT, "NOSUCH")
                    .replace(d.CP_OUT, "NOSUCHCP")
                    .replace(f"regions/items/{d.OUTSIDE}", "regions/items/NoSuch")
                    .replace("{other_job}", "f" * 32)
                    .replace("{other_app}", "0" * 32)
                    .replace(f"/api/v1/alerts/{d.ALERT_OUT}", "/api/v1/alerts/999999")
                    .replace("{fresh_alert_out}", "999999")
                )

            spec_unknown = {**outside, "url": unknown_of(outside["url"])}
            if "json" in outside:
                spec_unknown["json"] = json.loads(unknown_of(json.dumps(outside["json"])))
            unknown = _call(
                client,
                spec_unknown,
                key,
                door,
                role,
            )
            assert unknown.status_code == r_out.status_code

            def same(b: dict[str, Any]) -> str:
                text = json.dumps(b, sort_keys=True)
                for key_out in (
                    d.ST_OUT,
                    d.MN_OUT,
                    d.SRC_OUT,
                    d.CP_OUT,
                    f"regions '{d.OUTSIDE}'",  # an OGC region item
                    door.jobs["admin"],
                    door.jobs["analyst"],
                ):
                    text = text.replace(key_out, "KEY")
                for key_unknown in (
                    "regions 'NoSuch'",
                    "NoSuch",
                    "NOSUCHMN",
                    "NOSUCHCP",
                    "NOSUCH",
                    "f" * 32,
                ):
                    text = text.replace(key_unknown, "KEY")
                text = re.sub(r"application '[0-9a-f]{32}'", "application 'KEY'", text)
                return re.sub(r"alert '\d+'", "alert 'KEY'", text)

            assert same(unknown.json()) == same(r_out.json()), (route, role)
        elif kind == "empty":
            assert r_out.status_code == 200, (route, role, r_out.text)
            assert _rows(r_out.json()) == [], (route, role, r_out.text)
        elif kind == "mn":
            mns = {row["mn"] for row in r_in.json()}
            assert d.MN_IN in mns and d.MN_OUT not in mns, (route, role, mns)


def test_open_routes_need_no_credentials(door: Door) -> None:
    # The access matrix above withdraws CAT_OPEN (daily AQI) on its way; an open route serves
    # only published data (404 once withdrawn), so it is published again here.
    admin = TestClient(door.app, raise_server_exceptions=False)
    r = admin.post(f"/api/v1/catalog/{CAT_OPEN}/publish",
                   headers={"Authorization": f"Bearer {door.keys['admin']}"})  # fmt: skip
    assert r.status_code == 200, r.text
    client = TestClient(door.app, raise_server_exceptions=False)
    for url in (
        "/open/v1/stations",
        f"/open/v1/stations/{d.ST_IN}/aqi/daily",
        f"/open/v1/stations/{d.ST_IN}/aqi/hourly",
        "/open/v1/assessments/2024",
        "/open/v1/licence",
        "/healthz",
        "/",
    ):
        r = client.get(url)
        assert r.status_code == 200, (url, r.text)
        if url.startswith("/open/"):
            assert r.json()["licence"] == "CC BY 4.0"
            assert 'rel="license"' in r.headers["link"]


# Grants on the ordinary data routes: a user of another department (an analyst bound to
# INSIDE, and an enterprise user on a route its role may not use) reads the OUTSIDE object through
# the route once an admin grants the route's table for OUTSIDE; a grant of another resource
# opens nothing, and after the grant's last day (the door's clock moved, no sleeping) it is gone.
from datetime import date, timedelta  # noqa: E402

from ecohub.api.rules import READS  # noqa: E402
from ecohub.cst import today  # noqa: E402


def test_every_grant_route_is_a_ruled_route_with_a_case() -> None:
    assert set(READS) <= set(ACCESS) and set(READS) <= set(CASES)


def _grant(client: TestClient, door: Door, user: str, table: str) -> str:
    from ecohub.catalog import lineage, service

    service.ensure(door.con)
    code = lineage.resolve(door.con, table)
    admin = {"Authorization": f"Bearer {door.keys['admin']}"}
    start = today()
    body = {
        "purpose": "跨部门执法协查",
        "region": d.OUTSIDE,
        "valid_from": start.isoformat(),
        "valid_to": (start + timedelta(days=30)).isoformat(),
        "applicant": user,
    }
    r = client.post(f"/api/v1/catalog/{code}/applications", json=body, headers=admin)
    assert r.status_code == 201, r.text
    r = client.post(
        f"/api/v1/catalog/{code}/applications/{r.json()['id']}/decision",
        json={"decision": "grant"},
        headers=admin,
    )
    assert r.status_code == 200 and r.json()["grant"]["in_force"], r.text
    return str(r.json()["grant"]["valid_to"])


def _outside_shows(r: Any, kind: str) -> bool:
    """Whether an answer to the OUTSIDE call shows the object (not 404 / an empty list)."""
    if kind == "404":
        return r.status_code == 200
    assert r.status_code == 200, r.text
    return bool(_rows(r.json()))


@pytest.mark.parametrize("route", sorted(READS), ids=[f"{m} {p}" for m, p in sorted(READS)])
def test_a_grant_opens_the_route_for_its_region_until_its_end(
    door: Door, route: tuple[str, str]
) -> None:
    from ecohub.access import apikeys, users

    client = TestClient(door.app, raise_server_exceptions=False)
    inside, outside, kind = CASES[route]
    n = next(_SERIAL)
    keys = {}
    for role, sources in (("analyst", []), ("enterprise", [d.SRC_IN])):
        name = f"g{role[0]}{n}"
        users.add_user(door.con, name, role, d.INSIDE, sources, d.PASSWORD)
        keys[role] = (name, apikeys.create(door.con, name)[0])
    analyst, firm = keys["analyst"], keys["enterprise"]
    # Enterprise users on the routes their role may use stay bound to their own sources (the
    # source predicate is not widened; they read granted rows through /api/v1/catalog).
    firm_by_grant = "enterprise" not in ACCESS[route]
    # Before: outside is not there for the analyst; the enterprise user may not use the route.
    assert not _outside_shows(_call(client, outside, analyst[1], door, "analyst"), kind)
    if firm_by_grant:
        assert _call(client, outside, firm[1], door, "enterprise").status_code == 403
    # A grant of a resource the route does not read opens nothing.
    other = "region" if "station" not in READS[route] else "air_daily"
    _grant(client, door, analyst[0], other)
    assert not _outside_shows(_call(client, outside, analyst[1], door, "analyst"), kind)
    # The route's table granted for OUTSIDE: both read the outside object.
    end = ""
    for name, _ in (analyst, firm):
        end = _grant(client, door, name, READS[route][0])
    assert _outside_shows(_call(client, outside, analyst[1], door, "analyst"), kind), route
    assert _outside_shows(_call(client, inside, analyst[1], door, "analyst"), kind)
    if firm_by_grant:
        r = _call(client, outside, firm[1], door, "enterprise")
        assert _outside_shows(r, kind), (route, r.text)
        # In by the grant alone: its own region adds nothing.
        assert not _outside_shows(_call(client, inside, firm[1], door, "enterprise"), kind)
    # The day after the grant's last day: as before, with nobody acting.
    auth = door.app.state.auth
    after = date.fromisoformat(end) + timedelta(days=1)
    auth.today = lambda: after
    try:
        assert not _outside_shows(_call(client, outside, analyst[1], door, "analyst"), kind)
        if firm_by_grant:
            assert _call(client, outside, firm[1], door, "enterprise").status_code == 403
    finally:
        auth.today = today
