"""HJ 633-2012 / HJ 633-2026 individual indices and AQI as Ibis expressions (DuckDB and Spark).

The vectorised twin of :mod:`ecohub.standards.aqi`, driven by the same tables
(``breakpoint_table``, ``edition_rules``, ``hj633_reports.csv``, ``hj633_categories.csv``),
so both agree on every case of the standards' vectors.

Exactness: concentrations are put on an integer grid of 1e-9 (``scaled``) and everything
after that is integer arithmetic — GB/T 8170 half-even rounding (2026), Equation 1 and
its ceiling. A value exactly on a breakpoint scores exactly that breakpoint, and DuckDB
and Spark (whose float sums differ in the last bits) land on the same integers. The pure
functions read a float through its shortest decimal form; the two agree for every value
written with at most 9 decimals.
"""

from __future__ import annotations

from datetime import date, timedelta
from functools import cache
from typing import Any

import ibis
import ibis.expr.types as ir

from ecohub.analytics._floats import infinite
from ecohub.standards.aqi import POLLUTANTS, breakpoint_table, edition_rules
from ecohub.standards.editions import editions_of, load_table

__all__ = [
    "GRID",
    "POLLUTANT_COLUMNS",
    "aqi_columns",
    "by_date",
    "by_edition",
    "column_name",
    "edition_in_force",
    "edition_of",
    "half_even",
    "iaqi",
    "level_of",
    "report_keys",
    "scaled",
    "usable",
    "usable_mask",
]

# The 1e-9 grid: fine enough for any written concentration, coarse enough that the
# scaled value of the largest one we score (CLIP) times an index step (<= 100) fits int64.
GRID = 10**9
# Above every top breakpoint of HJ 633 (3840 µg/m³); larger values only need to stay there.
CLIP = 100_000.0

# Column stems of the six pollutants (``PM2.5`` -> ``pm25``), in HJ 633 table order.
POLLUTANT_COLUMNS: dict[str, str] = {p: p.lower().replace(".", "") for p in POLLUTANTS}


def column_name(key: str) -> str:
    """``"PM2.5_24h"`` -> ``"pm25_24h"``: the column holding that report value."""
    pol, per = key.rsplit("_", 1)
    return f"{POLLUTANT_COLUMNS[pol]}_{per}"


# ---------------------------------------------------------------- editions by date


def _spans(standard: str) -> list[tuple[date, date | None, int | str]]:
    return [(e.in_use_from or e.valid_from, e.valid_to, e.edition) for e in editions_of(standard)]


def by_date(day: ir.DateValue, standard: str, value_of: Any) -> ir.Value:
    """``value_of(edition)`` of the edition of ``standard`` in force on ``day``, per row.

    The dates come from :data:`ecohub.standards.editions.EDITIONS`, the one place that
    decides them; this only turns them into a CASE expression (NULL where none is in force).
    """
    branches = []
    for start, end, ed in _spans(standard):
        cond = day >= ibis.date(start)
        if end is not None:
            cond &= day < ibis.date(end + timedelta(days=1))
        branches.append((cond, value_of(ed)))
    return ibis.cases(*branches)


def edition_in_force(first: date, last: date, standard: str = "HJ633") -> int | None:
    """The one (year-named) edition of ``standard`` that judges every day ``first..last``,
    or None when the span crosses a change of edition or a day no edition covers."""
    for start, end, ed in _spans(standard):
        if start <= first and (end is None or last <= end):
            return int(ed)
    return None


def edition_of(day: ir.DateValue, standard: str = "HJ633") -> ir.IntegerValue:
    """The (year-named) edition of ``standard`` in force on ``day``, per row; NULL if none."""
    return by_date(day, standard, lambda ed: ibis.literal(int(ed), "int16"))


def by_edition(edition: ir.IntegerValue, build: Any, editions: tuple[int, ...]) -> ir.Value:
    """``build(ed)`` for the row's edition: one CASE branch per edition."""
    exprs = [build(ed) for ed in editions]
    return ibis.cases(*((edition == ed, ex) for ed, ex in zip(editions, exprs, strict=True)))


def hj633_editions() -> tuple[int, ...]:
    return tuple(int(e.edition) for e in editions_of("HJ633"))


# ---------------------------------------------------------------- numbers


