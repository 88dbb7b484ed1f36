"""Middleware guarding the staff area and rationing the public doors."""

import re
import time
from collections.abc import Callable

from django.conf import settings
from django.contrib.auth.views import redirect_to_login
from django.http import HttpRequest, HttpResponse
from django.urls import reverse
from django.utils.cache import add_never_cache_headers

from . import counters
from .clients import client_ip
from .counters import Rate
from .signals import forget_public_caches
from .views import too_many_requests

STAFF_PREFIXES = ("/admin/", "/staff/")
SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS", "TRACE"})


class StaffAreaMiddleware:
    """On every request to /admin/ and /staff/: a one-time code if required, and no caching.

    Must come after django_otp's OTPMiddleware, which tells whether the session was verified with
    a code. A signed-in user whose session was not is sent to the (only) login, which asks for one.
    Staff pages carry private data: `Cache-Control: no-store` keeps them out of browser and proxy
    caches, including the login page and redirects.
    """

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]):
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        if not request.path.startswith(STAFF_PREFIXES):
            return self.get_response(request)
        if self._needs_code(request):
            response = redirect_to_login(request.get_full_path(), reverse("admin:login"))
        else:
            response = self.get_response(request)
            if request.method not in SAFE_METHODS:
                # A staff write may bypass model signals (QuerySet.update): forget public caches.
                forget_public_caches()
        add_never_cache_headers(response)
        return response

    @staticmethod
    def _needs_code(request: HttpRequest) -> bool:
        if not settings.STAFF_REQUIRE_2FA or not request.user.is_authenticated:
            return False
        if request.user.is_verified():
            return False
        # The login itself, and leaving, must stay reachable.
        return request.path not in {reverse("admin:login"), reverse("admin:logout")}


def _language_prefix() -> str:
    return "|".join(re.escape(code) for code, _name in settings.LANGUAGES)


def rate_limited_doors() -> list[tuple[str, re.Pattern]]:
    """Which paths count against which limit: search, lists, exports, the API."""
    lang = _language_prefix()
    return [
        ("search", re.compile(rf"^/(?:{lang})/search/")),
        ("lists", re.compile(rf"^/(?:{lang})/(?:people|incidents)/$")),
        ("exports", re.compile(r"^/export/")),
        ("api", re.compile(r"^/api/")),
    ]


class RateLimitMiddleware:
    """Per-client fixed-window limits on the public doors; over the limit, a 429 page.

    Limits come from settings.RATELIMITS (environment: RATELIMIT_SEARCH="60/m" and so on) and are
    counted in the cache named by settings.RATELIMIT_CACHE, which is Redis when REDIS_URL is set,
    so a client's count holds across every app server. RATELIMIT_ENABLED=0 turns them off: for
    benchmarks, which must say so.
    """

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]):
        self.get_response = get_response
        self.doors = rate_limited_doors()

    def __call__(self, request: HttpRequest) -> HttpResponse:
        if settings.RATELIMIT_ENABLED:
            door = next((name for name, pattern in self.doors if pattern.match(request.path)), None)
            if door is not None and door in settings.RATELIMITS:
                rate = Rate.parse(settings.RATELIMITS[door])
                now = time.time()
                key = f"rl:{door}:{counters.fingerprint(client_ip(request))}"
                n = counters.hit(key, rate.period, cache_alias=settings.RATELIMIT_CACHE, now=now)
                if n > rate.limit:
                    retry_after = rate.period - int(now % rate.period)
                    return too_many_requests(request, retry_after=retry_after)
        return self.get_response(request)
