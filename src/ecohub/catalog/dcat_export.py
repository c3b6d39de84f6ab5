"""The catalogue as DCAT-AP 3: what :func:`ecohub.catalog.dcat.graph` is given of each entry.

Two catalogues: the one behind the log-in (the entries and coverage the caller may see:
:mod:`ecohub.catalog.visibility`) and the open one for harvesters (the published open
resources, as an anonymous caller sees them).
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

import duckdb

from ecohub.access.principal import ANONYMOUS, Principal
from ecohub.catalog import dcat, dcat_format, provenance
from ecohub.catalog._time import iso
from ecohub.catalog.definitions import table_specs
from ecohub.catalog.opendata import BULK, CITY_ROWS, YEARLY, attribution_of
from ecohub.catalog.state import _summaries, coverages, definitions_seen, ensure
from ecohub.cst import CST

#: Column types whose values are calendar days (a date, or a year): such a resource's time
#: coverage is published as ``xsd:date`` on China's calendar.
DAY_TYPES = ("DATE", "INTEGER", "BIGINT", "SMALLINT")


def _publisher() -> tuple[str, str]:
    from ecohub.settings import get_settings

    s = get_settings()
    return s.publisher_name, s.publisher_name_en


def _day_tables(con: duckdb.DuckDBPyConnection) -> set[str]:
    """Tables whose time column (``tables.csv``) holds days or years, not instants."""
    types = {
        (t, c): ty
        for t, c, ty in con.execute(
            "SELECT table_name, column_name, data_type FROM duckdb_columns() "
            "WHERE database_name = current_database() AND schema_name = 'main'"
        ).fetchall()
    }
    out = set()
    for table, spec in table_specs().items():
        column = (spec.get("time_column") or "").partition(":")[0]
        if column and types.get((table, column)) in DAY_TYPES:
            out.add(table)
    return out


def _modified(con: duckdb.DuckDBPyConnection, codes: list[str]) -> str | None:
    """When what the catalogue says of ``codes`` last changed (CST ISO time): a definition, a
    publication, a producer's run, a device heard from. Not the moment of the request: the
    same catalogue is the same document (``ETag``)."""
    if not codes:
        return None
    marks = ", ".join("?" for _ in codes)
    row = con.execute(
        f"""SELECT greatest(
            (SELECT max(defined_at) FROM catalog_resource WHERE code IN ({marks})),
            (SELECT max(acted_at) FROM catalog_publication WHERE code IN ({marks})),
            (SELECT max(recorded_at) FROM catalog_run WHERE resource_code IN ({marks})
                AND NOT derived),
            (SELECT max(d.last_seen) FROM catalog_device d JOIN catalog_resource r
                ON r.table_name = d.table_name WHERE r.code IN ({marks})))""",
        codes * 4,
    ).fetchall()
    at = row[0][0] if row else None
    return iso(at.replace(microsecond=0)) if isinstance(at, datetime) else None


def _years(cov: dict[str, Any] | None) -> list[int]:
    """The China calendar years a coverage spans (none when its figures are withheld)."""
    if not cov or not cov.get("time_from") or not cov.get("time_to"):
        return []
    first, last = (datetime.fromisoformat(cov[k]).astimezone(CST).year
                   for k in ("time_from", "time_to"))  # fmt: skip
    return list(range(first, last + 1))


def described(
    con: duckdb.DuckDBPyConnection,
    listed: list[dict[str, Any]],
    p: Principal | None,
    *,
    attribution: str,
    publisher: tuple[str, str],
    open_data: bool = False,
) -> list[dict[str, Any]]:
    """What :func:`dcat.graph` takes of the ``listed`` entries (summaries ``p`` sees): each
    definition (times as ISO text); its coverage as ``p`` may see it; whether it is published;
    the day it was issued (China's calendar: in the open catalogue the day it was first
    published as open data, else the day it entered this platform's catalogue); whether its
    time coverage is in days; its attribution; its provenance; the years an anonymous per-year
    route serves."""
    covs = coverages(con, p)
    first = dict(
        con.execute(
            "SELECT code, min(acted_at) FROM catalog_publication WHERE action = 'publish' "
            "GROUP BY code"
        ).fetchall()
    )
    days = _day_tables(con)
    published = {s["code"]: bool(s["published"]) for s in listed}  # the same entries, by code

    def issued(r: dict[str, Any]) -> str | None:
        at = first.get(r["code"]) if open_data else r.get("defined_at")
        return at.astimezone(CST).date().isoformat() if at is not None else None

    out = []
    for r in definitions_seen(con, p):
        cov = covs.get(r["code"])
        out.append(
            {
                "resource": {k: iso(v) for k, v in r.items()},
                "coverage": cov,
                "published": published[r["code"]],
                "issued": issued(r),
                "days": r["table_name"] in days,
                "attribution": attribution_of(r, attribution, publisher),
                "provenance": provenance.statement(r["table_name"]),
                "years": _years(cov) if r["table_name"] in YEARLY else [],
            }
        )
    return out


def export_dcat(
    con: duckdb.DuckDBPyConnection,
    p: Principal,
    *,
    base: str,
    fmt: str,
    licence_url: str,
    attribution: str,
    publisher: tuple[str, str] | None = None,
) -> bytes:
    """The catalogue the caller may see as DCAT-AP 3, ``jsonld`` or ``ttl``; ``attribution``:
    that of the air monitoring data (resources.csv says which resources carry it; the others
    their provider's); ``publisher`` (zh, en): the catalogue's (default: the settings')."""
    from ecohub.settings import get_settings
    from ecohub.store import lake

    ensure(con)
    who = publisher or _publisher()
    listed = _summaries(con, p=p)
    shown = described(con, listed, p, attribution=attribution, publisher=who)
    # A lake's month partitions are its time coverage: not listed where that is withheld.
    tables = {s["resource"].get("table_name") for s in shown
              if s["coverage"] and not s["coverage"].get("withheld")} & set(lake.SPECS)  # fmt: skip
    parts = {str(t): lake.footprint(get_settings(), str(t)) for t in tables}
    g = dcat.graph(
        shown,
        base=base,
        licence_url=licence_url,
        publisher=who,
        modified=_modified(con, [s["code"] for s in listed]),
        lake=parts,
        bulk=BULK,
        city_rows=CITY_ROWS,
        yearly=YEARLY,
    )
    return dcat_format.serialize(g, fmt)


def export_open_dcat(
    con: duckdb.DuckDBPyConnection,
    *,
    base: str,
    fmt: str,
    licence_url: str,
    attribution: str,
    publisher: tuple[str, str] | None = None,
) -> bytes:
    """The open-data catalogue as DCAT-AP 3 (no principal: ``/open/v1/catalog/dcat``): the
    published 无条件开放 and 有条件开放 resources' metadata, as an anonymous caller sees it, and
    nothing else. Every PUBLIC dataset's distributions answer without log-in: its pages
    (``/open/v1/catalog/{code}/data``), its bulk files, its per-year route."""
    ensure(con)
    who = publisher or _publisher()
    listed = _summaries(con, p=ANONYMOUS)
    shown = described(con, listed, ANONYMOUS, attribution=attribution, publisher=who,
                      open_data=True)  # fmt: skip
    g = dcat.graph(
        shown,
        base=base,
        licence_url=licence_url,
        publisher=who,
        modified=_modified(con, [s["code"] for s in listed]),
        bulk=BULK,
        city_rows=CITY_ROWS,
        yearly=YEARLY,
        open_catalog=True,
    )
    return dcat_format.serialize(g, fmt)


__all__ = ["described", "export_dcat", "export_open_dcat"]
