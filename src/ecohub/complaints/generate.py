"""A generated complaint set for Beijing with planted hot spots around known sources, and its truth.

Planted: for every demonstration source of ``data/sample_sources.csv`` that has a
``planted_topic``, a burst of complaints of that topic within a few hundred metres of it over
about ten days. Background: complaints of every topic spread over the city and the half year,
a third of them with an address only; plus decoys that must *not* become hot spots: a few
complaints too few to be dense, and a place complained about once a month. Deterministic for a
seed. The texts come from templates of this module (not from the rules or the labelled set).
"""

from __future__ import annotations

import csv
from dataclasses import dataclass
from datetime import datetime, timedelta
from functools import lru_cache
from importlib import resources
from pathlib import Path

import numpy as np

from ecohub.complaints.places import EARTH_RADIUS_M

__all__ = ["Generated", "Planted", "generate", "sample_sources", "write_csv"]

START = datetime(2026, 5, 1)
DAYS = 184  # May .. October 2026

_DISTRICTS = [
    ("朝阳区", 116.49, 39.95), ("海淀区", 116.27, 39.98), ("丰台区", 116.26, 39.84),
    ("石景山区", 116.20, 39.92), ("通州区", 116.66, 39.90), ("顺义区", 116.65, 40.13),
    ("大兴区", 116.34, 39.73), ("昌平区", 116.23, 40.20), ("东城区", 116.42, 39.93),
    ("西城区", 116.36, 39.91),
]  # fmt: skip
_ROADS = ["建设路", "幸福街", "光明路", "和平里", "朝阳路", "育新街", "兴业路", "长青路"]

# (topic, templates); {w} is a where-word, {t} a time-word.
_TEXTS: dict[str, list[str]] = {
    "odour": ["{w}附近有很重的异味，{t}特别明显", "{w}那边飘来刺鼻的臭味，开不了窗",
              "{t}总能闻到{w}方向的恶臭", "{w}周边气味难闻，熏得头疼"],
    "dust": ["{w}扬尘很大，{t}车上全是灰", "{w}粉尘漫天，没有洒水",
             "{w}的砂石堆放不苫盖，刮风全是尘土"],
    "smoke": ["{w}烟囱冒黑烟，{t}最严重", "{w}{t}冒出浓烟", "{w}锅炉烧煤冒烟"],
    "vocs": ["{w}喷漆味道很重，{t}更明显", "{w}有油漆味，闻着头晕", "{w}的有机废气直接排放"],
    "cooking_fumes": ["{w}餐馆油烟直排", "{w}烧烤油烟太大，{t}开窗就是油烟味"],
    "wastewater_discharge": ["{w}往河里偷排废水，{t}水都变色了", "{w}的排污口排污水",
                             "{w}通过暗管排放废水"],
    "polluted_water_body": ["{w}旁边的河水发黑发臭", "{w}附近池塘有死鱼"],
    "industrial_noise": ["{w}机器轰鸣，{t}吵得睡不着", "{w}车间设备噪音很大", "{w}风机噪声扰民"],
    "night_construction_noise": ["{w}工地夜间施工，噪音扰民", "{w}半夜还在施工，吵得睡不着"],
    "social_noise": ["{w}广场舞音响太吵", "{w}商铺大喇叭循环播放"],
    "traffic_noise": ["{w}大货车鸣笛扰民"],
    "illegal_dumping": ["{w}有人倾倒建筑垃圾", "{w}空地堆放大量废渣"],
    "hazardous_waste": ["{w}有人乱倒废机油", "{w}危险废物露天堆放"],
    "soil_contamination": ["{w}的农田土壤被污染，庄稼减产"],
    "electromagnetic": ["{w}楼顶新建基站，担心辐射"],
    "deforestation": ["{w}有人砍伐树木"],
    "other": ["咨询{w}的环评信息公开", "{w}之前的投诉一直没有回复"],
}  # fmt: skip
_WHERE = ["厂子", "工厂", "这家企业", "对面的厂", "那个厂区"]
_WHEN = ["晚上", "凌晨", "每天早上", "下午", "周末"]
_CHANNELS = ["12369热线", "12369微信", "12369网络", "信函"]
_RESULTS = ["已办结", "已转办", "办理中", "经核查情况属实，已责令整改", "经核查未发现问题"]


@dataclass(frozen=True)
class Planted:
    source_code: str
    topic: str
    start: datetime
    rows: tuple[int, ...]  # positions in Generated.rows


@dataclass
class Generated:
    rows: list[dict[str, object]]  # one complaint per row, in the loader's Chinese headers
    planted: list[Planted]
    decoys: list[tuple[int, ...]]  # row positions that must not form a hot spot


@lru_cache(maxsize=1)
def sample_sources() -> list[dict[str, str]]:
    """The demonstration sources (Beijing, WGS84) the planted hot spots surround."""
    text = resources.files("ecohub.complaints.data").joinpath("sample_sources.csv")
    return list(csv.DictReader(text.read_text(encoding="utf-8").splitlines()))


