"""Surface-water classes of sections: GB 3838-2002 single factor, 2011 assessment method.

One Ibis expression graph runs on DuckDB (default) and on PySpark. The method of
地表水环境质量评价办法（试行）(环办〔2011〕22号) as implemented here:

* **Samples** (``observation`` rows of ``surface_water`` stations, HJ 212 codes) are checked
  first; a bad row is never averaged in, it is listed with the reason (:func:`water_samples`).
* **Month** (一（二）1): the arithmetic mean of each item over the month's samples, then the
  single-factor class of those means. **Year** (一（二）3): the arithmetic mean of the
  monthly means (national sections are sampled once a month, so this is the mean of the
  12 samples; for automatic stations it keeps a busy month from outweighing the others).
* **Class** (二（一）1): the worst class among the graded items; a value equal to a limit
  meets that class. Under ``method="2011"`` water temperature, fecal coliform and lake TN
  are reference items graded on their own; under ``"gb3838"`` every Table 1 item counts.
* **超标倍数** (二（一）3(1)): (C - C_III) / C_III for graded items worse than class III,
  none for pH and DO. **Main pollutants** of a section worse than III: the three worst
  items by class, ties by 超标倍数, cyanide and heavy metals first.

Classes are computed from the same tables as :func:`ecohub.standards.water.classify` (see
:mod:`ecohub.analytics._water_tables`) and the tests hold the two equal on every vector.
"""

from __future__ import annotations

from typing import Any

import ibis

from ecohub.analytics._floats import infinite
from ecohub.analytics._time import cst_date
from ecohub.analytics._water_tables import (
    METHODS,
    N_CLASSES,
    code_table,
    grading_table,
    unit_table,
    waterbody_table,
)
from ecohub.analytics.detection import counted_value

__all__ = [
    "METHODS",
    "SECTION_COLUMNS",
    "WATER_NETWORK",
    "grade_items",
    "period_items",
    "section_classes",
    "water_samples",
]

WATER_NETWORK = "surface_water"
# HJ 212-2017 data flag N = instrument working normally; NULL = a value without a flag
# (laboratory results of manual sampling). Every other flag (maintenance, fault,
# calibration, above range, ...) marks a value that must not enter a mean.
VALID_FLAGS = ("N",)
SECTION_COLUMNS = ("station_id", "waterbody", "region_code", "basin")
WORSE_THAN_III = 3
# Means are taken on a 1e-9 grid (finer than any Table 1 limit, Hg 0.00005): values become
# integers, their sum is exact whatever order an engine adds them in, and one division gives
# the same double on DuckDB and Spark. Rounding a float sum instead flipped a 1e-9 step between
# engines. A mean of decimal data that is exactly a limit meets that class. Our choice; the 2011
# method is silent.
MEAN_DECIMALS = 9
_GRID = 10**MEAN_DECIMALS


def _exact_mean(col: Any) -> Any:
    """Mean of ``col`` on the 1e-9 grid, identical on every engine (nulls ignored)."""
    units = (col * _GRID).round().cast("int64")
    return units.sum().cast("float64") / col.count() / _GRID


def water_samples(
    backend: Any,
    *,
    observation: str = "observation",
    station: str = "station",
) -> Any:
    """Every observation of a surface-water station, with its item and a ``problem``.

    Columns: ``station_id, waterbody`` (``river``/``lake``), ``region_code, basin,
    parameter, item, time, date`` (CST), ``value, unit, flag, problem``. ``problem`` is
    null for a usable value, else a message that starts with the offending field:
    unknown parameter, missing / non-finite / negative value, pH outside 0-14, a unit other
    than the item's, an instrument flag other than N, the same (station, parameter, time)
    stored more than once (under different periods), or a station whose waterbody is not
    river/lake/reservoir.
    """
    st = backend.table(station)
    obs = backend.table(observation)
    st = st.filter(st.network == WATER_NETWORK).select(
        "station_id", raw_body=st.waterbody, region_code=st.region_code, basin=st.basin
    )
    bodies = ibis.memtable(waterbody_table())
    codes = ibis.memtable(code_table())
    units = ibis.memtable(unit_table())
    t = obs.join(st, "station_id")
    t = t.left_join(bodies, t.raw_body.strip().lower() == bodies.name).drop("name")
    t = t.left_join(codes, t.parameter.strip().lower() == codes.code).drop("code")
    t = t.left_join(units, "item").drop("item_right")
    t = t.mutate(
        n_same_time=t.station_id.count().over(group_by=["station_id", "parameter", "time"])
    )
    flag = t.flag.strip().upper()
    problem = ibis.cases(
        (t.body.isnull(), "waterbody: " + t.raw_body.fill_null("NULL") + " is not river/lake"),
        (t.item.isnull(), "parameter: " + t.parameter + " is not a GB 3838-2002 basic item"),
        (t.value.isnull(), "value: missing"),
        (t.value.isnan() | infinite(t.value), "value: not a finite number"),
        (t.value < 0, "value: negative concentration " + t.value.cast("string")),
        ((t.item == "pH") & (t.value > 14), "value: pH outside 0-14"),
        (
            t.unit.fill_null("") != t.expected_unit,
            "unit: " + t.unit.fill_null("NULL") + ", expected " + t.expected_unit,
        ),
        (
            flag.notnull() & ~flag.isin(VALID_FLAGS),
            "flag: " + t.flag + " (instrument not in normal operation)",
        ),
        (t.n_same_time > 1, "time: stored more than once (different periods)"),
        else_=ibis.null("string"),
    )
    return t.select(
        "station_id",
        waterbody=t.body,
        region_code=t.region_code,
        basin=t.basin,
        parameter=t.parameter,
        item=t.item,
        time=t.time,
        date=cst_date(t.time),
        value=counted_value(t),
        unit=t.unit,
        flag=t.flag,
        problem=problem,
    )


