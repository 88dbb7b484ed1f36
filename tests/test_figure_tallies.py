"""The precomputed figures stay exactly what the register says, after every kind of write.

Each test writes through a real writer (a turn, an admin action, a merge, a purge, a plain save,
the demo generator) and then compares the ledger with the direct computation now and on every
day the register's counts can change (tests/figures_check.py). The last test does the same after
every step of random sequences of writes.
"""

import datetime
import io

import pytest
from django.contrib.auth import get_user_model
from django.core.management import call_command
from django.core.management.base import CommandError
from django.db import connection, transaction
from django.db.migrations.executor import MigrationExecutor
from hypothesis import HealthCheck, settings
from hypothesis import strategies as st
from hypothesis.stateful import RuleBasedStateMachine, initialize, invariant, rule

from casetracker.cases import demo
from casetracker.cases import models as m
from casetracker.cases.status import recompute_status
from casetracker.cases.turns import Turn, record_turn
from casetracker.public import tallies
from casetracker.public.figures import compute_figures, read_figures
from casetracker.public.models import PersonTally, Tally
from casetracker.staff.merge import merge_persons, undo_merge
from casetracker.staff.models import MergeRecord
from casetracker.staff.purge import purge_person

from .factories import (
    make_detention,
    make_entry,
    make_incident,
    make_person,
    make_place,
    make_source,
)
from .figures_check import assert_figures_exact
from .test_exports_staff import make_whole_register
from .test_import_register import IMPORTABLE, empty_database, export, import_files

pytestmark = pytest.mark.django_db

PUBLISHED = m.Publication.PUBLISHED
JAN_6 = datetime.date(2022, 1, 6)
FEB_1 = datetime.date(2022, 2, 1)


def make_admin(django_user_model, username="admin"):
    return django_user_model.objects.create_superuser(username, f"{username}@example.org", "x" * 16)


def involve(person, incident, role="detained", **kwargs) -> m.Involvement:
    kwargs.setdefault("publication", PUBLISHED)
    return m.Involvement.objects.create(person=person, incident=incident, role=role, **kwargs)


@pytest.fixture
def register():
    """Two public persons with a timeline, a detention at a place and an incident each."""
    city = make_place(name="Almaty")
    town = make_place(name="Taraz")
    incident = make_incident(started_on=JAN_6, started_precision="day")
    incident.places.add(town)
    persons = []
    for name in ("Aigerim", "Bolat"):
        person = make_person(display_name=name)
        make_entry(person, status=m.Status.DETAINED, occurred_on=JAN_6)
        make_entry(person, status=m.Status.RELEASED, occurred_on=FEB_1)
        make_detention(person, place=city, started_on=JAN_6, started_precision="day")
        involve(person, incident)
        persons.append(person)
    return {"persons": persons, "city": city, "town": town, "incident": incident}


def a_turn(status, occurred_on, precision, date_kind) -> Turn:
    return Turn(
        status=status,
        occurred_on=occurred_on,
        occurred_precision=precision,
        date_kind=date_kind,
        note="",
        source=make_source(),
        publication=PUBLISHED,
    )


def test_a_turn_moves_the_figures_in_its_own_transaction(register):
    person = register["persons"][0]
    turn = a_turn(m.Status.IMPRISONED, datetime.date(2022, 3, 1), "month", m.DateKind.AS_REPORTED)
    record_turn(person=person, turn=turn, may_edit_published=True)
    assert read_figures()["by_status"] == {"imprisoned": 1, "released": 1}
    assert read_figures(datetime.date(2022, 3, 30))["by_status"] == {"released": 2}
    assert_figures_exact()


def test_a_turn_that_opens_a_detention_refreshes_its_person_once(register, monkeypatch):
    refreshed = []
    refresh = tallies._refresh
    monkeypatch.setattr(tallies, "_refresh", lambda ids, using: refreshed.append(ids) or 0)
    person = register["persons"][1]
    turn = a_turn(m.Status.PRE_TRIAL_DETENTION, datetime.date(2022, 3, 1), "day", m.DateKind.BEGAN)
    record_turn(person=person, turn=turn, may_edit_published=True)
    assert person.detentions.count() == 2
    assert refreshed == [[person.pk]]
    refresh(refreshed[0], "default")
    assert_figures_exact()


