"""Clusters from scored pairs, under human decisions and earlier assignments.

Edges, strongest first: a person's ``match`` decision; "these records already share a code"
(sticky, so a re-run never splits a source by itself); model pairs at or above the auto-accept
threshold. A person's ``nonmatch`` decision is a cannot-link constraint: the direct edge is
dropped, and a component that still joins the two records is rebuilt greedily, strongest edge
first, refusing any union that would put them together. That is how a split happens, and,
but for the rule below, the only way: splits are human, merges may be automatic.

Records with two different *keys* (their valid credit codes: two legal entities, GB 32100) are
never joined by the model or by sticky edges: a component that holds two keys is rebuilt the same
greedy way, refusing a union whose two sides hold different keys (one side's keys must include
the other's). Only a person's ``match`` joins them (and then its two keys count as one). A source
that already holds two keys without such a decision (merged before this rule) loses its sticky
edges and regroups by the model's edges: the one automatic split, and the pair then waits in the
review band (review.store_band).

Connected components run in SciPy over integer ids (a million records in about a second); only
components with a constraint inside take the slow, exact path.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
from scipy.sparse import coo_matrix
from scipy.sparse.csgraph import connected_components

__all__ = ["cluster"]

_MUST, _STICKY, _MODEL = 3, 2, 1


def cluster(
    ids: pd.Series,
    pairs: pd.DataFrame,
    *,
    threshold: float,
    prior: pd.Series | None = None,
    must: list[tuple[str, str]] | None = None,
    cannot: list[tuple[str, str]] | None = None,
    keys: pd.Series | None = None,
) -> pd.DataFrame:
    """``unique_id``, ``cluster`` (int) and ``match_probability`` (best accepted edge inside its
    cluster, 1.0 for human/sticky links, NaN for a singleton) for every id in ``ids``.
    ``prior`` maps unique_id → earlier source code (NaN for new records); ``keys`` maps
    unique_id → its key (NaN: none): no cluster holds two keys unless ``must`` joined them."""
    uid = pd.Index(ids.astype(str).unique())
    index = pd.Series(np.arange(len(uid)), index=uid)
    cannot_ix = _pairs_ix(cannot or [], index)
    banned = {(min(a, b), max(a, b)) for a, b in cannot_ix}

    parts = []
    strong = pairs[pairs["match_probability"] >= threshold]
    if len(strong):
        parts.append(
            pd.DataFrame(
                {
                    "a": index.reindex(strong["unique_id_l"].astype(str)).to_numpy(),
                    "b": index.reindex(strong["unique_id_r"].astype(str)).to_numpy(),
                    "p": strong["match_probability"].to_numpy(dtype=float),
                    "kind": _MODEL,
                }
            )
        )
    must_ix = _pairs_ix(must or [], index)
    if must_ix:
        parts.append(pd.DataFrame(must_ix, columns=["a", "b"]).assign(p=1.0, kind=_MUST))
    key_ix = _key_ix(keys, uid, must_ix)
    if prior is not None:
        parts.append(_sticky_edges(prior, index, cannot_ix, key_ix))
    edges = (
        pd.concat(parts, ignore_index=True).dropna(subset=["a", "b"])
        if parts
        else pd.DataFrame({"a": [], "b": [], "p": [], "kind": []})
    )
    edges = edges.astype({"a": np.int64, "b": np.int64})
    if banned and len(edges):
        key = list(zip(np.minimum(edges.a, edges.b), np.maximum(edges.a, edges.b), strict=True))
        edges = edges[[k not in banned for k in key]]

    n = len(uid)
    graph = coo_matrix((np.ones(len(edges)), (edges.a.to_numpy(), edges.b.to_numpy())), (n, n))
    _, labels = connected_components(graph, directed=False)
    if cannot_ix or (key_ix >= 0).any():
        labels = _enforce(labels, edges, cannot_ix, key_ix)

    best = np.full(n, np.nan)
    inside = edges[labels[edges.a.to_numpy()] == labels[edges.b.to_numpy()]]
    if len(inside):
        both = pd.concat([inside[["a", "p"]], inside[["b", "p"]].rename(columns={"b": "a"})])
        top = both.groupby("a")["p"].max()
        best[top.index.to_numpy()] = top.to_numpy()
    return pd.DataFrame({"unique_id": uid, "cluster": labels, "match_probability": best})


def _pairs_ix(pairs: list[tuple[str, str]], index: pd.Series) -> list[tuple[int, int]]:
    out = []
    for a, b in pairs:
        if a in index.index and b in index.index and a != b:
            out.append((int(index[a]), int(index[b])))
    return out


def _key_ix(keys: pd.Series | None, uid: pd.Index, must_ix: list[tuple[int, int]]) -> np.ndarray:
    """Each record's key number (-1: none); keys a ``match`` decision joined are one number, so
    the rest of such a source may join it from either side."""
    if keys is None:
        return np.full(len(uid), -1)
    ix = pd.factorize(keys.reindex(uid))[0]
    joined = [(int(ix[a]), int(ix[b])) for a, b in must_ix if ix[a] >= 0 and ix[b] >= 0]
    if not joined:
        return ix
    root = np.arange(int(ix.max()) + 1)

    def find(k: int) -> int:
        while root[k] != k:
            root[k] = root[root[k]]
            k = int(root[k])
        return k

    for ka, kb in joined:
        root[find(ka)] = find(kb)
    roots = np.array([find(k) for k in range(len(root))])
    return np.where(ix >= 0, roots[np.maximum(ix, 0)], -1)


def _sticky_edges(
    prior: pd.Series, index: pd.Series, cannot_ix: list[tuple[int, int]], key_ix: np.ndarray
) -> pd.DataFrame:
    """A star per earlier code, except codes a ``nonmatch`` decision cuts through and codes
    whose records hold two keys (two legal entities in one source): their records regroup by
    the model's and people's edges alone, not by a star around an arbitrary record."""
    coded = prior.dropna()
    coded = coded[coded.index.isin(index.index)]
    frame = pd.DataFrame(
        {"ix": index.reindex(coded.index.astype(str)).to_numpy(), "code": coded.to_numpy()}
    )
    cut: set[object] = set()
    if cannot_ix:
        code_of = dict(zip(frame.ix, frame.code, strict=True))
        cut = {code_of.get(a) for a, b in cannot_ix if code_of.get(a) == code_of.get(b)}
    keyed = frame.assign(key=key_ix[frame.ix.to_numpy()])
    held = keyed[keyed.key >= 0].groupby("code")["key"].nunique()
    cut |= set(held[held > 1].index)
    if cut:
        frame = frame[~frame.code.isin(cut)]
    hub = frame.groupby("code")["ix"].transform("min")
    frame = frame[frame.ix != hub]
    return pd.DataFrame(
        {"a": hub[frame.index].to_numpy(), "b": frame.ix.to_numpy(), "p": 1.0, "kind": _STICKY}
    )


def _enforce(
    labels: np.ndarray, edges: pd.DataFrame, cannot_ix: list[tuple[int, int]], key_ix: np.ndarray
) -> np.ndarray:
    """Rebuild components that join a cannot-link pair or hold two keys, strongest edges
    first; ``key_ix``: each node's key number (-1: none)."""
    labels = labels.copy()
    bad = {labels[a] for a, b in cannot_ix if labels[a] == labels[b]}
    keyed = pd.DataFrame({"label": labels, "key": key_ix})[key_ix >= 0]
    mixed = keyed.groupby("label")["key"].nunique()
    bad |= set(mixed[mixed > 1].index)
    if not bad:
        return labels
    next_label = int(labels.max()) + 1
    forbid: dict[int, set[int]] = {}
    for a, b in cannot_ix:
        forbid.setdefault(a, set()).add(b)
        forbid.setdefault(b, set()).add(a)
    # Each bad component's nodes and edges in one pass (an edge's ends share their component).
    is_bad = np.isin(labels, list(bad))
    nodes_of = pd.Series(np.arange(len(labels))[is_bad]).groupby(labels[is_bad])
    inside = edges[is_bad[edges.a.to_numpy()]]
    edges_of = dict(tuple(inside.groupby(labels[inside.a.to_numpy()])))
    empty = edges.iloc[:0]
    for comp, node_list in nodes_of:
        nodes = node_list.to_numpy()
        sub = edges_of.get(comp, empty).sort_values(["kind", "p"], ascending=False)
        root = {int(v): int(v) for v in nodes}
        members = {int(v): {int(v)} for v in nodes}
        banned = {int(v): set(forbid.get(int(v), ())) for v in nodes}
        held = {int(v): {int(key_ix[v])} - {-1} for v in nodes}

        def find(v: int, root: dict[int, int] = root) -> int:
            while root[v] != v:
                root[v] = root[root[v]]
                v = root[v]
            return v

        for a, b, kind in zip(sub.a.to_numpy(), sub.b.to_numpy(), sub.kind.to_numpy(), strict=True):
            ra, rb = find(int(a)), find(int(b))
            if ra == rb or banned[ra] & members[rb]:
                continue
            ka, kb = held[ra], held[rb]
            if kind != _MUST and not (ka <= kb or kb <= ka):
                continue  # two legal entities: only a person joins them
            root[rb] = ra
            members[ra] |= members.pop(rb)
            banned[ra] |= banned.pop(rb)
            held[ra] = ka | held.pop(rb)
        for r in {find(int(v)) for v in nodes}:
            for v in members[r]:
                labels[v] = next_label
            next_label += 1
    return labels
