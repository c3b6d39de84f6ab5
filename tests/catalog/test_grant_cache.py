"""The door remembers a caller's grants briefly (``api.rules``): per caller and day, and a
decision makes every remembered lookup stale at once."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date
from typing import Any

import duckdb

from ecohub.access.principal import Principal
from ecohub.api.rules import _cached_grants, _grants
from ecohub.catalog import grants, service

OBS = "30100101-00002"
ANA = Principal("ana", "analyst", "110105")
BEN = Principal("ben", "analyst", "110105")
BOSS = Principal("boss", "admin", None)
DAY = date(2026, 1, 15)
TABLES = ("observation", "station")


@dataclass
class _State:  # the fields of api.auth.AuthState the door's grant lookup reads
    con: duckdb.DuckDBPyConnection
    cache_s: float = 60.0
    grant_cache: dict[tuple[Any, ...], Any] = field(default_factory=dict)
    day: date = DAY

    def today(self) -> date:
        return self.day


def test_a_decision_is_seen_at_once_and_lookups_stay_per_caller(
    small: duckdb.DuckDBPyConnection,
) -> None:
    service.ensure(small)
    state = _State(small)
    assert _grants(state, ANA, TABLES) == ()
    assert _cached_grants(state, ANA, TABLES) == ()  # remembered
    a = grants.apply(small, ANA, OBS, purpose="协查", region="110108",
                     valid_from=date(2026, 1, 1), valid_to=date(2026, 1, 31))  # fmt: skip
    grants.decide(small, BOSS, a["id"], "grant")
    # The decision made the remembered "no grants" stale: the next request looks again.
    assert _cached_grants(state, ANA, TABLES) is None
    held = _grants(state, ANA, TABLES)
    assert [(g.table, g.prefix) for g in held] == [("observation", "110108")]
    # Another caller of the same region and role is never answered from ana's lookup.
    assert _cached_grants(state, BEN, TABLES) is None
    assert _grants(state, BEN, TABLES) == ()
    assert _cached_grants(state, ANA, TABLES) == held
    # A new day is a new lookup (a grant ends with its last day).
    state.day = date(2026, 2, 1)
    assert _cached_grants(state, ANA, TABLES) is None
    assert _grants(state, ANA, TABLES) == ()


def test_nothing_is_remembered_when_the_cache_is_off(small: duckdb.DuckDBPyConnection) -> None:
    service.ensure(small)
    state = _State(small, cache_s=0)
    assert _grants(state, ANA, TABLES) == ()
    assert _cached_grants(state, ANA, TABLES) is None