def test_a_turn_that_fails_leaves_the_figures_as_they_were(register):
    before = list(Tally.objects.values_list("figure", "key", "day", "n"))
    turn = a_turn(m.Status.IMPRISONED, datetime.date(2022, 3, 1), "day", m.DateKind.BEGAN)
    with pytest.raises(RuntimeError), transaction.atomic():
        record_turn(person=register["persons"][0], turn=turn, may_edit_published=True)
        raise RuntimeError("the request fails after the turn")
    assert list(Tally.objects.values_list("figure", "key", "day", "n")) == before
    assert_figures_exact()


@pytest.mark.parametrize("model", ["person", "statusentry", "involvement", "detention", "incident"])
def test_the_publish_and_unpublish_actions_keep_the_figures_exact(
    client, django_user_model, register, model
):
    client.force_login(make_admin(django_user_model))
    person = register["persons"][0]
    rows = {
        "person": person,
        "statusentry": person.status_entries.last(),
        "involvement": person.involvements.get(),
        "detention": person.detentions.get(),
        "incident": register["incident"],
    }
    for action in ("unpublish", "publish"):
        response = client.post(
            f"/admin/cases/{model}/",
            {"action": action, "_selected_action": [rows[model].pk], "index": 0},
        )
        assert response.status_code == 302
        assert_figures_exact()
    assert compute_figures()["by_place"][0]["n"] == 2


def test_consent_and_risk_changes_take_a_person_out_of_the_figures_and_back(register):
    person = register["persons"][0]
    person.unpublish()
    person.consent = m.Consent.WITHHELD
    person.save()  # a plain save, as a script would: no recompute_status
    assert read_figures()["by_status"] == {"released": 1}
    assert_figures_exact()
    person.consent, person.risk_level = m.Consent.GIVEN, m.RiskLevel.HIGH
    person.save()
    person.risk_level = m.RiskLevel.LOW
    person.publish()
    person.save()
    assert read_figures()["by_status"] == {"released": 2}
    assert_figures_exact()


def test_a_merge_and_its_undo_keep_the_figures_exact(register, django_user_model):
    kept, other = register["persons"]
    record = merge_persons(kept=kept, other=other, user=make_admin(django_user_model))
    assert read_figures()["by_role"] == {"detained": 1}
    assert_figures_exact()
    undo_merge(record, user=make_admin(django_user_model, "undoer"))
    assert read_figures()["by_role"] == {"detained": 2}
    assert_figures_exact()


def test_a_purge_takes_the_person_and_those_merged_into_them_out(register, django_user_model):
    kept, other = register["persons"]
    admin = make_admin(django_user_model)
    merge_persons(kept=kept, other=other, user=admin)
    purge_person(kept, user=admin, ground="other")
    assert read_figures()["by_status"] == {}
    assert not PersonTally.objects.exists()
    assert_figures_exact()


def test_deleting_a_person_lets_those_merged_into_them_count_again(register, django_user_model):
    kept, other = register["persons"]
    merge_persons(kept=kept, other=other, user=make_admin(django_user_model))
    make_entry(other, status=m.Status.ABROAD)  # recorded on the merged-away record: not counted
    assert read_figures()["by_status"] == {"released": 1}
    kept.delete()  # merged_into is set to NULL by a bulk update, around every signal
    assert read_figures()["by_status"] == {"abroad": 1}
    assert_figures_exact()


def test_moving_an_involvement_or_a_detention_to_another_person_moves_their_counts(register):
    first, second = register["persons"]
    third = make_person(display_name="Dana")
    involvement = first.involvements.get()
    involvement.person = third
    involvement.role = "killed"
    involvement.save()
    detention = second.detentions.get()
    detention.person = third
    detention.save()
    assert read_figures()["by_role"] == {"detained": 1, "killed": 1}
    assert_figures_exact()
    involvement.delete()
    detention.delete()
    assert_figures_exact()


def test_an_incidents_publication_date_and_places_count_for_everyone_involved(register):
    incident, city, town = register["incident"], register["city"], register["town"]
    incident.started_on, incident.started_precision = datetime.date(2022, 1, 1), "year"
    incident.save()
    assert read_figures(datetime.date(2022, 12, 30))["by_role"] == {}
    assert_figures_exact()
    incident.places.add(city)
    incident.places.remove(town)
    assert_figures_exact()
    town.incidents.add(incident)
    city.incidents.clear()
    assert_figures_exact()
    incident.places.clear()
    assert_figures_exact()
    incident.places.add(city, town)
    incident.unpublish()
    incident.save()
    assert read_figures()["by_role"] == {}
    assert_figures_exact()
    incident.publish()
    incident.save()
    assert_figures_exact()
    incident.delete()
    assert read_figures()["by_role"] == {}
    assert_figures_exact()


