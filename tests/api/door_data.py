# ruff: noqa: E501  (SQL rows read best one per line)
"""A small store with objects inside and outside a district's scope, and one user per role.

Chaoyang (110105) is "inside" for the scoped users; Haidian (110108) is "outside". Rows are
written with SQL (the permission tests check who sees what, not how values are computed).
"""

from __future__ import annotations

import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import duckdb
from fastapi import FastAPI
from fastapi.testclient import TestClient

from ecohub.access import apikeys, users
from ecohub.api.app import create_app
from ecohub.settings import Settings
from ecohub.store.db import connect

PASSWORD = "correct horse battery"
INSIDE, OUTSIDE = "110105", "110108"
ST_IN, ST_OUT = "Aotizhongxin", "Wanliu"
SRC_IN, SRC_OUT = "H9110105000000001x001P", "H9110108000000002v001P"
MN_IN, MN_OUT = "MNIN0000000000000000001", "MNOUT000000000000000002"
CP_IN, CP_OUT = "CPIN0001", "CPOUT0002"  # 12369 complaints (and their hot spots "H" + id)
FLAG_TIME = "2023-06-01 08:00:00+08:00"
ALERT_IN, ALERT_OUT = 1, 2  # the alerts of the constant findings of MN_IN and MN_OUT
ROLES = {
    "admin": ("admin", None, []),
    "analyst": ("analyst", INSIDE, []),
    "inspector": ("inspector", INSIDE, []),
    "enterprise": ("enterprise", INSIDE, [SRC_IN]),
    "public": ("public", INSIDE, []),
}


@dataclass
class Door:
    con: duckdb.DuckDBPyConnection
    app: FastAPI
    keys: dict[str, str]  # role -> API key of that role's user
    jobs: dict[str, str]  # role -> id of a job that user owns (a load that wrote rejects)
    data_dir: Path  # the server's data folder (jwt.secret, the local credential)
    imports: Path = Path()  # the app's (first) import folder: files its load jobs may read


