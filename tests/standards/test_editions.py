"""The editions registry: which edition judges which day."""

from __future__ import annotations

import itertools
from datetime import date

import pytest

from ecohub.standards import editions
from ecohub.standards.editions import edition_for
from ecohub.standards.errors import StandardsError, UnknownParameter


@pytest.mark.parametrize(
    ("standard", "on", "expected"),
    [
        ("HJ633", date(2013, 1, 1), 2012),  # first-phase cities (Beijing) from 2013
        ("HJ 633-2012", date(2026, 2, 28), 2012),
        ("hj633", date(2026, 3, 1), 2026),
        ("HJ633", date(2026, 11, 23), 2026),
        ("GB3095", date(2016, 1, 1), "2012"),
        ("GB 3095", date(2026, 2, 28), "2012"),
        ("GB3095", date(2026, 3, 1), "2026-transition"),
        ("GB3095", date(2030, 12, 31), "2026-transition"),
        ("GB3095", date(2031, 1, 1), "2026-final"),
        ("HJ663", date(2013, 3, 1), 2013),  # in use with GB 3095-2012 from 2013
        ("HJ663", date(2013, 10, 1), 2013),
        ("HJ663", date(2026, 2, 28), 2013),
        ("HJ663", date(2026, 3, 1), 2026),
        ("HJ/T 212", date(2010, 1, 1), 2005),
        ("HJ212", date(2017, 4, 30), 2005),
        ("HJ212", date(2017, 5, 1), 2017),
        ("HJ212", date(2025, 12, 31), 2017),
        ("HJ212", date(2026, 1, 1), 2025),
        ("GB3838", date(2026, 11, 23), 2002),
    ],
    ids=lambda v: str(v),
)
def test_edition_for(standard: str, on: date, expected: int | str) -> None:
    assert edition_for(standard, on) == expected


def test_editions_do_not_overlap_or_leave_gaps() -> None:
    for key in {e.standard for e in editions.EDITIONS}:
        eds = editions.editions_of(key)
        for a, b in itertools.pairwise(eds):
            assert a.valid_to is not None and (b.valid_from - a.valid_to).days == 1, (a, b)


def test_every_table_edition_is_declared() -> None:
    phases = {r["phase"] for r in editions.load_table("gb3095_limits.csv")}
    assert phases == {str(e.edition) for e in editions.editions_of("GB3095")}
    hj663 = {int(r["edition"]) for r in editions.load_table("hj663_validity.csv")}
    assert hj663 == {e.edition for e in editions.editions_of("HJ663")}
    hj633 = {int(r["edition"]) for r in editions.load_table("hj633_rules.csv")}
    assert hj633 == {e.edition for e in editions.editions_of("HJ633")}


def test_errors() -> None:
    with pytest.raises(UnknownParameter) as info:
        edition_for("HJ663", date(2012, 1, 1))
    assert info.value.field == "on"
    with pytest.raises(UnknownParameter) as info:
        edition_for("GB9999", date(2020, 1, 1))
    assert info.value.field == "standard"
    for junk in (None, 1, "", "x", [], "2020-01-01"):
        with pytest.raises(StandardsError):
            edition_for(junk, date(2020, 1, 1))  # type: ignore[arg-type]
        with pytest.raises(StandardsError):
            edition_for("HJ633", junk)  # type: ignore[arg-type]
