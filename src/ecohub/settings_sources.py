"""Where settings come from (the TOML file, the environment) and how a bad one is reported.

Every problem becomes a :class:`SettingsError`: one line naming the setting, where its value
came from (its ``ECOHUB_*`` variable, or the key in the TOML file) and the reason. Values that
may hold secrets (alert channels) and text that is not even JSON are never echoed.
"""

from __future__ import annotations

import difflib
import json
import os
import tomllib
from collections.abc import Collection, Mapping
from pathlib import Path
from typing import Any, get_origin

from pydantic import ValidationError
from pydantic.fields import FieldInfo
from pydantic_settings import EnvSettingsSource

#: Settings whose values may hold secrets: an error about them never shows the value.
SECRET_SETTINGS = frozenset({"alert_channels"})


class SettingsError(ValueError):
    """Settings that cannot be used. The message is one line naming the setting (and its
    ``ECOHUB_*`` variable or the TOML file) and the reason; the CLI prints it as it is."""


class BadEnvJson(Exception):  # not a ValueError: pydantic-settings would wrap that
    """A JSON-valued ``ECOHUB_*`` variable that is not JSON; the message is the whole line."""


def variable(name: str) -> str:
    return f"ECOHUB_{name.upper()}"


class EnvSource(EnvSettingsSource):
    """The ``ECOHUB_*`` variables, as pydantic-settings reads them, except that a JSON-valued
    one that is not JSON is a one-line error (pydantic-settings raised its own ``SettingsError``
    with a traceback, before any validator could see the value)."""

    def decode_complex_value(self, field_name: str, field: FieldInfo, value: Any) -> Any:
        try:
            return super().decode_complex_value(field_name, field, value)
        except json.JSONDecodeError as exc:
            shape = "an object" if get_origin(field.annotation) is dict else "a list"
            raise BadEnvJson(
                f"{field_name} ({variable(field_name)}): not valid JSON ({exc.msg} at line "
                f"{exc.lineno} column {exc.colno}); expected {shape}; the value is not shown"
            ) from None


def toml_values(known: Collection[str]) -> tuple[dict[str, Any], str]:
    """The settings in the TOML file (``ECOHUB_CONFIG``, else ``./ecohub.toml`` if present) and
    the file's path; a key that is not a setting is refused, naming the key and the file
    (and the closest setting, for a typo): a mistyped ``lake`` or ``node_id`` must not fall
    back to its default without a word."""
    path = os.environ.get("ECOHUB_CONFIG")
    candidate = Path(path) if path else Path("ecohub.toml")
    where = f"ECOHUB_CONFIG ({candidate})" if path else f"settings file {candidate}"
    if not candidate.is_file():
        if path:
            reason = "is not a file" if candidate.exists() else "no such file"
            raise SettingsError(f"{where}: {reason}")
        return {}, str(candidate)
    try:
        with candidate.open("rb") as fh:
            data = tomllib.load(fh)
    except tomllib.TOMLDecodeError as exc:
        raise SettingsError(f"{where}: malformed TOML: {exc}") from None
    except (OSError, ValueError) as exc:  # unreadable, or not UTF-8 text
        raise SettingsError(f"{where}: cannot read: {exc}") from None
    section = data.get("ecohub", data)
    if not isinstance(section, dict):
        raise SettingsError(f"{where}: [ecohub] must be a table of settings")
    for key in section:
        if key not in known:
            close = closest(key, known)
            hint = f" (did you mean {close}?)" if close else ""
            raise SettingsError(f"{where}: unknown setting {key!r}{hint}")
    return dict(section), str(candidate)


def closest(key: str, known: Collection[str]) -> str | None:
    """The setting ``key`` was probably meant to be: one it begins with or that begins with it
    (``lake_path``: ``lake``; ``node``: ``node_id``), else the most similar spelling."""
    key = key.lower()
    starts = [k for k in known if key.startswith(k) or k.startswith(key)]
    if starts:
        return min(starts, key=lambda k: abs(len(k) - len(key)))
    close = difflib.get_close_matches(key, list(known), n=1, cutoff=0.6)
    return close[0] if close else None


#: ``ECOHUB_*`` variables that are read on purpose but are not settings: the settings file's
#: path, and the web console's script folder (a development override, web/mount.py).
NOT_SETTINGS = frozenset({"ECOHUB_CONFIG", "ECOHUB_WEB_VENDOR"})


def unknown_variables(
    known: Collection[str], environ: Mapping[str, str] | None = None
) -> list[str]:
    """One line for each ``ECOHUB_*`` variable that is no setting, naming the setting it was
    probably meant to be. A mistyped variable (``ECOHUB_HTTP_PROT``) leaves the default in
    force; unlike a mistyped TOML key it is not refused, because the environment is shared with
    other programs, but it must not go unmentioned."""
    env = os.environ if environ is None else environ
    out = []
    for name in sorted(env):
        if not name.startswith("ECOHUB_") or name in NOT_SETTINGS:
            continue
        key = name.removeprefix("ECOHUB_").lower()
        if key in known:
            continue
        close = closest(key, known)
        hint = f" (did you mean {variable(close)}?)" if close else ""
        out.append(f"{name} is not a setting and is ignored{hint}")
    return out


def describe(exc: ValidationError, from_file: Mapping[str, str]) -> str:
    """One line naming each bad setting, where its value came from (``from_file``: setting ->
    the file it came from, else its variable), the reason and the value given."""
    parts = []
    for err in exc.errors():
        loc = [str(part) for part in err["loc"]]
        name = ".".join(loc) or "settings"
        given = repr(err.get("input"))
        given = given if len(given) <= 60 else given[:57] + "..."
        if loc[0] in SECRET_SETTINGS:  # a channel holds its secrets: never echo it
            given = "(not shown: a channel may hold secrets)"
        source = from_file.get(loc[0])
        origin = f"key {loc[0]} in {source}" if source else variable(loc[0])
        parts.append(f"{name} ({origin}): {err['msg']}; got {given}")
    return "; ".join(parts)
