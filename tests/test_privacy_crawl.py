"""The privacy crawl: nothing that is not public reaches any public page, feed or sitemap.

A marker is planted in every field that is not public and in every row that is not public
(drafts, withheld consent, unknown consent, high risk, merged, confidential sources, draft
citations, unpublished incidents, places and organisations). The crawl starts from every named
public URL in the URL configuration, in every language, follows every link, the sitemap and the
feeds, and visits every person's and incident's address, public or not. The marker must appear
nowhere; filtering or searching for it must change no result; a non-public record's address must
answer exactly like a missing one. A deliberate leak proves the crawl can fail.
"""

import datetime
import io
import re
import zipfile
from collections import deque
from urllib.parse import urlencode, urljoin, urlsplit

import pytest
from django.conf import settings
from django.core.cache import cache
from django.test import override_settings
from django.urls import URLPattern, URLResolver, get_resolver, reverse
from django.utils import timezone, translation

from casetracker.cases import models as m
from casetracker.cases.status import recompute_status

pytestmark = pytest.mark.django_db

MARKER = "LEAKMARKER"
# Same length as the marker and found nowhere: a query that matches nothing.
NOTHING = "QZXJVWKQZX"
MISSING_ID = "0000000000"
LANGUAGES = [code for code, _name in settings.LANGUAGES]
# Doors that are not public: the staff workspace and Django's own language form.
NOT_PUBLIC_PREFIXES = ("/admin/", "/staff/", "/i18n/", "/static/")
# The API is crawled by its own tests (its pages link by JSON fields, not by href).
OTHER_DOORS = ("/api/",)
MAX_PAGES = 1500

PUBLISHED = m.Publication.PUBLISHED
DRAFT = m.Publication.DRAFT


def leak(label: str) -> str:
    return f"{MARKER} {label}"


def published(**kwargs) -> dict:
    return {"publication": PUBLISHED, "published_at": timezone.now(), **kwargs}


@pytest.fixture(autouse=True)
def _fresh_cache():
    cache.clear()
    yield
    cache.clear()


