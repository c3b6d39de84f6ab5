"""The CLI's one way to the store: ask the running server, or run the same app in-process.

While ``ecohub up`` runs it owns the store (DuckDB lets one process write), and it says where it
listens in ``<data_dir>/server.json``; the CLI then calls its HTTP API with the local credential
the server wrote into the data folder (readable only by the folder's owner). When no server runs,
the CLI opens the store itself and sends the same request to the same FastAPI app in-process
(Starlette's in-process ASGI client), authenticated the same way. Either way a command gets the
same JSON from the same route and the same service function, so it prints the same output.
When neither a server nor a store is found, only a loader makes a new store (and says so);
every other command is refused (:mod:`ecohub.cli.server_state`).

This module is the only place that decides "local or remote".
"""

from __future__ import annotations

import contextlib
import time
import warnings
from collections.abc import Iterator
from pathlib import Path
from typing import Any, NoReturn

import httpx

from ecohub.cli.server_state import new_store_note, no_platform, running_state
from ecohub.settings import Settings, get_settings

POLL_S = 0.25


class DoorError(Exception):
    """A request the server refused or could not answer; the message is the problem's detail."""

    def __init__(self, message: str, status: int = 0, field: str | None = None) -> None:
        super().__init__(message)
        self.status = status
        self.field = field


