"""The public pages: what a reader sees of a case, and nothing more, in few queries."""

import datetime

import pytest
from django.core.cache import cache
from django.db import connection
from django.template.loader import render_to_string
from django.test.utils import CaptureQueriesContext
from django.utils import translation

from casetracker.cases import models as m
from casetracker.cases.dates import format_partial
from casetracker.cases.status import recompute_status

from .factories import make_citation, make_entry, make_incident, make_person, make_source

pytestmark = pytest.mark.django_db

PUBLISHED = m.Publication.PUBLISHED


@pytest.fixture(autouse=True)
def _fresh_cache():
    cache.clear()
    yield
    cache.clear()


def shown(day: datetime.date, precision: str) -> str:
    """A date as an English page shows it."""
    with translation.override("en"):
        return format_partial(day, precision)


def make_place(**kwargs) -> m.Place:
    kwargs.setdefault("name", "Almaty")
    kwargs.setdefault("kind", m.Place.Kind.CITY)
    kwargs.setdefault("publication", PUBLISHED)
    return m.Place.objects.create(**kwargs)


def make_detention(person: m.Person, **kwargs) -> m.Detention:
    kwargs.setdefault("kind", m.Detention.Kind.PRE_TRIAL_DETENTION)
    kwargs.setdefault("publication", PUBLISHED)
    return m.Detention.objects.create(person=person, **kwargs)


def make_involvement(person: m.Person, incident: m.Incident, **kwargs) -> m.Involvement:
    kwargs.setdefault("role", m.Involvement.Role.DETAINED)
    kwargs.setdefault("publication", PUBLISHED)
    return m.Involvement.objects.create(person=person, incident=incident, **kwargs)


def make_full_person(entries: int = 1) -> m.Person:
    """A public person with one public fact of every kind, each cited, and `entries` entries."""
    source = make_source(title="Motion B9-0072/2022")
    person = make_person(display_name="Raigul Sadyrbayeva", summary="Human rights defender.")
    m.PersonName.objects.create(
        person=person, name="Sadyrbayeva Raigul", kind="surname_first", publication=PUBLISHED
    )
    person.roles.add(m.Role.objects.create(slug="defender", name="Human rights defender"))
    make_citation(source, person=person, locator="recital 17")
    prison = make_place(
        name="Semey remand prison",
        kind=m.Place.Kind.FACILITY,
        postal_address="Semey, Remand Street 1",
        has_public_address=True,
    )
    detention = make_detention(person, facility=prison, has_health_concerns=True)
    make_citation(source, detention=detention, quote="placed in pre-trial detention")
    charge = m.Charge.objects.create(
        person=person,
        wording="politically motivated criminal case",
        stage="investigation",
        publication=PUBLISHED,
    )
    make_citation(source, charge=charge)
    incident = make_incident(title="Protests in Semey")
    involvement = make_involvement(person, incident, role=m.Involvement.Role.MONITOR)
    make_citation(source, involvement=involvement)
    relative = make_person(display_name="A Colleague")
    relation = m.Relationship.objects.create(
        person=person, kind="colleague_of", other=relative, publication=PUBLISHED
    )
    make_citation(source, relationship=relation)
    intervention = m.Intervention.objects.create(
        person=person,
        kind="release_call",
        description="named for release in para 12",
        publication=PUBLISHED,
    )
    make_citation(source, intervention=intervention)
    ngo = m.Organisation.objects.create(name="Defenders NGO", kind="ngo", publication=PUBLISHED)
    affiliation = m.Affiliation.objects.create(
        person=person, organisation=ngo, position="monitor", publication=PUBLISHED
    )
    make_citation(source, affiliation=affiliation)
    start = datetime.date(2020, 1, 1)
    for day in range(entries):
        m.StatusEntry.objects.create(
            person=person,
            status=m.Status.PRE_TRIAL_DETENTION,
            occurred_on=start + datetime.timedelta(days=day),
            occurred_precision="day",
            note=f"Entry {day}",
            publication=PUBLISHED,
        )
    for entry in person.status_entries.all():
        make_citation(source, status_entry=entry, locator="recital 17")
    recompute_status(person)
    return person


# Home


