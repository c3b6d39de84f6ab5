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


def _reject_constant(name: str) -> Any:
    raise ValueError(f"{name} is not a number in HJ 212 (HJ 212-2017 6.3.3: digits only)")


def _cp_text(value: Any, field: str) -> str:
    """A JSON CP value as the text the frame carries: text as given, a number in HJ 212 syntax."""
    from decimal import Decimal

    from ecohub.protocols.hj212 import parse_number

    if isinstance(value, str):
        return value
    if isinstance(value, bool) or value is None:
        raise ValueError(f"{field}: must be text or a number, got {json.dumps(value)}")
    if isinstance(value, int | Decimal):
        # Decimal keeps the digits as written (12.50 stays 12.50); 'f' never writes an exponent.
        text = format(value, "f") if isinstance(value, Decimal) else str(value)
        parse_number(text, field)  # the standard's number syntax, or a MalformedNumber
        return text
    raise ValueError(f"{field}: must be text or a number, got a JSON {type(value).__name__}")


def _cp_from_json(cp: Any) -> dict[str, Any]:
    """``cp`` of an encode line: an object of text / numbers / objects of text and numbers."""
    if not isinstance(cp, dict):
        raise ValueError("cp: must be a JSON object")
    out: dict[str, Any] = {}
    for key, value in cp.items():
        if isinstance(value, dict):
            out[key] = {name: _cp_text(v, f"cp.{key}.{name}") for name, v in value.items()}
        else:
            out[key] = _cp_text(value, f"cp.{key}")
    return out


def _decode_line(line: bytes) -> Any:
    from decimal import Decimal

    try:
        return json.loads(line, parse_float=Decimal, parse_constant=_reject_constant)
    except RecursionError:
        raise ValueError("not a JSON line we read: nested too deeply") from None
    except UnicodeDecodeError as exc:
        raise ValueError(f"not UTF-8 text: {exc.reason}") from None


@app.command()
def encode(
    source: str = typer.Argument("-", metavar="[FILE|-]", help="JSON objects, one per line."),
) -> None:
    """Encode JSON objects (the form `decode` prints) to HJ 212 packets, one per line.

    A bad line is reported on stderr as {"line", "error", "detail"}; the exit code is 1 when
    any line was bad. CP values are text, or numbers written in HJ 212's number syntax (no
    exponent, Infinity or NaN).
    """
    from ecohub.protocols.hj212 import ProtocolError, build

    bad = False
    out = sys.stdout.buffer
    for number, line in _lines(source):
        try:
            obj: Any = _decode_line(line)
            if not isinstance(obj, dict):
                raise ValueError("a line must hold one JSON object")
            frame = build(
                st=obj["st"],
                cn=obj["cn"],
                pw=obj["pw"],
                mn=obj["mn"],
                cp=_cp_from_json(obj.get("cp") or {}),
                qn=obj.get("qn"),
                flag=obj.get("flag"),
                pnum=obj.get("pnum"),
                pno=obj.get("pno"),
            )
        except ProtocolError as exc:
            bad = True
            _error(number, type(exc).__name__, exc.detail)
            continue
        except KeyError as exc:
            bad = True
            _error(number, "KeyError", f"missing field {exc.args[0]!r}")
            continue
        except (ValueError, TypeError, ArithmeticError) as exc:
            # ArithmeticError: Decimal operations and int(huge Decimal) overflow
            bad = True
            _error(number, type(exc).__name__, str(exc)[:200])
            continue
        out.write(frame)
    out.flush()
    if bad:
        raise typer.Exit(1)
