import datetime
import json
import re

import pytest
from django.db import connection

from casetracker.api.pagination import MAX_SEARCH_OFFSET
from casetracker.cases import models as m

from .factories import (
    make_charge,
    make_citation,
    make_detention,
    make_entry,
    make_incident,
    make_person,
    make_place,
    make_source,
)

pytestmark = pytest.mark.django_db

MARKER = "zqxmarker"
ENDPOINTS = ["persons", "incidents", "detentions", "charges", "timeline", "sources"]


@pytest.fixture(autouse=True)
def _no_rate_limit(settings):
    # Many requests from one client in a run: the limits have tests of their own.
    settings.RATELIMIT_ENABLED = False


def get(client, url: str, **params):
    response = client.get(url, params)
    assert response.status_code == 200, response.content
    return response.json()


def public_ids(body: dict) -> list[str]:
    return [row["public_id"] for row in body["results"]]


@pytest.fixture
def register():
    """One of each public record, and beside it a marker in everything that is not public."""
    source = make_source(title="Motion", reference="B9-0072/2022")
    secret_source = make_source(title=f"Secret {MARKER}", is_confidential=True)
    draft_source = make_source(title=f"Draft {MARKER}", publication=m.Publication.DRAFT)
    city = make_place(name="Almaty")
    draft_place = make_place(name=f"Place {MARKER}", publication=m.Publication.DRAFT)

    person = make_person(
        display_name="Aigerim Test", private_notes=f"notes {MARKER}", citizenship=draft_place
    )
    m.PersonName.objects.create(
        person=person, name="Test Aigerim", kind="surname_first", publication="published"
    )
    m.PersonName.objects.create(person=person, name=f"Alias {MARKER}", kind="alias")
    make_citation(source, person=person, locator="para 12")
    make_citation(secret_source, person=person, locator=f"p. {MARKER}")
    make_citation(draft_source, person=person, locator="p. 3")
    make_citation(source, person=person, locator=f"draft {MARKER}", publication="draft")

    detention = make_detention(person, place=city, facility=draft_place, note="held")
    make_detention(person, note=f"draft {MARKER}", publication=m.Publication.DRAFT)
    draft_detention = m.Detention.objects.filter(publication="draft").get()
    charge = make_charge(
        person, detention=draft_detention, stage_on=datetime.date(2022, 1, 7), stage_precision="day"
    )
    make_charge(person, wording=f"draft {MARKER}", publication=m.Publication.DRAFT)
    entry = make_entry(person, detention=detention, charge=charge)
    make_entry(
        person,
        status=m.Status.RELEASED,
        occurred_on=datetime.date(2022, 2, 1),
        note=f"draft {MARKER}",
        publication=m.Publication.DRAFT,
    )

    incident = make_incident(title="Almaty protest", private_notes=f"notes {MARKER}")
    incident.places.add(city, draft_place)
    make_incident(title=f"Draft {MARKER}", publication=m.Publication.DRAFT)

    hidden = make_person(
        display_name=f"Withheld {MARKER}",
        consent=m.Consent.WITHHELD,
        publication=m.Publication.DRAFT,
    )
    make_entry(hidden, note=MARKER)
    make_detention(hidden, note=MARKER)
    make_charge(hidden, wording=MARKER)
    high_risk = make_person(
        display_name=f"Draft {MARKER}", risk_level=m.RiskLevel.HIGH, publication="draft"
    )
    return {
        "persons": person,
        "incidents": incident,
        "detentions": detention,
        "charges": charge,
        "timeline": entry,
        "sources": source,
        "hidden": hidden,
        "high_risk": high_risk,
    }


@pytest.mark.parametrize("endpoint", ENDPOINTS)
def test_every_endpoint_lists_and_details_public_records(client, register, endpoint):
    record = register[endpoint]
    body = get(client, f"/api/{endpoint}/")
    assert public_ids(body) == [record.public_id]
    assert body["next"] is None and body["previous"] is None
    detail = get(client, f"/api/{endpoint}/{record.public_id}/")
    assert detail["public_id"] == record.public_id


