"""One items page as SQL (OGC API - Features Part 1, 7.15; Part 3 ``filter``), and reading it.

One SQL query finds a page: the caller's scope (:func:`ecohub.access.region_sql` /
:func:`~ecohub.access.source_sql`), ``bbox``, ``datetime`` and the CQL2 filter all go into its
``WHERE``, ordered by the item id (``sources``: by their place along the Hilbert curve their
table is stored in, :attr:`Collection.order`), ``limit + 1`` rows fetched to know whether a next
page exists. A box on ``sources`` (``bbox``, or an ``S_INTERSECTS`` the filter requires) reads
only the stretch of that curve the box lies on (:func:`ecohub.geo.storage.stretch_sql`).
:mod:`ecohub.geo.ogc.features` turns the rows into GeoJSON.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from functools import lru_cache
from typing import Any

import duckdb

from ecohub.access import Principal
from ecohub.geo.ogc import boxes as box_pages
from ecohub.geo.ogc import cql2, keyset
from ecohub.geo.ogc.collections import Collection, get
from ecohub.geo.ogc.errors import OgcBadRequest
from ecohub.geo.ogc.marks import PageMarks
from ecohub.geo.ogc.params import (
    CRS84_URIS,
    DEFAULT_LIMIT,
    ITEMS_PARAMS,
    MAX_LIMIT,
    MAX_OFFSET,
    bbox_sql,
    check_params,
    datetime_sql,
    parse_bbox,
    read_int,
)
from ecohub.geo.ogc.scope import scope_sql
from ecohub.geo.spatial import load_spatial
from ecohub.geo.storage import stretch_parts, stretch_sql

#: The page order of a collection stored along the Hilbert curve (``source.hkey``).
CURVE = "hkey"


def _order(c: Collection) -> str:
    return c.order or ", ".join(c.key)


_IDS = "SELECT {key} FROM {source} AS t"


def select_sql(c: Collection, source: str | None = None) -> str:
    """``SELECT`` of a feature's row from ``source`` (default: the collection's table) as
    ``t``: the item id as ``__id``, the properties in ``c.props`` order, then ``lon, lat`` or
    the boundary as GeoJSON text, and last the page order's column when the collection has its
    own (for next links: :func:`keyset.token`). The caller adds ``WHERE`` and ``ORDER BY``."""
    key = c.id_sql
    cols = ", ".join(p.sql for p in c.props)
    geom = (
        "lon, lat"
        if c.geometry == "point"
        else (
            "CASE WHEN geom_wkb IS NULL THEN NULL ELSE ST_AsGeoJSON(ST_GeomFromWKB(geom_wkb)) END"
        )
    )
    place = f", {c.order}" if c.order is not None else ""
    return f"SELECT {key} AS __id, {cols}, {geom}{place} FROM {source or c.source} AS t"


@dataclass(frozen=True)
class PageQuery:
    """One items page (``limit + 1`` rows from ``offset``), run in two steps: ``sql`` finds
    the page's item ids (reading only the columns the ``WHERE`` needs), then the rows of those
    ids are read whole. DuckDB would otherwise read every column (and make every region's
    GeoJSON) of all matching rows before keeping the page."""

    collection: Collection
    sql: str
    params: list[Any]
    limit: int
    offset: int
    spatial: bool
    scope: tuple[str, list[Any]]
    #: A large collection and no predicate but ``after`` narrows its rows (no bbox, filter,
    #: datetime or scope), so the top-N reads most of the table: a collection with its own
    #: page order then reads its page's keys first, its rows after (see :meth:`fetch`).
    wide: bool = False
    #: Boundaries (``wkb``) in a ``bbox``: ``sql`` lists every candidate (id, box inside the
    #: query box) in page order, and :func:`boxes.rows_in_box` reads the page's rows (testing
    #: the crossing ones) only as far as the page needs; ``skip`` is then the offset it applies
    #: (not in the SQL).
    boxes: tuple[box_pages.Box, ...] | None = None
    skip: int = 0
    #: The table expression ``sql`` reads (``FROM <source> AS t``): the collection's own, or
    #: for a box on ``sources`` the stretch of the curve the box lies on
    #: (:func:`ecohub.geo.storage.stretch_sql`; its parameters lead ``params``).
    source: str = ""
    #: A first box page on ``sources`` read in two parts of its stretch
    #: (:func:`ecohub.geo.storage.stretch_parts`), each a table expression and the page's
    #: parameters with its own leading: the second is read only when the first holds fewer
    #: rows than the page needs.
    parts: tuple[tuple[str, list[Any]], tuple[str, list[Any]]] | None = None
    #: The page follows an ``after`` (its rank in the page order is not known).
    after: bool = False

    def fetch(
        self,
        con: duckdb.DuckDBPyConnection,
        *,
        spatial_ready: bool = False,
        marks: PageMarks | None = None,
    ) -> list[tuple[Any, ...]]:
        """The page's rows (id first), in id order. ``spatial_ready``: the caller has loaded
        DuckDB spatial into this database already (the check costs a query). ``marks``: the
        server's rank marks, which end a wide page's scan early (:mod:`.marks`)."""
        if self.spatial and not spatial_ready:
            load_spatial(con)
        c = self.collection
        source = self.source or c.source
        params = [keyset.place(con, c, self.scope, a) if isinstance(a, keyset.After) else a
                  for a in self.params]  # fmt: skip
        if c.geometry == "point":
            head = _IDS.format(key=c.id_sql, source=source)
            if self.wide and c.order is not None:
                # A wide page (next link, offset, nothing else narrows it) of a table stored
                # in its page order: the page's keys first (one narrow column), then its rows
                # as the stretch of the table between the first and the last key, which holds
                # no other row (nothing else narrows the page). Cheaper than DuckDB's own late
                # materialisation (a join on row ids): 1.4 against 1.8 ms for a next link.
                keys = self._wide_keys(con, source, head, params, marks)
                if not keys:
                    return []
                rows = con.execute(
                    f"{select_sql(c, source)} WHERE {c.order} BETWEEN CAST(? AS UBIGINT) AND "
                    f"CAST(? AS UBIGINT)",
                    [keys[0][0], keys[-1][0]],
                ).fetchall()
                # Put in page order here: DuckDB's ORDER BY of 101 rows cost 0.3 of 1.0 ms.
                rows.sort(key=_last)
                return rows
            if self.parts is not None:
                return self._in_parts(con, head)
            # Point rows are small: one statement; measured cheaper than ids-then-rows on a
            # box page (a few thousand rows match).
            return con.execute(self.sql.replace(head, select_sql(c, source), 1), params).fetchall()
        if self.boxes is not None:
            return box_pages.rows_in_box(
                con,
                con.execute(self.sql, params).fetchall(),
                self.boxes,
                select=select_sql(c),
                key=c.id_sql,
                scope=self.scope,
                order=_order(c),
                skip=self.skip,
                want=self.limit + 1,
            )
        ids = [r[0] for r in con.execute(self.sql, params).fetchall()]
        if not ids:
            return []
        scope, scope_args = self.scope
        ids_sql, ids_args = box_pages.id_list_sql(c.id_sql, [str(i) for i in ids])
        # The scope again: the rows are read in a second statement.
        return con.execute(
            f"{select_sql(c)} WHERE {ids_sql} AND ({scope}) ORDER BY {_order(c)}",
            [*ids_args, *scope_args],
        ).fetchall()

    def _wide_keys(
        self,
        con: duckdb.DuckDBPyConnection,
        source: str,
        head: str,
        params: list[Any],
        marks: PageMarks | None,
    ) -> list[tuple[Any, ...]]:
        """A wide page's keys in page order: between two rank marks when they are known
        (:meth:`PageMarks.page_keys`), else by a top-N over every key."""
        c = self.collection
        if marks is not None and not self.after and not params:
            keys = marks.page_keys(con, c, self.offset, self.limit + 1)
            if keys is not None:
                return keys
        sql = self.sql.replace(head, f"SELECT {c.order} FROM {source} AS t", 1)
        return con.execute(sql, params).fetchall()

    def _in_parts(self, con: duckdb.DuckDBPyConnection, head: str) -> list[tuple[Any, ...]]:
        """The page from the parts of its stretch in key order, the second only when the first
        holds fewer rows than the page needs (then only the rows still wanted)."""
        assert self.parts is not None
        want = self.limit + 1
        rows: list[tuple[Any, ...]] = []
        for source, params in self.parts:
            sql = self.sql.replace(head, select_sql(self.collection, source), 1)
            sql = f"{sql[: sql.rindex(' LIMIT ')]} LIMIT {want - len(rows)}"
            rows += con.execute(sql, params).fetchall()
            if len(rows) >= want:
                break
        return rows


def _last(row: tuple[Any, ...]) -> Any:
    return row[-1]


#: The share of a box whose rows a first box page on ``sources`` reads first (``parts``):
#: in a Beijing-Tianjin box of 11,468 sources the first eighth held 974 rows, and the page
#: cost 1.3 instead of 2.3 ms of DuckDB; where it holds fewer than a page, one more
#: statement (~0.2 ms) reads the rest.
FIRST_SHARE = 0.125


def page_query(p: Principal | None, collection_id: str, params: Mapping[str, str]) -> PageQuery:
    """Check the raw query parameters and build the page's SQL (scope, bbox, datetime and
    filter in its ``WHERE``); :class:`OgcBadRequest` for bad ones. A ``limit`` above the
    maximum is served as the maximum (Part 1, 7.15.3)."""
    c = get(collection_id)
    check_params(params, ITEMS_PARAMS)
    limit = read_int(params, "limit", DEFAULT_LIMIT, 1, MAX_LIMIT)
    offset = read_int(params, "offset", 0, 0, MAX_OFFSET + 1)
    if offset > MAX_OFFSET:
        raise OgcBadRequest("offset", f"must be <= {MAX_OFFSET}")
    after = keyset.after_sql(c, params["after"]) if "after" in params else None
    crs = params.get("filter-crs")
    if crs is not None and crs not in CRS84_URIS:
        raise OgcBadRequest("filter-crs", f"only {CRS84_URIS[0]} is supported")
    scope = scope_sql(c, p)
    where, args = [], []
    box = parse_bbox(params["bbox"]) if "bbox" in params else None
    cut = None if box is None or c.geometry == "point" else box_pages.parts(box)
    by_box: tuple[str, list[Any]] = ("TRUE", [])
    if cut is not None:  # boundaries: the stored boxes here, the exact test in PageQuery.fetch
        by_box = (box_pages.overlap_sql(cut), [])
    elif box is not None:
        by_box = bbox_sql(c, box)
    narrowing = (
        scope,
        by_box,
        datetime_sql(c, params["datetime"]) if "datetime" in params else ("TRUE", []),
    )
    for sql, ps in (*narrowing, after or ("TRUE", [])):
        where.append(sql)
        args += ps
    wide = c.large and all(sql == "TRUE" for sql, _ in narrowing) and "filter" not in params
    spatial = c.geometry == "wkb"
    near = [box] if box is not None and box[0] <= box[2] else []
    if "filter" in params:
        sql, fps, uses, implied = _filter_sql(params["filter"], params.get("filter-lang"), c.id)
        where.append(sql)
        args += fps
        spatial = spatial or uses
        near += [implied] if implied is not None else []
    elif "filter-lang" in params:
        cql2.check_lang(params["filter-lang"])  # no filter: only say when it is unknown
    source = c.source
    parts = None
    if near and c.order == CURVE and c.source == "source":
        # Both boxes hold every match: their overlap does (an empty overlap: no match anyway).
        x0, y0 = max(b[0] for b in near), max(b[1] for b in near)
        x1, y1 = min(b[2] for b in near), min(b[3] for b in near)
        box = (x0, y0, max(x0, x1), max(y0, y1))
        source, stretch = stretch_sql(box)
        halves = stretch_parts(box, FIRST_SHARE) if after is None and offset == 0 else None
        if halves is not None:  # a first page: the stretch's first part may hold it whole
            (a, a_ps), (b, b_ps) = halves
            parts = ((a, [*a_ps, *args]), (b, [*b_ps, *args]))
        args = [*stretch, *args]
    head = _IDS.format(key=c.id_sql, source=source)
    skip = 0 if after else offset
    conditions = " AND ".join(f"({w})" for w in where)
    if cut is not None:
        text = (
            f"SELECT {c.id_sql}, {box_pages.inside_sql(cut)} FROM {c.source} AS t "
            f"WHERE {conditions} ORDER BY {_order(c)}"
        )
        return PageQuery(c, text, args, limit, offset, True, scope, wide, cut, skip)
    # LIMIT and OFFSET are checked integers, written into the SQL: DuckDB plans a top-N
    # (no full sort) only for a constant LIMIT.
    text = (
        f"{head} WHERE {conditions} ORDER BY {_order(c)} LIMIT {int(limit) + 1} OFFSET {int(skip)}"
    )
    return PageQuery(
        c,
        text,
        args,
        limit,
        offset,
        spatial,
        scope,
        wide,
        source=source,
        parts=parts,
        after=after is not None,
    )


@lru_cache(maxsize=256)
def _filter_sql(
    text: str, lang: str | None, collection_id: str
) -> tuple[str, tuple[Any, ...], bool, tuple[float, float, float, float] | None]:
    """A filter's SQL, its parameters, whether it needs DuckDB spatial and the box it implies
    (:func:`cql2.implied_box`). Remembered for the last 256 filters (the parse and the
    translation, never a page): a client paging through one filter's result sends the same
    text with every page. A bad filter raises :class:`OgcBadRequest` each time (exceptions
    are not remembered)."""
    tree = cql2.parse(text, lang)
    sql, ps = cql2.to_sql(tree, get(collection_id))
    return sql, tuple(ps), cql2.uses_spatial(tree), cql2.implied_box(tree)
