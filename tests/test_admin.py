import datetime
import re

import pytest
from django.contrib import admin
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from casetracker.cases import models as m

from .factories import make_citation, make_entry, make_incident, make_person, make_source

pytestmark = pytest.mark.django_db

REGISTERED = [model for model in admin.site._registry if model._meta.app_label == "cases"]


def make_case(suffix: str = "") -> dict:
    """One of every record, linked the way staff would enter them."""
    source = make_source(title=f"Report{suffix}")
    country = m.Place.objects.create(name=f"Kazakhstan{suffix}", kind=m.Place.Kind.COUNTRY)
    city = m.Place.objects.create(name=f"Almaty{suffix}", kind=m.Place.Kind.CITY, parent=country)
    org = m.Organisation.objects.create(name=f"Police{suffix}", kind="security_force")
    person = make_person(display_name=f"Aigerim Test{suffix}")
    other = make_person(display_name=f"Dana Test{suffix}")
    incident = make_incident(title=f"Protest{suffix}")
    incident.places.add(city)
    detention = m.Detention.objects.create(
        person=person, kind="pre_trial_detention", place=city, authority=org
    )
    charge = m.Charge.objects.create(person=person, legal_basis="art. 272", stage="investigation")
    entry = make_entry(person, detention=detention)
    records = {
        "source": source,
        "place": city,
        "organisation": org,
        "person": person,
        "incident": incident,
        "detention": detention,
        "charge": charge,
        "statusentry": entry,
        "personname": m.PersonName.objects.create(
            person=person, name=f"Test Aigerim{suffix}", kind="surname_first"
        ),
        "relationship": m.Relationship.objects.create(
            person=person, other=other, kind="relative_of"
        ),
        "affiliation": m.Affiliation.objects.create(person=person, organisation=org),
        "involvement": m.Involvement.objects.create(
            person=person, incident=incident, role="detained"
        ),
        "figure": m.Figure.objects.create(
            incident=incident, measure="arrested", value=10, label="arrested"
        ),
        "intervention": m.Intervention.objects.create(
            person=person, kind="release_call", description="Release"
        ),
        "role": m.Role.objects.create(
            slug=f"journalist{suffix.lower()}", name=f"journalist{suffix}"
        ),
    }
    records["citation"] = make_citation(source, person=person, quote="named")
    for key in ("statusentry", "detention", "charge", "involvement", "figure"):
        make_citation(
            source,
            **{
                m.Citation._meta.get_field(
                    {"statusentry": "status_entry"}.get(key, key)
                ).name: records[key]
            },
        )
    person.roles.add(records["role"])
    return records


@pytest.mark.parametrize("model", REGISTERED, ids=lambda model: model._meta.model_name)
def test_it_loads_every_changelist_add_and_change_page(staff_client, model):
    records = make_case()
    info = model._meta.app_label, model._meta.model_name
    assert staff_client.get(reverse("admin:{}_{}_changelist".format(*info))).status_code == 200
    assert staff_client.get(reverse("admin:{}_{}_add".format(*info))).status_code == 200
    obj = records[model._meta.model_name]
    assert (
        staff_client.get(reverse("admin:{}_{}_change".format(*info), args=[obj.pk])).status_code
        == 200
    )
    if hasattr(obj, "history"):
        assert (
            staff_client.get(
                reverse("admin:{}_{}_history".format(*info), args=[obj.pk])
            ).status_code
            == 200
        )


@pytest.mark.parametrize("model", REGISTERED, ids=lambda model: model._meta.model_name)
def test_no_changelist_runs_a_query_per_row(staff_client, model):
    make_case("A")
    url = reverse(f"admin:{model._meta.app_label}_{model._meta.model_name}_changelist")
    with CaptureQueriesContext(connection) as few:
        staff_client.get(url)
    for suffix in "BCDE":
        make_case(suffix)
    with CaptureQueriesContext(connection) as many:
        staff_client.get(url)
    assert len(many) == len(few), [q["sql"] for q in many.captured_queries]


def test_person_changelist_shows_the_status_and_when(staff_client):
    person = make_person(display_name="Raigul Test")
    make_entry(
        person,
        status=m.Status.PRE_TRIAL_DETENTION,
        occurred_on=datetime.date(2022, 1, 18),
        date_kind="as_reported",
    )
    response = staff_client.get(reverse("admin:cases_person_changelist"))
    assert "pre-trial detention (as reported on" in response.content.decode()


def test_person_changelist_filters_by_status_role_place_and_publication(staff_client):
    records = make_case()
    make_person(display_name="Unrelated Person", publication=m.Publication.DRAFT)
    url = reverse("admin:cases_person_changelist")
    for query in (
        {"status__exact": "detained"},
        {"roles__id__exact": records["role"].pk},
        {"place": records["place"].public_id},
    ):
        page = staff_client.get(url, query).content.decode()
        assert "Aigerim Test" in page and "Unrelated Person" not in page, query
    page = staff_client.get(url, {"publication__exact": "draft"}).content.decode()
    assert "Unrelated Person" in page and "Aigerim Test<" not in page