class Door:
    """An HTTP client to the API: remote (the running server) or in-process (the store)."""

    def __init__(self, settings: Settings | None = None, create: bool = False) -> None:
        self.settings = settings or get_settings()
        # Whether this command may make a new store when no server runs and none is here
        # (a loader: the other way a store begins besides `ecohub up`).
        self.create = create
        self.remote = False
        self.server: dict[str, Any] = {}  # server.json of the running server (remote)
        self._client: Any = None
        self._local: tuple[Any, Any] | None = None  # (connection, app) when in-process

    def _open(self) -> Any:
        if self._client is not None:
            return self._client
        from ecohub.access.local import read_local_credential

        data_dir = self.settings.data_dir
        state = running_state(data_dir)
        url = None if state is None else str(state["http"])
        if state is not None and state.get("role") == "ingest":
            raise DoorError(
                f"an ingest node is running on the data folder {data_dir} ({url}); it serves no "
                "API: stop it first to run this command here (an ingest node compacts its lake "
                "on its own schedule)"
            )
        if url is not None:
            credential = read_local_credential(data_dir)
            if credential is None:
                raise DoorError(
                    f"a server is running ({url}) but its local credential in {data_dir} cannot be "
                    "read: run this as the account that owns the data folder"
                )
            self.remote, self.server = True, dict(state or {})
            verify: Any = True
            if url.startswith("https:") and self.settings.http_ssl_certfile is not None:
                import ssl

                verify = ssl.create_default_context(cafile=str(self.settings.http_ssl_certfile))
            self._client = httpx.Client(
                base_url=url,
                headers={"Authorization": f"Bearer {credential}"},
                timeout=120,
                verify=verify,
            )
            return self._client
        from ecohub.store.folders import check_folders

        check_folders(self.settings)  # SettingsError: one line naming the setting, exit 2
        missing = no_platform(self.settings)
        if missing is not None and not self.create:
            raise DoorError(missing)
        if missing is not None:
            from ecohub.cli._common import err_console

            err_console.print(new_store_note(self.settings), markup=False, highlight=False,
                              soft_wrap=True)  # fmt: skip
        with warnings.catch_warnings():
            # Starlette warns that its in-process client prefers httpx2 on import; the CLI
            # user can do nothing about it (this one warning only).
            from starlette.exceptions import StarletteDeprecationWarning

            warnings.filterwarnings(
                "ignore",
                message=r"Using `httpx` with `starlette\.testclient`",
                category=StarletteDeprecationWarning,
            )
            from fastapi.testclient import TestClient

        from ecohub.api.app import create_app
        from ecohub.store.db import StoreError, apply_settings, connect

        try:
            con = connect(self.settings.database)
        except StoreError as exc:
            raise DoorError(str(exc)) from exc
        apply_settings(con, self.settings)
        from ecohub.store.lake import attach

        attach(con, self.settings)  # `*_all` views over this settings' lake
        # The user's own process: its jobs read and write that user's files where named.
        app = create_app(con, settings=self.settings, data_dir=data_dir, confine_files=False)
        credential = app.state.auth.local_credential
        self._local = (con, app)
        self._client = TestClient(
            app,
            base_url="http://ecohub.local",
            raise_server_exceptions=False,
            headers={"Authorization": f"Bearer {credential}"},
        )
        return self._client

    def request(
        self, method: str, path: str, *, params: dict[str, Any] | None = None, body: Any = None
    ) -> httpx.Response:
        """The response to one request; :class:`DoorError` for an error status."""
        client = self._open()
        clean = {k: v for k, v in (params or {}).items() if v is not None}
        try:
            r = client.request(method, path, params=clean, json=body)
        except httpx.HTTPError as exc:
            raise DoorError(f"the server at {client.base_url} did not answer: {exc}") from exc
        if r.status_code >= 400:
            self._raise(r)
        return r

    @staticmethod
    def _raise(r: httpx.Response) -> NoReturn:
        """:class:`DoorError` for the error answer ``r``: its problem's detail and field."""
        field = None
        try:
            problem = r.json()
            detail = problem.get("detail") or problem.get("title") or r.reason_phrase
            errors = problem.get("errors") or []
            if errors and isinstance(errors[0], dict):
                field = errors[0].get("field")
        except ValueError:
            detail = r.text[:200] or r.reason_phrase
        raise DoorError(str(detail), r.status_code, field)

    def pages(self, path: str, **params: Any) -> list[dict[str, Any]]:
        """Every item of a cursor-paged listing."""
        items: list[dict[str, Any]] = []
        cursor = None
        while True:
            body = self.get(path, **params, limit=10_000, cursor=cursor)
            items += body["items"]
            cursor = body.get("next_cursor")
            if cursor is None:
                return items

    def get(self, path: str, **params: Any) -> Any:
        return self.request("GET", path, params=params).json()

    def put(self, path: str, body: Any) -> Any:
        return self.request("PUT", path, body=body).json()

    def post(self, path: str, body: Any) -> Any:
        return self.request("POST", path, body=body).json()

    def through_server(self) -> bool:
        """Whether this door asks the running server (else the app runs in this process)."""
        self._open()
        return self.remote

    def download(self, path: str, target: Path) -> None:
        """Write the body of ``GET path`` (a file the API serves) to ``target``."""
        client = self._open()
        try:
            with client.stream("GET", path) as r:
                if r.status_code >= 400:
                    r.read()
                    self._raise(r)
                with target.open("wb") as out:
                    for block in r.iter_bytes():
                        out.write(block)
        except httpx.HTTPError as exc:
            raise DoorError(f"the server at {client.base_url} did not answer: {exc}") from exc

    def job(self, kind: str, params: dict[str, Any], title: str, path: str | None = None) -> Any:
        """Start a job and follow it with a progress bar; its result, or :class:`DoorError`.

        ``path``: the capability's own route that queues it (its body is ``params``; roles
        besides admin may use it), instead of the generic ``POST /api/v1/jobs``."""
        return self.follow(kind, params, title, path)["result"]

    def follow(
        self, kind: str, params: dict[str, Any], title: str, path: str | None = None
    ) -> dict[str, Any]:
        """As :meth:`job`, but the whole finished job (its ``params``, ``rejects``, ...)."""
        from rich.progress import (
            BarColumn,
            MofNCompleteColumn,
            Progress,
            TextColumn,
            TimeElapsedColumn,
        )

        from ecohub.cli._common import console

        if path is None:
            job = self.post("/api/v1/jobs", {"kind": kind, "params": params})
        else:
            job = self.post(path, params)
        with Progress(
            TextColumn(f"{title}: " + "{task.description}"),
            BarColumn(),
            MofNCompleteColumn(),  # "3/?" while the job does not know its total yet
            TimeElapsedColumn(),
            console=console,
            transient=True,
            disable=not console.is_terminal,
        ) as bar:
            task = bar.add_task("queued", total=None)
            while job["state"] in ("queued", "running"):
                time.sleep(POLL_S)
                job = self.get(f"/api/v1/jobs/{job['id']}")
                prog = job["progress"]
                bar.update(
                    task,
                    description=prog["message"] or job["state"],
                    completed=prog["done"] or 0,
                    total=prog["total"],
                )
        if job["state"] == "failed":
            err = job.get("error") or {}
            field = (err.get("errors") or [{}])[0].get("field")
            raise DoorError(
                str(err.get("detail") or "the job failed"), int(err.get("status", 0)), field
            )
        return dict(job)

    def close(self) -> None:
        if self._client is not None:
            self._client.close()
            self._client = None
        if self._local is not None:
            from ecohub.access.local import remove_local_credential
            from ecohub.api.app import close_app

            con, app = self._local
            close_app(app)
            con.close()
            remove_local_credential(self.settings.data_dir)
            self._local = None


@contextlib.contextmanager
def door(
    settings: Settings | None = None,
    options: dict[str, str] | None = None,
    name_options: bool = True,
    create: bool = False,
) -> Iterator[Door]:
    """A :class:`Door` for one command; a refused request ends the command with its message,
    naming the command-line option of the field at fault (``options`` maps field → option
    where the names differ; ``name_options=False`` when the messages name them already).
    ``create``: as :class:`Door`'s."""
    from ecohub.cli._common import fail

    d = Door(settings, create)
    try:
        yield d
    except DoorError as exc:
        field = exc.field.removeprefix("params.") if exc.field else None
        if field == "path":
            # The command's FILE argument, not an option: the message names the file itself.
            fail(str(exc).removeprefix("path: "))
        if name_options and field and not str(exc).startswith("--"):
            option = (options or {}).get(field, field).replace("_", "-")
            # The server's detail often starts with the field's own name: say the option once.
            message = str(exc)
            for name in (field, f"params.{field}"):
                if message.startswith(f"{name}: "):
                    message = message[len(name) + 2 :]
                    break
            fail(f"--{option}: {message}")
        fail(str(exc))
    finally:
        d.close()
