"""Shared test set-up: database markers, service checks, and the seeded motion.

Tests marked `postgres` run only against PostgreSQL, `sqlite` only against SQLite; the others
are deselected and the run says how many. Tests marked `redis` or `browser` need a service: where
it is missing they are skipped with the reason, except under CI (`CI=true`), where a missing
service fails the run.
"""

import os
import shutil
import socket
from urllib.parse import urlparse

import pytest
from django.conf import settings

ON_CI = os.environ.get("CI", "").lower() in {"1", "true", "yes"}
CHROMIUM = "/usr/bin/chromium"


def database_vendor() -> str:
    engine = settings.DATABASES["default"]["ENGINE"]
    return "postgresql" if "postgresql" in engine else "sqlite"


def redis_reachable() -> bool:
    url = urlparse(os.environ.get("REDIS_URL") or "redis://127.0.0.1:6379/0")
    try:
        with socket.create_connection((url.hostname or "127.0.0.1", url.port or 6379), 1):
            return True
    except OSError:
        return False


def pytest_collection_modifyitems(config, items):
    vendor = database_vendor()
    other = "sqlite" if vendor == "postgresql" else "postgres"
    selected, deselected = [], []
    for item in items:
        (deselected if item.get_closest_marker(other) else selected).append(item)
    if deselected:
        config.hook.pytest_deselected(items=deselected)
        items[:] = selected
    config._casetracker_deselected = (vendor, len(deselected), other)

    missing = {}
    if not redis_reachable():
        missing["redis"] = "no Redis server at REDIS_URL (or 127.0.0.1:6379)"
    if not os.path.exists(CHROMIUM) or shutil.which("chromium") is None:
        missing["browser"] = f"Debian's chromium is not installed at {CHROMIUM}"
    for marker, reason in missing.items():
        for item in items:
            if item.get_closest_marker(marker):
                if ON_CI:
                    item.add_marker(pytest.mark.usefixtures("_missing_service_fails"))
                    item.user_properties.append(("missing_service", reason))
                else:
                    item.add_marker(pytest.mark.skip(reason=f"{reason} (runs in CI)"))


@pytest.fixture
def _missing_service_fails(request):
    reason = dict(request.node.user_properties).get("missing_service")
    pytest.fail(f"CI needs this service: {reason}")


def pytest_report_header(config):
    return f"database: {database_vendor()} ({settings.DATABASES['default']['NAME']})"


def pytest_terminal_summary(terminalreporter, exitstatus, config):
    vendor, count, other = getattr(config, "_casetracker_deselected", (database_vendor(), 0, ""))
    terminalreporter.write_line(
        f"casetracker: ran against {vendor}; deselected {count} test(s) marked '{other}'"
    )


@pytest.fixture(autouse=True)
def _fresh_cache():
    """Each test starts with an empty cache: no cached figures and no rate-limit counters carried
    over from another test (or, with Redis, from the run on the other database)."""
    from django.core.cache import cache

    cache.clear()
    yield


@pytest.fixture
def staff_client(client, django_user_model):
    user = django_user_model.objects.create_superuser("admin", "admin@example.org", "x" * 16)
    client.force_login(user)
    return client


@pytest.fixture
def immediate_tasks(settings, tmp_path):
    """Imports' tasks run in the request, their progress in files: for the import tests."""
    settings.TASKS = {"default": {"BACKEND": "django_tasks.backends.immediate.ImmediateBackend"}}
    settings.CACHES = {
        **settings.CACHES,
        "imports": {
            "BACKEND": "django.core.cache.backends.filebased.FileBasedCache",
            "LOCATION": str(tmp_path / "progress"),
        },
    }
