"""Open data: the published open resources (``/open/v1/catalog``), whether an open route may
serve a table now (:func:`require_open`), and publishing / withdrawing (admin, audited)."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import duckdb

from ecohub.access import audit
from ecohub.access.principal import ANONYMOUS, Principal
from ecohub.access.scope import AccessDenied
from ecohub.catalog import definitions as defs
from ecohub.catalog import grants, provenance, resources
from ecohub.catalog._db import transaction
from ecohub.catalog.errors import Conflict
from ecohub.catalog.items import items as data_items
from ecohub.catalog.state import _summaries, definitions, ensure
from ecohub.queries import NotFound

#: Open tables with a bulk download route (``/open/v1/bulk/{dataset}.{csv|parquet}``).
BULK = {"station": "stations", "air_daily": "aqi-daily", "air_hourly_aqi": "aqi-hourly"}
#: Bulk tables whose rows are the stations' and the cities': the cities' with ``?scope=city``.
CITY_ROWS = ("air_daily", "air_hourly_aqi")
NEVER_OPEN = "不予开放"
#: Anonymous routes serving a whole open table (the first page; more through the cursor): an
#: open resource's ``data_url`` when it is published 无条件开放 (else its pages,
#: :func:`pages_url`).
ANONYMOUS_DATA = {
    "station": "/open/v1/stations",
    "air_daily": "/open/v1/bulk/aqi-daily.csv",
    "air_hourly_aqi": "/open/v1/bulk/aqi-hourly.csv",
}
#: Open tables also served one year at a time, anonymously (``{year}``: a China calendar year).
YEARLY = {
    "air_period_stat": "/open/v1/assessments/{year}",
    "air_category_days": "/open/v1/assessments/{year}",
}
#: Open to everyone once published; 有条件开放 data goes only to applicants granted it.
OPEN_TO_ALL = grants.OPEN_TO_ALL
CONDITIONAL = "有条件开放"


def require_open(con: duckdb.DuckDBPyConnection, tables: tuple[str, ...], name: str) -> None:
    """For an ``/open/v1`` route serving ``tables``: :class:`NotFound` (404, as for an unknown
    data set ``name``) unless the resource of each table is published as 无条件开放 open data
    now (a 有条件开放 resource's rows go only to holders of a grant, never anonymously)."""
    definitions(con)
    marks = ", ".join("?" for _ in tables)
    found = con.execute(
        "SELECT r.table_name, r.open_type, p.action FROM catalog_resource r "
        "LEFT JOIN (SELECT code, arg_max(action, id) AS action FROM catalog_publication "
        "GROUP BY code) p USING (code) "
        f"WHERE r.kind = 'table' AND r.table_name IN ({marks})",
        list(tables),
    ).fetchall()
    open_tables = {
        t for t, open_type, action in found if open_type == OPEN_TO_ALL and action == "publish"
    }
    if not set(tables) <= open_tables:
        raise NotFound("open data set", name)


def attribution_of(res: dict[str, Any], attribution: str, publisher: tuple[str, str]) -> str:
    """The attribution of one resource (CC BY 4.0 section 3(a): the creators of *this* data):
    ``attribution`` (the setting: the air monitoring data's, the bundled UCI sample's by
    default) for the resources resources.csv says were made from that data, else the
    resource's own provider at ``publisher`` (zh, en)."""
    if defs.attribution_source(res["code"]) == "open_attribution":
        return attribution
    provider = res.get("provider") or ""
    english = defs.providers().get(res.get("provider_code") or "", {}).get("provider_en")
    who = f"{provider}（{english}）" if english else provider
    return f"{who}，{publisher[0]} / {publisher[1]}"


def open_resources(
    con: duckdb.DuckDBPyConnection,
    *,
    licence: str = "",
    licence_url: str = "",
    attribution: str = "",
    publisher: tuple[str, str] = ("", ""),
) -> list[dict[str, Any]]:
    """The published open resources with their licence, attribution, update cycle, data items
    (with units) and provenance, as an anonymous caller sees them (for ``/open/v1``).

    ``access`` is ``open`` (无条件开放: anyone, under the licence) or ``conditional``
    (有条件开放: the metadata is public, the rows go only to applicants granted them; ``apply``
    says how, and there is no licence, download or anonymous data route). ``attribution``:
    the air monitoring data's (:func:`attribution_of`); ``publisher``: the platform's (zh, en)."""
    ensure(con)
    out = []
    for s in _summaries(con, p=ANONYMOUS):
        res = resources.get(con, s["code"]) or {}
        code = s["code"]
        everyone = s["open_type"] == OPEN_TO_ALL
        s.update(
            {
                "access": "open" if everyone else "conditional",
                "licence": (res.get("licence") or licence) if everyone else None,
                "licence_url": licence_url if everyone else None,
                "attribution": attribution_of(res, attribution, publisher),
                "abstract_zh": res.get("abstract_zh"),
                "abstract_en": res.get("abstract_en"),
                # Open to all: an anonymous route; conditionally open: the API's (a grant).
                "data_url": data_url(s) if everyone else f"/api/v1/catalog/{code}/data",
                "data_url_anonymous": everyone,
                "downloads": downloads(s) if everyone else {},
                "items": [_item(i) for i in data_items(con, code)],
            }
        )
        said = provenance.statement(s["table"])
        if said is not None:
            s["provenance"] = said
        if not everyone:
            s["apply"] = how_to_apply(code, res.get("open_conditions"))
        out.append(s)
    return out


def _item(item: dict[str, Any]) -> dict[str, Any]:
    return {k: item[k] for k in ("name", "name_zh", "unit", "standard")}


def pages_url(code: str) -> str:
    """The anonymous pages of a published 无条件开放 resource (any table or product)."""
    return f"/open/v1/catalog/{code}/data"


def data_url(s: dict[str, Any]) -> str:
    """The anonymous route serving a published 无条件开放 resource: its table's own route where
    there is one, else its pages (:func:`pages_url`; a product, a filtered view, has only
    those)."""
    own = ANONYMOUS_DATA.get(s["table"]) if s["kind"] == "table" else None
    return own or pages_url(s["code"])


def require_open_resource(con: duckdb.DuckDBPyConnection, code: str) -> dict[str, Any]:
    """Resource ``code`` if it is published as 无条件开放 open data now, else :class:`NotFound`
    (404, as for an unknown data set: a 有条件开放 resource's rows are never anonymous)."""
    definitions(con)
    res = resources.get(con, code)
    if res is None or res["open_type"] != OPEN_TO_ALL or not grants.is_published(con, code):
        raise NotFound("open data set", code)
    return res


def downloads(s: dict[str, Any]) -> dict[str, str]:
    """CSV and Parquet links of a resource whose table has a bulk route (else none)."""
    if s["kind"] != "table" or s["table"] not in BULK:
        return {}
    out = {f: f"/open/v1/bulk/{BULK[s['table']]}.{f}" for f in ("csv", "parquet")}
    if s["table"] in CITY_ROWS:  # the AQI tables hold the cities' rows beside the stations'
        out |= {f"city {f}": f"/open/v1/bulk/{BULK[s['table']]}.{f}?scope=city"
                for f in ("csv", "parquet")}  # fmt: skip
    return out


def how_to_apply(code: str, conditions: str | None) -> dict[str, Any]:
    """How to obtain a 有条件开放 resource: its open conditions (开放条件, what an applicant must
    meet), and an application (purpose, region, period) that an administrator grants, through
    the ordinary sharing flow."""
    return {
        "conditions": conditions or None,
        "url": f"/api/v1/catalog/{code}/applications",
        "method": "POST",
        "body": ["purpose", "region", "valid_from", "valid_to"],
        "who": "a signed-in user (analyst, inspector, enterprise); an administrator may file "
        "a paper application for one",
        "how": "有条件开放：提交申请（用途、区域、期限），经管理员审核同意（授权）后，"
        "在授权的区域和期限内读取数据 / conditionally open: apply (purpose, region, period); "
        "once an administrator grants it, read the rows of the granted region and period",
    }


def _publication(
    con: duckdb.DuckDBPyConnection, p: Principal, code: str, action: str
) -> dict[str, Any]:
    if p.role != "admin":
        raise AccessDenied("only an administrator publishes or withdraws resources")
    ensure(con)
    res = resources.get(con, code)
    if res is None:
        raise NotFound("resource", code)
    if action == "publish" and res["open_type"] == "不予开放":
        raise Conflict(f"resource {code} is 不予开放: it cannot be published as open data")
    with transaction(con):
        was = grants.is_published(con, code)
        changed = was != (action == "publish")
        if changed:
            con.execute(
                "INSERT INTO catalog_publication (code, action, actor, acted_at) "
                "VALUES (?, ?, ?, ?)",
                [code, action, p.name, datetime.now(UTC)],
            )
    audit.record(con, p, "admin", f"catalog:{code}/{action}", {"changed": changed})
    return {"code": code, "published": action == "publish", "changed": changed}


def publish(con: duckdb.DuckDBPyConnection, p: Principal, code: str) -> dict[str, Any]:
    """Publish a resource as open data (admin; audited). 409 for a 不予开放 resource."""
    return _publication(con, p, code, "publish")


def withdraw(con: duckdb.DuckDBPyConnection, p: Principal, code: str) -> dict[str, Any]:
    """Withdraw a resource from the open data (admin; audited)."""
    return _publication(con, p, code, "withdraw")
