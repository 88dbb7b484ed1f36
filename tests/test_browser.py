"""The public site in a real browser: Debian's Chromium driven by Playwright over a live server
holding the seeded motion B9-0072/2022. What a relative does: look a name up in Cyrillic, read in
another language, narrow a list, read the figures as they stood on a past date; and on every page
the Content Security Policy holds (no inline script or style, nothing from another host).

The live server runs in a thread of the test process against the test database. The motion is
loaded once per module and committed (it takes seconds, so not once per test); the tests only
read, and the module's teardown puts the database back as it found it (flush, then the rows it
held before, such as the staff groups of a data migration). pytest-django's `live_server` is not
used: its `transactional_db` flushes after every test, which would mean loading the motion again
for each one. On SQLite the server thread shares the test's in-memory connection; on PostgreSQL
it has its own and sees the committed motion.
"""

import os
import re
from collections.abc import Iterator

import pytest
from django.core.cache import cache
from django.core.management import call_command
from django.db import connection
from django.test import override_settings
from playwright.sync_api import Page, expect, sync_playwright
from pytest_django.live_server_helper import LiveServer

from casetracker.cases.seeding import load_motion, seed_public_id

# Each test reads inside a transaction rolled back after it; the motion is committed before.
pytestmark = [pytest.mark.browser, pytest.mark.django_db]

CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
    "--disable-quic",
]
SADYRBAYEVA = seed_public_id("person:raigul-sadyrbayeva")

# Collects what the browser refused under the Content Security Policy, from the first script on.
WATCH_CSP = """
window.__cspViolations = [];
document.addEventListener("securitypolicyviolation", (event) => {
  window.__cspViolations.push(event.violatedDirective + " " + (event.blockedURI || "inline"));
});
"""


@pytest.fixture(scope="module")
def site(django_db_setup, django_db_blocker) -> Iterator[str]:
    """The base URL of a live server over the seeded motion, for the tests of one module."""
    # One browser asks for many pages from one address: the rate limits are not under test here.
    with django_db_blocker.unblock(), override_settings(RATELIMIT_ENABLED=False):
        name = str(connection.settings_dict["NAME"])
        assert name.startswith(("test_", "file:memorydb_")), (
            name
        )  # the test database, never real data
        before = connection.creation.serialize_db_to_string()
        cache.clear()  # pages cached by earlier tests show other data
        load_motion()
        server = LiveServer("localhost")
        try:
            yield server.url
        finally:
            server.stop()
            _close_server_connections()
            call_command("flush", interactive=False, verbosity=0, inhibit_post_migrate=True)
            connection.creation.deserialize_db_from_string(before)
            cache.clear()


def _close_server_connections() -> None:
    """End the server threads' PostgreSQL sessions: a request thread still finishing a kept-alive
    connection would otherwise hold the test database open, and dropping it would fail."""
    if connection.vendor != "postgresql":
        return  # SQLite's server threads share the test's own connection
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT pg_terminate_backend(pid) FROM pg_stat_activity"
            " WHERE datname = current_database() AND pid <> pg_backend_pid()"
        )


@pytest.fixture(scope="module")
def browser():
    # Playwright's sync API keeps an event loop running in this thread; Django's guard against
    # database calls from async code would then refuse the test's own (synchronous) transaction.
    os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = "true"
    try:
        with sync_playwright() as playwright:
            browser = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
            yield browser
            browser.close()
    finally:
        del os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"]


class WatchedPage:
    """A browser tab that records console errors and CSP violations on every page it loads."""

    def __init__(self, page: Page):
        self.page = page
        self.errors: list[str] = []
        page.add_init_script(WATCH_CSP)
        page.on("console", self._console)
        page.on("pageerror", lambda error: self.errors.append(f"page error: {error}"))

    def _console(self, message) -> None:
        if message.type in {"error", "warning"}:
            self.errors.append(f"{message.type}: {message.text} ({self.page.url})")

    def problems(self) -> list[str]:
        """Console errors so far, and CSP violations on the page now shown."""
        violations = self.page.evaluate("window.__cspViolations || []")
        return self.errors + [f"CSP: {v} ({self.page.url})" for v in violations]


@pytest.fixture
def tab(browser) -> Iterator[WatchedPage]:
    context = browser.new_context(viewport={"width": 1280, "height": 800})
    watched = WatchedPage(context.new_page())
    yield watched
    context.close()


