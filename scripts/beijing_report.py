"""Assess the real Beijing record (12 stations, 2013-03..2017-02) and write docs/air-beijing.md
with the chart docs/img/beijing-aqi.png.

Usage: .venv/bin/python scripts/beijing_report.py [--year-compare 2016]

Loads the bundled sample (ecohub.sample.load_sample) into a temporary store, computes the
daily AQI per station and for the city (Beijing municipality, 110000) under the edition in
force (HJ 633-2012 for all of 2013-2017), HJ 663 annual statistics, category days and
good-day ratios, and scores one year again under HJ 633-2026 to show what the new PM
breakpoints cost.
"""

from __future__ import annotations

import argparse
import tempfile
import time
from pathlib import Path

import pandas as pd

from ecohub.analytics import air_stats
from ecohub.analytics.air_service import build
from ecohub.sample import load_sample
from ecohub.store.db import connect
from ecohub.store.engine import ibis_duckdb

ROOT = Path(__file__).resolve().parent.parent
DOC = ROOT / "docs" / "air-beijing.md"
IMG = ROOT / "docs" / "img" / "beijing-aqi.png"
LEVELS = ["优", "良", "轻度污染", "中度污染", "重度污染", "严重污染"]
COLOURS = ["#00E400", "#FFFF00", "#FF7E00", "#FF0000", "#99004C", "#7E0023"]


def _md(df: pd.DataFrame) -> str:
    cols = [str(c) for c in df.columns]
    lines = ["| " + " | ".join(cols) + " |", "|" + "---|" * len(cols)]
    for row in df.itertuples(index=False):
        cells = ["" if pd.isna(v) else (f"{v:g}" if isinstance(v, float) else str(v)) for v in row]
        lines.append("| " + " | ".join(cells) + " |")
    return "\n".join(lines)


