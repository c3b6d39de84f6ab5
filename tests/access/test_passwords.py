"""A password changed by its user, reset by an administrator, and an account enabled again."""

from __future__ import annotations

import duckdb
import pytest

from ecohub.access import login, passwords, tokens, users
from ecohub.access.errors import AuthFailed, InvalidInput
from ecohub.access.login import LoginLimits
from ecohub.access.principal import Principal
from tests.access.conftest import PASSWORD

NEW = "another long pass phrase"
SECRET = b"k" * 32


def test_a_reset_replaces_the_password_clears_the_lock_and_ends_log_ins(
    store: duckdb.DuckDBPyConnection,
) -> None:
    users.add_user(store, "ana", "analyst", "110105", [], PASSWORD)
    p = login.authenticate(store, "ana", PASSWORD)
    pair = tokens.login_tokens(store, SECRET, p)
    for _ in range(3):
        with pytest.raises(AuthFailed):
            login.authenticate(store, "ana", "wrong password!", limits=LoginLimits(max_failures=3))
    with pytest.raises(AuthFailed):  # locked
        login.authenticate(store, "ana", PASSWORD, limits=LoginLimits(max_failures=3))
    passwords.set_password(store, "ana", NEW)
    assert login.authenticate(store, "ana", NEW, limits=LoginLimits(max_failures=3)).name == "ana"
    with pytest.raises(AuthFailed):
        login.authenticate(store, "ana", PASSWORD)
    # The log-in made with the old password is over: its refresh and access tokens fail.
    with pytest.raises(AuthFailed):
        tokens.refresh(store, SECRET, pair.refresh_token)
    with pytest.raises(AuthFailed):
        tokens.verify_access_token(store, SECRET, pair.access_token)
    with pytest.raises(InvalidInput) as err:
        passwords.set_password(store, "ana", "short")
    assert err.value.field == "password"
    with pytest.raises(InvalidInput) as err:
        passwords.set_password(store, "nobody", NEW)
    assert err.value.field == "name"


def test_a_user_changes_its_own_password_with_the_current_one(
    store: duckdb.DuckDBPyConnection,
) -> None:
    users.add_user(store, "ana", "analyst", "110105", [], PASSWORD)
    me = Principal("ana", "analyst", "110105", via="password")
    with pytest.raises(AuthFailed):
        passwords.change_own(store, me, "not my password", NEW)
    # The wrong current password counted as a failed log-in.
    assert store.execute("SELECT failed_logins FROM app_user").fetchall() == [(1,)]
    with pytest.raises(InvalidInput) as err:
        passwords.change_own(store, me, PASSWORD, PASSWORD)
    assert err.value.field == "new_password"
    passwords.change_own(store, me, PASSWORD, NEW)
    assert login.authenticate(store, "ana", NEW).name == "ana"


def test_a_disabled_user_is_enabled_again(store: duckdb.DuckDBPyConnection) -> None:
    users.add_user(store, "ana", "analyst", "110105", [], PASSWORD)
    users.disable_user(store, "ana")
    with pytest.raises(AuthFailed):
        login.authenticate(store, "ana", PASSWORD)
    assert passwords.enable_user(store, "ana").enabled
    assert login.authenticate(store, "ana", PASSWORD).name == "ana"
