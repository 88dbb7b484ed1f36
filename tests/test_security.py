"""Security of the staff workspace: production settings, two-factor sign-in, staff pages uncached.

See docs/security.md for the ASVS requirement each test shows.
"""

import io
import os
import subprocess
import sys
import uuid
from pathlib import Path

import pytest
from django.contrib import admin
from django.contrib.auth import views as auth_views
from django.contrib.auth.password_validation import validate_password
from django.core.exceptions import ValidationError
from django.core.management import call_command
from django.urls import URLPattern, URLResolver, get_resolver
from django_otp.oath import totp
from django_otp.plugins.otp_static.models import StaticToken
from django_otp.plugins.otp_totp.models import TOTPDevice

from casetracker import settings as project_settings
from casetracker.security.admin_site import StaffAdminSite
from casetracker.security.forms import StaffLoginForm

ROOT = Path(__file__).resolve().parent.parent
PASSWORD = "correct horse battery staple"


@pytest.fixture(autouse=True)
def fresh_cache(settings):
    # A cache of its own per test: login failures must not leak from one test into the next.
    settings.CACHES = {
        "default": {
            "BACKEND": "django.core.cache.backends.locmem.LocMemCache",
            "LOCATION": uuid.uuid4().hex,
        }
    }


def make_staff(django_user_model, username="editor", **kwargs):
    kwargs.setdefault("is_staff", True)
    kwargs.setdefault("is_superuser", True)
    return django_user_model.objects.create_user(
        username, f"{username}@example.org", PASSWORD, **kwargs
    )


def make_authenticator(user) -> TOTPDevice:
    return TOTPDevice.objects.create(user=user, name="authenticator", confirmed=True)


def current_code(device: TOTPDevice) -> str:
    return f"{totp(device.bin_key, device.step, device.t0, device.digits):06d}"


def sign_in(client, username="editor", password=PASSWORD, code="", address="10.0.0.1"):
    return client.post(
        "/admin/login/?next=/admin/",
        {"username": username, "password": password, "otp_token": code, "next": "/admin/"},
        REMOTE_ADDR=address,
    )


def run_django(env: dict, *args: str) -> subprocess.CompletedProcess:
    clean = {
        k: v for k, v in os.environ.items() if k not in {"DEBUG", "SECRET_KEY", "ALLOWED_HOSTS"}
    }
    return subprocess.run(  # noqa: S603 (our own manage.py, fixed arguments)
        [sys.executable, "manage.py", *args],
        cwd=ROOT,
        env={**clean, **env},
        capture_output=True,
        text=True,
        timeout=120,
    )


# Production mode


def test_production_refuses_to_start_with_the_development_key():
    result = run_django(
        {"SECRET_KEY": project_settings.DEVELOPMENT_SECRET_KEY, "ALLOWED_HOSTS": "example.org"},
        "check",
    )
    assert result.returncode != 0
    assert "Production mode needs a SECRET_KEY of its own" in result.stderr


def test_production_refuses_to_start_without_allowed_hosts():
    result = run_django({"SECRET_KEY": "x" * 60}, "check")
    assert result.returncode != 0
    assert "Production mode needs ALLOWED_HOSTS" in result.stderr


def test_deploy_check_is_clean_in_production():
    env = {"SECRET_KEY": uuid.uuid4().hex * 2, "ALLOWED_HOSTS": "casetracker.example.org"}
    result = run_django(env, "check", "--deploy", "--fail-level", "WARNING")
    assert result.returncode == 0, result.stderr
    assert "no issues" in result.stdout


@pytest.mark.redis
def test_deploy_check_and_migrations_are_clean_with_redis_caches():
    redis_url = os.environ.get("REDIS_URL") or "redis://127.0.0.1:6379/15"
    env = {
        "SECRET_KEY": uuid.uuid4().hex * 2,
        "ALLOWED_HOSTS": "casetracker.example.org",
        "REDIS_URL": redis_url,
    }
    result = run_django(env, "check", "--deploy", "--fail-level", "WARNING")
    assert result.returncode == 0, result.stderr
    result = run_django(
        {"DEBUG": "1", "REDIS_URL": redis_url}, "makemigrations", "--check", "--dry-run"
    )
    assert result.returncode == 0, result.stdout + result.stderr


def test_passwords_shorter_than_twelve_characters_or_common_are_refused():
    with pytest.raises(ValidationError):
        validate_password("short-pw1!")
    with pytest.raises(ValidationError):
        validate_password("password1234")
    with pytest.raises(ValidationError):
        validate_password("123456789012345")
    validate_password("a long passphrase of words")
    validate_password("a passphrase of sixty-four characters or more is welcome here, too!")


# Staff pages are never cached


@pytest.mark.django_db
@pytest.mark.parametrize("path", ["/admin/", "/admin/login/", "/admin/cases/person/", "/staff/"])
def test_staff_pages_are_sent_with_no_store(client, django_user_model, settings, path):
    settings.STAFF_REQUIRE_2FA = False
    client.force_login(make_staff(django_user_model))
    response = client.get(path)
    assert "no-store" in response["Cache-Control"]


@pytest.mark.django_db
def test_staff_login_page_is_sent_with_no_store_to_anonymous_visitors(client):
    response = client.get("/admin/login/")
    assert response.status_code == 200
    assert "no-store" in response["Cache-Control"]


