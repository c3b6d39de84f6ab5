"""The console's open-data download page in a real browser (Debian's chromium via Playwright):
no log-in, every published open resource with its licence, attribution and update cycle, and
CSV / Parquet links that download the data set."""

from __future__ import annotations

import csv
import io

import httpx
import pyarrow.parquet as pq
import pytest
from playwright.sync_api import Page, expect

from tests.web.served import CONDITIONAL_RESOURCE
from tests.web.test_console import browser, page, shot, url  # noqa: F401  (fixtures)

pytestmark = pytest.mark.e2e

DAILY, STATIONS, STATS = "30100101-00005", "30100101-00001", "30100101-00006"


def test_open_data_page_lists_and_downloads(page: Page, url: str) -> None:  # noqa: F811
    listed = httpx.get(url + "/open/v1/catalog", timeout=60).json()
    page.goto(url + "/#/open")
    rows = page.locator("#open-table tbody tr")
    expect(rows).to_have_count(len(listed["items"]))
    assert len(listed["items"]) >= 3
    expect(page.locator("#login-view")).to_be_hidden()  # open data needs no log-in
    daily = page.locator(f'tr[data-code="{DAILY}"]')
    expect(daily).to_contain_text("环境空气质量日报")
    expect(daily).to_contain_text("每日")
    expect(daily).to_contain_text(listed["licence"])
    expect(daily).to_contain_text(listed["attribution"])
    expect(daily.locator('a[rel="license"]')).to_have_attribute("href", listed["licence_url"])
    # A resource without a bulk route says so instead of offering a link.
    expect(page.locator(f'tr[data-code="{STATS}"] a.download')).to_have_count(0)
    # A conditionally open one (有条件开放) is listed, without licence or download: apply first.
    conditional = page.locator(f'tr[data-code="{CONDITIONAL_RESOURCE}"]')
    expect(conditional).to_have_attribute("data-access", "conditional")
    expect(conditional).to_contain_text("有条件开放")
    expect(conditional.locator("a.download, a[rel=license]")).to_have_count(0)
    assert httpx.get(url + "/api/v1/catalog/" + CONDITIONAL_RESOURCE + "/data").status_code == 401
    shot(page, "20-open-data")
    # CSV: the browser downloads the file the link names.
    with page.expect_download() as got:
        daily.locator('a.download[data-format="csv"]').click()
    with open(got.value.path(), encoding="utf-8-sig", newline="") as f:
        rows_csv = list(csv.DictReader(f))
    assert rows_csv and "aqi" in rows_csv[0] and got.value.suggested_filename == "aqi-daily.csv"
    # Parquet: the link's target is a Parquet file with the stations.
    href = page.locator(f'tr[data-code="{STATIONS}"] a.download[data-format="parquet"]')
    r = httpx.get(url + (href.get_attribute("href") or ""), timeout=60)
    assert r.status_code == 200
    table = pq.read_table(io.BytesIO(r.content))
    assert "station_id" in table.column_names and table.num_rows > 0
    # English labels after the language switch.
    page.click("#lang")
    expect(daily).to_contain_text("Daily air quality")
    expect(daily).to_contain_text("daily")
    shot(page, "21-open-data-en")
