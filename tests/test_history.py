import datetime

import pytest
from django.urls import reverse
from django.utils import timezone

from casetracker.cases import models as m
from casetracker.cases.status import recompute_status
from casetracker.staff.history import CannotRestore, acting_as, deleted_records, restore_deleted

from .factories import make_citation, make_entry, make_incident, make_person, make_source

pytestmark = pytest.mark.django_db


def form_data(response) -> dict:
    """The POST data of an admin form page as loaded: main form and every inline formset."""
    data = {}

    def add(form):
        for name in form.fields:
            bound = form[name]
            value = bound.value()
            if value is None or value is False:
                continue
            data[bound.html_name] = "on" if value is True else value

    add(response.context["adminform"].form)
    for inline in response.context.get("inline_admin_formsets", []):
        formset = inline.formset
        add(formset.management_form)
        for form in formset.forms:
            add(form)
    return data


def written_since(since) -> list[tuple[str, int, str, str]]:
    """Every history row written since `since`: (model, record id, type, user)."""
    from casetracker.staff.history import history_models

    rows = []
    for model in history_models():
        for row in model.history.filter(history_date__gte=since).select_related("history_user"):
            user = row.history_user.username if row.history_user else None
            rows.append((model._meta.model_name, row.id, row.history_type, user))
    return sorted(rows)


@pytest.fixture
def admin_user(django_user_model):
    return django_user_model.objects.create_superuser("admin", "admin@example.org", "x" * 16)


@pytest.fixture
def admin_client(client, admin_user):
    client.force_login(admin_user)
    return client


# Readable differences and restoring a version


def test_the_history_page_shows_readable_differences(admin_client, admin_user):
    person = make_person(display_name="Aigerim Test")
    with acting_as(admin_user):
        person.display_name = "Aigerim Testova"
        person.consent = m.Consent.GIVEN
        person.save()

    page = admin_client.get(reverse("admin:cases_person_history", args=[person.pk]))

    html = page.content.decode()
    assert "<strong>Display name:</strong>" in html
    assert "Aigerim Test\n" in html and "Aigerim Testova" in html
    # Choice labels, not stored slugs; and no bookkeeping noise.
    assert "named in a public source" in html
    assert "public_source" not in html
    assert "Updated at" not in html
    assert ">admin</a>" in html


def test_restoring_an_earlier_version_is_a_new_save_that_recomputes_the_status(
    admin_client, admin_user
):
    person = make_person()
    source = make_source()
    entry = make_entry(person, status=m.Status.DETAINED)
    make_citation(source, status_entry=entry)
    first = entry.history.earliest()
    with acting_as(admin_user):
        entry.status = m.Status.RELEASED
        entry.save()
    recompute_status(person)
    since = timezone.now()
    url = reverse("admin:cases_statusentry_simple_history", args=[entry.pk, first.history_id])

    response = admin_client.post(url, form_data(admin_client.get(url)))

    assert response.status_code == 302, response.context["adminform"].form.errors
    entry.refresh_from_db()
    person.refresh_from_db()
    assert (entry.status, person.status) == (m.Status.DETAINED, m.Status.DETAINED)
    written = written_since(since)
    assert ("statusentry", entry.pk, "~", "admin") in written
    # The unchanged first citation is not saved again (casetracker.cases.admin.CitedFactForm).
    assert {row[0] for row in written} == {"statusentry"}
    assert {row[3] for row in written} == {"admin"}


# Deleted records


def make_case(person: m.Person) -> dict:
    source = make_source()
    detention = m.Detention.objects.create(person=person, kind="pre_trial_detention")
    entry = make_entry(person, detention=detention, status=m.Status.IMPRISONED)
    name = m.PersonName.objects.create(person=person, name="Test Aigerim", kind="surname_first")
    involvement = m.Involvement.objects.create(
        person=person, incident=make_incident(), role="detained"
    )
    citations = [
        make_citation(source, person=person),
        make_citation(source, status_entry=entry),
        make_citation(source, name=name),
    ]
    person.roles.add(m.Role.objects.create(slug="journalist", name="journalist"))
    return {
        "detention": detention,
        "entry": entry,
        "name": name,
        "involvement": involvement,
        "citations": citations,
    }


