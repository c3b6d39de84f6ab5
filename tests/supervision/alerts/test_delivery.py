"""Delivery against real local endpoints: aiosmtpd takes the mails, an HTTP server the webhook
posts; a dead or refusing endpoint is retried with exponential back-off until it takes them."""

from __future__ import annotations

import hashlib
import hmac
import json
from datetime import datetime, timedelta

from ecohub.access.principal import SYSTEM
from ecohub.supervision.alerts import Dispatcher, backoff_s, get_alert, raise_alerts
from ecohub.supervision.alerts.channels import channel_status
from tests.supervision.alerts.conftest import (
    CST,
    MN1,
    T0,
    Hook,
    Smtp,
    exceedance,
    finding,
    free_port,
    hook_channel,
    mail_channel,
    start_smtp,
    store,
)

NOW = datetime(2026, 3, 2, 12, 0, tzinfo=CST)


def test_backoff_doubles_up_to_the_cap() -> None:
    # base 30 s: 30, 60, 120, 240, ... and never more than the cap (hand-worked).
    assert [backoff_s(n, 30, 3600) for n in (1, 2, 3, 4, 7, 8, 20)] == [
        30, 60, 120, 240, 1920, 3600, 3600]  # fmt: skip


def test_mail_arrives_once_for_many_findings_of_one_key(smtp: Smtp) -> None:
    con = store()
    ch = [mail_channel(smtp.port)]
    for i in range(5):  # five runs of the stuck analyser, raised batch by batch
        finding(con, start=T0 + timedelta(hours=6 * i))
        raise_alerts(con, ch, now=NOW)
    d = Dispatcher(con, ch)
    assert d.run_once(NOW) == {"sent": 1, "failed": 0}
    assert d.run_once(NOW + timedelta(hours=1)) == {"sent": 0, "failed": 0}
    (mail_from, rcpt, msg), = smtp.box.received  # fmt: skip
    assert mail_from == "ecohub@bureau.example"
    assert rcpt == ["duty@bureau.example", "chief@bureau.example"]
    alert = get_alert(con, SYSTEM, 1)
    assert alert["occurrences"] == 5
    subject = str(msg["Subject"])
    assert subject.startswith("[ecohub 告警 #1] 中 数据异常: ")
    assert "二氧化硫 (a21026)" in subject and "DA001" in subject
    assert "/ [alert #1] medium data anomaly:" in subject
    text = msg.get_content()
    # zh-CN first, then English
    assert text.index("告警编号：1") < text.index("Alert 1 (data anomaly, severity medium)")
    assert f"设备 MN：{MN1}" in text and "Source: 唐山某电厂 (S1)" in text
    assert msg["Message-ID"] == "<alert-1.delivery-1@ecohub>"
    assert alert["deliveries"][0]["delivered_at"] is not None
    assert alert["deliveries"][0]["attempts"] == 1


def test_exceedance_mail_says_peak_limit_and_multiple(smtp: Smtp) -> None:
    con = store()
    exceedance(con, peak=150.0)
    ch = [mail_channel(smtp.port)]
    raise_alerts(con, ch, now=NOW)
    Dispatcher(con, ch).run_once(NOW)
    (_, _, msg), = smtp.box.received  # fmt: skip
    assert "高 超标" in str(msg["Subject"]) and "high exceedance" in str(msg["Subject"])
    text = msg.get_content()
    assert "峰值 150.0 mg/m³，限值 100.0 mg/m³，为限值的 1.50 倍（许可证 P1）" in text
    assert "peak 150.0 mg/m3, limit 100.0 mg/m3, 1.50 x the limit (permit P1)" in text


def test_exceedance_mail_says_the_peak_is_converted_and_rounds_it(smtp: Smtp) -> None:
    # The permit's limit applies at 6 % O2 (GB 13223 for coal-fired boilers): the peak is that
    # converted concentration, said so, and read as a person writes it (167.4, not 167.38146...).
    con = store()
    con.execute(
        'INSERT INTO permit_limit (permit_no, outlet_code, pollutant, "limit", unit, period, '
        "reference_o2) VALUES ('P1', 'DA001', 'a21026', 100.0, 'mg/m3', 'hour', 6)"
    )
    exceedance(con, peak=167.3814666666667)
    ch = [mail_channel(smtp.port)]
    raise_alerts(con, ch, now=NOW)
    Dispatcher(con, ch).run_once(NOW)
    (_, _, msg), = smtp.box.received  # fmt: skip
    text = msg.get_content()
    assert "折算浓度（基准氧含量 6%）峰值 167.4 mg/m³，限值 100.0 mg/m³，为限值的 1.67 倍" in text
    assert "concentration at 6 % O2 peak 167.4 mg/m3, limit 100.0 mg/m3, 1.67 x the limit" in text


def test_webhook_payload_and_signature(hook: Hook) -> None:
    con = store()
    secret = "s3cret-for-hmac"
    ch = [hook_channel(hook.url, secret=secret)]
    finding(con)
    raise_alerts(con, ch, now=NOW)
    assert Dispatcher(con, ch).run_once(NOW) == {"sent": 1, "failed": 0}
    (headers, body), = hook.requests  # fmt: skip
    ts = headers["x-ecohub-timestamp"]
    # HMAC-SHA256 (RFC 2104) over "<timestamp>.<body>", computed here with the stdlib.
    expected = hmac.new(secret.encode(), ts.encode() + b"." + body, hashlib.sha256).hexdigest()
    assert headers["x-ecohub-signature"] == f"sha256={expected}"
    assert headers["x-ecohub-event"] == "opened" and headers["x-ecohub-delivery"] == "1"
    data = json.loads(body)
    assert data["event"] == "opened" and data["delivery_id"] == 1
    assert data["alert"]["mn"] == MN1 and data["alert"]["rule"] == "constant"
    assert data["alert"]["state"] == "open" and "deliveries" not in data["alert"]
    assert data["subject"].startswith("[ecohub 告警 #1]")
    # unsigned channel: no signature header
    con2 = store()
    finding(con2)
    plain = [hook_channel(hook.url)]
    raise_alerts(con2, plain, now=NOW)
    Dispatcher(con2, plain).run_once(NOW)
    assert "x-ecohub-signature" not in hook.requests[1][0]


