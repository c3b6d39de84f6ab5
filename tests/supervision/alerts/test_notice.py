"""What an alert notice says, as the real local SMTP server takes it: the unit of the permit
limit (a water pollutant is in mg/L, not mg/m3), and the same unit in the API's alert; the
enterprise's name and address, evidence as labelled and rounded values, the console link when
the public address is set, a Date header with a real zone. Expected texts are worked by hand
from the rows written here."""

from __future__ import annotations

import json
from datetime import datetime, timedelta
from email.message import EmailMessage
from email.utils import parsedate_to_datetime

import duckdb

from ecohub.access.principal import SYSTEM
from ecohub.supervision.alerts import Dispatcher, get_alert, list_alerts, raise_alerts
from tests.supervision.alerts.conftest import (
    CST,
    MN1,
    MN2,
    Hook,
    Smtp,
    exceedance,
    finding,
    hook_channel,
    mail_channel,
    store,
)

NOW = datetime(2026, 3, 2, 12, 0, tzinfo=CST)


def _mail(
    con: duckdb.DuckDBPyConnection, smtp: Smtp, public_url: str | None = None
) -> EmailMessage:
    ch = [mail_channel(smtp.port)]
    raise_alerts(con, ch, now=NOW)
    assert Dispatcher(con, ch, public_url=public_url).run_once(NOW) == {"sent": 1, "failed": 0}
    ((_, _, msg),) = smtp.box.received
    return msg


def test_water_exceedance_is_in_the_permit_limits_unit(smtp: Smtp) -> None:
    # COD (w01018) against a permit limit of 5 mg/L (as `load permits` stores it): hourly
    # mean 28.8 mg/L is 28.8 / 5 = 5.76 times the limit.
    con = store()
    con.execute(
        'INSERT INTO permit_limit (permit_no, outlet_code, pollutant, "limit", unit, period) '
        "VALUES ('P1', 'DA001', 'w01018', 5.0, 'mg/L', 'hour')"
    )
    exceedance(con, pollutant="w01018", peak=28.8, limit=5.0)
    text = _mail(con, smtp).get_content()
    assert "峰值 28.8 mg/L，限值 5.0 mg/L，为限值的 5.76 倍（许可证 P1）" in text
    assert "peak 28.8 mg/L, limit 5.0 mg/L, 5.76 x the limit (permit P1)" in text
    assert "mg/m" not in text
    # The API's alert says the unit too (its detail and the alert's own `unit`).
    alert = get_alert(con, SYSTEM, 1)
    assert alert["detail"]["unit"] == "mg/L" and alert["unit"] == "mg/L"


def test_without_the_permit_row_the_pollutants_hj212_unit(smtp: Smtp) -> None:
    # Total phosphorus (w21011) is mg/L in HJ 212-2017 Appendix B; an event whose permit row
    # is gone (or an alert raised before the unit was kept) still says mg/L.
    con = store()
    exceedance(con, pollutant="w21011", peak=0.262, limit=0.1)
    text = _mail(con, smtp).get_content()
    assert "峰值 0.262 mg/L，限值 0.1 mg/L，为限值的 2.62 倍" in text
    assert "peak 0.262 mg/L, limit 0.1 mg/L, 2.62 x the limit" in text
    assert get_alert(con, SYSTEM, 1)["unit"] == "mg/L"


def test_flue_gas_exceedance_stays_in_mg_per_cubic_metre(smtp: Smtp) -> None:
    con = store()
    exceedance(con, peak=150.0)  # SO2 (a21026), mg/m3 in HJ 212
    text = _mail(con, smtp).get_content()
    assert "峰值 150.0 mg/m³，限值 100.0 mg/m³" in text
    assert "peak 150.0 mg/m3, limit 100.0 mg/m3" in text


ADDRESS = "北京市朝阳区东坝示例路3号"


def test_mail_names_the_enterprise_and_its_address(smtp: Smtp) -> None:
    con = store()
    con.execute("UPDATE source SET address = ? WHERE source_code = 'S2'", [ADDRESS])
    finding(con, mn=MN2)
    text = _mail(con, smtp).get_content()
    assert "污染源：朝阳某热力（S2）\n" in text and f"地址：{ADDRESS}\n" in text
    assert f"排放口：DA001  设备 MN：{MN2}\n" in text
    assert "Source: 朝阳某热力 (S2)\n" in text and f"Address: {ADDRESS}\n" in text
    assert f"Outlet: DA001  device MN: {MN2}\n" in text
    # The listing has them too, from the one join of the query (the console shows the name).
    (item,) = list_alerts(con, SYSTEM)
    assert (item["source_name"], item["source_address"]) == ("朝阳某热力", ADDRESS)


def test_no_address_line_when_the_registry_has_none(smtp: Smtp) -> None:
    con = store()
    finding(con, mn=MN1)  # S1 唐山某电厂 has no address
    text = _mail(con, smtp).get_content()
    assert "污染源：唐山某电厂（S1）\n" in text and "Source: 唐山某电厂 (S1)\n" in text
    assert "地址" not in text and "Address" not in text


