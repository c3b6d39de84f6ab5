"""The stream detector takes the rows the writer stored with a committed batch: the same minute
rows it would build from the batch's items, without converting them again."""

from __future__ import annotations

from datetime import datetime, timedelta

from ecohub.cst import CST
from ecohub.ingest.work import Work
from ecohub.ingest.writer import Committed, fields_json
from ecohub.ingest.writer_tables import emission_table
from ecohub.supervision.stream_rows import EMISSION_COLUMNS, rows_from_works
from ecohub.supervision.stream_rows import minute_rows as _minute_rows

T = datetime(2026, 11, 26, 10, 0, tzinfo=CST)


def _data(mn: str, cn: str, minute: int, values: dict[str, float]) -> Work:
    return Work(
        "data", T + timedelta(minutes=minute, seconds=5), "127.0.0.1:1", b"", mn=mn, st="31",
        cn=cn, qn="20261126100000000", edition="2017", data_time=T + timedelta(minutes=minute),
        values=[(p, None, v, v - 1, v + 1, None, None, None, "N",
                 fields_json({f"{p}-Avg": str(v)}), False) for p, v in values.items()],
    )  # fmt: skip


def _rows(t) -> list[tuple[object, ...]]:
    return sorted(tuple(r.values()) for r in t.select(EMISSION_COLUMNS.names).to_pylist())


def test_committed_rows_are_the_items_minute_rows() -> None:
    works = [
        _data("MN1", "2051", 0, {"a21026": 30.5, "a19001": 10.2}),
        _data("MN2", "2051", 0, {"a21026": 12.0}),
        _data("MN1", "2061", 0, {"a21026": 31.0}),  # hourly data: not judged by the minute rules
        _data("MN1", "2051", 1, {"a21026": 30.7, "a19001": 10.1}),
        Work("seen", T, "127.0.0.1:1", b"", mn="MN2", cn="9014"),  # a heartbeat: no rows
    ]
    batch = Committed(works)
    batch.emission = emission_table([w for w in works if w.kind == "data"])
    got = _minute_rows(batch)
    assert got.num_rows == 5
    assert _rows(got) == _rows(rows_from_works(works))
    assert set(got.column("cn").to_pylist()) == {"2051"}
    # A batch without the writer's rows (a replay's plain list) is still converted from items.
    assert _rows(_minute_rows(works)) == _rows(got)
