"""Source codes: issue, keep, merge, split - and the history of each.

Rules (docs/design.md, "Registry"):

* A code, once issued, never changes and is never reused.
* Each earlier code goes with the new cluster that holds the credit code it is built from (an
  HJ 608 code is that unit's; a split must not hand it to another unit); failing that, or
  when several do, the one holding most of its records (ties: its smallest record id).
* A cluster that receives several earlier codes keeps the oldest; the others are retired with
  ``status = 'merged'`` and ``merged_into`` (event ``merge``).
* A cluster that receives none gets a new code: event ``split`` if some of its records had a code
  (they left it), else ``issue``. A split that undoes a merge gives the leaving part its own
  code back: a code merged into the code its records had, built from the part's credit code
  (same unit, so not a reuse; HJ 608 would otherwise make the unit's first plant "…002P").
* A source's name, address and point follow :mod:`ecohub.registry.survivorship` (the newest
  record, the place fields from one record).
* New codes: HJ 608-2017 = the cluster's credit code (most frequent *valid* USCC) + the next
  3-digit sequence of that unit + ``P``; without a valid USCC, the provisional ``H9`` + region
  form of ``standards.source_codes.build_provisional_code`` with the next sequence of that
  region (region ``990000``, our own "unknown" namespace, when no record names one).
"""

from __future__ import annotations

from datetime import datetime
from typing import Any, cast

import duckdb
import pandas as pd

from ecohub.registry import ownership, survivorship
from ecohub.standards import source_codes

__all__ = ["UNKNOWN_REGION", "assign_codes"]

UNKNOWN_REGION = "990000"


def _mode(df: pd.DataFrame, key: str, col: str) -> pd.Series:
    """Most frequent non-null ``col`` per ``key`` (ties: the smallest value)."""
    sub = df[[key, col]].dropna()
    if sub.empty:
        return pd.Series(dtype=object)
    counts = sub.groupby([key, col]).size().reset_index(name="n")
    counts = counts.sort_values([key, "n", col], ascending=[True, False, True])
    return counts.drop_duplicates(key).set_index(key)[col]


def _concat(*parts: pd.Series) -> pd.Series:
    """The non-empty ``parts`` end to end (pandas warns about typing a concat by empty ones)."""
    full = [p for p in parts if len(p)]
    return pd.concat(full) if full else pd.Series(dtype=object)


def _next_seqs(
    con: duckdb.DuckDBPyConnection, prefixes: pd.Series
) -> tuple[pd.Series, pd.DataFrame]:
    """Next sequence number for each row's prefix (consecutive within one prefix)."""
    distinct = pd.DataFrame({"prefix": prefixes.dropna().unique()})
    con.register("_prefixes", distinct)
    try:
        last = con.execute(
            "SELECT p.prefix, coalesce(s.last_seq, 0) FROM _prefixes p "
            "LEFT JOIN source_code_seq s USING (prefix)"
        ).df()
    finally:
        con.unregister("_prefixes")
    last_of = dict(zip(last.iloc[:, 0], last.iloc[:, 1], strict=True))
    seq = prefixes.groupby(prefixes).cumcount() + 1 + prefixes.map(last_of).astype(int)
    new_last = seq.groupby(prefixes).max().reset_index()
    new_last.columns = ["prefix", "last_seq"]
    return seq, new_last


def _new_codes(
    con: duckdb.DuckDBPyConnection, clusters: pd.DataFrame
) -> tuple[pd.Series, pd.Series, pd.DataFrame]:
    """Codes for ``clusters`` (index: cluster; columns uscc, region_code)."""
    has_uscc = clusters["uscc"].notna()
    region = clusters["region_code"].fillna(UNKNOWN_REGION)
    prefix = clusters["uscc"].where(has_uscc, "H9" + region)
    seq, new_last = _next_seqs(con, prefix)
    codes = []
    for p, s, r, u in zip(prefix, seq, region, has_uscc, strict=True):
        codes.append(
            source_codes.build_source_code(p, int(s))
            if u
            else source_codes.build_provisional_code(r, int(s), 1)
        )
    kind = has_uscc.map({True: "hj608", False: "provisional"})
    return pd.Series(codes, index=clusters.index), kind, new_last


