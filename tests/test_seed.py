"""The seeded motion B9-0072/2022: every fact cited verbatim, nothing invented, loads idempotent.

The tests parse the shipped text into locators themselves rather than trust the fixture: the
"having regard to" lines are citations 1-10, the "whereas" lines recitals 1-21 (two of them lack
the leading dash), the operative lines after them paras 1-21.
"""

import datetime
import io
from pathlib import Path

import pytest
from django.apps import apps
from django.conf import settings
from django.core.management import call_command
from django.db import transaction

from casetracker.cases import models as m
from casetracker.cases.seeding import load_motion, seed_public_id

pytestmark = pytest.mark.django_db

TEXT_FILE = Path(settings.BASE_DIR) / "fixtures" / "ep-resolution-kazakhstan-2022.txt"
MOTION_DATE = datetime.date(2022, 1, 18)

PARA_12 = [
    ("Bekizhan Mendygaziyev", "Mendygaziyev Bekizhan"),
    ("Erulan Amirov", "Amirov Erulan"),
    ("Igor Chuprina", "Chuprina Igor"),
    ("Ruslan Ginatullin", "Ginatullin Ruslan"),
    ("Yerzhan Yelshibayev", "Yelshibayev Yerzhan"),
    ("Saltanat Kusmankyzy", "Kusmankyzy Saltanat"),
    ("Baurzhan Jussupov", "Jussupov Baurzhan"),
    ("Nataliya Dauletiyarova", "Dauletiyarova Nataliya"),
    ("Rinat Batkayev", "Batkayev Rinat"),
    ("Yerbol Yeskhozin", "Yeskhozin Yerbol"),
    ("Askar Kayyrbek", "Kayyrbek Askar"),
    ("Ulasbek Akhmetov", "Akhmetov Ulasbek"),
    ("Askhat Zheksebayev", "Zheksebayev Askhat"),
    ("Kairat Klyshev", "Klyshev Kairat"),
    ("Noyan Rakhimzhanov", "Rakhimzhanov Noyan"),
    ("Abai Begimbetov", "Begimbetov Abai"),
    ("Raigul Sadyrbayeva", "Raigul Sadyrbayeva"),
]
PARA_16_OFFICIALS = [
    "Nursultan Nazarbayev",
    "Samat Abish",
    "Yerlan Turgumbayev",
    "Gizat Nurdauletov",
    "Murat Bektanov",
    "Ruslan Mazhitov",
]
DAUGHTER = "Unnamed daughter of Nurbolat Seitkulov and Altynai Yetayeva"

# The citation fields that back a fact about one person (relationships: about two).
PERSON_FACTS = ["name", "status_entry", "involvement", "detention", "charge", "affiliation"]


def motion_locators() -> dict[str, str]:
    text = TEXT_FILE.read_text(encoding="utf-8")
    lines = [line for line in text.split("\n") if line.strip()]
    locators: dict[str, str] = {}
    counts = {"citation": 0, "recital": 0, "para": 0}
    for line in lines:
        body = line.lstrip("–").strip()
        if body.startswith("having regard to"):
            kind = "citation"
        elif body.startswith("whereas") and not counts["para"]:
            kind = "recital"
        elif counts["recital"] and not line.startswith(("Last updated", "https://")):
            kind = "para"
        else:
            continue
        counts[kind] += 1
        locators[f"{kind} {counts[kind]}"] = line
    return locators


@pytest.fixture(scope="module")
def motion(django_db_setup, django_db_blocker):
    """The motion, loaded once for the module and rolled back after it.

    Each test runs in its own savepoint inside this transaction, so what a test changes (a staff
    edit, a deletion) is undone before the next, and nothing reaches other modules.
    """
    with django_db_blocker.unblock(), transaction.atomic():
        yield load_motion()
        transaction.set_rollback(True)


def person(display_name: str) -> m.Person:
    return m.Person.objects.get(display_name=display_name)


def citations_about(p: m.Person, citations: list[m.Citation]):
    """Every citation backing a fact about this person."""
    for c in citations:
        facts = [getattr(c, name) for name in PERSON_FACTS]
        if (
            c.person_id == p.pk
            or any(fact is not None and fact.person_id == p.pk for fact in facts)
            or (c.intervention_id and c.intervention.person_id == p.pk)
            or (c.relationship_id and p.pk in (c.relationship.person_id, c.relationship.other_id))
        ):
            yield c


