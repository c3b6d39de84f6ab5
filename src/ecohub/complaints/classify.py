"""Classify the Chinese text of a complaint into a category and a finer topic.

Word segmentation by jieba (search mode, so a long word also yields the dictionary words inside
it: 建筑工地 → 建筑, 工地, 建筑工地) and rules as data: ``data/rules.csv`` gives each keyword a
topic and a weight, ``data/topics.csv`` each topic its category. A keyword ``A+B`` matches when
both words occur anywhere in the text (夜间 + 施工). Every rule keyword is added to the
segmenter's dictionary, so it comes out as one token. A keyword ``~X`` matches wherever the
text holds ``X``, inside any word: for a few single characters that segmentation glues to their
neighbours (吵 in 太吵, 吵死; 臭 in 臭烘烘), where a token match would miss them.

Scoring: a topic scores the sum of the weights of its keywords found (each once); a category
scores the sum of its topics. The best category wins (ties: the order of ``categories.csv``);
within it the best specific topic, or the category's ``<category>_other`` topic when only its
generic words matched. No keyword at all: ``other``/``other`` with confidence 0.

The rules were written from the vocabulary of complaint handling, not fitted to the labelled
set in ``tests/complaints/data/labelled.csv`` (docs/complaints.md has the measured accuracy).
"""

from __future__ import annotations

import csv
import logging
import unicodedata
from dataclasses import dataclass
from functools import lru_cache
from importlib import resources
from typing import Any

__all__ = ["CATEGORIES", "Classification", "Rules", "classify", "classify_many", "rules", "topics"]

CATEGORIES = ("air", "water", "noise", "solid_waste", "soil", "radiation", "ecology", "other")


@dataclass(frozen=True)
class Classification:
    category: str
    topic: str
    confidence: float  # share of the winning category in all rule scores (0 when none matched)
    matched: tuple[str, ...]  # keywords that matched, in rule order


@dataclass(frozen=True)
class Rules:
    """The rule table: (topic, words, weight) per keyword; topic → category."""

    keywords: tuple[tuple[str, tuple[str, ...], float], ...]
    category_of: dict[str, str]


def _rows(name: str) -> list[dict[str, str]]:
    text = resources.files("ecohub.complaints.data").joinpath(name).read_text(encoding="utf-8")
    return list(csv.DictReader(text.splitlines()))


@lru_cache(maxsize=1)
def topics() -> dict[str, dict[str, str]]:
    """Topic id → its row of ``topics.csv`` (category, name_zh, name_en)."""
    return {r["topic"]: r for r in _rows("topics.csv")}


def _fold(text: str) -> str:
    """NFKC (full-width letters and digits) and lower case: ＫＴＶ and KTV are one word."""
    return unicodedata.normalize("NFKC", text).lower()


@lru_cache(maxsize=1)
def rules() -> Rules:
    """The rule table, checked: every topic known, every weight a positive number."""
    known = topics()
    out = []
    for i, r in enumerate(_rows("rules.csv"), start=2):
        if r["topic"] not in known:
            raise ValueError(f"rules.csv line {i}: unknown topic {r['topic']!r}")
        weight = float(r["weight"])
        if not weight > 0:
            raise ValueError(f"rules.csv line {i}: weight must be positive")
        words = tuple(w for w in _fold(r["keyword"]).split("+") if w)
        out.append((r["topic"], words, weight))
    return Rules(tuple(out), {t: row["category"] for t, row in known.items()})


@lru_cache(maxsize=1)
def _tokenizer() -> Any:
    import jieba

    jieba.setLogLevel(logging.WARNING)  # its dictionary-loading chatter would reach the CLI
    tok = jieba.Tokenizer()
    for _, words, _ in rules().keywords:
        for w in words:
            if not w.startswith("~"):
                tok.add_word(w, freq=2000)
    return tok


def tokens(text: str) -> set[str]:
    """The words of ``text`` (folded) as the rules see them."""
    return {t for t in _tokenizer().lcut_for_search(_fold(text)) if t.strip()}


def classify(text: str | None) -> Classification:
    """Category, topic, confidence and matched keywords of one complaint text."""
    if not text or not text.strip():
        return Classification("other", "other", 0.0, ())
    found = tokens(text)
    folded = _fold(text)
    r = rules()
    topic_score: dict[str, float] = {}
    matched: list[str] = []
    for topic, words, weight in r.keywords:
        if all(w[1:] in folded if w.startswith("~") else w in found for w in words):
            topic_score[topic] = topic_score.get(topic, 0.0) + weight
            matched.append("+".join(words))
    if not topic_score:
        return Classification("other", "other", 0.0, ())
    cat_score = dict.fromkeys(CATEGORIES, 0.0)
    for topic, score in topic_score.items():
        cat_score[r.category_of[topic]] += score
    category = max(CATEGORIES, key=lambda c: (cat_score[c], -CATEGORIES.index(c)))
    fallback = f"{category}_other"
    specific = {t: s for t, s in topic_score.items() if r.category_of[t] == category}
    specific.pop(fallback, None)
    order = list(topics())
    topic = max(specific, key=lambda t: (specific[t], -order.index(t))) if specific else fallback
    total = sum(cat_score.values())
    return Classification(category, topic, round(cat_score[category] / total, 3), tuple(matched))


def classify_many(texts: list[str | None]) -> list[Classification]:
    """:func:`classify` of each text (identical texts are segmented once)."""
    cache: dict[str | None, Classification] = {}
    out = []
    for t in texts:
        if t not in cache:
            cache[t] = classify(t)
        out.append(cache[t])
    return out
