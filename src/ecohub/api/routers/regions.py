"""``/api/v1/regions``: the GB/T 2260 tree."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Depends, Path, Query

from ecohub.access.principal import Principal
from ecohub.api.errors import problem_responses
from ecohub.api.rules import guard
from ecohub.queries import regions as service

router = APIRouter(
    prefix="/api/v1", tags=["regions"], responses=problem_responses(401, 403, 404, 422)
)
CODE = r"^\d{6}$"


@router.get("/regions")
def list_regions(
    parent: str | None = Query(
        None, pattern=CODE, description="GB/T 2260 code; default: provinces"
    ),
    p: Principal = Depends(guard),
) -> list[dict[str, Any]]:
    """Provinces, or the divisions directly under ``parent``."""
    return service.regions(parent)


@router.get("/regions/{code}")
def get_region(
    code: str = Path(..., pattern=CODE), p: Principal = Depends(guard)
) -> dict[str, Any]:
    """One division with its path and children."""
    return service.region(code)