@pytest.fixture
def world() -> dict:
    """A small register with the marker in everything that is not public."""
    source = m.Source.objects.create(
        title="Motion B9-0072/2022",
        kind=m.Source.Kind.MOTION,
        notes=leak("source private notes"),
        **published(),
    )
    confidential = m.Source.objects.create(
        title=leak("confidential source title"),
        kind=m.Source.Kind.TESTIMONY,
        reference=leak("confidential reference"),
        description=leak("confidential description"),
        full_text=leak("confidential full text"),
        url="https://example.org/leakmarker-confidential",
        is_confidential=True,
        **published(),
    )
    draft_source = m.Source.objects.create(
        title=leak("draft source title"),
        kind=m.Source.Kind.REPORT,
        url="https://example.org/leakmarker-draft",
    )
    hidden_sources = [confidential, draft_source]

    country = m.Place.objects.create(name="Kazakhstan", kind="country", **published())
    city = m.Place.objects.create(name="Almaty", kind="city", parent=country, **published())
    draft_place = m.Place.objects.create(
        name=leak("draft place"), kind="city", other_names=leak("draft place other name")
    )
    prison = m.Place.objects.create(
        name="Remand prison",
        kind="facility",
        parent=city,
        postal_address=leak("address not fit to show"),
        has_public_address=False,
        **published(),
    )
    draft_org = m.Organisation.objects.create(
        name=leak("draft organisation"), kind="security_force", description=leak("org desc")
    )
    org = m.Organisation.objects.create(name="Defenders NGO", kind="ngo", **published())

    incident = m.Incident.objects.create(
        title="Protests in Almaty",
        kind="protest",
        started_on=datetime.date(2022, 1, 4),
        started_precision="day",
        private_notes=leak("incident private notes"),
        **published(),
    )
    incident.places.add(city, draft_place)
    draft_incident = m.Incident.objects.create(
        title=leak("draft incident"),
        kind="shooting",
        description=leak("draft incident description"),
        parent=incident,
        private_notes=leak("draft incident notes"),
    )
    draft_incident.places.add(city)
    m.Figure.objects.create(
        incident=incident, measure="arrested", value=7, label=leak("draft figure"), **{}
    )
    m.Figure.objects.create(
        incident=draft_incident,
        measure="killed",
        value=3,
        label=leak("figure of draft incident"),
        **published(),
    )
    public_figure = m.Figure.objects.create(
        incident=incident,
        measure="arrested",
        qualifier="at_least",
        value=100,
        label="detained",
        as_of_on=datetime.date(2022, 1, 11),
        as_of_precision="day",
        **published(),
    )
    cite(public_figure, source, hidden_sources)

    person = m.Person.objects.create(
        display_name="Public Person",
        summary="A defender.",
        private_notes=leak("private notes"),
        consent=m.Consent.PUBLIC_SOURCE,
        risk_level=m.RiskLevel.LOW,
        citizenship=draft_place,
        status_verified_on=datetime.date(2022, 1, 20),
        **published(),
    )
    add_facts(
        person,
        incident=incident,
        place=draft_place,
        prison=prison,
        org=draft_org,
        source=source,
        hidden_sources=hidden_sources,
        public=True,
    )
    m.PersonName.objects.create(person=person, name=leak("draft name"), kind="alias")
    m.PersonName.objects.create(
        person=person, name="Person Public", kind="surname_first", **published()
    )
    affiliated = m.Affiliation.objects.create(
        person=person, organisation=org, position="monitor", **published()
    )
    cite(affiliated, source, hidden_sources)
    m.Affiliation.objects.create(
        person=person, organisation=draft_org, position="head", **published()
    )

    hidden_people = [
        # Every reason a person is not public, each with a full set of published facts.
        m.Person.objects.create(
            display_name=leak("draft person"), consent=m.Consent.GIVEN, risk_level="low"
        ),
        m.Person.objects.create(
            display_name=leak("withheld consent"), consent=m.Consent.WITHHELD, risk_level="low"
        ),
        m.Person.objects.create(
            display_name=leak("unknown consent"), consent=m.Consent.UNKNOWN, risk_level="low"
        ),
        m.Person.objects.create(
            display_name=leak("high risk"), consent=m.Consent.GIVEN, risk_level=m.RiskLevel.HIGH
        ),
    ]
    merged = m.Person.objects.create(
        display_name=leak("merged duplicate"), consent="given", risk_level="low", **published()
    )
    merged.merged_into = hidden_people[0]
    hidden_people.append(merged)
    for hidden in hidden_people:
        hidden.summary = leak("hidden summary")
        hidden.occupation = leak("hidden occupation")
        hidden.save()
        m.PersonName.objects.create(
            person=hidden, name=leak("hidden name"), kind="alias", **published()
        )
        add_facts(
            hidden,
            incident=incident,
            place=city,
            prison=prison,
            org=org,
            source=source,
            hidden_sources=[],
            public=False,
        )
        m.Relationship.objects.create(
            person=person,
            kind="colleague_of",
            other=hidden,
            note=leak("relationship to hidden"),
            **published(),
        )
        m.Relationship.objects.create(
            person=hidden,
            kind="child_of",
            other=person,
            note=leak("relationship from hidden"),
            **published(),
        )
        m.Affiliation.objects.create(
            person=hidden, organisation=org, position=leak("hidden affiliation"), **published()
        )

    return {
        "person": person,
        "hidden_people": hidden_people,
        "incident": incident,
        "draft_incident": draft_incident,
        "draft_place": draft_place,
        "city": city,
    }


def cite(fact, source, hidden_sources) -> None:
    """One public citation, one draft citation and one of each hidden source."""
    field = {m.Person: "person", m.Incident: "incident"}.get(type(fact))
    field = field or re.sub(r"(?<!^)([A-Z])", r"_\1", type(fact).__name__).lower()
    m.Citation.objects.create(
        source=source, locator="para 1", quote="public words", **{field: fact}, **published()
    )
    m.Citation.objects.create(
        source=source,
        locator=leak("draft locator"),
        quote=leak("draft citation quote"),
        claimed_by=leak("draft claim"),
        **{field: fact},
    )
    for hidden in hidden_sources:
        m.Citation.objects.create(
            source=hidden,
            locator=leak("hidden source locator"),
            quote=leak("hidden source quote"),
            **{field: fact},
            **published(),
        )


