"""How hard a new password is to guess: zxcvbn 4.5's estimate (GB/T 22239-2019 8.1.4.1 a
身份鉴别信息具有复杂度要求; OWASP ASVS 4.0.3 2.1.7, a check against common passwords).

zxcvbn estimates the guesses an attacker needs, knowing common passwords, English words, names,
keyboard rows, repeats, sequences, dates and l33t spellings, and the words given as user inputs:
here the user's name, ``ecohub`` and the platform's names (the ``publisher_name`` settings). Its
score is 0-4 (4: at least 10^10 guesses; 3: 10^8; 2: 10^6). A password scoring below
:data:`MIN_SCORE` is refused with zxcvbn's warning and suggestions, never with the password.

Only the first :data:`SCORED_CHARS` characters are scored. zxcvbn's time grows fast with the
length and with the number of distinct l33t characters (``4@8({[<3!|170$5+%2``): measured on
the 2-core build machine, such a string took 0.2 s at 16 characters, 1.0 s at 32, 3.4 s at 64
and about 10 s at 100 (ordinary pass phrases: under 0.1 s at any of these lengths). A prefix that
is hard to guess makes the whole password at least as hard, so scoring less lets nothing weak in.
"""

from __future__ import annotations

import threading
from collections.abc import Iterable

from zxcvbn import zxcvbn

from ecohub.access.errors import InvalidInput

#: The lowest zxcvbn score accepted: 3, "safely unguessable" online (10^8 guesses or more).
MIN_SCORE = 3
#: Characters scored (see the module's docstring for the measurement behind the number).
SCORED_CHARS = 32
#: Words of the platform itself, besides the configured publisher names.
PLATFORM_WORDS = ("ecohub",)

# zxcvbn 4.5 keeps the user inputs of a call in a module-wide dictionary
# (matching.RANKED_DICTIONARIES["user_inputs"]): two calls at once in the API's worker threads
# could each be scored against the other's user name. One call at a time.
_ZXCVBN = threading.Lock()


def user_inputs(user: str | None, platform: Iterable[str] = ()) -> list[str]:
    """The words a password must not be built on: ``user``, ``ecohub`` and each platform name,
    whole and word by word (zxcvbn matches each input as one dictionary word)."""
    words: list[str] = []
    for text in (user or "", *PLATFORM_WORDS, *platform):
        for word in (text, *text.split()):
            word = word.strip().lower()
            if len(word) >= 2 and word not in words:
                words.append(word)
    return words


def check_strength(
    password: str, *, user: str | None, platform: Iterable[str] = (), field: str = "password"
) -> None:
    """Return when ``password`` scores at least :data:`MIN_SCORE`; else :class:`InvalidInput`
    naming ``field`` and saying why, in zxcvbn's words."""
    if not password:  # zxcvbn 4.5 fails on "" (IndexError)
        raise InvalidInput(
            field, f"too easy to guess (strength 0 of 4, at least {MIN_SCORE} needed)"
        )
    with _ZXCVBN:
        result = zxcvbn(password[:SCORED_CHARS], user_inputs=user_inputs(user, platform))
    score = int(result["score"])
    if score >= MIN_SCORE:
        return
    raise InvalidInput(field, _reason(score, result))


def _reason(score: int, result: dict[str, object]) -> str:
    feedback = result.get("feedback") or {}
    assert isinstance(feedback, dict)
    warning = str(feedback.get("warning") or "")
    sequence = result.get("sequence") or []
    assert isinstance(sequence, list)
    if any(m.get("dictionary_name") == "user_inputs" for m in sequence):
        # zxcvbn has no words of its own for a match of a user input.
        warning = "It contains the user name or the platform's name. " + warning
    hints = " ".join(str(s) for s in feedback.get("suggestions") or [])
    why = " ".join(part for part in (warning.strip(), hints) if part)
    return f"too easy to guess (strength {score} of 4, at least {MIN_SCORE} needed)" + (
        f": {why}" if why else ""
    )


__all__ = ["MIN_SCORE", "SCORED_CHARS", "check_strength", "user_inputs"]
