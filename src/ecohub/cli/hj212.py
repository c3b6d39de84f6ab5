"""`ecohub hj212` sub-commands.

Each command is a self-contained function registered on ``app``; add new commands below.
"""

from __future__ import annotations

import json
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import typer

app = typer.Typer(no_args_is_help=True)


def _lines(source: str) -> Iterator[tuple[int, bytes]]:
    """(line number, raw bytes without CR LF) for each non-empty line of FILE or stdin."""
    try:
        stream = sys.stdin.buffer if source == "-" else Path(source).open("rb")  # noqa: SIM115
    except OSError as exc:
        from ecohub.cli._common import fail

        fail(f"FILE: cannot read {source}: {exc.strerror or exc}")
    try:
        for number, line in enumerate(stream, start=1):
            line = line.rstrip(b"\r\n")
            if line:
                yield number, line
    finally:
        if stream is not sys.stdin.buffer:
            stream.close()


def _error(number: int, name: str, detail: str) -> None:
    record = {"line": number, "error": name, "detail": detail}
    sys.stderr.write(json.dumps(record, ensure_ascii=False) + "\n")


@app.command()
def decode(
    source: str = typer.Argument(
        "-", metavar="[FILE|-]", help="Packets, one per line; - is stdin."
    ),
    lenient: bool = typer.Option(False, "--lenient", help="Accept the known deviations."),
) -> None:
    """Decode HJ 212 packets (one per line) to JSON objects (one per line) on stdout.

    A bad line is reported on stderr as {"line", "error", "detail"}; the exit code is 1 when
    any line was bad.
    """
    from ecohub.protocols.hj212 import ProtocolError, parse

    bad = False
    for number, line in _lines(source):
        try:
            packet = parse(line, lenient=lenient)
        except ProtocolError as exc:
            bad = True
            _error(number, type(exc).__name__, exc.detail)
            continue
        sys.stdout.write(
            json.dumps(packet.to_json(include_deviation=lenient), ensure_ascii=False) + "\n"
        )
    sys.stdout.flush()
    if bad:
        raise typer.Exit(1)


@app.command()
def encode(
    source: str = typer.Argument("-", metavar="[FILE|-]", help="JSON objects, one per line."),
) -> None:
    """Encode JSON objects (the form `decode` prints) to HJ 212 packets, one per line.

    A bad line is reported on stderr as {"line", "error", "detail"}; the exit code is 1 when
    any line was bad.
    """
    from ecohub.protocols.hj212 import ProtocolError, build

    bad = False
    out = sys.stdout.buffer
    for number, line in _lines(source):
        try:
            obj: Any = json.loads(line)
            if not isinstance(obj, dict):
                raise ValueError("a line must hold one JSON object")
            frame = build(
                st=obj["st"],
                cn=obj["cn"],
                pw=obj["pw"],
                mn=obj["mn"],
                cp=obj.get("cp") or {},
                qn=obj.get("qn"),
                flag=obj.get("flag"),
                pnum=obj.get("pnum"),
                pno=obj.get("pno"),
            )
        except ProtocolError as exc:
            bad = True
            _error(number, type(exc).__name__, exc.detail)
            continue
        except (ValueError, KeyError, TypeError) as exc:
            bad = True
            _error(number, type(exc).__name__, str(exc))
            continue
        out.write(frame)
    out.flush()
    if bad:
        raise typer.Exit(1)