def add_facts(person, *, incident, place, prison, org, source, hidden_sources, public) -> None:
    """A published fact of every kind, plus (for a public person) a draft one of every kind."""
    label = "public" if public else "hidden person"
    note = (lambda s: s) if public else leak

    cite(person, source, hidden_sources)
    entry = m.StatusEntry.objects.create(
        person=person,
        status=m.Status.PRE_TRIAL_DETENTION,
        occurred_on=datetime.date(2022, 1, 6),
        occurred_precision="day",
        note=note(f"{label} entry"),
        **published(),
    )
    cite(entry, source, hidden_sources)
    m.StatusEntry.objects.create(
        person=person,
        status=m.Status.ABROAD,
        occurred_on=datetime.date(2022, 2, 1),
        occurred_precision="day",
        note=leak("draft entry note"),
    )
    detention = m.Detention.objects.create(
        person=person,
        kind="pre_trial_detention",
        started_on=datetime.date(2022, 1, 6),
        started_precision="day",
        place=place,
        facility=prison,
        authority=org,
        note=note(f"{label} detention"),
        **published(),
    )
    cite(detention, source, hidden_sources)
    m.Detention.objects.create(person=person, kind="imprisonment", note=leak("draft detention"))
    charge = m.Charge.objects.create(
        person=person,
        legal_basis=note("Criminal Code art. 272"),
        stage="trial",
        wording=note(f"{label} charge"),
        **published(),
    )
    cite(charge, source, hidden_sources)
    m.Charge.objects.create(
        person=person,
        legal_basis=leak("draft charge article"),
        wording=leak("draft charge"),
        stage="investigation",
    )
    involvement = m.Involvement.objects.create(
        person=person,
        incident=incident,
        role="detained",
        perpetrator=org,
        description=note(f"{label} involvement"),
        **published(),
    )
    cite(involvement, source, hidden_sources)
    m.Involvement.objects.create(
        person=person, incident=incident, role="tortured", description=leak("draft involvement")
    )
    intervention = m.Intervention.objects.create(
        person=person,
        kind="release_call",
        by=org,
        description=note(f"{label} intervention"),
        made_on=datetime.date(2022, 1, 18),
        made_precision="day",
        **published(),
    )
    cite(intervention, source, hidden_sources)
    m.Intervention.objects.create(
        person=person, kind="urgent_appeal", description=leak("draft intervention")
    )
    recompute_status(person)


# The crawl


def takes_arguments(pattern: URLPattern) -> bool:
    return pattern.pattern.regex.groups > 0


def named_public_urls() -> list[str]:
    """Every named URL of the configuration that takes no argument, outside the staff doors."""
    urls = []

    def walk(patterns, namespace: str) -> None:
        for pattern in patterns:
            if isinstance(pattern, URLResolver):
                inner = f"{namespace}{pattern.namespace}:" if pattern.namespace else namespace
                walk(pattern.url_patterns, inner)
            elif isinstance(pattern, URLPattern) and pattern.name and not takes_arguments(pattern):
                urls.append(f"{namespace}{pattern.name}")

    walk(get_resolver().url_patterns, "")
    found = set()
    for name in urls:
        for language in LANGUAGES:
            with translation.override(language):
                url = reverse(name)
            if not url.startswith(NOT_PUBLIC_PREFIXES + OTHER_DOORS):
                found.add(url)
    return sorted(found)


def record_urls(world: dict) -> tuple[list[str], list[str]]:
    """Addresses of every person and incident: those that must answer, those that must not."""
    public_urls, hidden_urls = [], []
    for person in m.Person.objects.all():
        target = public_urls if person.is_public else hidden_urls
        for language in LANGUAGES:
            target += [
                f"/{language}/people/{person.public_id}/",
                f"/{language}/people/{person.public_id}/feed/",
            ]
    for incident in m.Incident.objects.all():
        target = public_urls if incident.is_published else hidden_urls
        target += [f"/{language}/incidents/{incident.public_id}/" for language in LANGUAGES]
    return public_urls, hidden_urls


HREF = re.compile(r"""(?:href|src)=["']([^"'#]+)""")
LOC = re.compile(r"<loc>([^<]+)</loc>")


def links(body: str, base: str) -> list[str]:
    found = []
    for url in HREF.findall(body) + LOC.findall(body):
        url = urljoin(f"http://testserver{base}", url.replace("&amp;", "&"))
        parts = urlsplit(url)
        if parts.netloc and parts.netloc != "testserver":
            continue
        path = parts.path + (f"?{parts.query}" if parts.query else "")
        if path.startswith("/") and not path.startswith(NOT_PUBLIC_PREFIXES + OTHER_DOORS):
            found.append(path)
    return found


def crawl(client, world: dict) -> dict[str, bytes]:
    """Every public page reachable from the URL configuration, the records, sitemap and feeds."""
    public_urls, _hidden = record_urls(world)
    queue = deque(
        named_public_urls()
        + public_urls
        + [f"/{language}/figures/?as_of=2022-01-10" for language in LANGUAGES]
    )
    seen: dict[str, bytes] = {}
    while queue and len(seen) < MAX_PAGES:
        url = queue.popleft()
        if url in seen:
            continue
        response = client.get(url)
        assert response.status_code in (200, 302), (url, response.status_code)
        if response.status_code == 302:
            seen[url] = response["Location"].encode()
            queue.append(response["Location"])
            continue
        body = seen[url] = readable(response)
        if response["Content-Type"].startswith(
            ("text/html", "application/atom+xml", "application/xml")
        ):
            queue.extend(u for u in links(body.decode(), url) if u not in seen)
    assert len(seen) < MAX_PAGES, "the crawl did not finish"
    return seen


