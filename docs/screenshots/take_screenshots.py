"""Screenshots of each public page at desktop and phone width, for docs/screenshots/.

Runs against a server that holds the seeded motion (see the README, "Decisions: Accessibility"):

    DEBUG=1 .venv/bin/python manage.py load_motion
    DEBUG=1 RATELIMIT_ENABLED=0 .venv/bin/python manage.py runserver 127.0.0.1:8000
    .venv/bin/python docs/screenshots/take_screenshots.py --base-url http://127.0.0.1:8000

It drives Debian's Chromium (/usr/bin/chromium) through Playwright and needs no Django set-up of
its own. The seeded records' public ids derive from their fixture slugs, so they are the same on
every install (casetracker.cases.seeding.seed_public_id).
"""

import argparse
from pathlib import Path

from playwright.sync_api import sync_playwright

HERE = Path(__file__).resolve().parent
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
WIDTHS = {"desktop": (1280, 800), "phone": (390, 844)}

# (file name, path under the language prefix); seeded ids: person:raigul-sadyrbayeva,
# incident "The January 2022 events in Kazakhstan" and "Mass arrests after the protests".
PAGES = [
    ("home", "/"),
    ("search", "/search/?q=%D0%A1%D0%B0%D0%B4%D1%8B%D1%80%D0%B1%D0%B0%D0%B5%D0%B2%D0%B0"),
    ("person", "/people/bxe7bd75k6/"),
    ("person-list", "/people/"),
    ("person-list-filtered", "/people/?status=detained"),
    ("incident", "/incidents/2t4z54jnys/"),
    ("incident-persons", "/incidents/gqx62ats2e/"),
    ("incident-list", "/incidents/"),
    ("figures", "/figures/"),
    ("figures-as-of", "/figures/?as_of=2022-01-06"),
]
# The person page in the other languages too: the page a relative is most likely to share.
TRANSLATED = [("person", "/people/bxe7bd75k6/", ("ru", "kk"))]


def shots():
    for name, path in PAGES:
        yield f"{name}", f"/en{path}"
    for name, path, languages in TRANSLATED:
        for language in languages:
            yield f"{name}-{language}", f"/{language}{path}"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--base-url", default="http://127.0.0.1:8000")
    parser.add_argument("--out", type=Path, default=HERE)
    args = parser.parse_args()
    base = args.base_url.rstrip("/")
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        for width_name, (width, height) in WIDTHS.items():
            page = browser.new_page(viewport={"width": width, "height": height})
            for name, path in shots():
                page.goto(base + path)
                target = args.out / f"{name}-{width_name}.png"
                page.screenshot(path=target, full_page=True)
                print(
                    target.relative_to(Path.cwd()) if target.is_relative_to(Path.cwd()) else target
                )
            page.close()
        browser.close()


if __name__ == "__main__":
    main()
