"""Four departments' lists of one district, as a registry steward's walk-through wrote them
(permit, enforcement, EIA, online monitoring), with the cases a master list must get right:
two units at one address with two valid credit codes (东方电镀 / 东方喷涂), a renamed plant
(红星造纸厂 → 绿源纸业, one credit code), a moved plant (蓝天印刷), a closed plant (旧城砖厂,
状态 注销).

Every credit code here is checked by :func:`gb32100_check` below, written from GB 32100-2015
section 4.5 (not ecohub's module): weights 3^(i-1) mod 31, check = 31 - (Σ mod 31), 31 → 0.
"""

from __future__ import annotations

import duckdb
import pandas as pd

from ecohub.registry import records

ALPHABET = "0123456789ABCDEFGHJKLMNPQRTUWXY"  # GB 32100-2015 Table 1 (no I, O, S, V, Z)
WEIGHTS = (1, 3, 9, 27, 19, 26, 16, 17, 20, 29, 25, 13, 8, 24, 10, 30, 28)

# 电镀 and 喷涂: two legal entities at 工业园8号, one legal representative, one industry.
PLATING = "91110105MA01DF0A10"
SPRAYING = "91110105MA01DF0B24"
CHEMICALS = "91110105MA01HX1Y97"  # 华兴化工, in three lists
PAPER = "91110108MA01GRN11E"  # renamed 红星造纸厂 → 绿源纸业
PRINTING = "91110105MA01PK0B7X"  # moved 坝河路99号 → 将台路5号
BRICKS = "91110105MA01JC0A37"  # 旧城砖厂, 注销 in the permit list


def gb32100_check(body17: str) -> str:
    """The check character of a 17-character credit-code body (GB 32100-2015, 4.5)."""
    total = sum(ALPHABET.index(c) * w for c, w in zip(body17, WEIGHTS, strict=True))
    return ALPHABET[(31 - total % 31) % 31]


def hj608(uscc: str, seq: int = 1) -> str:
    """The HJ 608-2017 code of a unit's ``seq``-th source, by hand: USCC + 3 digits + P."""
    return f"{uscc}{seq:03d}P"


PERMIT = pd.DataFrame(
    [
        ["P01", "北京华兴化工有限公司", CHEMICALS, "北京市朝阳区酒仙桥路10号", "110105",
         "张伟", "化学原料和化学制品制造业", "116.4901", "39.9702", "正常"],
        ["P04", "北京绿源纸业有限公司", PAPER, "北京市海淀区温泉镇白家疃路1号", "110108", "赵敏",
         "造纸和纸制品业", "116.2005", "40.0506", "正常"],
        ["P05", "北京蓝天印刷有限公司", PRINTING, "北京市朝阳区将台路5号", "110105", "孙丽",
         "印刷和记录媒介复制业", "116.5007", "39.9808", "正常"],
        ["P07", "北京东方电镀有限公司", PLATING, "北京市朝阳区黑庄户乡工业园8号", "110105", "吴刚",
         "金属表面处理及热处理加工", "116.6211", "39.8511", "正常"],
        ["P08", "北京东方喷涂有限公司", SPRAYING, "北京市朝阳区黑庄户乡工业园8号", "110105", "吴刚",
         "金属表面处理及热处理加工", "116.6211", "39.8511", "正常"],
        ["P09", "北京旧城砖厂", BRICKS, "北京市朝阳区孙河乡康营村1号", "110105", "郑和",
         "砖瓦、石材等建筑材料制造", "116.5213", "40.0414", "注销"],
    ],
    columns=["记录编号", "单位名称", "统一社会信用代码", "生产经营场所地址", "行政区划代码",
             "法定代表人", "行业类别", "经度", "纬度", "状态"],
)  # fmt: skip
ENFORCEMENT = pd.DataFrame(
    [
        ["E01", "北京华兴化工有限责任公司", CHEMICALS, "北京市朝阳区酒仙桥路10号", "张伟"],
        ["E02", "北京红星造纸厂", PAPER, "北京市海淀区温泉镇白家疃路1号", "赵敏"],
        ["E03", "北京蓝天印刷有限公司", PRINTING, "北京市朝阳区东坝乡坝河路99号", "孙丽"],
        ["E05", "北京东方喷涂有限公司", SPRAYING, "北京市朝阳区黑庄户乡工业园8号", "吴刚"],
    ],
    columns=["编号", "企业名称", "统一社会信用代码", "地址", "法定代表人"],
)  # fmt: skip
EIA = pd.DataFrame(
    [
        ["A03", "北京东方电镀有限公司", "", "北京市朝阳区黑庄户乡工业园8号"],
        ["A05", "北京华兴化工有限公司", CHEMICALS, "北京市朝阳区酒仙桥路10号"],
    ],
    columns=["编号", "建设单位", "统一社会信用代码", "地址"],
)
LISTS = {"permit": PERMIT, "enforcement": ENFORCEMENT, "eia": EIA}


def load_all(con: duckdb.DuckDBPyConnection) -> None:
    """Load the three lists (permit first) into the store ``con``."""
    for system, frame in LISTS.items():
        records.load_frame(con, system, frame)


def code_of(con: duckdb.DuckDBPyConnection, record: str) -> str:
    """The source code of ``system:record_id`` now."""
    system, record_id = record.split(":")
    rows = con.execute(
        "SELECT source_code FROM source_record WHERE system = ? AND record_id = ?",
        [system, record_id],
    ).fetchall()
    return str(rows[0][0])