def fill(con: duckdb.DuckDBPyConnection) -> None:
    con.execute(
        f"""
        INSERT INTO station (station_id, name, network, region_code) VALUES
          ('{ST_IN}', '奥体中心', 'air', '{INSIDE}'), ('{ST_OUT}', '万柳', 'air', '{OUTSIDE}');
        INSERT INTO observation (station_id, parameter, period, time, value, unit, source)
          SELECT s, 'a34004', '1h', TIMESTAMPTZ '2024-01-01 00:00:00+08' + INTERVAL (h) HOUR,
                 20 + h % 7, 'ug/m3', 'test'
          FROM (VALUES ('{ST_IN}'), ('{ST_OUT}')) v(s), range(48) r(h);
        INSERT INTO air_daily (scope, code, date, edition, aqi, level, category, complete, published)
          VALUES ('station', '{ST_IN}', DATE '2024-01-01', 2012, 42, 1, '优', TRUE, '42'),
                 ('station', '{ST_OUT}', DATE '2024-01-01', 2012, 77, 2, '良', TRUE, '77'),
                 ('city', '110000', DATE '2024-01-01', 2012, 60, 2, '良', TRUE, '60');
        INSERT INTO air_hourly_aqi (scope, code, time, edition, aqi, level, category, complete, published)
          VALUES ('station', '{ST_IN}', TIMESTAMPTZ '2024-01-01 10:00:00+08', 2012, 40, 1, '优', TRUE, '40'),
                 ('station', '{ST_OUT}', TIMESTAMPTZ '2024-01-01 10:00:00+08', 2012, 70, 2, '良', TRUE, '70');
        INSERT INTO air_category_days (scope, code, year, month, days, good_days, good_ratio)
          VALUES ('station', '{ST_IN}', 2024, 0, 300, 200, 0.6667),
                 ('station', '{ST_OUT}', 2024, 0, 300, 150, 0.5);
        INSERT INTO air_period_stat (scope, code, year, month, pollutant, statistic, value, n_days, valid)
          VALUES ('station', '{ST_IN}', 2024, 0, 'PM2_5', 'mean', 35.0, 300, TRUE),
                 ('station', '{ST_OUT}', 2024, 0, 'PM2_5', 'mean', 40.0, 300, TRUE);
        INSERT INTO water_class_annual (station_id, year, method, waterbody, grade, class_rank, status, computed_at)
          VALUES ('{ST_IN}', 2024, '2011', 'river', 'II', 2, '优', now()),
                 ('{ST_OUT}', 2024, '2011', 'river', 'IV', 4, '轻度污染', now());
        INSERT INTO source (source_code, uscc, name, region_code, status) VALUES
          ('{SRC_IN}', '91110105MA00000001', '朝阳热电厂', '{INSIDE}', 'active'),
          ('{SRC_OUT}', '91110108MA00000002', '海淀水泥厂', '{OUTSIDE}', 'active');
        -- Two registry records (not yet linked) for the operators' review-decision route.
        INSERT INTO source_record (system, record_id, name, uscc_status, row_hash, loaded_at) VALUES
          ('permit', '1', '某记录甲', 'missing', 'h1', now()), ('tax', '2', '某记录乙', 'missing', 'h2', now());
        INSERT INTO outlet (outlet_code, source_code, medium, name) VALUES
          ('DA001', '{SRC_IN}', 'gas', '朝阳烟囱'), ('DA001', '{SRC_OUT}', 'gas', '海淀烟囱');
        INSERT INTO region (code, name, level, parent_code, kind) VALUES
          ('{INSIDE}', '朝阳区', 'county', '110100', 'division'),
          ('{OUTSIDE}', '海淀区', 'county', '110100', 'division');
        INSERT INTO monitor_point (mn, source_code, outlet_code, st, name, registered, last_seen) VALUES
          ('{MN_IN}', '{SRC_IN}', 'DA001', '31', '朝阳烟囱', TRUE, now()),
          ('{MN_OUT}', '{SRC_OUT}', 'DA001', '31', '海淀烟囱', TRUE, now());
        INSERT INTO emission (mn, cn, data_time, pollutant, avg, registered, received_at) VALUES
          ('{MN_IN}', '2051', TIMESTAMPTZ '2024-01-01 10:00:00+08', 'a21026', 12.5, TRUE, now()),
          ('{MN_OUT}', '2051', TIMESTAMPTZ '2024-01-01 10:00:00+08', 'a21026', 55.0, TRUE, now());
        INSERT INTO anomaly (mn, source_code, outlet_code, pollutant, rule, start, "end", evidence, severity, found_at, updated_at) VALUES
          ('{MN_IN}', '{SRC_IN}', 'DA001', 'a21026', 'constant', TIMESTAMPTZ '2024-01-01 01:00:00+08', TIMESTAMPTZ '2024-01-01 06:00:00+08', '{{"min": 42.0}}', 'medium', now(), now()),
          ('{MN_OUT}', '{SRC_OUT}', 'DA001', 'a21026', 'constant', TIMESTAMPTZ '2024-01-01 01:00:00+08', TIMESTAMPTZ '2024-01-01 06:00:00+08', '{{"min": 7.0}}', 'medium', now(), now());
        INSERT INTO exceedance (mn, source_code, outlet_code, pollutant, period, start, "end", peak, "limit", multiple, permit_no, open, found_at, updated_at) VALUES
          ('{MN_IN}', '{SRC_IN}', 'DA001', 'a21026', 'hour', TIMESTAMPTZ '2024-01-01 10:00:00+08', TIMESTAMPTZ '2024-01-01 11:00:00+08', 60.0, 50.0, 1.2, 'P1', FALSE, now(), now()),
          ('{MN_OUT}', '{SRC_OUT}', 'DA001', 'a21026', 'hour', TIMESTAMPTZ '2024-01-01 10:00:00+08', TIMESTAMPTZ '2024-01-01 11:00:00+08', 75.0, 50.0, 1.5, 'P2', FALSE, now(), now());
        -- Review flags at an hour without observations (the stored air results stay as computed).
        INSERT INTO review_flag (station_id, parameter, period, time, value, rule, reason) VALUES
          ('{ST_IN}', 'a34004', '1h', TIMESTAMPTZ '{FLAG_TIME}', 999.0, 'range', 'above the range'),
          ('{ST_OUT}', 'a34004', '1h', TIMESTAMPTZ '{FLAG_TIME}', 999.0, 'range', 'above the range');
        INSERT INTO packet_log (received_at, peer, mn, raw, status, error, reason, would_pass) VALUES
          (now(), '127.0.0.1', '{MN_IN}', 'junk'::BLOB, 'rejected', 'CrcError', 'crc', 'crc_lowercase'),
          (now(), '127.0.0.1', '{MN_OUT}', 'junk'::BLOB, 'rejected', 'CrcError', 'crc', 'crc_lowercase');
        """
    )
    fill_enterprise(con)


