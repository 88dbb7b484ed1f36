"""Whole public pages kept in the shared cache, and forgotten on every write to the register.

A person page costs about twenty queries and 30 ms of template work; under load it is read far more
often than the register changes. The rendered page is kept under a key holding a generation
token. Every write to a register record drops the token (`PAGES_GENERATION_KEY` is one of
`casetracker.security.signals.PUBLIC_CACHE_KEYS`, dropped on save, delete, m2m change, after
every staff POST, and again once the transaction commits), so the next request draws a new token
and every page is rendered afresh: a page is never served from rows older than the last write.
The timeout bounds what a writer bypassing all of those (a raw SQL fix) could leave behind; each
page draws its own, between half and all of PAGE_TIMEOUT, so pages kept together (after a write,
many readers at once) do not all fall out together and render together.

Only anonymous GET/HEAD requests without a query string, answered 200 with a rendered page and no
cookie, are kept: nothing of one reader's request (a session, a CSRF token, a message) can reach
another. Public pages carry no per-request value (the CSP has no nonce, the language links are
plain links), which tests/test_page_cache.py pins.
"""

import functools
import random
import uuid

from django.core.cache import cache
from django.http import HttpResponse
from django.utils.translation import get_language

PAGES_GENERATION_KEY = "public:pages:generation"
PAGE_TIMEOUT = 300


def generation() -> str:
    token = cache.get(PAGES_GENERATION_KEY)
    if token is None:
        cache.add(PAGES_GENERATION_KEY, uuid.uuid4().hex, None)
        token = cache.get(PAGES_GENERATION_KEY) or "none"
    return token


def _cacheable(request) -> bool:
    user = getattr(request, "user", None)
    return (
        request.method in ("GET", "HEAD")
        and not request.GET
        and not (user is not None and user.is_authenticated)
    )


def cached_page(view):
    """Serve the view's 200 page from the cache while the register is unchanged."""

    @functools.wraps(view)
    def wrapped(request, *args, **kwargs):
        if not _cacheable(request):
            return view(request, *args, **kwargs)
        key = f"public:page:{generation()}:{get_language()}:{request.path}"
        kept = cache.get(key)
        if kept is not None:
            content, content_type = kept
            return HttpResponse(content, content_type=content_type)
        response = view(request, *args, **kwargs)
        if (
            response.status_code == 200
            and not response.streaming
            and not response.cookies
            and not response.has_header("Cache-Control")
        ):
            timeout = random.randint(PAGE_TIMEOUT // 2, PAGE_TIMEOUT)  # noqa: S311 -- not secret
            cache.set(key, (response.content, response["Content-Type"]), timeout)
        return response

    return wrapped
