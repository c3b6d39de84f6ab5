"""The DCAT-AP vocabulary the catalogue's export uses: namespaces, the EU Publications Office
authority tables' codes for our sharing types, update cycles and themes, and the IANA media
types of the bulk files."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from rdflib import Literal, Namespace, URIRef
from rdflib.namespace import XSD

from ecohub.cst import CST

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


def access_right(resource: dict[str, Any], published: bool) -> str:
    """The EU access-right code of a resource: PUBLIC means anyone may access it, which is true
    only of published 无条件开放 data; published 有条件开放 data (given to applicants who meet
    its conditions) and sharing between departments are RESTRICTED."""
    if published and resource.get("open_type") == "无条件开放":
        return "PUBLIC"
    if published and resource.get("open_type") == "有条件开放":
        return "RESTRICTED"
    return ACCESS_RIGHTS[resource["sharing_type"]]


def auth(table: str, code: str) -> URIRef:
    """The IRI of ``code`` in the EU authority table ``table``."""
    return URIRef(f"{AUTH}{table}/{code}")


def dt(value: str | None, *, day: bool = False) -> Literal | None:
    """An ISO time as an ``xsd:dateTime`` literal in China Standard Time (``+08:00``, as every
    answer of the platform), or with ``day`` its China calendar day as ``xsd:date``; ``None``
    for no time. Harvesters (ckanext-dcat, data.europa.eu) show a time's date part: in UTC the
    first day of a Chinese record, 2013-03-01 00:00 +08:00, read as 2013-02-28."""
    if not value:
        return None
    at = datetime.fromisoformat(value)
    at = (at if at.tzinfo else at.replace(tzinfo=CST)).astimezone(CST)
    if day:
        return Literal(at.date().isoformat(), datatype=XSD.date)
    return Literal(at.isoformat(), datatype=XSD.dateTime)


#: The IANA media types register (DCAT-AP: dcat:mediaType is one of its IRIs).
IANA = "https://www.iana.org/assignments/media-types"
#: Bulk formats of the open data: file-type code and IANA media type.
BULK_FORMATS = {
    "csv": ("CSV", f"{IANA}/text/csv"),
    "parquet": ("PARQUET", f"{IANA}/application/vnd.apache.parquet"),
}
