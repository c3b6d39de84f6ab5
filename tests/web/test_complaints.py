"""The console's complaint layer and hot-spot panel in a real browser (Debian's chromium).

A platform with the sample stations and the generated complaint sample (seven planted hot spots
around demonstration sources in Beijing, one of them in Chaoyang): a Beijing analyst sees every
hot spot, a Chaoyang analyst only Chaoyang's, an enterprise user none (403, shown as a note).
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from importlib import resources
from pathlib import Path

import pytest
from playwright.sync_api import Page, expect

from tests.web.served import PASSWORD, running
from tests.web.test_console import browser, log_in, page, settled, shot  # noqa: F401

pytestmark = pytest.mark.e2e

PLANTED = 7  # ecohub.complaints.generate: sources with a planted topic (sample_sources.csv)
CHAOYANG_PLANTED = 1  # DEMO…C1, the chemical plant in Chaoyang


def prepare(data: Path) -> None:
    from ecohub.access import users
    from ecohub.complaints.sample import load_sample_complaints
    from ecohub.ingest.files import load_stations
    from ecohub.store.db import connect

    data.mkdir(parents=True, exist_ok=True)
    con = connect(data / "ecohub.duckdb")
    try:
        for name, role, region, sources in (
            ("bei", "analyst", "110000", []),
            ("ana", "analyst", "110105", []),
            ("qiye", "enterprise", "110105", ["H9110105000000001x001P"]),  # any Chaoyang source
        ):
            users.add_user(con, name, role, region, sources, PASSWORD)
        sample = resources.files("ecohub.sample").joinpath("data")
        with resources.as_file(sample.joinpath("stations.csv")) as st:
            load_stations(con, st, write_rejects=False)
        assert load_sample_complaints(con, data)["analysis"]["hotspots"] == PLANTED
    finally:
        con.close()


@pytest.fixture(scope="module")
def url(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    given = os.environ.get("ECOHUB_COMPLAINTS_TEST_URL")
    if given:
        yield given
        return
    data = tmp_path_factory.mktemp("complaints-console") / "data"
    prepare(data)
    with running(data) as base:
        yield base


def hotspots(pg: Page) -> list[str]:
    return pg.eval_on_selector_all("#hotspot-list li[data-hotspot]",
                                     "els => els.map(e => e.dataset.hotspot)")  # fmt: skip


def test_beijing_analyst_sees_every_hot_spot(page: Page, url: str) -> None:  # noqa: F811
    log_in(page, url, "bei")
    expect(page.locator("#region-title")).to_have_text("北京市")
    assert len(hotspots(page)) == PLANTED
    assert page.locator("#map .hotspot-ring").count() == PLANTED
    assert page.locator("#map .complaint-marker").count() > 300
    first = page.locator("#hotspot-list li[data-hotspot]").first
    expect(first.locator("a")).to_contain_text("北京示例")
    shot(page, "c1-complaints-beijing")
    first.locator("button").click()
    page.click("#lang")
    settled(page)
    expect(page.locator("#panels h3[data-i18n=hotspots]")).to_have_text("Complaint hot spots")
    expect(first).to_contain_text("complaints")
    shot(page, "c2-complaints-hotspot-en")
    page.click("#lang")  # back to Chinese for the other tests (the choice is kept)
    settled(page)
    page.uncheck("#show-complaints")
    assert page.locator("#map .complaint-marker").count() == 0
    page.check("#show-complaints")
    assert page.locator("#map .complaint-marker").count() > 300


def test_chaoyang_analyst_sees_chaoyang_only(page: Page, url: str) -> None:  # noqa: F811
    log_in(page, url, "ana")
    expect(page.locator("#region-title")).to_have_text("朝阳区")
    assert len(hotspots(page)) == CHAOYANG_PLANTED
    expect(page.locator("#hotspot-list li[data-hotspot] a")).to_contain_text("北京示例化工")


def test_enterprise_sees_no_complaints(page: Page, url: str) -> None:  # noqa: F811
    log_in(page, url, "qiye")
    expect(page.locator("#hotspot-list li[data-state='403']")).to_be_visible()
    assert page.locator("#map .complaint-marker").count() == 0
