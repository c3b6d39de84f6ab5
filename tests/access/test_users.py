from __future__ import annotations

from datetime import UTC, datetime, timedelta

import duckdb
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from ecohub.access import login, users
from ecohub.access.errors import GENERIC_FAILURE, AuthFailed, InvalidInput
from ecohub.access.login import LoginLimits
from tests.access.conftest import PASSWORD

# HJ 608-2017 Annex A: a USCC (tests/standards/test_source_codes.py works its check character)
# + sequence 001 + the marker P.
SOURCE = "91130200699229617X001P"


def test_password_is_stored_as_argon2_only(store: duckdb.DuckDBPyConnection) -> None:
    users.add_user(store, "ana", "analyst", "110105", [], PASSWORD)
    rows = store.execute("SELECT * FROM app_user").fetchall()
    assert len(rows) == 1
    text = repr(rows)
    assert PASSWORD not in text
    (stored,) = store.execute("SELECT password_hash FROM app_user").fetchone()  # type: ignore[misc]
    assert stored.startswith("$argon2id$")


@pytest.mark.parametrize(
    ("name", "role", "region", "sources", "password", "field"),
    [
        ("Ana", "analyst", "110105", [], PASSWORD, "name"),
        ("a", "analyst", "110105", [], PASSWORD, "name"),
        ("local", "admin", None, [], PASSWORD, "name"),
        ("ana", "boss", "110105", [], PASSWORD, "role"),
        ("ana", "analyst", None, [], PASSWORD, "region"),  # only an admin is nationwide
        ("ana", "analyst", "110199", [], PASSWORD, "region"),  # not in the 2023 table
        ("ana", "analyst", "11010", [], PASSWORD, "region"),
        ("ana", "enterprise", "110105", [], PASSWORD, "source"),  # needs a source
        ("ana", "enterprise", None, ["91130200699229617X001X"], PASSWORD, "source"),
        # an enterprise's scope is its sources and a region: with none it would see nothing
        ("ana", "enterprise", None, [SOURCE], PASSWORD, "region"),
        ("ana", "analyst", "110105", [SOURCE], PASSWORD, "source"),  # sources are enterprise-only
        ("ana", "analyst", "110105", [], "short pass", "password"),
        ("ana", "analyst", "110105", [], "x" * 11, "password"),
        ("ana", "analyst", "110105", [], " leading space x", "password"),
    ],
)
def test_bad_input_names_the_field(
    store: duckdb.DuckDBPyConnection,
    name: str,
    role: str,
    region: str | None,
    sources: list[str],
    password: str,
    field: str,
) -> None:
    with pytest.raises(InvalidInput) as err:
        users.add_user(store, name, role, region, sources, password)
    assert err.value.field == field
    assert store.execute("SELECT count(*) FROM app_user").fetchone() == (0,)


def test_an_enterprise_source_outside_its_region_is_refused(
    store: duckdb.DuckDBPyConnection,
) -> None:
    store.execute(
        "INSERT INTO source (source_code, region_code, status) VALUES (?, '130203', 'active')",
        [SOURCE],
    )
    with pytest.raises(InvalidInput, match=f"{SOURCE} lies in 130203, outside region 110105"):
        users.add_user(store, "plant", "enterprise", "110105", [SOURCE], PASSWORD)
    # its own district, or a division above it, is fine
    assert users.add_user(store, "plant", "enterprise", "130200", [SOURCE], PASSWORD).sources


def test_minimum_length_says_why(store: duckdb.DuckDBPyConnection) -> None:
    with pytest.raises(InvalidInput, match="at least 12 characters"):
        users.add_user(store, "ana", "analyst", "110105", [], "eleven char")


def test_valid_scopes(store: duckdb.DuckDBPyConnection) -> None:
    admin = users.add_user(store, "root", "admin", None, [], PASSWORD)
    ent = users.add_user(store, "plant", "enterprise", "130200", [SOURCE, SOURCE], PASSWORD)
    ana = users.add_user(store, "ana", "analyst", "110000", [], PASSWORD)
    assert (admin.region, ent.sources, ana.region) == (None, (SOURCE,), "110000")
    assert [u.name for u in users.list_users(store)] == ["ana", "plant", "root"]
    with pytest.raises(InvalidInput, match="exists"):
        users.add_user(store, "ana", "analyst", "110105", [], PASSWORD)


def test_authenticate_and_generic_failures(store: duckdb.DuckDBPyConnection) -> None:
    users.add_user(store, "ana", "analyst", "110105", [], PASSWORD)
    users.add_user(store, "bob", "analyst", "110105", [], PASSWORD)
    p = login.authenticate(store, "ana", PASSWORD)
    assert (p.name, p.role, p.region, p.via) == ("ana", "analyst", "110105", "password")
    users.disable_user(store, "bob")
    failures = []
    for name, password in [("ana", PASSWORD + "x"), ("nobody", PASSWORD), ("bob", PASSWORD)]:
        with pytest.raises(AuthFailed) as err:
            login.authenticate(store, name, password)
        failures.append(err.value)
    assert {str(f) for f in failures} == {GENERIC_FAILURE}
    assert [f.reason for f in failures] == ["wrong password", "unknown user", "disabled"]


