"""Region scopes that are not one division: a key region, a basin or a custom region.

A user's ``region`` is then stored as ``key:<code>`` (a key region: a set of divisions) or
``user:<code>`` (a basin or custom polygon loaded with ``ecohub geo load``), ``<code>`` being
the region's code in the ``region`` table. At log-in the scope is resolved once into a
:class:`RegionScope` carried by the :class:`~ecohub.access.Principal`:

- a key region is exactly the OR of its member divisions' prefixes, for every table;
- a basin or custom region is its polygon for tables with point coordinates (station, source,
  outlet, complaint): a point is inside when it *intersects* the polygon (on the boundary is
  inside), tested with GEOS through Shapely as :mod:`ecohub.geo.query` does, in SQL through
  the ``ecohub_in_area`` function (:func:`register`). Rows without coordinates, and tables that
  carry only a region code, fall back to the divisions lying entirely inside the polygon —
  narrower than the polygon, never wider, so nothing outside leaks.
"""

from __future__ import annotations

import contextlib
import hashlib
import threading
from collections import OrderedDict
from dataclasses import dataclass, field
from typing import Any

import duckdb
import numpy as np
import pyarrow as pa
import shapely
from duckdb import func, sqltypes

from ecohub.access._db import first
from ecohub.access.errors import InvalidInput

KINDS = {"key": ("key_region",), "user": ("basin", "custom")}
# Both caches are bounded: every drawn area or distance filter adds a geometry, and a server
# runs for months. Least recently used goes first; an area evicted while its query runs is
# unknown to ``ecohub_in_area`` and so matches nothing (narrower, never wider).
_MAX_AREAS = 512
_AREAS: OrderedDict[str, shapely.Geometry] = OrderedDict()  # area key -> prepared geometry
_SCOPES: OrderedDict[tuple[str, str], RegionScope] = OrderedDict()  # (ref, polygon sha256)
_LOCK = threading.Lock()


def _put(cache: OrderedDict[Any, Any], key: Any, value: Any) -> None:
    with _LOCK:
        cache[key] = value
        cache.move_to_end(key)
        while len(cache) > _MAX_AREAS:
            cache.popitem(last=False)


@dataclass(frozen=True)
class RegionScope:
    """A resolved non-division scope: ``prefixes`` of the divisions it covers entirely and, for
    a polygon region, its WGS84 geometry as WKB with its bounding box."""

    ref: str
    prefixes: tuple[str, ...]
    wkb: bytes | None = field(default=None, repr=False)
    bbox: tuple[float, float, float, float] | None = None

    @property
    def key(self) -> str:
        """Names the geometry for ``ecohub_in_area`` (changes when the polygon changes)."""
        return hashlib.sha256(self.wkb or b"").hexdigest()[:24]


def is_division(region: str) -> bool:
    return len(region) == 6 and region.isdigit()


def check_ref(con: duckdb.DuckDBPyConnection, region: str) -> str:
    """The canonical ``key:<code>`` / ``user:<code>`` for ``region`` (given in that form), or
    :class:`InvalidInput` naming ``region`` when no such stored region exists."""
    prefix, _, code = region.partition(":")
    if prefix not in KINDS or not code:
        raise InvalidInput(
            "region",
            f"{region!r}: a six-digit GB/T 2260 code, key:<key region code> or "
            "user:<basin or custom region code> (see `ecohub geo list`)",
        )
    # The code itself, else every non-division region of that name: a name two regions share
    # is refused as the geo commands refuse it, not bound to whichever sorts first.
    rows = con.execute(
        "SELECT code, kind FROM region WHERE code = ? OR (kind <> 'division' AND name = ?) "
        "ORDER BY code = ? DESC, code",
        [code, code, code],
    ).fetchall()
    if rows and rows[0][0] != code and len(rows) > 1:
        codes = ", ".join(r[0] for r in rows)
        raise InvalidInput(
            "region", f"{region!r}: the name matches several regions ({codes}): use a code"
        )
    if not rows or rows[0][1] not in KINDS[prefix]:
        kinds = " or ".join(KINDS[prefix])
        raise InvalidInput("region", f"{region!r}: no stored {kinds} with that code or name")
    return f"{prefix}:{rows[0][0]}"


def _minimal(prefixes: list[str]) -> tuple[str, ...]:
    out: list[str] = []
    for p in sorted(set(prefixes), key=lambda s: (len(s), s)):
        if not any(p.startswith(q) for q in out):
            out.append(p)
    return tuple(sorted(out))


def region_prefix(code: str) -> str:
    """The prefix that every division code under ``code`` (and ``code`` itself) starts with."""
    if len(code) != 6 or not code.isdigit():
        raise ValueError(f"region: {code!r} is not a six-digit GB/T 2260 code")
    if code.endswith("0000"):
        return code[:2]
    if code.endswith("00"):
        return code[:4]
    return code


