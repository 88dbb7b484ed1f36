"""No lost updates: a save based on a version someone else has since replaced is refused.

Two staff clients load and submit the real admin forms, inline rows and actions; whatever the
interleaving, every accepted write was based on the version it overwrote, and a refusal says
what changed meanwhile.
"""

import itertools
import re

import pytest
from django.contrib.auth import get_user_model
from django.test import Client
from django.urls import reverse
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from casetracker.cases import models as m
from casetracker.cases.status import recompute_status

from .factories import make_citation, make_entry, make_person, make_source

pytestmark = pytest.mark.django_db

CHANGELIST = reverse("admin:cases_person_changelist")


def change_url(person) -> str:
    return reverse("admin:cases_person_change", args=[person.pk])


def full_form_data(response) -> dict:
    """Everything the change page would submit as loaded: the record, and its timeline rows."""
    data = {}
    forms = [response.context["adminform"].form]
    for inline in response.context["inline_admin_formsets"]:
        formset = inline.formset
        rows = formset.forms if formset.prefix == "status_entries" else []
        data.update(
            {
                f"{formset.prefix}-TOTAL_FORMS": str(len(rows)),
                f"{formset.prefix}-INITIAL_FORMS": str(len(rows)),
            }
        )
        forms += rows
    for form in forms:
        for name in form.fields:
            value = form[name].value()
            key = form.add_prefix(name)
            if value is None or value is False:
                continue
            if value is True:
                data[key] = "on"
            elif isinstance(value, list | tuple):
                data[key] = [str(getattr(v, "pk", v)) for v in value]
            else:
                data[key] = str(getattr(value, "pk", value))
    return data


def changelist_versions(response) -> dict:
    return dict(re.findall(r'name="(_version_\d+)" value="(\d+)"', response.content.decode()))


class Staff:
    """One staff member's browser: what it loaded, and what it submits from that."""

    def __init__(self, username: str, person: m.Person):
        user, _ = get_user_model().objects.get_or_create(
            username=username, defaults={"is_staff": True, "is_superuser": True}
        )
        self.client = Client()
        self.client.force_login(user)
        self.person = person
        self.load()

    def load(self) -> None:
        self.form = full_form_data(self.client.get(change_url(self.person)))
        # What the changelist would show beside the row's checkbox (read from the page itself
        # in test_an_action_on_a_row_changed_since_the_list_was_shown_is_refused).
        self.versions = {f"_version_{self.person.pk}": self.form["loaded_version"]}
        self.loaded = {
            "person": int(self.form["loaded_version"]),
            "entry": int(self.form["status_entries-0-loaded_version"]),
            "listed": int(self.versions[f"_version_{self.person.pk}"]),
        }

    def edit_form(self, n: int):
        return self.client.post(change_url(self.person), {**self.form, "display_name": f"N{n}"})

    def edit_inline(self, n: int):
        return self.client.post(
            change_url(self.person), {**self.form, "status_entries-0-note": f"note {n}"}
        )

    def run_action(self, n: int):
        action = "unpublish" if self.form["publication"] == "published" else "publish"
        return self.client.post(
            CHANGELIST,
            {"action": action, "_selected_action": [self.person.pk], **self.versions},
        )


def snapshot(person) -> dict:
    row = m.Person.objects.get(pk=person.pk)
    entry = m.StatusEntry.objects.get(person=person)
    return {
        "person": (row.version, (row.display_name, row.publication, row.status_verified_on)),
        "entry": (entry.version, (entry.note, entry.status)),
    }


def make_case() -> m.Person:
    person = make_person()
    entry = make_entry(person)
    make_citation(make_source(), status_entry=entry)
    return person


STEPS = st.lists(
    st.tuples(st.sampled_from("AB"), st.sampled_from(["load", "form", "inline", "action"])),
    min_size=2,
    max_size=5,
)


@settings(
    max_examples=25,
    deadline=None,
    # Each example makes its own person and clients; nothing is shared between examples.
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(steps=STEPS)
def test_two_staff_members_never_silently_overwrite_each_other(steps):
    person = make_case()
    staff = {"A": Staff("alice", person), "B": Staff("bob", person)}
    counter = itertools.count()
    for who, step in steps:
        member = staff[who]
        if step == "load":
            member.load()
            continue
        before = snapshot(person)
        submit = {"form": member.edit_form, "inline": member.edit_inline}.get(
            step, member.run_action
        )
        response = submit(next(counter))
        after = snapshot(person)
        based_on = {
            "person": member.loaded["listed" if step == "action" else "person"],
            "entry": member.loaded["entry"],
        }
        for row in ("person", "entry"):
            (v_before, fields_before), (v_after, fields_after) = before[row], after[row]
            if v_after != v_before:
                # An accepted write: based on the version it replaced, and raising it by one.
                assert based_on[row] == v_before, (step, row, based_on, before, after)
                assert v_after == v_before + 1
            else:
                assert fields_after == fields_before, (step, row, before, after)
        targets = ("person",) if step == "action" else ("person", "entry")
        if all(based_on[row] == before[row][0] for row in targets):
            assert after != before, (step, response.status_code)  # a current save is accepted


def load_two(person):
    alice, bob = Staff("alice", person), Staff("bob", person)
    bob.versions = changelist_versions(bob.client.get(CHANGELIST))
    return alice, bob


def test_the_second_save_is_refused_and_told_what_changed(client):
    person = make_case()
    alice, bob = load_two(person)
    assert alice.edit_form(1).status_code == 302
    response = bob.client.post(change_url(person), {**bob.form, "occupation": "journalist"})
    assert response.status_code == 200
    page = response.content.decode()
    assert "Someone else saved person after you opened it" in page
    assert "display name: now “N1” (yours: “Aigerim Test”)" in page
    person.refresh_from_db()
    assert (person.display_name, person.occupation, person.version) == ("N1", "", 2)


def test_a_stale_inline_row_is_refused(client):
    person = make_case()
    alice, bob = load_two(person)
    assert alice.edit_inline(1).status_code == 302
    response = bob.edit_inline(2)
    assert response.status_code == 200
    assert "Someone else saved status entry after you opened it" in response.content.decode()
    assert m.StatusEntry.objects.get(person=person).note == "note 1"


def test_an_action_on_a_row_changed_since_the_list_was_shown_is_refused(client):
    person = make_case()
    alice, bob = load_two(person)
    alice.edit_form(1)
    response = bob.client.post(
        CHANGELIST,
        {"action": "unpublish", "_selected_action": [person.pk], **bob.versions},
        follow=True,
    )
    assert "changed since the list was shown" in response.content.decode()
    person.refresh_from_db()
    assert person.is_published


def test_deriving_the_status_never_raises_the_version():
    person = make_case()
    entry = person.status_entries.get()
    recompute_status(person)
    person.refresh_from_db()
    entry.refresh_from_db()
    assert (person.version, entry.version) == (1, 1)
