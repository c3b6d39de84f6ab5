"""Full-text search of the catalogue, Chinese and English: an inverted index in a table.

Terms are Latin words (lower case, NFKC; ``pm2.5`` is also indexed as ``pm25``) and, for Chinese,
every pair of adjacent characters (character bigrams; a lone character is its own term). A query
is cut the same way and matches the resources that hold **all** its terms, ranked by BM25 term
weights. "细颗粒物" becomes 细颗 颗粒 粒物, found wherever the text says 细颗粒物.

Why bigrams and a table rather than a word segmenter and DuckDB ``fts``: a segmenter (jieba)
cuts the same word differently by context and dictionary (细颗粒物 alone vs in 细颗粒物浓度), so a
query can miss a document that contains it verbatim; bigrams give the same terms for the same
string everywhere. DuckDB's ``fts`` index is a snapshot rebuilt by a PRAGMA and its tokenizer
drops non-Latin characters unless reconfigured; the catalogue is small (tens to thousands of
resources), so a plain term table, rebuilt with the definitions, is simpler and always current.
"""

from __future__ import annotations

import math
import re
import unicodedata
from collections import Counter
from typing import Any

import duckdb

from ecohub.access.principal import Principal
from ecohub.catalog import visibility
from ecohub.catalog._db import replace_rows, transaction
from ecohub.catalog.resources import CURRENT
from ecohub.queries import QueryError

_LATIN = re.compile(r"[a-z0-9]+(?:\.[a-z0-9]+)*")
_CJK = re.compile(r"[\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff]+")
MAX_QUERY_CHARS = 200
K1 = 1.2
#: How much more a term in the name counts than one in the abstract or the items.
NAME_WEIGHT = 3


def terms(text: str) -> list[str]:
    """The index terms of ``text`` in order (with repeats)."""
    norm = unicodedata.normalize("NFKC", text or "").lower()
    out: list[str] = []
    for word in _LATIN.findall(norm):
        out.append(word)
        if "." in word:
            out.append(word.replace(".", ""))
    for run in _CJK.findall(norm):
        if len(run) == 1:
            out.append(run)
        else:
            out.extend(run[i : i + 2] for i in range(len(run) - 1))
    return out


def _document(con: duckdb.DuckDBPyConnection, code: str) -> Counter[str]:
    rows = con.execute(
        "SELECT name_zh, name_en, abstract_zh, abstract_en, theme, subtheme, provider, "
        "table_name, code, sharing_type, open_type, update_cycle FROM catalog_resource "
        "WHERE code = ?",
        [code],
    ).fetchall()
    if not rows:
        return Counter()
    r = rows[0]
    tf: Counter[str] = Counter()
    for t in terms(f"{r[0]} {r[1]}"):
        tf[t] += NAME_WEIGHT
    tf.update(terms(" ".join(str(x) for x in r[2:] if x)))
    for name, name_zh, standard in con.execute(
        "SELECT name, name_zh, standard FROM catalog_item WHERE code = ?", [code]
    ).fetchall():
        tf.update(terms(" ".join(x for x in (name, name_zh, standard) if x)))
    return tf


def reindex(con: duckdb.DuckDBPyConnection) -> int:
    """Rebuild the term table from the catalogue; return the number of resources indexed."""
    codes = [
        r[0] for r in con.execute(f"SELECT code FROM catalog_resource WHERE {CURRENT}").fetchall()
    ]
    rows = [[code, term, n] for code in codes for term, n in _document(con, code).items()]
    with transaction(con):
        replace_rows(con, "catalog_term", ("code", "term", "tf"), ("code", "term"), rows)
    return len(codes)


def query_terms(q: str) -> list[str]:
    """The distinct terms of a query; ``q: ...`` when it has none or is too long."""
    if len(q) > MAX_QUERY_CHARS:
        raise QueryError("q", f"at most {MAX_QUERY_CHARS} characters")
    found = list(dict.fromkeys(terms(q)))
    if not found:
        raise QueryError("q", "no searchable words (Latin letters, digits or Chinese characters)")
    return found


def match(con: duckdb.DuckDBPyConnection, q: str, p: Principal | None = None) -> dict[str, float]:
    """Resource code -> BM25 score of the resources ``p`` sees (``None``: every one) holding
    every term of ``q``. The collection is the entries ``p`` sees, in the query: a hidden
    entry neither matches nor moves a score (its terms would change the document counts)."""
    want = query_terms(q)
    where, wp = visibility.listed(p)
    seen = f"code IN (SELECT r.code FROM catalog_resource r {visibility.PUBLICATION} WHERE {where})"
    counted = con.execute(f"SELECT count(DISTINCT code) FROM catalog_term WHERE {seen}", wp)
    n_docs = counted.fetchall()[0][0] or 0
    marks = ", ".join("?" for _ in want)
    rows = con.execute(
        f"SELECT code, term, tf, count(*) OVER (PARTITION BY term) AS df FROM catalog_term "
        f"WHERE term IN ({marks}) AND {seen}",
        [*want, *wp],
    ).fetchall()
    hits: dict[str, set[str]] = {}
    score: dict[str, float] = {}
    for code, term, tf, df in rows:
        idf = math.log(1 + (n_docs - df + 0.5) / (df + 0.5))
        score[code] = score.get(code, 0.0) + idf * tf * (K1 + 1) / (tf + K1)
        hits.setdefault(code, set()).add(term)
    return {c: s for c, s in score.items() if len(hits[c]) == len(want)}


def ranked(
    con: duckdb.DuckDBPyConnection, q: str, p: Principal | None = None
) -> list[tuple[str, float]]:
    """(code, score) of the resources ``p`` sees, best first."""
    found = match(con, q, p)
    return sorted(found.items(), key=lambda kv: (-kv[1], kv[0]))


def explain(q: str) -> dict[str, Any]:
    """What a query is cut into (shown by the CLI and the API next to the results)."""
    return {"q": q, "terms": query_terms(q)}
