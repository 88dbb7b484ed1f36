"""Staff roles: viewer reads, editor drafts, publisher publishes, administrator does everything.

And whoever tries: a person whose consent is withheld or whose risk is high is never published.
"""

import pytest
from django.contrib.auth.models import Group
from django.urls import reverse

from casetracker.cases import models as m
from casetracker.cases.roles import GROUPS

from .factories import make_person, make_source
from .test_admin import _form_data, make_case

pytestmark = pytest.mark.django_db


def make_staff(django_user_model, role: str):
    user = django_user_model.objects.create_user(role, f"{role}@example.org", "x" * 16)
    user.is_staff = True
    user.save()
    user.groups.add(Group.objects.get(name=role))
    return user


@pytest.fixture
def as_role(client, django_user_model):
    def login(role: str):
        client.force_login(make_staff(django_user_model, role))
        return client

    return login


def change_url(obj) -> str:
    return reverse(f"admin:cases_{obj._meta.model_name}_change", args=[obj.pk])


def post_change(client, obj, **changes):
    url = change_url(obj)
    data = _form_data(client.get(url))
    data.update(changes)
    return client.post(url, data)


def test_the_data_migration_creates_the_four_groups():
    assert set(Group.objects.values_list("name", flat=True)) >= set(GROUPS)


def test_a_viewer_reads_everything_and_changes_nothing(as_role):
    client = as_role("viewer")
    person = make_person(publication="draft")
    source = make_source()
    assert client.get(reverse("admin:cases_person_changelist")).status_code == 200
    assert client.get(change_url(person)).status_code == 200
    assert client.get(change_url(source)).status_code == 200
    assert client.get(reverse("admin:cases_person_add")).status_code == 403
    response = client.post(change_url(person), {"display_name": "Changed"})
    assert response.status_code == 403
    assert client.get(reverse("admin:cases_person_turn", args=[person.pk])).status_code == 403
    actions = client.get(reverse("admin:cases_person_changelist")).context["action_form"]
    choices = {value for value, _label in actions.fields["action"].choices} if actions else set()
    writes = {"publish", "unpublish", "mark_verified_today", "record_turn_for_selected"}
    assert not choices & {*writes, "delete_selected"}, choices
    person.refresh_from_db()
    assert person.display_name == "Aigerim Test"


# PostgreSQL streams CSV from COPY on its own connection, which sees only committed rows.
@pytest.mark.django_db(transaction=True)
def test_a_viewer_can_use_the_staff_exports(as_role):
    client = as_role("viewer")
    make_person(display_name="Draft Person", publication="draft")
    response = client.get("/staff/export/persons.csv")
    assert response.status_code == 200
    assert "Draft Person" in b"".join(response.streaming_content).decode()


def test_an_editor_adds_and_edits_drafts(as_role):
    client = as_role("editor")
    person = make_person(publication="draft")
    response = post_change(client, person, display_name="Edited Draft")
    assert response.status_code == 302
    person.refresh_from_db()
    assert person.display_name == "Edited Draft"


def test_an_editor_cannot_publish_through_the_form(as_role):
    client = as_role("editor")
    person = make_person(publication="draft")
    response = post_change(client, person, publication="published")
    assert response.status_code == 200
    assert "Only a publisher can publish" in response.content.decode()
    person.refresh_from_db()
    assert person.publication == "draft"


def test_an_editor_sees_a_published_record_read_only(as_role):
    client = as_role("editor")
    person = make_person()
    page = client.get(change_url(person))
    assert page.status_code == 200
    assert not page.context["has_change_permission"]
    assert client.post(change_url(person), {"display_name": "X"}).status_code == 403


def test_an_editor_has_no_publish_or_delete_action(as_role):
    client = as_role("editor")
    make_person(publication="draft")
    actions = client.get(reverse("admin:cases_person_changelist")).context["action_form"]
    choices = {value for value, _label in actions.fields["action"].choices}
    assert "publish" not in choices and "unpublish" not in choices
    assert "delete_selected" not in choices


