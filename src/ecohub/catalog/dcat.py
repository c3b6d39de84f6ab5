"""DCAT-AP 3 export of the catalogue (JSON-LD and Turtle, through rdflib).

One ``dcat:Catalog`` (the platform), one ``dcat:Dataset`` per resource with its
``dcat:Distribution`` nodes (its rows through the API; for open data, the anonymous routes), and
the API and the open data as ``dcat:DataService`` nodes. Controlled vocabularies are the EU
Publications Office authority tables DCAT-AP names: ``access-right`` (:func:`access_right`:
PUBLIC, "publicly accessible", only for a resource published as open data; shared between
departments (无条件共享, 有条件共享) → RESTRICTED; 不予共享 → NON_PUBLIC), ``frequency``
(update cycle), ``data-theme``, ``file-type``, ``language`` and ``planned-availability``.

No local path is published: the data lake's month partitions are described as distributions of
their dataset reached through the API (its ``…/data`` route reads the lake), one node per
dataset and month.
"""

from __future__ import annotations

from typing import Any

from rdflib import BNode, Graph, Literal, Namespace, URIRef
from rdflib.namespace import DCAT, DCTERMS, FOAF, RDF, RDFS, XSD

from ecohub.catalog.dcat_format import CONTEXT
from ecohub.catalog.dcat_parts import (
    api_distribution,
    attribution_statement,
    data_service,
    lake_distribution,
    open_distributions,
    provenance_statement,
)
from ecohub.catalog.dcat_terms import (
    ADMS_LICENCE,
    ADMS_PUBLISHER,
    AUTH,
    DATA_THEME,
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
    title: str = "ecohub 生态环境信息资源目录",
    lake: dict[str, list[dict[str, Any]]] | None = None,
    bulk: dict[str, str] | None = None,
    city_rows: tuple[str, ...] = (),
    yearly: dict[str, str] | None = None,
    open_catalog: bool = False,
    publisher: tuple[str, str] = ("ecohub 生态环境数据平台", "ecohub environmental data platform"),
    modified: str | None = None,
) -> Graph:
    """The catalogue as an RDF graph. ``resources``: per dataset, ``resource`` (the definition),
    ``coverage`` (as the reader may see it), ``published``, ``issued`` (a day, ISO), ``days``
    (its time coverage is in calendar days: ``xsd:date``; else ``xsd:dateTime``, both in China
    Standard Time, as every answer of the platform), ``attribution`` (its own, CC BY 4.0
    section 3(a)), ``provenance`` (:func:`ecohub.catalog.provenance.statement`) and ``years``.

    A PUBLIC dataset (published 无条件开放) has distributions anyone can fetch: its pages
    (``/open/v1/catalog/{code}/data``), its bulk files where ``bulk`` names its table
    (``/open/v1/bulk/<name>.csv`` and ``.parquet``; the cities' rows too for ``city_rows``),
    one per year of its coverage where ``yearly`` names its table (a route template with
    ``{year}``), each with the licence and the dataset's attribution as ``dct:rights``. The
    API's page route (log-in) is a distribution in the catalogue behind the log-in, and in the
    open catalogue (``open_catalog``) only for a 有条件开放 dataset (its rows need a grant).
    ``lake``: per table, the month partitions of the data lake, each one more distribution.
    ``dct:relation`` names only datasets of this catalogue: a link a reader could not follow
    (a resource it may not see) is left out. ``modified``: when the catalogue last changed."""
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
    _catalogue(g, cat, base, platform, licence, service, open_catalog, title, publisher)
    changed = dt(modified)
    if changed is not None:
        g.add((cat, DCTERMS.modified, changed))
    data_service(
        g, service, ("ecohub API", "ecohub 数据服务接口"),
        "HTTP API (/api/v1, log-in required; /open/v1 open data without log-in).",
        "RESTRICTED", platform, base,
    )  # fmt: skip
    public = [i for i in resources if access_right(i["resource"], bool(i.get("published"))) ==
              "PUBLIC"]  # fmt: skip
    if open_catalog or public:
        g.add((cat, DCAT.service, open_service))
        data_service(
            g, open_service, ("ecohub open data", "ecohub 开放数据接口"),
            "Open data without log-in (/open/v1), rate-limited per address.",
            "PUBLIC", platform, base,
        )  # fmt: skip
        g.add((open_service, DCTERMS.license, licence))

    agents: dict[str, URIRef] = {}
    codes = {i["resource"]["code"] for i in resources}
    issued = [i["issued"] for i in resources if i.get("issued")]
    if issued:
        g.add((cat, DCTERMS.issued, Literal(min(issued), datatype=XSD.date)))
    for item in resources:
        r, cov = item["resource"], item.get("coverage") or {}
        ds = URIRef(f"{base}/api/v1/catalog/{r['code']}")
        g.add((cat, DCAT.dataset, ds))
        g.add((service, DCAT.servesDataset, ds))
        _dataset(g, ds, r, base, agents)
        right = access_right(r, bool(item.get("published")))
        g.add((ds, DCTERMS.accessRights, auth("access-right", right)))
        g.add((ds, DCTERMS.accrualPeriodicity, auth("frequency", FREQUENCY[r["update_cycle"]])))
        if item.get("issued"):
            g.add((ds, DCTERMS.issued, Literal(item["issued"], datatype=XSD.date)))
        for rel in (r.get("related") or "").split():
            if rel in codes:
                g.add((ds, DCTERMS.relation, URIRef(f"{base}/api/v1/catalog/{rel}")))
        if item.get("provenance"):
            provenance_statement(g, ds, item["provenance"], base)
        _coverage(g, ds, cov, bool(item.get("days")))
        if right != "PUBLIC" or not open_catalog:
            api_distribution(g, ds, r, item, service, licence)
        if right == "PUBLIC":
            g.add((open_service, DCAT.servesDataset, ds))
            rights = attribution_statement(g, ds, item.get("attribution") or "")
            for dist in open_distributions(g, ds, r, item, base, licence, bulk or {}, city_rows,
                                           yearly or {}):  # fmt: skip
                g.add((dist, DCAT.accessService, open_service))
                g.add((dist, DCTERMS.rights, rights))
        if r.get("kind") == "table":  # a product's rows are a filter, not the partition's files
            for part in (lake or {}).get(r.get("table_name") or "", []):
                lake_distribution(g, ds, r, part, service)
    return g