def test_a_deleted_place_leaves_the_figures_with_its_incident_links(register):
    register["town"].delete()  # PROTECTed only by detentions; its incident links go with it
    assert [row["name"] for row in read_figures()["by_place"]] == ["Almaty"]
    assert_figures_exact()


def test_an_undated_latest_entry_sets_todays_status_but_no_past_one():
    person = make_person()
    make_entry(person, status=m.Status.WHEREABOUTS_UNKNOWN, occurred_on=None)
    assert read_figures()["by_status"] == {"whereabouts_unknown": 1}
    assert read_figures(datetime.date(2030, 1, 1))["by_status"] == {}
    make_entry(person, status=m.Status.DETAINED, occurred_on=JAN_6)
    assert read_figures()["by_status"] == {"detained": 1}
    assert_figures_exact()


def test_a_rebuild_gives_exactly_what_the_writes_gave(register, django_user_model):
    kept, other = register["persons"]
    merge_persons(kept=kept, other=other, user=make_admin(django_user_model))
    before = {day: read_figures(day) for day in (None, JAN_6, FEB_1)}
    shares = sorted(PersonTally.objects.values_list("person", "figure", "key", "day", "n"))
    counts = tallies.rebuild()
    assert counts["shares"] == len(shares)
    assert sorted(PersonTally.objects.values_list("person", "figure", "key", "day", "n")) == shares
    assert {day: read_figures(day) for day in before} == before
    assert_figures_exact()


def test_the_command_reports_drift_with_exit_code_1_and_a_rebuild_repairs_it(register):
    out = io.StringIO()
    call_command("rebuild_figures", "--check", stdout=out)
    assert "match" in out.getvalue()
    PersonTally.objects.filter(figure="role").update(n=2)  # a write around the app
    Tally.objects.create(figure="status", key="killed", day=None, n=1)
    with pytest.raises(CommandError) as drift:
        call_command("rebuild_figures", "--check")
    assert drift.value.returncode == 1
    assert "2 persons' shares" in str(drift.value)
    call_command("rebuild_figures", stdout=out)
    assert "rebuilt" in out.getvalue()
    assert_figures_exact()


def test_the_ledger_is_folded_together_as_it_grows(register, monkeypatch):
    monkeypatch.setattr(tallies, "COMPACT_EVERY", 5)
    person = register["persons"][0]
    for day in range(10, 20):
        make_entry(person, status=m.Status.IMPRISONED, occurred_on=datetime.date(2022, 3, day))
        make_entry(person, status=m.Status.RELEASED, occurred_on=datetime.date(2022, 4, day))
    assert_figures_exact()
    tallies.compact()
    sums = Tally.objects.values_list("figure", "key", "day")
    assert sums.count() == len(set(sums)), "one row per figure, key and day once folded"
    assert not Tally.objects.filter(n=0).exists()
    assert_figures_exact()


def test_demo_data_written_around_the_signals_is_counted_and_removed(register):
    demo.generate(persons=40, seed=3)
    assert sum(read_figures()["by_status"].values()) > 2
    assert_figures_exact(every=25)
    demo.remove()
    assert_figures_exact()
    assert not PersonTally.objects.filter(person__is_demo=True).exists()


def test_a_deferred_block_refreshes_each_person_once_at_its_end():
    with transaction.atomic(), tallies.deferred():
        person = make_person()
        make_entry(person, status=m.Status.DETAINED, occurred_on=JAN_6)
        make_entry(person, status=m.Status.RELEASED, occurred_on=FEB_1)
        assert not PersonTally.objects.exists()
    assert read_figures(JAN_6)["by_status"] == {"detained": 1}
    assert_figures_exact()


def test_a_deferred_block_that_fails_refreshes_nothing():
    with pytest.raises(RuntimeError), transaction.atomic(), tallies.deferred():
        make_entry(make_person(), status=m.Status.DETAINED)
        raise RuntimeError("the import is refused")
    assert not PersonTally.objects.exists()
    assert_figures_exact()


