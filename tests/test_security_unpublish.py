"""Unpublishing takes effect on the next request through every door, whatever cache is in use.

Each door is requested first (so every cache holds the person), then a publisher unpublishes
through the staff workspace, then each door is requested again. Run with the local-memory cache
and with Redis, the cache the app servers share in production. Transactional: on PostgreSQL the
CSV exports read through COPY on a connection of their own, which sees only committed rows.
"""

import json
import os
import uuid

import pytest

from casetracker.cases import models as m

from .factories import make_entry, make_person

NAME = "Zhanbolat Unpublishtest"
SURNAME = "Unpublishtest"


def locmem() -> dict:
    return {
        "BACKEND": "django.core.cache.backends.locmem.LocMemCache",
        "LOCATION": uuid.uuid4().hex,
    }


def redis() -> dict:
    return {
        "BACKEND": "django_redis.cache.RedisCache",
        "LOCATION": os.environ.get("REDIS_URL") or "redis://127.0.0.1:6379/15",
        "KEY_PREFIX": f"test-{uuid.uuid4().hex}",
    }


CACHES = [
    pytest.param(locmem, id="locmem"),
    pytest.param(redis, id="redis", marks=pytest.mark.redis),
]


def text_doors(person: m.Person) -> list[str]:
    """Every public door that shows or lists a person, by address (pages, search, feeds, ...)."""
    return [
        f"/en/people/{person.public_id}/",
        f"/en/people/{person.public_id}/feed/",
        f"/en/search/?q={SURNAME}",
        "/en/people/",
        f"/en/people/?q={SURNAME}",
        "/en/feeds/updates/",
        "/sitemap.xml",
        "/export/persons.csv",
        "/export/persons.json",
        "/export/persons.jsonl",
        "/export/timeline.csv",
        "/export/ftm.json",
        "/api/persons/",
        f"/api/persons/{person.public_id}/",
        "/api/timeline/",
    ]


def shows(response, person: m.Person) -> bool:
    path = response.request["PATH_INFO"]
    if response.status_code == 404:
        return False
    assert response.status_code == 200, (path, response.status_code)
    body = b"".join(response.streaming_content) if response.streaming else response.content
    text = body.decode()
    if response["Content-Type"].startswith("application/json") or path.endswith(".json"):
        # JSON may escape non-ASCII text; read it back so the name is compared as written.
        text = json.dumps(read_json(text), ensure_ascii=False)
    return NAME in text or person.public_id in text


def read_json(text: str):
    """A JSON document, or JSON Lines: one document per line."""
    try:
        return json.loads(text)
    except json.JSONDecodeError:
        return [json.loads(line) for line in text.splitlines() if line.strip()]


def counted(client) -> tuple[int, int]:
    """(persons on the home page, detained on the figures page): both are cached counts."""
    home = client.get("/en/").context["counts"]["persons"]
    figures = dict(client.get("/en/figures/").context["by_status"])
    return home, figures.get(m.Status.DETAINED.label, 0)


@pytest.fixture
def publisher(client, django_user_model, settings):
    settings.STAFF_REQUIRE_2FA = False
    settings.RATELIMIT_ENABLED = False  # this test requests the same doors many times
    user = django_user_model.objects.create_superuser("publisher", "p@example.org", "x" * 16)
    client.force_login(user)
    return client


@pytest.mark.django_db(transaction=True)
@pytest.mark.parametrize("cache", CACHES)
def test_an_unpublished_person_leaves_every_door_on_the_next_request(
    client, publisher, settings, cache
):
    settings.CACHES = {"default": cache()}
    person = make_person(display_name=NAME)
    make_entry(person, status=m.Status.DETAINED)
    before = counted(client)
    doors = text_doors(person)
    assert [door for door in doors if not shows(client.get(door), person)] == []

    response = publisher.post(
        "/admin/cases/person/",
        {"action": "unpublish", "_selected_action": [person.pk], "index": 0},
    )
    assert response.status_code == 302
    person.refresh_from_db()
    assert not person.is_published

    assert [door for door in doors if shows(client.get(door), person)] == []
    assert counted(client) == (before[0] - 1, before[1] - 1)


@pytest.mark.django_db(transaction=True)
@pytest.mark.parametrize("cache", CACHES)
def test_an_unpublished_status_entry_changes_the_counts_on_the_next_request(
    client, publisher, settings, cache
):
    settings.CACHES = {"default": cache()}
    person = make_person(display_name=NAME)
    entry = make_entry(person, status=m.Status.DETAINED)
    home, detained = counted(client)

    response = publisher.post(
        "/admin/cases/statusentry/",
        {"action": "unpublish", "_selected_action": [entry.pk], "index": 0},
    )
    assert response.status_code == 302
    assert counted(client) == (home, detained - 1)
    assert not shows(client.get("/en/feeds/updates/"), person)


@pytest.mark.django_db(transaction=True)
@pytest.mark.parametrize("cache", CACHES)
def test_a_write_outside_the_staff_workspace_also_clears_the_caches(client, settings, cache):
    settings.CACHES = {"default": cache()}
    settings.RATELIMIT_ENABLED = False
    person = make_person(display_name=NAME)
    make_entry(person)
    home, _detained = counted(client)
    # An import or a management command: a plain save, no staff request.
    person.unpublish()
    person.save()
    assert counted(client)[0] == home - 1
