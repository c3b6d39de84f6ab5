"""Tests on float columns that give the same answer on every engine."""

from __future__ import annotations

import ibis
import ibis.expr.types as ir

__all__ = ["infinite"]

_INF = ibis.literal(float("inf"), "float64")


def infinite(x: ir.FloatingValue) -> ir.BooleanValue:
    """True where ``x`` is +inf or -inf, False for a number or NaN, NULL where ``x`` is NULL.

    Not Ibis's ``isinf()``: Ibis 12 compiles it to the constant ``FALSE OR FALSE`` on PySpark,
    so an infinite value passed every "finite" test there (found 2026-11-27). ``abs(x) = inf``
    reads the same on DuckDB and Spark (NaN equals no number on either)."""
    return x.abs() == _INF
