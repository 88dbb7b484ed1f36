import datetime

import pytest
from django.apps import apps
from django.contrib.auth.models import Permission
from django.urls import reverse

from casetracker.cases import models as m
from casetracker.staff.merge import MOVED, NOT_MOVED, MergeError, merge_persons, undo_merge
from casetracker.staff.models import MergeRecord
from casetracker.staff.retired import is_retired

from .factories import make_citation, make_entry, make_incident, make_person, make_source

pytestmark = pytest.mark.django_db


def make_admin(django_user_model, username="merger"):
    return django_user_model.objects.create_superuser(username, f"{username}@example.org", "x" * 16)


def make_facts(person: m.Person, source: m.Source, *, related: m.Person) -> dict[str, list[int]]:
    """One fact of every kind on `person`, each cited; returns "<model>.<field>": [ids]."""
    incident = make_incident(title=f"Protest of {person.display_name}")
    org = m.Organisation.objects.create(name=f"Bureau of {person.display_name}", kind="ngo")
    detention = m.Detention.objects.create(person=person, kind="pre_trial_detention")
    facts = {
        "personname.person": [
            m.PersonName.objects.create(
                person=person, name=f"{person.display_name} II", kind="alias"
            )
        ],
        "detention.person": [detention],
        "charge.person": [
            m.Charge.objects.create(person=person, legal_basis="art. 272", stage="investigation")
        ],
        "statusentry.person": [make_entry(person, detention=detention)],
        "involvement.person": [
            m.Involvement.objects.create(person=person, incident=incident, role="detained")
        ],
        "relationship.person": [
            m.Relationship.objects.create(person=person, other=related, kind="colleague_of")
        ],
        "relationship.other": [
            m.Relationship.objects.create(person=related, other=person, kind="relative_of")
        ],
        "affiliation.person": [m.Affiliation.objects.create(person=person, organisation=org)],
        "intervention.person": [
            m.Intervention.objects.create(person=person, kind="release_call", description="Free")
        ],
    }
    facts["citation.person"] = [make_citation(source, person=person, locator="para 12")]
    for key, rows in list(facts.items()):
        if key != "citation.person":
            field = m.Citation._meta.get_field(
                {"statusentry": "status_entry", "personname": "name"}.get(
                    key.split(".")[0], key.split(".")[0]
                )
            )
            make_citation(source, **{field.name: rows[0]})
    return {key: [row.pk for row in rows] for key, rows in facts.items()}


def test_the_moved_links_cover_every_foreign_key_to_a_person():
    links = {
        (field.model._meta.model_name, field.name)
        for model in apps.get_models()
        for field in model._meta.concrete_fields
        if field.many_to_one
        and field.related_model is m.Person
        and not model._meta.model_name.startswith("historical")
    }
    moved = {(model._meta.model_name, field) for model, field in MOVED}
    assert links == moved | NOT_MOVED


def test_a_merge_moves_every_fact_onto_the_kept_person(django_user_model):
    user = make_admin(django_user_model)
    source = make_source()
    kept, other, related = (
        make_person(display_name="Aigerim Test"),
        make_person(display_name="Aygerim Test"),
        make_person(display_name="Dana Test"),
    )
    facts = make_facts(other, source, related=related)

    record = merge_persons(kept=kept, other=other, user=user)

    assert record.moved == facts
    for key, ids in facts.items():
        model_name, field = key.split(".")
        model = apps.get_model("cases", model_name)
        assert set(model.objects.filter(pk__in=ids).values_list(f"{field}_id", flat=True)) == {
            kept.pk
        }
    other.refresh_from_db()
    assert other.merged_into == kept
    alias = kept.names.get(name="Aygerim Test")
    assert alias.kind == m.PersonName.Kind.ALIAS
    # The alias is cited where the merged person was.
    assert list(alias.citations.values_list("locator", flat=True)) == ["para 12"]
    assert record.created == {"personname": [alias.pk], "citation": [alias.citations.get().pk]}
    assert (record.merged_by, record.kept_public_id) == (user, kept.public_id)


