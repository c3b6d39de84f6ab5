"""A file that cannot be read at all (missing, empty, damaged) is named as the file, not as an
option: the loads take it as their FILE argument, and the API names the request's `path`."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.cli._run import run_cli


@pytest.mark.parametrize("what", ["complaints", "observations", "cases", "stations"])
def test_an_empty_file_is_named_as_itself(tmp_path: Path, what: str) -> None:
    empty = tmp_path / "empty.csv"
    empty.write_bytes(b"")
    out = run_cli("load", what, str(empty), data_dir=tmp_path / "data")
    assert out.exit_code != 0
    last = out.output.strip().splitlines()[-1]
    assert last == "error: empty.csv: the file is empty", out.output


def test_a_damaged_workbook_is_named_as_itself(tmp_path: Path) -> None:
    book = tmp_path / "c3.xlsx"
    book.write_bytes(b"PK\x03\x04 not really a workbook")
    out = run_cli("load", "complaints", str(book), data_dir=tmp_path / "data")
    assert out.exit_code != 0
    assert "error: c3.xlsx: not a readable XLSX workbook" in out.output, out.output
    assert "--c3" not in out.output and "Traceback" not in out.output