def test_the_text_parses_into_10_citations_21_recitals_and_21_paras():
    locators = motion_locators()
    assert sum(k.startswith("citation") for k in locators) == 10
    assert sum(k.startswith("recital") for k in locators) == 21
    assert sum(k.startswith("para") for k in locators) == 21
    assert not locators["recital 3"].startswith("–")
    assert not locators["recital 17"].startswith("–")
    assert locators["para 12"].startswith("Urges the authorities of Kazakhstan to immediately")
    assert locators["para 21"].startswith("Instructs its President")


def test_the_source_is_the_motion_with_its_full_text_as_shipped(motion):
    source = m.Source.objects.get(reference="B9-0072/2022")
    text = TEXT_FILE.read_bytes().decode("utf-8")
    assert source.kind == m.Source.Kind.MOTION
    assert source.title == text.split("\n")[0]
    assert source.full_text == text
    assert source.issued_on == MOTION_DATE
    assert source.issued_precision == "day"
    assert source.date_as_written == "01.06.2022"
    assert source.url == "https://www.europarl.europa.eu/doceo/document/B-9-2022-0072_EN.html"
    assert "2022/2505(RSP)" in source.description
    assert "not what the Parliament adopted" in source.description
    assert source.publisher.name == "European Parliament"
    assert source.publisher.kind == m.Organisation.Kind.INTERNATIONAL
    assert source.is_published


def test_every_quote_is_verbatim_in_its_locator(motion):
    locators = motion_locators()
    citations = list(m.Citation.objects.all())
    assert citations
    for c in citations:
        assert c.locator in locators, c.locator
        assert c.quote, c.pk
        assert c.quote in locators[c.locator], (c.locator, c.quote)


def test_every_quote_about_a_person_contains_their_name_as_written_there(motion):
    citations = list(
        m.Citation.objects.select_related(*PERSON_FACTS, "intervention", "relationship")
    )
    for p in m.Person.objects.prefetch_related("names"):
        names = [n.name for n in p.names.all()]
        if p.is_unnamed:
            assert not names
            names = ["15-years-old daughter"]
        for c in citations_about(p, citations):
            assert any(name in c.quote for name in names), (p.display_name, c.locator, c.quote)


def test_every_fact_has_at_least_one_citation(motion):
    facts = [
        (m.Person, "citations"),
        (m.PersonName, "citations"),
        (m.StatusEntry, "citations"),
        (m.Involvement, "citations"),
        (m.Detention, "citations"),
        (m.Charge, "citations"),
        (m.Intervention, "citations"),
        (m.Relationship, "citations"),
        (m.Figure, "citations"),
        (m.Incident, "citations"),
        (m.Affiliation, "citations"),
    ]
    for model, related in facts:
        assert model.objects.exists(), model
        assert not model.objects.filter(**{f"{related}__isnull": True}).exists(), model


def test_every_seeded_record_is_published_with_a_public_id_from_its_slug(motion):
    p = person("Raigul Sadyrbayeva")
    assert p.public_id == seed_public_id("person:raigul-sadyrbayeva")
    assert len(p.public_id) == m.PUBLIC_ID_LENGTH
    assert set(p.public_id) <= set(m.PUBLIC_ID_ALPHABET)
    for model in (m.Person, m.PersonName, m.Incident, m.StatusEntry, m.Citation, m.Source):
        assert not model.objects.filter(publication=m.Publication.DRAFT).exists()
        assert not model.objects.filter(published_at__isnull=True).exists()
    assert m.Person.objects.public().count() == m.Person.objects.count()
    assert set(m.Person.objects.values_list("consent", "risk_level").distinct()) == {
        (m.Consent.PUBLIC_SOURCE, m.RiskLevel.LOW)
    }


def test_the_motion_names_66_persons_and_one_unnamed_daughter(motion):
    assert m.Person.objects.named().count() == 66
    unnamed = m.Person.objects.get(is_unnamed=True)
    assert unnamed.display_name == DAUGHTER
    assert not unnamed.names.exists()
    assert m.Person.objects.count() == 67
    assert m.Person.objects.filter(display_name__contains="Tokayev").count() == 1


def test_daryn_and_daniyar_khassenov_stay_two_persons_with_a_note(motion):
    daryn, daniyar = person("Daryn Khassenov"), person("Daniyar Khassenov")
    assert daryn.pk != daniyar.pk
    assert "Daniyar Khassenov" in daryn.private_notes
    assert "Daryn Khassenov" in daniyar.private_notes


