import json
from io import StringIO

import pytest
from django.contrib.admin.models import LogEntry
from django.contrib.auth.models import Group
from django.core.cache import cache
from django.core.management import call_command
from django.urls import reverse

from casetracker.cases import models as m
from casetracker.search.models import SearchKey
from casetracker.staff.history import history_m2m_models, history_models
from casetracker.staff.merge import merge_persons
from casetracker.staff.models import PurgeRecord, RetiredPublicId
from casetracker.staff.purge import PurgeError, collect_ids, purge_person
from casetracker.staff.retired import is_retired

from .factories import make_entry, make_person, make_source
from .test_merge import make_admin, make_facts

pytestmark = pytest.mark.django_db

GROUND = PurgeRecord.Ground.CONSENT_WITHDRAWN


def traces(public_id: str, ids: dict) -> list[str]:
    """Every place a purged person could still be found: live rows and historical rows."""
    found = []
    if m.Person.objects.filter(public_id=public_id).exists():
        found.append("person")
    for model in history_models():
        for pk in ids.get(model, ()):
            if model.objects.filter(pk=pk).exists():
                found.append(f"{model._meta.model_name} #{pk}")
            if model.history.filter(id=pk).exists():
                found.append(f"history of {model._meta.model_name} #{pk}")
    if m.Person.history.filter(public_id=public_id).exists():
        found.append("history of the person")
    return found


def test_a_purge_erases_the_person_their_facts_and_all_their_history(django_user_model):
    user = make_admin(django_user_model)
    person, related = make_person(display_name="Erased Person"), make_person()
    make_facts(person, make_source(), related=related)
    person.summary = "edited"
    person.save()
    ids = collect_ids([person.public_id])
    assert ids[m.Citation] and ids[m.Relationship] and ids[m.StatusEntry]

    stub = purge_person(person, user=user, ground=GROUND, reason="Request by email")

    assert traces(person.public_id, ids) == []
    assert (stub.public_id, stub.purged_by, stub.reason) == (
        person.public_id,
        user,
        "Request by email",
    )
    assert is_retired(person.public_id)
    assert RetiredPublicId.objects.get(public_id=person.public_id).why == "purged"
    # The related person stays, with their own history, without the relationships.
    related.refresh_from_db()
    assert related.history.exists()
    assert not m.Relationship.objects.filter(person=related).exists()


def test_a_purge_erases_facts_deleted_before_it_from_the_history(django_user_model):
    person = make_person()
    entry_id = make_entry(person).pk
    m.StatusEntry.objects.get(pk=entry_id).delete()
    ids = collect_ids([person.public_id])
    assert entry_id in ids[m.StatusEntry]

    purge_person(person, user=make_admin(django_user_model), ground=GROUND)

    assert not m.StatusEntry.history.filter(id=entry_id).exists()


def test_a_purge_erases_the_search_keys_and_the_admin_log(client, django_user_model):
    user = make_admin(django_user_model)
    client.force_login(user)
    person = make_person(display_name="Searchable Name")
    m.PersonName.objects.create(person=person, name="Other Spelling", kind="alias")
    person.roles.add(m.Role.objects.create(slug="journalist", name="journalist"))
    [(roles_history, column)] = history_m2m_models(m.Person)
    assert roles_history.objects.filter(**{column: person.pk}).exists()
    LogEntry.objects.log_actions(
        user.pk, [person], action_flag=2, change_message="Changed the summary."
    )
    assert SearchKey.objects.filter(person=person).exists()

    purge_person(person, user=user, ground=GROUND)

    assert not SearchKey.objects.filter(text__in=["Searchable Name", "Other Spelling"]).exists()
    assert not LogEntry.objects.filter(object_repr="Searchable Name").exists()
    assert not roles_history.objects.filter(**{column: person.pk}).exists()


def test_a_purge_redacts_the_public_id_from_staff_export_logs(django_user_model):
    from casetracker.exports.models import ExportLog

    person = make_person()
    log = ExportLog.objects.create(what="persons", format="csv", query=f"q={person.public_id}")

    purge_person(person, user=make_admin(django_user_model), ground=GROUND)

    log.refresh_from_db()
    assert log.query == "q=[purged]"


def test_a_purge_clears_the_cache(django_user_model, django_capture_on_commit_callbacks):
    cache.set("public-page", "Erased Person")
    with django_capture_on_commit_callbacks(execute=True):
        purge_person(make_person(), user=make_admin(django_user_model), ground=GROUND)
    assert cache.get("public-page") is None


def test_a_purged_persons_url_answers_like_a_missing_one(client, django_user_model):
    person = make_person()
    purge_person(person, user=make_admin(django_user_model), ground=GROUND)

    purged = client.get(f"/en/people/{person.public_id}/")
    missing = client.get("/en/people/0000000000/")

    assert purged.status_code == missing.status_code == 404
    assert purged.content.replace(person.public_id.encode(), b"") == missing.content.replace(
        b"0000000000", b""
    )