def test_refusing_webhook_is_retried_with_backoff_then_delivered(hook: Hook) -> None:
    con = store()
    ch = [hook_channel(hook.url)]
    finding(con)
    raise_alerts(con, ch, now=NOW)
    d = Dispatcher(con, ch, base_s=30, max_s=3600)
    hook.status = 503
    assert d.run_once(NOW) == {"sent": 0, "failed": 1}
    state = get_alert(con, SYSTEM, 1)["deliveries"][0]
    assert state["attempts"] == 1 and state["last_error"] == "webhook hook: HTTP 503"
    assert state["next_try"] == (NOW + timedelta(seconds=30)).isoformat()
    # not due before its back-off has passed: no request is made
    assert d.run_once(NOW + timedelta(seconds=29)) == {"sent": 0, "failed": 0}
    assert len(hook.requests) == 1
    assert d.run_once(NOW + timedelta(seconds=30)) == {"sent": 0, "failed": 1}
    state = get_alert(con, SYSTEM, 1)["deliveries"][0]
    assert state["next_try"] == (NOW + timedelta(seconds=30 + 60)).isoformat()  # doubled
    hook.status = 204
    assert d.run_once(NOW + timedelta(seconds=90)) == {"sent": 1, "failed": 0}
    assert len(hook.requests) == 3
    state = get_alert(con, SYSTEM, 1)["deliveries"][0]
    assert state["attempts"] == 3 and state["delivered_at"] is not None


def test_dead_mail_server_loses_nothing_and_blocks_no_other_channel(hook: Hook) -> None:
    con = store()
    port = free_port()  # nothing listens here yet
    ch = [mail_channel(port), hook_channel(hook.url)]
    finding(con)
    exceedance(con)
    assert raise_alerts(con, ch, now=NOW)["queued"] == 4
    d = Dispatcher(con, ch, base_s=10, max_s=3600)
    # Mail: the first delivery fails (connection refused), the second waits for the next
    # round; the webhook takes both.
    assert d.run_once(NOW) == {"sent": 2, "failed": 1}
    status = {c["name"]: c for c in channel_status(con, ch)}
    assert (status["mail"]["pending"], status["mail"]["retrying"]) == (2, 1)
    assert "ConnectionRefusedError" in status["mail"]["last_error"]
    assert status["hook"]["delivered"] == 2
    # the robot key in the webhook's query is a secret: not shown
    assert status["hook"]["target"] == hook.url.split("?")[0]
    assert d.run_once(NOW + timedelta(seconds=10)) == {"sent": 0, "failed": 1}
    server = start_smtp(port)  # the mail server comes back on its address
    try:
        assert d.run_once(NOW + timedelta(hours=1)) == {"sent": 2, "failed": 0}
        assert len(server.box.received) == 2
        subjects = sorted(str(m["Subject"]) for _, _, m in server.box.received)
        assert "数据异常" in subjects[0] + subjects[1] and "超标" in subjects[0] + subjects[1]
    finally:
        server.controller.stop()
    assert channel_status(con, ch)[0]["pending"] == 0


def test_smtp_temporary_refusal_is_retried(smtp: Smtp) -> None:
    con = store()
    ch = [mail_channel(smtp.port)]
    finding(con)
    raise_alerts(con, ch, now=NOW)
    d = Dispatcher(con, ch, base_s=5)
    smtp.box.refuse = "451 4.3.0 try again later"
    assert d.run_once(NOW) == {"sent": 0, "failed": 1}
    err = get_alert(con, SYSTEM, 1)["deliveries"][0]["last_error"]
    assert err.startswith("smtp mail: SMTPDataError") and "try again later" in err
    smtp.box.refuse = None
    assert d.run_once(NOW + timedelta(seconds=5)) == {"sent": 1, "failed": 0}
    assert len(smtp.box.received) == 1


def test_removed_channel_waits_with_a_reason(smtp: Smtp) -> None:
    con = store()
    finding(con)
    raise_alerts(con, [mail_channel(smtp.port, name="old")], now=NOW)
    d = Dispatcher(con, [mail_channel(smtp.port)])
    assert d.run_once(NOW) == {"sent": 0, "failed": 0}
    state = get_alert(con, SYSTEM, 1)["deliveries"][0]
    assert state["last_error"] == "channel 'old' is not configured" and not state["delivered_at"]
    # configured again: sent
    assert Dispatcher(con, [mail_channel(smtp.port, name="old")]).run_once(
        NOW + timedelta(days=1)) == {"sent": 1, "failed": 0}  # fmt: skip


def test_dispatcher_thread_sends_on_its_own(smtp: Smtp) -> None:
    con = store()
    ch = [mail_channel(smtp.port)]
    finding(con)
    raise_alerts(con, ch)
    d = Dispatcher(con, ch, interval_s=0.05)
    d.start()
    try:
        import time

        for _ in range(200):
            if smtp.box.received:
                break
            time.sleep(0.05)
    finally:
        d.close()
    assert len(smtp.box.received) == 1 and d.pending() == 0