@pytest.mark.django_db
def test_public_pages_are_not_marked_no_store(client):
    response = client.get("/en/")
    assert "no-store" not in response.get("Cache-Control", "")


# Two-factor sign-in


@pytest.mark.django_db
@pytest.mark.parametrize("path", ["/admin/", "/admin/cases/person/", "/staff/export/"])
def test_with_2fa_required_a_session_without_a_code_is_sent_to_the_login(
    client, django_user_model, settings, path
):
    settings.STAFF_REQUIRE_2FA = True
    client.force_login(make_staff(django_user_model))
    response = client.get(path)
    assert response.status_code == 302
    assert response["Location"].startswith("/admin/login/?next=")


@pytest.mark.django_db
def test_with_2fa_off_a_password_session_reaches_the_workspace(client, django_user_model, settings):
    settings.STAFF_REQUIRE_2FA = False
    client.force_login(make_staff(django_user_model))
    assert client.get("/admin/").status_code == 200


@pytest.mark.django_db
def test_with_2fa_off_the_password_alone_signs_in(client, django_user_model, settings):
    settings.STAFF_REQUIRE_2FA = False
    make_staff(django_user_model)
    response = sign_in(client)
    assert response.status_code == 302
    assert client.get("/admin/").status_code == 200


@pytest.mark.django_db
def test_with_2fa_required_the_password_alone_does_not_sign_in(client, django_user_model, settings):
    settings.STAFF_REQUIRE_2FA = True
    make_authenticator(make_staff(django_user_model))
    response = sign_in(client)
    assert response.status_code == 200
    assert "OTP token" in response.content.decode()
    assert client.get("/admin/").status_code == 302


@pytest.mark.django_db
def test_with_2fa_required_password_and_authenticator_code_sign_in(
    client, django_user_model, settings
):
    settings.STAFF_REQUIRE_2FA = True
    device = make_authenticator(make_staff(django_user_model))
    response = sign_in(client, code=current_code(device))
    assert response.status_code == 302, response.content.decode()
    assert client.get("/admin/").status_code == 200
    assert client.get("/admin/cases/person/").status_code == 200


@pytest.mark.django_db
def test_a_wrong_authenticator_code_does_not_sign_in(client, django_user_model, settings):
    settings.STAFF_REQUIRE_2FA = True
    device = make_authenticator(make_staff(django_user_model))
    wrong = f"{(int(current_code(device)) + 1) % 1_000_000:06d}"
    response = sign_in(client, code=wrong)
    assert response.status_code == 200
    assert client.get("/admin/").status_code == 302


@pytest.mark.django_db
def test_an_authenticator_code_signs_in_once_only(client, django_user_model, settings):
    settings.STAFF_REQUIRE_2FA = True
    device = make_authenticator(make_staff(django_user_model))
    code = current_code(device)
    assert sign_in(client, code=code).status_code == 302
    client.logout()
    assert sign_in(client, code=code).status_code == 200


@pytest.mark.django_db
def test_a_backup_code_signs_in_once_only(client, django_user_model, settings):
    settings.STAFF_REQUIRE_2FA = True
    user = make_staff(django_user_model)
    call_command("create_admin_device", user.username, codes=3, stdout=io.StringIO())
    code = StaticToken.objects.filter(device__user=user).first().token
    assert sign_in(client, code=code).status_code == 302
    client.logout()
    assert sign_in(client, code=code).status_code == 200
    assert client.get("/admin/").status_code == 302


@pytest.mark.django_db
def test_create_admin_device_prints_the_otpauth_address_qr_and_backup_codes(
    django_user_model, capsys
):
    user = make_staff(django_user_model, username="first-admin")
    call_command("create_admin_device", "first-admin", qr=True, codes=10)
    out = capsys.readouterr().out
    device = TOTPDevice.objects.get(user=user)
    assert device.confirmed
    assert device.config_url in out
    assert out.count("otpauth://totp/") == 1
    tokens = StaticToken.objects.filter(device__user=user).values_list("token", flat=True)
    assert len(tokens) == 10
    assert all(token in out for token in tokens)
    assert "█" in out or "▀" in out or "▄" in out  # the QR code, drawn in the terminal


@pytest.mark.django_db
def test_create_admin_device_refuses_to_replace_devices_silently(django_user_model):
    make_staff(django_user_model, username="first-admin")
    call_command("create_admin_device", "first-admin", stdout=io.StringIO())
    with pytest.raises(Exception, match="--replace"):
        call_command("create_admin_device", "first-admin", stdout=io.StringIO())


def _views(resolver: URLResolver, prefix: str = ""):
    for entry in resolver.url_patterns:
        if isinstance(entry, URLResolver):
            yield from _views(entry, prefix + str(entry.pattern))
        elif isinstance(entry, URLPattern):
            yield prefix + str(entry.pattern), entry


def test_the_only_login_is_the_admins_one_time_code_login():
    assert isinstance(admin.site, StaffAdminSite)
    assert admin.site.login_form is StaffLoginForm
    logins = []
    for route, pattern in _views(get_resolver()):
        view = getattr(pattern.callback, "view_class", None)
        name = getattr(pattern.callback, "__name__", type(pattern.callback).__name__).lower()
        if (view is not None and issubclass(view, auth_views.LoginView)) or "login" in name:
            logins.append((route, pattern.name))
    assert logins == [("admin/login/", "login")]
