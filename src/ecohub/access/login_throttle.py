"""Failed log-ins per client address, across all accounts: password spraying from one address
is slowed (OWASP ASVS 4.0.3 2.2.1, anti-automation). Kept in memory: a restart forgets it (the
locks of :mod:`ecohub.access.login` are in the store and survive one).

A token bucket per address key (:func:`ecohub.access.login.client_key`) of ``burst`` failures,
refilled at ``burst`` per ``window_s``: with 20 and 15 minutes, an address may fail 20 times at
once, then once every 45 s. Every password log-in takes a token *before* its password is checked
and a success gives it back, so parallel guesses cannot all pass a check made before any of them
failed, and a right password costs nothing.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable


class AddressThrottle:
    """``take`` before each log-in, ``give_back`` after a success; ``clock`` is seconds on a
    monotonic scale (a test passes its own)."""

    def __init__(
        self,
        burst: int,
        window_s: float,
        *,
        clock: Callable[[], float] = time.monotonic,
        max_clients: int = 100_000,
    ) -> None:
        self.burst = burst
        self.rate = burst / window_s  # tokens a second
        self.clock = clock
        self.max_clients = max_clients
        self._buckets: dict[str, tuple[float, float]] = {}  # key -> (tokens, at)
        self._lock = threading.Lock()

    def _level(self, key: str, now: float) -> float:
        tokens, at = self._buckets.get(key, (float(self.burst), now))
        return min(float(self.burst), tokens + (now - at) * self.rate)

    def take(self, key: str) -> float:
        """0 when ``key`` may try a password now (a token is taken), else the seconds until it
        may (nothing is taken)."""
        now = self.clock()
        with self._lock:
            tokens = self._level(key, now)
            if tokens < 1.0:
                self._buckets[key] = (tokens, now)
                return (1.0 - tokens) / self.rate
            self._buckets[key] = (tokens - 1.0, now)
            if len(self._buckets) > self.max_clients:
                self._forget_full(now)
        return 0.0

    def give_back(self, key: str) -> None:
        """Return the token a log-in took: it succeeded."""
        now = self.clock()
        with self._lock:
            self._buckets[key] = (min(float(self.burst), self._level(key, now) + 1.0), now)

    def clear(self) -> None:
        """Forget every address."""
        with self._lock:
            self._buckets.clear()

    def _forget_full(self, now: float) -> None:
        # A bucket that has refilled says nothing a fresh one would not: dropping those bounds
        # the table when many addresses fail (a scan), without freeing any address early.
        full_after = self.burst / self.rate
        self._buckets = {k: v for k, v in self._buckets.items() if now - v[1] < full_after}


__all__ = ["AddressThrottle"]
