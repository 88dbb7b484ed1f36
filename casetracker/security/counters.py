"""Fixed-window counters in Django's cache: atomic, and shared by every app server through Redis.

`cache.add` creates the counter only if it is missing and `cache.incr` is atomic on both the
local-memory cache (a lock) and Redis (INCR), so two servers hitting the same key never lose a
count. Keys carry the window's number, so an old window simply expires.
"""

import hashlib
import re
import time
from dataclasses import dataclass

from django.core.cache import caches
from django.core.exceptions import ImproperlyConfigured

_RATE = re.compile(r"^\s*(\d+)\s*/\s*(\d*)\s*([smhd])\s*$")
_UNIT_SECONDS = {"s": 1, "m": 60, "h": 3600, "d": 86400}


@dataclass(frozen=True)
class Rate:
    limit: int
    period: int  # seconds

    @classmethod
    def parse(cls, text: str) -> "Rate":
        """'60/m', '1000/h', '5/15m': how many requests in how long."""
        match = _RATE.match(text)
        if not match:
            raise ImproperlyConfigured(f"A rate looks like '60/m' or '5/15m', not {text!r}.")
        count, multiple, unit = match.groups()
        return cls(int(count), int(multiple or 1) * _UNIT_SECONDS[unit])


def fingerprint(value: str) -> str:
    """A short, fixed-length stand-in for user input in a cache key (no spaces, no length limit)."""
    return hashlib.sha256(value.encode()).hexdigest()[:32]


def hit(key: str, period: int, *, cache_alias: str = "default", now: float | None = None) -> int:
    """Count one event in the current window of `period` seconds; returns the count so far."""
    cache = caches[cache_alias]
    window = int((now if now is not None else time.time()) // period)
    full_key = f"{key}:{window}"
    for _attempt in range(2):
        cache.add(full_key, 0, timeout=period + 1)
        try:
            return cache.incr(full_key)
        except ValueError:
            # Expired between add and incr: add it again, once.
            continue
    return 1


def count(key: str, period: int, *, cache_alias: str = "default", now: float | None = None) -> int:
    cache = caches[cache_alias]
    window = int((now if now is not None else time.time()) // period)
    return int(cache.get(f"{key}:{window}") or 0)


def reset(key: str, period: int, *, cache_alias: str = "default", now: float | None = None) -> None:
    cache = caches[cache_alias]
    window = int((now if now is not None else time.time()) // period)
    cache.delete(f"{key}:{window}")
