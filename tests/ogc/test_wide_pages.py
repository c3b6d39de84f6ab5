"""Pages of a larger ``sources`` table through the two SQL paths chosen for speed: pages
nothing but ``after`` narrows (next links, offsets, no filter) read as the page's keys, then the
stretch of rows between its first and last key (the pages here take 60 or 100 rows), and the
code range beside a one-division scope. Sources page in ``hkey`` order (their place along the
storage curve, ecohub.geo.storage); the rows here are given keys unlike both their code order
and their insertion order, and the expected ids are worked out from those keys."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import duckdb
import pytest

from ecohub.access.principal import Grant, Principal
from ecohub.geo.ogc import OgcBadRequest, items

#: 300 sources: three counties (two of Beijing's, one of Tianjin's), codes not in key order
#: (a code's sequence is i * 7919 mod 1000) and keys a permutation of 1..300 (i * 37 mod 300).
COUNTIES = ("110105", "110108", "120101")
ROWS = [
    (f"H9{COUNTIES[i % 3]}{(i * 7919) % 1000:010d}001P", COUNTIES[i % 3], 116.0 + i / 1000, 39.9,
     1 + (i * 37) % 300)
    for i in range(300)
]  # fmt: skip


def _in_key_order(rows: list[tuple[Any, ...]]) -> list[str]:
    return [r[0] for r in sorted(rows, key=lambda r: r[4])]


ADMIN = Principal("u_admin", "admin", None, via="apikey")
CHAOYANG = Principal("u_a", "analyst", "110105", via="apikey")
BEIJING = Principal("u_b", "analyst", "110000", via="apikey")


@pytest.fixture(scope="module")
def con() -> Iterator[duckdb.DuckDBPyConnection]:
    from ecohub.store.db import connect

    c = connect(":memory:")
    # Inserted in an order unlike both the code order and the key order.
    c.executemany(
        "INSERT INTO source (source_code, name, region_code, lon, lat, hkey) "
        "VALUES (?, ?, ?, ?, ?, ?)",
        [(code, f"name {code}", region, x, y, k) for code, region, x, y, k in reversed(ROWS)],
    )
    yield c
    c.close()


def _page(con: duckdb.DuckDBPyConnection, p: Principal, **params: Any) -> dict[str, Any]:
    cur = con.cursor()
    try:
        return items(cur, p, "http://x/ogc", "sources", {k: str(v) for k, v in params.items()})
    finally:
        cur.close()


def _ids(body: dict[str, Any]) -> list[str]:
    return [f["id"] for f in body["features"]]


def _walk(con: duckdb.DuckDBPyConnection, p: Principal, limit: int) -> list[str]:
    """Every id, following next links (``after``) from the first page."""
    got: list[str] = []
    params: dict[str, Any] = {"limit": limit}
    while True:
        body = _page(con, p, **params)
        got += _ids(body)
        nxt = [link for link in body["links"] if link["rel"] == "next"]
        if not nxt:
            assert body["numberMatched"] == len(got)
            return got
        params = {"limit": limit, "after": got[-1], "offset": len(got)}


def test_next_links_and_offsets_over_a_wide_table_give_every_id_once_in_order(
    con: duckdb.DuckDBPyConnection,
) -> None:
    want = _in_key_order(ROWS)
    assert want != sorted(want)  # the key order is not the code order
    assert _walk(con, ADMIN, 60) == want
    assert _ids(_page(con, ADMIN, limit=100, offset=150)) == want[150:250]
    body = _page(con, ADMIN, limit=100, after=want[249], offset=250)
    assert _ids(body) == want[250:] and body["numberMatched"] == 300
    # Properties and geometry are those of the row (read late, still the right row).
    feature = _page(con, ADMIN, limit=60, after=want[9])["features"][0]
    code, region, lon, lat, _ = next(r for r in ROWS if r[0] == want[10])
    assert feature["properties"]["name"] == f"name {code}"
    assert feature["properties"]["region_code"] == region
    assert feature["geometry"] == {"type": "Point", "coordinates": [lon, lat]}


def test_a_division_scope_reads_its_codes_only(con: duckdb.DuckDBPyConnection) -> None:
    chaoyang = _in_key_order([r for r in ROWS if r[1] == "110105"])
    beijing = _in_key_order([r for r in ROWS if r[1].startswith("11")])
    assert _walk(con, CHAOYANG, 60) == chaoyang
    assert _walk(con, BEIJING, 100) == beijing
    # With a grant the scope is an OR of prefixes (no range added): Tianjin's rows join in.
    granted = Principal(
        "u_g", "analyst", "110105", via="apikey", grants=(Grant("g1", "r1", "source", "1201"),)
    )
    both = _in_key_order([r for r in ROWS if r[1] in ("110105", "120101")])
    assert _walk(con, granted, 60) == both


def test_after_an_unknown_or_unseen_source_is_the_same_400(con: duckdb.DuckDBPyConnection) -> None:
    """``after`` places the page at its item, looked up in the caller's scope: an item outside
    it must not reveal where it lies, so it answers exactly as an unknown one."""
    haidian = next(r[0] for r in ROWS if r[1] == "110108")
    chaoyang = next(r[0] for r in ROWS if r[1] == "110105")
    assert _ids(_page(con, CHAOYANG, limit=5, after=chaoyang))  # in scope: a page
    answers = []
    for after in (haidian, "H9110105999999999001P"):
        with pytest.raises(OgcBadRequest) as caught:
            _page(con, CHAOYANG, limit=5, after=after)
        answers.append((caught.value.field, caught.value.reason))
    assert answers[0] == answers[1] == ("after", "must be an item id of collection sources")
    # The administrator sees Haidian's source: a page after it.
    assert _ids(_page(con, ADMIN, limit=5, after=haidian))


def _follow(con: duckdb.DuckDBPyConnection, p: Principal, limit: int) -> list[str]:
    """Every id, following the next links the pages give (their ``after`` as sent)."""
    from urllib.parse import parse_qs, urlsplit

    got: list[str] = []
    params: dict[str, Any] = {"limit": limit}
    while True:
        body = _page(con, p, **params)
        got += _ids(body)
        nxt = [link["href"] for link in body["links"] if link["rel"] == "next"]
        if not nxt:
            return got
        params = {k: v[0] for k, v in parse_qs(urlsplit(nxt[0]).query).items()}


def test_next_links_carry_the_last_items_place_and_walk_every_id_once(
    con: duckdb.DuckDBPyConnection,
) -> None:
    """A next link's ``after`` is ``<id>~<hkey>``: the page after it needs no look-up."""
    first = _page(con, ADMIN, limit=60)
    nxt = next(link["href"] for link in first["links"] if link["rel"] == "next")
    last = _in_key_order(ROWS)[59]
    key = next(r[4] for r in ROWS if r[0] == last)
    assert f"after={last}~{key}&" in nxt + "&" or f"after={last}%7E{key}" in nxt
    assert _follow(con, ADMIN, 60) == _in_key_order(ROWS)
    assert _follow(con, CHAOYANG, 25) == _in_key_order([r for r in ROWS if r[1] == "110105"])


