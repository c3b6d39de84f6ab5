"""Synthetic Chinese-enterprise benchmark: several departments' lists of the same sources, with
ground truth.

Each true source (a plant of a unit) gets a realistic name (division + brand + industry + legal
form), a USCC with a valid GB 32100 check character (or none: ~8 % of units have no code), an
address, a legal representative and a WGS84 point. Each system then writes down its own view
with the noise seen in real departmental lists: abbreviations, suffix variants, traditional
characters, full-width punctuation, homophone typos, missing or mistyped credit codes, address
variants, GCJ-02 coordinates from web maps, duplicates inside one list, and different column
headers per system. ``truth`` maps every (system, record_id) to its true ``entity_id``.

Deterministic for a given seed. Vectorised with NumPy so a million records take seconds.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, cast

import numpy as np
import pandas as pd

from ecohub.registry import gcj02
from ecohub.registry import generator_words as words

__all__ = ["SYSTEMS", "Benchmark", "generate"]

# (code, province, prefecture, county, lon, lat): real GB/T 2260 divisions, a benchmark
# vocabulary, not a copy of the standard (ecohub.standards.divisions is that).
_USCC_BODY = list("0123456789ABCDEFGHJKLMNPQRTUWXY")
_TRAD = str.maketrans("华兴钢铁热电业东达龙丰门业厂团", "華興鋼鐵熱電業東達龍豐門業廠團")

# Each system: probability a source is listed, probability of an extra duplicate listing, the
# datum of its points, whether it gives points/region codes, and its column headers.
SYSTEMS: dict[str, dict[str, object]] = {
    "permit": {
        "p": 0.92,
        "dup": 0.02,
        "crs": "wgs84",
        "coords": 0.9,
        "region": True,
        "cols": {
            "record_id": "许可证流水号",
            "name": "单位名称",
            "uscc": "统一社会信用代码",
            "address": "生产经营场所地址",
            "region_code": "行政区划代码",
            "legal_rep": "法定代表人",
            "industry": "行业类别",
            "lon": "经度",
            "lat": "纬度",
            "permit_no": "许可证编号",
        },
    },
    "eia": {
        "p": 0.7,
        "dup": 0.03,
        "crs": "wgs84",
        "coords": 0.6,
        "region": True,
        "cols": {
            "record_id": "record_id",
            "name": "name",
            "uscc": "uscc",
            "address": "address",
            "region_code": "region_code",
            "legal_rep": "legal_rep",
            "industry": "industry",
            "lon": "lon",
            "lat": "lat",
        },
    },
    "online": {
        "p": 0.5,
        "dup": 0.01,
        "crs": "gcj02",
        "coords": 1.0,
        "region": True,
        "cols": {
            "record_id": "企业编号",
            "name": "企业名称",
            "uscc": "信用代码",
            "address": "地址",
            "region_code": "区划代码",
            "lon": "经度",
            "lat": "纬度",
            "mn": "MN号",
        },
    },
    "tax": {
        "p": 0.8,
        "dup": 0.02,
        "crs": "wgs84",
        "coords": 0.0,
        "region": False,
        "cols": {
            "record_id": "纳税人编号",
            "name": "纳税人名称",
            "uscc": "纳税人识别号",
            "address": "注册地址",
            "legal_rep": "法定代表人",
            "industry": "行业",
        },
    },
}


@dataclass
class Benchmark:
    """Per-system frames (with that system's own headers), and the truth."""

    systems: dict[str, pd.DataFrame] = field(default_factory=dict)
    truth: pd.DataFrame = field(default_factory=pd.DataFrame)  # system, record_id, entity_id
    crs: dict[str, str] = field(default_factory=dict)

    def column_map(self, system: str) -> dict[str, str]:
        """Recognised column → this system's header (what ``--map`` would say)."""
        return _cols(system)


def _cols(system: str) -> dict[str, str]:
    cols = SYSTEMS[system]["cols"]
    assert isinstance(cols, dict)
    return {str(k): str(v) for k, v in cols.items()}


def _uscc(rng: np.random.Generator, region: str) -> str:
    from ecohub.standards import uscc

    for _ in range(200):
        body = "91" + region + "".join(rng.choice(_USCC_BODY, 9))
        code = body + uscc.check_char(body)
        if uscc.is_valid(code):
            return str(code)
    raise RuntimeError("could not draw a valid USCC")  # pragma: no cover


def _entities(n: int, rng: np.random.Generator) -> pd.DataFrame:
    from ecohub.standards import divisions

    counties = [c for c in words.COUNTIES if divisions.is_valid(c[0])] or words.COUNTIES
    ci = rng.integers(0, len(counties), n)
    brand = (
        pd.Series(rng.choice(words.BRAND_CHARS, n)) + pd.Series(rng.choice(words.BRAND_CHARS, n))
    ).to_numpy()
    ind = rng.integers(0, len(words.INDUSTRY), n)
    rows = []
    # ~2 % of plants belong to a unit that has another plant (same USCC, other site).
    sibling_of = np.where(rng.random(n) < 0.02, rng.integers(0, n, n), -1)
    for i in range(n):
        code, prov, pref, county, lon, lat = counties[ci[i]]
        has_code = rng.random() > 0.08
        rows.append(
            {
                "entity_id": i,
                "region_code": code,
                "prov": prov,
                "pref": pref,
                "county": county,
                "brand": brand[i],
                "industry_word": words.INDUSTRY[ind[i]][0],
                "industry": words.INDUSTRY[ind[i]][1],
                "filler": words.FILLER[rng.integers(0, len(words.FILLER))],
                "suffix": words.SUFFIX[rng.integers(0, len(words.SUFFIX))],
                "uscc": _uscc(rng, code) if has_code else None,
                "legal_rep": str(rng.choice(words.SURNAMES)) + "".join(rng.choice(words.GIVEN, 2)),
                "road": "".join(rng.choice(words.ROADS, 2)) + words.ROAD_KIND[rng.integers(0, 5)],
                "number": int(rng.integers(1, 999)),
                "lon": lon + rng.normal(0, 0.08),
                "lat": lat + rng.normal(0, 0.06),
            }
        )
    ent = pd.DataFrame(rows)
    for k in np.flatnonzero(sibling_of >= 0):
        i, j = int(k), int(sibling_of[k])
        if j != i and ent.at[j, "uscc"] is not None:
            for col in (
                "uscc",
                "brand",
                "industry_word",
                "industry",
                "filler",
                "suffix",
                "legal_rep",
                "region_code",
                "prov",
                "pref",
                "county",
            ):
                ent.at[i, col] = cast(Any, ent.at[j, col])
    return ent


def _name(e: pd.Series, rng: np.random.Generator) -> str:
    city = e.pref or e.prov
    core = e.brand + e.filler + e.industry_word
    suffix = e.suffix
    r = rng.random()
    if r < 0.45:
        name = city + core + suffix
    elif r < 0.55:
        name = city + e.county + core + suffix
    elif r < 0.65:
        name = core + suffix
    elif r < 0.72:
        name = city.rstrip("市省") + core + suffix
    elif r < 0.80:
        name = e.brand + e.industry_word  # what people call it
    elif r < 0.88:
        name = city + core + words.SUFFIX[rng.integers(0, len(words.SUFFIX))]  # suffix variant
    else:
        name = city + core + "(" + e.county + ")" + suffix
    u = rng.random()
    if u < 0.04:
        name = name.translate(_TRAD)
    elif u < 0.08:
        name = name.replace("(", "（").replace(")", "）").replace("有限", "有限 ")
    elif u < 0.13:
        chars = list(name)
        idx = [k for k, ch in enumerate(chars) if ch in words.HOMOPHONE]
        if idx:
            k = idx[rng.integers(0, len(idx))]
            chars[k] = words.HOMOPHONE[chars[k]]
            name = "".join(chars)
    return name


def _code(e: pd.Series, rng: np.random.Generator) -> str | None:
    if e.uscc is None:
        return None
    r = rng.random()
    if r < 0.18:
        return None
    if r < 0.22:
        wrong = "0" if e.uscc[-1] != "0" else "1"
        return str(e.uscc[:-1] + wrong)  # mistyped check character
    if r < 0.24:
        return str(e.uscc[:-1])  # a character lost
    if r < 0.26:
        return str(e.uscc[:8] + " " + e.uscc[8:])
    return str(e.uscc)


def _address(e: pd.Series, rng: np.random.Generator) -> str:
    street = f"{e.road}{e.number}号"
    r = rng.random()
    pref = e.pref if e.pref else ""
    if r < 0.4:
        return e.prov + pref + e.county + street
    if r < 0.65:
        return pref + e.county + street if pref else e.prov + e.county + street
    if r < 0.8:
        return e.county + street
    if r < 0.9:
        return e.prov + pref + e.county + street + "厂区内"
    return (e.prov + " " + pref + " " + e.county + " " + street).replace(
        str(e.number), str(e.number).translate(str.maketrans("0123456789", "０１２３４５６７８９"))
    )


def generate(n_sources: int, seed: int = 42, bad_rows: bool = False) -> Benchmark:
    """A benchmark of ``n_sources`` true sources over the four ``SYSTEMS`` (about 3 records per
    source). ``bad_rows`` adds rows the loader must reject or flag (empty names, wrong-length
    codes, points outside China, repeated record ids)."""
    rng = np.random.default_rng(seed)
    ent = _entities(n_sources, rng)
    bench = Benchmark()
    truth = []
    for sname, spec in SYSTEMS.items():
        listed = np.flatnonzero(rng.random(n_sources) < float(spec["p"]))  # type: ignore[arg-type]
        dups = listed[rng.random(len(listed)) < float(spec["dup"])]  # type: ignore[arg-type]
        ids = np.concatenate([listed, dups])
        rng.shuffle(ids)
        recs = []
        for k, i in enumerate(ids):
            e = ent.iloc[i]
            lon, lat = e.lon + rng.normal(0, 0.0008), e.lat + rng.normal(0, 0.0008)
            if spec["crs"] == "gcj02":
                glon, glat = gcj02.wgs84_to_gcj02(np.array([lon]), np.array([lat]))
                lon, lat = float(glon[0]), float(glat[0])
            has_xy = rng.random() < float(spec["coords"])  # type: ignore[arg-type]
            rec = {
                "record_id": f"{sname[:2].upper()}{k:08d}",
                "name": _name(e, rng),
                "uscc": _code(e, rng),
                "address": _address(e, rng) if rng.random() > 0.05 else None,
                "region_code": e.region_code if spec["region"] and rng.random() > 0.2 else None,
                "legal_rep": e.legal_rep if rng.random() > 0.12 else None,
                "industry": e.industry if rng.random() > 0.15 else None,
                "lon": round(lon, 6) if has_xy else None,
                "lat": round(lat, 6) if has_xy else None,
                "permit_no": (e.uscc or f"H9{e.region_code}{i:06d}") + "001P",
                "mn": f"{e.region_code}{i:08d}{k % 10}",
            }
            recs.append(rec)
            truth.append((sname, rec["record_id"], int(e.entity_id)))
        df = pd.DataFrame(recs)
        if bad_rows and len(df) > 10:
            df.loc[0, "name"] = "  "
            df.loc[1, "uscc"] = "91110000ABC"
            df.loc[2, ["lon", "lat"]] = [-74.0, 40.7]
            df = pd.concat([df, df.iloc[[3]].assign(name="另一个名称有限公司")])
        cols = _cols(sname)
        df = df[[c for c in cols if c in df.columns]].rename(columns=cols)
        bench.systems[sname] = df.reset_index(drop=True)
        bench.crs[sname] = str(spec["crs"])
    bench.truth = pd.DataFrame(truth, columns=["system", "record_id", "entity_id"])
    return bench