@pytest.mark.parametrize("endpoint", ENDPOINTS)
def test_nothing_that_is_not_public_reaches_the_api(client, register, endpoint):
    record = register[endpoint]
    bodies = [
        client.get(f"/api/{endpoint}/").content,
        client.get(f"/api/{endpoint}/{record.public_id}/").content,
    ]
    for body in bodies:
        assert MARKER not in body.decode()
        assert b"private_notes" not in body and b"consent" not in body
        assert b"risk_level" not in body


def test_a_non_public_person_is_a_404_identical_to_a_missing_id(client, register):
    hidden = client.get(f"/api/persons/{register['hidden'].public_id}/")
    missing = client.get("/api/persons/0000000000/")
    assert hidden.status_code == missing.status_code == 404
    assert hidden.content == missing.content
    assert hidden.headers["Content-Type"] == missing.headers["Content-Type"]


@pytest.mark.parametrize("odd_id", ["429.html", "x.json", "..", "a b", "%00"])
@pytest.mark.parametrize("endpoint", ["persons", "charges", "timeline"])
def test_any_id_under_a_resource_is_the_same_json_404(client, db, endpoint, odd_id):
    """Found by schemathesis: an id with a dot fell through to the site's HTML 404."""
    missing = client.get(f"/api/{endpoint}/0000000000/")
    odd = client.get(f"/api/{endpoint}/{odd_id}/")
    assert odd.status_code == missing.status_code == 404
    assert odd.headers["Content-Type"] == "application/json"
    assert odd.content == missing.content


@pytest.mark.parametrize("endpoint", ["detentions", "charges", "timeline"])
def test_facts_of_a_non_public_person_are_not_found(client, register, endpoint):
    model = {"detentions": m.Detention, "charges": m.Charge, "timeline": m.StatusEntry}[endpoint]
    fact = model.objects.filter(person=register["hidden"]).get()
    assert client.get(f"/api/{endpoint}/{fact.public_id}/").status_code == 404


def test_a_person_shows_public_names_citations_and_current_status(client, register):
    person = register["persons"]
    body = get(client, f"/api/persons/{person.public_id}/")
    assert [n["name"] for n in body["names"]] == ["Test Aigerim"]
    assert [(c["source"]["reference"], c["locator"]) for c in body["citations"]] == [
        ("B9-0072/2022", "para 12")
    ]
    # The released entry is a draft: the public still sees the person detained.
    assert body["public_status"] == "detained"
    assert body["latest_public_entry"]["public_id"] == register["timeline"].public_id
    assert body["latest_public_entry"]["date_kind"] == "began"
    assert body["citizenship"] is None  # a draft place is not shown, not even as an id


def test_the_api_carries_exactly_the_declared_public_fields(client, register):
    from casetracker.cases.public import public_fields

    models = {
        "persons": m.Person,
        "incidents": m.Incident,
        "detentions": m.Detention,
        "charges": m.Charge,
        "timeline": m.StatusEntry,
        "sources": m.Source,
    }
    nested = {"names", "citations"}
    for endpoint, model in models.items():
        body = get(client, f"/api/{endpoint}/{register[endpoint].public_id}/")
        assert set(body) - nested == set(public_fields(model)), endpoint


def test_related_records_show_only_while_public(client, register):
    detention = get(client, f"/api/detentions/{register['detentions'].public_id}/")
    assert detention["place"]["name"] == "Almaty"
    assert detention["facility"] is None
    assert detention["person"] == {
        "public_id": register["persons"].public_id,
        "name": "Aigerim Test",
    }
    charge = get(client, f"/api/charges/{register['charges'].public_id}/")
    assert charge["detention"] is None  # the draft detention
    entry = get(client, f"/api/timeline/{register['timeline'].public_id}/")
    assert entry["detention"] == register["detentions"].public_id
    assert entry["charge"] == register["charges"].public_id
    incident = get(client, f"/api/incidents/{register['incidents'].public_id}/")
    assert [p["name"] for p in incident["places"]] == ["Almaty"]


def test_source_list_leaves_out_the_full_text_its_detail_has(client):
    source = make_source(full_text="The whole motion.")
    listed = get(client, "/api/sources/")["results"][0]
    assert "full_text" not in listed
    assert get(client, f"/api/sources/{source.public_id}/")["full_text"] == "The whole motion."


def test_lookups_never_take_the_primary_key(client, register):
    person = register["persons"]
    assert client.get(f"/api/persons/{person.pk}/").status_code == 404


