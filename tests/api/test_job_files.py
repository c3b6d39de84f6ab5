"""Which files a server's jobs may read and write (jobs/files.py): only files in its import
folders, reject files only in its rejects folder, each path judged where it really leads.

Over the real app on loopback with its audit writer, as ``ecohub up`` serves it, and its
folders made as ``ecohub up`` makes them (:meth:`JobFiles.prepare`). The assessor's finding:
``/etc/passwd`` loaded as a station list and served as open data; a file outside the data
folder overwritten by a reject file; a reject file written as a ``.pth`` into site-packages.
"""

from __future__ import annotations

import csv
import io
import os
import stat
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
import pytest
from argon2 import PasswordHasher

from ecohub.access import apikeys, users
from ecohub.api.app import close_app, create_app
from ecohub.jobs.files import JobFiles
from ecohub.settings import Settings, SettingsError
from ecohub.store.db import connect
from tests.loopback import on_loopback

# One good station and one whose longitude is out of range (line 3 of the file).
STATIONS = "station,name,region_code,lon,lat\nX1,甲,110105,116.4,39.9\nX2,乙,110105,999,39.9\n"


@dataclass
class Server:
    c: httpx.Client  # an admin's client
    con: Any
    data: Path
    imports: Path
    rejects: Path
    outside: Path  # a folder of the machine outside the data folder
    jobs: Any  # the app's job runner


@pytest.fixture
def s(tmp_path: Path) -> Iterator[Server]:
    users.HASHER = PasswordHasher(time_cost=1, memory_cost=1024, parallelism=1)
    data = tmp_path / "data"
    data.mkdir()
    outside = tmp_path / "outside"
    outside.mkdir()
    con = connect(data / "ecohub.duckdb")
    users.add_user(con, "boss", "admin", None, [], "correct horse battery")
    key = apikeys.create(con, "boss")[0]
    settings = Settings(data_dir=data)
    JobFiles.of(settings).prepare(settings)  # as `ecohub up` does at start
    app = create_app(con, settings=settings, data_dir=data)
    try:
        with (
            on_loopback(app) as base,
            httpx.Client(base_url=base, headers={"Authorization": f"Bearer {key}"},
                         timeout=60) as c,
        ):  # fmt: skip
            yield Server(c, con, data, data / "import", data / "rejects", outside,
                         app.state.ctx.jobs)  # fmt: skip
    finally:
        close_app(app)
        con.close()


def _follow(c: httpx.Client, r: httpx.Response) -> dict[str, Any]:
    assert r.status_code == 202, r.text
    job: dict[str, Any] = r.json()
    deadline = time.monotonic() + 60
    while job["state"] in ("queued", "running"):
        assert time.monotonic() < deadline, job
        time.sleep(0.05)
        job = c.get(f"/api/v1/jobs/{job['id']}").json()
    return job


def _refused(r: httpx.Response, field: str) -> str:
    """The reason of a 422 naming ``field``."""
    assert r.status_code == 422, r.text
    assert r.headers["content-type"] == "application/problem+json"
    (error,) = r.json()["errors"]
    assert error["field"] == field, error
    return str(error["reason"])


def _job(s: Server, job_kind: str, **params: Any) -> httpx.Response:
    """``POST /api/v1/jobs`` of ``job_kind`` with ``params``."""
    return s.c.post("/api/v1/jobs", json={"kind": job_kind, "params": params})


def _stations(s: Server) -> set[str]:
    return {r[0] for r in s.con.cursor().execute("SELECT station_id FROM station").fetchall()}


def test_a_file_outside_the_import_folders_is_refused_naming_params_path(s: Server) -> None:
    header = Path("/etc/passwd").read_text(encoding="utf-8").splitlines()[0]
    in_tmp = s.outside / "st.csv"
    in_tmp.write_text(STATIONS, encoding="utf-8")
    for path in ("/etc/passwd", str(in_tmp), str(s.data / "ecohub.duckdb")):
        r = _job(s, "load-stations", path=path, mapping={header: "station"}, force=True)
        reason = _refused(r, "params.path")
        assert "is not in an import folder of this server" in reason, reason
        assert str(s.imports) in reason  # where files must go
    # Every kind that reads a file, by its generic and its own routes.
    for kind in ("load-observations", "load-complaints", "load-cases", "load-eia",
                 "load-permits"):  # fmt: skip
        r = _job(s, kind, path="/etc/passwd")
        assert "import folder" in _refused(r, "params.path"), kind
    r = _job(s, "geo-load", path="/etc/passwd", name="x", kind="custom")
    assert "import folder" in _refused(r, "params.path")
    r = s.c.post("/api/v1/registry/loads", json={"system": "p", "path": "/etc/passwd"})
    assert "import folder" in _refused(r, "path")
    r = s.c.post("/api/v1/supervision/permits", json={"path": "/etc/passwd"})
    assert "import folder" in _refused(r, "path")
    assert _stations(s) == set()
    assert s.c.get("/api/v1/jobs").json() == []  # no job was created


