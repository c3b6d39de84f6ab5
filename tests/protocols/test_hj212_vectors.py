"""Frames pinned to the clause of HJ 212 they exercise (data/hj212_vectors.csv)."""

from __future__ import annotations

import csv
from pathlib import Path

import pytest

from ecohub.protocols.hj212 import ProtocolError, diagnose, parse

VECTORS = list(
    csv.DictReader((Path(__file__).parent / "data" / "hj212_vectors.csv").open(encoding="utf-8"))
)


def _outcome(frame: str, lenient: bool) -> tuple[str, str]:
    try:
        packet = parse(frame, lenient=lenient)
    except ProtocolError as exc:
        return type(exc).__name__, ""
    return "ok" + (f":{packet.deviation}" if packet.deviation else ""), packet.edition


@pytest.mark.parametrize("row", VECTORS, ids=[row["id"] for row in VECTORS])
def test_strict(row: dict[str, str]) -> None:
    outcome, edition = _outcome(row["frame"], lenient=False)
    assert outcome == row["strict"], row["clause"]
    if outcome == "ok":
        assert edition == row["edition"], row["clause"]


@pytest.mark.parametrize("row", VECTORS, ids=[row["id"] for row in VECTORS])
def test_lenient(row: dict[str, str]) -> None:
    outcome, edition = _outcome(row["frame"], lenient=True)
    assert outcome == row["lenient"], row["clause"]
    if outcome.startswith("ok"):
        assert edition == row["edition"], row["clause"]


@pytest.mark.parametrize("row", VECTORS, ids=[row["id"] for row in VECTORS])
def test_diagnose(row: dict[str, str]) -> None:
    expected = row["lenient"][3:] if row["lenient"].startswith("ok:") else None
    assert diagnose(row["frame"]) == expected


@pytest.mark.parametrize("row", VECTORS, ids=[row["id"] for row in VECTORS])
def test_with_crlf_and_as_bytes(row: dict[str, str]) -> None:
    frame = row["frame"].encode("utf-8") + b"\r\n"
    assert _outcome(frame.decode("utf-8"), lenient=True) == _outcome(row["frame"], lenient=True)
    try:
        packet = parse(frame, lenient=True)
    except ProtocolError:
        return
    assert packet.raw == frame
