"""Water assessment of a period: section classes, distribution, ratios, driving items, store.

The service behind ``ecohub water assess``: the engine does the heavy part (checking and
averaging samples, grading; :mod:`ecohub.analytics.water`), and what comes back is one row
per section, which the rest of the 2011 method needs:

* **Distribution** per group (basin, region or all) and water body: sections per class,
  the I-III and 劣V ratios. **Status** (二（一）2): with 5 sections or more the class-proportion
  method (:func:`ecohub.standards.water.basin_status`); with fewer, the arithmetic mean of
  each item over the sections classified by :func:`ecohub.standards.water.classify`.
* **Driving items** (二（一）3(2)): per group, each item worse than class III in some
  section with its 断面超标率 (sections worse than III / sections of the group), its mean and
  largest 超标倍数, and how often single samples exceeded class III; the three largest
  断面超标率 are the group's main pollutants (5 sections or more; with fewer, the method
  names each section's own, which :attr:`WaterAssessment.sections` carries).
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from typing import Any, cast

import pandas as pd

from ecohub.analytics import water as aw
from ecohub.standards import water as std

__all__ = ["WaterAssessment", "assess", "region_prefix", "store_assessment"]

GROUPS = ("basin", "region_code", "all")
MIN_SECTIONS_PROPORTION = 5  # 2011 method 二（一）2: below 5 sections, mean concentrations
MAX_ISSUES = 1000  # issue rows returned; the count is always complete
# The store tables an assessment reads (the analytics backend is given them: store/backend.py).
INPUTS = ("station", "observation")


@dataclass
class WaterAssessment:
    """Plain tables of one assessment (pandas DataFrames), see the module doc."""

    period: str  # 'YYYY' or 'YYYY-MM'
    kind: str  # 'year' | 'month'
    method: str
    sections: pd.DataFrame
    items: pd.DataFrame
    distribution: pd.DataFrame
    driving: pd.DataFrame
    summary: dict[str, Any]
    issues: pd.DataFrame
    n_issues: int = 0
    notes: list[str] = field(default_factory=list)


def region_prefix(code: str) -> str:
    """GB/T 2260 code -> the prefix its sub-divisions share (``110000`` -> ``11``).

    Codes that are not six digits (custom regions) match exactly.
    """
    code = code.strip()
    if not re.fullmatch(r"\d{6}", code):
        return code
    if code.endswith("0000"):
        return code[:2]
    if code.endswith("00"):
        return code[:4]
    return code


def _grade(rank: int) -> str:
    return std.GRADES[int(rank) - 1]


def _filtered(backend: Any, region: str | None, basin: str | None) -> Any:
    t = aw.water_samples(backend)
    if region:
        prefix = region_prefix(region)
        t = t.filter(
            t.region_code.startswith(prefix) if prefix != region else t.region_code == region
        )
    if basin:
        t = t.filter(t.basin == basin)
    return t


#: The years an assessment may name (as ``year`` in the API and the job parameters).
YEARS = (1900, 2200)


def parse_period(year: int | None, month: str | None) -> tuple[str, int | None, int | None]:
    """``("year" | "month", year, month)`` of a request; ``ValueError`` naming ``month`` for a
    month that is not ``YYYY-MM`` of a year in :data:`YEARS`, or not in ``year``."""
    if month is not None:
        m = re.fullmatch(r"(\d{4})-(\d{2})", month.strip())
        if not m or not 1 <= int(m.group(2)) <= 12 or not YEARS[0] <= int(m.group(1)) <= YEARS[1]:
            raise ValueError(
                f"month: expected YYYY-MM of the years {YEARS[0]}-{YEARS[1]}, got {month!r}"
            )
        if year is not None and year != int(m.group(1)):
            raise ValueError(f"month: {month} is not in year {year}")
        return "month", int(m.group(1)), int(m.group(2))
    return "year", year, None


def _label_main(group: pd.DataFrame) -> str:
    rows = group[group.main_order.notna()].sort_values("main_order")
    return ";".join(
        f"{r.item}({r.exceed:.1f})" if pd.notna(r.exceed) else str(r.item)
        for r in cast(Any, rows).itertuples()
    )


def _sections(cls: pd.DataFrame, refs: pd.DataFrame, keys: list[str]) -> pd.DataFrame:
    rows = []
    ref_text = {
        k: ";".join(
            f"{r.item}={_grade(r.rank)}" for r in cast(Any, g.sort_values("item")).itertuples()
        )
        for k, g in refs.groupby("station_id")
    }
    for sid, g in cls.groupby("station_id", sort=True):
        first = g.iloc[0]
        rank = int(first.class_rank)
        rows.append(
            {
                "station_id": sid,
                "waterbody": first.waterbody,
                "region_code": first.region_code,
                "basin": first.basin,
                "grade": _grade(rank),
                "class_rank": rank,
                "status": std.status(_grade(rank)),
                "deciding": ";".join(sorted(g[g.deciding].item)),
                "main_pollutants": _label_main(g),
                "reference": ref_text.get(sid, ""),
                "n_samples": int(g.n_samples.max()),
                **({"n_months": int(g.n_months.max())} if "n_months" in g else {}),
            }
        )
    return pd.DataFrame(rows)


def _group_frames(
    sections: pd.DataFrame, items: pd.DataFrame, by: str, method: str
) -> tuple[pd.DataFrame, pd.DataFrame]:
    dist_rows: list[dict[str, Any]] = []
    drive_rows: list[dict[str, Any]] = []
    sec = sections.assign(group="all" if by == "all" else sections[by].fillna("(none)"))
    graded = items[items.role == "graded"].merge(
        sec[["station_id", "group"]], on="station_id", how="inner"
    )
    for (group, body), g in sec.groupby(["group", "waterbody"], sort=True):
        n = len(g)
        counts = {grade: int((g.class_rank == i + 1).sum()) for i, grade in enumerate(std.GRADES)}
        row = {"group": group, "waterbody": body, "n_sections": n, **counts}
        row["ratio_i_iii"] = float((g.class_rank <= 3).sum() / n)
        row["ratio_worse_v"] = float((g.class_rank == 6).sum() / n)
        if n >= MIN_SECTIONS_PROPORTION:
            row["status"] = std.basin_status(list(g.grade))
            row["status_basis"] = "class proportion"
        else:
            gi = items[items.station_id.isin(g.station_id) & (items.role != "not_assessed")]
            mean = gi.groupby("item").value.mean().to_dict()
            res = std.classify(cast(dict[str, float], mean), str(body), method)
            row["status"] = f"{res.status} ({res.grade})"
            row["status_basis"] = f"mean of {n} section(s)"
        dist_rows.append(row)
        gg = graded[graded.station_id.isin(g.station_id)]
        over = gg[gg["rank"] > aw.WORSE_THAN_III]
        for item, o in over.groupby("item"):
            all_i = gg[gg.item == item]
            drive_rows.append(
                {
                    "group": group,
                    "waterbody": body,
                    "item": item,
                    "sections_over_iii": int(o.station_id.nunique()),
                    "section_rate": float(o.station_id.nunique() / n),
                    "mean_exceed": float(o.exceed.mean()) if o.exceed.notna().any() else None,
                    "max_exceed": float(o.exceed.max()) if o.exceed.notna().any() else None,
                    "sample_frequency": float(all_i.n_over_iii.sum() / all_i.n_samples.sum()),
                    "n_sections": n,
                }
            )
    dist = pd.DataFrame(dist_rows)
    drive = pd.DataFrame(drive_rows)
    if not drive.empty:
        # 断面超标率 decides (二（一）3(2)); ties: larger mean 超标倍数, then item (our choice).
        drive = drive.sort_values(
            ["group", "waterbody", "section_rate", "mean_exceed", "item"],
            ascending=[True, True, False, False, True],
            na_position="last",
        )
        drive["rank"] = drive.groupby(["group", "waterbody"]).cumcount() + 1
        drive["main"] = (drive["rank"] <= 3) & (drive.n_sections >= MIN_SECTIONS_PROPORTION)
    return dist, drive.reset_index(drop=True)


def assess(
    backend: Any,
    *,
    year: int | None = None,
    month: str | None = None,
    region: str | None = None,
    basin: str | None = None,
    method: str = "2011",
    by: str = "basin",
) -> WaterAssessment:
    """Assess the surface-water sections of a year (default: the latest with data) or month.

    ``region``: a GB/T 2260 code (a province or prefecture takes in its sub-divisions);
    ``basin``: the exact ``station.basin``; ``method``: ``2011`` or ``gb3838``; ``by``:
    ``basin``, ``region_code`` or ``all`` (the distribution's groups). Raises
    ``ValueError`` (message starting with the field) for a bad argument or when the scope
    holds no usable sample.
    """
    if method not in aw.METHODS:
        raise ValueError(f"method: expected one of {', '.join(aw.METHODS)}, got {method!r}")
    if by not in GROUPS:
        raise ValueError(f"by: expected one of {', '.join(GROUPS)}, got {by!r}")
    kind, y, m = parse_period(year, month)
    samples = _filtered(backend, region, basin)
    if y is None:
        latest = samples.filter(samples.problem.isnull()).date.max().to_pyarrow().as_py()
        if latest is None:
            raise ValueError("scope: no usable surface-water sample in the store")
        y = latest.year
    samples = samples.filter(samples.date.year() == y)
    if m is not None:
        samples = samples.filter(samples.date.month() == m)
    period = f"{y}-{m:02d}" if m is not None else str(y)

    bad = samples.filter(samples.problem.notnull())
    n_issues = int(bad.count().to_pyarrow().as_py())
    issues = bad.order_by(["station_id", "time", "parameter"]).limit(MAX_ISSUES).to_pandas()
    valid = samples.filter(samples.problem.isnull())
    items_expr = aw.period_items(valid, kind, method)
    keys = ["station_id", "year", "month"] if kind == "month" else ["station_id", "year"]
    cls = aw.section_classes(items_expr, keys).to_pandas()
    items = items_expr.to_pandas()
    if items.empty:
        raise ValueError(f"scope: no usable surface-water sample in {period}")
    refs = items[items.role == "reference"]
    sections = _sections(cls, refs, keys)
    notes = []
    unclassed = sorted(set(items.station_id) - set(sections.station_id if len(sections) else []))
    if unclassed:
        notes.append(
            f"no class for {len(unclassed)} section(s) without a graded item: "
            + ", ".join(unclassed[:10])
        )
    items = items[items.role != "not_assessed"].copy()
    items["grade"] = items["rank"].map(_grade)
    dist, drive = _group_frames(sections, items, by, method)
    n = len(sections)
    summary = {
        "period": period,
        "method": method,
        "n_sections": n,
        "ratio_i_iii": float((sections.class_rank <= 3).sum() / n) if n else None,
        "ratio_worse_v": float((sections.class_rank == 6).sum() / n) if n else None,
        "n_issues": n_issues,
    }
    return WaterAssessment(
        period, kind, method, sections, items, dist, drive, summary, issues, n_issues, notes
    )


def store_assessment(con: Any, result: WaterAssessment) -> int:
    """Upsert the section classes and item rows of ``result`` into the store; rows written.

    ``con`` is the DuckDB connection of the store (migration 005 tables). Keys are natural
    (station, period, method[, item]), so storing the same assessment twice changes nothing.
    """
    now = datetime.now(UTC)
    sec = result.sections.copy()
    sec["method"] = result.method
    sec["computed_at"] = now
    if result.kind == "month":
        y, m = (int(x) for x in result.period.split("-"))
        sec["month"] = date(y, m, 1)
        table = "water_class_monthly"
        cols = ["station_id", "month", "method", "waterbody", "grade", "class_rank", "status"]
        extra = ["n_samples"]
    else:
        sec["year"] = int(result.period)
        table = "water_class_annual"
        cols = ["station_id", "year", "method", "waterbody", "grade", "class_rank", "status"]
        extra = ["n_samples", "n_months"]
    cols += ["deciding", "main_pollutants", "reference", *extra, "computed_at"]
    items = result.items.assign(period=result.period, method=result.method, computed_at=now)
    icols = ["station_id", "period", "method", "item", "role", "value", "grade", "exceed"]
    icols += ["n_samples", "n_over_iii", "computed_at"]
    con.register("_ecohub_water_sec", sec[cols])
    con.register("_ecohub_water_items", items[icols])
    con.execute("BEGIN")
    try:
        con.execute(
            f"INSERT OR REPLACE INTO {table} ({', '.join(cols)}) SELECT * FROM _ecohub_water_sec"
        )
        con.execute(
            f"INSERT OR REPLACE INTO water_item_result ({', '.join(icols)}) "
            "SELECT * FROM _ecohub_water_items"
        )
        from ecohub.catalog.produce import note

        params = {"period": result.period, "kind": result.kind, "method": result.method,
                  "sections": len(sec), "items": len(items)}  # fmt: skip
        inputs = [("resource", "observation"), ("resource", "station")]
        note(con, [table, "water_item_result"], "water-assess", inputs, params)
        con.execute("COMMIT")
    except Exception:
        con.execute("ROLLBACK")
        raise
    finally:
        con.unregister("_ecohub_water_sec")
        con.unregister("_ecohub_water_items")
    return len(sec) + len(items)
