"""A generated population of sources with known bad actors, for tests and ``bench/risk.py``.

``write`` draws the sources and writes the files an operator would load: a departmental list
of sources (registry system ``permit``), enforcement cases (Chinese headers) and EIA approvals
(English headers), with the noise of real lists in the unit names and credit codes of the last
two. :func:`ecohub.enterprise.measured.build` loads them through the ordinary loaders (so
cases and approvals reach their sources only through the registry's linkage) and then writes
what the platform would have measured - HJ 212 hours, exceedance events, anomaly findings,
permit dates, complaint links - as rows of those tables. ``truth`` says which sources are bad
actors and why.

Bad actors (about 12 %) have one or two of: long or high exceedances, high-severity anomalies,
recent violation cases with penalties (one still open), no EIA approval in an industry that
needs one, or data / a permit / an inspection before their approval. The others carry the
noise that makes ranking non-trivial: short, small exceedances, low and medium findings, an
inspection without violation, an old closed case, a complaint, offline hours, an industry that
needs no approval.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, timedelta
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

__all__ = ["BAD_KINDS", "Population", "write"]

BAD_KINDS = ("exceed", "fraud", "cases", "no_eia", "built_before")
UNAPPROVED_KINDS = ("no_eia", "built_before")

HEBEI = (("130203", "唐山市", "路北区"), ("130208", "唐山市", "丰润区"),
         ("130102", "石家庄市", "长安区"), ("130402", "邯郸市", "邯山区"),
         ("130681", "保定市", "涿州市"))  # fmt: skip
BEIJING = (("110105", "", "朝阳区"), ("110108", "", "海淀区"), ("110106", "", "丰台区"),
           ("110111", "", "房山区"), ("110112", "", "通州区"))  # fmt: skip
# (word in the name, GB/T 4754 code): listed industries, and two that need no EIA approval.
LISTED = (("钢铁", "3110"), ("化工", "2614"), ("水泥", "3011"), ("造纸", "2221"),
          ("印染", "1713"), ("制药", "2710"), ("热电", "4412"), ("电镀", "3360"),
          ("食品", "1499"), ("污水处理", "4620"))  # fmt: skip
UNLISTED = (("物流", "5990"), ("商务", "7299"))
_BRAND = list("华兴鑫源恒泰盛达宏昌隆丰瑞祥和永信通金鼎晟嘉德福康安利宝润腾飞")
_SUFFIX = ("有限公司", "股份有限公司", "有限责任公司")


@dataclass
class Population:
    """The files written, and per registry record id the bad-actor kinds (empty: not bad)."""

    month: str
    region: str
    sources: pd.DataFrame  # record_id, name, uscc, address, region_code, industry, ...
    files: dict[str, Path] = field(default_factory=dict)
    kinds: dict[str, tuple[str, ...]] = field(default_factory=dict)
    codes: dict[str, str] = field(default_factory=dict)  # record_id -> source code (after build)

    def bad(self) -> set[str]:
        """Source codes of the bad actors."""
        return {self.codes[r] for r, k in self.kinds.items() if k and r in self.codes}

    def unapproved(self) -> set[str]:
        """Source codes that are truly built before approval or without one."""
        return {self.codes[r] for r, k in self.kinds.items()
                if set(k) & set(UNAPPROVED_KINDS) and r in self.codes}  # fmt: skip


def _uscc(rng: np.random.Generator, region: str) -> str:
    from ecohub.standards import uscc

    alphabet = list("0123456789ABCDEFGHJKLMNPQRTUWXY")
    body = "91" + region + "".join(rng.choice(alphabet, 9))
    return str(body + uscc.check_char(body))


_HOMOPHONE = dict(zip("华兴源达鑫通宏金利盛丰龙德", "化星元大新同鸿今力胜峰隆得", strict=True))


def _variant(name: str, city: str, rng: np.random.Generator, noise: float = 0.0) -> str:
    """How another department writes the same unit; ``noise`` adds a typist's homophone."""
    if noise and rng.random() < noise:
        chars = list(name)
        at = [k for k, ch in enumerate(chars) if ch in _HOMOPHONE]
        if at:
            k = at[int(rng.integers(len(at)))]
            chars[k] = _HOMOPHONE[chars[k]]
            name = "".join(chars)
    r = rng.random()
    if r < 0.15:
        return name.removeprefix(city)
    if r < 0.25:
        for s in _SUFFIX:
            if name.endswith(s):
                return name.removesuffix(s) + _SUFFIX[(_SUFFIX.index(s) + 1) % len(_SUFFIX)]
    return name


def _sources(n: int, rng: np.random.Generator, counties: tuple[tuple[str, str, str], ...]
             ) -> pd.DataFrame:  # fmt: skip
    rows = []
    seen: set[str] = set()
    for i in range(n):
        code, city, county = counties[int(rng.integers(len(counties)))]
        word, ind = (LISTED[int(rng.integers(len(LISTED)))] if rng.random() > 0.1
                     else UNLISTED[int(rng.integers(len(UNLISTED)))])  # fmt: skip
        while True:
            brand = "".join(rng.choice(_BRAND, 2))
            name = f"{city or '北京'}{brand}{word}{_SUFFIX[int(rng.integers(3))]}"
            if name not in seen:
                seen.add(name)
                break
        rows.append({
            "record_id": f"PS{i:05d}", "name": name, "uscc": _uscc(rng, code),
            "address": f"{city}{county}{''.join(rng.choice(_BRAND, 2))}路"
                       f"{int(rng.integers(1, 999))}号",
            "region_code": code, "industry": ind, "city": city or "北京",
            "permit_no": f"PN{i:05d}", "mn": f"{code}{i:08d}MN" if rng.random() < 0.75 else "",
        })  # fmt: skip
    return pd.DataFrame(rows)


