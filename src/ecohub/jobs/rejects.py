"""A job as its owner sees it, and the reject file a file load wrote (``GET /api/v1/jobs/{id}``
and ``GET /api/v1/jobs/{id}/rejects``).

On a server a load writes its rejects into the server's rejects folder (jobs/files.py), which
no caller can read: the job's answer links them (``rejects``) and the owner (or an admin)
downloads them over HTTP.
"""

from __future__ import annotations

import codecs
import csv
import json
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any, BinaryIO

from ecohub.jobs.files import JobFiles
from ecohub.jobs.kinds import KINDS

__all__ = ["RejectFile", "open_rejects", "public"]


def _reject_param(job: dict[str, Any]) -> str | None:
    """Where the job's kind writes its rejects (from its parameters), if it writes any."""
    spec = KINDS.get(job["kind"])
    params = job.get("params")
    if spec is None or spec.rejects is None or not isinstance(params, dict):
        return None
    value = params.get(spec.rejects)
    return value if isinstance(value, str) else None


def public(row: dict[str, Any], files: JobFiles) -> dict[str, Any]:
    """The job ``row`` (a ``job`` table row or a live one) as the API answers it: progress as
    one member, times as ISO text, and ``rejects``, the route of its reject file when a
    finished load wrote one into the rejects folder (else null)."""
    out = dict(row)
    out["progress"] = {
        "done": out.pop("done"),
        "total": out.pop("total"),
        "message": out.pop("message"),
    }
    for k in ("created_at", "started_at", "finished_at"):
        if isinstance(out[k], datetime):
            out[k] = out[k].isoformat()
    for k in ("params", "result", "error"):
        if isinstance(out[k], str):
            out[k] = json.loads(out[k])
    out["rejects"] = None
    if out["state"] == "done":
        found = open_rejects(out, files)
        if found is not None:
            found.file.close()
            out["rejects"] = f"/api/v1/jobs/{out['id']}/rejects"
    return out


@dataclass
class RejectFile:
    """A job's reject file, open for reading: its name and how many rows it holds."""

    file: BinaryIO
    name: str

    def rows(self) -> int:
        """Records after the header (a cell may hold a line break: counted as CSV), read from
        the start; the file is left at its start again."""
        self.file.seek(0)
        text = codecs.iterdecode(self.file, "utf-8-sig", errors="replace")
        count = sum(1 for _ in csv.reader(text)) - 1
        self.file.seek(0)
        return max(count, 0)


def open_rejects(job: dict[str, Any], files: JobFiles) -> RejectFile | None:
    """The reject file of ``job`` (its public form), opened, when it is a regular file in the
    rejects folder; None when the job wrote none there (or is not a load)."""
    value = _reject_param(job)
    opened = files.open_reject(value) if value else None
    return None if opened is None else RejectFile(opened, Path(str(value)).name)