def assign_codes(
    con: duckdb.DuckDBPyConnection,
    clustered: pd.DataFrame,
    records: pd.DataFrame,
    *,
    run_id: str,
    actor: str,
    reason: str = "link run",
) -> dict[str, Any]:
    """Apply the rules above; write ``source_record.source_code``, ``source``,
    ``source_code_seq`` and ``source_event``. Returns counts per event kind."""
    now = datetime.now().astimezone()
    df = clustered.merge(records, on="unique_id", how="left")
    coded = df[df["source_code"].notna()]
    issued = con.execute("SELECT source_code, valid_from FROM source").df()
    issued_at = dict(zip(issued.source_code, issued.valid_from, strict=True))

    # Where each earlier code goes: first to a cluster holding the code's own credit code.
    share = (
        coded.groupby(["source_code", "cluster"])
        .agg(n=("unique_id", "size"), first=("unique_id", "min"))
        .reset_index()
    )
    share["owns"] = ownership.owns(share, df)
    share = share.sort_values(
        ["source_code", "owns", "n", "first"], ascending=[True, False, False, True]
    )
    keeper = share.drop_duplicates("source_code")[["source_code", "cluster"]]
    keeper = keeper.assign(at=keeper.source_code.map(issued_at))
    keeper = keeper.sort_values(["cluster", "at", "source_code"], na_position="last")
    kept = keeper.drop_duplicates("cluster").set_index("cluster")["source_code"]
    retired = keeper[~keeper.source_code.isin(kept.to_numpy())].copy()
    retired["into"] = retired.cluster.map(kept)

    clusters = pd.Index(df["cluster"].unique())
    fresh = clusters.difference(kept.index)
    attrs = pd.DataFrame(index=fresh)
    sub = df[df.cluster.isin(fresh)]
    attrs["uscc"] = _mode(sub, "cluster", "uscc_norm").reindex(fresh)
    attrs["region_code"] = _mode(sub, "cluster", "region_code").reindex(fresh)
    revived = ownership.revive(con, df, attrs)
    new_code, new_kind, new_last = _new_codes(con, attrs.drop(revived.index))

    code_of = _concat(kept, revived, new_code)
    df["new_code"] = df.cluster.map(code_of)
    events = _events(
        df, fresh, _concat(revived, new_code), retired, now, actor, reason, run_id, revived
    )

    _write(con, df, new_code, new_kind, new_last, retired, events, now, revived)
    counts: dict[str, Any] = (
        {str(k): int(v) for k, v in events["kind"].value_counts().items()} if len(events) else {}
    )
    counts["clusters"] = len(clusters)
    counts["moved_records"] = int((df.source_code.notna() & (df.source_code != df.new_code)).sum())
    return counts


def _events(
    df: pd.DataFrame,
    fresh: pd.Index,
    new_code: pd.Series,
    retired: pd.DataFrame,
    now: datetime,
    actor: str,
    reason: str,
    run_id: str,
    revived: pd.Series,
) -> pd.DataFrame:
    rows: list[dict[str, Any]] = []
    members = df.groupby("cluster")["unique_id"].agg(list)
    left_from = _mode(df[df.cluster.isin(fresh)], "cluster", "source_code")
    back = set(revived.to_numpy())
    for cl, code in new_code.items():
        old = left_from.get(cl)
        rows.append(
            {
                "kind": "split" if isinstance(old, str) else "issue",
                "source_code": code,
                "other_code": old if isinstance(old, str) else None,
                "records": members[cast(Any, cl)],
                # A code back from a merge says so: it was not issued now.
                "reason": f"{reason}: the code comes back from {old}" if code in back else reason,
            }
        )
    for r in retired.itertuples():
        moved = df.loc[df.source_code == r.source_code, "unique_id"].tolist()
        rows.append(
            {
                "kind": "merge",
                "source_code": r.into,
                "other_code": r.source_code,
                "records": moved,
                "reason": reason,
            }
        )
    ev = pd.DataFrame(rows, columns=["kind", "source_code", "other_code", "records", "reason"])
    ev["records"] = ev["records"].map(lambda ids: [i.replace("|", ":", 1) for i in ids])
    return ev.assign(at=now, actor=actor, run_id=run_id)


