"""The console speaks the page's language everywhere (walk-through J, finding 14): the map's zoom
buttons, the station and source headings, the alerts page's rule names, and no text of the
English pages in Chinese but the data (names from the store). The dictionaries are checked
without a browser: the same keys in both, every key the scripts use, every supervision rule
named.

Screenshots go to ``test-output/web/lang-*.png`` (gitignored).
"""

from __future__ import annotations

import contextlib
import json
import re
from pathlib import Path
from typing import Any

import pytest
from playwright.sync_api import Page, Response, Route, expect

from ecohub.supervision.permits import PERIODS
from ecohub.supervision.rules import load_rules
from tests.web.served import CHAOYANG_SOURCE
from tests.web.test_console import (  # noqa: F401
    _alerts,
    _stuck_alert,
    browser,
    log_in,
    page,
    settled,
    shot,
    url,
)

pytestmark = pytest.mark.e2e

STATIC = Path(__file__).resolve().parents[2] / "src" / "ecohub" / "web" / "static"
ZH = json.loads((STATIC / "i18n" / "zh-CN.json").read_text(encoding="utf-8"))
EN = json.loads((STATIC / "i18n" / "en.json").read_text(encoding="utf-8"))
# Chinese characters and the full-width / CJK punctuation that comes with them (：、（）。).
CJK = re.compile(r"[\u3000-\u303f\u3400-\u9fff\uf900-\ufaff\uff00-\uffef]")
PLACEHOLDER = re.compile(r"\{(\w+)\}")


def _to_english(page: Page, on_map: bool = True) -> None:  # noqa: F811
    page.click("#lang")
    expect(page.locator("#lang")).to_have_text(EN["switch_lang"])
    if on_map:
        settled(page)


# ---- the dictionaries (no browser)


def test_both_dictionaries_have_the_same_keys_and_placeholders() -> None:
    assert sorted(ZH) == sorted(EN), set(ZH) ^ set(EN)
    for key, zh in ZH.items():
        assert isinstance(zh, str) and zh and isinstance(EN[key], str) and EN[key], key
        # A pattern fills the same values in both languages ({name}, {n}, …).
        assert set(PLACEHOLDER.findall(zh)) == set(PLACEHOLDER.findall(EN[key])), key


def _scripts() -> dict[str, str]:
    """The console's own modules, comments removed (they may quote Chinese words)."""
    out = {}
    for js in sorted(STATIC.glob("*.js")):
        text = re.sub(r"/\*.*?\*/", "", js.read_text(encoding="utf-8"), flags=re.S)
        out[js.name] = re.sub(r"(^|[^:\"'`\\])//.*$", r"\1", text, flags=re.M)
    return out


def test_every_key_the_console_asks_for_is_in_the_dictionaries() -> None:
    used = set()
    for text in _scripts().values():
        used |= set(re.findall(r"\bt\(\s*\"([\w-]+)\"", text))
    html = (STATIC / "index.html").read_text(encoding="utf-8")
    used |= set(re.findall(r"data-i18n(?:-placeholder)?=\"([\w-]+)\"", html))
    assert used, "no key found: the pattern no longer matches the scripts"
    assert not used - ZH.keys(), sorted(used - ZH.keys())


def test_no_chinese_written_into_the_scripts() -> None:
    # What the reader sees comes from the dictionaries; the one Chinese literal left is a data
    # value (the surface-water class 劣V, a key of the class colours, as the API sends it).
    for name, text in _scripts().items():
        left = [ln.strip() for ln in text.splitlines() if CJK.search(ln.replace('"劣V"', ""))]
        assert not left, (name, left)


def test_every_supervision_rule_has_a_name_in_both_languages() -> None:
    # What an alert's ``rule`` can be: an anomaly rule (kind finding) or the averaging period of
    # a permit limit (kind exceedance). The anomaly rules' names are the rule table's own.
    for code, rule in load_rules().items():
        assert ZH[f"rule_finding_{code}"] == rule.name_zh, code
        assert EN[f"rule_finding_{code}"] == rule.name_en, code
    for period in set(PERIODS.values()):
        assert f"rule_exceedance_{period}" in ZH, period
    for kind in ("finding", "exceedance"):
        assert f"alert_kind_{kind}" in ZH, kind