def test_home_links_to_the_lists_the_search_and_the_figures(client, django_assert_num_queries):
    make_person()
    # 1 persons by public status, 2 incidents count; then cached.
    with django_assert_num_queries(2):
        response = client.get("/en/")
    with django_assert_num_queries(0):
        client.get("/en/")
    html = response.content.decode()
    for url in ("/en/people/", "/en/incidents/", "/en/figures/", "/en/search/"):
        assert f'href="{url}"' in html


# Person page


@pytest.mark.parametrize("entries", [1, 200])
def test_person_page_costs_the_same_for_1_and_200_entries(
    client, django_assert_num_queries, entries
):
    person = make_full_person(entries=entries)
    # 1 person with citizenship and latest public entry; prefetches: 2 names, 3 roles,
    # 4 person citations, 5 entries, 6 their citations, 7 detentions (place, facility, authority),
    # 8 their citations, 9 charges, 10 their citations, 11 involvements (incident, perpetrator),
    # 12 their citations, 13 relationships (other), 14 their citations, 15 inverse
    # relationships (person), 16 interventions (by, incident), 17 their citations,
    # 18 affiliations (organisation), 19 their citations.
    with django_assert_num_queries(19):
        response = client.get(f"/en/people/{person.public_id}/")
    assert response.status_code == 200
    assert response.content.decode().count('class="entry-head"') == entries


def test_person_page_shows_every_public_fact_with_its_source(client):
    person = make_full_person()
    html = client.get(f"/en/people/{person.public_id}/").content.decode()
    for text in (
        "Raigul Sadyrbayeva",
        "Sadyrbayeva Raigul",
        "Human rights defender",
        "pre-trial detention",
        f"since {shown(datetime.date(2020, 1, 1), 'day')}",
        "Semey remand prison",
        "health concerns",
        "politically motivated criminal case",
        "under investigation",
        "Protests in Semey",
        "A Colleague",
        "named for release in para 12",
        "Defenders NGO",
        "Motion B9-0072/2022",
        "recital 17",
        "placed in pre-trial detention",
    ):
        assert text in html, text


def test_person_page_tells_how_to_write_to_a_detainee_only_at_a_public_address(client):
    person = make_full_person()
    html = client.get(f"/en/people/{person.public_id}/").content.decode()
    assert "How to write to them" in html
    assert "Semey, Remand Street 1" in html
    for facility in m.Place.objects.filter(kind=m.Place.Kind.FACILITY):
        facility.has_public_address = False
        facility.save()
    html = client.get(f"/en/people/{person.public_id}/").content.decode()
    assert "Semey, Remand Street 1" not in html


def test_status_reported_without_a_start_reads_as_reported_on(client):
    person = make_person()
    make_entry(
        person,
        status=m.Status.IMPRISONED,
        occurred_on=datetime.date(2022, 1, 18),
        date_kind=m.DateKind.AS_REPORTED,
    )
    html = client.get(f"/en/people/{person.public_id}/").content.decode()
    assert f"as reported on {shown(datetime.date(2022, 1, 18), 'day')}" in html


def test_month_precision_dates_are_never_shown_as_days(client):
    person = make_person()
    make_entry(person, occurred_on=datetime.date(2022, 1, 1), occurred_precision="month")
    html = client.get(f"/en/people/{person.public_id}/").content.decode()
    assert f"since {shown(datetime.date(2022, 1, 1), 'month')}" in html
    assert shown(datetime.date(2022, 1, 1), "day") not in html


def test_draft_entries_and_draft_citations_stay_off_the_person_page(client):
    person = make_person()
    make_entry(person, status=m.Status.DETAINED, note="public turn")
    make_entry(
        person,
        status=m.Status.RELEASED,
        occurred_on=datetime.date(2022, 3, 1),
        note="draft turn",
        publication=m.Publication.DRAFT,
    )
    entry = person.status_entries.get(note="public turn")
    make_citation(make_source(), status_entry=entry, quote="draft quote", publication="draft")
    make_citation(make_source(is_confidential=True, title="Secret dossier"), status_entry=entry)
    html = client.get(f"/en/people/{person.public_id}/").content.decode()
    assert "public turn" in html
    assert "detained" in html
    for hidden in ("draft turn", "released", "draft quote", "Secret dossier"):
        assert hidden not in html