def test_each_moved_row_is_in_the_history_with_the_user_and_the_merge(django_user_model):
    user = make_admin(django_user_model)
    kept, other, related = make_person(), make_person(display_name="Other"), make_person()
    facts = make_facts(other, make_source(), related=related)
    since = datetime.datetime.now(tz=datetime.UTC)

    record = merge_persons(kept=kept, other=other, user=user)

    written = []
    for key, ids in facts.items():
        model = apps.get_model("cases", key.split(".")[0])
        rows = model.history.filter(id__in=ids, history_date__gte=since)
        assert {(row.id, row.history_type) for row in rows} == {(pk, "~") for pk in ids}
        written.extend(rows)
    written.extend(m.Person.history.filter(id=other.pk, history_date__gte=since))
    assert len(written) == record.moved_count + 1
    assert {row.history_user for row in written} == {user}
    assert all(f"merge #{record.pk}" in row.history_change_reason for row in written)


def test_a_merge_raises_the_version_of_each_moved_row(django_user_model):
    kept, other = make_person(), make_person(display_name="Other")
    entry = make_entry(other)
    merge_persons(kept=kept, other=other, user=make_admin(django_user_model))
    entry.refresh_from_db()
    assert entry.version == 2


def test_a_merge_recomputes_the_status_of_both_persons(django_user_model):
    kept, other = make_person(), make_person(display_name="Other")
    make_entry(kept, status=m.Status.DETAINED, occurred_on=datetime.date(2022, 1, 6))
    make_entry(other, status=m.Status.IMPRISONED, occurred_on=datetime.date(2022, 3, 1))

    merge_persons(kept=kept, other=other, user=make_admin(django_user_model))

    kept.refresh_from_db()
    other.refresh_from_db()
    assert (kept.status, kept.public_status) == (m.Status.IMPRISONED, m.Status.IMPRISONED)
    assert (other.status, other.public_status) == ("", "")


def test_the_merged_persons_url_redirects_to_the_kept_public_person(client, django_user_model):
    kept, other = make_person(), make_person(display_name="Other")
    merge_persons(kept=kept, other=other, user=make_admin(django_user_model))

    response = client.get(f"/en/people/{other.public_id}/")

    assert response.status_code == 302
    assert response["Location"] == f"/en/people/{kept.public_id}/"


def test_the_merged_persons_url_is_not_found_while_the_kept_person_is_not_public(
    client, django_user_model
):
    kept = make_person(consent=m.Consent.UNKNOWN, publication=m.Publication.DRAFT)
    other = make_person(display_name="Other")
    merge_persons(kept=kept, other=other, user=make_admin(django_user_model))

    assert client.get(f"/en/people/{other.public_id}/").status_code == 404
    assert client.get("/en/people/0000000000/").status_code == 404


def test_undoing_a_merge_moves_every_row_back(client, django_user_model):
    user = make_admin(django_user_model)
    kept, other, related = make_person(), make_person(display_name="Other"), make_person()
    make_entry(kept, status=m.Status.RELEASED, occurred_on=datetime.date(2022, 1, 1))
    facts = make_facts(other, make_source(), related=related)
    record = merge_persons(kept=kept, other=other, user=user)

    undo_merge(record, user=user)

    for key, ids in facts.items():
        model_name, field = key.split(".")
        model = apps.get_model("cases", model_name)
        assert set(model.objects.filter(pk__in=ids).values_list(f"{field}_id", flat=True)) == {
            other.pk
        }
    other.refresh_from_db()
    kept.refresh_from_db()
    assert other.merged_into is None
    assert not kept.names.filter(name="Other").exists()
    assert (kept.status, other.status) == (m.Status.RELEASED, m.Status.DETAINED)
    assert client.get(f"/en/people/{other.public_id}/").status_code == 200
    record.refresh_from_db()
    assert (record.undone_by, record.is_undone) == (user, True)
    assert not is_retired(other.public_id)


def test_a_merge_cannot_be_undone_twice(django_user_model):
    user = make_admin(django_user_model)
    record = merge_persons(kept=make_person(), other=make_person(display_name="B"), user=user)
    undo_merge(record, user=user)
    with pytest.raises(Exception, match="already been undone"):
        undo_merge(record, user=user)


