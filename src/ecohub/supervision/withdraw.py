"""Withdrawing findings a batch detection run no longer raises, and closing the alerts that
only they fed (the counterpart of data review's withdrawn flags)."""

from __future__ import annotations

from datetime import datetime

import duckdb
import pyarrow as pa

from ecohub.access import Principal
from ecohub.supervision.rules import Rule
from ecohub.supervision.service import device_scope

#: Who closes an alert whose findings a batch run withdrew (``alert.closed_by``).
WITHDRAWN_BY = "ecohub"


def withdraw(
    con: duckdb.DuckDBPyConnection,
    found: list[pa.Table],
    chosen: list[Rule],
    frm: datetime,
    to: datetime,
    principal: Principal | None,
) -> tuple[int, int]:
    """Withdraw the undecided findings of ``chosen`` rules on the scoped devices lying wholly
    in [frm, to] that meet none of this run's findings (as data review withdraws the undecided
    flags a re-run no longer raises); close their alerts that are still ``open`` (not
    acknowledged) and fed by no other finding, with the reason in ``close_comment``. Decided
    findings (acknowledged, closed) are kept. Returns (findings withdrawn, alerts closed)."""
    from ecohub.store.db import retried_write

    pred, pargs = device_scope(principal, "a.mn")
    tables = [t for t in found if t.num_rows]
    cols = ["mn", "pollutant", "rule", "start", "end"]
    ran = pa.concat_tables([t.select(cols) for t in tables]) if tables else None
    names = [r.rule for r in chosen]
    marks = ", ".join("?" for _ in names)
    reason = (
        f"withdrawn: batch detect over {frm.isoformat()} .. {to.isoformat()} no longer finds it "
        "(late or corrected data)"
    )

    def work() -> tuple[int, int]:
        con.execute(
            "CREATE OR REPLACE TEMP TABLE _wd_found (mn VARCHAR, pollutant VARCHAR, "
            'rule VARCHAR, start TIMESTAMPTZ, "end" TIMESTAMPTZ)'
        )
        if ran is not None:
            con.register("_wd_src", ran)
            try:
                con.execute("INSERT INTO _wd_found SELECT * FROM _wd_src")
            finally:
                con.unregister("_wd_src")
        con.execute(
            f"""CREATE OR REPLACE TEMP TABLE _wd AS
            SELECT a.id FROM anomaly a
            WHERE a.status = 'new' AND a.rule IN ({marks}) AND a.start >= ? AND a."end" <= ?
              AND {pred}
              AND NOT EXISTS (SELECT 1 FROM _wd_found f WHERE f.mn = a.mn
                  AND f.pollutant = a.pollutant AND f.rule = a.rule
                  AND f.start <= a."end" AND f."end" >= a.start)""",
            [*names, frm, to, *pargs],
        )
        n = con.execute("SELECT count(*) FROM _wd").fetchall()[0][0]
        if not n:
            return 0, 0
        con.execute(
            """CREATE OR REPLACE TEMP TABLE _wd_alert AS
            SELECT DISTINCT s.alert_id AS id FROM alert_source s
            JOIN alert al ON al.id = s.alert_id
            WHERE s.kind = 'finding' AND s.ref_id IN (SELECT id FROM _wd)
              AND al.state = 'open' AND al.acked_by IS NULL
              AND NOT EXISTS (SELECT 1 FROM alert_source o JOIN anomaly x ON x.id = o.ref_id
                              WHERE o.kind = 'finding' AND o.alert_id = s.alert_id
                                AND o.ref_id NOT IN (SELECT id FROM _wd))"""
        )
        closed = con.execute("SELECT count(*) FROM _wd_alert").fetchall()[0][0]
        con.execute(
            "UPDATE alert SET state = 'closed', active = false, closed_by = ?, "
            "closed_at = now(), close_comment = ?, updated_at = now() "
            "WHERE id IN (SELECT id FROM _wd_alert)",
            [WITHDRAWN_BY, reason],
        )
        con.execute(
            "DELETE FROM alert_source WHERE kind = 'finding' AND ref_id IN (SELECT id FROM _wd)"
        )
        con.execute("DELETE FROM anomaly WHERE id IN (SELECT id FROM _wd)")
        return int(n), int(closed)

    try:
        return retried_write(con, work)
    finally:
        for t in ("_wd_found", "_wd", "_wd_alert"):
            con.execute(f"DROP TABLE IF EXISTS {t}")
