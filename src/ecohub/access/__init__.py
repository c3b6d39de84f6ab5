"""Who is asking and what they may see: principals, roles, region and source scope.

Sits below the domain packages: every service takes a :class:`Principal` and adds the predicates
of :mod:`ecohub.access.scope` to its query before data is read.
"""

from ecohub.access.principal import ROLES, Principal, Role
from ecohub.access.scope import AccessDenied, region_prefix, region_sql, require_role, source_sql

__all__ = [
    "ROLES",
    "AccessDenied",
    "Principal",
    "Role",
    "region_prefix",
    "region_sql",
    "require_role",
    "source_sql",
]
