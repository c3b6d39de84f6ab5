"""The vectorised AQI equals the pure functions of ecohub.standards on every vector case.

All cases run in one query per engine (a CASE over the value keys), so the Spark param
costs one job, not hundreds.
"""

from __future__ import annotations

from typing import Any

import ibis
import pandas as pd
import pytest

from ecohub.analytics import aqi as V
from ecohub.standards import aqi as A
from ecohub.standards.errors import StandardsError

from ..standards._vectors import cases
from .conftest import put


def _rows(*names: str) -> list[dict[str, str]]:
    return [p.values[0] for name in names for p in cases(name)]


def test_iaqi_equals_pure_function_on_every_vector(engine: Any) -> None:
    rows = []
    for r in _rows("hj633_breakpoints.csv", "hj633_cases.csv"):
        key = f"{A.pollutant_name(r['pollutant'])}_{r['period']}"
        try:
            want = A.iaqi(r["pollutant"], float(r["concentration"]), r["period"], int(r["edition"]))
        except StandardsError:
            continue  # a pair the standard has no column for: rejected before vectorising
        rows.append((r["case"], int(r["edition"]), key, float(r["concentration"]), want))
    df = pd.DataFrame(rows, columns=["case", "edition", "key", "c", "want"])
    t = put(engine, "cases", df)
    keys = sorted(set(df.key))
    got = t.mutate(
        got=ibis.cases(*((t.key == k, V.iaqi(t.c, k, t.edition.cast("int16"))) for k in keys))
    ).to_pandas()
    bad = [
        (r.case, r.want, r.got)
        for r in got.itertuples()
        if (None if pd.isna(r.got) else int(r.got)) != (None if pd.isna(r.want) else int(r.want))
    ]
    assert not bad
    assert len(got) >= 300


def _report_frame(kind: str) -> tuple[pd.DataFrame, list[Any]]:
    keys = V.report_keys(kind)
    recs, wants = [], []
    for r in _rows("hj633_aqi_cases.csv"):
        if r["kind"] != kind:
            continue
        values = {}
        for kv in r["values"].split(";"):
            k, v = kv.split("=")
            pol, per = k.rsplit("_", 1)
            values[V.column_name(f"{A.pollutant_name(pol)}_{per}")] = float(v)
        rec: dict[str, Any] = {V.column_name(k): values.get(V.column_name(k)) for k in keys}
        rec.update(case=r["case"], edition=int(r["edition"]))
        recs.append(rec)
        plain = {kv.split("=")[0]: float(kv.split("=")[1]) for kv in r["values"].split(";")}
        wants.append(A.aqi(plain, kind, int(r["edition"])))
    return pd.DataFrame(recs), wants


@pytest.mark.parametrize("kind", ["hourly", "daily"])
def test_aqi_equals_pure_function_on_every_report_case(engine: Any, kind: str) -> None:
    df, wants = _report_frame(kind)
    for col in df.columns:
        if col not in ("case", "edition"):
            df[col] = df[col].astype("float64")
    t = put(engine, f"reports_{kind}", df)
    t = t.mutate(**{c: V.usable(t[c]) for c in df.columns if c not in ("case", "edition")})
    out = V.aqi_columns(t, kind, t.edition.cast("int16")).to_pandas().set_index("case")
    for case, want in zip(df.case, wants, strict=True):
        got = out.loc[case]
        assert int(got.aqi) == want.aqi, case
        assert int(got.level) == want.level, case
        assert got.category == want.category, case
        primary = (
            got.primary_pollutants.split(";") if isinstance(got.primary_pollutants, str) else []
        )
        assert primary == want.primary, case
        assert got.published == want.published, case
        assert bool(got.complete) is want.complete, case
        for key, sub in want.iaqi.items():
            pol = key.rsplit("_", 1)[0]
            # the table keeps one sub-index per pollutant: the one that decided it
            assert int(got[f"iaqi_{V.POLLUTANT_COLUMNS[pol]}"]) >= sub, (case, key)


def test_half_even_is_gbt8170_on_both_engines(engine: Any) -> None:
    df = pd.DataFrame({"i": range(6), "x": [2.5, 3.5, 0.125, 37.35, 1.005, 2.675]})
    t = put(engine, "he", df)
    out = t.mutate(r0=V.half_even(t.x, 0), r2=V.half_even(t.x, 2)).order_by("i").to_pandas()
    assert out.r0.tolist() == [2.0, 4.0, 0.0, 37.0, 1.0, 3.0]
    assert out.r2.tolist() == [2.5, 3.5, 0.12, 37.35, 1.0, 2.68]
