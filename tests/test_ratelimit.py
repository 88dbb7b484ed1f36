"""Per-client limits on public search, lists, exports and the API, and on login failures."""

import os
import time
import uuid

import pytest
from django.core.cache import caches
from django.test import Client, RequestFactory

from casetracker.security import counters
from casetracker.security.clients import client_ip
from casetracker.security.counters import Rate

from .test_security import PASSWORD, current_code, make_authenticator, make_staff, sign_in

SEARCH = "/en/search/?q=nazarbayev"


@pytest.fixture(autouse=True)
def fresh_cache(settings):
    settings.CACHES = {
        "default": {
            "BACKEND": "django.core.cache.backends.locmem.LocMemCache",
            "LOCATION": uuid.uuid4().hex,
        }
    }
    settings.RATELIMIT_ENABLED = True
    settings.TRUSTED_PROXY_HOPS = 0


def redis_caches(settings, prefix: str) -> dict:
    url = os.environ.get("REDIS_URL") or "redis://127.0.0.1:6379/15"
    return {
        "default": {
            "BACKEND": "django_redis.cache.RedisCache",
            "LOCATION": url,
            "KEY_PREFIX": prefix,
        }
    }


def test_rates_are_read_as_count_per_period():
    assert Rate.parse("60/m") == Rate(60, 60)
    assert Rate.parse("5/15m") == Rate(5, 900)
    assert Rate.parse("1000/h") == Rate(1000, 3600)


def test_a_malformed_rate_is_a_configuration_error():
    with pytest.raises(Exception, match="60/m"):
        Rate.parse("sixty a minute")


@pytest.mark.django_db
def test_search_over_the_limit_gets_a_clear_429_page(client, settings):
    settings.RATELIMITS = {**settings.RATELIMITS, "search": "3/m"}
    statuses = [client.get(SEARCH, REMOTE_ADDR="198.51.100.7").status_code for _ in range(3)]
    assert 429 not in statuses
    response = client.get(SEARCH, REMOTE_ADDR="198.51.100.7")
    assert response.status_code == 429
    assert 0 < int(response["Retry-After"]) <= 60
    assert "Too many requests" in response.content.decode()


@pytest.mark.django_db
def test_one_clients_limit_does_not_touch_another_client(client, settings):
    settings.RATELIMITS = {**settings.RATELIMITS, "search": "2/m"}
    for _ in range(3):
        client.get(SEARCH, REMOTE_ADDR="198.51.100.7")
    assert client.get(SEARCH, REMOTE_ADDR="198.51.100.7").status_code == 429
    assert client.get(SEARCH, REMOTE_ADDR="198.51.100.8").status_code != 429


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("door", "path"),
    [("lists", "/en/people/"), ("exports", "/export/persons.csv"), ("api", "/api/persons/")],
)
def test_lists_exports_and_the_api_are_limited_too(client, settings, door, path):
    settings.RATELIMITS = {**settings.RATELIMITS, door: "1/m"}
    client.get(path, REMOTE_ADDR="198.51.100.9")
    assert client.get(path, REMOTE_ADDR="198.51.100.9").status_code == 429


@pytest.mark.django_db
def test_the_api_over_its_limit_answers_in_json(client, settings):
    settings.RATELIMITS = {**settings.RATELIMITS, "api": "1/m"}
    client.get("/api/persons/", REMOTE_ADDR="198.51.100.9")
    response = client.get("/api/persons/", REMOTE_ADDR="198.51.100.9")
    assert response.status_code == 429
    assert response["Content-Type"] == "application/json"
    assert "Too many requests" in response.json()["detail"]


@pytest.mark.django_db
def test_pages_outside_the_limited_doors_are_not_counted(client, settings):
    settings.RATELIMITS = dict.fromkeys(settings.RATELIMITS, "1/m")
    assert {client.get("/en/").status_code for _ in range(3)} == {200}


@pytest.mark.django_db
def test_limits_are_off_when_disabled_for_benchmarks(client, settings):
    settings.RATELIMITS = {**settings.RATELIMITS, "search": "1/m"}
    settings.RATELIMIT_ENABLED = False
    assert 429 not in {client.get(SEARCH).status_code for _ in range(3)}


def test_without_trusted_proxies_the_forwarded_header_is_ignored(settings):
    settings.TRUSTED_PROXY_HOPS = 0
    request = RequestFactory().get("/", REMOTE_ADDR="203.0.113.1", HTTP_X_FORWARDED_FOR="1.2.3.4")
    assert client_ip(request) == "203.0.113.1"


def test_behind_one_proxy_the_address_it_saw_is_the_client(settings):
    settings.TRUSTED_PROXY_HOPS = 1
    # The client forged "1.2.3.4"; our load balancer appended the address it really saw.
    request = RequestFactory().get(
        "/", REMOTE_ADDR="10.0.0.2", HTTP_X_FORWARDED_FOR="1.2.3.4, 203.0.113.5"
    )
    assert client_ip(request) == "203.0.113.5"


