"""Person and incident pages are served from the cache until the register changes.

casetracker.public.pagecache: a kept page costs no query; any write to a register record (through
a model save, a staff action or a transaction that commits later) makes the next request render
the page afresh; nothing of one reader's request reaches another.
"""

import datetime

import pytest
from django.core.cache import cache
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext

from casetracker.cases import models as m
from casetracker.public.pagecache import PAGE_TIMEOUT, PAGES_GENERATION_KEY

from .factories import make_entry, make_incident, make_person


@pytest.fixture
def person(db):
    person = make_person(display_name="Nurlan Cachetest")
    make_entry(person, status=m.Status.DETAINED)
    return person


def page(client, path: str) -> str:
    response = client.get(path)
    assert response.status_code == 200, path
    return response.content.decode()


def test_a_kept_person_page_costs_no_query(client, person, django_assert_num_queries):
    path = f"/en/people/{person.public_id}/"
    first = page(client, path)
    with django_assert_num_queries(0):
        again = page(client, path)
    assert again == first
    assert "Nurlan Cachetest" in again


def test_a_kept_incident_page_costs_no_query(client, db, django_assert_num_queries):
    incident = make_incident(title="Cachetest square")
    path = f"/en/incidents/{incident.public_id}/"
    first = page(client, path)
    with django_assert_num_queries(0):
        assert page(client, path) == first


def test_a_write_to_any_record_renders_the_page_afresh(client, person):
    path = f"/en/people/{person.public_id}/"
    assert "Released" not in page(client, path)
    make_entry(person, status=m.Status.RELEASED, occurred_on=datetime.date(2022, 2, 1))
    assert "Released" in page(client, path)

    # A write to another record also forgets every kept page (one generation for all).
    generation = cache.get(PAGES_GENERATION_KEY)
    make_person(display_name="Someone Else")
    assert cache.get(PAGES_GENERATION_KEY) != generation


def test_an_update_that_bypasses_signals_is_forgotten_after_a_staff_post(
    client, person, django_user_model, settings
):
    settings.STAFF_REQUIRE_2FA = False
    path = f"/en/people/{person.public_id}/"
    page(client, path)
    m.Person.objects.filter(pk=person.pk).update(display_name="Renamed Cachetest")
    staff = Client()
    staff.force_login(django_user_model.objects.create_superuser("s", "s@example.org", "x" * 16))
    staff.post("/admin/cases/person/", {"action": "publish", "_selected_action": [], "index": 0})
    assert "Renamed Cachetest" in page(client, path)


def test_each_language_is_kept_apart(client, person):
    english = page(client, f"/en/people/{person.public_id}/")
    russian = page(client, f"/ru/people/{person.public_id}/")
    assert 'lang="en"' in english
    assert 'lang="ru"' in russian


def test_signed_in_readers_and_queries_are_not_served_from_the_cache(
    client, person, django_user_model, django_assert_num_queries
):
    path = f"/en/people/{person.public_id}/"
    page(client, path)
    with django_assert_num_queries(0):
        page(client, path)
    # A query string is a different request: rendered, never kept under the bare path.
    assert client.get(path + "?x=1").status_code == 200
    user = django_user_model.objects.create_user("reader", "r@example.org", "x" * 16)
    signed_in = Client()
    signed_in.force_login(user)
    with CaptureQueriesContext(connection) as rendered:
        page(signed_in, path)
    assert any("cases_person" in q["sql"] for q in rendered.captured_queries)


def test_public_pages_carry_nothing_of_one_request(person, settings):
    """What makes sharing a page safe: two readers, uncached, get byte-identical pages."""
    settings.CACHES = {"default": {"BACKEND": "django.core.cache.backends.dummy.DummyCache"}}
    path = f"/en/people/{person.public_id}/"
    first = Client().get(path, HTTP_COOKIE="sessionid=abc")
    second = Client().get(path)
    assert first.content == second.content
    assert b"csrfmiddlewaretoken" not in first.content
    assert not second.cookies


def test_a_missing_person_is_not_kept(client, person):
    assert client.get("/en/people/zzzzzzzz/").status_code == 404
    assert not [k for k in _keys() if "zzzzzzzz" in k]


def _keys() -> list[str]:
    # The local-memory cache used by the tests keeps its keys in `_cache`.
    return [str(k) for k in getattr(cache, "_cache", {})]


def test_pages_kept_together_do_not_expire_together(client, db, monkeypatch):
    """Each page draws its own timeout, so a burst of readers after a write does not make
    every page fall out of the cache in the same second and render again at once."""
    timeouts = []
    real_set = cache.set

    def recording_set(key, value, timeout=None, **kwargs):
        if key.startswith("public:page:"):
            timeouts.append(timeout)
        return real_set(key, value, timeout, **kwargs)

    monkeypatch.setattr(cache, "set", recording_set)
    for n in range(30):
        client.get(make_person(display_name=f"Person {n}").get_absolute_url())
    assert len(timeouts) == 30
    assert all(PAGE_TIMEOUT // 2 <= t <= PAGE_TIMEOUT for t in timeouts)
    assert len(set(timeouts)) > 1
