"""The real detectors raise the alerts: a stuck analyser streamed batch by batch widens one
finding many times and makes one alert and one mail; batch `detect` over the same data raises
the same alerts."""

from __future__ import annotations

from datetime import timedelta

import duckdb
import numpy as np
import pyarrow.compute as pc

from ecohub.access.principal import SYSTEM
from ecohub.supervision import Detector, detect
from ecohub.supervision.alerts import Dispatcher, list_alerts
from tests.supervision.alerts.conftest import Smtp, mail_channel
from tests.supervision.series import MN, T0, clean, load, store, table

M = timedelta(minutes=1)


def _stuck() -> dict[str, np.ndarray]:
    v = clean(14 * 60)
    v["a21026"][60 : 60 + 6 * 60] = 31.5  # 01:00-06:59 one value: > 4 h, constant
    v["a21026"][8 * 60 : 8 * 60 + 5 * 60] = 29.0  # 08:00-12:59 again, after a break
    return v


def _keys(con: duckdb.DuckDBPyConnection) -> list[tuple[str, str, str, str, int]]:
    return sorted((a["kind"], a["mn"], a["pollutant"], a["rule"], a["occurrences"])
                  for a in list_alerts(con, SYSTEM))  # fmt: skip


def test_streamed_stuck_analyser_gives_one_alert_and_one_mail(smtp: Smtp) -> None:
    rows = table(_stuck())
    ch = [mail_channel(smtp.port)]
    con = store()
    det = Detector(flush_s=0, channels=ch)
    t = T0
    times = rows.column("data_time")
    while t < T0 + 14 * 60 * M:
        part = rows.filter(pc.and_(pc.greater_equal(times, t), pc.less(times, t + 60 * M)))
        load(con, part)
        det.on_batch(con, part)
        t += 60 * M
    det.flush(con)
    assert det.errors == 0 and det.alert_errors == 0
    constant = [k for k in _keys(con) if k[3] == "constant"]
    # two runs (a break between them) of one key: one alert, two occurrences
    assert constant == [("finding", MN, "a21026", "constant", 2)]
    # the finding was reported again after most batches; still one delivery per alert
    n_alerts = len(list_alerts(con, SYSTEM))
    assert con.execute("SELECT count(*) FROM alert_delivery").fetchone() == (n_alerts,)
    Dispatcher(con, ch).run_once()
    subjects = [str(m["Subject"]) for _, _, m in smtp.box.received]
    assert len(subjects) == n_alerts
    assert sum("固定值" in s or "constant" in s for s in subjects) == 1, subjects

    batch = store()
    load(batch, rows)
    result = detect(batch, T0, T0 + 14 * 60 * M)
    assert result["alerts"]["opened"] == n_alerts
    assert _keys(batch) == _keys(con)