def readable(response) -> bytes:
    """The response's text; for a spreadsheet, the text of every part of its zip file."""
    body = b"".join(response.streaming_content) if response.streaming else response.content
    if body.startswith(b"PK"):
        with zipfile.ZipFile(io.BytesIO(body)) as archive:
            return b"".join(archive.read(name) for name in archive.namelist())
    return body


def pages_with_marker(pages: dict[str, bytes]) -> list[str]:
    return [url for url, body in pages.items() if MARKER.lower().encode() in body.lower()]


def test_no_public_page_shows_anything_that_is_not_public(client, world):
    pages = crawl(client, world)
    assert pages_with_marker(pages) == []
    # The crawl reached every kind of page, in every language.
    for language in LANGUAGES:
        for path in (
            "",
            "people/",
            "incidents/",
            "figures/",
            "search/",
            "feeds/updates/",
            f"people/{world['person'].public_id}/",
            f"people/{world['person'].public_id}/feed/",
            f"incidents/{world['incident'].public_id}/",
        ):
            assert f"/{language}/{path}" in pages, f"/{language}/{path}"
    assert "/sitemap.xml" in pages
    # The lists' download links lead the crawl into the exports, spreadsheets included.
    assert {"/export/persons.csv", "/export/persons.xlsx", "/export/incidents.json"} <= set(pages)
    # And it read the public facts it was meant to read.
    person_page = pages[f"/en/people/{world['person'].public_id}/"].decode()
    for text in (
        "Public Person",
        "Person Public",
        "public entry",
        "public detention",
        "public charge",
        "public involvement",
        "public intervention",
        "Defenders NGO",
        "public words",
        "Remand prison",
    ):
        assert text in person_page, text


def test_every_non_public_address_answers_exactly_like_a_missing_one(client, world):
    _public, hidden_urls = record_urls(world)
    assert len(hidden_urls) == 5 * 2 * len(LANGUAGES) + len(LANGUAGES)
    for url in hidden_urls:
        language, kind = url.split("/")[1:3]
        missing_url = f"/{language}/{kind}/{MISSING_ID}/" + (
            "feed/" if url.endswith("feed/") else ""
        )
        missing = client.get(missing_url)
        answer = client.get(url)
        assert answer.status_code == missing.status_code == 404, url
        assert answer.content == missing.content, url


def filtered_views(world: dict) -> list[tuple[str, dict]]:
    """Every list and search with each text filter, and the id filters with hidden records."""
    views = []
    for language in LANGUAGES:
        views += [
            (f"/{language}/people/", {"q": MARKER}),
            (f"/{language}/people/", {"charge": MARKER}),
            (f"/{language}/people/", {"place": world["draft_place"].public_id}),
            (f"/{language}/people/", {"incident": world["draft_incident"].public_id}),
            (f"/{language}/incidents/", {"q": MARKER}),
            (f"/{language}/incidents/", {"place": world["draft_place"].public_id}),
            (f"/{language}/search/", {"q": MARKER}),
            (f"/{language}/search/", {"q": MARKER.lower()}),
        ]
    return views


def test_filtering_or_searching_for_the_marker_changes_no_public_result(client, world):
    for path, params in filtered_views(world):
        ((name, value),) = params.items()
        nothing = NOTHING if value.upper() == MARKER else "z" * len(value)
        nothing = nothing.lower() if value.islower() else nothing
        asked = client.get(f"{path}?{urlencode(params)}")
        baseline = client.get(f"{path}?{urlencode({name: nothing})}")
        assert asked.status_code == baseline.status_code == 200
        # The page echoes the query; apart from that, it must be the page of a query that
        # matches nothing.
        assert asked.content.replace(value.encode(), nothing.encode()) == baseline.content, (
            path,
            params,
        )


LEAKY_PERSON_PAGE = (
    '{% extends "base.html" %}{% block content %}'
    "<h1>{{ person.display_name }}</h1><p>{{ person.private_notes }}</p>{% endblock %}"
)


def test_a_deliberate_leak_makes_the_crawl_fail(client, world):
    leaky = [
        {
            "BACKEND": "django.template.backends.django.DjangoTemplates",
            "DIRS": settings.TEMPLATES[0]["DIRS"],
            "APP_DIRS": False,
            "OPTIONS": {
                **settings.TEMPLATES[0]["OPTIONS"],
                "loaders": [
                    (
                        "django.template.loaders.locmem.Loader",
                        {"public/person_detail.html": LEAKY_PERSON_PAGE},
                    ),
                    "django.template.loaders.filesystem.Loader",
                    "django.template.loaders.app_directories.Loader",
                ],
            },
        }
    ]
    with override_settings(TEMPLATES=leaky):
        pages = crawl(client, world)
    leaks = pages_with_marker(pages)
    assert f"/en/people/{world['person'].public_id}/" in leaks
    with pytest.raises(AssertionError):
        assert leaks == []
