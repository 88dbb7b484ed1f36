"""Tiny factories: the fewest fields that make a valid record, anything else by keyword."""

import datetime

from django.utils import timezone

from casetracker.cases import models as m
from casetracker.cases.status import recompute_status


def make_source(**kwargs) -> m.Source:
    kwargs.setdefault("title", "A report")
    kwargs.setdefault("kind", m.Source.Kind.REPORT)
    kwargs.setdefault("publication", m.Publication.PUBLISHED)
    _published_at(kwargs)
    return m.Source.objects.create(**kwargs)


def make_person(**kwargs) -> m.Person:
    kwargs.setdefault("display_name", "Aigerim Test")
    kwargs.setdefault("consent", m.Consent.PUBLIC_SOURCE)
    kwargs.setdefault("risk_level", m.RiskLevel.LOW)
    kwargs.setdefault("publication", m.Publication.PUBLISHED)
    _published_at(kwargs)
    return m.Person.objects.create(**kwargs)


def make_entry(person: m.Person, **kwargs) -> m.StatusEntry:
    kwargs.setdefault("status", m.Status.DETAINED)
    kwargs.setdefault("occurred_on", datetime.date(2022, 1, 6))
    kwargs.setdefault("occurred_precision", "day" if kwargs["occurred_on"] else "")
    kwargs.setdefault("publication", m.Publication.PUBLISHED)
    _published_at(kwargs)
    entry = m.StatusEntry.objects.create(person=person, **kwargs)
    recompute_status(person)
    return entry


def make_incident(**kwargs) -> m.Incident:
    kwargs.setdefault("title", "Protest")
    kwargs.setdefault("kind", m.Incident.Kind.PROTEST)
    kwargs.setdefault("publication", m.Publication.PUBLISHED)
    _published_at(kwargs)
    return m.Incident.objects.create(**kwargs)


def make_citation(source: m.Source, **kwargs) -> m.Citation:
    kwargs.setdefault("locator", "p. 1")
    kwargs.setdefault("quote", "")
    kwargs.setdefault("publication", m.Publication.PUBLISHED)
    _published_at(kwargs)
    return m.Citation.objects.create(source=source, **kwargs)


def make_place(**kwargs) -> m.Place:
    kwargs.setdefault("name", "Almaty")
    kwargs.setdefault("kind", m.Place.Kind.CITY)
    kwargs.setdefault("publication", m.Publication.PUBLISHED)
    _published_at(kwargs)
    return m.Place.objects.create(**kwargs)


def make_detention(person: m.Person, **kwargs) -> m.Detention:
    kwargs.setdefault("kind", m.Detention.Kind.POLICE_CUSTODY)
    kwargs.setdefault("publication", m.Publication.PUBLISHED)
    _published_at(kwargs)
    return m.Detention.objects.create(person=person, **kwargs)


def make_charge(person: m.Person, **kwargs) -> m.Charge:
    kwargs.setdefault("legal_basis", "Criminal Code, art. 272")
    kwargs.setdefault("stage", m.Charge.Stage.INVESTIGATION)
    kwargs.setdefault("publication", m.Publication.PUBLISHED)
    _published_at(kwargs)
    return m.Charge.objects.create(person=person, **kwargs)


def _published_at(kwargs: dict) -> None:
    if kwargs.get("publication") == m.Publication.PUBLISHED:
        kwargs.setdefault("published_at", timezone.now())
