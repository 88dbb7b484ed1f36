"""Casetracker settings: one file, driven by the environment, the safe value the default.

Development mode (DEBUG=1, what `make run` and the tests use) gets local hosts and a built-in
development key. Production (DEBUG unset or off) refuses to start without SECRET_KEY and
ALLOWED_HOSTS, and turns on HTTPS-only cookies, HSTS and two-factor sign-in for staff.
"""

import os
import tempfile
from pathlib import Path

import dj_database_url
from csp.constants import NONE, SELF
from django.core.exceptions import ImproperlyConfigured
from django.utils.translation import gettext_lazy as _

BASE_DIR = Path(__file__).resolve().parent.parent


def env_flag(name: str, default: bool = False) -> bool:
    value = os.environ.get(name)
    if value is None or value == "":
        return default
    return value.strip().lower() in {"1", "true", "yes", "on"}


def env_int(name: str, default: int) -> int:
    value = os.environ.get(name, "")
    try:
        return int(value) if value.strip() else default
    except ValueError as error:
        raise ImproperlyConfigured(f"{name} must be a whole number, not {value!r}.") from error


DEBUG = env_flag("DEBUG")

# Known to everyone who reads this file: fine for a laptop, refused in production.
DEVELOPMENT_SECRET_KEY = "casetracker-development-key-not-for-production-use-0123456789"  # noqa: S105

SECRET_KEY = os.environ.get("SECRET_KEY", "")
ALLOWED_HOSTS = [h.strip() for h in os.environ.get("ALLOWED_HOSTS", "").split(",") if h.strip()]

if DEBUG:
    SECRET_KEY = SECRET_KEY or DEVELOPMENT_SECRET_KEY
    ALLOWED_HOSTS = ALLOWED_HOSTS or ["127.0.0.1", "localhost", "[::1]", "testserver"]
else:
    if not SECRET_KEY or SECRET_KEY == DEVELOPMENT_SECRET_KEY:
        raise ImproperlyConfigured(
            "Production mode needs a SECRET_KEY of its own in the environment "
            "(for development, set DEBUG=1 instead)."
        )
    if not ALLOWED_HOSTS:
        raise ImproperlyConfigured(
            "Production mode needs ALLOWED_HOSTS in the environment, a comma-separated list "
            "of the host names this site answers to (for development, set DEBUG=1 instead)."
        )

INSTALLED_APPS = [
    # The admin, with the one-time-code login as its only login (casetracker.security).
    "casetracker.security.apps.StaffAdminConfig",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "django.contrib.sitemaps",
    "django.contrib.postgres",
    "django.contrib.humanize",
    "simple_history",
    "django_filters",
    "rest_framework",
    "drf_spectacular",
    "drf_spectacular_sidecar",
    "csp",
    "django_otp",
    "django_otp.plugins.otp_totp",
    "django_otp.plugins.otp_static",
    "casetracker.cases",
    "casetracker.search",
    "casetracker.public",
    "casetracker.staff",
    "casetracker.security",
    "casetracker.exports",
    "casetracker.api",
    "casetracker.imports",
    "django_tasks",
    "django_tasks_db",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.locale.LocaleMiddleware",
    "casetracker.security.middleware.RateLimitMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django_otp.middleware.OTPMiddleware",
    "casetracker.security.middleware.StaffAreaMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "csp.middleware.CSPMiddleware",
    "simple_history.middleware.HistoryRequestMiddleware",
]

ROOT_URLCONF = "casetracker.urls"
WSGI_APPLICATION = "casetracker.wsgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [BASE_DIR / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.template.context_processors.i18n",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "csp.context_processors.nonce",
            ],
        },
    },
]

# SQLite unless DATABASE_URL says otherwise; PostgreSQL 15 is the production database.
DATABASES = {
    "default": dj_database_url.config(
        default=f"sqlite:///{BASE_DIR / 'db.sqlite3'}",
        conn_max_age=env_int("CONN_MAX_AGE", 60),
        conn_health_checks=True,
    )
}
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    # Persistent connections buy nothing on a file; WAL lets readers and the writer overlap.
    DATABASES["default"]["CONN_MAX_AGE"] = 0
    DATABASES["default"].setdefault("OPTIONS", {}).update(
        {"transaction_mode": "IMMEDIATE", "init_command": "PRAGMA journal_mode=WAL;"}
    )
