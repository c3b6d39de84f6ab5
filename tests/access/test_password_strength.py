"""A new password must be hard to guess (security assessment F6: ``aaaaaaaaaaaa``,
``password1234`` and the user name repeated were accepted; GB/T 22239-2019 8.1.4.1 a)."""

from __future__ import annotations

import duckdb
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from zxcvbn import zxcvbn

from ecohub.access import passwords, users
from ecohub.access.errors import InvalidInput
from ecohub.access.password_strength import SCORED_CHARS, check_strength, user_inputs
from ecohub.access.principal import Principal
from tests.access.conftest import PASSWORD

PLATFORM = ("ecohub 生态环境数据平台", "ecohub environmental data platform")  # the defaults


def _refusal(password: str, user: str, platform: tuple[str, ...] = PLATFORM) -> str:
    with pytest.raises(InvalidInput) as err:
        check_strength(password, user=user, platform=platform)
    assert err.value.field == "password"
    assert password not in err.value.message  # never echoed
    return err.value.message


@pytest.mark.parametrize(
    ("password", "user", "why"),
    [
        # The assessor's three (F6), with the warning zxcvbn gives for each.
        ("aaaaaaaaaaaa", "weak1", 'Repeats like "aaa" are easy to guess.'),
        ("password1234", "weak2", "This is a very common password."),
        ("weak3weak3weak3", "weak3", 'Repeats like "abcabcabc"'),
        # Built on the user's name: strong for anyone else.
        ("liqiang.hd2026!", "liqiang.hd", "It contains the user name or the platform's name."),
        # Built on the platform's name.
        ("生态环境数据平台2026", "ana", "It contains the user name or the platform's name."),
    ],
)
def test_weak_passwords_are_refused_saying_why(password: str, user: str, why: str) -> None:
    message = _refusal(password, user)
    assert message.startswith("too easy to guess (strength ")
    assert "at least 3 needed" in message and why in message


def test_the_user_and_platform_names_are_what_make_them_weak() -> None:
    # zxcvbn alone (no user inputs) rates both at the top: the names given are what count.
    for password in ("liqiang.hd2026!", "生态环境数据平台2026"):
        assert zxcvbn(password)["score"] == 4
    check_strength("liqiang.hd2026!", user="ana", platform=PLATFORM)  # not ana's name
    check_strength("生态环境数据平台2026", user="ana", platform=())  # not this platform's


def test_user_inputs_are_the_names_whole_and_word_by_word() -> None:
    assert user_inputs("Ana", PLATFORM) == [
        "ana", "ecohub", "ecohub 生态环境数据平台", "生态环境数据平台",
        "ecohub environmental data platform", "environmental", "data", "platform",
    ]  # fmt: skip


@pytest.mark.parametrize(
    "password",
    [
        PASSWORD,  # the tests' fixture
        "choose-a-long-password",  # README's examples
        "another-long-password",
        "a long pass phrase",  # docs/operations.md's and docs/console.md's
        "another long pass phrase",
    ],
)
def test_pass_phrases_of_the_docs_and_tests_are_strong(password: str) -> None:
    check_strength(password, user="chaoyang", platform=PLATFORM)


def test_only_the_first_characters_are_scored() -> None:
    strong = "correct horse battery staple 77"
    assert len(strong) < SCORED_CHARS
    # What follows the scored prefix neither weakens nor strengthens it.
    check_strength(strong + "a" * 900, user="ana")
    _refusal("a" * SCORED_CHARS + strong, "ana")
    # The slowest input known (every l33t character zxcvbn knows, repeated; ~10 s were it
    # scored to 100 characters) is scored on its prefix: 32 symbols without a pattern.
    check_strength("4@8({[<3!|170$5+%2" * 56, user="ana")


@settings(
    max_examples=80, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(password=st.text(max_size=60), user=st.text(max_size=40))
def test_any_text_is_accepted_or_refused_naming_the_field(password: str, user: str) -> None:
    try:
        check_strength(password, user=user, platform=PLATFORM)
    except InvalidInput as exc:
        assert exc.field == "password"


def test_every_way_to_set_a_password_checks_it(store: duckdb.DuckDBPyConnection) -> None:
    with pytest.raises(InvalidInput, match=r"^password: too easy to guess"):
        users.add_user(store, "weak3", "analyst", "110105", [], "weak3weak3weak3")
    assert users.list_users(store) == []
    users.add_user(store, "ana", "analyst", "110105", [], PASSWORD)
    with pytest.raises(InvalidInput, match=r"^password: too easy to guess"):
        passwords.set_password(store, "ana", "password1234")
    me = Principal("ana", "analyst", "110105", via="password")
    with pytest.raises(InvalidInput, match=r"^new_password: too easy to guess"):
        passwords.change_own(store, me, PASSWORD, "aaaaaaaaaaaa")
    # The platform's names, as the API passes them from the settings.
    with pytest.raises(InvalidInput, match=r"^password: too easy to guess"):
        passwords.set_password(store, "ana", "生态环境数据平台2026", platform=PLATFORM)