def test_behind_two_proxies_the_second_from_the_right_is_the_client(settings):
    settings.TRUSTED_PROXY_HOPS = 2
    request = RequestFactory().get(
        "/", REMOTE_ADDR="10.0.0.3", HTTP_X_FORWARDED_FOR="1.2.3.4, 203.0.113.5, 10.0.0.2"
    )
    assert client_ip(request) == "203.0.113.5"


@pytest.mark.django_db
def test_a_forged_forwarded_header_does_not_escape_the_limit(client, settings):
    settings.TRUSTED_PROXY_HOPS = 1
    settings.RATELIMITS = {**settings.RATELIMITS, "search": "2/m"}
    for n in range(3):
        client.get(SEARCH, REMOTE_ADDR="10.0.0.2", HTTP_X_FORWARDED_FOR=f"9.9.9.{n}, 203.0.113.5")
    response = client.get(
        SEARCH, REMOTE_ADDR="10.0.0.2", HTTP_X_FORWARDED_FOR="8.8.8.8, 203.0.113.5"
    )
    assert response.status_code == 429


# Login throttling


@pytest.mark.django_db
def test_after_five_wrong_passwords_even_the_right_one_is_refused(
    client, django_user_model, settings
):
    settings.STAFF_REQUIRE_2FA = False
    make_staff(django_user_model)
    for _ in range(5):
        assert sign_in(client, password="wrong password!").status_code == 200
    response = sign_in(client)
    assert response.status_code == 200
    assert "Too many failed sign-in attempts" in response.content.decode()
    assert client.get("/admin/").status_code == 302


@pytest.mark.django_db
def test_the_username_stays_locked_from_another_address(client, django_user_model, settings):
    settings.STAFF_REQUIRE_2FA = False
    make_staff(django_user_model)
    for _ in range(5):
        sign_in(client, password="wrong password!", address="10.0.0.1")
    assert "Too many failed" in sign_in(client, address="10.9.9.9").content.decode()


@pytest.mark.django_db
def test_a_client_guessing_many_usernames_is_locked_out(client, django_user_model, settings):
    settings.STAFF_REQUIRE_2FA = False
    make_staff(django_user_model, username="real")
    for n in range(5):
        sign_in(client, username=f"guess{n}", password="wrong password!", address="10.0.0.7")
    assert (
        "Too many failed" in sign_in(client, username="real", address="10.0.0.7").content.decode()
    )
    assert sign_in(client, username="real", address="10.0.0.8").status_code == 302


@pytest.mark.django_db
def test_wrong_one_time_codes_count_towards_the_lockout(client, django_user_model, settings):
    settings.STAFF_REQUIRE_2FA = True
    device = make_authenticator(make_staff(django_user_model))
    for n in range(5):
        sign_in(client, code=f"{n:06d}" if f"{n:06d}" != current_code(device) else "999999")
    response = sign_in(client, code=current_code(device))
    assert "Too many failed" in response.content.decode()
    assert client.get("/admin/").status_code == 302


@pytest.mark.django_db
def test_a_few_failures_then_the_right_password_signs_in(client, django_user_model, settings):
    settings.STAFF_REQUIRE_2FA = False
    make_staff(django_user_model)
    for _ in range(4):
        sign_in(client, password="wrong password!")
    assert sign_in(client, password=PASSWORD).status_code == 302


@pytest.mark.django_db
def test_the_lockout_ends_after_its_time(client, django_user_model, settings):
    settings.STAFF_REQUIRE_2FA = False
    settings.LOGIN_LOCKOUT_SECONDS = 1
    make_staff(django_user_model)
    for _ in range(5):
        sign_in(client, password="wrong password!")
    assert "Too many failed" in sign_in(client).content.decode()
    time.sleep(2.1)
    assert sign_in(client).status_code == 302


# Shared through Redis


@pytest.mark.redis
def test_two_app_servers_share_one_limit_through_redis(settings):
    prefix = f"test-{uuid.uuid4().hex}"
    settings.CACHES = redis_caches(settings, prefix)
    # Two independent cache clients (two connection pools), as two app servers would have.
    server_a = caches.create_connection("default")
    server_b = caches.create_connection("default")
    assert server_a is not server_b
    key, now = "rl:search:client", 1_000_000.0
    counts = []
    for server in (server_a, server_b, server_a, server_b):
        caches._connections.default = server
        counts.append(counters.hit(key, 60, now=now))
    assert counts == [1, 2, 3, 4]
    server_a.delete(f"{key}:{int(now // 60)}")


@pytest.mark.redis
@pytest.mark.django_db
def test_the_search_limit_holds_across_two_clients_through_redis(settings):
    prefix = f"test-{uuid.uuid4().hex}"
    settings.CACHES = redis_caches(settings, prefix)
    settings.RATELIMITS = {**settings.RATELIMITS, "search": "2/m"}
    first, second = Client(), Client()
    assert first.get(SEARCH, REMOTE_ADDR="198.51.100.70").status_code != 429
    caches._connections.default = caches.create_connection("default")  # a fresh client: server B
    assert second.get(SEARCH, REMOTE_ADDR="198.51.100.70").status_code != 429
    caches._connections.default = caches.create_connection("default")
    assert first.get(SEARCH, REMOTE_ADDR="198.51.100.70").status_code == 429
