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
from rdflib.namespace import DCAT, DCTERMS, FOAF, RDF, RDFS, SKOS, XSD

AUTH = "http://publications.europa.eu/resource/authority/"
DCATAP = Namespace("http://data.europa.eu/r5r/")
VCARD = Namespace("http://www.w3.org/2006/vcard/ns#")
GSP = Namespace("http://www.opengis.net/ont/geosparql#")
ADMS_PUBLISHER = Namespace("http://purl.org/adms/publishertype/")
ADMS_LICENCE = Namespace("http://purl.org/adms/licencetype/")

#: Sharing type → access right of a resource that is not open data (PUBLIC needs publication).
ACCESS_RIGHTS = {"无条件共享": "RESTRICTED", "有条件共享": "RESTRICTED", "不予共享": "NON_PUBLIC"}
FREQUENCY = {
    "实时": "CONT",
    "每小时": "HOURLY",
    "每日": "DAILY",
    "每月": "MONTHLY",
    "每年": "ANNUAL",
    "不定期": "IRREG",
}
#: Our themes on the EU data-theme table: everything environmental is ENVI.
DATA_THEME = {"政务管理": "GOVE"}
MEDIA_TYPES = {"jsonld": "application/ld+json", "ttl": "text/turtle"}
CONTEXT = {
    "dcat": str(DCAT),
    "dct": str(DCTERMS),
    "foaf": str(FOAF),
    "vcard": str(VCARD),
    "dcatap": str(DCATAP),
    "skos": str(SKOS),
    "xsd": str(XSD),
    "gsp": str(GSP),
}


def access_right(resource: dict[str, Any], published: bool) -> str:
    """The EU access-right code of a resource: PUBLIC means anyone may access it, which is true
    only of published 无条件开放 data; published 有条件开放 data (given to applicants who meet
    its conditions) and sharing between departments are RESTRICTED."""
    if published and resource.get("open_type") == "无条件开放":
        return "PUBLIC"
    if published and resource.get("open_type") == "有条件开放":
        return "RESTRICTED"
    return ACCESS_RIGHTS[resource["sharing_type"]]


def _auth(table: str, code: str) -> URIRef:
    return URIRef(f"{AUTH}{table}/{code}")


def _dt(value: str | None) -> Literal | None:
    if not value:
        return None
    return Literal(datetime.fromisoformat(value).astimezone(UTC).isoformat(), datatype=XSD.dateTime)


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


#: The IANA media types register (DCAT-AP: dcat:mediaType is one of its IRIs).
IANA = "https://www.iana.org/assignments/media-types"
#: Bulk formats of the open data: file-type code and IANA media type.
BULK_FORMATS = {
    "csv": ("CSV", f"{IANA}/text/csv"),
    "parquet": ("PARQUET", f"{IANA}/application/vnd.apache.parquet"),
}