def test_a_deleted_person_comes_back_with_the_facts_deleted_with_them(admin_client, admin_user):
    person = make_person(display_name="Deleted Person")
    case = make_case(person)
    response = admin_client.post(
        reverse("admin:cases_person_delete", args=[person.pk]), {"post": "yes"}
    )
    assert response.status_code == 302
    assert not m.Person.objects.filter(pk=person.pk).exists()
    listing = admin_client.get(reverse("staff:deleted-list"))
    assert "Deleted Person" in listing.content.decode()
    deletion = m.Person.history.get(id=person.pk, history_type="-")
    since = timezone.now()

    response = admin_client.post(
        reverse("staff:deleted-restore", args=["person", deletion.history_id])
    )

    assert response["Location"] == reverse("admin:cases_person_change", args=[person.pk])
    person = m.Person.objects.get(pk=person.pk)
    assert person.status == m.Status.IMPRISONED
    assert list(person.roles.values_list("slug", flat=True)) == ["journalist"]
    entry = m.StatusEntry.objects.get(pk=case["entry"].pk)
    assert entry.detention_id == case["detention"].pk
    assert m.PersonName.objects.filter(pk=case["name"].pk).exists()
    assert m.Involvement.objects.filter(pk=case["involvement"].pk).exists()
    assert m.Citation.objects.filter(pk__in=[c.pk for c in case["citations"]]).count() == 3
    written = written_since(since)
    assert {(model, kind, user) for model, _id, kind, user in written} >= {
        ("person", "+", "admin"),
        ("statusentry", "+", "admin"),
        ("citation", "+", "admin"),
    }
    assert {user for *_rest, user in written} == {"admin"}
    assert deleted_records() == []


def test_a_deleted_fact_comes_back_and_the_status_follows(admin_user):
    person = make_person()
    make_entry(person, status=m.Status.DETAINED, occurred_on=datetime.date(2022, 1, 6))
    release = make_entry(person, status=m.Status.RELEASED, occurred_on=datetime.date(2022, 2, 1))
    release_id = release.pk
    with acting_as(admin_user):
        release.delete()
    recompute_status(person)
    deletion = m.StatusEntry.history.get(id=release_id, history_type="-")
    assert deletion.history_user == admin_user
    assert [r.row.history_id for r in deleted_records()] == [deletion.history_id]

    restore_deleted(m.StatusEntry, deletion.history_id, user=admin_user)

    person.refresh_from_db()
    assert person.status == m.Status.RELEASED


def test_a_fact_whose_incident_is_gone_cannot_be_restored(admin_client):
    person, incident = make_person(), make_incident()
    involvement = m.Involvement.objects.create(person=person, incident=incident, role="killed")
    incident.delete()
    deletion = m.Involvement.history.get(id=involvement.pk, history_type="-")

    with pytest.raises(CannotRestore):
        restore_deleted(m.Involvement, deletion.history_id, user=None)
    response = admin_client.post(
        reverse("staff:deleted-restore", args=["involvement", deletion.history_id]), follow=True
    )
    assert "points at a record that is gone" in response.content.decode()


def test_a_viewer_cannot_restore(client, django_user_model):
    viewer = django_user_model.objects.create_user("viewer", password="x" * 16, is_staff=True)
    client.force_login(viewer)
    entry = make_entry(make_person())
    entry_id = entry.pk
    entry.delete()
    deletion = m.StatusEntry.history.get(id=entry_id, history_type="-")
    url = reverse("staff:deleted-restore", args=["statusentry", deletion.history_id])
    assert client.post(url).status_code == 403
    assert not m.StatusEntry.objects.filter(pk=entry_id).exists()


# Every write path leaves history with its user


def test_an_admin_form_with_inlines_writes_one_history_row_per_changed_row(admin_client):
    person = make_person(display_name="Aigerim Test")
    name = m.PersonName.objects.create(person=person, name="Test Aigerim", kind="surname_first")
    make_citation(make_source(), name=name)
    url = reverse("admin:cases_person_change", args=[person.pk])
    data = form_data(admin_client.get(url))
    data["display_name"] = "Aigerim Testova"
    name_field = next(key for key, value in data.items() if value == "Test Aigerim")
    data[name_field] = "Testova Aigerim"
    since = timezone.now()

    response = admin_client.post(url, data)

    assert response.status_code == 302, response.context and response.context["errors"]
    written = written_since(since)
    assert ("person", person.pk, "~", "admin") in written
    assert ("personname", name.pk, "~", "admin") in written
    # The name's unchanged first citation is not saved again: history equals rows changed.
    assert set(written) == {
        ("person", person.pk, "~", "admin"),
        ("personname", name.pk, "~", "admin"),
    }


def test_a_bulk_action_writes_one_history_row_per_row_with_its_user(admin_client):
    person = make_person()
    drafts = [
        make_entry(person, publication=m.Publication.DRAFT, occurred_on=datetime.date(2022, 1, d))
        for d in (6, 7, 8)
    ]
    since = timezone.now()

    admin_client.post(
        reverse("admin:cases_statusentry_changelist"),
        {"action": "publish", "_selected_action": [e.pk for e in drafts]},
    )

    assert written_since(since) == sorted(("statusentry", e.pk, "~", "admin") for e in drafts)
    person.refresh_from_db()
    assert person.public_status == m.Status.DETAINED


