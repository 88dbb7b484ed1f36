"""The figures page: counts by status, role and place, and events over time, as of any date."""

import datetime
import re

import pytest
from django.core.cache import cache

from casetracker.cases import models as m
from casetracker.public.charts import bar_chart
from casetracker.public.figures import compute_figures, read_figures

from .factories import (
    make_citation,
    make_detention,
    make_entry,
    make_incident,
    make_person,
    make_place,
    make_source,
)
from .figures_check import assert_figures_exact

pytestmark = pytest.mark.django_db

PUBLISHED = m.Publication.PUBLISHED
JAN_6 = datetime.date(2022, 1, 6)


@pytest.fixture(autouse=True)
def _fresh_cache():
    cache.clear()
    yield
    cache.clear()


@pytest.fixture
def timeline():
    """Three persons whose status on 10 January, 31 January and today differ."""
    arrested = make_person(display_name="Arrested Then Released")
    make_entry(arrested, status=m.Status.DETAINED, occurred_on=JAN_6)
    make_entry(arrested, status=m.Status.RELEASED, occurred_on=datetime.date(2022, 2, 1))
    # A draft turn changes no figure.
    make_entry(
        arrested, status=m.Status.KILLED, occurred_on=datetime.date(2022, 1, 8), publication="draft"
    )
    reported = make_person(display_name="Reported Prisoner")
    make_entry(
        reported,
        status=m.Status.IMPRISONED,
        occurred_on=datetime.date(2022, 1, 18),
        date_kind=m.DateKind.AS_REPORTED,
    )
    january = make_person(display_name="Detained In January")
    make_entry(
        january,
        status=m.Status.DETAINED,
        occurred_on=datetime.date(2022, 1, 1),
        occurred_precision="month",
    )
    hidden = make_person(display_name="Hidden", consent="withheld", publication="draft")
    make_entry(hidden, status=m.Status.KILLED)
    return {"arrested": arrested, "reported": reported, "january": january}


def test_status_as_of_a_date_is_the_latest_public_entry_dated_by_then(timeline):
    assert compute_figures(datetime.date(2022, 1, 10))["by_status"] == {"detained": 1}
    assert compute_figures(datetime.date(2022, 1, 31))["by_status"] == {
        "detained": 2,
        "imprisoned": 1,
    }
    assert compute_figures()["by_status"] == {"released": 1, "imprisoned": 1, "detained": 1}
    assert_figures_exact()


def test_events_over_time_count_began_entries_by_month_and_reported_ones_apart(timeline):
    events = compute_figures()["events"]
    began = {row["start"]: row["by_status"] for row in events["began"]}
    assert began == {
        datetime.date(2022, 1, 1): {"detained": 2},
        datetime.date(2022, 2, 1): {"released": 1},
    }
    reported = {row["start"]: row["by_status"] for row in events["as_reported"]}
    assert reported == {datetime.date(2022, 1, 1): {"imprisoned": 1}}
    assert read_figures()["events"] == events


def test_persons_are_counted_by_status_and_involvement_never_by_role_tag():
    official = make_person(display_name="Arrested Official")
    official.roles.add(m.Role.objects.create(slug="official", name="Official"))
    make_entry(official, status=m.Status.DETAINED)
    incident = make_incident()
    m.Involvement.objects.create(
        person=official, incident=incident, role="detained", publication=PUBLISHED
    )
    figures = compute_figures()
    assert figures["by_status"] == {"detained": 1}
    assert figures["by_role"] == {"detained": 1}
    assert_figures_exact()


def test_involvements_count_as_of_their_own_date_or_else_their_incidents():
    incident = make_incident(started_on=JAN_6, started_precision="day")
    dated = make_person(display_name="Dated")
    undated = make_person(display_name="Undated")
    m.Involvement.objects.create(
        person=dated,
        incident=incident,
        role="killed",
        occurred_on=datetime.date(2022, 1, 8),
        occurred_precision="day",
        publication=PUBLISHED,
    )
    m.Involvement.objects.create(
        person=undated, incident=incident, role="injured", publication=PUBLISHED
    )
    assert compute_figures(datetime.date(2022, 1, 7))["by_role"] == {"injured": 1}
    assert compute_figures(datetime.date(2022, 1, 8))["by_role"] == {"injured": 1, "killed": 1}
    assert_figures_exact()


