"""CQL2 filters (OGC 21-065, with OGC API - Features Part 3) to parameterised DuckDB SQL.

The text and JSON encodings are parsed by the ``cql2`` package (its grammar follows the
standard's BNF and JSON schema) into one form, CQL2-JSON; this module walks that tree and writes
SQL. Supported: ``AND``/``OR``/``NOT``, ``= <> < <= > >=``, ``LIKE`` (``%``, ``_``, ``\\``
escape), ``IN``, ``BETWEEN``, ``IS NULL``, and ``S_INTERSECTS`` of the feature geometry with
any GeoJSON/WKT geometry literal or ``BBOX``. Properties are looked up in the collection's
whitelist (its queryables) and only their column names reach the SQL; every literal is a bound
parameter. Anything else is an :class:`OgcBadRequest` naming the reason (HTTP 400).
"""

from __future__ import annotations

import json
import math
from datetime import date, datetime
from typing import Any

import cql2
import shapely
from shapely.geometry import shape

from ecohub.geo.ogc.collections import Collection, Prop
from ecohub.geo.ogc.errors import OgcBadRequest

MAX_FILTER_CHARS = 20_000
MAX_DEPTH = 50
MAX_NOTS = 100
MAX_SIGNS = 4
LANGS = ("cql2-text", "cql2-json")
_COMPARE = {"=": "=", "<>": "<>", "<": "<", "<=": "<=", ">": ">", ">=": ">="}
_MIRROR = {"=": "=", "<>": "<>", "<": ">", "<=": ">=", ">": "<", ">=": "<="}
SUPPORTED = "and, or, not, =, <>, <, <=, >, >=, like, in, between, isNull, s_intersects"

Sql = tuple[str, list[Any]]


def check_lang(lang: str | None) -> str:
    """``filter-lang`` (default cql2-text) when this service reads it; 400 otherwise."""
    lang = lang or "cql2-text"
    if lang not in LANGS:
        raise OgcBadRequest("filter-lang", f"must be one of {', '.join(LANGS)}, got {lang[:40]!r}")
    return lang


def parse(text: str, lang: str | None) -> Any:
    """The filter as CQL2-JSON (a dict, or a bare boolean); 400 when it does not parse."""
    lang = check_lang(lang)
    if len(text) > MAX_FILTER_CHARS:
        raise OgcBadRequest("filter", f"longer than {MAX_FILTER_CHARS} characters")
    if lang == "cql2-text":
        _check_nesting(text)
    try:
        expr = cql2.parse_text(text) if lang == "cql2-text" else cql2.parse_json(text)
        # The parser accepts literals that its own conversion to CQL2-JSON then refuses (POINT
        # EMPTY: "A position must contain two or more elements"), so both calls are guarded.
        return expr.to_json()
    except Exception as exc:
        # Every error the library raises is about the filter it was given: its ParseError and
        # ValidationError, and the plain Exception its Rust core raises from a conversion.
        # The parser's message points at the offending column; long inputs are cut.
        raise OgcBadRequest("filter", f"not valid {lang}: {_short(str(exc))}") from None


def _check_nesting(text: str) -> None:
    """Refuse deep nesting before the parser sees it: the ``cql2`` text parser recurses once per
    parenthesis, ``NOT`` or sign and crashes the whole process (stack overflow) at a few
    thousand levels, which a 20,000-character filter can reach. (Its JSON parser stops at 128
    levels by itself.) Quoted strings and identifiers are skipped."""
    depth = deepest = nots = signs = 0
    quote: str | None = None
    word = ""
    for ch in text + " ":
        if quote is not None:
            if ch == quote:
                quote = None  # a doubled quote re-opens at once: same result for counting
            continue
        if ch.isalnum() or ch == "_":
            word += ch
            continue
        if word.upper() == "NOT":
            nots += 1
        if word:
            signs = 0
        word = ""
        if ch in ("'", '"'):
            quote = ch
        elif ch == "(":
            depth += 1
            deepest = max(deepest, depth)
        elif ch == ")":
            depth -= 1
        elif ch in "+-":
            signs += 1
            if signs > MAX_SIGNS:
                raise OgcBadRequest("filter", f"more than {MAX_SIGNS} signs in a row")
        elif not ch.isspace():
            signs = 0
    if deepest > MAX_DEPTH:
        raise OgcBadRequest("filter", f"parentheses nested deeper than {MAX_DEPTH} levels")
    if nots > MAX_NOTS:
        raise OgcBadRequest("filter", f"more than {MAX_NOTS} NOT operators")