# ---- in the browser


def test_zoom_buttons_in_the_page_language(page: Page, url: str) -> None:  # noqa: F811
    log_in(page, url, "ana")
    zoom_in = page.locator(".leaflet-control-zoom-in")
    zoom_out = page.locator(".leaflet-control-zoom-out")
    for lang, (plus, minus) in (("zh", ("放大", "缩小")), ("en", ("Zoom in", "Zoom out"))):
        d = EN if lang == "en" else ZH
        assert (plus, minus) == (d["zoom_in"], d["zoom_out"])
        expect(zoom_in).to_have_attribute("title", plus)
        expect(zoom_in).to_have_attribute("aria-label", plus)
        expect(zoom_out).to_have_attribute("title", minus)
        expect(zoom_out).to_have_attribute("aria-label", minus)
        expect(page.locator(".leaflet-control-zoom")).to_have_count(1)  # replaced, not added
        if lang == "zh":
            _to_english(page)
    # Still working after the switch.
    before = page.locator("#map .leaflet-proxy").get_attribute("style")
    zoom_in.click()
    expect(page.locator("#map .leaflet-proxy")).not_to_have_attribute("style", before or "")


def test_detail_headings_follow_the_language_pattern(page: Page, url: str) -> None:  # noqa: F811
    stuck = _stuck_alert(url)  # the Chaoyang source's
    log_in(page, url, "ana")
    page.goto(url + "/#/station/Nongzhanguan")
    expect(page.locator("#detail-title")).to_have_text("站点：农展馆")
    page.goto(url + f"/#/source/{stuck['source_code']}")
    expect(page.locator("#detail-title")).to_have_text(f"污染源：{CHAOYANG_SOURCE}")
    _to_english(page, on_map=False)
    expect(page.locator("#detail-title")).to_have_text(f"Source: {CHAOYANG_SOURCE}")
    page.goto(url + "/#/station/Nongzhanguan")
    expect(page.locator("#detail-title")).to_have_text("Station: 农展馆")


def _rule_tip(d: dict[str, str], alert: dict[str, Any]) -> str:
    return d["alert_rule_tip"].format(
        kind=d[f"alert_kind_{alert['kind']}"], name=d[f"rule_{alert['kind']}_{alert['rule']}"]
    )


def test_the_alert_rule_is_named_not_coded(page: Page, url: str) -> None:  # noqa: F811
    stuck = _stuck_alert(url)
    # The served platform raises anomaly alerts only: an exceedance of an hourly permit limit is
    # added to the list's answers, as the API gives one (kind exceedance, rule = the period).
    hourly = {**stuck, "id": 999_999, "kind": "exceedance", "rule": "hour",
              "rule_zh": "小时均值超过许可限值",
              "rule_en": "hourly mean over the permit limit"}  # fmt: skip
    alerts = [*_alerts(url, "insp"), hourly]

    def with_exceedance(route: Route) -> None:
        answer = route.fetch().json()
        if "state=open" in route.request.url or "state=" not in route.request.url:
            answer["items"].append(hourly)
        route.fulfill(json=answer)

    page.route(re.compile(r"/api/v1/alerts\?"), with_exceedance)
    log_in(page, url, "insp")
    page.goto(url + f"/#/alerts/{stuck['id']}")  # an alert's link lists every state
    for d in (ZH, EN):
        if d is EN:
            _to_english(page, on_map=False)
        for a in alerts:
            cell = page.locator(f"#alerts tr[data-alert='{a['id']}'] td:nth-child(6) small")
            expect(cell).to_have_attribute("title", _rule_tip(d, a))
            expect(cell).to_have_text(d[f"rule_{a['kind']}_{a['rule']}"])
    row = "#alerts tr[data-alert='{}'] td:nth-child(6) small"
    expect(page.locator(row.format(stuck["id"]))).to_have_attribute(
        "title", "Data anomaly: constant value while the plant runs"
    )
    expect(page.locator(row.format(hourly["id"]))).to_have_attribute(
        "title", "Exceedance: hourly mean over the permit limit"
    )
    shot(page, "lang-01-alerts-en")