def usable(x: ir.FloatingValue) -> ir.FloatingValue:
    """``x`` where it is a finite non-negative number, else NULL.

    NaN is not NULL on Spark (nor always on DuckDB) and compares above every number, so a
    NaN that slipped through would score the top of the scale; this is the one gate.
    """
    return ibis.cases((usable_mask(x), x), else_=ibis.null("float64"))


def usable_mask(x: ir.FloatingValue) -> ir.BooleanValue:
    """True where ``x`` is a finite non-negative number (what :func:`usable` keeps); never
    NULL (``notnull`` comes first: FALSE AND NULL is FALSE). A caller that adds its own
    conditions folds them into this one test, so each row is judged by one CASE instead of
    nested ones (a third of the pivot's value cost on DuckDB)."""
    return x.notnull() & ~x.isnan() & ~infinite(x) & (x >= 0)


def scaled(x: ir.FloatingValue) -> ir.IntegerValue:
    """``x`` on the 1e-9 integer grid (values above CLIP are held at CLIP)."""
    return (x.clip(upper=CLIP) * GRID).round().cast("int64")


def _half_even_scaled(c: ir.IntegerValue, places: int) -> ir.IntegerValue:
    """GB/T 8170 (round half to even) of a grid value to ``places`` decimals, still scaled."""
    m = 10 ** (9 - places)
    q = c // m
    r = c % m
    up = (r * 2 > m) | ((r * 2 == m) & (q % 2 == 1))
    return (q + up.cast("int64")) * m


def half_even(x: ir.FloatingValue, places: int) -> ir.FloatingValue:
    """GB/T 8170 half-even rounding of a non-negative value, the same on every engine.

    (DuckDB's ``round`` rounds halves away from zero, Spark's ``round`` half up.)
    """
    return _half_even_scaled(scaled(x), places).cast("float64") / GRID


# ---------------------------------------------------------------- IAQI


@cache
def _segments(edition: int) -> dict[str, list[tuple[int, int, int, int]]]:
    """``key -> [(C_lo, C_hi, I_lo, I_hi), ...]`` on the grid, ascending."""
    out: dict[str, list[tuple[int, int, int, int]]] = {}
    for r in breakpoint_table(edition):
        key = f"{r['pollutant']}_{r['period']}"
        seg = (
            round(float(r["c_lo"]) * GRID),  # type: ignore[arg-type]
            round(float(r["c_hi"]) * GRID),  # type: ignore[arg-type]
            int(r["iaqi_lo"]),  # type: ignore[call-overload]
            int(r["iaqi_hi"]),  # type: ignore[call-overload]
        )
        out.setdefault(key, []).append(seg)
    return {k: sorted(v) for k, v in out.items()}


@cache
def _decimals() -> dict[str, int]:
    return {r["name"]: int(r["decimals"]) for r in load_table("hj633_pollutants.csv")}


def has_breakpoints(key: str, edition: int) -> bool:
    return key in _segments(edition)


def _rounds(edition: int) -> bool:
    return edition_rules(edition)["concentration_rounding"] == "gbt8170"


def _graded(c: ir.IntegerValue, key: str, edition: int) -> ir.IntegerValue:
    """A grid concentration as ``edition`` scores it (GB/T 8170 to the pollutant's decimals
    under 2026, as given under 2012)."""
    if _rounds(edition):
        return _half_even_scaled(c, _decimals()[key.rsplit("_", 1)[0]])
    return c