def _kinds(n: int, rng: np.random.Generator, src: pd.DataFrame) -> list[tuple[str, ...]]:
    out: list[tuple[str, ...]] = []
    for i in range(n):
        if rng.random() >= 0.12:
            out.append(())
            continue
        pool = [
            k
            for k in BAD_KINDS
            if not (k in ("exceed", "fraud") and not src.at[i, "mn"])
            and not (k in UNAPPROVED_KINDS and src.at[i, "industry"] in dict(UNLISTED).values())
        ]
        picks = rng.choice(pool, size=min(len(pool), 1 + int(rng.random() < 0.3)), replace=False)
        if "no_eia" in picks and "built_before" in picks:
            picks = np.array(["no_eia"])
        out.append(tuple(sorted(str(p) for p in picks)))
    return out


def write(
    out: Path,
    n: int = 400,
    seed: int = 7,
    month: str = "2026-10",
    *,
    beijing: bool = False,
    noise: float = 0.2,
) -> Population:
    """Draw the population and write its three files into ``out``; nothing is loaded.

    ``noise``: the share of case and approval rows without the credit code, and of unit names
    with a homophone typo (linkage then has only name and address to go on)."""
    rng = np.random.default_rng(seed)
    counties = BEIJING if beijing else HEBEI
    src = _sources(n, rng, counties)
    kinds = _kinds(n, rng, src)
    y, m = (int(p) for p in month.split("-"))
    m0 = date(y, m, 1)
    cases: list[dict[str, Any]] = []
    eia: list[dict[str, Any]] = []
    plan: list[dict[str, Any]] = []
    for i, k in enumerate(kinds):
        s = src.iloc[i]
        first = m0 - timedelta(days=int(rng.integers(200, 1500)))  # first operation
        approval: date | None = first - timedelta(days=int(rng.integers(60, 400)))
        if "no_eia" in k or (not k and s.industry in dict(UNLISTED).values()
                             and rng.random() < 0.7):  # fmt: skip
            approval = None
        if "built_before" in k:
            approval = first + timedelta(days=int(rng.integers(90, 500)))
            approval = min(approval, m0 - timedelta(days=5))
        unit = _variant(s["name"], s.city, rng, noise)
        code = s.uscc if rng.random() > noise else ""
        if approval is not None:
            eia.append({"approval_no": f"环审〔{approval.year}〕{i:04d}号", "approval_date":
                        approval.isoformat(), "project": f"{s['name']}建设项目", "unit": unit,
                        "uscc": code, "address": s.address,
                        "capacity": f"年产{rng.integers(1, 90)}万吨",
                        "industry": s.industry})  # fmt: skip

        # Cases: bad actors' violations; for the others, an inspection or an old closed case.
        def case(day: date, violation: str, penalty: float | None, status: str,
                 s: pd.Series = s) -> None:  # fmt: skip
            cases.append({"案件编号": f"JC{len(cases):06d}", "检查日期": day.isoformat(),
                          "单位名称": _variant(s["name"], s.city, rng, noise),
                          "统一社会信用代码": s.uscc if rng.random() > noise else "",
                          "地址": s.address, "违法类型": violation, "处罚依据":
                          "《中华人民共和国大气污染防治法》第九十九条" if violation else "",
                          "罚款金额": "" if penalty is None else f"{penalty:g}",
                          "状态": status})  # fmt: skip

        if "cases" in k:
            for j in range(1 + int(rng.integers(3))):
                day = m0 - timedelta(days=int(rng.integers(10, 330)))
                case(
                    day,
                    "超标排放",
                    float(rng.integers(5, 50)) * 10000,
                    "未结案" if j == 0 else "已结案",
                )
        elif rng.random() < 0.15:
            inspect = (approval or first) + timedelta(days=int(rng.integers(30, 200)))
            case(min(inspect, m0 - timedelta(days=1)), "", None, "")
        elif rng.random() < 0.08:
            case(
                m0 - timedelta(days=int(rng.integers(200, 360))),
                "未按规定设置标志",
                float(rng.integers(1, 3)) * 10000,
                "已结案",
            )
        elif rng.random() < 0.04:  # a minor violation still open: serious by the rule, not bad
            case(m0 - timedelta(days=int(rng.integers(5, 60))), "台账记录不规范", None, "未结案")
        if "built_before" in k and rng.random() < 0.4:
            case(first + timedelta(days=10), "", None, "")  # an inspection before approval
        plan.append({"first": first, "approval": approval})
    out.mkdir(parents=True, exist_ok=True)
    reg = src[["record_id", "name", "uscc", "address", "region_code", "industry", "permit_no",
               "mn"]].rename(columns={"record_id": "许可证流水号", "name": "单位名称",
                                      "uscc": "统一社会信用代码", "address": "生产经营场所地址",
                                      "region_code": "行政区划代码", "industry": "行业类别",
                                      "permit_no": "许可证编号", "mn": "MN号"})  # fmt: skip
    files = {"sources": out / "sources.csv", "cases": out / "cases.csv", "eia": out / "eia.csv"}
    reg.to_csv(files["sources"], index=False, encoding="utf-8")
    pd.DataFrame(cases).to_csv(files["cases"], index=False, encoding="utf-8")
    pd.DataFrame(eia).to_csv(files["eia"], index=False, encoding="utf-8")
    src["first"] = [p["first"] for p in plan]
    src["approval"] = [p["approval"] for p in plan]
    pop = Population(month, counties[0][0][:2] + "0000", src, files,
                     {r: k for r, k in zip(src.record_id, kinds, strict=True)})  # fmt: skip
    return pop