def test_person_filters_narrow_the_list(client):
    detained = make_person(display_name="Detained One")
    make_entry(detained, status=m.Status.DETAINED)
    released = make_person(display_name="Released One")
    make_entry(released, status=m.Status.RELEASED)
    make_charge(released, legal_basis="Criminal Code, art. 174")
    assert public_ids(get(client, "/api/persons/", status="detained")) == [detained.public_id]
    assert public_ids(get(client, "/api/persons/", charge="174")) == [released.public_id]


def test_fact_filters_apply_person_filters_and_their_own(client):
    detained = make_person(display_name="Detained One")
    make_entry(detained, status=m.Status.DETAINED)
    released = make_person(display_name="Released One")
    make_entry(released, status=m.Status.RELEASED)
    wanted = make_detention(detained, kind="pre_trial_detention")
    make_detention(detained, kind="house_arrest")
    make_detention(released, kind="pre_trial_detention")
    body = get(client, "/api/detentions/", status="detained", kind="pre_trial_detention")
    assert public_ids(body) == [wanted.public_id]
    body = get(client, "/api/timeline/", entry_status="released")
    assert [row["person"]["public_id"] for row in body["results"]] == [released.public_id]


def test_incident_filters_narrow_the_list(client):
    protest = make_incident(title="Protest in Almaty", kind="protest")
    make_incident(title="Internet shutdown", kind="internet_shutdown")
    assert public_ids(get(client, "/api/incidents/", kind="protest")) == [protest.public_id]
    assert public_ids(get(client, "/api/incidents/", q="almaty")) == [protest.public_id]


def test_name_search_returns_the_register_search_in_rank_order(client):
    exact = make_person(display_name="Raigul Sadyrbayeva")
    prefix = make_person(display_name="Raigulya Sadyrbayevana")
    make_person(display_name="Someone Else")
    body = get(client, "/api/persons/", q="Садырбаева Райгуль")
    assert public_ids(body) == [exact.public_id, prefix.public_id]


def test_name_search_does_not_find_unpublished_names(client):
    person = make_person(display_name="Aigerim Test")
    m.PersonName.objects.create(person=person, name="Secretname", kind="alias")
    assert get(client, "/api/persons/", q="Secretname")["results"] == []


def test_name_search_combines_with_the_other_filters(client):
    detained = make_person(display_name="Aigerim Detained")
    make_entry(detained, status=m.Status.DETAINED)
    released = make_person(display_name="Aigerim Released")
    make_entry(released, status=m.Status.RELEASED)
    body = get(client, "/api/persons/", q="aigerim", status="released")
    assert public_ids(body) == [released.public_id]


def test_name_search_pages_in_rank_order_with_a_capped_offset(client):
    persons = [make_person(display_name=f"Aigerim Person{i:02d}") for i in range(5)]
    first = get(client, "/api/persons/", q="aigerim", page_size=2)
    second = client.get(first["next"]).json()
    third = client.get(second["next"]).json()
    ids = public_ids(first) + public_ids(second) + public_ids(third)
    assert sorted(ids) == sorted(p.public_id for p in persons)
    assert third["next"] is None
    assert client.get(second["previous"]).json() == first
    assert client.get("/api/persons/", {"q": "aigerim", "cursor": "bogus"}).status_code == 404
    beyond = client.get("/api/persons/", {"q": "aigerim", "cursor": _offset(MAX_SEARCH_OFFSET)})
    assert beyond.status_code == 404


def _offset(offset: int) -> str:
    from base64 import b64encode

    return b64encode(f"o={offset}".encode()).decode()


def test_lists_page_by_cursor_through_every_record_once(client):
    persons = [make_person(display_name=f"Person {i}") for i in range(7)]
    seen, url = [], "/api/persons/?page_size=3"
    while url:
        body = client.get(url).json()
        seen += public_ids(body)
        url = body["next"]
    assert seen == sorted(p.public_id for p in persons)


@pytest.mark.parametrize("rows", [1, 50])
def test_a_page_costs_the_same_queries_whatever_it_holds(client, django_assert_num_queries, rows):
    for i in range(rows):
        person = make_person(display_name=f"Person {i}")
        make_citation(make_source(), person=person)
    # 1. the page of persons, public rows after the cursor, with citizenship and latest entry
    #    joined (LIMIT page size + 1: no COUNT(*))
    # 2. their roles  3. their public names  4. their public citations with sources
    with django_assert_num_queries(4) as captured:
        body = get(client, "/api/persons/")
    assert len(body["results"]) == rows
    assert not any("COUNT(" in q["sql"].upper() for q in captured.captured_queries)