def _days_table(days: pd.DataFrame, key: str) -> pd.DataFrame:
    out = days[[key, "year", "days", "days_incomplete"]].copy()
    for i, name in enumerate(LEVELS, start=1):
        out[name] = days[f"level{i}"]
    out["优良天数"] = days["good_days"]
    out["优良天数比例 %"] = days["good_ratio"]
    return out


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--year-compare", type=int, default=2016)
    args = ap.parse_args()
    t0 = time.perf_counter()
    with tempfile.TemporaryDirectory() as tmp:
        con = connect(Path(tmp) / "beijing.duckdb")
        loaded = load_sample(con)
        b = ibis_duckdb(con)
        t_load = time.perf_counter() - t0

        tables = build(b, edition="auto")
        report = tables.report
        b.create_table("r_city_daily", tables.city_daily_aqi, overwrite=True)
        b.create_table("r_station_daily", tables.daily_aqi, overwrite=True)
        city_daily = b.table("r_city_daily")
        station_daily = b.table("r_station_daily")
        city_days = air_stats.category_days(city_daily, "city_code").to_pandas()
        station_days = air_stats.category_days(station_daily, "station_id").to_pandas()
        city_stats = air_stats.period_statistics(city_daily, "city_code").to_pandas()
        city_index = air_stats.comprehensive(
            air_stats.period_statistics(city_daily, "city_code"), "city_code"
        ).to_pandas()

        # The same year under HJ 633-2026 (a what-if: 2026 breakpoints and rounding).
        y = args.year_compare
        t26 = build(b, edition=2026, check=False)
        b.create_table("r_city_daily_2026", t26.city_daily_aqi, overwrite=True)
        b.create_table("r_station_daily_2026", t26.daily_aqi, overwrite=True)
        c26 = air_stats.category_days(b.table("r_city_daily_2026"), "city_code").to_pandas()
        s26 = air_stats.category_days(b.table("r_station_daily_2026"), "station_id").to_pandas()
        daily_pd = city_daily.order_by("date").to_pandas()
        daily26 = b.table("r_city_daily_2026").order_by("date").to_pandas()
        t_total = time.perf_counter() - t0
        con.close()

    city_days = city_days.sort_values("year")
    primary = city_days[["year"] + [c for c in city_days.columns if c.startswith("primary_")]]
    primary = primary.rename(
        columns=lambda c: c.replace("primary_", "").upper() if c != "year" else c
    )
    primary = primary.rename(columns={"PM25": "PM2.5"})

    stats = city_stats.pivot_table(
        index="year", columns="pollutant", values="value", aggfunc="first"
    ).reset_index()
    valid = city_stats.groupby("year").apply(
        lambda g: ", ".join(sorted(g.loc[~g.valid, "pollutant"])) or "all valid",
        include_groups=False,
    )
    stats["invalid statistics (HJ 663 data rule)"] = stats.year.map(valid)
    stats = stats.merge(city_index[["year", "index", "max_pollutant"]], on="year", how="left")
    stats = stats.rename(columns={"index": "综合指数", "max_pollutant": "largest Ii"})
    order = ["year", "SO2", "NO2", "PM10", "CO", "O3", "PM2.5", "综合指数", "largest Ii"]
    stats = stats[[*order, "invalid statistics (HJ 663 data rule)"]]

    st = station_days[station_days.year.between(2014, 2016)]
    st_ratio = st.pivot_table(index="station_id", columns="year", values="good_ratio").reset_index()
    st_total = (
        station_days.groupby("station_id")[
            [f"level{i}" for i in range(1, 7)] + ["days", "good_days"]
        ]
        .sum()
        .reset_index()
    )
    st_total["优良天数比例 %"] = (st_total.good_days * 100 / st_total.days).round(1)
    st_total = st_total.rename(columns={f"level{i}": n for i, n in enumerate(LEVELS, start=1)})

    a = city_days[city_days.year == y].iloc[0]
    b26 = c26[c26.year == y].iloc[0]
    cmp_rows = [
        ("days assessed", int(a.days), int(b26.days)),
        ("good days (优+良)", int(a.good_days), int(b26.good_days)),
        ("good-day ratio %", a.good_ratio, b26.good_ratio),
        *((name, int(a[f"level{i}"]), int(b26[f"level{i}"])) for i, name in enumerate(LEVELS, 1)),
        ("PM2.5 primary days", int(a.primary_pm25), int(b26.primary_pm25)),
        ("O3 primary days", int(a.primary_o3), int(b26.primary_o3)),
        ("days incomplete or without data", int(a.days_incomplete), int(b26.days_incomplete)),
    ]
    cmp = pd.DataFrame(cmp_rows, columns=[f"Beijing (city) {y}", "HJ 633-2012", "HJ 633-2026"])
    s_a = station_days[station_days.year == y].set_index("station_id")
    s_b = s26[s26.year == y].set_index("station_id")
    s_cmp = pd.DataFrame(
        {
            "good days 2012": s_a.good_days,
            "good days 2026": s_b.good_days,
            "lost": s_a.good_days - s_b.good_days,
            "ratio 2012 %": s_a.good_ratio,
            "ratio 2026 %": s_b.good_ratio,
        }
    ).reset_index()
    lost = int(a.good_days - b26.good_days)

    _chart(daily_pd, daily26, city_days, y)
    ratio = city_days.set_index("year").good_ratio
    headline = (
        f"Beijing's city good-day ratio rose from {ratio[2014]}% "
        f"(2014) to {ratio[2016]}% (2016); scored under "
        f"HJ 633-2026 instead, {y} loses {lost} good days "
        f"({a.good_ratio}% -> {b26.good_ratio}%)."
    )
    body = f"""# Air quality of Beijing, 2013-03 .. 2017-02, by HJ 633 / HJ 663

_Generated by `scripts/beijing_report.py` from the bundled real data (UCI "Beijing Multi-Site Air
Quality", 12 national control stations, CC BY 4.0; S. Zhang et al. 2017, Proc. R. Soc. A 473:
20170457). {loaded["observations_total"]:,} hourly values loaded; {sum(report.invalid.values()):,}
set aside as invalid (negative, NaN or flagged); load {t_load:.0f} s, whole report {t_total:.0f} s._

**Headline.** {headline}

How it is computed (`ecohub.analytics`): daily values per station with the HJ 663 data rules (a
daily mean needs 20 valid hours; the O3 daily maximum 8-h mean 14 valid 8-h means of the 17
ending 08:00..24:00), the daily AQI of the edition in force on each day (HJ 633-2012 for the
whole record, in use in Beijing from 2013), and the **city** (北京市, 110000: Beijing is a
municipality, so its districts' stations roll up to the province-level code, not the 市辖区
grouping 110100) from the mean of its stations' valid daily concentrations; the city's O3 daily
maxima come from the mean of its stations' hourly and 8-h values; an 8-h window is evaluated at
every hour, also one ending at an hour with no row at all (6 of its 8 hours make it valid). A day
counts in the category days only when all six pollutants have a valid daily value;
`days_incomplete` is every other day of the year's calendar, days without any row included. The
record starts on 1 March 2013 and ends on 28 February 2017: 2013 has 59 days without data
(January and February) and the 2017 calendar ends at the last day with data; both years'
annual statistics are not valid by HJ 663 (324 days and every month).

![Beijing daily AQI](img/beijing-aqi.png)

## City: days per AQI category and good-day ratio (HJ 633-2012)

{_md(_days_table(city_days, "city_code").drop(columns="city_code"))}

## City: primary-pollutant days (AQI > 50; ties count for each)

{_md(primary)}

## City: HJ 663 annual statistics

Annual means of SO2, NO2, PM10, PM2.5 (µg/m³), CO 95th percentile of daily means (mg/m³), O3 90th
percentile of daily maximum 8-h means (µg/m³), rounded half-to-even; comprehensive index with the
GB 3095-2012 class-2 limits as Si.

{_md(stats)}

## Stations: good-day ratio per full year (%)

{_md(st_ratio)}

## Stations: days per category over the whole record

{_md(st_total)}

## {y} under both editions

HJ 633-2026 moves the IAQI-100 breakpoints of PM2.5 from 75 to 60 µg/m³ and of PM10 from 150 to
120 µg/m³, rounds concentrations first (GB/T 8170), and scores O3 in the daily report by its daily
maximum 8-h mean only (Table 3 note a: 1-h O3 values serve the hourly report; HJ 633-2012 also
scored the daily maximum 1-h value). A day without a valid O3 8-h maximum is therefore incomplete
under 2026 even when its 1-h values are there. Scoring the same {y} data by it:

{_md(cmp)}

Per station, {y}:

{_md(s_cmp)}
"""
    DOC.write_text(body, encoding="utf-8")
    print(f"wrote {DOC.relative_to(ROOT)} and {IMG.relative_to(ROOT)} in {t_total:.0f} s")
    print(headline)


