"""DuckDB spatial, loaded from the file the ``duckdb-ext-spatial`` wheel ships (never downloaded).

The store does not load spatial on every connection: it costs ~0.3 s, and most commands never
touch geometry. Geo services call :func:`load_spatial` on the connection they are handed.
"""

from __future__ import annotations

from functools import cache
from pathlib import Path

import duckdb

from ecohub.geo.errors import GeoError


@cache
def extension_path() -> Path:
    """The ``spatial.duckdb_extension`` file of the installed wheel, for this DuckDB version."""
    try:
        import duckdb_ext  # the namespace package the duckdb-ext-* wheels install into
    except ImportError as exc:  # pragma: no cover - a dependency of ecohub
        raise GeoError("spatial", "package duckdb-ext-spatial is not installed") from exc
    version = duckdb.__version__
    for root in duckdb_ext.__path__:
        found = sorted(Path(root).glob(f"extensions/v{version}/*/spatial.duckdb_extension"))
        if found:
            return found[0]
    raise GeoError("spatial", f"duckdb-ext-spatial ships no spatial extension for DuckDB {version}")


def load_spatial(con: duckdb.DuckDBPyConnection) -> None:
    """LOAD spatial into ``con`` (idempotent; no network: the path is the wheel's file)."""
    loaded = con.execute(
        "SELECT loaded FROM duckdb_extensions() WHERE extension_name = 'spatial'"
    ).fetchone()
    if loaded and loaded[0]:
        return
    con.execute(f"LOAD '{extension_path()}'")
