"""Addresses resolved to GB/T 2260 divisions per second on one core: ecohub's indexed scan
(``divisions.resolve_address``) against a straightforward scan of the same names.

The addresses are every county's full name followed by a street ("…某路1号"), the form the
registry and complaint loaders meet. The baseline finds the same name matches the way a first
implementation would: at each position of the address, every known name tried longest first
with ``startswith``. It does only the matching, not the scoring, so the ratio understates what
the index saves. Prints the figures and writes the ``## Division look-up from addresses``
section of docs/benchmarks.md (other sections untouched); ``--no-write`` only prints.
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from _report import write_section
from ecohub.standards import divisions
from ecohub.standards.divisions import ADDRESS_SCAN_CHARS, compact


def addresses() -> list[str]:
    """Every county's full name and a street."""
    codes = [
        c for c in divisions._rows() if divisions.is_valid(c) and divisions.level(c) == "county"
    ]
    return [divisions.full_name(c) + "某路1号" for c in sorted(codes)]


def naive_matches(text: str, names: list[str]) -> list[str]:
    """The names a left-to-right scan finds, each position trying every name (longest first)."""
    address = compact(text)[:ADDRESS_SCAN_CHARS]
    found, i = [], 0
    while i < len(address):
        for name in names:
            if address.startswith(name, i):
                found.append(name)
                i += len(name)
                break
        else:
            i += 1
    return found


def timed(fn: object, items: list[str], rounds: int) -> float:
    """Best seconds per call over ``rounds`` passes over ``items``."""
    best = float("inf")
    for _ in range(rounds):
        start = time.perf_counter()
        for text in items:
            fn(text)  # type: ignore[operator]
        best = min(best, (time.perf_counter() - start) / len(items))
    return best


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--rounds", type=int, default=3)
    ap.add_argument("--baseline-sample", type=int, default=300,
                    help="addresses the (slow) baseline scans")  # fmt: skip
    ap.add_argument("--no-write", action="store_true")
    args = ap.parse_args()
    items = addresses()
    divisions.resolve_address(items[0])  # the index is built once, on first use
    names = sorted(divisions._index().names, key=len, reverse=True)
    ours = timed(divisions.resolve_address, items, args.rounds)
    step = max(1, len(items) // args.baseline_sample)
    sample = items[::step]
    base = timed(lambda t: naive_matches(t, names), sample, args.rounds)
    resolved = sum(divisions.resolve_address(t) is not None for t in items)
    body = f"""`python bench/divisions.py`

{len(items):,} addresses (every county's full name and a street), {len(names):,} written names
(full and short forms). Best of {args.rounds} passes, one core.

| | µs per address | addresses/s |
|---|---|---|
| `divisions.resolve_address` (index, then scoring) | {ours * 1e6:.1f} | {1 / ours:,.0f} |
| baseline: every name at each position ({len(sample)}) | {base * 1e6:.1f} | {1 / base:,.0f} |

- Ratio baseline / ours: **{base / ours:,.0f}×**.
- Resolved to a division: {resolved:,} of {len(items):,}.
- 1 M addresses: {ours * 1e6:.0f} s with the index, {base * 1e6 / 60:,.0f} min with the baseline.
"""
    print(body)
    if not args.no_write:
        write_section("Division look-up from addresses", body)


if __name__ == "__main__":
    main()
