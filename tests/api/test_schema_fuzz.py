"""Schemathesis over the whole OpenAPI document, in-process (ASGI), as an authenticated admin.

Every operation gets generated requests (valid and invalid); no answer may be a 5xx, and every
answer must match the document (status codes, content types, headers, bodies). Bounded by
``max_examples`` so the run takes about a minute.
"""

from __future__ import annotations

import atexit
import shutil
import tempfile
from pathlib import Path

import pytest
import schemathesis
from hypothesis import HealthCheck, settings
from schemathesis import checks
from schemathesis.config import SchemathesisConfig

from tests.api import door_data

_tmp = Path(tempfile.mkdtemp(prefix="ecohub-fuzz-"))
atexit.register(shutil.rmtree, _tmp, ignore_errors=True)


def _cheap_hasher() -> None:
    from argon2 import PasswordHasher

    from ecohub.access import users

    users.HASHER = PasswordHasher(time_cost=1, memory_cost=1024, parallelism=1)


_cheap_hasher()
DOOR = door_data.build(_tmp, open_rate=1e6)
ADMIN = {"Authorization": f"Bearer {DOOR.keys['admin']}"}
# Every check that judges an answer against the document. Not "positive data acceptance": an
# opaque cursor or a from/to pair can be schema-valid and still wrong (422 naming the field).
CHECKS = [
    checks.not_a_server_error,
    checks.status_code_conformance,
    checks.content_type_conformance,
    checks.response_headers_conformance,
    checks.response_schema_conformance,
    checks.negative_data_rejection,
    checks.unsupported_method,
    checks.ignored_auth,
]
# A body over the 64 KiB cap is refused with 413 before it is read (api/limits.py, documented on
# every operation): a rejection of invalid data like 400 or 422, so the negative-data check must
# count it as one (schemathesis's default list of rejection statuses, plus 413).
REJECTED = ["400", "401", "403", "404", "405", "406", "409", "413", "415", "422", "428", "429",
            "5xx"]  # fmt: skip
CONFIG = SchemathesisConfig.from_dict(
    {"checks": {"negative_data_rejection": {"expected-statuses": REJECTED}}}
)
schema = schemathesis.openapi.from_asgi("/api/v1/openapi.json", DOOR.app, config=CONFIG)


@pytest.mark.filterwarnings("ignore::DeprecationWarning")
@schema.parametrize()
@settings(
    max_examples=15,
    deadline=None,
    suppress_health_check=list(HealthCheck),
    derandomize=True,
)
def test_api_conforms(case: schemathesis.Case) -> None:
    case.call_and_validate(headers=ADMIN, checks=CHECKS, timeout=120)