@pytest.mark.parametrize("rows", [1, 50])
def test_a_fact_page_costs_the_same_queries(client, django_assert_num_queries, rows):
    for i in range(rows):
        make_detention(make_person(display_name=f"Person {i}"))
    # 1. the page of detentions with person, place, facility and authority joined
    # 2. their public citations with sources
    with django_assert_num_queries(2):
        assert len(get(client, "/api/detentions/")["results"]) == rows


def test_a_name_search_page_costs_a_fixed_number_of_queries(client, django_assert_num_queries):
    for i in range(3):
        make_person(display_name=f"Aigerim Person{i}")
    # 1. the search keys matching the query (the engine's candidates; on PostgreSQL two: the
    #    query's similar words, then one statement for the keys holding the words or those)
    # 2. the page of persons in rank order, LIMIT page size + 1 (no COUNT(*))
    # 3. roles  4. public names  5. public citations with sources
    with django_assert_num_queries(6 if connection.vendor == "postgresql" else 5):
        assert len(get(client, "/api/persons/", q="aigerim")["results"]) == 3


def test_the_schema_validates(client):
    from drf_spectacular.validation import validate_schema

    response = client.get("/api/schema/", {"format": "json"})
    assert response.status_code == 200
    schema = response.json()
    validate_schema(schema)  # against the OpenAPI 3 JSON Schema drf-spectacular ships
    paths = set(schema["paths"])
    for endpoint in ENDPOINTS:
        assert f"/api/{endpoint}/" in paths
        assert f"/api/{endpoint}/{{public_id}}/" in paths


def test_the_docs_page_allows_inline_styles_on_its_path_alone(client):
    docs = client.get("/api/docs/")
    assert docs.status_code == 200
    policy = _directives(docs.headers["Content-Security-Policy"])
    assert policy["style-src"] == {"'self'", "'unsafe-inline'"}
    assert policy["img-src"] == {"'self'", "data:"}
    assert policy["script-src"] == {"'self'"}
    for other in ["/api/persons/", "/api/schema/"]:
        policy = _directives(client.get(other).headers["Content-Security-Policy"])
        assert "'unsafe-inline'" not in policy["style-src"]


def test_the_docs_page_loads_nothing_from_another_host(client):
    html = client.get("/api/docs/").content.decode()
    addresses = re.findall(r'(?:src|href)="([^"]*)"', html)
    assert any(a.endswith("swagger-ui-bundle.js") for a in addresses)
    assert any("/static/api/swagger-init.js" in a for a in addresses)
    for address in addresses:
        assert address.startswith("/"), address
        assert not address.startswith("//"), address
    assert "<script>" not in html  # no inline script: the start-up script is a file
    script = client.get("/static/api/swagger-init.js")
    assert script.status_code == 200
    assert "http" not in b"".join(script.streaming_content).decode()


def test_the_docs_page_has_no_view_rendered_script(client):
    assert client.get("/api/docs/", {"script": ""}).status_code == 404


def test_the_api_answers_json_only(client, register):
    response = client.get("/api/persons/", HTTP_ACCEPT="text/html")
    assert response.headers["Content-Type"] == "application/json"
    json.loads(response.content)


def _directives(header: str) -> dict[str, set[str]]:
    parts = (part.strip().split() for part in header.split(";") if part.strip())
    return {name: set(values) for name, *values in parts}


def test_a_choice_filter_pages_without_distinct(client, django_assert_num_queries):
    from casetracker.public.filters import PersonFilter

    make_entry(make_person(), status=m.Status.DETAINED)
    # 1. the page of detained persons (a DISTINCT here would sort every match before the LIMIT)
    # 2. roles  3. public names  4. public citations
    with django_assert_num_queries(4) as captured:
        assert len(get(client, "/api/persons/", status="detained")["results"]) == 1
    assert "DISTINCT" not in captured.captured_queries[0]["sql"].upper()
    assert PersonFilter.base_filters["status"].distinct  # the public lists keep their own
