"""DCAT-AP 3 export of the catalogue (JSON-LD and Turtle, through rdflib).

One ``dcat:Catalog`` (the platform), one ``dcat:Dataset`` per resource with one
``dcat:Distribution`` (its rows through the API), and the API itself as a ``dcat:DataService``
that serves every dataset. Controlled vocabularies are the EU Publications Office authority
tables DCAT-AP names: ``access-right`` (:func:`access_right`: PUBLIC, "publicly accessible",
only for a resource published as open data; shared between departments (无条件共享, 有条件共享)
→ RESTRICTED; 不予共享 → NON_PUBLIC), ``frequency`` (update cycle), ``data-theme``,
``file-type``, ``language`` and ``planned-availability``.

No local path is published: the data lake's month partitions are described as distributions of
their dataset reached through the API (its ``…/data`` route reads the lake), one node per
dataset and month.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from rdflib import BNode, Graph, Literal, Namespace, URIRef
from rdflib.namespace import DCAT, DCTERMS, FOAF, RDF, RDFS, XSD

from ecohub.catalog.dcat_format import CONTEXT
from ecohub.catalog.dcat_parts import bulk_distribution, data_service, json_pages, lake_distribution
from ecohub.catalog.dcat_terms import (
    ADMS_LICENCE,
    ADMS_PUBLISHER,
    AUTH,
    BULK_FORMATS,
    DATA_THEME,
    DCATAP,
    FREQUENCY,
    GSP,
    VCARD,
    access_right,
    auth,
    dt,
)


def base_url(settings: Any) -> str:
    """The address the platform publishes IRIs under: the ``public_url`` setting, else the
    server's own configured ``http_host`` and ``http_port`` (https with TLS files), never a
    request's ``Host`` header (which the client chooses)."""
    if settings.public_url:
        return str(settings.public_url).rstrip("/")
    tls = settings.http_ssl_certfile and settings.http_ssl_keyfile
    host = str(settings.http_host)
    if ":" in host and not host.startswith("["):
        host = f"[{host}]"  # an IPv6 address
    return f"{'https' if tls else 'http'}://{host}:{settings.http_port}"