def test_an_import_leaves_the_figures_exact(client, django_user_model, settings, tmp_path):
    settings.TASKS = {"default": {"BACKEND": "django_tasks.backends.immediate.ImmediateBackend"}}
    settings.CACHES = {
        **settings.CACHES,
        "imports": {
            "BACKEND": "django.core.cache.backends.filebased.FileBasedCache",
            "LOCATION": str(tmp_path / "progress"),
        },
    }
    make_whole_register()
    by_status = read_figures()["by_status"]
    assert by_status
    files = [(f"casetracker-{kind}.csv", export(kind)) for kind in IMPORTABLE]
    empty_database(client, django_user_model)
    assert read_figures()["by_status"] == {}
    import_files(client, files)
    assert read_figures()["by_status"] == by_status
    assert_figures_exact()


@pytest.mark.django_db(transaction=True)
def test_migrating_fills_the_figures_of_an_existing_register():
    person = make_person()
    make_entry(person, status=m.Status.DETAINED)
    executor = MigrationExecutor(connection)
    executor.migrate([("public", None)])
    executor.loader.build_graph()
    executor.migrate(executor.loader.graph.leaf_nodes("public"))
    assert read_figures()["by_status"] == {"detained": 1}
    assert_figures_exact()


# Random sequences of writes


DAYS = [
    (None, ""),
    (JAN_6, "day"),
    (datetime.date(2022, 1, 20), "day"),
    (datetime.date(2022, 1, 1), "month"),
    (FEB_1, "day"),
    (datetime.date(2022, 1, 1), "year"),
]
dates = st.sampled_from(DAYS)


