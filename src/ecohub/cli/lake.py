"""``ecohub lake``: the data lake of settled emissions and observations (docs/operations.md
"The data lake")."""

from __future__ import annotations

import typer

from ecohub.cli._common import console, fail

app = typer.Typer(no_args_is_help=True)


@app.command("compact")
def compact_cmd() -> None:
    """Move emissions and observations older than ECOHUB_LAKE_SETTLE_HOURS from the hot store
    into the lake (de-duplicated on their key), then merge the files of partitions holding more
    than ECOHUB_LAKE_MERGE_FILES (runs as a job of the running server, or here)."""
    from ecohub.cli.client import door
    from ecohub.settings import get_settings
    from ecohub.store.folders import check_lake, check_same_lake

    settings = get_settings()
    with door(name_options=False) as d:  # the message names the setting
        # In-process the door checks the lake (folders.check_folders); the server compacts its
        # own lake, so the one named here must be usable and be that one. SettingsError: exit 2.
        if d.through_server():
            check_lake(settings, write=False)
            check_same_lake(settings, d.server.get("lake"), str(d.server.get("http")))
        res = d.job("lake-compact", {}, "compacting")
    for table, r in res.items():
        merged = r.get("merged") or {}
        console.print(
            f"{table}: {r['settled']:,} settled rows before {r['cutoff']}: {r['moved']:,} moved "
            f"to the lake in {r['files']} files, {r['known']:,} already there (dropped)"
            + (f", {r['rewritten']} partition(s) rewritten with reloaded values"
               if r.get("rewritten") else "")
            + (f"; {merged['files_before']:,} files of {merged['partitions']} partition(s) "
               f"merged" if merged.get("partitions") else "")
            + (f"; {r['recovered']} interrupted compaction(s) finished" if r["recovered"] else ""),
            highlight=False,
        )  # fmt: skip


@app.command("status")
def status_cmd() -> None:
    """Where the lake is, and its files, rows and months per table."""
    from ecohub.settings import get_settings
    from ecohub.store.folders import check_lake, lake_folder
    from ecohub.store.lake import status

    settings = get_settings()
    check_lake(settings, write=False)  # not a folder, or a configured one missing: exit 2
    folder = lake_folder(settings)
    if folder is not None and not folder.is_dir():
        fail(f"lake {folder}: no lake folder yet (made when ecohub first opens the store)")
    st = status(settings)
    console.print(f"lake: {st['lake']}  (this node: {st['node']})", highlight=False)
    for table, t in st["tables"].items():  # type: ignore[attr-defined]
        months = t["months"]
        span = f"{months[0]} .. {months[-1]}" if months else "none"
        console.print(f"{table}: {t['files']:,} files, {t['rows']:,} rows, months {span}",
                      highlight=False)  # fmt: skip