def graph(
    resources: list[dict[str, Any]],
    *,
    base: str,
    licence_url: str,
    attribution: str,
    title: str = "ecohub 生态环境信息资源目录",
    lake: dict[str, list[dict[str, Any]]] | None = None,
    bulk: dict[str, str] | None = None,
    city_rows: tuple[str, ...] = (),
    open_catalog: bool = False,
    publisher: tuple[str, str] = ("ecohub 生态环境数据平台", "ecohub environmental data platform"),
) -> Graph:
    """The catalogue as an RDF graph. ``resources`` are :func:`ecohub.catalog.service.show`
    dicts (resource, coverage, published, issued: the day as ISO text). ``lake``: per table,
    the month partitions of the data lake (:func:`ecohub.store.lake.footprint`), each one more
    Parquet distribution.
    ``bulk``: table → the name of its anonymous bulk download (``/open/v1/bulk/<name>.csv``
    and ``.parquet``), two more distributions with a ``dcat:downloadURL`` each for a resource
    published as 无条件开放; for the tables in ``city_rows`` (station and city rows) two more,
    the cities' rows (``?scope=city``). ``open_catalog``: the open-data catalogue
    (``/open/v1/catalog``), with the anonymous ``/open/v1`` service beside the API."""
    base = base.rstrip("/")
    g = Graph()
    for prefix, ns in CONTEXT.items():
        g.bind(prefix, Namespace(ns))
    cat = URIRef(f"{base}/open/v1/catalog" if open_catalog else f"{base}/api/v1/catalog")
    service = URIRef(f"{base}/api/v1")
    open_service = URIRef(f"{base}/open/v1")
    licence = URIRef(licence_url)
    g.add((licence, RDF.type, DCTERMS.LicenseDocument))
    g.add((licence, DCTERMS.type, ADMS_LICENCE.Attribution))
    platform = URIRef(f"{base}/#publisher")
    g.add((platform, RDF.type, FOAF.Agent))
    g.add((platform, FOAF.name, Literal(publisher[0], lang="zh")))
    g.add((platform, FOAF.name, Literal(publisher[1], lang="en")))
    g.add((platform, DCTERMS.type, ADMS_PUBLISHER.LocalAuthority))
    rights = URIRef(f"{base}/#attribution")
    g.add((rights, RDF.type, DCTERMS.RightsStatement))
    g.add((rights, RDFS.label, Literal(attribution)))

    g.add((cat, RDF.type, DCAT.Catalog))
    if open_catalog:
        texts = (
            "ecohub 生态环境开放数据目录",
            "ecohub environmental open data catalogue",
            "已发布的开放数据：无条件开放数据可匿名下载；有条件开放数据经申请授权后提供。",
            "The published open data: unconditionally open data to download without log-in; "
            "conditionally open data supplied to applicants who are granted it.",
        )
    else:
        texts = (
            title,
            "ecohub environmental information resource catalogue",
            "生态环境数据平台的全部信息资源：数据表和数据产品，及其共享、开放属性和数据血缘。",
            "Every information resource of the platform: tables and data products, with their "
            "sharing and open-data terms and their lineage.",
        )
    g.add((cat, DCTERMS.title, Literal(texts[0], lang="zh")))
    g.add((cat, DCTERMS.title, Literal(texts[1], lang="en")))
    g.add((cat, DCTERMS.description, Literal(texts[2], lang="zh")))
    g.add((cat, DCTERMS.description, Literal(texts[3], lang="en")))
    g.add((cat, DCTERMS.publisher, platform))
    g.add((cat, DCTERMS.rights, rights))
    g.add((cat, FOAF.homepage, URIRef(f"{base}/")))
    g.add((cat, DCTERMS.language, auth("language", "ZHO")))
    g.add((cat, DCTERMS.language, auth("language", "ENG")))
    g.add((cat, DCTERMS.license, licence))
    g.add((cat, DCAT.themeTaxonomy, URIRef(f"{AUTH}data-theme")))
    g.add((cat, DCTERMS.modified, Literal(datetime.now(UTC).isoformat(), datatype=XSD.dateTime)))
    g.add((cat, DCAT.service, service))
    g.add((cat, DCTERMS.spatial, auth("country", "CHN")))

    data_service(
        g, service, ("ecohub API", "ecohub 数据服务接口"),
        "HTTP API (/api/v1, log-in required; /open/v1 open data without log-in).",
        "RESTRICTED", platform, base,
    )  # fmt: skip
    bulk = bulk or {}
    open_served = [
        i
        for i in resources
        if access_right(i["resource"], bool(i.get("published"))) == "PUBLIC"
        and i["resource"].get("kind") == "table"
        and i["resource"].get("table_name") in bulk
    ]
    if open_catalog or open_served:
        g.add((cat, DCAT.service, open_service))
        data_service(
            g, open_service, ("ecohub open data", "ecohub 开放数据接口"),
            "Open data without log-in (/open/v1), rate-limited per address.",
            "PUBLIC", platform, base,
        )  # fmt: skip
        g.add((open_service, DCTERMS.license, licence))

    agents: dict[str, URIRef] = {}
    issued = [i["issued"] for i in resources if i.get("issued")]
    if issued:
        g.add((cat, DCTERMS.issued, Literal(min(issued), datatype=XSD.date)))
    for item in resources:
        r, cov = item["resource"], item.get("coverage") or {}
        ds = URIRef(f"{base}/api/v1/catalog/{r['code']}")
        g.add((cat, DCAT.dataset, ds))
        g.add((service, DCAT.servesDataset, ds))
        g.add((ds, RDF.type, DCAT.Dataset))
        g.add((ds, DCTERMS.identifier, Literal(r["code"])))
        g.add((ds, DCTERMS.title, Literal(r["name_zh"], lang="zh")))
        g.add((ds, DCTERMS.title, Literal(r["name_en"], lang="en")))
        g.add((ds, DCTERMS.description, Literal(r["abstract_zh"], lang="zh")))
        g.add((ds, DCTERMS.description, Literal(r["abstract_en"], lang="en")))
        for kw in {r["theme"], r.get("subtheme")} - {None, ""}:
            g.add((ds, DCAT.keyword, Literal(kw, lang="zh")))
        g.add((ds, DCAT.theme, auth("data-theme", DATA_THEME.get(r["theme"], "ENVI"))))
        agent = agents.get(r["provider_code"])
        if agent is None:
            agent = agents[r["provider_code"]] = URIRef(f"{base}/#provider-{r['provider_code']}")
            g.add((agent, RDF.type, FOAF.Agent))
            g.add((agent, FOAF.name, Literal(r["provider"], lang="zh")))
            g.add((agent, DCTERMS.identifier, Literal(r["provider_code"])))
            g.add((agent, DCTERMS.type, ADMS_PUBLISHER.LocalAuthority))
            contact = URIRef(f"{base}/#contact-{r['provider_code']}")
            g.add((contact, RDF.type, VCARD.Organization))
            g.add((contact, VCARD.fn, Literal(r["provider"], lang="zh")))
            g.add((contact, VCARD.hasURL, URIRef(f"{base}/")))
        g.add((ds, DCTERMS.publisher, agent))
        g.add((ds, DCAT.contactPoint, URIRef(f"{base}/#contact-{r['provider_code']}")))
        right = access_right(r, bool(item.get("published")))
        g.add((ds, DCTERMS.accessRights, auth("access-right", right)))
        g.add((ds, DCTERMS.accrualPeriodicity, auth("frequency", FREQUENCY[r["update_cycle"]])))
        if item.get("issued"):
            g.add((ds, DCTERMS.issued, Literal(item["issued"], datatype=XSD.date)))
        for rel in (r.get("related") or "").split():
            g.add((ds, DCTERMS.relation, URIRef(f"{base}/api/v1/catalog/{rel}")))
        start, end = dt(cov.get("time_from")), dt(cov.get("time_to"))
        if start is not None or end is not None:
            period = BNode()
            g.add((ds, DCTERMS.temporal, period))
            g.add((period, RDF.type, DCTERMS.PeriodOfTime))
            if start is not None:
                g.add((period, DCAT.startDate, start))
            if end is not None:
                g.add((period, DCAT.endDate, end))
        g.add((ds, DCTERMS.spatial, auth("country", "CHN")))
        if cov.get("bbox"):
            x0, y0, x1, y1 = cov["bbox"]
            place = BNode()
            g.add((ds, DCTERMS.spatial, place))
            g.add((place, RDF.type, DCTERMS.Location))
            wkt = f"POLYGON(({x0} {y0},{x1} {y0},{x1} {y1},{x0} {y1},{x0} {y0}))"
            g.add((place, DCAT.bbox, Literal(wkt, datatype=GSP.wktLiteral)))
        dist = URIRef(f"{base}/api/v1/catalog/{r['code']}/data")
        g.add((ds, DCAT.distribution, dist))
        g.add((dist, RDF.type, DCAT.Distribution))
        g.add((dist, DCAT.accessURL, dist))
        g.add((dist, DCAT.accessService, service))
        g.add(
            (
                dist,
                DCTERMS.description,
                Literal(
                    f"{r['name_zh']}：经接口分页读取（{r.get('sharing_method') or '接口'}）",
                    lang="zh",
                ),
            )
        )
        json_pages(g, dist)
        g.add((dist, DCATAP.availability, auth("planned-availability", "STABLE")))
        if item.get("published") and r.get("open_type") == "无条件开放":
            g.add((dist, DCTERMS.license, licence))
        conditions = r.get("open_conditions") if r.get("open_type") == "有条件开放" else None
        if item.get("published") and conditions:
            # 开放条件: what an applicant must meet, as the distribution's rights statement.
            rights = URIRef(f"{ds}#open-conditions")
            g.add((rights, RDF.type, DCTERMS.RightsStatement))
            g.add((rights, RDFS.label, Literal(conditions, lang="zh")))
            g.add((dist, DCTERMS.rights, rights))
        if item in open_served:
            g.add((open_service, DCAT.servesDataset, ds))
            # The AQI tables' bulk files: the stations' rows, and the cities' (?scope=city).
            scopes = ("", "?scope=city") if r["table_name"] in city_rows else ("",)
            for fmt in BULK_FORMATS:
                for scope in scopes:
                    file = f"{bulk[r['table_name']]}.{fmt}{scope}"
                    bulk_distribution(g, ds, r, file, fmt, base, licence, city=bool(scope))
                    g.add((URIRef(f"{base}/open/v1/bulk/{file}"), DCAT.accessService,
                           open_service))  # fmt: skip
        if r.get("kind") == "table":  # a product's rows are a filter, not the partition's files
            for part in (lake or {}).get(r.get("table_name") or "", []):
                lake_distribution(g, ds, r, part, service)
    return g
