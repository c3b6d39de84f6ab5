"""`ecohub load permits FILE`: permit emission limits per outlet and pollutant.

One row per permit, outlet and pollutant: limit, unit, averaging period (hour / day), reference
O2 of the converted concentration, the emission standard the limit comes from, validity dates.
Rows go into `permit` / `permit_limit` (migration 003, columns added by 012), linked to the
registry: the permit's source must be a registered source (given in the row, or the source the
registry already attached the permit to), and the outlet must be known for that source (in
`outlet` or through a device in `monitor_point`). Bad rows are rejected with the field and the
reason, written beside the file as ``FILE.rejects.csv`` (or where the caller says); good rows of
the same file are kept. Loading the same file again changes nothing (upsert on permit, outlet,
pollutant, period).
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path
from typing import Any

import duckdb
import pandas as pd

from ecohub.ingest.rejects import default_reject_path
from ecohub.protocols.hj212.codes import pollutants
from ecohub.queries.cells import unescape_frame
from ecohub.queries.export import write_csv

__all__ = ["HEADERS", "PermitLoadError", "load_permits"]

#: Field -> accepted header spellings (English, Chinese).
HEADERS: dict[str, tuple[str, ...]] = {
    "permit_no": ("permit_no", "许可证编号", "排污许可证编号"),
    "source_code": ("source_code", "污染源编码", "源编码"),
    "outlet_code": ("outlet_code", "outlet", "排放口编号", "排口编号"),
    "pollutant": ("pollutant", "污染物", "污染物代码"),
    "limit": ("limit", "限值", "排放浓度限值"),
    "unit": ("unit", "单位"),
    "period": ("period", "时段", "平均时间"),
    "reference_o2": ("reference_o2", "基准氧含量", "基准含氧量"),
    "standard": ("standard", "basis", "执行标准"),
    "valid_from": ("valid_from", "有效期起"),
    "valid_to": ("valid_to", "有效期止"),
}
REQUIRED = ("permit_no", "outlet_code", "pollutant", "limit", "unit", "period")
PERIODS = {"hour": "hour", "1h": "hour", "小时": "hour", "day": "day", "24h": "day", "日": "day"}
# Unit spellings per HJ 212 unit; a limit must be in its pollutant's unit.
UNITS = {"mg/m3": "mg/m³", "mg/m³": "mg/m³", "mg/nm3": "mg/m³", "mg/l": "mg/L"}


class PermitLoadError(Exception):
    """The file cannot be read at all (missing, unknown format, a required column missing)."""


@dataclass
class _Result:
    path: str
    rows: int = 0
    loaded: int = 0
    rejected: list[dict[str, Any]] = field(default_factory=list)
    reject_path: str | None = None


def _read(path: Path) -> pd.DataFrame:
    if not path.exists():
        raise PermitLoadError(f"{path}: no such file")
    suffix = path.suffix.lower()
    try:
        if suffix == ".csv":
            # UTF-8 or GB 18030 / GBK, sniffed as the other loaders do (ingest.readers).
            from ecohub.ingest.readers import ReadError, sniff_encoding

            try:
                enc = sniff_encoding(path)
            except ReadError as exc:
                raise PermitLoadError(str(exc)) from None
            enc = "utf-8-sig" if enc == "utf-8" else enc
            # '=x as the platform's CSV writer escapes =x (ecohub.queries.cells) reads as =x.
            return unescape_frame(pd.read_csv(path, dtype=str, keep_default_na=False, encoding=enc))
        if suffix in (".xlsx", ".xls"):
            return pd.read_excel(path, dtype=str, keep_default_na=False)
        if suffix == ".parquet":
            return pd.read_parquet(path).astype(str)
    except Exception as exc:  # a broken file: name it, no traceback
        raise PermitLoadError(f"{path}: cannot read: {exc}") from None
    raise PermitLoadError(f"{path}: expected a .csv, .xlsx or .parquet file")


def _columns(frame: pd.DataFrame) -> dict[str, str]:
    found: dict[str, str] = {}
    for name in frame.columns:
        key = str(name).strip().lower()
        for target, spellings in HEADERS.items():
            if key in (s.lower() for s in spellings):
                found[target] = name
    missing = [f for f in REQUIRED if f not in found]
    if missing:
        raise PermitLoadError(
            f"missing column(s): {', '.join(missing)} (headers: {', '.join(map(str, frame))})"
        )
    return found


def _date(text: str, name: str) -> date | None:
    if not text:
        return None
    try:
        return date.fromisoformat(text[:10])
    except ValueError:
        raise ValueError(f"{name}: not a date (YYYY-MM-DD): {text!r}") from None


def _number(text: str, name: str) -> float:
    try:
        value = float(text)
    except ValueError:
        raise ValueError(f"{name}: not a number: {text!r}") from None
    if not math.isfinite(value):
        raise ValueError(f"{name}: not a finite number: {text!r}")
    return value


# Common formulas / abbreviations of flue-gas and waste-water pollutants (HJ 212-2017 codes).
ALIASES = {
    "so2": "a21026", "nox": "a21002", "no2": "a21004", "no": "a21003", "co": "a21005",
    "o2": "a19001", "nh3": "a21001", "hcl": "a21024", "h2s": "a21028", "hg": "a20057",
    "cod": "w01018", "codcr": "w01018", "nh3-n": "w21003", "ph": "w01001",
}  # fmt: skip


def pollutant_code(text: str) -> str:
    """The HJ 212-2017 code of ``text``: a code, its Chinese or English name (any case), or a
    common formula (SO2, NOx, COD ...); ValueError naming ``pollutant`` otherwise. The permit
    loader and the supervision listings read a pollutant the same way."""
    table = pollutants()
    text = text.strip()
    if text in table:
        return text
    if text.lower() in table:
        return text.lower()
    for code, p in table.items():
        if text in (p.name_zh, p.name_en) or text.lower() == p.name_en.lower():
            return code
    alias = ALIASES.get(text.replace(" ", "").replace("₂", "2").lower())
    if alias is not None:
        return alias
    raise ValueError(f"pollutant: unknown HJ 212 code or name {text!r}")


_pollutant = pollutant_code


def _row(raw: dict[str, str], known: dict[str, Any]) -> tuple[Any, ...]:
    permit_no, outlet = raw["permit_no"], raw["outlet_code"]
    if not permit_no:
        raise ValueError("permit_no: empty")
    if not outlet:
        raise ValueError("outlet_code: empty")
    code = _pollutant(raw["pollutant"])
    limit = _number(raw["limit"], "limit")
    if limit <= 0:
        raise ValueError(f"limit: must be above 0, got {limit}")
    unit = UNITS.get(raw["unit"].replace(" ", "").lower())
    expected = pollutants()[code].unit
    if unit is None or unit != expected:
        raise ValueError(f"unit: {raw['unit']!r} is not {expected}, the unit of {code}")
    period = PERIODS.get(raw["period"].lower())
    if period is None:
        raise ValueError(f"period: expected hour or day, got {raw['period']!r}")
    ref = raw.get("reference_o2", "")
    ref_o2 = _number(ref, "reference_o2") if ref else None
    if ref_o2 is not None and not 0 <= ref_o2 < 21:
        raise ValueError(f"reference_o2: must be in [0, 21) %, got {ref_o2}")
    v_from = _date(raw.get("valid_from", ""), "valid_from")
    v_to = _date(raw.get("valid_to", ""), "valid_to")
    if v_from and v_to and v_from > v_to:
        raise ValueError(f"valid_from {v_from} is after valid_to {v_to}")
    source = raw.get("source_code", "") or known["permits"].get(permit_no)
    if not source:
        raise ValueError(f"source_code: empty, and permit {permit_no} is not in the registry")
    if source not in known["sources"]:
        raise ValueError(f"source_code: {source} is not a registered source")
    owner = known["permits"].get(permit_no)
    if owner and owner != source:
        raise ValueError(f"permit_no: {permit_no} belongs to {owner}, not to source {source}")
    if (source, outlet) not in known["outlets"]:
        raise ValueError(f"outlet_code: {outlet} is not an outlet of source {source}")
    # HJ 212 codes: a = air / flue gas, w = water. The outlet's medium is the registered one
    # (outlet.medium), else its permit code (HJ 608): DA = 废气 (waste gas), DW = 废水 (waste
    # water). A flue-gas limit on a waste-water outlet (or the other way round) is a mistake.
    medium = known.get("media", {}).get((source, outlet))  # outlet.medium: gas | water
    kind = {"gas": "a", "water": "w"}.get(medium or "") or {"DA": "a", "DW": "w"}.get(
        outlet[:2].upper()
    )
    if kind is not None and code[0] != kind:
        what = {"a": "flue-gas (a…)", "w": "water (w…)"}
        raise ValueError(
            f"pollutant: {code} is a {what.get(code[0], code[0])} pollutant, not one of outlet "
            f"{outlet} ({'废气 waste gas' if kind == 'a' else '废水 waste water'}, HJ 608)"
        )
    return (permit_no, source, outlet, code, limit, unit, period, ref_o2,
            raw.get("standard") or None, v_from, v_to)  # fmt: skip


def load_permits(
    con: duckdb.DuckDBPyConnection, path: Path, reject_path: Path | None = None
) -> dict[str, Any]:
    """Load the permit limits of ``path``; returns counts, the rejected rows with their reasons
    and where those were written (``reject_path``, default ``FILE.rejects.csv`` beside it)."""
    frame = _read(path)
    cols = _columns(frame)
    known: dict[str, Any] = {
        "sources": {r[0] for r in con.execute("SELECT source_code FROM source").fetchall()},
        "permits": dict(con.execute("SELECT permit_no, source_code FROM permit").fetchall()),
        "media": {
            (r[0], r[1]): r[2]
            for r in con.execute("SELECT source_code, outlet_code, medium FROM outlet").fetchall()
        },
        "outlets": set(
            con.execute(
                "SELECT source_code, outlet_code FROM outlet UNION "
                "SELECT source_code, outlet_code FROM monitor_point "
                "WHERE source_code IS NOT NULL AND outlet_code IS NOT NULL"
            ).fetchall()
        ),
    }
    result = _Result(str(path), rows=len(frame))
    good: dict[tuple[str, str, str, str], tuple[Any, ...]] = {}
    first: dict[tuple[str, str, str, str], dict[str, Any]] = {}  # the first copy's reject row
    conflicting: set[tuple[str, str, str, str]] = set()
    repeated = (
        "permit, outlet, pollutant and period repeated with different values (every copy rejected)"
    )
    for i, values in enumerate(frame.to_dict("records"), start=2):  # line 1 is the header
        raw = {f: str(values[c]).strip() for f, c in cols.items()}
        try:
            row = _row(raw, known)
        except ValueError as exc:
            result.rejected.append({"line": i, **raw, "reason": str(exc)})
            continue
        key = (row[0], row[2], row[3], row[6])
        if key in conflicting or (key in good and good[key] != row):
            if key not in conflicting:  # the first copy goes to the rejects too, with the reason
                conflicting.add(key)
                result.rejected.append({**first[key], "reason": repeated})
            result.rejected.append({"line": i, **raw, "reason": repeated})
            good[key] = ()
            continue
        good[key] = row
        first.setdefault(key, {"line": i, **raw})
        known["permits"].setdefault(row[0], row[1])
    result.rejected.sort(key=lambda r: int(r["line"]))
    rows = [r for r in good.values() if r]
    con.execute("BEGIN")
    try:
        for r in rows:
            con.execute(
                "INSERT INTO permit (permit_no, source_code) VALUES (?, ?) "
                "ON CONFLICT (permit_no) DO NOTHING",
                [r[0], r[1]],
            )
            con.execute(
                'INSERT OR REPLACE INTO permit_limit (permit_no, outlet_code, pollutant, "limit", '
                "unit, basis, period, reference_o2, valid_from, valid_to) "
                "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                [r[0], r[2], r[3], r[4], r[5], r[8], r[6], r[7], r[9], r[10]],
            )
        con.execute("COMMIT")
    except Exception:
        con.execute("ROLLBACK")
        raise
    result.loaded = len(rows)
    if result.rejected:
        out = reject_path or default_reject_path(path)
        write_csv(pd.DataFrame(result.rejected), out)
        result.reject_path = str(out)
    return {
        "path": result.path,
        "rows": result.rows,
        "loaded": result.loaded,
        "rejected": len(result.rejected),
        "rejects": result.rejected,
        "reject_path": result.reject_path,
    }
