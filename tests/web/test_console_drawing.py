"""Drawing a region that the platform cannot take (walk F, finding 6), in a real browser over
the platform of ``tests/web/served.py``: a polygon whose edges cross, a circle wider than the
server's longest distance, a polygon the server refuses. The page says why in its own language
(never the API's English text), keeps the sketch so the user can mend it, and keeps the region
it showed; the circle tool stops at the server's limit.

The expected sentences are written out here (the dictionaries' wording is the specification).
Screenshots go to ``test-output/web/draw-*.png`` (gitignored).
"""

from __future__ import annotations

import re
from typing import Any

import pytest
from playwright.sync_api import Page, expect

from tests.web.test_console import (  # noqa: F401
    browser,
    log_in,
    page,
    settled,
    shot,
    url,
)

pytestmark = pytest.mark.e2e

CROSSING_ZH = "多边形的边相交了：请撤销最后的顶点后继续，或取消后重新绘制。"
CROSSING_EN = (
    "The polygon's edges cross: undo the last vertices and go on, or cancel and draw again."
)
TOO_WIDE_ZH = "半径不能超过 500 km：请在离圆心更近处点击圆周上一点。"
REFUSED_ZH = "所画的多边形无法使用（例如不在中国境内）：请修改或取消后重新绘制。"


def _sent(pg: Page) -> list[str]:
    """The drawn regions the page asks the server about (POST /api/v1/geo/feature)."""
    sent: list[str] = []
    pg.on("request", lambda r: sent.append(r.post_data or "")
            if r.url.endswith("/api/v1/geo/feature") else None)  # fmt: skip
    return sent


def _map_point(pg: Page, fx: float, fy: float) -> tuple[float, float]:
    box = pg.locator("#map").bounding_box()
    assert box is not None
    return box["x"] + box["width"] * fx, box["y"] + box["height"] * fy


def _zoom_to(pg: Page, level: int) -> None:
    """Zoom ``level`` around the map's centre: out to 0 (the zoom-out control disabled), then
    in by one level a click. At 40° N a pixel is 156.5 km · cos 40° / 2^level east-west:
    ~120 km at 0, ~3.75 km at 5."""
    out = pg.locator("#map .leaflet-control-zoom-out")
    for _ in range(30):
        if "leaflet-disabled" in (out.get_attribute("class") or ""):
            break
        out.click()
        pg.wait_for_timeout(300)
    else:
        raise AssertionError("the map did not zoom out to its minimum")
    for _ in range(level):
        pg.locator("#map .leaflet-control-zoom-in").click()
        pg.wait_for_timeout(300)


def _kept_region(pg: Page, title: str, sent: list[Any], asked: int) -> None:
    expect(pg.locator("#error")).to_be_hidden()  # no raw API text in the banner
    expect(pg.locator("#region-title")).to_have_text(title)
    assert len(sent) == asked, sent


def test_a_crossing_polygon_is_named_in_the_pages_language_and_can_be_mended(
    page: Page,  # noqa: F811
    url: str,  # noqa: F811
) -> None:
    log_in(page, url, "ana")
    expect(page.locator("#region-title")).to_have_text("朝阳区")
    sent = _sent(page)
    page.click("#draw-polygon")
    for fx, fy in ((0.3, 0.3), (0.7, 0.7), (0.7, 0.3), (0.3, 0.7)):  # a bow-tie
        page.mouse.click(*_map_point(page, fx, fy))
    expect(page.locator("#map path.draw-sketch.wrong")).to_have_count(1)  # red while crossing
    page.click("#draw-finish")
    expect(page.locator("#draw-error")).to_have_text(CROSSING_ZH)
    _kept_region(page, "朝阳区", sent, 0)  # refused on the page: nothing was sent
    expect(page.locator("#map path.draw-sketch")).to_have_count(1)  # the sketch stays
    shot(page, "draw-crossing-zh")
    page.click("#lang")
    settled(page)
    expect(page.locator("#draw-error")).to_have_text(CROSSING_EN)
    # Mended: the last two vertices undone, a third that does not cross, and it is taken.
    page.click("#draw-undo")
    page.click("#draw-undo")
    page.mouse.click(*_map_point(page, 0.3, 0.7))
    expect(page.locator("#map path.draw-sketch.wrong")).to_have_count(0)
    page.click("#draw-finish")
    settled(page)
    expect(page.locator("#region-title")).to_have_attribute("data-region", "drawn")
    expect(page.locator("#chart-trend")).to_have_attribute("data-region", "geojson")
    expect(page.locator("#draw-error")).to_be_hidden()
    expect(page.locator("#map path.draw-sketch")).to_have_count(0)
    assert len(sent) == 1


def test_the_circle_tool_stops_at_the_servers_longest_distance(
    page: Page,  # noqa: F811
    url: str,  # noqa: F811
) -> None:
    log_in(page, url, "ana")
    _zoom_to(page, 5)
    sent = _sent(page)
    page.click("#draw-circle")
    expect(page.locator("#draw-hint")).to_contain_text("500 km")  # GET /api/v1/geo/limits
    # The centre 100 px west and 60 px south of Beijing (~113° E, 37° N, in Shanxi), clear of
    # the markers (a click on one gives the marker's own position).
    cx, cy = _map_point(page, 0.5, 0.5)
    cx, cy = cx - 100, cy + 60
    page.mouse.click(cx, cy)
    page.mouse.click(cx + 200, cy)  # ~750 km
    expect(page.locator("#draw-error")).to_have_text(TOO_WIDE_ZH)
    _kept_region(page, "朝阳区", sent, 0)
    # The sketch stays, drawn at the limit and marked, with its centre: one more click ends it.
    expect(page.locator("#map path.draw-sketch.wrong")).to_have_count(1)
    shot(page, "draw-circle-too-wide")
    page.mouse.click(cx + 50, cy)  # ~190 km
    settled(page)
    expect(page.locator("#chart-trend")).to_have_attribute("data-region", re.compile(r"^point "))
    expect(page.locator("#draw-error")).to_be_hidden()
    assert len(sent) == 1


def test_a_polygon_the_server_refuses_is_said_in_the_pages_language(
    page: Page,  # noqa: F811
    url: str,  # noqa: F811
) -> None:
    log_in(page, url, "ana")
    _zoom_to(page, 0)
    sent = _sent(page)
    page.click("#draw-polygon")
    # 45 to 60 px north of Beijing at zoom 0: 72° to 78° N, outside China (its box ends at 54°).
    cx, cy = _map_point(page, 0.5, 0.5)
    for dx, dy in ((-10, -60), (10, -60), (0, -45)):
        page.mouse.click(cx + dx, cy + dy)
    page.click("#draw-finish")
    expect(page.locator("#draw-error")).to_have_text(REFUSED_ZH)
    _kept_region(page, "朝阳区", sent, 1)  # asked, refused (422 naming region.geojson)
    expect(page.locator("#map path.draw-sketch")).to_have_count(1)
    shot(page, "draw-refused-zh")
    page.click("#draw-cancel")
    expect(page.locator("#draw-error")).to_be_hidden()
    expect(page.locator("#map path.draw-sketch")).to_have_count(0)