def test_each_of_the_17_named_for_release_in_para_12_is_one_person_with_a_release_call(motion):
    for display_name, written in PARA_12:
        p = person(display_name)  # exactly one, or .get() raises
        kind = "as_written" if display_name == written else "surname_first"
        assert p.names.filter(name=written, kind=kind).exists(), written
        calls = p.interventions.filter(kind=m.Intervention.Kind.RELEASE_CALL)
        assert calls.count() == 1
        call = calls.get()
        assert call.description == "named for release in motion B9-0072/2022, para 12"
        assert [c.locator for c in call.citations.all()] == ["para 12"]
        assert p.roles.filter(slug="political-prisoner").exists()
    named_in_para_12 = m.Person.objects.filter(
        interventions__citations__locator="para 12"
    ).distinct()
    assert named_in_para_12.count() == 17


def test_para_12_alone_gives_no_status(motion):
    p = person("Erulan Amirov")
    assert not p.status_entries.exists()
    assert p.status == ""


def test_raigul_sadyrbayeva_is_in_pre_trial_detention_as_reported_on_the_motions_date(motion):
    p = person("Raigul Sadyrbayeva")
    assert p.status == m.Status.PRE_TRIAL_DETENTION
    assert p.public_status == m.Status.PRE_TRIAL_DETENTION
    entry = p.latest_public_entry
    assert entry.date_kind == "as_reported"
    assert entry.occurred_on == MOTION_DATE
    assert [c.locator for c in entry.citations.all()] == ["recital 17"]
    detention = p.detentions.get()
    assert detention.kind == m.Detention.Kind.PRE_TRIAL_DETENTION
    assert detention.started_on is None
    assert detention.has_health_concerns
    charge = p.charges.get()
    assert charge.wording == "politically motivated criminal case"
    assert charge.stage == m.Charge.Stage.INVESTIGATION
    assert charge.is_politically_motivated


def test_aliya_isenova_is_injured_and_charged_without_a_stage_or_status(motion):
    p = person("Aliya Isenova")
    injured = p.involvements.get(role=m.Involvement.Role.INJURED)
    assert injured.perpetrator.name == "Kazakhstani law enforcement officials"
    assert injured.incident.places.filter(name="Semey").exists()
    charge = p.charges.get()
    assert "politically motivated criminal case" in charge.wording
    assert charge.stage == ""
    assert charge.citations.get().confidence == m.Confidence.REPORTED
    assert not p.status_entries.exists()


def test_nuraliya_aitkulova_and_aitbay_aliyev_are_reported_killed(motion):
    for name in ("Nuraliya Aitkulova", "Aitbay Aliyev"):
        p = person(name)
        assert p.status == m.Status.KILLED
        entry = p.status_entries.get()
        assert entry.date_kind == "as_reported"
        assert entry.occurred_on == MOTION_DATE
        citation = entry.citations.get()
        assert citation.confidence == m.Confidence.REPORTED
        assert "reportedly shot dead" in citation.quote


def test_the_taldykorgan_family_was_killed_on_8_january_2022_by_the_military(motion):
    daughter = m.Person.objects.get(is_unnamed=True)
    parents = [person("Nurbolat Seitkulov"), person("Altynai Yetayeva")]
    for p in [*parents, daughter]:
        entry = p.status_entries.get()
        assert entry.status == m.Status.KILLED
        assert (entry.occurred_on, entry.occurred_precision) == (datetime.date(2022, 1, 8), "day")
        assert entry.date_kind == "began"
        involvement = p.involvements.get(role=m.Involvement.Role.KILLED)
        assert involvement.perpetrator.kind == m.Organisation.Kind.SECURITY_FORCE
        assert "military" in involvement.perpetrator.name
        assert list(involvement.incident.places.values_list("name", flat=True)) == ["Taldykorgan"]
        assert involvement.incident.started_on == datetime.date(2022, 1, 8)
    assert {r.other for r in daughter.relationships.all()} == set(parents)
    assert {r.kind for r in daughter.relationships.all()} == {m.Relationship.Kind.CHILD_OF}


def test_undated_killings_are_dated_as_reported_not_as_january_deaths(motion):
    for name in ("Dulat Agadil", "Galymzhan Kenzhebayev"):
        entry = person(name).status_entries.get()
        assert entry.status == m.Status.KILLED
        assert (entry.date_kind, entry.occurred_on) == ("as_reported", MOTION_DATE)


def test_aron_atabek_died_after_his_release(motion):
    p = person("Aron Atabek")
    statuses = [e.status for e in p.status_entries.order_by("position")]
    assert statuses == [m.Status.IMPRISONED, m.Status.RELEASED, m.Status.DIED]
    assert p.status == m.Status.DIED


