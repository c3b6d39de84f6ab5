"""Normalisers, table-driven: each case names what it exercises."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from ecohub.registry import gcj02, normalize

NAMES = [
    # (case, raw, name_norm, name_core)
    ("suffix 有限公司", "唐山市华兴钢铁有限公司", "唐山市华兴钢铁有限公司", "华兴钢铁"),
    ("suffix 有限责任公司", "华兴钢铁有限责任公司", "华兴钢铁有限责任公司", "华兴钢铁"),
    ("suffix 股份有限公司", "华兴钢铁股份有限公司", "华兴钢铁股份有限公司", "华兴钢铁"),
    ("suffix 集团+有限公司", "华兴钢铁集团有限公司", "华兴钢铁集团有限公司", "华兴钢铁"),
    ("suffix 分公司", "华兴钢铁有限公司分公司", "华兴钢铁有限公司分公司", "华兴钢铁"),
    ("suffix 厂", "华兴钢铁厂", "华兴钢铁厂", "华兴钢铁"),
    ("full width brackets", "华兴钢铁（丰润）有限公司", "华兴钢铁(丰润)有限公司", "华兴钢铁"),
    ("traditional", "華興鋼鐵有限公司", "华兴钢铁有限公司", "华兴钢铁"),
    ("spaces", "华兴 钢铁 有限公司", "华兴钢铁有限公司", "华兴钢铁"),
    (
        "province+city+county",
        "河北省唐山市丰润区华兴钢铁有限公司",
        "河北省唐山市丰润区华兴钢铁有限公司",
        "华兴钢铁",
    ),
    ("short prefecture", "唐山华兴钢铁有限公司", "唐山华兴钢铁有限公司", "华兴钢铁"),
    ("not a division", "华兴市政工程有限公司", "华兴市政工程有限公司", "华兴市政工程"),
    ("full-width latin", "ＡＢＣ化工有限公司", "abc化工有限公司", "abc化工"),
    ("latin untouched", "John  Smith", "john smith", "john smith"),
    ("latin ltd", "Acme Chemicals Co., Ltd.", "acme chemicals co., ltd.", "acme chemicals"),
    ("empty", "  ", None, None),
]


@pytest.mark.parametrize(("case", "raw", "norm", "core"), NAMES, ids=[n[0] for n in NAMES])
def test_names(case: str, raw: str, norm: str | None, core: str | None) -> None:
    out = normalize.normalize_names(pd.Series([raw]))
    assert out.name_norm[0] == norm
    assert out.name_core[0] == core


ADDRESSES = [
    ("full", "河北省唐山市丰润区新华路88号", "新华路88号", "130208"),
    ("no province", "唐山市丰润区新华路88号", "新华路88号", "130208"),
    ("county only", "丰润区新华路88号", "新华路88号", "130208"),
    ("full width digits and spaces", "河北省 唐山市 丰润区 新华路８８号", "新华路88号", "130208"),
    ("no division", "新华路88号", "新华路88号", None),
    ("latin", "12 Smith Street, Canberra", "12smithstreetcanberra", None),
]


@pytest.mark.parametrize(
    ("case", "raw", "norm", "region"), ADDRESSES, ids=[a[0] for a in ADDRESSES]
)
def test_addresses(case: str, raw: str, norm: str, region: str | None) -> None:
    out = normalize.normalize_addresses(pd.Series([raw]))
    assert out.address_norm[0] == norm
    assert out.region_code[0] == region


USCC = [
    ("valid", "91130200699229617X", "valid", "91130200699229617X"),
    ("valid with spaces", "9113 0200 6992 2961 7X", "valid", "91130200699229617X"),
    ("wrong check char", "911302006992296170", "bad_check", None),
    ("too short", "9113020069922961", "bad_length", None),
    ("bad characters", "91130200699229617!", "bad_format", None),
    ("missing", "", "missing", None),
]


@pytest.mark.parametrize(("case", "raw", "status", "norm"), USCC, ids=[u[0] for u in USCC])
def test_uscc(case: str, raw: str, status: str, norm: str | None) -> None:
    out = normalize.normalize_uscc(pd.Series([raw]))
    assert out.uscc_status[0] == status
    assert out.uscc_norm[0] == norm
    if status == "bad_check":
        assert out.uscc_body[0] == raw[:17]


def test_coords_flags() -> None:
    lon = pd.Series([118.16, -74.0, 39.8, None])
    lat = pd.Series([39.83, 40.7, 118.1, None])
    out = normalize.normalize_coords(lon, lat)
    assert list(out.coord_flag) == [None, "coords_outside_china", "coords_swapped", None]
    assert np.isnan(out.lon_wgs[1]) and out.lon_wgs[2] == pytest.approx(118.1)


def test_gcj02_round_trip() -> None:
    lon, lat = np.array([116.397, 118.16]), np.array([39.909, 39.83])
    glon, glat = gcj02.wgs84_to_gcj02(lon, lat)
    assert 0.001 < abs(glon[0] - lon[0]) < 0.01  # hundreds of metres, as published
    wlon, wlat = gcj02.gcj02_to_wgs84(glon, glat)
    assert np.allclose(wlon, lon, atol=1e-6) and np.allclose(wlat, lat, atol=1e-6)


def test_gcj02_outside_china_is_identity() -> None:
    glon, glat = gcj02.wgs84_to_gcj02(np.array([-74.0]), np.array([40.7]))
    assert glon[0] == -74.0 and glat[0] == 40.7