class Writes(RuleBasedStateMachine):
    """Writes of every kind the register sees, in any order; the figures checked after each."""

    def __init__(self):
        super().__init__()
        self.atomic = transaction.atomic()
        self.atomic.__enter__()
        places = [make_place(name=name) for name in ("Almaty", "Taraz", "Aktau")]
        places[2].unpublish()
        places[2].save()
        protest = make_incident(title="Protest", started_on=JAN_6, started_precision="day")
        make_incident(title="Arrests")
        protest.places.add(places[0])
        for number in range(3):
            person = make_person(display_name=f"Person {number}")
            make_entry(person, status=m.Status.DETAINED, occurred_on=JAN_6)
            involve(person, protest)
        self.users = 0

    def teardown(self):
        try:
            assert_figures_exact()  # on every day the counts may change
        finally:
            transaction.set_rollback(True)
            self.atomic.__exit__(None, None, None)

    def _user(self):
        self.users += 1
        return get_user_model().objects.create_superuser(f"admin{self.users}", "", "x" * 16)

    @property
    def persons(self) -> list[m.Person]:
        return list(m.Person.objects.order_by("pk"))

    @property
    def unmerged(self) -> list[m.Person]:
        return [person for person in self.persons if person.merged_into_id is None]

    @initialize()
    def start(self):
        assert_figures_exact()

    @invariant()
    def exact(self):
        # After each write: shares and ledger as computed afresh, and today's figures as the
        # direct computation gives them (every day of the register is compared at the end).
        assert tallies.check() == {"persons": 0, "ledger": 0}
        assert read_figures() == compute_figures()

    @rule(
        data=st.data(),
        status=st.sampled_from(list(m.Status)),
        date=dates,
        reported=st.booleans(),
        published=st.booleans(),
    )
    def add_entry(self, data, status, date, reported, published):
        persons = self.persons
        if not persons:
            return
        person = data.draw(st.sampled_from(persons))
        kind = m.DateKind.AS_REPORTED if reported and date[0] else m.DateKind.BEGAN
        make_entry(
            person,
            status=status,
            occurred_on=date[0],
            occurred_precision=date[1],
            date_kind=kind,
            publication=PUBLISHED if published else m.Publication.DRAFT,
        )

    @rule(data=st.data(), date=dates, delete=st.booleans())
    def change_entry(self, data, date, delete):
        entries = list(m.StatusEntry.objects.order_by("pk"))
        if not entries:
            return
        entry = data.draw(st.sampled_from(entries))
        if delete:
            entry.delete()
        else:
            if entry.is_published:
                entry.unpublish()
            else:
                entry.publish()
            entry.occurred_on, entry.occurred_precision = date
            entry.date_kind = m.DateKind.BEGAN
            entry.save()
        recompute_status(entry.person)

    @rule(data=st.data(), role=st.sampled_from(["detained", "killed", "witness"]), date=dates)
    def add_involvement(self, data, role, date):
        persons = self.persons
        incidents = list(m.Incident.objects.order_by("pk"))
        if persons and incidents:
            involve(
                data.draw(st.sampled_from(persons)),
                data.draw(st.sampled_from(incidents)),
                role,
                occurred_on=date[0],
                occurred_precision=date[1],
            )

    @rule(data=st.data(), date=dates)
    def add_detention(self, data, date):
        persons = self.persons
        if persons:
            make_detention(
                data.draw(st.sampled_from(persons)),
                place=data.draw(st.sampled_from([*list(m.Place.objects.order_by("pk")), None])),
                started_on=date[0],
                started_precision=date[1],
            )

    @rule(data=st.data(), what=st.sampled_from(["publish", "move", "delete"]))
    def change_fact(self, data, what):
        facts = [*m.Involvement.objects.order_by("pk"), *m.Detention.objects.order_by("pk")]
        persons = self.persons
        if not facts or not persons:
            return
        fact = data.draw(st.sampled_from(facts))
        if what == "delete":
            fact.delete()
            return
        if what == "move":
            fact.person = data.draw(st.sampled_from(persons))
        elif fact.is_published:
            fact.unpublish()
        else:
            fact.publish()
        fact.save()

    @rule(
        data=st.data(),
        what=st.sampled_from(["publish", "date", "add", "remove", "clear", "place", "delete"]),
    )
    def change_incident(self, data, what):
        incidents = list(m.Incident.objects.order_by("pk"))
        places = list(m.Place.objects.order_by("pk"))
        if not incidents:
            return
        incident = data.draw(st.sampled_from(incidents))
        if what == "delete":
            incident.delete()
        elif what in ("add", "remove", "place"):
            if not places:
                return
            place = data.draw(st.sampled_from(places))
            if what == "add":
                incident.places.add(place)
            elif what == "remove":
                incident.places.remove(place)
            else:
                place.incidents.add(incident)
        elif what == "clear":
            related = [incident.places, *(place.incidents for place in places[:1])]
            data.draw(st.sampled_from(related)).clear()
        else:
            if what == "publish" and incident.is_published:
                incident.unpublish()
            elif what == "publish":
                incident.publish()
            else:
                incident.started_on, incident.started_precision = data.draw(dates)
            incident.save()

    @rule(data=st.data(), delete=st.booleans())
    def change_place(self, data, delete):
        places = list(m.Place.objects.order_by("pk"))
        if not places:
            return
        place = data.draw(st.sampled_from(places))
        if delete:
            if not place.detentions.exists():
                place.delete()
            return
        if place.is_published:
            place.unpublish()
        else:
            place.publish()
        place.save()

    @rule(
        data=st.data(),
        consent=st.sampled_from(list(m.Consent)),
        risk=st.sampled_from(list(m.RiskLevel)),
    )
    def change_person(self, data, consent, risk):
        persons = self.persons
        if not persons:
            return
        person = data.draw(st.sampled_from(persons))
        person.consent, person.risk_level = consent, risk
        if consent in m.PUBLISHABLE_CONSENT and risk in m.ACCEPTABLE_RISK:
            person.publish()
        else:
            person.unpublish()
        person.save()
        recompute_status(person)

    @rule()
    def add_person(self):
        make_person(display_name=f"Person {m.Person.objects.count()}")

    @rule(data=st.data())
    def merge(self, data):
        persons = self.unmerged
        if len(persons) >= 2:
            kept, other = data.draw(st.permutations(persons))[:2]
            merge_persons(kept=kept, other=other, user=self._user())

    @rule(data=st.data())
    def undo(self, data):
        records = list(
            MergeRecord.objects.filter(undone_at=None).exclude(kept=None).exclude(merged=None)
        )
        if records:
            undo_merge(data.draw(st.sampled_from(records)), user=self._user())

    @rule(data=st.data(), how=st.sampled_from(["purge", "delete"]))
    def remove_person(self, data, how):
        persons = self.unmerged
        if not persons:
            return
        person = data.draw(st.sampled_from(persons))
        if how == "purge":
            purge_person(person, user=self._user(), ground="other")
        else:
            person.delete()


Writes.TestCase.settings = settings(
    max_examples=20,
    stateful_step_count=12,
    deadline=None,
    database=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.filter_too_much],
)


def test_random_sequences_of_writes_keep_the_figures_exact():
    Writes.TestCase().runTest()