def _chart(daily: pd.DataFrame, daily26: pd.DataFrame, days: pd.DataFrame, year: int) -> None:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    IMG.parent.mkdir(parents=True, exist_ok=True)
    fig, (ax1, ax2) = plt.subplots(
        2, 1, figsize=(12, 7), gridspec_kw={"height_ratios": [2, 1]}, constrained_layout=True
    )
    d = daily.dropna(subset=["aqi"])
    colours = [COLOURS[int(lv) - 1] for lv in d.level]
    ax1.bar(pd.to_datetime(d.date), d.aqi, width=1.0, color=colours, edgecolor="none")
    ax1.set_ylabel("daily AQI (HJ 633-2012)")
    ax1.set_title("Beijing (city, 12 stations): daily AQI, coloured by HJ 633 level")
    for lim in (50, 100, 150, 200, 300):
        ax1.axhline(lim, color="grey", lw=0.5, ls=":")
    yrs = days.sort_values("year")
    ax2.bar(yrs.year.astype(str), yrs.good_ratio, color="#4a90d9", label="HJ 633-2012")
    d26 = daily26[pd.to_datetime(daily26.date).dt.year == year].dropna(subset=["aqi"])
    good26 = (d26.complete & (d26.level <= 2)).sum() * 100 / max(d26.complete.sum(), 1)
    ax2.bar([f"{year}\n(2026 ed.)"], [good26], color="#d94a4a", label=f"{year} under HJ 633-2026")
    ax2.set_ylabel("good-day ratio %")
    ax2.set_ylim(0, 100)
    ax2.legend(loc="upper left", fontsize=8)
    for x, v in zip(
        [*yrs.year.astype(str), f"{year}\n(2026 ed.)"],
        [*yrs.good_ratio, good26],
        strict=True,
    ):
        ax2.text(x, v + 2, f"{v:.1f}", ha="center", fontsize=8)
    fig.savefig(IMG, dpi=110)
    plt.close(fig)


if __name__ == "__main__":
    main()
