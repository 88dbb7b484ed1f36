import datetime

import pytest

from casetracker.cases import models as m
from casetracker.cases.dates import DateKind

from .factories import make_entry, make_person

pytestmark = pytest.mark.django_db


def test_current_status_is_the_latest_entry_by_date():
    person = make_person()
    make_entry(person, status=m.Status.RELEASED, occurred_on=datetime.date(2022, 1, 20))
    make_entry(person, status=m.Status.DETAINED, occurred_on=datetime.date(2022, 1, 6))
    person.refresh_from_db()
    assert person.status == m.Status.RELEASED
    assert person.public_status == m.Status.RELEASED


def test_public_status_ignores_draft_entries_that_staff_still_see():
    person = make_person()
    make_entry(person, status=m.Status.DETAINED, occurred_on=datetime.date(2022, 1, 6))
    make_entry(
        person,
        status=m.Status.RELEASED,
        occurred_on=datetime.date(2022, 1, 20),
        publication=m.Publication.DRAFT,
    )
    person.refresh_from_db()
    assert person.status == m.Status.RELEASED
    assert person.public_status == m.Status.DETAINED


def test_a_day_inside_a_month_ties_and_began_comes_before_as_reported():
    person = make_person()
    make_entry(
        person,
        status=m.Status.PRE_TRIAL_DETENTION,
        occurred_on=datetime.date(2022, 1, 1),
        occurred_precision="month",
        date_kind=DateKind.AS_REPORTED,
    )
    make_entry(person, status=m.Status.DETAINED, occurred_on=datetime.date(2022, 1, 8))
    person.refresh_from_db()
    assert person.status == m.Status.PRE_TRIAL_DETENTION


def test_equal_dates_and_kinds_fall_back_to_the_order_recorded():
    person = make_person()
    make_entry(person, status=m.Status.DETAINED, occurred_on=datetime.date(2022, 1, 8))
    make_entry(person, status=m.Status.RELEASED, occurred_on=datetime.date(2022, 1, 8))
    person.refresh_from_db()
    assert person.status == m.Status.RELEASED


def test_undated_entries_order_before_dated_ones():
    person = make_person()
    make_entry(person, status=m.Status.KILLED, occurred_on=datetime.date(2022, 1, 18))
    make_entry(person, status=m.Status.DETAINED, occurred_on=None, occurred_precision="")
    person.refresh_from_db()
    assert person.status == m.Status.KILLED