def _catalogue(
    g: Graph,
    cat: URIRef,
    base: str,
    platform: URIRef,
    licence: URIRef,
    service: URIRef,
    open_catalog: bool,
    title: str,
    publisher: tuple[str, str],
) -> None:
    """The catalogue's own description. Its rights statement is about the catalogue (its
    metadata, by the publisher); each dataset's attribution is its distributions' rights."""
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
    rights = URIRef(f"{base}/#catalogue-rights")
    g.add((rights, RDF.type, DCTERMS.RightsStatement))
    g.add(
        (
            rights,
            RDFS.label,
            Literal(
                f"目录元数据由{publisher[0]}发布；各数据集的署名见其分发的 dct:rights。", lang="zh"
            ),
        )
    )
    g.add((rights, RDFS.label, Literal(
        f"Catalogue metadata by {publisher[1]}; each data set's attribution is the rights "
        "statement (dct:rights) of its distributions.", lang="en")))  # fmt: skip
    g.add((cat, DCTERMS.rights, rights))
    g.add((cat, FOAF.homepage, URIRef(f"{base}/")))
    g.add((cat, DCTERMS.language, auth("language", "ZHO")))
    g.add((cat, DCTERMS.language, auth("language", "ENG")))
    g.add((cat, DCTERMS.license, licence))
    g.add((cat, DCAT.themeTaxonomy, URIRef(f"{AUTH}data-theme")))
    g.add((cat, DCAT.service, service))
    g.add((cat, DCTERMS.spatial, auth("country", "CHN")))


def _dataset(g: Graph, ds: URIRef, r: dict[str, Any], base: str, agents: dict[str, URIRef]) -> None:
    """A dataset's identity: code, titles, abstracts, keywords, theme, provider and contact."""
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


def _coverage(g: Graph, ds: URIRef, cov: dict[str, Any], days: bool) -> None:
    """Temporal coverage (China Standard Time: days as ``xsd:date``) and spatial coverage (the
    country, and the rows' bounding box when they have positions)."""
    start, end = dt(cov.get("time_from"), day=days), dt(cov.get("time_to"), day=days)
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
