"""Accessibility of the public pages, checked by axe-core (bundled by axe-playwright-python) in
Debian's Chromium over the seeded motion: no serious or critical violation on the home, search,
person, incident, list and figures pages, in English, Russian and Kazakh."""

import pytest
from axe_playwright_python.sync_playwright import Axe

from casetracker.cases.seeding import seed_public_id
from tests.test_browser import browser, site, tab  # noqa: F401 (fixtures)

pytestmark = [pytest.mark.browser, pytest.mark.django_db]

PAGES = [
    "/",
    "/search/?q=Садырбаева",
    f"/people/{seed_public_id('person:raigul-sadyrbayeva')}/",
    f"/incidents/{seed_public_id('incident:january-2022-events')}/",
    f"/incidents/{seed_public_id('incident:mass-arrests')}/",
    "/people/",
    "/incidents/",
    "/figures/",
]
SEVERE = {"serious", "critical"}
# Without preloading: axe would fetch the stylesheets again from inside the page, which takes
# seconds per page and adds nothing to rules that read computed styles.
AXE_OPTIONS = {"resultTypes": ["violations"], "preload": False}


@pytest.mark.parametrize("language", ["en", "ru", "kk"])
def test_public_pages_have_no_serious_accessibility_violation(site, tab, language):  # noqa: F811
    axe = Axe()
    found = []
    for path in PAGES:
        tab.page.goto(f"{site}/{language}{path}")
        assert tab.page.locator("html").get_attribute("lang") == language
        for violation in axe.run(tab.page, options=AXE_OPTIONS).response["violations"]:
            if violation["impact"] in SEVERE:
                targets = [node["target"] for node in violation["nodes"]]
                found.append(f"{path}: {violation['id']} ({violation['impact']}) at {targets}")
    assert found == []


def test_axe_reports_what_it_should_so_a_clean_result_means_something(site, tab):  # noqa: F811
    tab.page.set_content('<html><body><main><img src="data:,"><input></main></body></html>')
    result = Axe().run(tab.page, options=AXE_OPTIONS).response["violations"]
    assert {"image-alt", "label", "html-has-lang"} <= {v["id"] for v in result}
