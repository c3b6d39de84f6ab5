"""Code tables load from CSV and answer the look-ups the codec and ingest need."""

from __future__ import annotations

import pytest

from ecohub.protocols.hj212 import codes


def test_system_codes() -> None:
    table = codes.system_codes()
    assert table["91"]["name_en"] == "system interaction"
    assert {"21", "22", "31", "32", "51", "52"} <= set(table)


def test_command_codes_2025_additions() -> None:
    for cn in ("9015", "1001", "1002", "1014", "2013", "2052", "2062", "2111", "3022", "3024"):
        assert codes.command(cn, "2025") is not None, cn
        assert codes.command(cn, "2017") is None, cn
    assert codes.command("2051", "2017").logger_kind == "upload"  # type: ignore[union-attr]
    assert codes.command("9014", "2025").logger_kind == "answer"  # type: ignore[union-attr]
    assert codes.command("2072", "2005").logger_kind == "notification"  # type: ignore[union-attr]


def test_data_flags() -> None:
    assert set(codes.data_flags()) == set("NFMSDCTB")


@pytest.mark.parametrize(
    ("code", "name_en"),
    [
        ("a21026", "sulphur dioxide"),
        ("a21004", "nitrogen dioxide"),
        ("a34002", "PM10"),
        ("a21005", "carbon monoxide"),
        ("a05024", "ozone"),
        ("a34004", "PM2.5"),
        ("w01018", "COD"),
        ("LA", "A-weighted sound level"),
    ],
)
def test_pollutants(code: str, name_en: str) -> None:
    assert codes.pollutant(code).name_en == name_en  # type: ignore[union-attr]


def test_ambient_units() -> None:
    assert codes.pollutant("a34004").ambient_unit == "µg/m³"  # type: ignore[union-attr]
    assert codes.pollutant("a21005").ambient_unit == "mg/m³"  # type: ignore[union-attr]


@pytest.mark.parametrize(
    ("old", "new"),
    [
        ("02", "a21026"),
        ("01", "a34013"),
        ("03", "a21002"),
        ("011", "w01018"),
        ("060", "w21003"),
        ("B01", "w00000"),
        ("B02", "a00000"),
        ("S01", "a19001"),
        ("02z", "a21026"),
        ("a34004", "a34004"),
        ("zzz", "zzz"),
    ],
)
def test_map_2005_code(old: str, new: str) -> None:
    assert codes.map_2005_code(old) == new


def test_every_2005_target_is_a_known_code() -> None:
    for old in ("01", "02", "011", "101", "B03"):
        assert codes.map_2005_code(old) in codes.pollutants()


def test_collisions() -> None:
    assert codes.code_collision("g11901") is not None
    assert codes.code_collision("e70102") is not None
    assert codes.code_collision("g12001") is None
    assert codes.code_collision("a21026") is None
