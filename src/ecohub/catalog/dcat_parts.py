"""The nodes of a DCAT-AP graph besides datasets: the API as a data service, a dataset's month
of the data lake read through the API, and the open data's bulk files."""

from __future__ import annotations

from typing import Any

from rdflib import Graph, Literal, URIRef
from rdflib.namespace import DCAT, DCTERMS, RDF

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
