"""Login throttling: after a few failures, even the right password (and code) is refused a while.

Failures are counted per username and per client address (see clients.client_ip); a wrong
password, a wrong or missing one-time code and a sign-in attempt while locked all count. Reaching
LOGIN_FAILURE_LIMIT within LOGIN_FAILURE_WINDOW seconds locks that username, or that client, for
LOGIN_LOCKOUT_SECONDS. Counters live in Django's cache, so with REDIS_URL they hold across servers.
"""

from django.conf import settings
from django.core.cache import caches
from django.http import HttpRequest

from . import counters
from .clients import client_ip


class LoginThrottle:
    def __init__(self, request: HttpRequest | None, username: str):
        keys = [f"login:user:{counters.fingerprint(username.strip().casefold())}"]
        if request is not None:
            keys.append(f"login:client:{counters.fingerprint(client_ip(request))}")
        self.keys = keys
        self.user_key = keys[0]

    @property
    def _cache(self):
        return caches[settings.LOGIN_THROTTLE_CACHE]

    def is_locked(self) -> bool:
        return any(self._cache.get(f"{key}:locked") for key in self.keys)

    def failed(self) -> None:
        period = settings.LOGIN_FAILURE_WINDOW
        for key in self.keys:
            n = counters.hit(key, period, cache_alias=settings.LOGIN_THROTTLE_CACHE)
            if n >= settings.LOGIN_FAILURE_LIMIT:
                self._cache.set(f"{key}:locked", 1, timeout=settings.LOGIN_LOCKOUT_SECONDS)

    def succeeded(self) -> None:
        # Only the username's count: a client address may be shared by an attacker and a user.
        counters.reset(
            self.user_key, settings.LOGIN_FAILURE_WINDOW, cache_alias=settings.LOGIN_THROTTLE_CACHE
        )
