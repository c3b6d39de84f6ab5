"""Alert channels by any region: a key region ("2+26" cities), a loaded basin polygon, a
division; delivered to the real local SMTP server and webhook receiver of the other alert tests.

Membership is decided here from the data, not by the code under test: Tangshan (130203) lies in
prefecture 130200, a "2+26" city; Chaoyang (110105) in Beijing (110000), one too; Shanghai
(310101) is not, and lies in the Yangtze River Delta (310000). The basin is the hand-drawn
square lon 116.40..116.60, lat 39.85..40.05, holding S2's point (116.46, 39.91) and neither
Tangshan's (118.18, 39.63) nor Shanghai's (121.47, 31.23).
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from datetime import datetime

import duckdb
import pytest

from ecohub.geo import ensure_regions
from ecohub.geo.userregions import load_region
from ecohub.settings import SettingsError
from ecohub.supervision.alerts import Dispatcher, raise_alerts
from ecohub.supervision.alerts.routing import check_channel_regions
from tests.supervision.alerts.conftest import (
    CST,
    MN1,
    MN2,
    Hook,
    Smtp,
    finding,
    hook_channel,
    mail_channel,
    store,
)

NOW = datetime(2026, 3, 2, 12, 0, tzinfo=CST)
MN3 = "88888880000003"
RING = [[116.40, 39.85], [116.60, 39.85], [116.60, 40.05], [116.40, 40.05], [116.40, 39.85]]


@pytest.fixture(scope="module")
def regions() -> Iterator[duckdb.DuckDBPyConnection]:
    """A store with the boundaries and key regions installed once (copied per test)."""
    con = store()
    ensure_regions(con)
    yield con
    con.close()


def _store(regions: duckdb.DuckDBPyConnection) -> duckdb.DuckDBPyConnection:
    con = store()
    for table in ("region", "region_member"):
        con.register("_from", regions.execute(f"SELECT * FROM {table}").fetch_arrow_table())
        con.execute(f"INSERT INTO {table} SELECT * FROM _from")
        con.unregister("_from")
    con.execute("UPDATE source SET lon = 118.18, lat = 39.63 WHERE source_code = 'S1'")
    con.execute("UPDATE source SET lon = 116.46, lat = 39.91 WHERE source_code = 'S2'")
    con.execute(
        "INSERT INTO source (source_code, name, region_code, lon, lat) "
        "VALUES ('S3', '上海某化工', '310101', 121.47, 31.23)"
    )
    con.execute(
        f"INSERT INTO monitor_point (mn, source_code, outlet_code, interval_s) "
        f"VALUES ('{MN3}', 'S3', 'DA001', 60)"
    )
    square = {"type": "Polygon", "coordinates": [RING]}
    load_region(con, json.dumps(square), name="test basin", kind="basin", code="basin-test")
    finding(con, mn=MN1)
    finding(con, mn=MN2)
    con.execute(
        'INSERT INTO anomaly (mn, source_code, outlet_code, pollutant, rule, start, "end", '
        "evidence, severity, found_at, updated_at) SELECT ?, 'S3', outlet_code, pollutant, rule, "
        'start, "end", evidence, severity, now(), now() FROM anomaly WHERE mn = ?',
        [MN3, MN1],
    )
    return con


def _sources(con: duckdb.DuckDBPyConnection, channel: str) -> list[str]:
    rows = con.execute(
        "SELECT a.source_code FROM alert_delivery d JOIN alert a ON a.id = d.alert_id "
        "WHERE d.channel = ? ORDER BY 1",
        [channel],
    ).fetchall()
    return [r[0] for r in rows]


def test_key_region_and_basin_channels_get_their_sources_alerts(
    regions: duckdb.DuckDBPyConnection, smtp: Smtp, hook: Hook
) -> None:
    con = _store(regions)
    channels = [
        hook_channel(hook.url, name="jjj", region="jjj-2+26"),
        mail_channel(smtp.port, name="yrd-mail", region="yrd"),
        hook_channel(hook.url, name="basin", region="test basin"),  # by its name
        hook_channel(hook.url, name="hebei", region="130000"),  # a division, as before
        hook_channel(hook.url, name="all"),
    ]
    check_channel_regions(con, channels)
    assert raise_alerts(con, channels, now=NOW)["opened"] == 3
    assert _sources(con, "jjj") == ["S1", "S2"]
    assert _sources(con, "yrd-mail") == ["S3"]
    assert _sources(con, "basin") == ["S2"]
    assert _sources(con, "hebei") == ["S1"]
    assert _sources(con, "all") == ["S1", "S2", "S3"]
    assert Dispatcher(con, channels).run_once(NOW) == {"sent": 8, "failed": 0}
    # What the real endpoints took: two webhook posts for the 2+26 channel, one mail for the
    # delta, one post for the basin, one for Hebei, three for the channel without a region.
    posted = sorted(json.loads(body)["alert"]["source_code"] for _, body in hook.requests)
    assert posted == ["S1", "S1", "S1", "S2", "S2", "S2", "S3"]
    ((_, rcpt, msg),) = smtp.box.received
    assert rcpt == ["duty@bureau.example", "chief@bureau.example"]
    assert "Source: 上海某化工 (S3)" in msg.get_content()


def test_a_channel_region_the_store_does_not_know_stops_the_start(
    regions: duckdb.DuckDBPyConnection, hook: Hook
) -> None:
    con = _store(regions)
    channels = [hook_channel(hook.url, name="ok", region="jjj-2+26"),
                hook_channel(hook.url, name="typo", region="Beijing")]  # fmt: skip
    with pytest.raises(SettingsError) as info:
        check_channel_regions(con, channels)
    text = str(info.value)
    assert text.startswith("alert_channels.1.region (ECOHUB_ALERT_CHANNELS): channel typo:")
    assert "no region 'Beijing'" in text and "\n" not in text


def test_a_region_removed_while_running_takes_nothing_and_others_go_on(
    regions: duckdb.DuckDBPyConnection, hook: Hook, caplog: pytest.LogCaptureFixture
) -> None:
    con = _store(regions)
    channels = [hook_channel(hook.url, name="basin", region="basin-test"),
                hook_channel(hook.url, name="jjj", region="jjj-2+26")]  # fmt: skip
    check_channel_regions(con, channels)
    con.execute("DELETE FROM region WHERE code = 'basin-test'")
    assert raise_alerts(con, channels, now=NOW) == {"opened": 3, "updated": 0, "queued": 2}
    assert _sources(con, "basin") == []
    assert _sources(con, "jjj") == ["S1", "S2"]
    assert "alert channel basin takes nothing" in caplog.text


@pytest.mark.parametrize(
    ("code", "reason"),
    [
        # 110501: 110105 (Chaoyang) with two digits swapped; there is no prefecture 1105.
        ("110501", "110501 is not in the 2023 division table"),
        ("990000", "990000 is not in the 2023 division table"),
        # A functional zone's statistical code is no GB/T 2260 division (standards.divisions).
        ("130171", "130171 (石家庄高新技术产业开发区) is a statistical code of a functional zone"),
    ],
)
def test_a_six_digit_code_that_is_no_division_stops_the_start(
    regions: duckdb.DuckDBPyConnection, hook: Hook, code: str, reason: str
) -> None:
    # A mistyped district code would leave that district's duty mailbox silently empty.
    con = _store(regions)
    channels = [hook_channel(hook.url, name="ok", region="110105"),
                hook_channel(hook.url, name="typo", region=code)]  # fmt: skip
    with pytest.raises(SettingsError) as info:
        check_channel_regions(con, channels)
    text = str(info.value)
    assert text.startswith(
        f"alert_channels.1.region (ECOHUB_ALERT_CHANNELS): channel typo: no region '{code}': "
    )
    assert reason in text and "\n" not in text