def _short(message: str, limit: int = 400) -> str:
    message = " ".join(message.split())
    return message if len(message) <= limit else message[:limit] + "..."


def to_sql(tree: Any, c: Collection) -> Sql:
    """A boolean SQL expression (with its parameters) for the CQL2-JSON ``tree`` on ``c``."""
    return _node(tree, c, 0)


def _node(node: Any, c: Collection, depth: int) -> Sql:
    if depth > MAX_DEPTH:
        raise OgcBadRequest("filter", f"nested deeper than {MAX_DEPTH} levels")
    if isinstance(node, bool):
        return ("TRUE" if node else "FALSE"), []
    if not isinstance(node, dict) or "op" not in node:
        raise OgcBadRequest("filter", "expected a boolean expression (a predicate or TRUE/FALSE)")
    op = str(node["op"])
    args = node.get("args")
    if not isinstance(args, list):
        raise OgcBadRequest("filter", f"{op}: args must be a list")
    if op in ("and", "or"):
        if len(args) < 2:
            raise OgcBadRequest("filter", f"{op}: needs at least two operands")
        parts = [_node(a, c, depth + 1) for a in args]
        glue = f" {op.upper()} "
        return "(" + glue.join(s for s, _ in parts) + ")", [v for _, ps in parts for v in ps]
    if op == "not":
        _arity(op, args, 1)
        sql, params = _node(args[0], c, depth + 1)
        return f"(NOT {sql})", params
    if op in _COMPARE:
        return _compare(op, args, c)
    if op == "like":
        _arity(op, args, 2)
        prop = _prop(args[0], c, op)
        if prop.type != "string" or not isinstance(args[1], str):
            raise OgcBadRequest("filter", "like: needs a string property and a string pattern")
        # CQL2 LIKE: % any run, _ one character, \ escapes the next one (as DuckDB's ESCAPE).
        return f"({prop.sql} LIKE ? ESCAPE '\\')", [args[1]]
    if op == "in":
        _arity(op, args, 2)
        prop = _prop(args[0], c, op)
        if not isinstance(args[1], list) or not args[1]:
            raise OgcBadRequest("filter", "in: needs a non-empty list of values")
        values = [_literal(v, prop, op) for v in args[1]]
        return f"({prop.sql} IN ({', '.join('?' for _ in values)}))", values
    if op == "between":
        _arity(op, args, 3)
        prop = _prop(args[0], c, op)
        lo, hi = _literal(args[1], prop, op), _literal(args[2], prop, op)
        return f"({prop.sql} BETWEEN ? AND ?)", [lo, hi]
    if op == "isNull":
        _arity(op, args, 1)
        return f"({_prop(args[0], c, op).sql} IS NULL)", []
    if op == "s_intersects":
        _arity(op, args, 2)
        return _intersects(args, c)
    raise OgcBadRequest("filter", f"operator {op!r} is not supported (supported: {SUPPORTED})")


def _arity(op: str, args: list[Any], n: int) -> None:
    if len(args) != n:
        raise OgcBadRequest("filter", f"{op}: takes {n} operand(s), got {len(args)}")


def _is_prop(node: Any) -> bool:
    return isinstance(node, dict) and set(node) == {"property"}


def _prop(node: Any, c: Collection, op: str) -> Prop:
    if isinstance(node, dict) and isinstance(node.get("op"), str) and "args" in node:
        # CASEI / ACCENTI / a function: conformance classes this server does not claim.
        raise OgcBadRequest(
            "filter", f"{op}: {node['op'].upper()}() is not supported (only properties compared "
            "with literals; see /conformance)"
        )  # fmt: skip
    if not _is_prop(node):
        raise OgcBadRequest("filter", f"{op}: the first operand must be a property")
    name = str(node["property"])
    prop = c.prop(name)
    if prop is None:
        names = ", ".join(p.name for p in c.props)
        raise OgcBadRequest(
            "filter", f"{name[:64]!r} is not a queryable of {c.id} (queryables: {names})"
        )
    return prop