def _write(
    con: duckdb.DuckDBPyConnection,
    df: pd.DataFrame,
    new_code: pd.Series,
    new_kind: pd.Series,
    new_last: pd.DataFrame,
    retired: pd.DataFrame,
    events: pd.DataFrame,
    now: datetime,
    revived: pd.Series,
) -> None:
    assign = df[["system", "record_id", "new_code", "match_probability"]]
    src = pd.DataFrame(index=pd.Index(df.new_code.unique(), name="source_code"))
    src["uscc"] = _mode(df, "new_code", "uscc_norm").reindex(src.index)
    best = survivorship.master(df, "new_code")
    for col in ("name", "address", "region_code", "industry", "lon", "lat"):
        src[col] = best[col].reindex(src.index)
    src["n_records"] = df.groupby("new_code").size().reindex(src.index)
    src["code_kind"] = new_kind.set_axis(new_code.to_numpy()).reindex(src.index)
    src = src.reset_index()
    con.register("_assign", assign)
    con.register("_src", src)
    # New sources go in along a Hilbert curve, with their keys on it, so an area's sources
    # share row groups (ecohub.geo.storage: box, county and polygon pages then skip the rest of
    # the table, and next links read one row group).
    from ecohub.geo.spatial import load_spatial
    from ecohub.geo.storage import hkey_sql

    load_spatial(con)
    con.register("_seq", new_last)
    con.register("_events", events)
    try:
        con.execute(
            "UPDATE source_record r SET source_code = a.new_code, "
            "match_probability = a.match_probability, linked_at = ? FROM _assign a "
            "WHERE r.system = a.system AND r.record_id = a.record_id",
            [now],
        )
        con.execute(
            "INSERT INTO source (source_code, uscc, name, address, region_code, industry, lon, "
            "lat, status, valid_from, code_kind, n_records, updated_at, hkey) "
            "SELECT source_code, uscc, name, address, region_code, industry, lon, lat, 'active', "
            "$1, code_kind, n_records, $1, hkey FROM "
            f"(SELECT *, {hkey_sql()} AS hkey FROM _src) ORDER BY hkey "
            "ON CONFLICT (source_code) DO UPDATE SET name = excluded.name, "
            "address = excluded.address, region_code = excluded.region_code, "
            "industry = excluded.industry, lon = excluded.lon, lat = excluded.lat, "
            # A point that moved gets its new place on the curve (the row stays where it is
            # in the file until `ecohub geo reorder`).
            "hkey = CASE WHEN source.lon IS NOT DISTINCT FROM excluded.lon AND "
            "source.lat IS NOT DISTINCT FROM excluded.lat THEN source.hkey ELSE excluded.hkey END, "
            "n_records = excluded.n_records, updated_at = excluded.updated_at, "
            "uscc = coalesce(source.uscc, excluded.uscc)",
            [now],
        )
        for code in revived:
            con.execute(
                "UPDATE source SET status = 'active', merged_into = NULL, valid_to = NULL, "
                "updated_at = ? WHERE source_code = ?",
                [now, code],
            )
        for r in retired.itertuples():
            con.execute(
                "UPDATE source SET status = 'merged', merged_into = ?, valid_to = ?, "
                "n_records = 0, updated_at = ? WHERE source_code = ?",
                [r.into, now, now, r.source_code],
            )
        con.execute(
            "INSERT INTO source_code_seq SELECT prefix, last_seq FROM _seq WHERE true "
            "ON CONFLICT (prefix) DO UPDATE SET last_seq = excluded.last_seq"
        )
        con.execute(
            'INSERT INTO source_event ("at", kind, source_code, other_code, records, reason, '
            'actor, run_id) SELECT "at", kind, source_code, other_code, records, reason, actor, '
            "run_id FROM _events"
        )
    finally:
        for t in ("_assign", "_src", "_seq", "_events"):
            con.unregister(t)