def test_unnamed_victims_and_demo_records_are_labelled(client):
    person = make_person(display_name="Their 15-year-old daughter", is_unnamed=True, is_demo=True)
    html = client.get(f"/en/people/{person.public_id}/").content.decode()
    assert "unnamed in the source" in html
    assert "demo data" in html


def test_non_public_person_answers_exactly_like_a_missing_one(client):
    hidden = make_person(display_name="Withheld", consent=m.Consent.WITHHELD, publication="draft")
    missing = client.get("/en/people/0000000000/")
    answer = client.get(f"/en/people/{hidden.public_id}/")
    assert answer.status_code == missing.status_code == 404
    assert answer.content == missing.content
    assert b"Withheld" not in answer.content


def test_merged_person_redirects_to_the_public_person_kept(client):
    kept = make_person(display_name="Kept")
    merged = make_person(display_name="Duplicate")
    m.Person.objects.filter(pk=merged.pk).update(merged_into=kept)
    response = client.get(f"/en/people/{merged.public_id}/")
    assert response.status_code == 302
    assert response["Location"] == f"/en/people/{kept.public_id}/"


def test_merged_person_is_missing_when_the_kept_one_is_not_public(client):
    kept = make_person(display_name="Kept", publication="draft")
    merged = make_person(display_name="Duplicate")
    m.Person.objects.filter(pk=merged.pk).update(merged_into=kept)
    missing = client.get("/en/people/0000000000/")
    response = client.get(f"/en/people/{merged.public_id}/")
    assert response.status_code == 404
    assert response.content == missing.content


def test_officials_are_shown_with_what_the_sources_say_they_did(client):
    official = make_person(display_name="An Official", occupation="Minister")
    incident = make_incident(title="Shoot-to-kill order")
    make_involvement(
        official,
        incident,
        role=m.Involvement.Role.RESPONSIBLE_OFFICIAL,
        description="Gave the order, as the motion states.",
    )
    html = client.get(f"/en/people/{official.public_id}/").content.decode()
    assert "Responsible official" in html
    assert "Gave the order, as the motion states." in html


def test_relationships_to_non_public_persons_are_left_out(client):
    person = make_person(display_name="Public One")
    other = make_person(
        display_name="Hidden Relative", consent=m.Consent.WITHHELD, publication="draft"
    )
    m.Relationship.objects.create(
        person=person, kind="child_of", other=other, publication=PUBLISHED
    )
    html = client.get(f"/en/people/{person.public_id}/").content.decode()
    assert "Hidden Relative" not in html


# Incident page


def test_incident_page_groups_public_persons_by_role(client, django_assert_num_queries):
    parent = make_incident(title="The January events")
    incident = make_incident(title="Shooting in Taldykorgan", parent=parent)
    incident.places.add(make_place(name="Taldykorgan"))
    killed = make_person(display_name="Nurbolat Seitkulov")
    make_involvement(killed, incident, role=m.Involvement.Role.KILLED)
    hidden = make_person(
        display_name="Hidden Witness", risk_level=m.RiskLevel.HIGH, publication="draft"
    )
    make_involvement(hidden, incident, role=m.Involvement.Role.WITNESS)
    make_involvement(make_person(display_name="Draft Fact"), incident, publication="draft")
    make_incident(title="A sub-event", parent=incident)
    make_incident(title="A draft sub-event", parent=incident, publication="draft")
    figure = m.Figure.objects.create(
        incident=incident,
        measure="killed",
        qualifier="at_least",
        value=3,
        label="civilians",
        as_of_on=datetime.date(2022, 1, 11),
        as_of_precision="day",
        publication=PUBLISHED,
    )
    make_citation(make_source(title="The motion"), figure=figure, locator="recital 4")
    m.Intervention.objects.create(
        incident=incident,
        kind="investigation_call",
        description="calls for an inquiry",
        publication=PUBLISHED,
    )
    # 1 incident with parent; prefetches: 2 places, 3 citations, 4 figures, 5 their citations,
    # 6 involvements (person, perpetrator), 7 their citations, 8 sub-incidents,
    # 9 interventions (by), 10 their citations.
    with django_assert_num_queries(10):
        response = client.get(f"/en/incidents/{incident.public_id}/")
    html = response.content.decode()
    for text in (
        "Killed",
        "Nurbolat Seitkulov",
        "The January events",
        "A sub-event",
        "Taldykorgan",
        "At least 3",
        "recital 4",
        f"as of {shown(datetime.date(2022, 1, 11), 'day')}",
    ):
        assert text in html, text
    for text in ("Hidden Witness", "Draft Fact", "A draft sub-event"):
        assert text not in html, text


