"""The nodes of a DCAT-AP graph besides datasets: the API as a data service, a dataset's
distributions (its pages through the API, a month of the data lake read through the API, and
for open data its anonymous pages, bulk files and per-year route), and the statements a
dataset's distributions and provenance point to."""

from __future__ import annotations

from typing import Any

from rdflib import Graph, Literal, URIRef
from rdflib.namespace import DCAT, DCTERMS, RDF, RDFS

from ecohub.catalog.dcat_terms import BULK_FORMATS, DCATAP, IANA, auth


def data_service(
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
    g.add((node, DCTERMS.accessRights, auth("access-right", access)))
    g.add((node, DCTERMS.publisher, publisher))


def lake_distribution(
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
    json_pages(g, dist)
    g.add((dist, DCATAP.availability, auth("planned-availability", "STABLE")))


def json_pages(g: Graph, dist: URIRef) -> None:
    """A distribution served as the API's JSON pages: its format and media type."""
    g.add((dist, DCTERMS.format, auth("file-type", "JSON")))
    g.add((dist, DCAT.mediaType, URIRef(f"{IANA}/application/json")))


def bulk_distribution(
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
    g.add((url, DCTERMS.format, auth("file-type", code)))
    g.add((url, DCAT.mediaType, URIRef(media)))
    g.add((url, DCTERMS.license, licence))
    g.add((url, DCATAP.availability, auth("planned-availability", "STABLE")))


def api_distribution(
    g: Graph, ds: URIRef, r: dict[str, Any], item: dict[str, Any], service: URIRef,
    licence: URIRef,
) -> None:  # fmt: skip
    """The dataset's rows as the API's JSON pages (``/api/v1/catalog/{code}/data``: log-in,
    and the rows the reader may read); the open conditions of a published 有条件开放 resource
    as its rights statement."""
    dist = URIRef(f"{ds}/data")
    g.add((ds, DCAT.distribution, dist))
    g.add((dist, RDF.type, DCAT.Distribution))
    g.add((dist, DCAT.accessURL, dist))
    g.add((dist, DCAT.accessService, service))
    method = r.get("sharing_method") or "接口"
    g.add((dist, DCTERMS.description, Literal(
        f"{r['name_zh']}：经接口分页读取（{method}；需登录）", lang="zh")))  # fmt: skip
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


def open_distributions(
    g: Graph,
    ds: URIRef,
    r: dict[str, Any],
    item: dict[str, Any],
    base: str,
    licence: URIRef,
    bulk: dict[str, str],
    city_rows: tuple[str, ...],
    yearly: dict[str, str],
) -> list[URIRef]:
    """A PUBLIC dataset's distributions that answer without log-in; returns them: its JSON
    pages (``/open/v1/catalog/{code}/data``, any table or product), the bulk files of a table
    ``bulk`` names (the cities' rows too for ``city_rows``) and, for a table ``yearly`` names,
    one per year of its coverage (``item["years"]``)."""
    pages = URIRef(f"{base}/open/v1/catalog/{r['code']}/data")
    g.add((ds, DCAT.distribution, pages))
    g.add((pages, RDF.type, DCAT.Distribution))
    g.add((pages, DCAT.accessURL, pages))
    g.add((pages, DCTERMS.title, Literal(f"{r['name_en']} (JSON pages)", lang="en")))
    g.add((pages, DCTERMS.description, Literal(
        f"{r['name_zh']}：JSON 分页，无需登录（每页至多 10,000 行，下一页见 next_cursor）",
        lang="zh")))  # fmt: skip
    json_pages(g, pages)
    g.add((pages, DCTERMS.license, licence))
    g.add((pages, DCATAP.availability, auth("planned-availability", "STABLE")))
    out = [pages]
    table = r.get("table_name") or ""
    if r.get("kind") == "table" and table in bulk:
        # The AQI tables' bulk files: the stations' rows, and the cities' (?scope=city).
        for fmt in BULK_FORMATS:
            for scope in ("", "?scope=city") if table in city_rows else ("",):
                file = f"{bulk[table]}.{fmt}{scope}"
                bulk_distribution(g, ds, r, file, fmt, base, licence, city=bool(scope))
                out.append(URIRef(f"{base}/open/v1/bulk/{file}"))
    if r.get("kind") == "table" and table in yearly:
        for year in item.get("years") or []:
            dist = URIRef(f"{ds}#year-{year}")
            g.add((ds, DCAT.distribution, dist))
            g.add((dist, RDF.type, DCAT.Distribution))
            g.add((dist, DCAT.accessURL, URIRef(base + yearly[table].format(year=year))))
            g.add((dist, DCTERMS.title, Literal(f"{r['name_en']} {year}", lang="en")))
            g.add((dist, DCTERMS.description, Literal(
                f"{r['name_zh']}：{year} 年（JSON，无需登录；城市：?scope=city）",
                lang="zh")))  # fmt: skip
            json_pages(g, dist)
            g.add((dist, DCTERMS.license, licence))
            g.add((dist, DCATAP.availability, auth("planned-availability", "STABLE")))
            out.append(dist)
    return out


def attribution_statement(g: Graph, ds: URIRef, attribution: str) -> URIRef:
    """The dataset's attribution (CC BY 4.0 section 3(a)) as a rights statement; returns it."""
    node = URIRef(f"{ds}#attribution")
    g.add((node, RDF.type, DCTERMS.RightsStatement))
    g.add((node, RDFS.label, Literal(attribution)))
    return node


def provenance_statement(g: Graph, ds: URIRef, said: dict[str, str], base: str) -> None:
    """``dct:provenance`` of the dataset (:func:`ecohub.catalog.provenance.statement`): what it
    was made from, in both languages, with the review method's route as ``rdfs:seeAlso``."""
    node = URIRef(f"{ds}#provenance")
    g.add((ds, DCTERMS.provenance, node))
    g.add((node, RDF.type, DCTERMS.ProvenanceStatement))
    g.add((node, RDFS.label, Literal(said["zh"], lang="zh")))
    g.add((node, RDFS.label, Literal(said["en"], lang="en")))
    g.add((node, RDFS.seeAlso, URIRef(base + said["method"])))