def fill_enterprise(con: duckdb.DuckDBPyConnection) -> None:
    """An open violation case and an EIA approval dated after the first HJ 212 data for each
    source, each row reaching its source through its registry record (ecohub.enterprise)."""
    con.execute(
        f"""
        INSERT INTO enforcement_case (case_id, case_date, unit_name, violation_type, penalty_yuan, status, row_hash, loaded_at) VALUES
          ('CASE_IN', DATE '2024-02-01', '朝阳热电厂', '超标排放', 50000, 'open', 'h', now()),
          ('CASE_OUT', DATE '2024-02-01', '海淀水泥厂', '超标排放', 50000, 'open', 'h', now());
        INSERT INTO eia_approval (approval_no, approval_date, project, unit_name, row_hash, loaded_at) VALUES
          ('EIA_IN', DATE '2024-06-01', '朝阳热电厂项目', '朝阳热电厂', 'h', now()),
          ('EIA_OUT', DATE '2024-06-01', '海淀水泥厂项目', '海淀水泥厂', 'h', now());
        -- Each record names its source's district, as a loaded record would: a link run (the
        -- registry link route) rebuilds a source's region from its records.
        INSERT INTO source_record (system, record_id, name, uscc_status, region_code, row_hash, loaded_at, source_code) VALUES
          ('enforcement', 'CASE_IN', '朝阳热电厂', 'missing', '{INSIDE}', 'h', now(), '{SRC_IN}'),
          ('enforcement', 'CASE_OUT', '海淀水泥厂', 'missing', '{OUTSIDE}', 'h', now(), '{SRC_OUT}'),
          ('eia_approval', 'EIA_IN', '朝阳热电厂', 'missing', '{INSIDE}', 'h', now(), '{SRC_IN}'),
          ('eia_approval', 'EIA_OUT', '海淀水泥厂', 'missing', '{OUTSIDE}', 'h', now(), '{SRC_OUT}');
        """
    )


def fill_complaints(con: duckdb.DuckDBPyConnection) -> None:
    """A complaint and a hot spot inside the district, one of each outside."""
    con.execute(
        f"""
        INSERT INTO complaint (complaint_id, received_at, text, region_code, lon, lat, category,
                               topic, hotspot_id, row_hash, loaded_at) VALUES
          ('{CP_IN}', TIMESTAMPTZ '2026-10-01 08:00:00+08', '化工厂异味', '{INSIDE}', 116.47, 39.94,
           'air', 'odour', 'H{CP_IN}', 'x', now()),
          ('{CP_OUT}', TIMESTAMPTZ '2026-10-01 09:00:00+08', '工地噪声', '{OUTSIDE}', 116.29, 39.99,
           'noise', 'construction_noise', 'H{CP_OUT}', 'y', now());
        INSERT INTO complaint_hotspot VALUES
          ('H{CP_IN}', 'air', 'odour', '{INSIDE}', 116.47, 39.94, 100, TIMESTAMPTZ '2026-10-01 08:00:00+08',
           TIMESTAMPTZ '2026-10-03 08:00:00+08', 5, now()),
          ('H{CP_OUT}', 'noise', 'construction_noise', '{OUTSIDE}', 116.29, 39.99, 100,
           TIMESTAMPTZ '2026-10-01 08:00:00+08', TIMESTAMPTZ '2026-10-03 08:00:00+08', 5, now());
        INSERT INTO complaint_candidate VALUES ('{CP_IN}', '{SRC_IN}', 250.0, 1.0, NULL, 0.88, 1);
        INSERT INTO complaint_hotspot_source VALUES ('H{CP_IN}', '{SRC_IN}', 250.0, 1.0, 0.88, 1);
        """
    )