if DATABASES["default"]["ENGINE"] == "django.db.backends.postgresql":
    # What the planner reckons a parallel query's workers cost to start. PostgreSQL's default
    # (1000) suits large servers; on a two-core one starting them took 30 ms, and the public
    # list filtered by charge article ran in 55 ms with two workers where one process alone
    # took 10 (docs/performance.md). 10000 keeps workers for the scans that repay them.
    DATABASES["default"].setdefault("OPTIONS", {}).setdefault(
        "options", f"-c parallel_setup_cost={env_int('PG_PARALLEL_SETUP_COST', 10000)}"
    )
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

REDIS_URL = os.environ.get("REDIS_URL", "")
if REDIS_URL:
    CACHES = {
        "default": {
            "BACKEND": "django_redis.cache.RedisCache",
            "LOCATION": REDIS_URL,
            "KEY_PREFIX": "casetracker",
        }
    }
else:
    CACHES = {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}}

AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {
        "NAME": "django.contrib.auth.password_validation.MinimumLengthValidator",
        "OPTIONS": {"min_length": 12},
    },
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]

LANGUAGE_CODE = "en"
LANGUAGES = [
    ("en", _("English")),
    ("ru", _("Russian")),
    ("kk", _("Kazakh")),
]
LOCALE_PATHS = [BASE_DIR / "locale"]
# Kazakh date formats ("2022 жылғы 18 қаңтар"): Django ships none for kk.
FORMAT_MODULE_PATH = ["casetracker.formats"]
TIME_ZONE = "UTC"
USE_I18N = True
USE_TZ = True

STATIC_URL = "/static/"
STATIC_ROOT = BASE_DIR / "staticfiles"
STATICFILES_DIRS = [BASE_DIR / "static"]
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {
        "BACKEND": (
            "django.contrib.staticfiles.storage.StaticFilesStorage"
            if DEBUG
            else "whitenoise.storage.CompressedManifestStaticFilesStorage"
        )
    },
}
WHITENOISE_USE_FINDERS = DEBUG
WHITENOISE_AUTOREFRESH = DEBUG

# Content Security Policy from the start: nothing inline, nothing from other hosts.
CONTENT_SECURITY_POLICY = {
    "DIRECTIVES": {
        "default-src": [SELF],
        "script-src": [SELF],
        "style-src": [SELF],
        "img-src": [SELF, "data:"],
        "font-src": [SELF],
        "connect-src": [SELF],
        "object-src": [NONE],
        "base-uri": [SELF],
        "frame-ancestors": [NONE],
        "form-action": [SELF],
    }
}

REST_FRAMEWORK = {
    "DEFAULT_RENDERER_CLASSES": ["rest_framework.renderers.JSONRenderer"],
    "DEFAULT_PARSER_CLASSES": ["rest_framework.parsers.JSONParser"],
    "DEFAULT_PERMISSION_CLASSES": ["rest_framework.permissions.AllowAny"],
    "DEFAULT_AUTHENTICATION_CLASSES": [],
    "UNAUTHENTICATED_USER": None,
    "DEFAULT_FILTER_BACKENDS": ["django_filters.rest_framework.DjangoFilterBackend"],
    "DEFAULT_SCHEMA_CLASS": "drf_spectacular.openapi.AutoSchema",
}
SPECTACULAR_SETTINGS = {
    "TITLE": "Casetracker API",
    "DESCRIPTION": "Read-only access to the public case register.",
    "VERSION": "1",
    "SERVE_INCLUDE_SCHEMA": False,
    "SWAGGER_UI_DIST": "SIDECAR",
    "SWAGGER_UI_FAVICON_HREF": "SIDECAR",
    # One name per vocabulary, shared by every field that uses it.
    "ENUM_NAME_OVERRIDES": {
        "DatePrecisionEnum": "casetracker.cases.dates.DatePrecision",
        "StatusEnum": "casetracker.cases.models.Status",
        "DetentionKindEnum": "casetracker.cases.models.Detention.Kind",
        "IncidentKindEnum": "casetracker.cases.models.Incident.Kind",
        "SourceKindEnum": "casetracker.cases.models.Source.Kind",
        "PersonNameKindEnum": "casetracker.cases.models.PersonName.Kind",
    },
}

LOGIN_URL = "admin:login"