def _offset(
    rng: np.random.Generator, lon: float, lat: float, sigma_m: float
) -> tuple[float, float]:
    dx, dy = rng.normal(0, sigma_m, 2)
    dlat = np.degrees(dy / EARTH_RADIUS_M)
    dlon = np.degrees(dx / (EARTH_RADIUS_M * np.cos(np.radians(lat))))
    return round(lon + float(dlon), 6), round(lat + float(dlat), 6)


def generate(seed: int = 12369, background: int = 600, scale: int = 1) -> Generated:
    """The set: planted bursts (8-14 complaints each, ``scale`` times as many places and
    bursts), ``background`` scattered complaints and the decoys."""
    rng = np.random.default_rng(seed)
    rows: list[dict[str, object]] = []

    def add(topic: str, at: datetime, lon: float | None, lat: float | None, district: str,
            street: str) -> int:  # fmt: skip
        text = str(rng.choice(_TEXTS[topic])).format(w=str(rng.choice(_WHERE)),
                                                     t=str(rng.choice(_WHEN)))  # fmt: skip
        rows.append({
            "投诉时间": at.strftime("%Y-%m-%d %H:%M"),
            "投诉内容": text,
            "事发地址": f"北京市{district}{street}",
            "经度": "" if lon is None else f"{lon:.6f}",
            "纬度": "" if lat is None else f"{lat:.6f}",
            "来源": str(rng.choice(_CHANNELS)),
            "办理结果": str(rng.choice(_RESULTS)),
        })  # fmt: skip
        return len(rows) - 1

    planted: list[Planted] = []
    for copy in range(scale):
        for s in sample_sources():
            if not s["planted_topic"]:
                continue
            lon0, lat0 = float(s["lon"]), float(s["lat"])
            if copy:  # further places of the bench's larger sets: shifted 0.2 degrees a copy
                lon0, lat0 = lon0 + 0.2 * copy, lat0 - 0.1 * copy
            start = START + timedelta(days=int(rng.integers(10, DAYS - 20)))
            district = next(d for d, *_ in _DISTRICTS if d in s["address"])
            street = s["address"].split(district, 1)[1].rstrip("号1234567890") + "附近"
            street += f"{copy}区" if copy else ""  # copies are other places
            members = []
            for _ in range(int(rng.integers(8, 15))):
                at = start + timedelta(hours=float(rng.uniform(0, 10 * 24)))
                lon, lat = _offset(rng, lon0, lat0, 150.0)
                members.append(add(s["planted_topic"], at, lon, lat, district, street))
            planted.append(Planted(s["source_code"], s["planted_topic"], start, tuple(members)))
    topics = list(_TEXTS)
    for _ in range(background * scale):
        district, dlon, dlat = _DISTRICTS[int(rng.integers(len(_DISTRICTS)))]
        at = START + timedelta(minutes=float(rng.uniform(0, DAYS * 24 * 60)))
        topic = topics[int(rng.integers(len(topics)))]
        street = f"{rng.choice(_ROADS)}{int(rng.integers(1, 300))}号"
        if rng.random() < 1 / 3:
            add(topic, at, None, None, district, street)
        else:
            lon, lat = _offset(rng, dlon, dlat, 6000.0)
            add(topic, at, lon, lat, district, street)
    decoys: list[tuple[int, ...]] = []
    for k in range(3 * scale):  # three complaints close together: too few to be dense
        at = START + timedelta(days=30 + 40 * (k % 3), hours=k)
        lon0, lat0 = 116.40 + 0.05 * k, 39.88 - 0.02 * k
        decoys.append(tuple(add("social_noise", at + timedelta(hours=6 * i),
                                *_offset(rng, lon0, lat0, 80.0), "东城区", f"示例胡同{k + 1}号附近")
                            for i in range(3)))  # fmt: skip
    c8 = next(s for s in sample_sources() if not s["planted_topic"])
    for k in range(scale):  # once a month at the same plant: persistent, but never dense in time
        lon0, lat0 = float(c8["lon"]) + 0.2 * k, float(c8["lat"]) - 0.1 * k
        where = f"沙河示例路{k + 8}号附近"
        decoys.append(tuple(add("wastewater_discharge", START + timedelta(days=30 * m + 3, hours=k),
                                *_offset(rng, lon0, lat0, 100.0), "昌平区", where)
                            for m in range(6)))  # fmt: skip
    return Generated(rows, planted, decoys)


def write_csv(gen: Generated, path: Path) -> Path:
    """The set as a UTF-8 CSV with the Chinese headers a 12369 export uses."""
    path.parent.mkdir(parents=True, exist_ok=True)
    with path.open("w", encoding="utf-8", newline="") as fh:
        writer = csv.DictWriter(fh, fieldnames=list(gen.rows[0]))
        writer.writeheader()
        writer.writerows(gen.rows)
    return path