def test_lockout_after_n_failures_at_one_address(store: duckdb.DuckDBPyConnection) -> None:
    users.add_user(store, "ana", "analyst", "110105", [], PASSWORD)
    three = LoginLimits(max_failures=3)

    def log_in(password: str, client: str = "198.51.100.7") -> str:
        return login.authenticate(store, "ana", password, client=client, limits=three).name

    for _ in range(2):
        with pytest.raises(AuthFailed):
            log_in("wrong password!")
    # A success resets the count.
    log_in(PASSWORD)
    assert store.execute("SELECT failures FROM login_failure").fetchall() == [(0,)]
    for _ in range(3):
        with pytest.raises(AuthFailed):
            log_in("wrong password!")
    # Locked at that address: now even the right password fails there, with the same message.
    with pytest.raises(AuthFailed, match=f"^{GENERIC_FAILURE}$") as err:
        log_in(PASSWORD)
    assert err.value.reason == "locked at this address"
    (until,) = store.execute("SELECT locked_until FROM login_failure").fetchone()  # type: ignore[misc]
    assert timedelta(minutes=14) < until - datetime.now(UTC) <= timedelta(minutes=15)
    # The account itself is not locked: the right password from another address logs in.
    assert store.execute("SELECT locked_until FROM app_user").fetchone() == (None,)
    assert log_in(PASSWORD, client="203.0.113.9") == "ana"
    # When the lock has run out, the right password works again at the first address.
    store.execute(
        "UPDATE login_failure SET locked_until = ? WHERE client = '198.51.100.7'",
        [datetime.now(UTC) - timedelta(seconds=1)],
    )
    assert log_in(PASSWORD) == "ana"
    assert store.execute(
        "SELECT failures, locked_until FROM login_failure WHERE client = '198.51.100.7'"
    ).fetchall() == [(0, None)]


def test_parallel_guesses_get_no_more_verifications_than_the_limit(
    store: duckdb.DuckDBPyConnection,
) -> None:
    # 40 guesses at once: once the lock was checked before the slow verification, 11 of them
    # were verified against a limit of 5. Verifications of the stored hash are counted on the
    # real hasher (a refused guess still burns one on a dummy hash, for equal timing).
    import threading

    users.add_user(store, "ana", "analyst", "110105", [], PASSWORD)
    (stored,) = store.execute("SELECT password_hash FROM app_user").fetchall()[0]
    real, seen, lock = users.HASHER, [], threading.Lock()

    class Counting:
        def __getattr__(self, attr: str) -> object:
            return getattr(real, attr)

        def verify(self, digest: str, password: str) -> bool:
            if digest == stored:
                with lock:
                    seen.append(password)
            return real.verify(digest, password)

    users.HASHER = Counting()  # type: ignore[assignment]
    try:
        barrier = threading.Barrier(8)

        def guess() -> None:
            cur = store.cursor()
            try:
                barrier.wait()
                for _ in range(5):
                    with pytest.raises(AuthFailed):
                        login.authenticate(
                            cur, "ana", "not the password", limits=LoginLimits(max_failures=5)
                        )
            finally:
                cur.close()

        threads = [threading.Thread(target=guess) for _ in range(8)]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
    finally:
        users.HASHER = real
    assert len(seen) == 5


def test_disable_unknown_user(store: duckdb.DuckDBPyConnection) -> None:
    with pytest.raises(InvalidInput, match="no user"):
        users.disable_user(store, "ghost")


def test_parallel_guesses_cannot_dodge_the_lock(store: duckdb.DuckDBPyConnection) -> None:
    import threading

    users.add_user(store, "ana", "analyst", "110105", [], PASSWORD)

    def guess() -> None:
        cur = store.cursor()
        try:
            for _ in range(2):
                with pytest.raises(AuthFailed):
                    login.authenticate(
                        cur, "ana", "not the password", limits=LoginLimits(max_failures=5)
                    )
        finally:
            cur.close()

    threads = [threading.Thread(target=guess) for _ in range(4)]  # 8 guesses at once
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    # Locked at the one address all eight came from (a local call's: unknown, "").
    (until,) = store.execute("SELECT locked_until FROM login_failure WHERE client = ''").fetchall()[
        0
    ]
    assert until is not None
    with pytest.raises(AuthFailed) as err:
        login.authenticate(store, "ana", PASSWORD)
    assert err.value.reason == "locked at this address"


@settings(
    max_examples=150, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(
    name=st.text(max_size=40),
    role=st.one_of(
        st.sampled_from(["admin", "analyst", "enterprise", "public"]), st.text(max_size=12)
    ),
    region=st.one_of(st.none(), st.text(max_size=8), st.from_regex(r"[0-9]{6}", fullmatch=True)),
    sources=st.lists(st.text(max_size=24), max_size=3),
    password=st.text(max_size=40),
)
def test_junk_is_refused_by_field_or_accepted(
    store: duckdb.DuckDBPyConnection,
    name: str,
    role: str,
    region: str | None,
    sources: list[str],
    password: str,
) -> None:
    """Whatever comes in, add_user either creates the user or raises InvalidInput naming a field."""
    try:
        user = users.add_user(store, name, role, region, sources, password)
    except InvalidInput as exc:
        assert exc.field in {"name", "role", "region", "source", "password"}
        return
    assert users.get_user(store, user.name) == user
    store.execute("DELETE FROM app_user")