def load(con: duckdb.DuckDBPyConnection, region: str) -> RegionScope:
    """Resolve a stored ``key:`` / ``user:`` scope. A region that has gone (deleted since the
    user was made) resolves to an empty scope: the user then sees nothing regional."""
    prefix, _, code = region.partition(":")
    if prefix == "key":
        members = con.execute(
            "SELECT member_code FROM region_member WHERE region_code = ?", [code]
        ).fetchall()
        return RegionScope(region, _minimal([region_prefix(m) for (m,) in members]))
    row = first(
        con.execute(
            "SELECT geom_wkb FROM region WHERE code = ? AND kind IN ('basin', 'custom')", [code]
        ).fetchall()
    )
    if prefix != "user" or row is None or row[0] is None:
        return RegionScope(region, ())
    wkb = bytes(row[0])
    cache_key = (region, hashlib.sha256(wkb).hexdigest())
    cached = _SCOPES.get(cache_key)
    if cached is not None:
        with _LOCK, contextlib.suppress(KeyError):
            _SCOPES.move_to_end(cache_key)
        return cached
    geom = shapely.from_wkb(wkb)
    shapely.prepare(geom)
    x0, y0, x1, y1 = (float(v) for v in geom.bounds)
    # Divisions entirely inside (covered: no point outside the polygon), by box first.
    cands = con.execute(
        "SELECT code, geom_wkb FROM region WHERE kind = 'division' AND geom_wkb IS NOT NULL "
        "AND xmin >= ? AND xmax <= ? AND ymin >= ? AND ymax <= ?",
        [x0, x1, y0, y1],
    ).fetchall()
    inside = [c for c, w in cands if geom.covers(shapely.from_wkb(bytes(w)))]
    scope = RegionScope(region, _minimal([region_prefix(c) for c in inside]), wkb, (x0, y0, x1, y1))
    # Resolved per request (token, API key): the polygon tests run once per region version.
    _put(_SCOPES, cache_key, scope)
    return scope


def remember(scope: RegionScope) -> str:
    """Make ``scope``'s polygon known to ``ecohub_in_area``; returns its key."""
    key = scope.key
    if key in _AREAS:
        with _LOCK, contextlib.suppress(KeyError):
            _AREAS.move_to_end(key)
    elif scope.wkb is not None:
        geom = shapely.from_wkb(scope.wkb)
        shapely.prepare(geom)
        _put(_AREAS, key, geom)
    return key


def _in_area(key: pa.Array, lon: pa.Array, lat: pa.Array) -> pa.Array:
    keys = key.to_pylist()
    karr = np.array(keys, dtype=object)
    # NULL coordinates become NaN: never inside.
    xs = np.asarray(lon.to_numpy(zero_copy_only=False), dtype=float)
    ys = np.asarray(lat.to_numpy(zero_copy_only=False), dtype=float)
    result = np.zeros(len(keys), dtype=bool)
    for k in set(keys):
        geom = _AREAS.get(k) if k is not None else None
        if geom is None:
            continue  # unknown area: nothing is inside (never wider)
        sel = karr == k
        ok = sel & np.isfinite(xs) & np.isfinite(ys)
        result[ok] = shapely.intersects_xy(geom, xs[ok], ys[ok])
    return pa.array(result, type=pa.bool_())


def register(con: duckdb.DuckDBPyConnection) -> None:
    """Define ``ecohub_in_area(key, lon, lat)`` on ``con`` (and so on its cursors)."""
    with contextlib.suppress(duckdb.CatalogException):  # already defined on this connection
        con.create_function(
            "ecohub_in_area",
            _in_area,
            [sqltypes.VARCHAR, sqltypes.DOUBLE, sqltypes.DOUBLE],
            sqltypes.BOOLEAN,
            type=func.PythonUDFType.ARROW,
            null_handling=func.FunctionNullHandling.SPECIAL,
            side_effects=False,
        )


def point_sql(
    scope: RegionScope, lon: str, lat: str, code_pred: tuple[str, list[Any]]
) -> tuple[str, list[Any]]:
    """The polygon test for a row with coordinates, the divisions rule for one without."""
    assert scope.wkb is not None and scope.bbox is not None
    key = remember(scope)
    x0, y0, x1, y1 = scope.bbox
    code, cp = code_pred
    return (
        f"(CASE WHEN {lon} IS NULL OR {lat} IS NULL THEN ({code}) ELSE ({lon} BETWEEN ? AND ? "
        f"AND {lat} BETWEEN ? AND ? AND ecohub_in_area(?, {lon}, {lat})) END)",
        [*cp, x0, x1, y0, y1, key],
    )