# Security: the safe values whenever DEBUG is off.
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"
X_FRAME_OPTIONS = "DENY"
SESSION_COOKIE_HTTPONLY = True
CSRF_COOKIE_HTTPONLY = True
if not DEBUG:
    SECURE_SSL_REDIRECT = env_flag("SECURE_SSL_REDIRECT", True)
    SESSION_COOKIE_SECURE = True
    CSRF_COOKIE_SECURE = True
    SECURE_HSTS_SECONDS = env_int("SECURE_HSTS_SECONDS", 31536000)
    SECURE_HSTS_INCLUDE_SUBDOMAINS = True
    SECURE_HSTS_PRELOAD = True
    # Behind a TLS-terminating load balancer that sets X-Forwarded-Proto.
    SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")

# Two-factor sign-in for staff: required in production, optional in development.
STAFF_REQUIRE_2FA = env_flag("STAFF_REQUIRE_2FA", not DEBUG)

# Login throttling (casetracker.security.throttle): failures per username and per client.
LOGIN_FAILURE_LIMIT = env_int("LOGIN_FAILURE_LIMIT", 5)
LOGIN_FAILURE_WINDOW = env_int("LOGIN_FAILURE_WINDOW", 15 * 60)
LOGIN_LOCKOUT_SECONDS = env_int("LOGIN_LOCKOUT_SECONDS", 15 * 60)
LOGIN_THROTTLE_CACHE = "default"

# The client address: how many proxies of ours append to X-Forwarded-For (0: use REMOTE_ADDR).
TRUSTED_PROXY_HOPS = env_int("TRUSTED_PROXY_HOPS", 0)

# Per-client limits on the public doors (casetracker.security.middleware.RateLimitMiddleware),
# counted in the default cache: Redis when REDIS_URL is set, so they hold across app servers.
# RATELIMIT_ENABLED=0 is for benchmarks only, and they say so.
RATELIMIT_ENABLED = env_flag("RATELIMIT_ENABLED", True)
RATELIMIT_CACHE = "default"
RATELIMITS = {
    "search": os.environ.get("RATELIMIT_SEARCH", "60/m"),
    "lists": os.environ.get("RATELIMIT_LISTS", "120/m"),
    "exports": os.environ.get("RATELIMIT_EXPORTS", "20/m"),
    "api": os.environ.get("RATELIMIT_API", "120/m"),
}

# Where the motion's data and text live (see casetracker.cases.seeding).
SEED_DIR = BASE_DIR / "fixtures"

# Purges are appended here too, outside the database, so `reapply_purges` can redo them after a
# restore from a backup older than the purge (casetracker.staff.purge). Keep it off the backups.
PURGE_LEDGER = os.environ.get("PURGE_LEDGER", "")

# Imports (casetracker.imports): staged in the database, applied by the task worker that
# `make run` starts beside the server (`manage.py db_worker`), one transaction per import.
TASKS = {
    "default": {
        "BACKEND": os.environ.get("TASKS_BACKEND", "django_tasks_db.DatabaseBackend"),
        "QUEUES": ["default"],
    }
}
IMPORT_MAX_UPLOAD_MB = env_int("IMPORT_MAX_UPLOAD_MB", 50)
# Uploads larger than this go to a temporary file instead of memory (files do not count
# towards DATA_UPLOAD_MAX_MEMORY_SIZE; the import form checks IMPORT_MAX_UPLOAD_MB itself).
FILE_UPLOAD_MAX_MEMORY_SIZE = 5 * 1024 * 1024
# An import's progress, written by the worker while its transaction is still open, so it cannot
# go through the database: Redis when the app servers share one, else files on this machine.
CACHES["imports"] = (
    {**CACHES["default"], "KEY_PREFIX": "casetracker-imports"}
    if REDIS_URL
    else {
        "BACKEND": "django.core.cache.backends.filebased.FileBasedCache",
        "LOCATION": os.environ.get(
            "IMPORT_PROGRESS_DIR", str(Path(tempfile.gettempdir()) / "casetracker-imports")
        ),
    }
)

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "handlers": {"console": {"class": "logging.StreamHandler"}},
    "root": {"handlers": ["console"], "level": os.environ.get("LOG_LEVEL", "INFO")},
    "loggers": {"django.db.backends": {"level": "INFO"}},
}
