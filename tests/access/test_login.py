"""Log-in lock-outs per (account, client address), the account-wide backstop and the per-address
throttle (security assessment F3: 5 unauthenticated wrong passwords locked any account, the
admin included, for everyone)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import duckdb
import pytest

from ecohub.access import login, passwords, users
from ecohub.access.errors import GENERIC_FAILURE, AuthFailed, Throttled
from ecohub.access.login import LoginLimits, client_key
from ecohub.access.login_throttle import AddressThrottle
from tests.access.conftest import PASSWORD

ATTACKER, USER = "198.51.100.66", "203.0.113.10"
WRONG = "not the password"


def _refused(
    con: duckdb.DuckDBPyConnection, password: str, client: str, limits: LoginLimits
) -> AuthFailed:
    with pytest.raises(AuthFailed, match=f"^{GENERIC_FAILURE}$") as err:
        login.authenticate(con, "root", password, client=client, limits=limits)
    return err.value


def test_wrong_passwords_from_one_address_lock_the_account_there_only(
    store: duckdb.DuckDBPyConnection,
) -> None:
    users.add_user(store, "root", "admin", None, [], PASSWORD)
    limits = LoginLimits()  # the defaults: 5 at one address, 100 from all, 15 minutes
    reasons = [_refused(store, WRONG, ATTACKER, limits).reason for _ in range(5)]
    assert reasons == ["wrong password"] * 4 + [
        "wrong password; locked at this address after 5 failures"
    ]
    # The attacker's address: refused even with the right password, answered alike.
    assert _refused(store, PASSWORD, ATTACKER, limits).reason == "locked at this address"
    # The administrator, from anywhere else: logs in.
    p = login.authenticate(store, "root", PASSWORD, client=USER, limits=limits)
    assert (p.name, p.role) == ("root", "admin")
    # Lock state as the operator sees it: no account-wide lock, one lock at the attacker's.
    (root,) = users.list_users(store)
    assert root.locked_until is None
    assert [c for c, _ in root.locked_addresses] == [ATTACKER]
    assert root.as_dict()["locked_addresses"][0]["client"] == ATTACKER
    # `ecohub user enable` lifts it early.
    assert passwords.enable_user(store, "root").locked_addresses == ()
    assert (
        login.authenticate(store, "root", PASSWORD, client=ATTACKER, limits=limits).name == "root"
    )


def test_refusals_while_locked_add_nothing_to_the_account_count(
    store: duckdb.DuckDBPyConnection,
) -> None:
    # One attacker hammering a locked address must not reach the account-wide backstop: only
    # verified wrong passwords count (3 here, then 20 refusals without a verification).
    users.add_user(store, "root", "admin", None, [], PASSWORD)
    limits = LoginLimits(max_failures=3, account_max_failures=7)
    for _ in range(23):
        _refused(store, WRONG, ATTACKER, limits)
    assert store.execute("SELECT failed_logins, locked_until FROM app_user").fetchall() == [
        (3, None)
    ]


def test_failures_from_many_addresses_lock_the_account_everywhere(
    store: duckdb.DuckDBPyConnection,
) -> None:
    users.add_user(store, "root", "admin", None, [], PASSWORD)
    limits = LoginLimits(max_failures=3, account_max_failures=7)
    # 3 + 3 + 1 = 7 wrong passwords from three addresses: the seventh locks every address.
    for client in ("192.0.2.1", "192.0.2.2"):
        for _ in range(3):
            _refused(store, WRONG, client, limits)
    last = _refused(store, WRONG, "192.0.2.3", limits).reason
    assert last == "wrong password; locked at every address after 7 failures from all"
    assert _refused(store, PASSWORD, USER, limits).reason == "locked at every address"
    (until,) = store.execute("SELECT locked_until FROM app_user").fetchone()  # type: ignore[misc]
    assert timedelta(minutes=14) < until - datetime.now(UTC) <= timedelta(minutes=15)
    assert users.list_users(store)[0].locked_until == until
    # A password reset clears every lock, account-wide and at each address.
    passwords.set_password(store, "root", "another long pass phrase")
    for client in ("192.0.2.1", USER):
        p = login.authenticate(
            store, "root", "another long pass phrase", client=client, limits=limits
        )
        assert p.name == "root"


def test_the_account_count_starts_afresh_after_its_window(
    store: duckdb.DuckDBPyConnection,
) -> None:
    users.add_user(store, "root", "admin", None, [], PASSWORD)
    limits = LoginLimits(max_failures=3, account_max_failures=7)
    # 6 failures in a window that began 16 minutes ago (the window is the 15-minute lock-out
    # period): the next failure opens a new window and is its first, so nothing is locked.
    store.execute(
        "UPDATE app_user SET failed_logins = 6, failures_since = ?",
        [datetime.now(UTC) - timedelta(minutes=16)],
    )
    assert _refused(store, WRONG, ATTACKER, limits).reason == "wrong password"
    assert store.execute("SELECT failed_logins, locked_until FROM app_user").fetchall() == [
        (1, None)
    ]


@pytest.mark.parametrize(
    ("address", "key"),
    [
        ("203.0.113.7", "203.0.113.7"),
        ("2001:db8:1:2:3:4:5:6", "2001:db8:1:2::/64"),  # one link's /64 is one client
        ("2001:DB8:1:2::", "2001:db8:1:2::/64"),
        ("::ffff:192.0.2.1", "192.0.2.1"),  # IPv4-mapped: the IPv4 client
        ("testclient", "testclient"),  # not an IP address: as given
        (None, ""),  # a local call
        ("", ""),
    ],
)
def test_client_key(address: str | None, key: str) -> None:
    assert client_key(address) == key


def test_addresses_of_one_ipv6_network_share_a_lock(store: duckdb.DuckDBPyConnection) -> None:
    users.add_user(store, "root", "admin", None, [], PASSWORD)
    limits = LoginLimits(max_failures=3)
    for host in ("2001:db8::1", "2001:db8::2", "2001:db8::3"):  # a new address per guess
        _refused(store, WRONG, host, limits)
    assert _refused(store, PASSWORD, "2001:db8::ffff", limits).reason == "locked at this address"
    p = login.authenticate(store, "root", PASSWORD, client="2001:db8:0:1::1", limits=limits)
    assert p.name == "root"


class Clock:
    """Seconds that a test moves by hand."""

    def __init__(self) -> None:
        self.now = 0.0

    def __call__(self) -> float:
        return self.now


def test_the_address_throttle_counts_failures_and_refills() -> None:
    # 2 failures per 4 s: a bucket of 2 refilled at 0.5 a second.
    clock = Clock()
    throttle = AddressThrottle(2, 4.0, clock=clock)
    assert [throttle.take("a"), throttle.take("a")] == [0.0, 0.0]
    assert throttle.take("a") == 2.0  # empty: one token takes 1 / 0.5 s
    assert throttle.take("b") == 0.0  # another address is not affected
    clock.now = 1.0  # half a token back
    assert throttle.take("a") == 1.0
    clock.now = 2.0  # one token back
    assert throttle.take("a") == 0.0
    throttle.give_back("a")  # that log-in succeeded
    assert throttle.take("a") == 0.0
    assert throttle.take("a") == 2.0


def test_log_in_is_throttled_per_address_across_accounts(
    store: duckdb.DuckDBPyConnection,
) -> None:
    users.add_user(store, "root", "admin", None, [], PASSWORD)
    users.add_user(store, "ana", "analyst", "110105", [], PASSWORD)
    clock = Clock()
    throttle = AddressThrottle(3, 90.0, clock=clock)  # 3 failures, then one per 30 s
    limits = LoginLimits()

    def log_in(name: str, password: str, client: str = ATTACKER) -> str:
        p = login.log_in(store, name, password, client=client, limits=limits, throttle=throttle)
        return p.name

    # Successes cost nothing.
    for _ in range(5):
        assert log_in("ana", PASSWORD) == "ana"
    # Spraying: one guess at each of three names (one of them unknown) uses the address up.
    for name in ("root", "ana", "nobody"):
        with pytest.raises(AuthFailed):
            log_in(name, WRONG)
    with pytest.raises(Throttled) as err:
        log_in("root", PASSWORD)  # even the right password waits: nothing is looked at
    assert (err.value.retry_after, err.value.seconds) == (30.0, 30)
    # No verification was spent on it: root has one failure, from the spray.
    assert store.execute("SELECT failed_logins FROM app_user WHERE name = 'root'").fetchall() == [
        (1,)
    ]
    assert log_in("root", PASSWORD, client=USER) == "root"  # another address
    clock.now = 30.0
    assert log_in("root", PASSWORD) == "root"


def test_locks_that_have_run_out_are_not_shown(store: duckdb.DuckDBPyConnection) -> None:
    users.add_user(store, "root", "admin", None, [], PASSWORD)
    past = datetime.now(UTC) - timedelta(seconds=1)
    store.execute("UPDATE app_user SET locked_until = ?", [past])
    store.execute("INSERT INTO login_failure VALUES ('root', ?, 0, ?, ?)", [ATTACKER, past, past])
    (root,) = users.list_users(store)
    assert (root.locked_until, root.locked_addresses) == (None, ())
    assert users.get_user(store, "root", locks=True) == root
