"""Normalisers for what departments write about an enterprise: names, addresses, codes, points.

Every function takes whole columns (pandas Series) and returns whole columns, so a million
records normalise in seconds: Unicode NFKC and regexes run vectorised, traditional → simplified
runs as one OpenCC call over the joined column, and anything needing a standards look-up
(credit-code check characters, division codes) runs once per *distinct* value.

Latin text (FEBRL, foreign-invested enterprises) passes through unharmed: it is lower-cased
and its spaces collapsed, never stripped.
"""

from __future__ import annotations

import re
from functools import lru_cache
from typing import Any, cast

import numpy as np
import pandas as pd

from ecohub.registry import gcj02, places

__all__ = [
    "USCC_STATUSES",
    "normalize_addresses",
    "normalize_coords",
    "normalize_names",
    "normalize_text",
    "normalize_uscc",
]

# Legal-form and organisational suffixes, longest first so 股份有限公司 wins over 有限公司.
# Stripped repeatedly from the end (…集团有限公司 → …集团 → …).
_SUFFIXES = [
    "股份有限公司",
    "有限责任公司",
    "集团有限公司",
    "有限公司",
    "股份公司",
    "分公司",
    "总公司",
    "公司",
    "集团",
    "分厂",
    "总厂",
    "厂",
    "有限合伙",
    "合作社",
    "co ltd",
    "co., ltd.",
    "co.,ltd.",
    "company limited",
    "limited",
    "ltd",
    "inc",
]
_SUFFIX_RE = re.compile(
    r"(?:\s*(?:" + "|".join(re.escape(s) for s in _SUFFIXES) + r")\.?)+$", re.IGNORECASE
)
_CJK = r"\u3400-\u9fff"
# Whitespace next to a CJK character carries no meaning; between Latin words it does.
_CJK_SPACE_RE = re.compile(rf"(?<=[{_CJK}])\s+|\s+(?=[{_CJK}])")
_BRACKETED_RE = re.compile(r"[(\[{【〔][^)\]}】〕]*[)\]}】〕]")
_PUNCT_RE = re.compile(r"[\"'`·•.,，。、:;：；!！?？]")

USCC_STATUSES = ("valid", "bad_check", "bad_format", "bad_length", "missing")


@lru_cache(maxsize=1)
def _t2s() -> Any:
    import opencc

    return opencc.OpenCC("t2s")


def to_simplified(values: pd.Series) -> pd.Series:
    """Traditional → simplified over a whole column in one OpenCC call."""
    filled = values.fillna("").astype(str).str.replace("\n", " ", regex=False)
    if filled.empty:
        return filled
    out = _t2s().convert("\n".join(filled.tolist())).split("\n")
    return pd.Series(out, index=values.index, dtype=object)


def normalize_text(values: pd.Series) -> pd.Series:
    """Full/half width (NFKC), traditional → simplified, unified brackets, lower-case Latin,
    spaces removed around CJK and collapsed elsewhere. Empty → ``None``."""
    s = values.astype("string").fillna("").str.normalize("NFKC")
    s = to_simplified(pd.Series(s, dtype=object))
    s = s.str.replace("【", "[", regex=False).str.replace("】", "]", regex=False)
    s = s.str.replace(_CJK_SPACE_RE, "", regex=True).str.replace(r"\s+", " ", regex=True)
    s = s.str.strip().str.lower()
    return s.where(s != "", None)


def normalize_names(names: pd.Series) -> pd.DataFrame:
    """``name_norm`` (the full name, normalised) and ``name_core`` (without bracketed parts,
    leading division names and legal-form suffixes: what people abbreviate a company to)."""
    norm = normalize_text(names)
    core = norm.fillna("").str.replace(_BRACKETED_RE, "", regex=True)
    core = core.str.replace(_PUNCT_RE, " ", regex=True).str.replace(r"\s+", " ", regex=True)
    core = core.str.strip().str.replace(_SUFFIX_RE, "", regex=True).str.strip()
    core = places.strip_division_prefix(core)
    # Stripping everything (e.g. a name that *is* "唐山市钢铁厂") leaves nothing to compare:
    # fall back to the normalised name rather than an empty core.
    core = core.where(core.str.len() >= 2, norm.fillna(""))
    core = core.str.replace(" ", "", regex=False).where(core.str.contains(f"[{_CJK}]"), core)
    return pd.DataFrame(
        {"name_norm": norm, "name_core": core.where(core != "", None)}, index=names.index
    )


