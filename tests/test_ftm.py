"""The FollowTheMoney export: valid entities, no suspect topics, and a proposal never a sanction."""

import json

import pytest
from django.db import transaction
from followthemoney import model

from casetracker.cases import models as m
from casetracker.cases.seeding import load_motion
from casetracker.exports.ftm import ROLE_TOPICS, entity_id
from tests.factories import make_person

FORBIDDEN_TOPIC_STARTS = ("crime", "sanction", "wanted", "debarment", "poi")


@pytest.fixture(scope="module")
def motion(django_db_setup, django_db_blocker):
    """The motion plus a charged citizen, loaded once for the module and rolled back after it."""
    with django_db_blocker.unblock(), transaction.atomic():
        load_motion()
        kazakhstan = m.Place.objects.get(name="Kazakhstan", kind=m.Place.Kind.COUNTRY)
        kazakhstan.publish()
        kazakhstan.save()
        person = make_person(display_name="Charged Citizen", citizenship=kazakhstan)
        person.roles.add(m.Role.objects.get_or_create(slug="journalist")[0])
        m.Charge.objects.create(
            person=person,
            stage=m.Charge.Stage.TRIAL,
            legal_basis="Criminal Code, art. 272",
            publication=m.Publication.PUBLISHED,
        )
        yield person
        transaction.set_rollback(True)


def entities(client) -> list[dict]:
    response = client.get("/export/ftm.json")
    assert response.status_code == 200
    body = b"".join(response.streaming_content).decode()
    return [json.loads(line) for line in body.splitlines()]


@pytest.mark.django_db
def test_every_exported_entity_is_valid_followthemoney(client, motion):
    exported = entities(client)

    assert {e["schema"] for e in exported} >= {
        "Person",
        "Document",
        "CourtCase",
        "CourtCaseParty",
        "Documentation",
    }
    for data in exported:
        schema = model.get(data["schema"])
        schema.validate(data)  # raises InvalidData on a missing or malformed value
        proxy = model.get_proxy(data, cleaned=False)
        # Cleaning keeps every value as written: none was dropped as invalid.
        assert proxy.to_dict()["properties"] == data["properties"], data


@pytest.mark.django_db
def test_no_person_carries_a_suspect_topic(client, motion):
    persons = [e for e in entities(client) if e["schema"] == "Person"]

    topics = {t for p in persons for t in p["properties"].get("topics", [])}
    assert topics  # journalists and officials do carry topics
    assert not [t for t in topics if t.startswith(FORBIDDEN_TOPIC_STARTS)]
    assert topics <= set(ROLE_TOPICS.values())


@pytest.mark.django_db
def test_the_sanctions_proposal_is_documentation_not_a_sanction(client, motion):
    exported = entities(client)
    proposals = m.Intervention.objects.filter(kind=m.Intervention.Kind.SANCTIONS_PROPOSAL)

    assert proposals.exists()
    assert not [e for e in exported if e["schema"] in ("Sanction", "Debt", "Payment")]
    documentation = [e for e in exported if e["schema"] == "Documentation"]
    nazarbayev = next(p for p in proposals if p.person.display_name.endswith("Nazarbayev"))
    notes = [
        d
        for d in documentation
        if d["properties"]["entity"] == [entity_id("person", nazarbayev.person.public_id)]
        and "para 16" in d["properties"]["role"][0]
    ]
    assert notes
    assert "not a sanction" in notes[0]["properties"]["summary"][0]


@pytest.mark.django_db
def test_a_charge_is_a_court_case_with_the_person_as_party(client, motion):
    exported = {e["id"]: e for e in entities(client)}
    charge = motion.charges.get()

    case = exported[entity_id("charge", charge.public_id)]
    party = exported[entity_id("charge-party", charge.public_id)]
    person = exported[entity_id("person", motion.public_id)]
    assert case["schema"] == "CourtCase"
    assert party["properties"]["party"] == [person["id"]]
    assert party["properties"]["case"] == [case["id"]]
    assert person["properties"]["nationality"] == ["kz"]
    assert person["properties"]["topics"] == ["role.journo"]


@pytest.mark.django_db
def test_nationality_only_where_citizenship_is_known(client, motion):
    persons = [e for e in entities(client) if e["schema"] == "Person"]

    with_nationality = [p for p in persons if "nationality" in p["properties"]]
    assert [p["id"] for p in with_nationality] == [entity_id("person", motion.public_id)]


@pytest.mark.django_db
def test_nothing_private_goes_out(client, motion):
    hidden = make_person(
        display_name="Hidden Withheld", consent=m.Consent.WITHHELD, publication=m.Publication.DRAFT
    )
    body = json.dumps(entities(client))

    assert hidden.public_id not in body
    assert "Hidden Withheld" not in body
    for person in m.Person.objects.exclude(private_notes=""):
        assert person.private_notes not in body
