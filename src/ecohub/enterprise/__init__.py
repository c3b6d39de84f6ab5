"""Enterprise supervision: enforcement cases and EIA approvals linked to the registry, the
source profile (企业画像), an explainable risk score with a monthly watch list, and sources
built before their EIA approval (未批先建).

Every function takes the caller's :class:`~ecohub.access.principal.Principal` and puts its
scope in the query; an out-of-scope source is ``NotFound`` exactly as an unknown one.
"""

from ecohub.enterprise.listings import CASE_COLUMNS, EIA_COLUMNS, cases, eia
from ecohub.enterprise.loads import LoadError, load_cases, load_eia
from ecohub.enterprise.profile import profile
from ecohub.enterprise.risk import WATCHLIST_COLUMNS, explain, risk, watchlist
from ecohub.enterprise.unapproved import COLUMNS as UNAPPROVED_COLUMNS
from ecohub.enterprise.unapproved import unapproved

__all__ = [
    "CASE_COLUMNS",
    "EIA_COLUMNS",
    "UNAPPROVED_COLUMNS",
    "WATCHLIST_COLUMNS",
    "LoadError",
    "cases",
    "eia",
    "explain",
    "load_cases",
    "load_eia",
    "profile",
    "risk",
    "unapproved",
    "watchlist",
]
