"""Division prefixes of names and addresses, resolved through ``ecohub.standards.divisions``.

Chinese addresses and company names start with the divisions they sit in (河北省唐山市丰润区…),
written in full, shortened (唐山…) or left out. A regex finds *candidate* leading segments ending
in a division suffix; GB/T 2260 (via ``divisions.resolve_address``) decides whether a candidate
really is a division. Each distinct candidate is resolved once, so a million rows cost a few
thousand look-ups.
"""

from __future__ import annotations

import re
from functools import lru_cache

import pandas as pd

# A leading run of segments each ending in a division suffix (GB/T 2260 names end in one of
# these). Our own heuristic: 2–9 characters before the suffix covers 内蒙古自治区 … 丰润区.
_SUFFIX = r"(?:特别行政区|自治区|自治州|自治县|自治旗|地区|省|市|盟|州|区|县|旗)"
_SEGMENT = rf"[\u3400-\u9fff]{{1,9}}?{_SUFFIX}"
_PREFIX_RE = re.compile(rf"^((?:{_SEGMENT})+)")
_SEGMENT_RE = re.compile(_SEGMENT)


@lru_cache(maxsize=100_000)
def resolve(text: str) -> str | None:
    """The most specific GB/T 2260 code ``text`` names, or ``None`` (cached)."""
    from ecohub.standards import divisions

    if not text:
        return None
    try:
        return divisions.resolve_address(text)
    except ValueError:
        return None


def split_division_prefix(texts: pd.Series) -> tuple[pd.Series, pd.Series]:
    """(leading division part, the rest) of each text; the part is validated against GB/T 2260
    segment by segment, so 华兴市政… keeps its 华兴市."""
    cand = texts.str.extract(_PREFIX_RE, expand=False).fillna("")
    verified = cand.map(_verified_prefix_cached)
    rest = pd.Series(
        [t[len(p) :] for t, p in zip(texts.tolist(), verified.tolist(), strict=True)],
        index=texts.index,
        dtype=object,
    )
    return verified, rest


@lru_cache(maxsize=200_000)
def _verified_prefix_cached(candidate: str) -> str:
    # A segment counts when the prefix with it names a more specific division than without
    # it (新城区 alone is ambiguous, 呼和浩特市新城区 is not; 华兴钢铁厂区 adds nothing).
    kept, code = "", None
    for seg in _SEGMENT_RE.findall(candidate):
        deeper = resolve(kept + seg)
        if deeper is None or deeper == code:
            break
        kept, code = kept + seg, deeper
    return kept


def resolve_prefixes(prefixes: pd.Series) -> pd.Series:
    """GB/T 2260 code of each verified prefix (``None`` for an empty one)."""
    out = prefixes.map(lambda p: resolve(p) if p else None)
    return out.astype(object).where(out.notna(), None)


@lru_cache(maxsize=200_000)
def _short_prefecture(two: str) -> bool:
    """Whether two characters alone name a province or prefecture (唐山, 河北)."""
    code = resolve(two)
    return code is not None and code.endswith("00")


def strip_division_prefix(cores: pd.Series) -> pd.Series:
    """Names without leading divisions, full (唐山市丰润区) or shortened to two characters at
    province/prefecture level (唐山). Both sides of a comparison are stripped the same way, so a
    brand that happens to equal a place name costs only some extra candidate pairs."""
    _prefix, rest = split_division_prefix(cores)
    head = rest.str.slice(0, 2)
    short = head.map(_short_prefecture) & (rest.str.len() >= 5)
    rest = rest.where(~short, rest.str.slice(2))
    return rest