def test_a_fact_added_inline_without_a_source_is_refused(staff_client):
    person = make_person()
    url = reverse("admin:cases_person_change", args=[person.pk])
    page = staff_client.get(url)
    data = _form_data(page)
    data.update(
        {
            "status_entries-TOTAL_FORMS": "1",
            "status_entries-0-status": "released",
            "status_entries-0-date_kind": "began",
            "status_entries-0-publication": "draft",
            "status_entries-0-cite_confidence": "reported",
        }
    )
    response = staff_client.post(url, data)
    assert response.status_code == 200
    assert "Every fact needs a source" in response.content.decode()
    assert not m.StatusEntry.objects.filter(person=person).exists()


def test_a_turn_added_inline_with_its_source_updates_the_status_and_cites_it(staff_client):
    person = make_person()
    source = make_source(reference="B9-0072/2022")
    url = reverse("admin:cases_person_change", args=[person.pk])
    data = _form_data(staff_client.get(url))
    data.update(
        {
            "status_entries-TOTAL_FORMS": "1",
            "status_entries-0-status": "released",
            "status_entries-0-date_kind": "began",
            "status_entries-0-occurred_on": "2022-01-20",
            "status_entries-0-occurred_precision": "day",
            "status_entries-0-publication": "published",
            "status_entries-0-cite_source": str(source.pk),
            "status_entries-0-cite_locator": "para 12",
            "status_entries-0-cite_quote": "release",
            "status_entries-0-cite_confidence": "reported",
        }
    )
    response = staff_client.post(url, data)
    assert response.status_code == 302, response.content.decode()[:3000]
    person.refresh_from_db()
    assert person.status == person.public_status == m.Status.RELEASED
    citation = person.latest_entry.citations.get()
    assert (citation.source, citation.locator, citation.quote) == (source, "para 12", "release")


def _form_data(response) -> dict:
    """The change form's current values, as a browser would submit them."""
    form = response.context["adminform"].form
    data = {}
    for name, field in form.fields.items():
        value = form.initial.get(name, field.initial)
        if value is None:
            continue
        if hasattr(value, "pk"):
            value = value.pk
        if isinstance(value, list | tuple):
            data[name] = [getattr(v, "pk", v) for v in value]
        elif isinstance(value, bool):
            if value:
                data[name] = "on"
        else:
            data[name] = str(value)
    for formset in response.context["inline_admin_formsets"]:
        prefix = formset.formset.prefix
        data[f"{prefix}-TOTAL_FORMS"] = "0"
        data[f"{prefix}-INITIAL_FORMS"] = "0"
        data[f"{prefix}-MIN_NUM_FORMS"] = "0"
        data[f"{prefix}-MAX_NUM_FORMS"] = "1000"
    return data


@pytest.mark.postgres
def test_a_huge_changelist_shows_the_planners_estimate_not_a_count(staff_client, monkeypatch):
    from casetracker.cases.admin import EstimatedCountPaginator

    for n in range(3):
        make_person(display_name=f"Person {n}", status=m.Status.DETAINED)
    with connection.cursor() as cursor:
        cursor.execute("ANALYZE cases_person")
    monkeypatch.setattr(EstimatedCountPaginator, "estimate_above", 2)
    url = reverse("admin:cases_person_changelist")

    def counted(params: dict) -> tuple[str, list[str]]:
        with CaptureQueriesContext(connection) as queries:
            page = staff_client.get(url, params).content.decode()
        sql = [q["sql"] for q in queries.captured_queries]
        return page, [s for s in sql if "COUNT(" in s.upper() and 'FROM "cases_person"' in s]

    # Unfiltered: pg_class's row estimate; filtered: the row estimate of the list's own plan.
    for params in ({}, {"publication__exact": "published"}):
        page, counts = counted(params)
        assert counts == [], params
        assert paginator_text(page) == "about 3 persons", params
    # A list the planner expects to be small is counted exactly, and says so.
    page, counts = counted({"q": "Person 1"})
    assert len(counts) == 1
    assert paginator_text(page) == "1 person"


def paginator_text(page: str) -> str:
    """The changelist's count line, its words only."""
    paragraph = page.split('<p class="paginator">')[1].split("</p>")[0]
    return " ".join(re.sub(r"<[^>]+>", " ", paragraph).split())


def test_changelists_count_exactly_on_sqlite_and_below_the_threshold(staff_client):
    make_person(display_name="Person A")
    page = staff_client.get(reverse("admin:cases_person_changelist")).content.decode()
    assert paginator_text(page) == "1 person"