def normalize_addresses(addresses: pd.Series) -> pd.DataFrame:
    """``address_norm`` (without the leading province/city/county part) and ``region_code``
    (the most specific GB/T 2260 division the address names, or ``None``)."""
    norm = normalize_text(addresses)
    prefix, rest = places.split_division_prefix(norm.fillna(""))
    region = places.resolve_prefixes(prefix)
    rest = rest.str.replace(_PUNCT_RE, "", regex=True).str.replace(" ", "", regex=False)
    rest = rest.where(rest != "", None)
    return pd.DataFrame({"address_norm": rest, "region_code": region}, index=addresses.index)


def normalize_uscc(codes: pd.Series) -> pd.DataFrame:
    """GB 32100 status of each code: ``uscc_norm`` holds only codes whose check character
    holds; a code with a wrong check character keeps its 17-character body in ``uscc_body``
    as a weak signal; other malformed codes are only flagged through ``uscc_status``."""
    from ecohub.standards import uscc

    raw = codes.astype("string").fillna("").str.normalize("NFKC")
    compact = raw.str.upper().str.replace(r"[\s\-_/.]", "", regex=True)
    compact = compact.astype(object)
    distinct = pd.unique(compact)
    status_of: dict[str, str] = {}
    for code in distinct:
        status_of[code] = _uscc_status(code, uscc)
    status = compact.map(status_of)
    norm = compact.where(status == "valid", None)
    body = compact.str.slice(0, 17).where(status.isin(["valid", "bad_check"]), None)
    return pd.DataFrame(
        {
            "uscc_compact": compact.where(compact != "", None),
            "uscc_norm": norm,
            "uscc_body": body,
            "uscc_status": status,
        },
        index=codes.index,
    )


def _uscc_status(code: str, uscc: Any) -> str:
    from ecohub.standards.errors import InvalidCode

    if not code:
        return "missing"
    if len(code) != 18:
        return "bad_length"
    try:
        uscc.validate(code)
    except InvalidCode as err:
        # Only a wrong check character leaves a trustworthy 17-character body.
        return "bad_check" if err.field == "check_char" else "bad_format"
    return "valid"


def _given(values: pd.Series) -> np.ndarray:
    """Whether each cell holds something (not missing, not blank)."""
    text = values.astype("string").str.strip()
    return (text.notna() & (text != "")).to_numpy(dtype=bool)


def normalize_coords(lon: pd.Series, lat: pd.Series, crs: str = "wgs84") -> pd.DataFrame:
    """WGS84 ``lon_wgs``/``lat_wgs`` and a ``coord_flag`` per row: ``coords_outside_china``
    (kept raw, not used for linkage), ``coords_swapped`` (lon/lat exchanged, repaired),
    ``coords_unreadable`` (a value given that is not a number, as 北纬39.9 or abc, or only one
    of the two given: no point) or ``None``. ``crs='gcj02'`` converts from the datum of Chinese
    web maps."""
    x = pd.to_numeric(lon, errors="coerce").to_numpy(dtype=float)
    y = pd.to_numeric(lat, errors="coerce").to_numpy(dtype=float)
    given_x = _given(lon)
    given_y = _given(lat)
    # A value was there but is no number, or a point has one half: the record keeps loading
    # without a point, and the flag says why (it used to vanish without a word).
    unreadable = (given_x & np.isnan(x)) | (given_y & np.isnan(y)) | (given_x != given_y)
    present = ~(np.isnan(x) | np.isnan(y))
    inside = present & gcj02.in_china(x, y) & ~((x == 0) & (y == 0))
    swapped = present & ~inside & gcj02.in_china(y, x)
    x2 = np.where(swapped, y, x)
    y2 = np.where(swapped, x, y)
    ok = inside | swapped
    if crs == "gcj02":
        x2, y2 = gcj02.gcj02_to_wgs84(x2, y2)
    elif crs != "wgs84":
        raise ValueError(f"crs: unknown datum {crs!r} (wgs84 | gcj02)")
    flag = np.where(swapped, "coords_swapped", np.where(present & ~ok, "coords_outside_china", ""))
    flag = np.where(unreadable, "coords_unreadable", flag)
    return pd.DataFrame(
        {
            "lon_wgs": np.where(ok, x2, np.nan),
            "lat_wgs": np.where(ok, y2, np.nan),
            "coord_flag": cast(Any, pd.Series(flag, index=lon.index)).replace("", None),
        },
        index=lon.index,
    )
