"""Benchmark-only settings: the production settings, plus a bare view and load-run switches.

Used by bench/run.py (make bench) only, never by the site. Production mode (DEBUG off), with:
- RATELIMIT_ENABLED off: load runs send thousands of requests from one address on purpose, and
  docs/performance.md says so;
- STAFF_REQUIRE_2FA off, so the staff changelist can be timed with a forced login;
- plain static storage, so no collectstatic is needed to render pages;
- no HTTPS redirect on loopback.
"""

from casetracker.settings import *  # noqa: F403 -- one module extending the real settings

ROOT_URLCONF = "bench.urls"
RATELIMIT_ENABLED = False
STAFF_REQUIRE_2FA = False
SECURE_SSL_REDIRECT = False
SESSION_COOKIE_SECURE = False
CSRF_COOKIE_SECURE = False
STORAGES = {
    **STORAGES,  # noqa: F405
    "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
}
LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "handlers": {"console": {"class": "logging.StreamHandler"}},
    "root": {"handlers": ["console"], "level": "WARNING"},
}
