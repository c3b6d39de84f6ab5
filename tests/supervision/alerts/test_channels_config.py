"""Channel settings: a channel that cannot work is one clear line naming it, never echoing a
secret; a webhook that never answers fails after its time-out instead of hanging the
dispatcher."""

from __future__ import annotations

import json
import socket
from datetime import datetime

import pytest

from ecohub.access.principal import SYSTEM
from ecohub.settings import SettingsError, load_settings
from ecohub.supervision.alerts import Dispatcher, get_alert, raise_alerts
from tests.supervision.alerts.conftest import CST, finding, hook_channel, store

SECRET = "do-not-print-me-123"
BAD = [
    ({"name": "h", "kind": "webhook"}, "a webhook needs url"),
    ({"name": "h", "kind": "webhook", "url": "ftp://x/"}, "alert_channels.0.url"),
    ({"name": "m", "kind": "smtp", "sender": "a@b", "to": ["c@d"], "password": SECRET},
     "smtp needs host"),
    ({"name": "m", "kind": "smtp", "host": "h", "sender": "a@b", "password": SECRET},
     "smtp needs to"),
    ({"name": "m", "kind": "smtp", "host": "h", "sender": "ab", "to": ["c@d"]},
     "must be e-mail addresses"),
    ({"name": "bad name!", "kind": "webhook", "url": "http://x/"}, "alert_channels.0.name"),
    ({"name": "h", "kind": "pager", "url": "http://x/"}, "alert_channels.0.kind"),
    ({"name": "h", "kind": "webhook", "url": "http://x/", "min_severity": "urgent"},
     "alert_channels.0.min_severity"),
    # A region is a code or a region's id or name (a name the store does not know, "Beijing",
    # stops `ecohub up`: test_channel_regions.py); blank or control characters never are one.
    ({"name": "h", "kind": "webhook", "url": "http://x/", "region": " "},
     "alert_channels.0.region"),
    ({"name": "h", "kind": "webhook", "url": "http://x/", "region": "110105\n"},
     "alert_channels.0.region"),
    ({"name": "h", "kind": "webhook", "url": "http://x/", "secret": SECRET, "sekret": 1},
     "alert_channels.0.sekret"),
    ({"name": "m", "kind": "smtp", "host": "h", "port": 70000, "sender": "a@b", "to": ["c@d"],
      "password": SECRET}, "alert_channels.0.port"),
]  # fmt: skip


@pytest.mark.parametrize(("channel", "words"), BAD, ids=[w for _, w in BAD])
def test_bad_channel_is_one_line_naming_it_without_secrets(
    channel: dict[str, object], words: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("ECOHUB_ALERT_CHANNELS", json.dumps([channel]))
    with pytest.raises(SettingsError) as info:
        load_settings()
    text = str(info.value)
    assert "(ECOHUB_ALERT_CHANNELS)" in text and words in text, text
    assert SECRET not in text and "\n" not in text


def test_channels_from_json_and_secrets_hidden_in_repr(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("ECOHUB_ALERT_CHANNELS", json.dumps([
        {"name": "duty", "kind": "smtp", "host": "mail.example", "port": 465, "security": "ssl",
         "username": "u", "password": SECRET, "sender": "a@b.example", "to": ["c@d.example"]},
        {"name": "hook", "kind": "webhook", "url": "https://x.example/h", "secret": SECRET},
    ]))  # fmt: skip
    mail, hook = load_settings().alert_channels
    assert (mail.port, mail.security, hook.min_severity) == (465, "ssl", "low")
    assert hook.secret is not None and hook.secret.get_secret_value() == SECRET
    assert SECRET not in repr(mail) + repr(hook)


def test_a_webhook_that_never_answers_fails_after_its_timeout() -> None:
    # A listening socket that is never served: the connection is made, no answer ever comes.
    with socket.socket() as silent:
        silent.bind(("127.0.0.1", 0))
        silent.listen(8)
        url = f"http://127.0.0.1:{silent.getsockname()[1]}/h"
        con = store()
        ch = [hook_channel(url, timeout_s=0.5)]
        finding(con)
        now = datetime(2026, 3, 2, 12, tzinfo=CST)
        raise_alerts(con, ch, now=now)
        assert Dispatcher(con, ch).run_once(now) == {"sent": 0, "failed": 1}
    err = get_alert(con, SYSTEM, 1)["deliveries"][0]["last_error"]
    assert err.startswith("webhook hook: ReadTimeout"), err
