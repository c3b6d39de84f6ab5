"""What an alert notice says, as the real local SMTP server takes it: the unit of the permit
limit (a water pollutant is in mg/L, not mg/m3), and the same unit in the API's alert."""

from __future__ import annotations

from datetime import datetime
from email.message import EmailMessage

import duckdb

from ecohub.access.principal import SYSTEM
from ecohub.supervision.alerts import Dispatcher, get_alert, raise_alerts
from tests.supervision.alerts.conftest import CST, Smtp, exceedance, mail_channel, store

NOW = datetime(2026, 3, 2, 12, 0, tzinfo=CST)


def _mail(con: duckdb.DuckDBPyConnection, smtp: Smtp, **kw: object) -> EmailMessage:
    ch = [mail_channel(smtp.port)]
    raise_alerts(con, ch, now=NOW)
    assert Dispatcher(con, ch, **kw).run_once(NOW) == {"sent": 1, "failed": 0}  # type: ignore[arg-type]
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