def test_the_six_officials_of_para_16_are_proposed_for_sanctions_and_counted_nowhere(motion):
    victim_like = {
        m.Involvement.Role.VICTIM,
        m.Involvement.Role.KILLED,
        m.Involvement.Role.INJURED,
        m.Involvement.Role.SHOT_AT,
        m.Involvement.Role.DETAINED,
        m.Involvement.Role.TORTURED,
        m.Involvement.Role.THREATENED,
        m.Involvement.Role.PERSECUTED,
        m.Involvement.Role.SURVEILLED,
    }
    for name in PARA_16_OFFICIALS:
        p = person(name)
        proposal = p.interventions.get()
        assert proposal.kind == m.Intervention.Kind.SANCTIONS_PROPOSAL
        assert "motion B9-0072/2022, para 16" in proposal.description
        assert [c.locator for c in proposal.citations.all()] == ["para 16"]
        assert not p.status_entries.exists()
        assert not p.detentions.exists()
        assert not p.involvements.filter(role__in=victim_like).exists()
        assert p.roles.filter(slug="official").exists()
    assert person("Samat Abish").affiliations.get().position == "first deputy head"


def test_the_presidents_20000_terrorists_is_his_claim_not_the_motions(motion):
    figure = m.Figure.objects.get(value=20000)
    assert figure.measure == m.Figure.Measure.CLAIMED_ATTACKERS
    assert figure.citations.get().claimed_by == "President Kassym-Jomart Tokayev"
    others = m.Citation.objects.exclude(figure=figure).exclude(claimed_by="")
    assert not others.exists()


def test_the_figures_of_11_january_2022_carry_their_qualifier_and_date(motion):
    expected = {
        ("criminal_cases", "exactly", 400),
        ("arrested", "more_than", 10000),
        ("injured", "more_than", 1000),
        ("killed", "at_least", 164),
    }
    as_of = m.Figure.objects.filter(as_of_on=datetime.date(2022, 1, 11), as_of_precision="day")
    assert set(as_of.values_list("measure", "qualifier", "value")) == expected
    assert m.Figure.objects.filter(measure="persecution_cases", value=206).exists()
    assert m.Figure.objects.filter(measure="troops", qualifier="about", value=2500).exists()
    assert m.Figure.objects.filter(measure="killed", qualifier="at_least", value=12).exists()


def test_dated_incidents_carry_only_the_dates_the_motion_gives(motion):
    zhanaozen = m.Incident.objects.get(title="Events in Zhanaozen in 2011")
    assert (zhanaozen.started_on, zhanaozen.started_precision) == (
        datetime.date(2011, 1, 1),
        "year",
    )
    emergency = m.Incident.objects.get(kind=m.Incident.Kind.STATE_OF_EMERGENCY)
    assert emergency.started_on is None
    assert emergency.ended_on == datetime.date(2022, 1, 19)
    kyiv = m.Incident.objects.get(kind=m.Incident.Kind.ATTACK_ABROAD)
    assert kyiv.started_on == datetime.date(2022, 1, 6)
    assert not m.Place.objects.filter(latitude__isnull=False).exists()
    assert not m.Person.objects.filter(birth_year__isnull=False).exists()
    assert not m.Person.objects.filter(citizenship__isnull=False).exists()


def test_loading_twice_changes_nothing(motion):
    counts = {model: model.objects.count() for model in apps.get_models()}
    again = load_motion()
    assert again.created_count == 0
    assert again.present_count == motion.created_count
    assert again.differences == []
    assert {model: model.objects.count() for model in apps.get_models()} == counts


def test_a_staff_edit_survives_a_reload_and_is_reported(motion):
    p = person("Raigul Sadyrbayeva")
    p.summary = "Corrected by staff."
    p.save()
    report = load_motion()
    p.refresh_from_db()
    assert p.summary == "Corrected by staff."
    assert report.differences == ["person:raigul-sadyrbayeva summary"]


def test_a_deleted_record_is_created_again_and_nothing_else(motion):
    m.Intervention.objects.get(
        public_id=seed_public_id("intervention:para-12:erulan-amirov")
    ).delete()
    report = load_motion()
    assert report.created == {"interventions": 1, "citations": 1}


def test_the_command_prints_a_short_report(motion):
    out = io.StringIO()
    call_command("load_motion", stdout=out)
    assert out.getvalue().startswith(
        f"Motion B9-0072/2022: created 0, already present {motion.created_count}, "
        "differing fields 0."
    )