def test_an_editors_turn_on_a_published_person_is_a_draft_fact(as_role):
    client = as_role("editor")
    person, source = make_person(), make_source()
    response = client.post(
        reverse("admin:cases_person_turn", args=[person.pk]),
        {
            "status": "detained",
            "date_kind": "began",
            "occurred_on": "2022-01-06",
            "occurred_precision": "day",
            "source": source.pk,
            "confidence": "reported",
            "publication": "draft",
        },
    )
    assert response.status_code == 302, response.content.decode()[:2000]
    entry = person.status_entries.get()
    assert entry.publication == "draft"
    assert entry.detention.publication == "draft"
    person.refresh_from_db()
    assert (person.status, person.public_status) == ("detained", "")


def test_an_editors_turn_may_not_close_a_published_detention(as_role):
    client = as_role("editor")
    person, source = make_person(), make_source()
    m.Detention.objects.create(
        person=person,
        kind="police_custody",
        publication="published",
        published_at="2022-01-07T00:00Z",
    )
    response = client.post(
        reverse("admin:cases_person_turn", args=[person.pk]),
        {
            "status": "released",
            "date_kind": "began",
            "occurred_on": "2022-01-20",
            "occurred_precision": "day",
            "source": source.pk,
            "confidence": "reported",
            "publication": "draft",
        },
    )
    assert "only a publisher can record it" in response.content.decode()
    assert not person.status_entries.exists()


def test_a_publisher_publishes_unpublishes_and_edits_published_records(as_role):
    client = as_role("publisher")
    person = make_person(publication="draft")
    url = reverse("admin:cases_person_changelist")
    client.post(url, {"action": "publish", "_selected_action": [person.pk]})
    person.refresh_from_db()
    assert person.is_published
    assert post_change(client, person, display_name="Edited").status_code == 302
    person.refresh_from_db()
    client.post(url, {"action": "unpublish", "_selected_action": [person.pk]})
    person.refresh_from_db()
    assert (person.display_name, person.publication) == ("Edited", "draft")


def test_only_an_administrator_deletes(as_role):
    person = make_person(publication="draft")
    url = reverse("admin:cases_person_delete", args=[person.pk])
    assert as_role("publisher").get(url).status_code == 403
    client = as_role("administrator")
    assert client.post(url, {"post": "yes"}).status_code == 302
    assert not m.Person.objects.filter(pk=person.pk).exists()


@pytest.mark.parametrize("refusal", [{"consent": "withheld"}, {"risk_level": "high"}])
def test_a_person_without_consent_or_at_high_risk_cannot_be_published_by_action(as_role, refusal):
    client = as_role("administrator")
    person = make_person(publication="draft", display_name="At Risk", **refusal)
    other = make_person(publication="draft", display_name="Fine")
    response = client.post(
        reverse("admin:cases_person_changelist"),
        {"action": "publish", "_selected_action": [person.pk, other.pk]},
        follow=True,
    )
    assert "At Risk cannot be published, whoever publishes" in response.content.decode()
    assert not m.Person.objects.filter(publication="published").exists()


@pytest.mark.parametrize("refusal", [{"consent": "withheld"}, {"risk_level": "high"}])
def test_a_person_without_consent_or_at_high_risk_cannot_be_published_by_form(as_role, refusal):
    client = as_role("administrator")
    person = make_person(publication="draft")
    response = post_change(client, person, publication="published", **refusal)
    assert response.status_code == 200
    assert "can be published only with consent" in response.content.decode()
    person.refresh_from_db()
    assert person.publication == "draft"


@pytest.mark.parametrize("role", ["viewer", "editor"])
def test_every_record_page_opens_read_only_for_those_who_may_not_change_it(as_role, role):
    client = as_role(role)
    for key, obj in make_case().items():
        if key != "role":
            assert client.get(change_url(obj)).status_code == 200, key


@pytest.mark.parametrize(
    ("group", "offered"),
    [
        ("viewer", set()),
        ("editor", {"merge_two_persons"}),
        ("publisher", {"merge_two_persons"}),
        ("administrator", {"merge_two_persons", "purge_selected_person"}),
    ],
)
def test_merge_and_purge_are_offered_only_to_roles_that_may_use_them(as_role, group, offered):
    make_person()
    response = as_role(group).get(reverse("admin:cases_person_changelist"))
    action_form = response.context["action_form"]  # None when no action is offered at all
    actions = {v for v, _label in action_form.fields["action"].choices} if action_form else set()
    assert actions & {"merge_two_persons", "purge_selected_person"} == offered