# The reject file of each role's job (a station list with one bad longitude), as the loader
# writes it: a byte-order mark, a header, one row.
REJECTS = '\ufeff"row","column","value","reason"\n2,"lon","999","longitude out of range"\n'


def build(tmp: Path, *, open_rate: float = 1000.0, import_dirs: list[Path] | None = None) -> Door:
    """The store, users, keys and jobs, and an app over them whose jobs read files from
    ``import_dirs`` (default ``<tmp>/import``, made here) and write rejects into
    ``<tmp>/rejects``."""
    import json

    from ecohub.analytics.air_service import compute

    con = connect(tmp / "ecohub.duckdb")
    fill(con)
    fill_complaints(con)
    # Alerts from the findings and events above: 1 and 2 the findings (in, out), 3 and 4 the
    # exceedances (supervision.alerts orders them by start).
    from ecohub.supervision.alerts import raise_alerts

    raise_alerts(con, [])
    # The stored air results as `air compute` writes them (replacing the rows above), so reads
    # find them fresh instead of computing on the first request.
    compute(con, full=True)
    keys, jobs = {}, {}
    for role, (r, region, sources) in ROLES.items():
        users.add_user(con, f"u_{role}", r, region, sources, PASSWORD)
        keys[role] = apikeys.create(con, f"u_{role}")[0]
        job_id = f"{role:0<8}"[:8] + "0" * 24
        reject = tmp / "rejects" / job_id / "st.csv.rejects.csv"
        reject.parent.mkdir(parents=True, exist_ok=True)
        reject.write_text(REJECTS, encoding="utf-8")
        params = {"path": str(tmp / "import" / "st.csv"), "reject": str(reject)}
        con.execute(
            "INSERT INTO job (id, kind, owner, state, params, message, created_at) "
            "VALUES (?, 'load-stations', ?, 'done', ?, 'done', now())",
            [job_id, f"u_{role}", json.dumps(params)],
        )
        jobs[role] = job_id
    (tmp / "import").mkdir(mode=0o700, exist_ok=True)
    settings = Settings(
        data_dir=tmp, open_rate_per_s=open_rate, open_burst=int(open_rate),
        import_dirs=import_dirs or [],
    )  # fmt: skip
    app = create_app(con, settings=settings, data_dir=tmp, audit=False)
    return Door(con, app, keys, jobs, tmp, (import_dirs or [tmp / "import"])[0])


def serve(tmp: Path) -> Iterator[Door]:
    """A built door for a module fixture (fast password hashing), shut down afterwards."""
    from argon2 import PasswordHasher

    users.HASHER = PasswordHasher(time_cost=1, memory_cost=1024, parallelism=1)
    built = build(tmp)
    yield built
    built.app.state.ctx.jobs.shutdown()
    built.con.close()


def client(door: Door, role: str) -> TestClient:
    """An in-process client of ``door`` with the API key of ``role``'s user."""
    return TestClient(door.app, raise_server_exceptions=False,
                      headers={"Authorization": f"Bearer {door.keys[role]}"})  # fmt: skip


def follow(c: TestClient, r: Any, polls: int = 1200) -> dict[str, Any]:
    """The final state of the job whose 202 answer is ``r`` (polled every 50 ms)."""
    assert r.status_code == 202, r.text
    job: dict[str, Any] = r.json()
    for _ in range(polls):
        if job["state"] not in ("queued", "running"):
            return job
        time.sleep(0.05)
        job = c.get(r.headers["location"]).json()
    raise AssertionError(f"job still {job['state']}")
