"""The catalogue's DCAT-AP graph as bytes: JSON-LD (compacted with our prefixes) or Turtle,
chosen by ``?format=`` or the Accept header."""

from __future__ import annotations

from rdflib import Graph
from rdflib.namespace import DCAT, DCTERMS, FOAF, SKOS, XSD

from ecohub.catalog.dcat_terms import DCATAP, GSP, VCARD

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
