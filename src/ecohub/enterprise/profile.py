"""The source profile (企业画像): everything every system knows about one source."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

import duckdb

from ecohub.access.principal import Principal
from ecohub.complaints.linked import linked_to_source
from ecohub.cst import CST
from ecohub.enterprise import listings, risk, unapproved
from ecohub.enterprise.scope import require_source
from ecohub.jobs.plain import jsonable

__all__ = ["RECENT_DAYS", "profile"]

RECENT_DAYS = 90  # exceedances and anomalies shown: those of the last 90 days
MAX_ROWS = 200  # of each list on the profile (the full lists have their own routes)


def _rows(con: duckdb.DuckDBPyConnection, sql: str, params: list[Any]) -> list[dict[str, Any]]:
    return list(jsonable(con.execute(sql, params).fetch_arrow_table().to_pylist()))


def profile(
    con: duckdb.DuckDBPyConnection,
    principal: Principal,
    source_code: str,
    *,
    month: str | None = None,
    offline_after_s: float = 600.0,
) -> dict[str, Any]:
    """The registry record with every system's record, permits and their limits, outlets,
    devices with online state and latest HJ 212 values, recent exceedances and anomalies,
    cases, linked complaints (``complaints``: a complaint reader's in-region ones, ``None``
    for anyone else; ``complaint_count``: how many), EIA approvals, the risk score of
    ``month`` and the built-before-approval finding. A merged code answers for the source it
    was merged into (``asked_for`` keeps the code asked for). ``NotFound`` for an unknown or
    out-of-scope code."""
    from ecohub.queries.hj212 import devices
    from ecohub.registry.search import source_detail

    # The registry's answer checks the scope and follows a merged (retired) code to the live
    # one; everything below is about the live code.
    reg = source_detail(con, principal, source_code)
    code = reg["source"]["source_code"]
    require_source(con, principal, code)
    now = datetime.now(CST)
    since = now - timedelta(days=RECENT_DAYS)
    devs = [d for m in reg["monitor_points"]
            for d in devices(con, principal, now, offline_after_s, mn=m["mn"])]  # fmt: skip
    limits = _rows(
        con,
        'SELECT pl.permit_no, pl.outlet_code, pl.pollutant, pl."limit", pl.unit, pl.period, '
        "pl.reference_o2, pl.basis, pl.valid_from, pl.valid_to FROM permit_limit pl "
        "JOIN permit p USING (permit_no) WHERE p.source_code = ? ORDER BY 1, 2, 3, 6",
        [code],
    )
    exceed = _rows(
        con,
        'SELECT mn, outlet_code, pollutant, period, start, "end", peak, "limit", multiple, '
        'permit_no, open FROM exceedance WHERE source_code = ? AND "end" >= ? '
        f"ORDER BY start DESC LIMIT {MAX_ROWS}",
        [code, since],
    )
    anomalies = _rows(
        con,
        'SELECT mn, outlet_code, pollutant, rule, start, "end", severity, status, evidence '
        f'FROM anomaly WHERE source_code = ? AND "end" >= ? ORDER BY start DESC LIMIT {MAX_ROWS}',
        [code, since],
    )
    # Complaints by the complaint rules: a reader's own region only, an enterprise the count.
    linked = linked_to_source(con, principal, code, limit=MAX_ROWS)
    found = unapproved.judge(con, principal, code=code)
    return {
        "source": jsonable(reg["source"]),
        "asked_for": source_code,
        "records": jsonable(reg["records"]),
        "outlets": jsonable(reg["outlets"]),
        "permits": jsonable(reg["permits"]),
        "permit_limits": limits,
        "devices": jsonable(devs),
        "latest": jsonable(reg["latest"]),
        "exceedances": exceed,
        "anomalies": anomalies,
        "cases": listings.cases(con, principal, source=code)[:MAX_ROWS],
        "eia": listings.eia(con, principal, source=code)[:MAX_ROWS],
        "complaints": linked["items"],
        "complaint_count": linked["count"],
        "risk": risk.risk(con, principal, code, month),
        "unapproved": jsonable(found[0]) if found else None,
        "history": jsonable(reg["history"]),
        "names": _names(exceed, anomalies),
    }


def _names(exceed: list[dict[str, Any]], anomalies: list[dict[str, Any]]) -> dict[str, Any]:
    """zh-CN and English names of the pollutant codes and anomaly rules the lists use, so a
    reader shows words without a second call (``{"pollutants": {code: {name_zh, name_en}},
    "rules": {rule: {name_zh, name_en}}}``; a code without a name is left out)."""
    from ecohub.protocols.hj212.codes import pollutant
    from ecohub.supervision.rules import load_rules

    polls: dict[str, Any] = {}
    for row in (*exceed, *anomalies):
        code = str(row.get("pollutant") or "")
        known = pollutant(code) if code and code != "*" else None
        if known is not None:
            polls[code] = {"name_zh": known.name_zh, "name_en": known.name_en}
    rules = load_rules()
    used = {r["rule"] for r in anomalies if r.get("rule") in rules}
    return {
        "pollutants": polls,
        "rules": {k: {"name_zh": rules[k].name_zh, "name_en": rules[k].name_en} for k in used},
    }