def grade_items(values: Any, method: str) -> Any:
    """Grade each ``(…, waterbody, item, value)`` row; the vectorised single-factor rule.

    Adds ``role`` (``graded`` / ``reference`` / ``not_assessed``), ``rank`` (1 = I …
    5 = V, 6 = 劣V; null when not assessed), ``exceed`` (超标倍数 against class III for graded
    items worse than III; null otherwise) and ``priority``. A value meets class k when it is
    within every bound of k; the rank is the best class met, 6 when none.
    """
    g = ibis.memtable(grading_table(method))
    t = values.left_join(g, ["waterbody", "item"])
    t = t.drop(*(c for c in t.columns if c.endswith("_right")))
    conds = []
    for k in range(1, N_CLASSES + 1):
        lo, hi = t[f"min_{k}"], t[f"max_{k}"]
        conds.append(((lo.isnull() | (t.value >= lo)) & (hi.isnull() | (t.value <= hi)), k))
    rank = ibis.cases(*conds, else_=N_CLASSES + 1)
    graded = t.role == "graded"
    exceed = ibis.cases(
        (graded & t.c3.notnull() & (t.value > t.c3), (t.value - t.c3) / t.c3),
        else_=ibis.null("float64"),
    )
    keep = [c for c in values.columns]
    return t.select(
        *keep,
        role=t.role.fill_null("not_assessed"),
        rank=ibis.cases((t.role.isnull(), ibis.null("int64")), else_=rank.cast("int64")),
        exceed=exceed,
        priority=t.priority.fill_null(False),
    )


def period_items(samples: Any, period: str, method: str) -> Any:
    """Item values of each section and period, graded.

    ``samples``: usable rows of :func:`water_samples` (``problem`` null). ``period``:
    ``sample`` (each sampling time on its own), ``month`` (mean of the month's samples) or
    ``year`` (mean of the monthly means). Keys: :data:`SECTION_COLUMNS` plus ``time``
    (sample), ``year, month`` (month) or ``year`` (year). Columns besides the keys:
    ``item, value, n_samples, n_over_iii`` (samples whose own value is worse than class
    III) and those of :func:`grade_items`.
    """
    if period not in ("sample", "month", "year"):
        raise ValueError(f"period: expected sample, month or year, got {period!r}")
    cols = [*SECTION_COLUMNS, "item", "value"]
    if period == "sample":
        base = samples.select(*cols, time=samples.time).mutate(n_samples=ibis.literal(1))
        graded = grade_items(base, method)
        return graded.mutate(n_over_iii=(graded.rank > WORSE_THAN_III).cast("int64").fill_null(0))
    each = grade_items(
        samples.select(*cols, year=samples.date.year(), month=samples.date.month()), method
    )
    over = (each.rank > WORSE_THAN_III).cast("int64").fill_null(0)
    monthly = each.group_by([*SECTION_COLUMNS, "year", "month", "item"]).agg(
        value=_exact_mean(each.value),
        n_samples=each.value.count(),
        n_over_iii=over.sum(),
    )
    if period == "year":
        monthly = monthly.group_by([*SECTION_COLUMNS, "year", "item"]).agg(
            value=_exact_mean(monthly.value),
            n_months=monthly.value.count(),
            n_samples=monthly.n_samples.sum(),
            n_over_iii=monthly.n_over_iii.sum(),
        )
    return grade_items(monthly, method)


def section_classes(items: Any, keys: list[str]) -> Any:
    """Class of each section and period from graded items (:func:`period_items`).

    ``keys`` identify one section-period (``station_id`` plus the period columns). Returns
    the graded rows with ``class_rank`` (worst graded rank of the section-period),
    ``deciding`` (the item's rank equals it) and ``main_order`` (1-3 for the main pollutants
    of a section worse than III, else null). Sections without a graded item have no class
    and no rows here.
    """
    graded = items.filter(items.role == "graded")
    graded = graded.mutate(class_rank=graded.rank.max().over(group_by=keys))
    graded = graded.mutate(deciding=graded.rank == graded.class_rank)
    cands = graded.filter((graded.class_rank > WORSE_THAN_III) & (graded.rank > WORSE_THAN_III))
    order = ibis.row_number().over(
        group_by=keys,
        order_by=[
            ibis.desc(cands.priority),
            ibis.desc(cands.rank),
            ibis.desc(cands.exceed.fill_null(0.0)),
            cands.item,
        ],
    )
    cands = cands.select(*keys, "item", main_order=order + 1)  # row_number counts from 0
    cands = cands.filter(cands.main_order <= 3)
    out = graded.left_join(cands, [*keys, "item"])
    return out.drop(*(c for c in out.columns if c.endswith("_right")))