def test_a_symbolic_link_or_dotdot_out_of_the_import_folder_is_refused(s: Server) -> None:
    secret = s.outside / "secret.csv"
    secret.write_text(STATIONS, encoding="utf-8")
    (s.imports / "link.csv").symlink_to(secret)
    (s.imports / "sub").symlink_to(s.outside, target_is_directory=True)
    cases = {
        str(s.imports / "link.csv"): "through a symbolic link",
        str(s.imports / "sub" / "secret.csv"): "through a symbolic link",
        f"{s.imports}/../ecohub.duckdb": "('..')",
        f"{s.imports}/../../outside/secret.csv": "('..')",
    }
    for path, words in cases.items():
        r = s.c.post("/api/v1/jobs", json={"kind": "load-stations", "params": {"path": path}})
        assert words in _refused(r, "params.path"), path
    # A link that stays inside is followed, and the job names the file it leads to.
    (s.imports / "real.csv").write_text(STATIONS, encoding="utf-8")
    (s.imports / "alias.csv").symlink_to(s.imports / "real.csv")
    job = _follow(s.c, _job(s, "load-stations", path=str(s.imports / "alias.csv")))
    assert job["state"] == "done", job
    assert job["params"]["path"] == str((s.imports / "real.csv").resolve())
    assert _stations(s) == {"X1"}


def test_a_reject_file_outside_the_rejects_folder_is_refused_and_nothing_is_written(
    s: Server,
) -> None:
    good = s.imports / "st.csv"
    good.write_text(STATIONS, encoding="utf-8")
    victim = s.outside / "victim.sh"
    victim.write_text("#!/bin/sh\necho original\n", encoding="utf-8")
    before = victim.stat()
    pth = s.outside / "ecohub_rejects.pth"  # where the assessor wrote code to run
    for reject in (str(victim), str(pth), str(s.data / "jwt.secret"),
                   f"{s.rejects}/../ecohub.duckdb", str(s.rejects)):  # fmt: skip
        params = {"path": str(good), "reject": reject, "force": True}
        reason = _refused(
            s.c.post("/api/v1/jobs", json={"kind": "load-stations", "params": params}),
            "params.reject",
        )
        assert "is not in this server's rejects folder" in reason and str(s.rejects) in reason
    # The registry's own route and parameter name: refused before its writability probe.
    r = s.c.post("/api/v1/registry/loads",
                 json={"system": "p", "path": str(good), "rejects": str(pth)})  # fmt: skip
    assert "rejects folder" in _refused(r, "rejects")
    assert victim.read_text(encoding="utf-8") == "#!/bin/sh\necho original\n"
    assert victim.stat().st_mtime_ns == before.st_mtime_ns
    assert not pth.exists()
    assert _stations(s) == set()


def test_a_reject_file_in_the_rejects_folder_never_leads_outside(s: Server) -> None:
    good = s.imports / "st.csv"
    good.write_text(STATIONS, encoding="utf-8")
    victim = s.outside / "victim.sh"
    victim.write_text("original\n", encoding="utf-8")
    (s.rejects / "link.csv").symlink_to(victim)
    os.link(victim, s.rejects / "hard.csv")  # a second name of the outside file
    (s.rejects / "dir").symlink_to(s.outside, target_is_directory=True)
    cases = {
        str(s.rejects / "link.csv"): "is a symbolic link",
        str(s.rejects / "hard.csv"): "has another name (a hard link)",
        str(s.rejects / "dir" / "victim.sh"): "is not in this server's rejects folder",
    }
    for reject, words in cases.items():
        params = {"path": str(good), "reject": reject, "force": True}
        r = s.c.post("/api/v1/jobs", json={"kind": "load-stations", "params": params})
        assert words in _refused(r, "params.reject"), reject
    assert victim.read_text(encoding="utf-8") == "original\n"


