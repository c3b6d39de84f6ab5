"""Turning service results into JSON-safe plain data (what a job stores as its result)."""

from __future__ import annotations

import dataclasses
import math
from datetime import date, datetime
from pathlib import Path
from typing import Any


def jsonable(value: Any) -> Any:
    """``value`` with dataclasses, paths, times, NaN and numpy/pandas scalars made JSON-safe."""
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        return {f.name: jsonable(getattr(value, f.name)) for f in dataclasses.fields(value)}
    if isinstance(value, dict):
        return {str(k): jsonable(v) for k, v in value.items()}
    if isinstance(value, list | tuple | set):
        return [jsonable(v) for v in value]
    if type(value).__name__ == "NaTType":  # pandas' missing time (a datetime subclass)
        return None
    if isinstance(value, datetime | date):
        return value.isoformat()
    if isinstance(value, Path):
        return str(value)
    if isinstance(value, float):
        return value if math.isfinite(value) else None
    if value is None or isinstance(value, str | int | bool):
        return value
    tolist = getattr(value, "tolist", None)  # numpy arrays (list columns) and scalars
    if callable(tolist):
        return jsonable(tolist())
    item = getattr(value, "item", None)  # other numpy / pandas scalars
    if callable(item):
        return jsonable(item())
    to_dict = getattr(value, "to_dict", None)  # pandas frames
    if callable(to_dict):
        return jsonable(to_dict("records"))
    return str(value)
