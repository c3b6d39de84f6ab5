"""No route of the catalogue serves credentials, not even to an administrator: password and
token hashes, device passwords, and the ``PW=`` field of raw HJ 212 packets.

Every catalogued resource is read through the data route as a nationwide admin (its first page,
where the credential tables' few rows all are), and its answer searched for every credential
the store holds.
"""

from __future__ import annotations

import asyncio
import json

import pytest

from ecohub.access import apikeys, tokens, users
from ecohub.access.principal import SYSTEM, Principal
from ecohub.catalog import resources, rows, service
from ecohub.ingest.hj212_server import Hj212Server
from ecohub.protocols.hj212.codec import frame_segment
from ecohub.settings import Settings
from tests.catalog.conftest import Sample

DEVICE_PW = "123456"  # the simulated devices' password (ecohub.ingest.simulator.demo_devices)


async def _send(sample: Sample, frames: list[bytes]) -> None:
    """``frames`` to the real HJ 212 server, one connection, waiting for what it stores."""
    server = Hj212Server(sample.con, Settings(data_dir=sample.dir))
    host, port = await server.start("127.0.0.1", 0)
    try:
        _, writer = await asyncio.open_connection(host, port)
        for f in frames:
            writer.write(f)
        await writer.drain()
        await asyncio.sleep(1.0)
        writer.close()
    finally:
        await server.stop()


@pytest.fixture(scope="module")
def secrets(sample: Sample) -> list[str]:
    """Every credential value in the store: one of each kind made here, plus what is there."""
    mn = sample.mns[1]
    segment = f"QN=20240101000000000;ST=31;CN=2081;PW={DEVICE_PW};MN={mn};Flag=5;CP=&&&&"
    message = frame_segment(segment.encode("ascii"))
    bad_crc = message[:-6] + b"0000\r\n"  # the same packet, its CRC wrong: rejected
    asyncio.run(_send(sample, [message, bad_crc]))
    users.add_user(sample.con, "cred-user", "analyst", "110105", [], "correct horse battery")
    apikeys.create(sample.con, "cred-user")
    tokens.login_tokens(sample.con, b"k" * 32, Principal("cred-user", "analyst", "110105"))
    sample.con.execute(
        "UPDATE monitor_point SET pw = 'dev-secret-77' WHERE mn = ?", [sample.mns[0]]
    )
    found = [
        v
        for sql in (
            "SELECT password_hash FROM app_user",
            "SELECT secret_hash FROM api_key",
            "SELECT token_hash FROM refresh_token",
            "SELECT pw FROM monitor_point",
        )
        for (v,) in sample.con.execute(sql).fetchall()
        if v
    ]
    kinds = {s.split("$")[1] if s.startswith("$") else "other" for s in found}
    assert "argon2id" in kinds and "dev-secret-77" in found and len(found) >= 4
    return found


def test_no_resource_serves_credentials(sample: Sample, secrets: list[str]) -> None:
    service.ensure(sample.con)
    codes = [r["code"] for r in resources.every(sample.con)]
    tables = set(resources.store_tables(sample.con))
    served = 0
    for code in codes:
        res = resources.get(sample.con, code)
        assert res is not None
        if res["table_name"] not in tables:
            continue
        page = service.data(sample.con, SYSTEM, code, limit=10_000)
        text = json.dumps(page["items"], ensure_ascii=False, default=str)
        for item in page["items"][:1]:
            named = [k for k in item if rows.CREDENTIAL_NAME.match(k)]
            assert not named, (code, named)
        leaked = [s for s in secrets if s in text]
        assert not leaked, (code, res["table_name"])
        # Raw packets: the device password neither as text nor as hex.
        for pw in (DEVICE_PW, "dev-secret-77"):
            assert f"PW={pw}" not in text, code
            assert f"PW={pw}".encode().hex().upper() not in text, code
        served += 1
    assert served >= 40


@pytest.mark.parametrize(
    ("code", "gone"),
    [
        ("30100602-00003", "password_hash"),
        ("30100602-00004", "secret_hash"),
        ("30100602-00005", "token_hash"),
        ("30100202-00001", "pw"),
    ],
)
def test_credential_tables_serve_their_other_columns(
    sample: Sample, secrets: list[str], code: str, gone: str
) -> None:
    items = service.data(sample.con, SYSTEM, code)["items"]
    assert items and all(gone not in i for i in items)
    assert all(len(i) >= 3 for i in items)


def test_raw_packets_are_served_with_the_password_masked(
    sample: Sample, secrets: list[str]
) -> None:
    msgs = service.data(sample.con, SYSTEM, "30100202-00004", limit=5)["items"]
    assert msgs and all("PW=***;" in m["raw"] for m in msgs)
    packets = service.data(sample.con, SYSTEM, "30100202-00003", limit=5)["items"]
    assert packets
    for p in packets:
        assert b"PW=***;" in bytes.fromhex(p["raw"])