def test_the_files_are_judged_again_when_the_job_starts(s: Server) -> None:
    # Queued behind a job that holds the only worker; meanwhile the file becomes a link out.
    good = s.imports / "st.csv"
    good.write_text(STATIONS, encoding="utf-8")
    secret = s.outside / "secret.csv"
    secret.write_text("station\nSECRET1\nSECRET2\n", encoding="utf-8")
    release = threading.Event()
    s.jobs._pool.submit(release.wait, 30)  # the one worker is busy until released
    r = s.c.post("/api/v1/jobs", json={"kind": "load-stations", "params": {"path": str(good)}})
    assert r.status_code == 202, r.text
    good.unlink()
    good.symlink_to(secret)
    release.set()
    job = _follow(s.c, r)
    assert job["state"] == "failed", job
    assert job["error"]["status"] == 422
    assert job["error"]["errors"][0]["field"] == "params.path"
    assert "through a symbolic link" in job["error"]["detail"]
    assert _stations(s) == set()


def test_a_load_from_the_import_folder_works_and_its_rejects_are_the_owners(s: Server) -> None:
    good = s.imports / "一月站点.csv"
    good.write_text(STATIONS, encoding="utf-8")
    job = _follow(s.c, _job(s, "load-stations", path=str(good)))
    assert job["state"] == "done", job
    report = job["result"]["report"]
    assert (report["new"], report["rejected"]) == (1, 1)
    assert _stations(s) == {"X1"}
    # The rejects are in the job's own folder of the rejects folder, private to the server.
    written = Path(report["reject_path"])
    assert written == s.rejects.resolve() / job["id"] / "一月站点.csv.rejects.csv"
    assert job["params"]["reject"] == str(written)
    assert stat.S_IMODE(written.stat().st_mode) == 0o600
    assert stat.S_IMODE(written.parent.stat().st_mode) == 0o700
    assert stat.S_IMODE(s.rejects.stat().st_mode) == 0o700
    assert stat.S_IMODE(s.imports.stat().st_mode) == 0o700
    assert not (s.imports / "一月站点.csv.rejects.csv").exists()  # nothing beside the input
    # ... and come back over HTTP, as written, to the job's owner.
    assert job["rejects"] == f"/api/v1/jobs/{job['id']}/rejects"
    got = s.c.get(job["rejects"])
    assert got.status_code == 200, got.text
    assert got.headers["content-type"].startswith("text/csv")
    assert got.headers["x-result-count"] == "1"
    assert "filename*=UTF-8''%E4%B8%80%E6%9C%88" in got.headers["content-disposition"]
    assert got.content == written.read_bytes()
    assert got.text.startswith("\ufeff")
    rows = list(csv.DictReader(io.StringIO(got.text.removeprefix("\ufeff"))))
    assert [(r["row"], r["column"], r["value"]) for r in rows] == [("3", "lon", "999")]
    # Audited as an export, committed before the answer.
    ((action, rows_answered, result),) = (
        s.con.cursor()
        .execute(
            "SELECT action, rows, result FROM audit_log WHERE route = ?",
            ["/api/v1/jobs/{job_id}/rejects"],
        )
        .fetchall()
    )
    assert (action, rows_answered, result) == ("export", 1, "200")
    # A job that rejected nothing has no reject file: no link, and 404.
    clean = s.imports / "clean.csv"
    clean.write_text("station,name,region_code\nX3,丙,110105\n", encoding="utf-8")
    job = _follow(s.c, _job(s, "load-stations", path=str(clean)))
    assert job["state"] == "done" and job["rejects"] is None
    assert s.c.get(f"/api/v1/jobs/{job['id']}/rejects").status_code == 404
    assert not (s.rejects / job["id"]).exists()  # its empty folder is gone


def test_settings_that_would_open_the_data_folder_stop_the_start(tmp_path: Path) -> None:
    data = tmp_path / "data"
    for folders, words in (
        ([tmp_path], "holds the data folder"),
        ([data], "holds the data folder"),
        ([data / "rejects"], "overlaps the rejects folder"),
    ):
        settings = Settings(data_dir=data, import_dirs=folders)
        with pytest.raises(SettingsError, match=r"import_dirs \(ECOHUB_IMPORT_DIRS\)") as err:
            JobFiles.of(settings).prepare(settings)
        assert words in str(err.value)
    store = tmp_path / "elsewhere" / "ecohub.duckdb"
    settings = Settings(data_dir=data, db_path=store, import_dirs=[store.parent])
    with pytest.raises(SettingsError, match="holds the store"):
        JobFiles.of(settings).prepare(settings)
