"""The rows the stream detector judges: a writer's committed batch, its ``Work`` items or an
Arrow table in the `emission` layout, as one table of minute rows (:data:`JUDGED_COLUMNS`)."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

import pyarrow as pa
import pyarrow.compute as pc

from ecohub.supervision.minute_sql import CN_MINUTE

__all__ = ["EMISSION_COLUMNS", "JUDGED_COLUMNS", "judged_columns", "minute_rows", "rows_from_works"]

_TS = pa.timestamp("us", tz="Asia/Shanghai")
#: The `emission` columns the detector reads, in this order.
EMISSION_COLUMNS = pa.schema(
    [("mn", pa.string()), ("cn", pa.string()), ("data_time", _TS), ("pollutant", pa.string()),
     ("rtd", pa.float64()), ("avg", pa.float64()), ("min", pa.float64()),
     ("max", pa.float64()), ("cou", pa.float64()), ("zs_rtd", pa.float64()),
     ("zs_avg", pa.float64()), ("flag", pa.string())]
)  # fmt: skip


#: What the detector judges: those columns and `below_detection` (a value written ``…L``: an
#: upper bound, not a measurement; docs/supervision.md). A table without it counts as measured.
JUDGED_COLUMNS = EMISSION_COLUMNS.append(pa.field("below_detection", pa.bool_()))


def judged_columns(chunk: pa.Table) -> pa.Table:
    if "below_detection" not in chunk.column_names:  # replays, benchmarks: all measured
        chunk = chunk.append_column(
            "below_detection", pa.array([False] * chunk.num_rows, pa.bool_())
        )
    return chunk.select(JUDGED_COLUMNS.names).cast(JUDGED_COLUMNS)


def rows_from_works(works: Iterable[Any]) -> pa.Table:
    """The minute rows of a writer batch (``ingest.work.Work`` items) as an Arrow table.

    A ``Work`` of kind ``data`` carries per pollutant ``(pollutant, rtd, avg, min, max, cou,
    zs_rtd, zs_avg, flag, fields, below_detection)``; other kinds and other CNs are skipped.
    The table has the columns of :data:`JUDGED_COLUMNS`.
    """
    cols: list[list[Any]] = [[] for _ in EMISSION_COLUMNS]
    below: list[bool] = []
    for w in works:
        if getattr(w, "kind", None) != "data" or w.cn != CN_MINUTE:
            continue
        for v in w.values:
            cols[0].append(w.mn)
            cols[1].append(w.cn)
            cols[2].append(w.data_time)
            for i in range(9):
                cols[3 + i].append(v[i])
            below.append(bool(v[10]) if len(v) > 10 else False)
    table = pa.Table.from_arrays(
        [pa.array(c, type=EMISSION_COLUMNS.field(i).type) for i, c in enumerate(cols)],
        schema=EMISSION_COLUMNS,
    )
    return table.append_column("below_detection", pa.array(below, pa.bool_()))


def minute_rows(batch_rows: Any) -> pa.Table:
    """The minute rows of what :meth:`Detector.on_batch` got: an Arrow table as it is; a
    writer's committed batch from the rows it stored (``emission``: no second conversion of
    the items' values, which cost more than building that table); else from the items."""
    if isinstance(batch_rows, pa.Table):
        return batch_rows
    stored = getattr(batch_rows, "emission", None)
    if isinstance(stored, pa.Table):
        # The judged columns first: filtering copies each column it keeps (`fields` is large).
        judged = stored.select(JUDGED_COLUMNS.names)
        return judged.filter(pc.equal(judged.column("cn"), CN_MINUTE))
    return rows_from_works(batch_rows)