def _iaqi_fixed(
    c: ir.IntegerValue, key: str, edition: int, graded: bool = False
) -> ir.IntegerValue:
    """IAQI of a grid concentration ``c`` under one edition (NULL where it gives none);
    ``graded``: ``c`` is already rounded as the edition scores it (:func:`_graded`)."""
    segments = _segments(edition)
    if key not in segments:
        return ibis.null("int64")
    rules = edition_rules(edition)
    if not graded:
        c = _graded(c, key, edition)
    # A missing value must not fall through to the above-the-top branch.
    branches = [(c.isnull(), ibis.null("int64"))]
    for c_lo, c_hi, i_lo, i_hi in segments[key]:
        # Equation 1 with its ceiling, in integers: I_lo + ceil(dI * (C - C_lo) / dC).
        num = (c - c_lo) * (i_hi - i_lo)
        den = c_hi - c_lo
        branches.append((c <= c_hi, (num + (den - 1)) // den + i_lo))
    top = rules.get(f"above_top.{key}", rules["above_top"])
    above = ibis.null("int64") if top in ("", "none") else ibis.literal(int(top), "int64")
    return ibis.cases(*branches, else_=above).cast("int64")


def iaqi(
    concentration: ir.FloatingValue, key: str, edition: ir.IntegerValue | int
) -> ir.IntegerValue:
    """IAQI of ``concentration`` for report value ``key`` (``"SO2_1h"``, ``"PM2.5_24h"``).

    ``edition`` is an int or a per-row edition expression (:func:`edition_of`). NULL or
    invalid concentrations give NULL; so do values the edition scores with no index.
    """
    c = scaled(concentration)
    if isinstance(edition, int):
        return _iaqi_fixed(c, key, edition)
    return by_edition(edition, lambda ed: _iaqi_fixed(c, key, ed), hj633_editions())


# ---------------------------------------------------------------- AQI


@cache
def _reports(edition: int, kind: str) -> dict[str, str]:
    return {
        r["key"]: r["role"]
        for r in load_table("hj633_reports.csv")
        if int(r["edition"]) == edition and r["kind"] == kind
    }


def report_keys(kind: str) -> list[str]:
    """Every value key any edition's ``kind`` report reads, in table order."""
    keys: list[str] = []
    for ed in hj633_editions():
        keys += [k for k in _reports(ed, kind) if k not in keys]
    return keys


@cache
def _levels() -> tuple[tuple[int | None, int, str], ...]:
    return tuple(
        (int(r["aqi_high"]) if r["aqi_high"] else None, int(r["level"]), r["category_zh"])
        for r in load_table("hj633_categories.csv")
    )


def level_of(aqi_value: ir.IntegerValue) -> tuple[ir.IntegerValue, ir.StringValue]:
    """HJ 633 level and Chinese category of an AQI column."""
    lv = [
        (aqi_value <= hi if hi is not None else aqi_value.notnull(), lev)
        for hi, lev, _ in _levels()
    ]
    zh = [(aqi_value <= hi if hi is not None else aqi_value.notnull(), z) for hi, _, z in _levels()]
    level = ibis.cases(*((c, ibis.literal(v, "int8")) for c, v in lv), else_=ibis.null("int8"))
    cat = ibis.cases(*zh, else_=ibis.null("string"))
    return level, cat


def _grid_column(key: str, edition: int) -> str:
    """Name of the helper column holding ``key``'s value on the grid, graded for ``edition``."""
    return f"_grid{edition if _rounds(edition) else ''}_{column_name(key)}"


def _with_grid(t: ir.Table, kind: str, editions: tuple[int, ...]) -> tuple[ir.Table, list[str]]:
    """``t`` plus each report value on the grid (and graded per edition), computed once per
    row rather than in every CASE branch that reads it; returns the helper column names."""
    keys = [k for ed in editions for k in _reports(ed, kind) if has_breakpoints(k, ed)]
    raw = {f"_grid_{column_name(k)}": scaled(t[column_name(k)]) for k in keys}
    t = t.mutate(**raw)
    graded = {
        _grid_column(k, ed): _graded(t[f"_grid_{column_name(k)}"], k, ed)
        for ed in editions
        for k in _reports(ed, kind)
        if has_breakpoints(k, ed) and _rounds(ed)
    }
    if graded:
        t = t.mutate(**graded)
    return t, [*raw, *graded]


def _pollutant_scores(t: ir.Table, kind: str, edition: int) -> dict[str, ir.IntegerValue]:
    """Per-pollutant sub-index of one edition's report: the larger of its main values, else,
    where a main value was measured but has no index, its fallback (HJ 633-2012 SO2 1-h
    above 800 -> the 24-h value). Reads the grid columns of :func:`_with_grid`."""
    report = _reports(edition, kind)

    def sub(k: str) -> ir.IntegerValue:
        if not has_breakpoints(k, edition):
            return ibis.null("int64")
        return _iaqi_fixed(t[_grid_column(k, edition)], k, edition, graded=True)

    out = {}
    for pol in POLLUTANTS:
        keys = [k for k, r in report.items() if r == "main" and k.startswith(pol + "_")]
        main = [sub(k) for k in keys]
        back = [sub(k) for k, r in report.items() if r == "fallback" and k.startswith(pol + "_")]
        score = main[0] if len(main) == 1 else ibis.greatest(*main) if main else ibis.null("int64")
        if back and keys:
            # Only a main value that was measured and has no index (SO2 1-h above 800) gives
            # way to the fallback; a missing 1-h value leaves the pollutant without an index
            # (HJ 633-2012 Table 1 note 2), and the hour incomplete.
            measured = ibis.or_(*(t[column_name(k)].notnull() for k in keys))
            fallback = back[0] if len(back) == 1 else ibis.coalesce(*back)
            score = score.coalesce(ibis.ifelse(measured, fallback, ibis.null("int64")))
        out[pol] = score
    return out


def aqi_columns(t: ir.Table, kind: str, edition: ir.IntegerValue | int) -> ir.Table:
    """Add ``iaqi_<pollutant>``, ``aqi``, ``level``, ``category``, ``primary_pollutants``,
    ``n_pollutants``, ``complete`` and ``published`` to a table of report values.

    ``t`` holds one column per value key of the ``kind`` report (see
    :func:`report_keys`; ``column_name`` gives the names: ``so2_1h``, ``o3_8h``, …) with
    invalid values already NULL. ``edition`` is an int or a per-row expression. Rules
    follow :func:`ecohub.standards.aqi.aqi`: AQI = largest sub-index (at least the
    edition's ``aqi_min``); primary pollutants (ties all listed, ``;``-joined) only when
    AQI > 50; ``published`` is ``"NA"`` where HJ 633-2026 withholds an incomplete AQI.
    """
    eds = hj633_editions() if not isinstance(edition, int) else (edition,)
    t, helpers = _with_grid(t, kind, eds)
    per_ed = {ed: _pollutant_scores(t, kind, ed) for ed in eds}

    def pick(pol: str) -> ir.IntegerValue:
        if isinstance(edition, int):
            return per_ed[edition][pol]
        return by_edition(edition, lambda ed: per_ed[ed][pol], eds)

    t = t.mutate(**{f"iaqi_{POLLUTANT_COLUMNS[p]}": pick(p) for p in POLLUTANTS})
    scores = [t[f"iaqi_{POLLUTANT_COLUMNS[p]}"] for p in POLLUTANTS]
    n = sum((s.notnull().cast("int8") for s in scores), ibis.literal(0, "int8"))
    top = ibis.greatest(*scores)
    aqi_min = {ed: int(edition_rules(ed)["aqi_min"]) for ed in eds}
    floor = (
        ibis.literal(aqi_min[edition], "int64")
        if isinstance(edition, int)
        else by_edition(edition, lambda ed: ibis.literal(aqi_min[ed], "int64"), eds)
    )
    t = t.mutate(
        n_pollutants=n,
        aqi=ibis.cases((top.notnull(), ibis.greatest(top, floor)), else_=ibis.null("int64")),
    )
    level, cat = level_of(t.aqi)
    # Joined by one concat_ws that skips the NULLs of the pollutants that are not primary
    # (six string concatenations per row cost more than the rest of the report).
    primary = ibis.literal(";").join(
        [
            ibis.cases((t[f"iaqi_{POLLUTANT_COLUMNS[p]}"] == t.aqi, p), else_=ibis.null("string"))
            for p in POLLUTANTS
        ]
    )
    threshold = {ed: edition_rules(ed)["missing_publish_above"] for ed in eds}

    def withheld(ed: int) -> ir.BooleanValue:
        if threshold[ed] == "":
            return ibis.literal(False)
        return (t.n_pollutants < len(POLLUTANTS)) & (t.aqi <= int(threshold[ed]))

    hide = withheld(edition) if isinstance(edition, int) else by_edition(edition, withheld, eds)
    return t.mutate(
        level=level,
        category=cat,
        primary_pollutants=ibis.cases((t.aqi > 50, primary), else_=ibis.null("string")),
        complete=t.n_pollutants == len(POLLUTANTS),
        published=ibis.cases(
            (t.aqi.isnull(), ibis.null("string")),
            (hide.fill_null(False), "NA"),
            else_=t.aqi.cast("string"),
        ),
    ).drop(*helpers)
