"""Sign-in throttling: token buckets per user name and per client address, in this process.

An attempt takes one token from both buckets *before* the password hash is computed; when either
is empty the caller gets 429 with ``Retry-After`` at once (no hashing, no sleeping), so a flood of
wrong passwords costs next to nothing and never holds a worker thread. A successful sign-in gives
its tokens back. At most one password hash runs at a time per process: an attempt arriving while
one runs gets 429 (``Retry-After: 1``) at once, so sign-ins never take more than one thread's CPU
and every other request keeps its speed. Buckets are per worker process (``CITYBRAIN_WORKERS`` multiplies the budget);
at most ``MAX_KEYS`` keys are kept, full buckets are forgotten first.
"""

from __future__ import annotations

import math
import threading
import time
from dataclasses import dataclass

from citybrain.settings import Settings

MAX_KEYS = 20_000


@dataclass
class _Bucket:
    tokens: float
    at: float


class TokenBuckets:
    """Buckets of ``capacity`` tokens refilled by one every ``refill_s`` seconds, one per key."""

    def __init__(self, capacity: int, refill_s: float) -> None:
        self.capacity, self.refill_s = float(capacity), refill_s
        self._b: dict[str, _Bucket] = {}

    def _get(self, key: str, now: float) -> _Bucket:
        b = self._b.get(key)
        if b is None:
            if len(self._b) >= MAX_KEYS:
                self._prune(now)
            b = self._b[key] = _Bucket(self.capacity, now)
        else:
            b.tokens = min(self.capacity, b.tokens + (now - b.at) / self.refill_s)
            b.at = now
        return b

    def _prune(self, now: float) -> None:
        full = [k for k, b in self._b.items() if b.tokens + (now - b.at) / self.refill_s >= self.capacity]
        for k in full or list(self._b)[: len(self._b) // 2]:
            del self._b[k]

    def wait(self, key: str, now: float) -> float:
        """Seconds until ``key`` has a token (0: it has one now)."""
        b = self._get(key, now)
        return 0.0 if b.tokens >= 1 else (1 - b.tokens) * self.refill_s

    def take(self, key: str, now: float, n: float = 1.0) -> None:
        b = self._get(key, now)
        b.tokens = min(self.capacity, b.tokens - n)


class LoginThrottle:
    """Per-user and per-address sign-in budgets."""

    def __init__(self, settings: Settings) -> None:
        self.users = TokenBuckets(settings.login_user_attempts, settings.login_user_refill_seconds)
        self.addrs = TokenBuckets(settings.login_addr_attempts, settings.login_addr_refill_seconds)
        self._lock = threading.Lock()
        self._hashing = threading.Lock()

    def acquire(self, user: str, addr: str) -> int:
        """Take an attempt for ``user`` from ``addr``: 0, or the whole seconds to wait (nothing taken)."""
        now = time.monotonic()
        with self._lock:
            wait = max(self.users.wait(user, now), self.addrs.wait(addr, now))
            if wait > 0:
                return max(1, math.ceil(wait))
            self.users.take(user, now)
            self.addrs.take(addr, now)
            return 0

    def start_check(self, user: str, addr: str) -> bool:
        """Reserve the one password check of this process (never waits); False gives the attempt back."""
        if self._hashing.acquire(blocking=False):
            return True
        self.succeeded(user, addr)
        return False

    def end_check(self) -> None:
        self._hashing.release()

    def succeeded(self, user: str, addr: str) -> None:
        """Give back an attempt (a successful sign-in, or one that never reached the check)."""
        now = time.monotonic()
        with self._lock:
            self.users.take(user, now, -1.0)
            self.addrs.take(addr, now, -1.0)
