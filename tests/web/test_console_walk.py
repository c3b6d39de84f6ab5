"""The console's defects found in walk-through D (a bureau data officer's day), each in a real
browser (Debian's chromium driven by Playwright) over the platform of ``tests/web/served.py``:
log-out and session expiry leave nothing of the user on the page, the header's alert count on
every page, a step someone else took first, the key-region picker, the English page, the source
page's codes, rounding, and a malformed link.

Screenshots go to ``test-output/web/walk-*.png`` (gitignored).
"""

from __future__ import annotations

import json
from typing import Any

import httpx
import pytest
from playwright.sync_api import Page, expect

from tests.web.served import PASSWORD
from tests.web.test_console import (  # noqa: F401
    _stuck_alert,
    browser,
    log_in,
    page,
    settled,
    shot,
    url,
)

pytestmark = pytest.mark.e2e


def _token(base: str, user: str) -> str:
    form = {"grant_type": "password", "username": user, "password": PASSWORD}
    r = httpx.post(base + "/api/v1/auth/token", data=form)
    return str(r.json()["access_token"])


def _not_closed(base: str, user: str) -> int:
    head = {"Authorization": f"Bearer {_token(base, user)}"}
    return sum(
        len(httpx.get(f"{base}/api/v1/alerts?state={s}&limit=10000", headers=head).json()["items"])
        for s in ("open", "acknowledged")
    )


def test_log_out_leaves_nothing_of_the_user_and_revokes_on_the_server(page: Page, url: str) -> None:  # noqa: F811
    sent: list[Any] = []
    page.on("request", lambda r: sent.append(r) if r.url.endswith("/api/v1/auth/logout") else None)
    log_in(page, url, "ana")
    expect(page.locator("#who")).to_contain_text("ana")
    expect(page.locator("#region-title")).to_have_text("朝阳区")
    expect(page.locator("#alerts-link")).to_be_visible()
    tokens = json.loads(page.evaluate("sessionStorage.getItem('ecohub.tokens')"))
    page.click("#logout")
    expect(page.locator("#login-view")).to_be_visible()
    expect(page.locator("#who")).to_have_text("")
    expect(page.locator("#region-title")).to_have_text("")
    expect(page.locator("#alerts-link")).to_be_hidden()
    shot(page, "walk-01-logged-out")
    # The server is asked to revoke the log-in's refresh tokens (whatever it answers).
    page.wait_for_timeout(500)
    (req,) = sent
    assert req.method == "POST"
    assert json.loads(req.post_data or "{}") == {"refresh_token": tokens["refresh_token"]}
    assert req.headers["authorization"] == f"Bearer {tokens['access_token']}"
    assert page.evaluate("sessionStorage.getItem('ecohub.tokens')") is None


def test_an_ended_session_shows_only_the_log_in_message(page: Page, url: str) -> None:  # noqa: F811
    log_in(page, url, "ana")
    page.evaluate(
        "() => { const t = JSON.parse(sessionStorage.getItem('ecohub.tokens'));"
        " t.access_token = 'x.y.z'; t.refresh_token = 'bad';"
        " sessionStorage.setItem('ecohub.tokens', JSON.stringify(t)); }"
    )
    page.click("#crumbs a >> nth=0")
    expect(page.locator("#login-error")).to_have_text("会话已过期，请重新登录。")
    page.wait_for_timeout(500)  # every request of the refresh has failed by now
    expect(page.locator("#error")).to_be_hidden()
    expect(page.locator("#who")).to_have_text("")
    expect(page.locator("#alerts-link")).to_be_hidden()
    shot(page, "walk-02-session-ended")