def test_a_name_typed_in_cyrillic_finds_the_person_and_opens_their_page(site, tab):
    page = tab.page
    page.goto(f"{site}/en/")
    page.get_by_label("Look a person up by name").fill("Садырбаева")
    page.get_by_role("button", name="Search").click()
    expect(page).to_have_url(re.compile(r"/en/search/\?q="))
    assert tab.problems() == []

    page.get_by_role("link", name="Raigul Sadyrbayeva").first.click()
    expect(page).to_have_url(f"{site}/en/people/{SADYRBAYEVA}/")
    expect(page.get_by_role("heading", level=1)).to_have_text("Raigul Sadyrbayeva")
    expect(page.locator(".status-box")).to_contain_text("Pre-trial detention")
    assert tab.problems() == []


def test_switching_language_keeps_the_reader_on_the_same_page(site, tab):
    page = tab.page
    page.goto(f"{site}/en/people/{SADYRBAYEVA}/")
    languages = page.get_by_role("navigation", name="Language")

    languages.get_by_role("link", name="Русский").click()
    expect(page).to_have_url(f"{site}/ru/people/{SADYRBAYEVA}/")
    expect(page.locator("html")).to_have_attribute("lang", "ru")
    expect(page.get_by_role("heading", level=1)).to_have_text("Raigul Sadyrbayeva")

    # The switcher's own name is in the page's language now: find it by its place, not its name.
    page.locator("nav.languages").get_by_role("link", name="Қазақ").click()
    expect(page).to_have_url(f"{site}/kk/people/{SADYRBAYEVA}/")
    expect(page.locator("html")).to_have_attribute("lang", "kk")
    expect(page.locator('[aria-current="true"]')).to_have_text("Қазақ")
    assert tab.problems() == []


def test_filtering_the_list_by_status_narrows_it_and_keeps_the_filter_in_the_url(site, tab):
    page = tab.page
    page.goto(f"{site}/en/people/")
    rows = page.locator(".list-results tbody tr")
    everyone = rows.count()

    page.get_by_role("checkbox", name="detained", exact=True).check()
    page.get_by_role("button", name="Apply").click()

    expect(page).to_have_url(re.compile(r"[?&]status=detained(&|$)"))
    expect(rows).to_have_count(7)  # the motion names seven persons as detained now
    assert rows.count() < everyone
    for status in rows.locator("td:nth-child(2)").all_inner_texts():
        assert status == "Detained"
    expect(page.get_by_role("checkbox", name="detained", exact=True)).to_be_checked()
    assert tab.problems() == []


def test_figures_as_of_a_past_date_count_only_what_had_happened_by_then(site, tab):
    page = tab.page
    page.goto(f"{site}/en/figures/")
    by_status = page.get_by_role("table", name="Persons by status")
    expect(by_status.get_by_role("row", name=re.compile("Detained"))).to_be_visible()

    page.get_by_label("As of").fill("2022-01-09")
    page.get_by_role("button", name="Show").click()

    expect(page).to_have_url(re.compile(r"as_of=2022-01-09"))
    expect(page.get_by_role("heading", level=1)).to_have_text("Figures as of Jan. 9, 2022")
    # By 9 January only the killings of 8 January had happened; the detentions of the motion
    # are reported as of its date, 18 January.
    expect(by_status.locator("tbody tr")).to_have_count(1)
    expect(by_status.get_by_role("row", name=re.compile("Killed"))).to_contain_text("3")
    assert tab.problems() == []


def test_no_public_page_runs_inline_script_or_style_or_loads_from_another_host(site, tab):
    page = tab.page
    for path in [
        "/en/",
        "/en/search/?q=Мендыгазиев",
        f"/en/people/{SADYRBAYEVA}/",
        "/en/people/?status=killed",
        f"/en/incidents/{seed_public_id('incident:january-2022-events')}/",
        "/en/incidents/",
        "/en/figures/?as_of=2022-01-20",
        "/en/people/no-such-person/",
    ]:
        page.goto(site + path)
        external = page.evaluate(
            """() => performance.getEntriesByType("resource").map((r) => r.name)
                 .filter((url) => new URL(url).origin !== location.origin)"""
        )
        assert external == [], path
    assert [p for p in tab.problems() if "404 (Not Found)" not in p] == []