def _compare(op: str, args: list[Any], c: Collection) -> Sql:
    _arity(op, args, 2)
    left, right = args
    if not _is_prop(left) and _is_prop(right):  # 5 < lon  ==  lon > 5
        left, right, op = right, left, _MIRROR[op]
    prop = _prop(left, c, op)
    if _is_prop(right):
        raise OgcBadRequest("filter", f"{op}: comparing two properties is not supported")
    return f"({prop.sql} {_COMPARE[op]} ?)", [_literal(right, prop, op)]


def _literal(value: Any, prop: Prop, op: str) -> Any:
    """A literal checked against the property's type (a string is never compared with a number)."""
    where = f"{op} on {prop.name}"
    if prop.type == "string":
        if isinstance(value, str):
            return value
        raise OgcBadRequest("filter", f"{where}: {prop.name} is a string; the value must be too")
    if prop.type in ("number", "integer"):
        if isinstance(value, (int, float)) and not isinstance(value, bool) and math.isfinite(value):
            return value
        raise OgcBadRequest("filter", f"{where}: {prop.name} is a number; the value must be too")
    if prop.type == "boolean":
        if isinstance(value, bool):
            return value
        raise OgcBadRequest("filter", f"{where}: {prop.name} is a boolean; the value must be too")
    # timestamp
    if isinstance(value, dict) and set(value) == {"timestamp"}:
        try:
            return datetime.fromisoformat(str(value["timestamp"]))
        except ValueError:
            raise OgcBadRequest("filter", f"{where}: not an RFC 3339 timestamp") from None
    if isinstance(value, dict) and set(value) == {"date"}:
        try:
            return date.fromisoformat(str(value["date"]))
        except ValueError:
            raise OgcBadRequest("filter", f"{where}: not a date (YYYY-MM-DD)") from None
    raise OgcBadRequest("filter", f"{where}: {prop.name} is a timestamp; use TIMESTAMP() or DATE()")


def _geometry(node: Any) -> shapely.Geometry:
    """The literal as a valid WGS84 (CRS84) shapely geometry, or 400 saying why not."""
    if isinstance(node, dict) and set(node) == {"bbox"}:
        box = node["bbox"]
        if not isinstance(box, list) or len(box) not in (4, 6):
            raise OgcBadRequest("filter", "BBOX: needs 4 (or 6) numbers")
        x0, y0, x1, y1 = (
            (box[0], box[1], box[2], box[3]) if len(box) == 4 else (box[0], box[1], box[3], box[4])
        )
        _check_box(x0, y0, x1, y1, "filter")
        return shapely.box(x0, y0, x1, y1)
    if not isinstance(node, dict) or "type" not in node:
        raise OgcBadRequest("filter", "s_intersects: the second operand must be a geometry")
    _check_rings(node)
    try:
        geom = shape(node)
    except Exception as exc:  # shapely raises several types for malformed GeoJSON
        raise OgcBadRequest("filter", f"geometry: {_short(str(exc), 200)}") from None
    if geom.is_empty:
        raise OgcBadRequest("filter", "geometry: empty")
    coords = shapely.get_coordinates(geom)
    if not bool(((abs(coords[:, 0]) <= 180) & (abs(coords[:, 1]) <= 90)).all()):
        raise OgcBadRequest("filter", "geometry: coordinates must be lon, lat in CRS84")
    if not geom.is_valid:
        reason = shapely.is_valid_reason(geom)
        raise OgcBadRequest("filter", f"geometry: not valid ({reason})")
    return geom


