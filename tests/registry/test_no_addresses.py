"""A list without addresses links: with no address column, or with every address empty, the
address bigram sets are all NULL, and they must still reach the engine as lists of strings.

Before the fix Splink failed to bind ``list_distinct(INTEGER)``: pandas turned the all-NULL
column into one the engine typed INTEGER.
"""

from __future__ import annotations

import json
from pathlib import Path

import duckdb
import pytest
from typer.testing import CliRunner

from ecohub.cli.main import app
from ecohub.registry import linkage, service

# GB 32100's check character worked by hand for this body (weights 1 3 9 27 19 26 16 17 20 29
# 25 13 8 24 10 30 28, modulus 31): the code is valid, so the two records share a valid USCC.
CODE = "91350100M000100Y43"
PERMIT = (
    "record_id,name,uscc{addr}\n"
    f"P1,福州某某电子有限公司,{CODE}{{e}}\n"
    "P2,厦门另一家化工有限公司,{e}\n"
    "P3,泉州第三家纺织有限公司,{e}\n"
)
TAX = f"record_id,name,uscc{{addr}}\nT1,福州某某电子有限公司,{CODE}{{e}}\n"


def _lists(tmp: Path, *, column: bool) -> tuple[Path, Path]:
    """Two systems' lists: without an address column, or with the column and every value empty."""
    addr, e = (",address", ",") if column else ("", "")
    permit, tax = tmp / "permit.csv", tmp / "tax.csv"
    permit.write_text(PERMIT.format(addr=addr, e=e), encoding="utf-8")
    tax.write_text(TAX.format(addr=addr, e=e), encoding="utf-8")
    return permit, tax


def _codes(con: duckdb.DuckDBPyConnection) -> dict[str, str]:
    rows = con.execute("SELECT system || ':' || record_id, source_code FROM source_record")
    return dict(rows.fetchall())


@pytest.mark.parametrize("column", [False, True], ids=["no-address-column", "empty-addresses"])
def test_service_links_a_list_without_addresses(
    con: duckdb.DuckDBPyConnection, tmp_path: Path, column: bool
) -> None:
    permit, tax = _lists(tmp_path, column=column)
    service.load_records(con, "permit", permit)
    service.load_records(con, "tax", tax)
    frame = linkage.input_frame(con)
    assert frame["addr_grams"].isna().all()
    assert str(frame["addr_grams"].dtype) == "list<item: string>[pyarrow]"
    out = service.link(con, actor="test")
    assert out["records"] == 4
    codes = _codes(con)
    assert all(codes.values()) and len(set(codes.values())) == 4
    # Four records teach the model little: the two with the same valid credit code and name
    # are scored (p between the review edges), not linked outright; they wait for a person in
    # the review band, and each record still gets its own code.
    band = con.execute(
        "SELECT system_a, record_a, system_b, record_b, match_probability FROM review_pair"
    ).fetchall()
    assert [r[:4] for r in band] == [("permit", "P1", "tax", "T1")]
    assert 0.5 <= band[0][4] < 0.9
    assert codes["permit:P1"].startswith(CODE)  # HJ 608: the code built on the valid USCC


def test_cli_links_a_list_without_addresses(tmp_path: Path) -> None:
    from ecohub.settings import get_settings

    permit, tax = _lists(tmp_path, column=False)
    env = {"ECOHUB_DB_PATH": str(tmp_path / "ecohub.duckdb")}
    runner = CliRunner()

    def run(*args: str) -> str:
        get_settings.cache_clear()
        result = runner.invoke(app, ["registry", *args], env=env)
        assert result.exit_code == 0, result.output
        return result.output

    run("load", "--system", "permit", str(permit))
    run("load", "--system", "tax", str(tax))
    linked = json.loads(run("link", "--json"))
    assert linked["records"] == 4 and linked["clusters"] == 4
