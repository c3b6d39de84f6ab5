"""``/api/v1/jobs``: start long work on the server and follow it."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any
from urllib.parse import quote

from fastapi import APIRouter, Depends, Path, Query, Request
from fastapi.responses import JSONResponse, StreamingResponse
from pydantic import Field

from ecohub.access.principal import Principal
from ecohub.api.bodies import StrictBody
from ecohub.api.deps import context
from ecohub.api.errors import problem_responses
from ecohub.api.rules import guard
from ecohub.jobs.kinds import KINDS
from ecohub.jobs.rejects import open_rejects
from ecohub.queries import NotFound

router = APIRouter(prefix="/api/v1", tags=["jobs"], responses=problem_responses(401, 403, 404, 422))


class JobBody(StrictBody):
    kind: str = Field(..., max_length=40, description=", ".join(sorted(KINDS)))
    params: dict[str, Any] = Field(default_factory=dict, max_length=50)


@router.post("/jobs", status_code=202, responses={202: {"description": "queued; follow Location"}})
def start_job(request: Request, body: JobBody, p: Principal = Depends(guard)) -> JSONResponse:
    """Queue a job; ``GET /api/v1/jobs/{id}`` gives its state, progress and result."""
    job = context(request).jobs.submit(p, body.kind, body.params)
    request.state.audit_rows = 1
    # What ran, on which server files: job parameters hold paths and options, no secrets.
    request.state.audit_detail = {"job": job["id"], "kind": body.kind, "params": body.params}
    return JSONResponse(job, status_code=202, headers={"Location": f"/api/v1/jobs/{job['id']}"})


@router.get("/jobs")
def list_jobs(
    request: Request, limit: int | None = Query(None, ge=1, le=1000), p: Principal = Depends(guard)
) -> list[dict[str, Any]]:
    """Your jobs (an admin: everyone's), newest first."""
    out = context(request).jobs.list(p, limit=limit)
    request.state.audit_rows = len(out)
    return out


@router.get("/jobs/{job_id}")
def get_job(
    request: Request,
    job_id: str = Path(..., min_length=1, max_length=64),
    p: Principal = Depends(guard),
) -> dict[str, Any]:
    """State (queued, running, done, failed), progress, and the result or the error."""
    return context(request).jobs.get(p, job_id)


@router.get(
    "/jobs/{job_id}/rejects",
    responses={200: {"description": "the reject file (CSV)", "content": {"text/csv": {}}}},
)
def get_job_rejects(
    request: Request,
    job_id: str = Path(..., min_length=1, max_length=64),
    p: Principal = Depends(guard),
) -> StreamingResponse:
    """The reject file a finished file load wrote on the server, as the loader wrote it (CSV,
    UTF-8 with a byte-order mark; rows in ``X-Result-Count``); the job's ``rejects`` links it.
    404 for a job that is not yours, or that wrote no reject file."""
    jobs = context(request).jobs
    job = jobs.get(p, job_id)
    found = open_rejects(job, jobs.files) if job["state"] == "done" else None
    if found is None:
        raise NotFound("reject file of job", job_id)
    rows = found.rows()
    request.state.audit_action = "export"  # a copy of file rows leaves the server
    request.state.audit_rows = rows
    ascii_name = found.name.encode("ascii", "replace").decode().replace("?", "_").replace('"', "_")
    headers = {
        "Content-Disposition": f'attachment; filename="{ascii_name}"; '
        f"filename*=UTF-8''{quote(found.name)}",
        "X-Result-Count": str(rows),
    }

    def chunks() -> Iterator[bytes]:
        with found.file:
            while block := found.file.read(1 << 16):
                yield block

    return StreamingResponse(chunks(), media_type="text/csv; charset=utf-8", headers=headers)
