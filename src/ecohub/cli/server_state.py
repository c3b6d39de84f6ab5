"""Where the CLI finds its platform: the running server's ``server.json``, or the store here.

``ecohub up`` writes ``<data_dir>/server.json`` while it runs (its pid, addresses, role, import
and rejects folders, and its lake). A command run where neither that file's server nor a store
is found is in the wrong folder far more often than it means to start a new platform: it is
refused (:func:`no_platform`) unless it loads data, the other way a store begins.
"""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Any

from ecohub.settings import Settings

STATE_FILE = "server.json"


def running_state(data_dir: Path) -> dict[str, Any] | None:
    """``server.json`` of the running server (``pid``, ``http``, ``hj212``, ``role``: ``all``,
    or ``ingest``, which serves no API), when its process is alive."""
    try:
        state = json.loads((data_dir / STATE_FILE).read_text(encoding="utf-8"))
        _, pid = str(state["http"]), int(state["pid"])
    except (OSError, ValueError, KeyError, TypeError):
        return None
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return None  # a stale file of a server that died
    except PermissionError:
        pass  # alive, run by another account
    return state if isinstance(state, dict) else None


def running_server(data_dir: Path) -> str | None:
    """The running server's base URL, from ``server.json`` when its process is alive."""
    state = running_state(data_dir)
    return None if state is None else str(state["http"])


def no_platform(settings: Settings) -> str | None:
    """Why a command needing the store cannot run here: no server answers for the data folder
    and it holds no store (one line, naming the resolved folder and how to point at one);
    None when the store exists."""
    if settings.database.exists():
        return None
    folder = settings.data_dir.resolve()
    store = settings.database.resolve()
    where = f"at {folder}" if store.parent == folder else f"at {folder} (store {store})"
    return (
        f"no running server and no store were found {where}: set ECOHUB_DATA_DIR to the data "
        "folder of the running `ecohub up`, or run this in the folder where `ecohub up` runs "
        "(or start `ecohub up` here first)"
    )


def new_store_note(settings: Settings) -> str:
    """The one line a loader prints on stderr when it makes a new store (no server found)."""
    return (
        f"note: no running server found for {settings.data_dir.resolve()} and no store at "
        f"{settings.database.resolve()}: creating a new store there"
    )


def hj212_port(settings: Settings) -> int:
    """The HJ 212 port to send to: the running server's (``server.json``, the port it bound),
    else the settings' ``hj212_port`` (ECOHUB_HJ212_PORT)."""
    state = running_state(settings.data_dir)
    try:
        return int(state["hj212"][1]) if state is not None else settings.hj212_port
    except (KeyError, IndexError, TypeError, ValueError):
        return settings.hj212_port