def test_unpublished_incident_is_not_found(client):
    incident = make_incident(publication="draft")
    assert client.get(f"/en/incidents/{incident.public_id}/").status_code == 404


# Browse lists


def test_person_list_filters_by_status_role_and_incident(client):
    incident = make_incident(title="Protest")
    detained = make_person(display_name="Detained Person")
    make_entry(detained, status=m.Status.DETAINED)
    make_involvement(detained, incident, role=m.Involvement.Role.DETAINED)
    released = make_person(display_name="Released Person")
    make_entry(released, status=m.Status.RELEASED)
    html = client.get("/en/people/?status=detained").content.decode()
    assert "Detained Person" in html and "Released Person" not in html
    html = client.get("/en/people/?involvement_role=detained").content.decode()
    assert "Detained Person" in html and "Released Person" not in html
    html = client.get(f"/en/people/?incident={incident.public_id}").content.decode()
    assert "Detained Person" in html and "Released Person" not in html
    html = client.get("/en/people/?ordering=-name").content.decode()
    assert html.index("Released Person") < html.index("Detained Person")


def test_person_list_pages_without_counting_the_table(client, django_assert_num_queries):
    m.Person.objects.bulk_create(
        m.Person(
            display_name=f"Person {n:03}",
            consent="public_source",
            risk_level="low",
            publication=PUBLISHED,
            published_at=datetime.datetime(2022, 1, 1, tzinfo=datetime.UTC),
        )
        for n in range(51)
    )
    for n in range(3):  # the menus must not cost a query per place or incident
        m.Place.objects.create(name=f"City {n}", kind="city", publication=PUBLISHED)
        make_incident(title=f"Event {n}")
    # 1 one page of persons plus one row (with their latest public entry), 2 their roles;
    # the filter form's menus: 3 roles, 4 public places, 5 public incidents.
    with django_assert_num_queries(5), CaptureQueriesContext(connection) as queries:
        first = client.get("/en/people/?status=&ordering=name").content.decode()
    assert not any("COUNT(" in q["sql"].upper() for q in queries.captured_queries)
    assert "Person 049" in first and "Person 050" not in first
    assert 'rel="next"' in first and "page=2" in first and "ordering=name" in first
    second = client.get("/en/people/?ordering=name&page=2").content.decode()
    assert "Person 050" in second and 'rel="prev"' in second and 'rel="next"' not in second


def test_incident_list_filters_by_kind_and_date(client, django_assert_num_queries):
    make_incident(
        title="A shooting",
        kind="shooting",
        started_on=datetime.date(2022, 1, 8),
        started_precision="day",
    )
    make_incident(
        title="A protest",
        kind="protest",
        started_on=datetime.date(2022, 1, 2),
        started_precision="day",
    )
    make_incident(title="A draft event", kind="shooting", publication="draft")
    # 1 one page of incidents plus one row, 2 their public places, 3 the place menu.
    with django_assert_num_queries(3):
        html = client.get("/en/incidents/?kind=shooting").content.decode()
    assert "A shooting" in html and "A protest" not in html and "A draft event" not in html
    html = client.get("/en/incidents/?started_to=2022-01-05").content.decode()
    assert "A protest" in html and "A shooting" not in html


def test_list_filter_form_is_a_get_form_with_labels(client):
    html = client.get("/en/people/").content.decode()
    assert '<form class="filters" method="get"' in html
    assert 'for="id_status_0"' in html or "<legend" in html
    assert 'for="id_q"' in html


# Feeds and sitemap


def test_updates_feed_lists_public_entries_of_public_persons(client, django_assert_num_queries):
    public = make_person(display_name="Public Person")
    make_entry(public, note="published turn")
    make_entry(
        public, note="draft turn", occurred_on=datetime.date(2022, 2, 1), publication="draft"
    )
    hidden = make_person(display_name="Withheld Person", consent="withheld", publication="draft")
    make_entry(hidden, note="hidden turn")
    # 1 the latest public entries with their persons.
    with django_assert_num_queries(1):
        response = client.get("/en/feeds/updates/")
    body = response.content.decode()
    assert response["Content-Type"].startswith("application/atom+xml")
    assert "Public Person" in body and "published turn" in body
    for hidden_text in ("draft turn", "Withheld Person", "hidden turn"):
        assert hidden_text not in body


