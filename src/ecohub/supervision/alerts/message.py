"""What a delivery says: the e-mail (zh-CN first, then English) and the webhook's JSON body.

Plain functions of an alert as :func:`ecohub.supervision.alerts.service.get_alert` returns it
(no I/O), so the texts are tested without a server.
"""

from __future__ import annotations

from datetime import datetime
from email.message import EmailMessage
from email.utils import format_datetime
from typing import Any

from ecohub.cst import CST
from ecohub.supervision.alerts.evidence import ascii_unit, conc, evidence

__all__ = ["alert_url", "email_message", "payload", "subject", "titles"]

_SEVERITY_ZH = {"low": "低", "medium": "中", "high": "高"}
_KIND_ZH = {"finding": "数据异常", "exceedance": "超标"}
_KIND_EN = {"finding": "data anomaly", "exceedance": "exceedance"}
_PERIOD_ZH = {"hour": "小时均值", "day": "日均值"}
_PERIOD_EN = {"hour": "hourly", "day": "daily"}  # not period + "ly": "dayly"


def _names(alert: dict[str, Any]) -> tuple[str, str, str, str]:
    """(pollutant zh, pollutant en, what zh, what en) of an alert."""
    from ecohub.protocols.hj212.codes import pollutant
    from ecohub.supervision.rules import load_rules

    code = alert["pollutant"]
    known = pollutant(code) if code != "*" else None
    p_zh = f"{known.name_zh} ({code})" if known else ("整台设备" if code == "*" else code)
    p_en = f"{known.name_en} ({code})" if known else ("whole device" if code == "*" else code)
    if alert["kind"] == "exceedance":
        period = alert["rule"]
        return p_zh, p_en, f"{_PERIOD_ZH.get(period, period)}超过许可限值", \
            f"{_PERIOD_EN.get(period, period)} mean over the permit limit"  # fmt: skip
    rule = load_rules().get(alert["rule"])
    return (p_zh, p_en, rule.name_zh if rule else alert["rule"],
            rule.name_en if rule else alert["rule"])  # fmt: skip


def titles(alert: dict[str, Any]) -> tuple[str, str]:
    """What the alert is about, in a few words: (zh-CN, en), e.g. ("数据恒定不变 二氧化硫
    (a21026)", "constant value while the plant runs SO2 (a21026)")."""
    p_zh, p_en, w_zh, w_en = _names(alert)
    return f"{w_zh} {p_zh}", f"{w_en} {p_en}"


def rule_names(alert: dict[str, Any]) -> tuple[str, str]:
    """The rule's name (zh-CN, en): the anomaly rule's (anomaly_rules.csv), or for an
    exceedance the averaging period's, e.g. ("小时均值超过许可限值", "hourly mean over the
    permit limit")."""
    _, _, w_zh, w_en = _names(alert)
    return w_zh, w_en


def subject(alert: dict[str, Any]) -> str:
    """One line: zh-CN, then English."""
    p_zh, _, w_zh, w_en = _names(alert)
    sev = alert["severity"]
    where = alert["outlet"] or alert["mn"]
    return (
        f"[ecohub 告警 #{alert['id']}] {_SEVERITY_ZH[sev]} {_KIND_ZH[alert['kind']]}: {w_zh} "
        f"{p_zh} {where} / [alert #{alert['id']}] {sev} {_KIND_EN[alert['kind']]}: {w_en}"
    )


def _exceedance(alert: dict[str, Any]) -> tuple[str, str]:
    d = alert["detail"] or {}
    ref = d.get("reference_o2")
    # The limit applies to the concentration converted to the permit's reference O2
    # (supervision/exceedance.py), and the peak is that value: said so.
    what_zh = f"折算浓度（基准氧含量 {ref:g}%）" if isinstance(ref, int | float) else ""
    what_en = f"concentration at {ref:g} % O2 " if isinstance(ref, int | float) else ""
    # The permit limit's unit (service._unit): mg/m³ for flue gas, mg/L for waste water.
    u_zh = f" {alert['unit']}" if alert.get("unit") else ""
    u_en = ascii_unit(u_zh)
    peak, limit = conc(d.get("peak")), conc(d.get("limit"))
    zh = (f"{what_zh}峰值 {peak}{u_zh}，限值 {limit}{u_zh}，"
          f"为限值的 {d.get('multiple', 0):.2f} 倍（许可证 {d.get('permit_no')}）")  # fmt: skip
    en = (f"{what_en}peak {peak}{u_en}, limit {limit}{u_en}, "
          f"{d.get('multiple', 0):.2f} x the limit (permit {d.get('permit_no')})")  # fmt: skip
    return zh, en


