"""Full-text search in Chinese and English, and the facets."""

from __future__ import annotations

import csv
from importlib import resources as pkg

import duckdb
import pytest
from hypothesis import given
from hypothesis import strategies as st

from ecohub.access.principal import SYSTEM, Principal
from ecohub.catalog import search, service
from ecohub.queries import QueryError

PM25_PRODUCT, OBS = "30100101-00003", "30100101-00002"


def _resources_csv() -> list[dict[str, str]]:
    text = pkg.files("ecohub.catalog").joinpath("data", "resources.csv").read_text("utf-8")
    return list(csv.DictReader(text.splitlines()))


def test_terms_by_hand() -> None:
    # Latin words lower-cased (pm2.5 also as pm25), Chinese as adjacent-character pairs.
    assert search.terms("细颗粒物 PM2.5") == ["pm2.5", "pm25", "细颗", "颗粒", "粒物"]
    assert search.terms("水") == ["水"]
    assert search.terms("ＰＭ１０，臭氧") == ["pm10", "臭氧"]  # full width folded (NFKC)


def test_fine_particulate_matter_finds_the_pm25_resources(small: duckdb.DuckDBPyConnection) -> None:
    out = service.list_resources(small, SYSTEM, q="细颗粒物")
    codes = [s["code"] for s in out["items"]]
    # Every built-in resource whose name or abstract says 细颗粒物 (read from the CSV here).
    expected = {
        r["code"] for r in _resources_csv() if "细颗粒物" in r["name_zh"] + r["abstract_zh"]
    }
    assert PM25_PRODUCT in expected and OBS in expected
    assert set(codes) == expected
    assert codes[0] == PM25_PRODUCT  # named for it: ranked first
    assert out["search"]["terms"] == ["细颗", "颗粒", "粒物"]


@pytest.mark.parametrize("q", ["fine particulate", "PM2.5", "pm25", "Fine Particulate Matter"])
def test_english_queries_find_the_pm25_product(small: duckdb.DuckDBPyConnection, q: str) -> None:
    codes = [s["code"] for s in service.list_resources(small, SYSTEM, q=q)["items"]]
    assert PM25_PRODUCT in codes


def test_all_words_must_match(small: duckdb.DuckDBPyConnection) -> None:
    assert service.list_resources(small, SYSTEM, q="细颗粒物 排污许可证")["items"] == []
    assert [s["code"] for s in service.list_resources(small, SYSTEM, q="排污许可证")["items"]] == [
        "30100201-00004"
    ]


def test_facets_count_what_each_choice_gives(small: duckdb.DuckDBPyConnection) -> None:
    every = service.list_resources(small, SYSTEM)
    facets = every["facets"]
    for name in service.FACETS:
        assert sum(facets[name].values()) == every["total"], name
    rows = _resources_csv()
    assert facets["sharing_type"]["有条件共享"] == sum(
        r["sharing_type"] == "有条件共享" for r in rows
    )
    chosen = service.list_resources(small, SYSTEM, sharing_type="不予共享", theme="污染源")
    assert chosen["items"] and all(
        s["sharing_type"] == "不予共享" and s["theme"] == "污染源" for s in chosen["items"]
    )
    # The theme facet, under the sharing filter, still lists every theme with 不予共享 resources.
    assert (
        chosen["facets"]["theme"]
        == service.list_resources(small, SYSTEM, sharing_type="不予共享")["facets"]["theme"]
    )
    by_code = service.list_resources(small, SYSTEM, provider="D02")
    assert by_code["total"] == sum(r["provider_code"] == "D02" for r in rows)


def test_public_users_see_only_published_open_resources(small: duckdb.DuckDBPyConnection) -> None:
    public = Principal("citizen", "public", "110105")
    codes = {s["code"] for s in service.list_resources(small, public)["items"]}
    expected = {
        r["code"]
        for r in _resources_csv()
        if r["published"] == "y" and r["open_type"] != "不予开放"
    }
    assert codes == expected


@given(st.text(max_size=300))
def test_terms_never_fail(text: str) -> None:
    for t in search.terms(text):
        assert t and t == t.lower()


@pytest.mark.parametrize("q", ["", "   ", "!!!", "，。", "x" * 201])
def test_a_query_without_words_is_refused(small: duckdb.DuckDBPyConnection, q: str) -> None:
    with pytest.raises(QueryError, match=r"^q:"):
        service.list_resources(small, SYSTEM, q=q or " ")