def test_person_feed_lists_the_persons_public_entries(client, django_assert_num_queries):
    person = make_person(display_name="Followed Person")
    make_entry(person, note="first turn")
    # 1 the person, 2 their latest public entries.
    with django_assert_num_queries(2):
        body = client.get(f"/en/people/{person.public_id}/feed/").content.decode()
    assert "first turn" in body


def test_feed_of_a_non_public_person_answers_like_a_missing_one(client):
    hidden = make_person(consent="withheld", publication="draft")
    missing = client.get("/en/people/0000000000/feed/")
    answer = client.get(f"/en/people/{hidden.public_id}/feed/")
    assert answer.status_code == missing.status_code == 404
    assert answer.content == missing.content


def test_sitemap_lists_public_persons_and_incidents_in_every_language(
    client, django_assert_num_queries
):
    public = make_person()
    hidden = make_person(consent="withheld", publication="draft")
    incident = make_incident()
    draft = make_incident(publication="draft")
    # 1 persons, 2 incidents (the pages need none).
    with django_assert_num_queries(2):
        body = client.get("/sitemap.xml").content.decode()
    for lang in ("en", "ru", "kk"):
        assert f"/{lang}/people/{public.public_id}/" in body
        assert f"/{lang}/incidents/{incident.public_id}/" in body
        assert f"/{lang}/figures/" in body
    assert hidden.public_id not in body and draft.public_id not in body


# Error pages


def test_not_found_page_is_in_the_readers_language_and_says_nothing_of_the_address(client):
    response = client.get("/ru/people/nothing-here/")
    assert response.status_code == 404
    html = response.content.decode()
    assert '<html lang="ru">' in html
    assert "nothing-here" not in html


def test_server_error_page_renders_without_context_or_database(django_assert_num_queries):
    with django_assert_num_queries(0), translation.override("en"):
        html = render_to_string("500.html")
    assert "Something went wrong" in html
    assert "Traceback" not in html


def test_too_many_requests_page_answers_429_in_the_site_look(rf):
    from casetracker.public.views import too_many_requests

    request = rf.get("/kk/people/")
    with translation.override("kk"):
        response = too_many_requests(request)
    assert response.status_code == 429
    assert '<html lang="kk">' in response.content.decode()
    assert "site.css" in response.content.decode()


def test_language_links_keep_the_reader_on_the_same_page(client):
    person = make_person()
    html = client.get(f"/en/people/{person.public_id}/?x=1").content.decode()
    assert f'href="/ru/people/{person.public_id}/?x=1"' in html
    assert f'href="/kk/people/{person.public_id}/?x=1"' in html


def test_list_download_links_carry_the_same_filters_without_the_page(client):
    html = client.get("/en/people/?status=detained&charge=272&page=2").content.decode()
    for fmt in ("csv", "xlsx", "json"):
        assert f'href="/export/persons.{fmt}?status=detained&amp;charge=272"' in html
    html = client.get("/en/incidents/?kind=shooting").content.decode()
    assert 'href="/export/incidents.csv?kind=shooting"' in html


def test_export_urls_of_facts_point_at_anchors_on_the_person_page(client):
    """Exports give detentions, charges and timeline entries the person page + #public id."""
    person = make_person()
    entry = make_entry(person)
    detention = m.Detention.objects.create(
        person=person, kind="police_custody", publication="published"
    )
    charge = m.Charge.objects.create(
        person=person, legal_basis="art. 272", stage="trial", publication="published"
    )
    page = client.get(person.get_absolute_url()).content.decode()
    for fact in (entry, detention, charge):
        assert f'id="{fact.public_id}"' in page


def test_a_source_address_that_is_not_a_web_link_is_shown_as_text(client):
    person = make_person()
    entry = make_entry(person)
    for url in ("javascript:alert(1)", "https://example.org/report"):
        source = make_source(title=f"Report at {url[:5]}", url=url)
        make_citation(source, status_entry=entry)
    page = client.get(person.get_absolute_url()).content.decode()
    assert 'href="javascript:' not in page
    assert 'href="https://example.org/report"' in page