def test_finding_evidence_is_labelled_and_rounded(smtp: Smtp) -> None:
    # The drop_flat evidence of the tester's alert, as the detector stored it (15-digit floats);
    # SO2 is in mg/m3. 35.660105555555546 -> 35.7, 11.999622222222222 -> 12.0 (one decimal from 1
    # up), 0.047999999999998266 -> 0.048 (three significant digits below 1).
    con = store()
    evidence = {"after": 11.999622222222222, "before": 35.660105555555546,
                "spread": 0.047999999999998266, "threshold": 0.5, "threshold_2": 0.02}  # fmt: skip
    finding(con, rule="drop_flat", evidence=evidence)
    text = _mail(con, smtp).get_content()
    zh = ["证据：", "  骤降前 3 小时均值：35.7 mg/m³", "  骤降后均值：12.0 mg/m³",
          "  骤降后波动幅度：0.048 mg/m³", "  阈值：0.5", "  阈值 2：0.02"]  # fmt: skip
    en = ["Evidence:", "  mean of the 3 hours before: 35.7 mg/m3",
          "  mean after the drop: 12.0 mg/m3", "  spread after the drop: 0.048 mg/m3",
          "  threshold: 0.5", "  threshold 2: 0.02"]  # fmt: skip
    assert "\n".join(zh) in text and "\n".join(en) in text
    assert text.index(zh[0]) < text.index(en[0])  # zh-CN first, then English
    assert "{" not in text and "0.0479" not in text and "35.66" not in text


def test_evidence_of_o2_is_in_percent_and_says_whether_it_goes_on(smtp: Smtp) -> None:
    # o2_air: min/max/mean are O2 contents (%), not concentrations of the pollutant.
    con = store()
    evidence = {"n": 45, "of": "o2_percent", "min": 19.61, "max": 20.634, "mean": 20.1234,
                "threshold": 19.5, "threshold_2": None, "open": False}  # fmt: skip
    finding(con, rule="o2_air", evidence=evidence)
    text = _mail(con, smtp).get_content()
    zh = ["  数据条数：45", "  氧含量最小值：19.6 %", "  氧含量最大值：20.6 %",
          "  氧含量均值：20.1 %", "  阈值：19.5", "  仍在持续：否"]  # fmt: skip
    en = ["  values: 45", "  O2 min: 19.6 %", "  O2 max: 20.6 %", "  O2 mean: 20.1 %",
          "  threshold: 19.5", "  still going: no"]  # fmt: skip
    assert "\n".join(zh) in text and "\n".join(en) in text
    assert "阈值 2" not in text and "mg/m" not in text  # no value, no line; no wrong unit


def test_console_link_when_the_public_address_is_set(smtp: Smtp) -> None:
    con = store()
    finding(con)
    text = _mail(con, smtp, public_url="https://ecohub.bureau.example/hub/").get_content()
    link = "https://ecohub.bureau.example/hub/#/alerts/1"
    assert f"在控制台查看：{link}\n" in text and f"Open in the console: {link}\n" in text


def test_no_link_without_the_public_address(smtp: Smtp) -> None:
    # The server's own bind address (127.0.0.1 by default) is no address for a reader's mail.
    con = store()
    finding(con)
    text = _mail(con, smtp).get_content()
    assert "#/alerts" not in text and "http" not in text


def test_webhook_carries_the_link(hook: Hook) -> None:
    con = store()
    finding(con)
    ch = [hook_channel(hook.url)]
    raise_alerts(con, ch, now=NOW)
    Dispatcher(con, ch, public_url="https://ecohub.bureau.example").run_once(NOW)
    data = json.loads(hook.requests[0][1])
    assert data["url"] == "https://ecohub.bureau.example/#/alerts/1"
    assert data["alert"]["source_name"] == "唐山某电厂"


def test_date_header_has_a_real_zone(smtp: Smtp) -> None:
    # RFC 5322 3.3: "-0000" says the zone is unknown; the mail says China Standard Time.
    con = store()
    finding(con)
    before = datetime.now(CST)
    msg = _mail(con, smtp)
    date = parsedate_to_datetime(str(msg["Date"]))
    assert str(msg["Date"]).endswith(" +0800")
    assert date.utcoffset() == timedelta(hours=8)
    assert before - timedelta(seconds=1) <= date <= datetime.now(CST) + timedelta(seconds=1)


def test_exceedance_rule_names_in_both_languages() -> None:
    from ecohub.supervision.alerts.message import rule_names

    alert = {"kind": "exceedance", "pollutant": "a21026", "rule": "day"}
    assert rule_names(alert) == ("日均值超过许可限值", "daily mean over the permit limit")
    alert["rule"] = "hour"
    assert rule_names(alert) == ("小时均值超过许可限值", "hourly mean over the permit limit")