def test_a_place_shows_only_the_callers_rows_after_it(con: duckdb.DuckDBPyConnection) -> None:
    """The place in ``after`` is taken as sent (any number, with any id): the page is still
    the caller's own rows after it, so a made-up place reveals nothing outside the scope."""
    chaoyang = [r for r in ROWS if r[1] == "110105"]
    haidian = next(r for r in ROWS if r[1] == "110108")
    for place in (0, haidian[4], 150, 299):
        want = _in_key_order([r for r in chaoyang if r[4] > place])[:5]
        # The id beside the place is not looked up: an unknown or unseen one is the same.
        for item in (haidian[0], "H9110105999999999001P"):
            assert _ids(_page(con, CHAOYANG, limit=5, after=f"{item}~{place}")) == want
    assert _ids(_page(con, CHAOYANG, limit=5, after=f"x~{2**64 - 1}")) == []


@pytest.mark.parametrize(
    "bad", ["~5", "H9110105~", "H9110105~-1", "H9110105~1.5", "H9110105~ 7", "H9110105~²",
            f"H9110105~{2**64}", "H9110105~0x10"],
)  # fmt: skip
def test_a_bad_place_is_a_400_naming_after(con: duckdb.DuckDBPyConnection, bad: str) -> None:
    with pytest.raises(OgcBadRequest) as caught:
        _page(con, ADMIN, limit=5, after=bad)
    assert caught.value.field == "after"