def test_recomputing_a_status_writes_no_history_and_keeps_the_version():
    person = make_person()
    entry = make_entry(person)
    m.StatusEntry.objects.filter(pk=entry.pk).update(status=m.Status.RELEASED)
    since = timezone.now()

    recompute_status(person)

    person.refresh_from_db()
    assert person.status == m.Status.RELEASED
    assert person.version == 1
    assert written_since(since) == []


def test_writes_outside_a_request_carry_the_acting_user(admin_user):
    since = timezone.now()
    with acting_as(admin_user):
        person = make_person()
    make_person(display_name="Nobody's")
    assert written_since(since) == sorted(
        [("person", person.pk, "+", "admin"), ("person", person.pk + 1, "+", None)]
    )


def test_a_command_refuses_an_unknown_acting_user():
    from django.core.management import CommandError, call_command

    with pytest.raises(CommandError, match="No active user"):
        call_command("reapply_purges", "--user", "ghost")


def rows_of(person: m.Person) -> set[tuple[str, int]]:
    """The person's facts and their citations, as (model, id)."""
    rows = set()
    for relation in ("status_entries", "detentions", "charges"):
        for fact in getattr(person, relation).all():
            rows.add((fact._meta.model_name, fact.pk))
            rows |= {("citation", c.pk) for c in fact.citations.all()}
    return rows


def test_the_turn_form_writes_one_history_row_per_row_it_writes(admin_client):
    from .test_turns import turn_data, turn_url

    person, source = make_person(), make_source()
    since = timezone.now()

    response = admin_client.post(turn_url(person), turn_data(source))

    assert response.status_code == 302
    written = written_since(since)
    assert {(model, pk) for model, pk, _kind, _user in written} == rows_of(person)
    assert len(written) == len(rows_of(person)) == 4  # entry, detention, a citation of each
    assert {(kind, user) for *_rest, kind, user in written} == {("+", "admin")}


def test_the_bulk_turn_writes_one_history_row_per_row_it_writes(admin_client):
    from .test_turns import bulk_data

    persons = [make_person(display_name=f"P{i}") for i in range(3)]
    for person in persons:
        make_entry(person)
    source = make_source()
    since = timezone.now()

    admin_client.post(reverse("admin:cases_person_changelist"), bulk_data(persons, source))

    written = written_since(since)
    new_entries = m.StatusEntry.objects.filter(person__in=persons, status=m.Status.RELEASED)
    assert new_entries.count() == 3
    expected = {("statusentry", e.pk) for e in new_entries}
    expected |= {("citation", c.pk) for e in new_entries for c in e.citations.all()}
    assert {(model, pk) for model, pk, _kind, _user in written} == expected
    assert len(written) == len(expected)
    assert {user for *_rest, user in written} == {"admin"}


def test_the_deleted_records_page_runs_one_query_per_model_with_history(
    admin_client, django_assert_num_queries
):
    from casetracker.staff.history import history_models

    for _ in range(3):
        entry = make_entry(make_person())
        entry.delete()
    admin_client.get(reverse("staff:deleted-list"))  # warm the session and the content types

    # 2 for the session and its user (admin_view), then one per model with history: its latest
    # deletions not restored, with the user who deleted (select_related); 1 for the names of
    # the persons the deleted facts belonged to.
    with django_assert_num_queries(2 + len(history_models()) + 1):
        response = admin_client.get(reverse("staff:deleted-list"))

    assert response.content.decode().count('value="Restore"') == 3


def test_an_editors_restore_brings_a_published_record_back_as_a_draft(client, django_user_model):
    from django.contrib.auth.models import Group

    editor = django_user_model.objects.create_user("editor", password="x" * 16, is_staff=True)
    editor.groups.add(Group.objects.get(name="editor"))
    client.force_login(editor)
    person = make_person()
    entry = make_entry(person)
    entry_id = entry.pk
    entry.delete()
    deletion = m.StatusEntry.history.get(id=entry_id, history_type="-")

    client.post(reverse("staff:deleted-restore", args=["statusentry", deletion.history_id]))

    restored = m.StatusEntry.objects.get(pk=entry_id)
    assert restored.publication == m.Publication.DRAFT
    assert restored.history.latest().history_user == editor
    person.refresh_from_db()
    assert (person.status, person.public_status) == (m.Status.DETAINED, "")
