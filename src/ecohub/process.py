"""Settings of the running process for long-lived network work: open files, garbage collector."""

from __future__ import annotations

import contextlib
import gc

# Young-generation threshold for a long-running ingest process (CPython's default is 700).
GC_YOUNG_THRESHOLD = 50_000


def tune_gc() -> None:
    """Fewer garbage collections in a long-running network process (server or simulator).

    At full HJ 212 rate the default threshold ran ~170 collections a second in the server, each
    holding the GIL that its event loop and writer thread share: 3.9 s of a 30-s run, and 9.2k
    answered packets/s instead of 11.2k (docs/benchmarks.md). Nearly everything the exchange
    allocates is freed by reference counting, so collections become rare, not absent; what
    start-up left alive is frozen out of every collection.
    """
    gc.collect()
    gc.freeze()
    gc.set_threshold(GC_YOUNG_THRESHOLD, *gc.get_threshold()[1:])


def raise_fd_limit() -> int:
    """Raise this process's open-file limit to its hard limit: each device is a socket."""
    try:
        import resource
    except ImportError:  # not on POSIX
        return -1
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    if hard == resource.RLIM_INFINITY:
        hard = max(soft, 1 << 20)
    if soft < hard:
        with contextlib.suppress(ValueError, OSError):
            resource.setrlimit(resource.RLIMIT_NOFILE, (hard, hard))
            soft = hard
    return soft