def _check_rings(node: dict[str, Any]) -> None:
    """A polygon literal's rings as written: closed (last position = first) with at least four
    positions (RFC 7946 3.1.6; Simple Features). Shapely would close an open ring itself, so a
    three-corner "polygon" would be answered as a triangle instead of refused."""
    kind, coords = node.get("type"), node.get("coordinates")
    polygons = [coords] if kind == "Polygon" else coords if kind == "MultiPolygon" else None
    if not isinstance(polygons, list):
        return  # other types: shapely's own checks
    for i, rings in enumerate(polygons):
        for j, ring in enumerate(rings if isinstance(rings, list) else []):
            where = f"polygon {i} ring {j}" if kind == "MultiPolygon" else f"ring {j}"
            if not isinstance(ring, list) or len(ring) < 4:
                raise OgcBadRequest("filter", f"geometry: {where} needs at least 4 positions")
            if list(ring[0]) != list(ring[-1]):
                raise OgcBadRequest("filter", f"geometry: {where} is not closed (last != first)")


def _check_box(x0: Any, y0: Any, x1: Any, y1: Any, field: str) -> None:
    nums = (x0, y0, x1, y1)
    if not all(isinstance(v, (int, float)) and not isinstance(v, bool) for v in nums):
        raise OgcBadRequest(field, "bounding box values must be numbers")
    if not all(math.isfinite(v) for v in nums):
        raise OgcBadRequest(field, "bounding box values must be finite")
    if not (-180 <= x0 <= 180 and -180 <= x1 <= 180):
        raise OgcBadRequest(field, "longitudes must be within -180..180 (lon/lat, CRS84)")
    if not (-90 <= y0 <= 90 and -90 <= y1 <= 90):
        raise OgcBadRequest(field, "latitudes must be within -90..90 (lon/lat, CRS84)")
    if y0 > y1:
        raise OgcBadRequest(field, "must be lon/lat (CRS84) with min lat <= max lat")
    if x0 > x1:
        raise OgcBadRequest(field, "a box across the antimeridian is not supported in filters")


def _intersects(args: list[Any], c: Collection) -> Sql:
    target, literal = args
    if not _is_prop(target):
        target, literal = literal, target
    if not _is_prop(target) or target["property"] != "geometry":
        raise OgcBadRequest("filter", "s_intersects: one operand must be the property geometry")
    geom = _geometry(literal)
    x0, y0, x1, y1 = (float(v) for v in geom.bounds)
    wkb = shapely.to_wkb(geom)
    # The box test is implied by the intersection, so adding it is exact in any context (also
    # under NOT) and lets DuckDB drop most rows before the geometry test.
    if c.geometry == "point":
        return (
            "(lon BETWEEN ? AND ? AND lat BETWEEN ? AND ? "
            "AND ST_Intersects(ST_Point(lon, lat), ST_GeomFromWKB(?)))",
            [x0, x1, y0, y1, wkb],
        )
    return (
        "(xmax >= ? AND xmin <= ? AND ymax >= ? AND ymin <= ? "
        "AND ST_Intersects(ST_GeomFromWKB(geom_wkb), ST_GeomFromWKB(?)))",
        [x0, x1, y0, y1, wkb],
    )


def implied_box(tree: Any) -> tuple[float, float, float, float] | None:
    """A box every matching feature's geometry meets: the envelope of an ``S_INTERSECTS``
    with a literal that the filter's top-level ``AND`` requires (the first such); None when
    the filter implies none (say, under ``OR`` or ``NOT``). Call on a tree :func:`to_sql` has
    accepted."""
    if not isinstance(tree, dict):
        return None
    op, args = str(tree.get("op", "")), tree.get("args") or []
    if op == "and":
        for arg in args:
            box = implied_box(arg)
            if box is not None:
                return box
        return None
    if op != "s_intersects" or len(args) != 2:
        return None
    literal = args[1] if _is_prop(args[0]) else args[0]
    x0, y0, x1, y1 = (float(v) for v in _geometry(literal).bounds)
    return x0, y0, x1, y1


def uses_spatial(tree: Any) -> bool:
    """Whether the filter needs DuckDB spatial loaded."""
    return "s_intersects" in json.dumps(tree)


def check_box(values: tuple[float, float, float, float], field: str) -> None:
    """Shared with the ``bbox`` parameter (which does allow a box across the antimeridian)."""
    x0, y0, x1, y1 = values
    _check_box(min(x0, x1), y0, max(x0, x1), y1, field)
