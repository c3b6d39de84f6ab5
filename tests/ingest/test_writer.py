"""The group-commit writer on its own: one transaction per batch, no key stored twice."""

from __future__ import annotations

import threading
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

import pytest

from ecohub.cst import CST
from ecohub.ingest.emission_rows import Rejected, emission_values
from ecohub.ingest.metrics import IngestMetrics
from ecohub.ingest.work import Work
from ecohub.ingest.writer import StoreWriter
from ecohub.protocols import hj212
from ecohub.store.db import connect

T0 = datetime(2026, 3, 1, 12, 0, tzinfo=CST)


def data_work(
    mn: str, data_time: str, values: dict[str, str], qn: str = "20260301120000001"
) -> Work:
    cp: dict[str, Any] = {"DataTime": data_time}
    cp.update({code: {"Rtd": v, "Flag": "N"} for code, v in values.items()})
    raw = hj212.build(st="31", cn="2011", pw="123456", mn=mn, qn=qn, flag=5, cp=cp)
    pkt = hj212.parse(raw)
    w = Work("data", T0, "127.0.0.1:1", raw, pkt.mn, pkt.st, pkt.cn, pkt.qn, pkt.edition)
    w.data_time, w.values = emission_values(pkt)
    return w


@pytest.fixture
def writer(tmp_path: Path):  # type: ignore[no-untyped-def]
    con = connect(tmp_path / "s.duckdb")
    metrics = IngestMetrics()
    committed: list[list[Work]] = []
    w = StoreWriter(con, committed.append, metrics)
    yield w, con, metrics
    con.close()


def rows(con: Any) -> list[tuple[Any, ...]]:
    return con.execute(
        "SELECT mn, data_time, pollutant, rtd, fields->>'Rtd', qn FROM emission ORDER BY ALL"
    ).fetchall()


def stored_rows(metrics: IngestMetrics) -> float:
    return metrics.registry.get_sample_value("ecohub_hj212_rows_stored_total") or 0.0


def test_each_packet_value_becomes_one_row_with_the_packet_fields(writer) -> None:  # type: ignore[no-untyped-def]
    w, con, metrics = writer
    w.write([data_work("MN1", "20260301115930", {"a21026": "35.20", "a21002": "40"}),
             data_work("MN2", "20260301115930", {"a21026": "10.00"})])  # fmt: skip
    assert rows(con) == [
        ("MN1", T0 - timedelta(seconds=30), "a21002", 40.0, "40", "20260301120000001"),
        ("MN1", T0 - timedelta(seconds=30), "a21026", 35.2, "35.20", "20260301120000001"),
        ("MN2", T0 - timedelta(seconds=30), "a21026", 10.0, "10.00", "20260301120000001"),
    ]
    assert stored_rows(metrics) == 3


def test_key_already_stored_is_kept_and_the_rest_of_the_batch_lands(writer) -> None:  # type: ignore[no-untyped-def]
    w, con, metrics = writer
    w.write([data_work("MN1", "20260301115930", {"a21026": "35.2"})])
    resent = data_work(
        "MN1", "20260301115930", {"a21026": "99", "a21002": "40"}, qn="20260301120000002"
    )
    message = Work(
        "message", T0, "127.0.0.1:1", b"##0000QN=...", "MN1", "31", "3020", "20260301120000003"
    )
    bad = Work(
        "rejected", T0, "127.0.0.1:1", b"junk", error="BadHeader", reason="frame must start with ##"
    )
    w.write([resent, message, bad, data_work("MN2", "20260301115930", {"a21026": "7"})])
    got = {(r[0], r[2]): r[3] for r in rows(con)}
    # The first stored value of a key stays; the new pollutant and the other device land.
    assert got == {("MN1", "a21026"): 35.2, ("MN1", "a21002"): 40.0, ("MN2", "a21026"): 7.0}
    assert stored_rows(metrics) == 3
    # Everything else of the batch is written exactly once, though the batch was redone.
    assert con.execute("SELECT count(*) FROM hj212_message").fetchone()[0] == 1
    logged = con.execute("SELECT status, error FROM packet_log ORDER BY status").fetchall()
    # ... and the resent packet, which would have changed a stored value, is kept as evidence.
    assert logged == [("conflict", "ConflictingResend"), ("rejected", "BadHeader")]


def test_same_packet_twice_in_one_batch_is_one_row_per_pollutant(writer) -> None:  # type: ignore[no-untyped-def]
    w, con, metrics = writer
    first = data_work("MN1", "20260301115930", {"a21026": "1", "a21002": "2"})
    again = data_work(
        "MN1", "20260301115930", {"a21026": "3", "a01012": "4"}, qn="20260301120000002"
    )
    w.write([first, again])
    got = {r[2]: r[3] for r in rows(con)}
    assert got == {"a21026": 3.0, "a21002": 2.0, "a01012": 4.0}
    assert stored_rows(metrics) == 3


def test_writer_thread_answers_only_committed_batches(tmp_path: Path) -> None:
    con = connect(tmp_path / "s.duckdb")
    done: list[Work] = []
    w = StoreWriter(con, done.extend, IngestMetrics(), max_batch=7, interval_ms=1)
    w.start()
    works = [data_work(f"MN{i}", "20260301115930", {"a21026": str(i)}) for i in range(50)]
    for x in works:
        x.answer = b"ok"
        w.submit(x)
    w.stop()
    assert len(done) == 50 and all(x.answer == b"ok" for x in done)
    assert con.execute("SELECT count(*) FROM emission").fetchone()[0] == 50
    con.close()


@pytest.mark.parametrize(
    ("value", "reason"),
    [
        ("abc", "CP.a21026-Rtd: not a number in HJ 212 syntax: 'abc'"),
        ("nan", "CP.a21026-Rtd: not a number in HJ 212 syntax: 'nan'"),
    ],
)
def test_value_that_is_not_a_number_is_refused_naming_the_field(value: str, reason: str) -> None:
    raw = hj212.build(st="31", cn="2011", pw="1", mn="MN1", qn="20260301120000001", flag=5,
                      cp={"DataTime": "20260301115930", "a21026": {"Rtd": value}})  # fmt: skip
    with pytest.raises(Rejected) as err:
        emission_values(hj212.parse(raw))
    assert err.value.error == "MalformedNumber" and err.value.reason == reason


def test_a_backlog_is_company_enough(tmp_path: Path) -> None:
    """A batch that already has ``enough`` packets queued is taken at once: the group commit
    waits for company only while traffic is light (here it would wait an hour)."""
    con = connect(tmp_path / "s.duckdb")
    w = StoreWriter(con, lambda batch: None, IngestMetrics(), interval_ms=3_600_000, enough=3)
    works = [data_work(f"MN{i:012d}", "20260301120000", {"a21026": "1"}) for i in range(5)]
    for work in works:
        w.submit(work)
    out: list[tuple[list[Work], bool]] = []
    taker = threading.Thread(target=lambda: out.append(w._take_batch()), daemon=True)
    taker.start()
    taker.join(30)
    assert not taker.is_alive(), "the writer waited for company it did not need"
    assert out == [(works, False)]
    con.close()