def test_persons_by_place_count_public_places_only():
    city = m.Place.objects.create(name="Almaty", kind="city", publication=PUBLISHED)
    draft_place = m.Place.objects.create(name="Draft Town", kind="city")
    for place in (city, draft_place):
        m.Detention.objects.create(
            person=make_person(), kind="police_custody", place=place, publication=PUBLISHED
        )
    rows = compute_figures()["by_place"]
    assert rows == [{"public_id": city.public_id, "name": "Almaty", "n": 1}]
    assert_figures_exact()
    # Publishing the place needs no write to the figures: public places are read with them.
    draft_place.publish()
    draft_place.save()
    assert [row["name"] for row in read_figures()["by_place"]] == ["Almaty", "Draft Town"]
    assert_figures_exact()


def test_source_figures_show_their_as_of_date_and_source_and_respect_as_of(client):
    incident = make_incident(title="The January events")
    figure = m.Figure.objects.create(
        incident=incident,
        measure="killed",
        qualifier="at_least",
        value=164,
        label="died",
        as_of_on=datetime.date(2022, 1, 11),
        as_of_precision="day",
        publication=PUBLISHED,
    )
    make_citation(make_source(title="The motion"), figure=figure, locator="recital 4")
    html = client.get("/en/figures/").content.decode()
    assert "At least 164 died" in html and "recital 4" in html and "The January events" in html
    html = client.get("/en/figures/?as_of=2022-01-10").content.decode()
    assert "At least 164 died" not in html


def test_figures_page_draws_each_figure_as_svg_with_its_table(
    client, timeline, django_assert_num_queries
):
    # 1 the ledger's sums, (no place to name), 2 figures' citations, 3 figures.
    with django_assert_num_queries(3):
        response = client.get("/en/figures/")
    html = response.content.decode()
    assert html.count("<svg") == 2  # status and events; no role or place in this register
    assert "<table>" in html and "style=" not in html and "<script" not in html
    # The default figures are cached like the home counts.
    with django_assert_num_queries(0):
        client.get("/en/figures/")


def test_figures_as_of_a_past_date_are_computed_afresh(client, timeline, django_assert_num_queries):
    client.get("/en/figures/")
    # The same three queries as the default, never the cache.
    with django_assert_num_queries(3):
        html = client.get("/en/figures/?as_of=2022-01-10").content.decode()
    assert "Figures as of" in html
    assert 'value="2022-01-10"' in html


def test_a_malformed_as_of_date_shows_todays_figures_and_says_why(client, timeline):
    html = client.get("/en/figures/?as_of=not-a-date").content.decode()
    assert "Figures as of" not in html
    assert "errorlist" in html


def test_bar_chart_scales_bars_to_the_largest_value():
    chart = bar_chart([("detained", 10), ("released", 5), ("killed", 0)])
    assert [bar.width for bar in chart.bars] == ["85.0%", "42.5%", "0.0%"]
    assert chart.height == 3 * 46


def test_chart_widths_are_never_localised(client, timeline):
    html = client.get("/ru/figures/").content.decode()
    assert 'width="85.0%"' in html
    assert not re.search(r'width="\d+,\d', html)


def _register(persons: int, place: m.Place, incident: m.Incident) -> None:
    for number in range(persons):
        person = make_person(display_name=f"Person {number}")
        make_entry(person, status=m.Status.DETAINED, occurred_on=JAN_6)
        make_entry(person, status=m.Status.RELEASED, occurred_on=datetime.date(2022, 2, 1))
        make_detention(person, place=place, started_on=JAN_6, started_precision="day")
        m.Involvement.objects.create(
            person=person, incident=incident, role="detained", publication=PUBLISHED
        )


@pytest.mark.parametrize("query", ["", "?as_of=2022-01-10"])
def test_figures_page_costs_the_same_few_queries_whatever_the_registers_size(
    client, django_assert_num_queries, query
):
    place = make_place(name="Almaty")
    incident = make_incident(started_on=JAN_6, started_precision="day")
    incident.places.add(place)
    for persons in (1, 12):
        _register(persons, place, incident)
        cache.clear()
        # 1 the ledger's sums, 2 the public places counted, 3 figures' citations, 4 figures.
        with django_assert_num_queries(4):
            html = client.get(f"/en/figures/{query}").content.decode()
        assert "Almaty" in html
    assert_figures_exact()
