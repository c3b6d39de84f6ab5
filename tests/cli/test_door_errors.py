"""A refused request through the door names the command-line option once."""

from __future__ import annotations

from pathlib import Path

import pytest
import typer

from ecohub.cli.client import DoorError, door
from ecohub.settings import Settings


@pytest.mark.parametrize(
    ("message", "field", "expected"),
    [
        ("region: no region named 'x'", "region", "--region: no region named 'x'"),
        ("params.from_: not a date", "params.from_", "--from: not a date"),
        ("not a date", "to", "--to: not a date"),
        ("--medium: must be water or gas", "medium", "--medium: must be water or gas"),
    ],
)
def test_option_named_once(
    message: str,
    field: str,
    expected: str,
    capsys: pytest.CaptureFixture[str],
    tmp_path: Path,
) -> None:
    # The door opens lazily: the error is raised inside the block, as a refused request is.
    settings = Settings(data_dir=tmp_path)
    with pytest.raises(typer.Exit), door(settings, options={"from_": "from"}):
        raise DoorError(message, 422, field)
    err = " ".join(capsys.readouterr().err.split())
    assert err == f"error: {expected}"
