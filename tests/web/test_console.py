"""The web console in a real browser (Debian's chromium driven by Playwright) over a running
platform: log in, pick a district, draw a polygon, open a station and a source, switch
language, and a user of another district does not see the first district's stations.

Screenshots go to ``test-output/web/`` (gitignored) so a person can look at the pages.
"""

from __future__ import annotations

import os
import re
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from playwright.sync_api import Browser, Page, Route, expect, sync_playwright

from tests.web.served import (
    APPROVAL_NO,
    BEIJING_STATIONS,
    CASE_NO,
    CHAOYANG,
    CHAOYANG_SOURCE,
    HAIDIAN,
    HOSTILE_NAME,
    PASSWORD,
    prepare,
    running,
)

pytestmark = pytest.mark.e2e

CHROMIUM = "/usr/bin/chromium"
SHOTS = Path(__file__).resolve().parents[2] / "test-output" / "web"
# Browser waits: loading a region's panels on a shared 2-core machine can take a few seconds.
WAIT_MS = 60_000


@pytest.fixture(scope="module")
def url(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    # While working on the page: a platform already prepared and running (tests/web/served.py).
    given = os.environ.get("ECOHUB_CONSOLE_TEST_URL")
    if given:
        yield given
        return
    data = tmp_path_factory.mktemp("console") / "data"
    prepare(data)
    with running(data) as base:
        yield base


@pytest.fixture(scope="module")
def browser() -> Iterator[Browser]:
    assert Path(CHROMIUM).exists(), "chromium missing: run make browser"
    SHOTS.mkdir(parents=True, exist_ok=True)
    with sync_playwright() as pw:
        b = pw.chromium.launch(
            executable_path=CHROMIUM,
            args=["--no-sandbox", "--disable-gpu", "--headless=new", "--disable-dev-shm-usage"],
        )
        yield b
        b.close()


@pytest.fixture
def page(browser: Browser) -> Iterator[Page]:
    ctx = browser.new_context(viewport={"width": 1400, "height": 1000}, locale="zh-CN")
    pg = ctx.new_page()
    pg.set_default_timeout(WAIT_MS)
    errors: list[str] = []
    pg.on("pageerror", lambda e: errors.append(str(e)))
    # A resource or style the content security policy blocked is a console error, not a
    # page error: caught here, so a page that loses a part to the policy fails its test.
    pg.on("console", lambda m: errors.append(m.text)
          if m.type == "error" and "Content Security Policy" in m.text else None)  # fmt: skip
    yield pg
    ctx.close()
    assert not errors, errors


def shot(page: Page, name: str) -> None:
    page.screenshot(path=str(SHOTS / f"{name}.png"), full_page=True)


def log_in(page: Page, url: str, user: str) -> None:
    page.goto(url + "/")
    page.fill("input[name=username]", user)
    page.fill("input[name=password]", PASSWORD)
    page.click("#login-form button[type=submit]")
    settled(page)


def settled(page: Page) -> None:
    page.wait_for_selector("#main-view:not([hidden])")
    # A selector, not a JavaScript predicate: the console's content security policy forbids
    # evaluating strings (no 'unsafe-eval'), and Playwright's wait_for_function does that.
    page.wait_for_selector("body:not([data-loading])", state="attached")


def draw_circle_at_first_station(page: Page) -> None:
    """Draw a circle centred on the first station marker, 15 px across, and wait for the page."""
    page.click("#draw-circle")
    marker = page.locator("#map .station-marker").first.bounding_box()
    assert marker is not None
    cx, cy = marker["x"] + marker["width"] / 2, marker["y"] + marker["height"] / 2
    page.mouse.click(cx, cy)
    page.mouse.click(cx + 15, cy)
    settled(page)


def listed_stations(page: Page) -> set[str]:
    return set(page.eval_on_selector_all("#station-list li[data-station]",
                                         "els => els.map(e => e.dataset.station)"))  # fmt: skip


def test_wrong_password_is_refused(page: Page, url: str) -> None:
    page.goto(url + "/")
    expect(page.locator("#login-form h1")).to_have_text("登录")
    page.fill("input[name=username]", "ana")
    page.fill("input[name=password]", "wrong")
    page.click("#login-form button[type=submit]")
    expect(page.locator("#login-error")).to_have_text("用户名或密码错误")
    shot(page, "01-login-refused")


def test_throttled_and_unreachable_log_ins_are_said_in_the_page_language(
    page: Page, url: str
) -> None:
    # The server's answers are held in place by routing: 20 real failures would throttle this
    # module's other log-ins from 127.0.0.1 (the throttle's 429 itself: tests/api).
    def throttled(route: Route) -> None:
        route.fulfill(
            status=429,
            headers={"Retry-After": "45", "Content-Type": "application/problem+json"},
            body='{"type":"about:blank","title":"Too Many Requests","status":429,'
            '"detail":"too many failed log-ins from this address; retry after 45 s"}',
        )

    page.route("**/api/v1/auth/token", throttled)
    page.goto(url + "/")
    page.fill("input[name=username]", "ana")
    page.fill("input[name=password]", "wrong")
    page.click("#login-form button[type=submit]")
    expect(page.locator("#login-error")).to_have_text("该地址登录失败次数过多，请 45 秒后再试。")
    page.unroute("**/api/v1/auth/token")
    page.route("**/api/v1/auth/token", lambda route: route.abort("connectionrefused"))
    page.click("#login-form button[type=submit]")
    expect(page.locator("#login-error")).to_have_text(
        "无法连接服务器或服务器暂时无法响应，请稍后再试。"
    )


def test_beijing_analyst_picks_a_district(page: Page, url: str) -> None:
    log_in(page, url, "bei")
    expect(page.locator("#region-title")).to_have_text("北京市")
    everything = listed_stations(page)
    assert len(everything) == BEIJING_STATIONS, everything
    # the base layer: Beijing's 16 districts as polygons, no tiles
    assert page.locator("#map path.leaflet-interactive").count() >= 16
    assert page.locator("#map .station-marker").count() == BEIJING_STATIONS
    expect(page.locator("#chart-trend")).to_have_attribute("data-state", "drawn")
    expect(page.locator("#chart-water")).to_have_attribute("data-state", "empty")
    shot(page, "02-beijing")
    page.select_option("#children", "110105")
    settled(page)
    expect(page.locator("#region-title")).to_have_text("朝阳区")
    assert listed_stations(page) == CHAOYANG
    assert page.locator("#map .station-marker").count() == len(CHAOYANG)
    expect(page.locator("#chart-trend")).to_have_attribute("data-region", "110105")
    expect(page.locator("#chart-ranking")).to_have_attribute("data-region", "110105")
    expect(page.locator("#chart-calendar")).to_have_attribute("data-state", "drawn")
    shot(page, "03-chaoyang")


def test_drawn_polygon_rescopes_the_panels(page: Page, url: str) -> None:
    log_in(page, url, "bei")
    page.click("#draw-polygon")
    box = page.locator("#map").bounding_box()
    assert box is not None
    # a triangle around the middle of the map (central Beijing)
    cx, cy = box["x"] + box["width"] / 2, box["y"] + box["height"] / 2
    for dx, dy in ((-140, -110), (150, -100), (20, 140)):
        page.mouse.click(cx + dx, cy + dy)
    page.click("#draw-finish")
    settled(page)
    expect(page.locator("#region-title")).to_have_attribute("data-region", "drawn")
    inside = listed_stations(page)
    assert 0 < len(inside) < BEIJING_STATIONS, inside
    expect(page.locator("#chart-trend")).to_have_attribute("data-region", "geojson")
    shot(page, "04-drawn-polygon")


def test_station_and_source_pages(page: Page, url: str) -> None:
    log_in(page, url, "ana")
    page.click("#station-list li[data-station=Nongzhanguan] a")
    expect(page.locator("#detail-title")).to_contain_text("农展馆")
    page.wait_for_selector("#station-chart canvas")
    # The last 7 days hour by hour, and the latest hour's six concentrations (CO in mg/m³).
    expect(page.locator("#station-hourly")).to_have_attribute("data-state", "drawn")
    page.wait_for_selector("#station-hourly canvas")
    latest = page.locator("#latest-hour")
    expect(latest).to_contain_text("PM2.5 (µg/m³)")
    expect(latest).to_contain_text("CO (mg/m³)")
    expect(latest).to_contain_text("时间（北京时间）")
    expect(page.locator("#detail table").first).to_contain_text("环境空气")  # network, by name
    shot(page, "05-station")
    page.click("text=返回地图")
    settled(page)
    page.click("#source-list li[data-source] a")
    expect(page.locator("#detail-title")).to_contain_text("北京示例热电有限公司")
    expect(page.locator("#detail")).to_contain_text("SIM000000000000000000000")
    expect(page.locator("#devices .badge")).to_have_count(1)
    # Column headings in the console's language, not the API's field names.
    expect(page.locator("#detail th[data-col=source_code]").first).to_have_text("污染源编码")
    expect(page.locator("#detail th[data-col=uscc]").first).to_have_text("统一社会信用代码")
    expect(page.locator("#code-history")).to_be_visible()
    shot(page, "06-source")


def test_language_switch(page: Page, url: str) -> None:
    log_in(page, url, "ana")
    expect(page.locator("[data-i18n=trend]")).to_have_text("AQI 趋势")
    page.click("#lang")
    settled(page)
    expect(page.locator("[data-i18n=trend]")).to_have_text("AQI trend")
    expect(page.locator("#logout")).to_have_text("Log out")
    shot(page, "07-english")
    page.click("#lang")
    expect(page.locator("[data-i18n=trend]")).to_have_text("AQI 趋势")


def test_another_district_cannot_see_the_first(page: Page, url: str) -> None:
    log_in(page, url, "hai")
    expect(page.locator("#region-title")).to_have_text("海淀区")
    assert listed_stations(page) == HAIDIAN
    # asking for Chaoyang answers nothing of Chaoyang's
    page.click("#crumbs a[data-code='110000']")
    settled(page)
    page.select_option("#children", "110105")
    settled(page)
    assert listed_stations(page) == set()
    assert page.locator("#map .station-marker").count() == 0
    # a Chaoyang station's page by its address: not found (scope leaks nothing)
    page.goto(url + "/#/station/Nongzhanguan")
    expect(page.locator("#detail .error")).to_have_text("未找到，或不在您的权限范围内。")
    shot(page, "08-other-district")


def test_names_from_the_store_are_text(page: Page, url: str) -> None:
    log_in(page, url, "bei")
    expect(page.locator("#station-list li[data-station=Probe] a")).to_have_text(HOSTILE_NAME)
    markers = page.locator("#map .station-marker")
    for i in range(markers.count()):  # every tooltip opened once
        markers.nth(i).hover(force=True)
    assert page.locator("#xss").count() == 0
    assert page.evaluate("window.__xss") is None


def test_log_out_and_session_storage(page: Page, url: str) -> None:
    log_in(page, url, "ana")
    assert page.evaluate("sessionStorage.getItem('ecohub.tokens')") is not None
    page.click("#logout")
    expect(page.locator("#login-view")).to_be_visible()
    assert page.evaluate("sessionStorage.getItem('ecohub.tokens')") is None


def test_key_region_and_circle(page: Page, url: str) -> None:
    log_in(page, url, "bei")
    page.select_option("#areas", "jjj-2+26")  # Beijing is one of the "2+26" cities
    settled(page)
    expect(page.locator("#region-title")).to_have_text('京津冀及周边地区"2+26"城市')
    assert len(listed_stations(page)) == BEIJING_STATIONS
    page.click("#crumbs a.back")  # back to the last division (Beijing), then one of its districts
    settled(page)
    page.select_option("#children", "110105")
    settled(page)
    draw_circle_at_first_station(page)
    expect(page.locator("#chart-trend")).to_have_attribute("data-region", re.compile(r"^point "))
    assert len(listed_stations(page)) == 1
    shot(page, "09-circle")


def test_enterprise_user_sees_its_source_and_no_station_data(page: Page, url: str) -> None:
    log_in(page, url, "qiye")
    expect(page.locator("#error")).to_be_hidden()
    expect(page.locator("#station-list")).to_have_text("您的角色无权查看此内容。")
    expect(page.locator("#chart-trend")).to_have_attribute("data-state", "forbidden")
    names = page.locator("#source-list li[data-source]")
    expect(names).to_have_count(1)
    expect(names).to_have_text(CHAOYANG_SOURCE)
    shot(page, "10-enterprise")


def test_expired_access_token_is_refreshed(page: Page, url: str) -> None:
    log_in(page, url, "ana")
    page.evaluate(
        "() => { const t = JSON.parse(sessionStorage.getItem('ecohub.tokens'));"
        " t.access_token = 'expired'; sessionStorage.setItem('ecohub.tokens', JSON.stringify(t)); }"
    )
    page.reload()
    settled(page)
    assert listed_stations(page) == CHAOYANG
    token = page.evaluate("JSON.parse(sessionStorage.getItem('ecohub.tokens')).access_token")
    assert token != "expired"


def test_vendor_files_are_served_locally(url: str) -> None:
    for path in ("/static/vendor/leaflet/leaflet.js", "/static/vendor/echarts/echarts.min.js"):
        assert httpx.get(url + path).status_code == 200, path
    assert httpx.get(url + "/", headers={"Accept": "application/json"}).json()["name"] == "ecohub"


def test_no_external_requests(page: Page, url: str) -> None:
    outside: list[str] = []
    page.on("request", lambda r: outside.append(r.url) if not r.url.startswith(url) else None)
    log_in(page, url, "bei")
    assert outside == []


def _alerts(url: str, user: str) -> list[dict[str, object]]:
    token = httpx.post(url + "/api/v1/auth/token", data={"grant_type": "password",
                       "username": user, "password": PASSWORD}).json()["access_token"]  # fmt: skip
    r = httpx.get(url + "/api/v1/alerts", headers={"Authorization": f"Bearer {token}"})
    return list(r.json()["items"])


def _stuck_alert(url: str) -> dict[str, object]:
    """The alert of the stuck simulated analyser (SIM...000, the Chaoyang source's): a
    `constant` alert, raised once its backfilled hours are judged."""
    deadline = time.monotonic() + 120
    while not any(a["rule"] == "constant" for a in _alerts(url, "insp")):
        assert time.monotonic() < deadline, "no alert of the stuck analyser"
        time.sleep(1)
    (stuck,) = [a for a in _alerts(url, "insp") if a["rule"] == "constant"]
    return stuck


def test_alerts_marked_on_the_map_and_worked_by_an_inspector(page: Page, url: str) -> None:
    stuck = _stuck_alert(url)
    source = str(stuck["source_code"])
    log_in(page, url, "insp")
    expect(page.locator("#alerts-link")).to_be_visible()
    expect(page.locator(f"#source-list li[data-source='{source}'][data-alerted]")).to_have_count(1)
    assert page.locator("#map .source-alerted").count() >= 1
    shot(page, "11-sources-with-alerts")
    page.click("#alerts-link")
    row = page.locator(f"#alerts tr[data-alert='{stuck['id']}']")
    expect(row).to_have_attribute("data-state", "open")
    expect(row).to_contain_text(str(stuck["mn"]))
    shot(page, "12-alerts")
    row.locator(".alert-comment").fill("已电话联系企业")
    row.locator(".alert-ack").click()
    expect(row).to_have_attribute("data-state", "acknowledged")
    expect(row).to_contain_text("insp: 已电话联系企业")
    # closing needs a comment: said on the page, nothing sent
    row.locator(".alert-comment").fill("")
    row.locator(".alert-close").click()
    expect(row.locator(".alert-error")).to_have_text("关闭告警须填写处置说明。")
    row.locator(".alert-comment").fill("分析仪已更换")
    row.locator(".alert-close").click()
    expect(row).to_have_count(0)  # gone from the alerts not yet closed
    page.select_option("#alert-state", "closed")
    expect(row).to_have_attribute("data-state", "closed")
    expect(row).to_contain_text("insp: 分析仪已更换")
    shot(page, "13-alert-closed")


def test_the_link_of_an_alert_mail_shows_that_alert_with_its_source_name(
    page: Page, url: str
) -> None:
    # The mail links to {public_url}/#/alerts/N (supervision/alerts/message.py): the page lists
    # every state (the alert may be closed by now) and marks the row; the source's name from the
    # registry stands beside its code.
    stuck = _stuck_alert(url)
    assert stuck["source_name"]
    log_in(page, url, "insp")
    page.goto(f"{url}/#/alerts/{stuck['id']}")
    row = page.locator(f"#alerts tr[data-alert='{stuck['id']}']")
    expect(row).to_have_class("alert-focus")
    expect(row.locator("td:nth-child(5) .source-name")).to_have_text(str(stuck["source_name"]))
    expect(page.locator("#alert-missing")).to_have_count(0)
    page.goto(f"{url}/#/alerts/987654")  # no such alert (or outside the region): said so
    expect(page.locator("#alert-missing")).to_have_text("告警 987654 不存在或不在您的辖区内。")


def test_alerts_follow_the_region_and_the_role(page: Page, url: str) -> None:
    chaoyang = {a["source_code"] for a in _alerts(url, "ana")}
    haidian = {a["source_code"] for a in _alerts(url, "hai")}
    assert not chaoyang & haidian
    log_in(page, url, "hai")
    page.goto(url + "/#/alerts")
    page.wait_for_selector("#alert-table table, #alert-table .hint:not(:empty)")
    shown = set(
        page.eval_on_selector_all(
            "#alerts tr[data-alert] td:nth-child(5) a", "els => els.map(e => e.textContent)"
        )
    )
    assert not shown & chaoyang
    # an analyst reads but does not act
    assert page.locator("#alerts .alert-ack, #alerts .alert-close").count() == 0
    page.click("#logout")
    log_in(page, url, "qiye")  # enterprises do not read alerts
    expect(page.locator("#alerts-link")).to_be_hidden()


def test_watch_list_and_source_profile(page: Page, url: str) -> None:
    # Beijing: the Chaoyang source (an open violation) and the Haidian plant (no EIA approval).
    log_in(page, url, "bei")
    expect(page.locator("#watchlist")).to_have_attribute("data-state", "drawn")
    expect(page.locator("#watchlist li[data-source]")).to_have_count(2)
    # The serious factors by name (risk_factors.csv), not by code.
    expect(page.locator("#watchlist")).to_contain_text("未结案件数")
    expect(page.locator("#watchlist")).not_to_contain_text("open_cases")
    shot(page, "14-watch-list")
    page.click("#logout")
    log_in(page, url, "ana")  # Chaoyang only
    listed = page.locator("#watchlist li[data-source]")
    expect(listed).to_have_count(1)
    expect(listed).to_contain_text(CHAOYANG_SOURCE)
    listed.locator("a").click()
    expect(page.locator("#detail-title")).to_contain_text(CHAOYANG_SOURCE)
    expect(page.locator("#risk-chart")).to_have_attribute("data-state", "drawn")
    page.wait_for_selector("#risk-chart canvas")
    expect(page.locator("#risk-serious")).to_contain_text("未结案件数")
    # The factors table and the complaints by name too.
    expect(page.locator("#enterprise table").first).to_contain_text("超标小时数")
    expect(page.locator("#enterprise table").first).not_to_contain_text("exceedance_hours")
    expect(page.locator("#case-list")).to_contain_text(CASE_NO)
    expect(page.locator("#eia-list")).to_contain_text(APPROVAL_NO)
    shot(page, "15-source-profile")


def test_source_profile_names_anomaly_rules_and_pollutants(page: Page, url: str) -> None:
    stuck = _stuck_alert(url)  # its anomaly is the Chaoyang source's
    log_in(page, url, "ana")
    page.goto(url + f"/#/source/{stuck['source_code']}")
    anomalies = page.locator("#anomaly-list")
    # The rule's name (anomaly_rules.csv) and the pollutant's (HJ 212-2017 Appendix B), as words.
    expect(anomalies).to_contain_text("数据恒定不变")
    cells = anomalies.locator("td").all_inner_texts()
    assert "constant" not in cells
    assert not [c for c in cells if re.fullmatch(r"[a-z]\d{5}", c)], cells
    page.click("#lang")
    expect(page.locator("#anomaly-list")).to_contain_text("constant value while the plant runs")


def test_enterprise_user_has_its_profile_but_no_watch_list(page: Page, url: str) -> None:
    log_in(page, url, "qiye")
    expect(page.locator("#watchlist")).to_have_attribute("data-state", "forbidden")
    page.click("#source-list li[data-source] a")
    expect(page.locator("#risk-chart")).to_have_attribute("data-state", "drawn")
    expect(page.locator("#case-list")).to_contain_text(CASE_NO)


def _outside(page: Page, url: str) -> list[str]:
    """Every request the page makes to anywhere but the platform is refused and listed."""
    outside: list[str] = []

    def check(route: Any) -> None:
        if route.request.url.startswith(url) or route.request.url.startswith("data:"):
            route.continue_()
        else:
            outside.append(route.request.url)
            route.abort()

    page.route("**/*", check)
    return outside


def test_console_and_api_docs_need_nothing_from_the_internet(page: Page, url: str) -> None:
    # A bureau's network often has no way out: the console and the API's interactive docs
    # (Swagger UI, which FastAPI loads from a CDN by default) come from the platform itself.
    outside = _outside(page, url)
    log_in(page, url, "bei")
    page.goto(url + "/api/v1/docs")
    expect(page).to_have_title(re.compile("ecohub"))
    # Swagger UI drew the API from its OpenAPI document: the operations are listed.
    expect(page.locator(".swagger-ui .opblock-summary-path").first).to_be_visible()
    assert page.locator(".swagger-ui .opblock").count() > 50
    expect(page.locator(".swagger-ui .btn.authorize")).to_be_visible()
    shot(page, "16-api-docs")
    assert outside == []
