"""A load job's ``label``: how the lineage names a file the CLI copied into the server's import
folder (the user's own path), instead of the copy deleted when the job ends (walk J, finding 8).
A label is never opened; it is refused with control characters or beyond its length cap."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from ecohub.catalog import lineage
from ecohub.ingest.readers import sha256_file
from ecohub.jobs.load_kinds import LABEL_MAX, label_for
from tests.api import door_data as d
from tests.api.door_data import Door

USERS_PATH = "/home/王工/数据/一月 站点.csv"  # where the user's file is: never on the server


@pytest.fixture(scope="module")
def door(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Door]:
    yield from d.serve(tmp_path_factory.mktemp("label"))


def test_lineage_and_load_log_name_the_users_file(door: Door) -> None:
    copy = door.imports / "cli-x1" / "一月 站点.csv"
    copy.parent.mkdir()
    copy.write_text("station,name,region_code\nLB1,甲,110105\n", encoding="utf-8")
    sha = sha256_file(copy)
    c = d.client(door, "admin")
    params = {"path": str(copy), "label": USERS_PATH}
    job = d.follow(c, c.post("/api/v1/jobs", json={"kind": "load-stations", "params": params}))
    assert job["state"] == "done", job
    files = {f["sha256"]: f for f in lineage.walk(door.con.cursor(), "station")["files"]}
    assert files[sha]["path"] == USERS_PATH
    (run,) = [
        r
        for r in lineage.walk(door.con.cursor(), "station")["runs"]
        if any(i.get("ref") == sha for i in r["inputs"])
    ]
    (file_input,) = [i for i in run["inputs"] if i["kind"] == "file"]
    assert file_input["path"] == USERS_PATH
    logged = (
        door.con.cursor()
        .execute("SELECT path FROM load_log WHERE file_sha256 = ?", [sha])
        .fetchall()
    )
    assert logged == [(USERS_PATH,)]


@pytest.mark.parametrize(
    ("label", "reason"),
    [
        ("/home/u/a\nforged line.csv", "control characters (U+000A)"),
        ("/home/u/\u202ecod.exe", "control characters (U+202E)"),
        ("/home/u/" + "x" * LABEL_MAX, "at most 1024 characters"),
        ("", "at least 1 character"),
    ],
)
def test_a_bad_label_is_a_422_naming_it(door: Door, label: str, reason: str) -> None:
    f = door.imports / "ok.csv"
    f.write_text("station,name\nLB2,乙\n", encoding="utf-8")
    c = d.client(door, "admin")
    r = c.post(
        "/api/v1/jobs",
        json={"kind": "load-observations", "params": {"path": str(f), "label": label}},
    )
    assert r.status_code == 422, r.text
    (err,) = r.json()["errors"]
    assert err["field"] == "params.label" and reason in err["reason"], err


def test_label_for_makes_any_path_a_valid_label() -> None:
    assert label_for(USERS_PATH) == USERS_PATH
    assert label_for("/tmp/a\nb\u202ec.csv") == "/tmp/a\\nb\\u202ec.csv"
    long = label_for("/" + "x" * 5000)
    assert len(long) == LABEL_MAX and long.endswith("…")