def _evidence(alert: dict[str, Any]) -> tuple[list[str], list[str]]:
    if alert["kind"] == "exceedance":
        zh, en = _exceedance(alert)
        return [zh], [en]
    zh_lines, en_lines = evidence(alert)
    return (["证据：", *(f"  {x}" for x in zh_lines)],
            ["Evidence:", *(f"  {x}" for x in en_lines)])  # fmt: skip


def _source(alert: dict[str, Any]) -> tuple[list[str], list[str]]:
    """Who: the enterprise's name from the registry beside its code, and its address when the
    registry has one; an inspector on duty acts on these, not on a code."""
    code, name, address = alert["source_code"], alert["source_name"], alert["source_address"]
    if code is None:
        return ["污染源：未关联"], ["Source: not linked"]
    zh = [f"污染源：{name}（{code}）" if name else f"污染源：{code}"]
    en = [f"Source: {name} ({code})" if name else f"Source: {code}"]
    if address:
        zh.append(f"地址：{address}")
        en.append(f"Address: {address}")
    return zh, en


def alert_url(public_url: str | None, alert_id: int) -> str | None:
    """The console's page of the alert under the platform's public address, or None without
    one (the console is served at the root: ``/#/alerts/N``)."""
    return f"{public_url.rstrip('/')}/#/alerts/{alert_id}" if public_url else None


def body(alert: dict[str, Any], public_url: str | None = None) -> str:
    """The mail text: a zh-CN part, then the same in English."""
    p_zh, p_en, w_zh, w_en = _names(alert)
    e_zh, e_en = _evidence(alert)
    s_zh, s_en = _source(alert)
    link = alert_url(public_url, alert["id"])
    sev = alert["severity"]
    zh = [
        f"告警编号：{alert['id']}（{_KIND_ZH[alert['kind']]}，严重程度：{_SEVERITY_ZH[sev]}）",
        f"内容：{w_zh}",
        *s_zh,
        f"排放口：{alert['outlet'] or '-'}  设备 MN：{alert['mn']}",
        f"污染物：{p_zh}",
        f"时段：{alert['first_seen']} 至 {alert['last_seen']}",
        *e_zh,
        *([f"在控制台查看：{link}"] if link else []),
        "请在 ecohub 中确认（ecohub alerts ack）并在处置后关闭（ecohub alerts close）。",
    ]
    en = [
        f"Alert {alert['id']} ({_KIND_EN[alert['kind']]}, severity {sev})",
        f"What: {w_en}",
        *s_en,
        f"Outlet: {alert['outlet'] or '-'}  device MN: {alert['mn']}",
        f"Pollutant: {p_en}",
        f"Period: {alert['first_seen']} to {alert['last_seen']}",
        *e_en,
        *([f"Open in the console: {link}"] if link else []),
        "Acknowledge it in ecohub (ecohub alerts ack) and close it once handled "
        "(ecohub alerts close).",
    ]
    return "\n".join([*zh, "", "-" * 40, "", *en]) + "\n"


def email_message(
    alert: dict[str, Any],
    sender: str,
    to: list[str],
    delivery_id: int,
    public_url: str | None = None,
) -> EmailMessage:
    """The mail of one delivery; its Message-ID names the delivery, so a resent copy (the
    server took it but the answer was lost) is recognisable as the same message."""
    msg = EmailMessage()
    msg["Subject"] = subject(alert)
    msg["From"] = sender
    msg["To"] = ", ".join(to)
    # China Standard Time with its offset (+0800), as the rest of the platform shows times;
    # formatdate(localtime=False) wrote "-0000", which RFC 5322 3.3 reads as "zone unknown".
    msg["Date"] = format_datetime(datetime.now(CST))
    msg["Message-ID"] = f"<alert-{alert['id']}.delivery-{delivery_id}@ecohub>"
    msg["X-Ecohub-Alert"] = str(alert["id"])
    msg.set_content(body(alert, public_url), charset="utf-8")
    return msg


def payload(
    alert: dict[str, Any], event: str, delivery_id: int, public_url: str | None = None
) -> dict[str, Any]:
    """The webhook's JSON body: the event, the delivery id (a receiver de-duplicates on it:
    delivery is at least once), the subject line, the console link (None without the
    ``public_url`` setting) and the alert itself."""
    item = {k: v for k, v in alert.items() if k != "deliveries"}
    return {"event": event, "delivery_id": delivery_id, "subject": subject(alert),
            "url": alert_url(public_url, alert["id"]), "alert": item}  # fmt: skip
