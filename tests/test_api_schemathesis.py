"""Every API operation, fuzzed from its own OpenAPI schema against the WSGI app, on the motion.

A fixed number of derandomised examples per operation, so the run is the same every time and
stays short: no 5xx, and every response as the schema says (status code, content type, body).
"""

import pytest
import schemathesis
from django.core import signals
from django.db import close_old_connections, transaction
from hypothesis import HealthCheck, settings
from schemathesis.checks import (
    content_type_conformance,
    not_a_server_error,
    response_schema_conformance,
    status_code_conformance,
)

from casetracker.cases.seeding import load_motion
from casetracker.wsgi import application

# The examples and fuzzing phases, bounded by max_examples below; the coverage phase would add a
# boundary case for every value of every one of a list's fifteen filters, unbounded.
config = schemathesis.config.SchemathesisConfig.from_dict(
    {"phases": {"coverage": {"enabled": False}}}
)
schema = schemathesis.openapi.from_wsgi("/api/schema/?format=json", application, config=config)

CHECKS = [
    not_a_server_error,
    status_code_conformance,
    content_type_conformance,
    response_schema_conformance,
]


@pytest.fixture(scope="module")
def in_process_requests():
    """Requests through the real WSGI handler, inside the tests' transaction.

    The handler closes "old" connections when a request starts and finishes, and a connection in
    a transaction counts as old: on PostgreSQL that would close the test's own. Django's test
    client unhooks the same signal handler for the same reason.
    """
    signals.request_started.disconnect(close_old_connections)
    signals.request_finished.disconnect(close_old_connections)
    yield
    signals.request_started.connect(close_old_connections)
    signals.request_finished.connect(close_old_connections)


@pytest.fixture(scope="module")
def motion(django_db_setup, django_db_blocker, in_process_requests):
    """The seeded motion, loaded once for the module and rolled back after it."""
    with django_db_blocker.unblock(), transaction.atomic():
        load_motion()
        yield
        transaction.set_rollback(True)


@pytest.fixture(autouse=True)
def _no_rate_limit(settings):
    # Hundreds of requests from one client in seconds: the limits have tests of their own.
    settings.RATELIMIT_ENABLED = False


@pytest.mark.django_db
@schema.parametrize()
@settings(
    max_examples=25,
    derandomize=True,
    deadline=None,
    database=None,
    suppress_health_check=list(HealthCheck),
)
def test_every_operation_answers_as_its_schema_says(case, motion):
    case.call_and_validate(checks=CHECKS)