def test_a_purge_takes_the_records_merged_into_the_person(django_user_model):
    user = make_admin(django_user_model)
    kept, other = make_person(), make_person(display_name="Other")
    merge_persons(kept=kept, other=other, user=user)

    purge_person(kept, user=user, ground=GROUND)

    assert not m.Person.objects.filter(pk__in=[kept.pk, other.pk]).exists()
    assert set(PurgeRecord.objects.values_list("public_id", flat=True)) == {
        kept.public_id,
        other.public_id,
    }
    assert not m.Person.history.filter(id__in=[kept.pk, other.pk]).exists()


def test_a_record_merged_away_cannot_be_purged_alone(django_user_model):
    user = make_admin(django_user_model)
    kept, other = make_person(), make_person(display_name="Other")
    merge_persons(kept=kept, other=other, user=user)
    other.refresh_from_db()
    with pytest.raises(PurgeError, match=kept.public_id):
        purge_person(other, user=user, ground=GROUND)


def test_only_an_administrator_can_purge(client, django_user_model):
    person = make_person()
    editor = django_user_model.objects.create_user("editor", password="x" * 16, is_staff=True)
    with pytest.raises(PurgeError):
        purge_person(person, user=editor, ground=GROUND)
    client.force_login(editor)
    assert client.get(reverse("staff:person-purge", args=[person.pk])).status_code == 403

    administrator = django_user_model.objects.create_user("admin2", password="x" * 16)
    administrator.groups.add(Group.objects.get_or_create(name="administrator")[0])
    purge_person(person, user=administrator, ground=GROUND)
    assert not m.Person.objects.filter(pk=person.pk).exists()


def test_the_purge_page_asks_for_the_public_id_and_a_reason_without_the_name(
    client, django_user_model
):
    client.force_login(make_admin(django_user_model))
    person = make_person(display_name="Erased Person")
    url = reverse("staff:person-purge", args=[person.pk])
    assert client.get(url).status_code == 200

    wrong_id = client.post(url, {"ground": GROUND, "reason": "", "confirm": "nope"})
    named = client.post(
        url, {"ground": GROUND, "reason": "Erased Person asked", "confirm": person.public_id}
    )
    assert wrong_id.status_code == named.status_code == 200
    assert m.Person.objects.filter(pk=person.pk).exists()

    done = client.post(url, {"ground": GROUND, "reason": "asked", "confirm": person.public_id})

    assert done["Location"] == reverse("admin:staff_purgerecord_changelist")
    assert not m.Person.objects.filter(pk=person.pk).exists()


def test_the_purge_action_opens_the_purge_page(client, django_user_model):
    client.force_login(make_admin(django_user_model))
    person = make_person()
    response = client.post(
        reverse("admin:cases_person_changelist"),
        {"action": "purge_selected_person", "_selected_action": [person.pk]},
    )
    assert response["Location"] == reverse("staff:person-purge", args=[person.pk])


def test_reapply_purges_erases_a_person_brought_back_by_a_restore(
    django_user_model, settings, tmp_path, django_capture_on_commit_callbacks
):
    settings.PURGE_LEDGER = str(tmp_path / "purges.jsonl")
    user = make_admin(django_user_model)
    person = make_person(display_name="Erased Person")
    make_entry(person)
    public_id = person.public_id
    with django_capture_on_commit_callbacks(execute=True):
        purge_person(person, user=user, ground=GROUND)
    # A backup older than the purge is restored: the person is back, the stub is not.
    PurgeRecord.objects.all().delete()
    RetiredPublicId.objects.all().delete()
    back = make_person(display_name="Erased Person", public_id=public_id)
    make_entry(back)

    call_command("reapply_purges", "--user", user.username, stdout=StringIO())

    assert not m.Person.objects.filter(public_id=public_id).exists()
    assert not m.Person.history.filter(public_id=public_id).exists()
    assert not m.StatusEntry.history.filter(person_id=back.pk).exists()
    assert (PurgeRecord.objects.get().public_id, PurgeRecord.objects.get().purged_by) == (
        public_id,
        user,
    )
    assert is_retired(public_id)
    assert json.loads((tmp_path / "purges.jsonl").read_text())["public_id"] == public_id


def test_reapply_purges_without_a_ledger_uses_the_purge_table(django_user_model):
    user = make_admin(django_user_model)
    person = make_person()
    purge_person(person, user=user, ground=GROUND)
    make_person(public_id=person.public_id)

    call_command("reapply_purges", "--user", user.username, stdout=StringIO())

    assert not m.Person.objects.filter(public_id=person.public_id).exists()