# Keys whose values are the other language's words for something the page names itself (a
# category, a rule, a title): not data, so they do not excuse Chinese on the English page.
CHINESE_WORDS = re.compile(r"(^|_)zh$|^category$")


def _data_values(answer: Any, out: set[str]) -> None:
    if isinstance(answer, dict):
        for k, v in answer.items():
            if not CHINESE_WORDS.search(str(k)):
                _data_values(v, out)
    elif isinstance(answer, list):
        for v in answer:
            _data_values(v, out)
    elif isinstance(answer, str) and CJK.search(answer):
        out.add(answer)


# Every text node and every text-bearing attribute of what is shown (not under [hidden]); the
# language button names the other language on purpose.
_TEXTS = """() => {
  const out = [];
  const shown = (el) => el && !el.closest('[hidden], #lang');
  const walk = document.createTreeWalker(document.body, NodeFilter.SHOW_TEXT);
  for (let n = walk.nextNode(); n; n = walk.nextNode()) {
    if (shown(n.parentElement) && n.textContent.trim()) out.push(n.textContent.trim());
  }
  for (const el of document.querySelectorAll('[title], [placeholder], [aria-label], [alt]')) {
    if (!shown(el)) continue;
    for (const a of ['title', 'placeholder', 'aria-label', 'alt']) {
      if (el.getAttribute(a)) out.push(`${a}=${el.getAttribute(a)}`);
    }
  }
  return out;
}"""


# A dictionary key or a column name shown as it is (status_raw, drop_flat), in either language.
KEY_LIKE = re.compile(r"([\w-]+=)?[a-z]+(_[a-z0-9]+)+")


def _chinese_left(texts: list[str], data: set[str]) -> list[str]:
    left = []
    values = sorted(data, key=len, reverse=True)  # a longer name before a part of it
    for text in texts:
        rest = text
        for v in values:
            rest = rest.replace(v, "")
        if CJK.search(rest):
            left.append(text)
    return left


def test_the_main_pages_show_no_chinese_in_english_and_no_codes(page: Page, url: str) -> None:  # noqa: F811
    stuck = _stuck_alert(url)
    data: set[str] = set()

    def answered(r: Response) -> None:
        if ("/api/" in r.url or "/open/" in r.url) and "json" in r.headers.get("content-type", ""):
            # A body already gone (a page left) has nothing to teach.
            with contextlib.suppress(Exception):
                _data_values(r.json(), data)

    page.on("response", answered)
    log_in(page, url, "insp")
    page.select_option("#children", "110105")
    settled(page)
    routes = ["/#/", "/#/station/Nongzhanguan", f"/#/source/{stuck['source_code']}",
              f"/#/alerts/{stuck['id']}", "/#/open"]  # fmt: skip
    ready = ["#station-list li", "#latest-hour table", "#enterprise h2", "#alerts tbody tr",
             "#open-table tbody tr"]  # fmt: skip
    for lang in ("zh", "en"):
        if lang == "en":
            _to_english(page, on_map=False)  # on the open-data page
        for route, selector in zip(routes, ready, strict=True):
            page.goto(url + route)
            page.wait_for_selector(selector)
            page.wait_for_selector("body:not([data-loading])", state="attached")
            page.wait_for_load_state("networkidle")
            texts = page.evaluate(_TEXTS)
            shot(page, f"lang-02-{lang}" + re.sub(r"\W+", "-", route).rstrip("-"))
            codes = [x for x in texts if KEY_LIKE.fullmatch(x)]
            assert not codes, (lang, route, codes)
            if lang == "en":
                left = _chinese_left(texts, data)
                assert not left, (route, left)