def _data_service(
    g: Graph,
    node: URIRef,
    titles: tuple[str, str],
    description: str,
    access: str,
    publisher: URIRef,
    base: str,
) -> None:
    """One dcat:DataService: its titles (en, zh), description, endpoint (itself) and the API's
    OpenAPI document, access right and publisher."""
    g.add((node, RDF.type, DCAT.DataService))
    g.add((node, DCTERMS.title, Literal(titles[0], lang="en")))
    g.add((node, DCTERMS.title, Literal(titles[1], lang="zh")))
    g.add((node, DCTERMS.description, Literal(description, lang="en")))
    g.add((node, DCAT.endpointURL, node))
    g.add((node, DCAT.endpointDescription, URIRef(f"{base}/api/v1/openapi.json")))
    g.add((node, DCTERMS.accessRights, _auth("access-right", access)))
    g.add((node, DCTERMS.publisher, publisher))


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
    g.add((cat, DCTERMS.language, _auth("language", "ZHO")))
    g.add((cat, DCTERMS.language, _auth("language", "ENG")))
    g.add((cat, DCTERMS.license, licence))
    g.add((cat, DCAT.themeTaxonomy, URIRef(f"{AUTH}data-theme")))
    g.add((cat, DCTERMS.modified, Literal(datetime.now(UTC).isoformat(), datatype=XSD.dateTime)))
    g.add((cat, DCAT.service, service))
    g.add((cat, DCTERMS.spatial, _auth("country", "CHN")))

    _data_service(
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
        _data_service(
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
        g.add((ds, DCAT.theme, _auth("data-theme", DATA_THEME.get(r["theme"], "ENVI"))))
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
        g.add((ds, DCTERMS.accessRights, _auth("access-right", right)))
        g.add((ds, DCTERMS.accrualPeriodicity, _auth("frequency", FREQUENCY[r["update_cycle"]])))
        if item.get("issued"):
            g.add((ds, DCTERMS.issued, Literal(item["issued"], datatype=XSD.date)))
        for rel in (r.get("related") or "").split():
            g.add((ds, DCTERMS.relation, URIRef(f"{base}/api/v1/catalog/{rel}")))
        start, end = _dt(cov.get("time_from")), _dt(cov.get("time_to"))
        if start is not None or end is not None:
            period = BNode()
            g.add((ds, DCTERMS.temporal, period))
            g.add((period, RDF.type, DCTERMS.PeriodOfTime))
            if start is not None:
                g.add((period, DCAT.startDate, start))
            if end is not None:
                g.add((period, DCAT.endDate, end))
        g.add((ds, DCTERMS.spatial, _auth("country", "CHN")))
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
        _json_pages(g, dist)
        g.add((dist, DCATAP.availability, _auth("planned-availability", "STABLE")))
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
                    _bulk_distribution(g, ds, r, file, fmt, base, licence, city=bool(scope))
                    g.add((URIRef(f"{base}/open/v1/bulk/{file}"), DCAT.accessService,
                           open_service))  # fmt: skip
        if r.get("kind") == "table":  # a product's rows are a filter, not the partition's files
            for part in (lake or {}).get(r.get("table_name") or "", []):
                _lake_distribution(g, ds, r, part, service)
    return g


def _lake_distribution(
    g: Graph, ds: URIRef, r: dict[str, Any], part: dict[str, Any], service: URIRef
) -> None:
    """One month of the resource's table in the data lake (hive-partitioned Parquet files that
    DuckDB and Spark read in place, docs/design.md "The data lake"), as the API serves it: the
    ``…/data`` route's pages of that month (``?month=``), JSON. The files themselves (their
    count, rows and bytes) are described, never linked: no file URL is published."""
    month = part["month"]
    dist = URIRef(f"{ds}#lake-{month}")
    g.add((ds, DCAT.distribution, dist))
    g.add((dist, RDF.type, DCAT.Distribution))
    g.add((dist, DCAT.accessURL, URIRef(f"{ds}/data?month={month}")))
    g.add((dist, DCAT.accessService, service))
    g.add((dist, DCTERMS.title, Literal(f"{r['name_zh']} {month}", lang="zh")))
    g.add((dist, DCTERMS.title, Literal(f"{r['name_en']} {month}", lang="en")))
    g.add((dist, DCTERMS.description, Literal(
        f"{r['name_zh']}：{month} 月的数据（中国标准时间），经接口分页读取（JSON）；数据湖中存为 "
        f"{part['files']} 个 Parquet 文件，{part['rows']} 行，{int(part['bytes'])} 字节"
        "（按 month=/bucket= 目录分区）。", lang="zh")))  # fmt: skip
    _json_pages(g, dist)
    g.add((dist, DCATAP.availability, _auth("planned-availability", "STABLE")))


def _json_pages(g: Graph, dist: URIRef) -> None:
    """A distribution served as the API's JSON pages: its format and media type."""
    g.add((dist, DCTERMS.format, _auth("file-type", "JSON")))
    g.add((dist, DCAT.mediaType, URIRef(f"{IANA}/application/json")))


def _bulk_distribution(
    g: Graph,
    ds: URIRef,
    r: dict[str, Any],
    file: str,
    fmt: str,
    base: str,
    licence: URIRef,
    *,
    city: bool = False,
) -> None:
    """An anonymous bulk download of open data: the file's URL is both access and download URL
    (pages of up to 200,000 rows; the next page's cursor in ``X-Next-Cursor``); ``city``: the
    file of the cities' rows of an AQI table."""
    url = URIRef(f"{base}/open/v1/bulk/{file}")
    code, media = BULK_FORMATS[fmt]
    whose_en, whose_zh = (" - cities", "（城市）") if city else ("", "")
    g.add((ds, DCAT.distribution, url))
    g.add((url, RDF.type, DCAT.Distribution))
    g.add((url, DCAT.accessURL, url))
    g.add((url, DCAT.downloadURL, url))
    g.add((url, DCTERMS.title, Literal(f"{r['name_en']}{whose_en} ({code})", lang="en")))
    g.add((url, DCTERMS.description, Literal(
        f"{r['name_zh']}{whose_zh}：{code} 文件，无需登录下载（每页至多 200,000 行，下一页见 "
        "X-Next-Cursor）", lang="zh")))  # fmt: skip
    g.add((url, DCTERMS.format, _auth("file-type", code)))
    g.add((url, DCAT.mediaType, URIRef(media)))
    g.add((url, DCTERMS.license, licence))
    g.add((url, DCATAP.availability, _auth("planned-availability", "STABLE")))


def serialize(g: Graph, fmt: str) -> bytes:
    """``jsonld`` (compacted with our prefixes) or ``ttl``."""
    if fmt == "ttl":
        return g.serialize(format="turtle").encode("utf-8")
    return g.serialize(format="json-ld", context=CONTEXT, indent=1).encode("utf-8")


def negotiate(accept: str | None, fmt: str | None) -> str:
    """``jsonld`` or ``ttl`` from ``?format=`` (wins) or the Accept header (default JSON-LD)."""
    if fmt is not None:
        f = fmt.lower()
        if f in ("jsonld", "json-ld", "json"):
            return "jsonld"
        if f in ("ttl", "turtle"):
            return "ttl"
        from ecohub.queries import QueryError

        raise QueryError("format", "must be jsonld or ttl")
    best, best_q = "jsonld", -1.0
    for part in (accept or "")[:1000].split(","):  # a header is short; ignore the rest
        media, _, rest = part.strip().partition(";")
        q = 1.0
        for p in rest.split(";"):
            k, _, v = p.strip().partition("=")
            if k == "q":
                try:
                    q = float(v)
                except ValueError:
                    q = 0.0
        kind = {
            "text/turtle": "ttl",
            "application/x-turtle": "ttl",
            "application/ld+json": "jsonld",
            "application/json": "jsonld",
        }.get(media.strip())
        if kind and q > best_q:
            best, best_q = kind, q
    return best