def test_a_merged_away_public_id_is_retired(django_user_model):
    kept, other = make_person(), make_person(display_name="Other")
    merge_persons(kept=kept, other=other, user=make_admin(django_user_model))
    assert is_retired(other.public_id)
    assert not is_retired(kept.public_id)


def test_persons_merged_earlier_follow_to_the_new_kept_person(client, django_user_model):
    user = make_admin(django_user_model)
    first, second, third = (
        make_person(),
        make_person(display_name="B"),
        make_person(display_name="C"),
    )
    merge_persons(kept=second, other=third, user=user)
    merge_persons(kept=first, other=second, user=user)

    response = client.get(f"/en/people/{third.public_id}/")

    assert response["Location"] == f"/en/people/{first.public_id}/"


def test_persons_recorded_as_related_cannot_be_merged(django_user_model):
    kept, other = make_person(), make_person(display_name="Other")
    m.Relationship.objects.create(person=kept, other=other, kind="relative_of")
    with pytest.raises(MergeError):
        merge_persons(kept=kept, other=other, user=make_admin(django_user_model))
    assert not MergeRecord.objects.exists()


def test_a_merge_is_all_or_nothing(django_user_model, monkeypatch):
    kept, other = make_person(), make_person(display_name="Other")
    entry = make_entry(other)

    def fail(person):
        raise RuntimeError("interrupted")

    monkeypatch.setattr("casetracker.staff.merge.recompute_status", fail)
    with pytest.raises(RuntimeError):
        merge_persons(kept=kept, other=other, user=make_admin(django_user_model))

    entry.refresh_from_db()
    other.refresh_from_db()
    assert (entry.person_id, other.merged_into_id) == (other.pk, None)
    assert not MergeRecord.objects.exists()
    assert not m.StatusEntry.history.filter(id=entry.pk, history_type="~").exists()


def test_staff_merge_two_persons_from_the_changelist_and_undo(client, django_user_model):
    user = make_admin(django_user_model)
    client.force_login(user)
    kept, other = make_person(display_name="Kept"), make_person(display_name="Other")
    make_entry(other)

    response = client.post(
        reverse("admin:cases_person_changelist"),
        {"action": "merge_two_persons", "_selected_action": [kept.pk, other.pk]},
    )
    merge_url = (
        f"{reverse('staff:person-merge')}?ids={min(kept.pk, other.pk)},{max(kept.pk, other.pk)}"
    )
    assert response.status_code == 302
    assert response["Location"] == merge_url
    assert client.get(merge_url).status_code == 200

    response = client.post(merge_url, {"kept": kept.pk})

    assert response["Location"] == reverse("admin:cases_person_change", args=[kept.pk])
    record = MergeRecord.objects.get()
    assert record.merged == other
    page = client.get(reverse("admin:staff_mergerecord_change", args=[record.pk]))
    assert reverse("staff:merge-undo", args=[record.pk]) in page.content.decode()

    client.post(reverse("staff:merge-undo", args=[record.pk]))

    other.refresh_from_db()
    assert other.merged_into is None


def test_an_editor_cannot_merge_published_persons(client, django_user_model):
    editor = django_user_model.objects.create_user("editor", password="x" * 16, is_staff=True)
    editor.user_permissions.set(
        Permission.objects.filter(codename__in=["view_person", "change_person"])
    )
    client.force_login(editor)
    kept, other = make_person(), make_person(display_name="Other")

    response = client.post(
        f"{reverse('staff:person-merge')}?ids={kept.pk},{other.pk}", {"kept": kept.pk}
    )

    assert response.status_code == 403
    assert not MergeRecord.objects.exists()


def test_an_editor_can_merge_two_drafts(client, django_user_model):
    editor = django_user_model.objects.create_user("editor", password="x" * 16, is_staff=True)
    editor.user_permissions.set(
        Permission.objects.filter(codename__in=["view_person", "change_person"])
    )
    client.force_login(editor)
    draft = {"publication": m.Publication.DRAFT}
    kept, other = make_person(**draft), make_person(display_name="Other", **draft)

    client.post(f"{reverse('staff:person-merge')}?ids={kept.pk},{other.pk}", {"kept": kept.pk})

    assert MergeRecord.objects.get().merged_by == editor
    assert m.Person.history.filter(id=other.pk).latest().history_user == editor
