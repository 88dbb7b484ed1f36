"""Recording a turn of a case: one dated status entry, and the detention or charge it moves.

A turn that deprives a person of liberty opens a detention of the matching kind; a release,
exile, killing or death closes the person's open detentions; a turn may move one of their
charges to a new stage. All of it happens in one transaction with the new entry and its
citation, then the person's stored status is recomputed (DESIGN.md, "Status timeline").
"""

import datetime
from dataclasses import dataclass

from django import forms
from django.contrib import admin
from django.contrib.admin.widgets import AutocompleteSelect
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy as _l

from casetracker.public.tallies import deferred

from . import models as m
from .concurrency import bump
from .dates import DateKind, DatePrecision
from .status import recompute_status

# Detention kinds opened by a status; "detained" says no more than that: its kind is unknown.
DETENTION_KIND = {
    m.Status.DETAINED: m.Detention.Kind.UNKNOWN,
    m.Status.ADMINISTRATIVE_ARREST: m.Detention.Kind.ADMINISTRATIVE_ARREST,
    m.Status.PRE_TRIAL_DETENTION: m.Detention.Kind.PRE_TRIAL_DETENTION,
    m.Status.HOUSE_ARREST: m.Detention.Kind.HOUSE_ARREST,
    m.Status.IMPRISONED: m.Detention.Kind.IMPRISONMENT,
}
ENDS_DETENTION = frozenset({m.Status.RELEASED, m.Status.ABROAD, m.Status.KILLED, m.Status.DIED})


class TurnRefused(Exception):
    """A turn that cannot be recorded as given; its message says why, for the form."""


@dataclass(frozen=True)
class Turn:
    status: str
    occurred_on: datetime.date | None
    occurred_precision: str
    date_kind: str
    note: str
    source: m.Source
    locator: str = ""
    quote: str = ""
    confidence: str = m.Confidence.REPORTED
    publication: str = m.Publication.DRAFT
    charge_stage: str = ""


def record_turn(
    *,
    person: m.Person,
    turn: Turn,
    charge: m.Charge | None = None,
    may_edit_published: bool = False,
) -> m.StatusEntry:
    """Record `turn` for `person`; raises TurnRefused (and writes nothing) if it cannot be.

    `may_edit_published` is the publisher's right: without it a turn may not close a published
    detention or move a published charge, and everything it creates is a draft.
    """
    # The detention it moves and the timeline both change the person's figures: refreshed once.
    with transaction.atomic(), deferred():
        return _record(person, turn, charge, may_edit_published)


def _record(person, turn, charge, may_edit_published) -> m.StatusEntry:
    publication = turn.publication if may_edit_published else m.Publication.DRAFT
    _check_date(person, turn)
    detention = None
    if turn.status in DETENTION_KIND:
        detention = _open_detention(person, turn, publication, may_edit_published)
    elif turn.status in ENDS_DETENTION:
        detention = _close_detentions(person, turn, may_edit_published)
    if charge is not None:
        _move_charge(person, charge, turn, may_edit_published)

    entry = m.StatusEntry.objects.create(
        person=person,
        status=turn.status,
        occurred_on=turn.occurred_on,
        occurred_precision=turn.occurred_precision if turn.occurred_on else "",
        date_kind=turn.date_kind,
        note=turn.note,
        detention=detention,
        charge=charge,
        publication=publication,
    )
    _cite(turn, publication, status_entry=entry)
    recompute_status(person)
    return entry


def _check_date(person, turn) -> None:
    if turn.date_kind == DateKind.AS_REPORTED and turn.occurred_on is None:
        raise TurnRefused(_("A turn dated as reported needs the report's date."))
    if turn.occurred_on is None:
        return
    if turn.occurred_on > timezone.localdate():
        raise TurnRefused(_("A date cannot be in the future."))
    if person.birth_year and turn.occurred_on.year < person.birth_year:
        raise TurnRefused(
            _("%(person)s: this date is before they were born (%(year)s).")
            % {"person": person, "year": person.birth_year}
        )


def _began(turn) -> tuple[datetime.date | None, str]:
    # Only a date the turn began on says when a detention started; a report date does not.
    if turn.date_kind == DateKind.BEGAN and turn.occurred_on:
        return turn.occurred_on, turn.occurred_precision
    return None, ""


def _open_detention(person, turn, publication, may_edit_published) -> m.Detention:
    kind = DETENTION_KIND[turn.status]
    open_ = list(m.Detention.objects.select_for_update().filter(person=person, ended_on=None))
    same = [d for d in open_ if d.kind == kind]
    if same:
        return same[-1]  # the status holds again: the same detention goes on
    # A change of kind (custody to pre-trial detention) ends one period and begins the next.
    _end(person, open_, turn, may_edit_published)
    started_on, started_precision = _began(turn)
    detention = m.Detention.objects.create(
        person=person,
        kind=kind,
        started_on=started_on,
        started_precision=started_precision,
        publication=publication,
    )
    _cite(turn, publication, detention=detention)
    return detention


def _close_detentions(person, turn, may_edit_published) -> m.Detention | None:
    open_ = list(m.Detention.objects.select_for_update().filter(person=person, ended_on=None))
    _end(person, open_, turn, may_edit_published)
    return open_[-1] if open_ else None


def _end(person, detentions, turn, may_edit_published) -> None:
    if not detentions:
        return
    if turn.occurred_on is None:
        raise TurnRefused(
            _("%(person)s has an open detention: this turn ends it and needs its date.")
            % {"person": person}
        )
    end_of_turn = turn.occurred_on
    for detention in detentions:
        _may_edit(detention, may_edit_published)
        if detention.started_on and end_of_turn < detention.started_on:
            raise TurnRefused(
                _("%(person)s: this turn's date is before the detention it ends began.")
                % {"person": person}
            )
        detention.ended_on = turn.occurred_on
        detention.ended_precision = turn.occurred_precision
        bump(detention)
        detention.save()


def _move_charge(person, charge, turn, may_edit_published) -> None:
    charge = m.Charge.objects.select_for_update().get(pk=charge.pk)
    if charge.person_id != person.pk:
        raise TurnRefused(_("This charge is not this person's."))
    if not turn.charge_stage:
        raise TurnRefused(_("Choose the charge's new stage."))
    _may_edit(charge, may_edit_published)
    if charge.sentence and turn.charge_stage != m.Charge.Stage.CONVICTED:
        raise TurnRefused(
            _("This charge carries a sentence; only a conviction does. Edit the sentence first.")
        )
    charge.stage = turn.charge_stage
    charge.stage_on, charge.stage_precision = _began(turn)
    bump(charge)
    charge.save()


def _may_edit(record, may_edit_published) -> None:
    if record.is_published and not may_edit_published:
        raise TurnRefused(
            _(
                "This turn changes a published %(record)s: only a publisher can record it. "
                "Ask a publisher, or record the news as a note for review."
            )
            % {"record": record._meta.verbose_name}
        )


def _cite(turn, publication, **target) -> m.Citation:
    return m.Citation.objects.create(
        source=turn.source,
        locator=turn.locator,
        quote=turn.quote,
        confidence=turn.confidence,
        publication=publication,
        **target,
    )


# The staff forms: one turn for one person (with a charge it moves), or for many.


class TurnForm(forms.Form):
    status = forms.ChoiceField(label=_l("status"), choices=m.Status.choices)
    date_kind = forms.ChoiceField(
        label=_l("the date is"), choices=DateKind.choices, initial=DateKind.BEGAN
    )
    occurred_on = forms.DateField(
        label=_l("date"),
        required=False,
        help_text=_l("For a month or a year, the first day: 2022-01-01."),
        widget=forms.DateInput(attrs={"type": "date"}),
    )
    occurred_precision = forms.ChoiceField(
        label=_l("precision"), choices=[("", "–"), *DatePrecision.choices], required=False
    )
    note = forms.CharField(label=_l("note"), required=False, widget=forms.Textarea({"rows": 2}))
    source = forms.ModelChoiceField(
        label=_l("source"),
        queryset=m.Source.objects.all(),
        widget=AutocompleteSelect(m.Citation._meta.get_field("source"), admin.site),
    )
    locator = forms.CharField(label=_l("locator"), max_length=100, required=False)
    quote = forms.CharField(
        label=_l("quoted words"), required=False, widget=forms.Textarea({"rows": 2})
    )
    confidence = forms.ChoiceField(
        label=_l("confidence"), choices=m.Confidence.choices, initial=m.Confidence.REPORTED
    )
    publication = forms.ChoiceField(
        label=_l("publication"), choices=m.Publication.choices, initial=m.Publication.DRAFT
    )
    charge_stage = forms.ChoiceField(
        label=_l("new stage of the charge"),
        choices=[("", "–"), *m.Charge.Stage.choices],
        required=False,
    )

    def __init__(self, *args, can_publish: bool = False, **kwargs):
        super().__init__(*args, **kwargs)
        self.can_publish = can_publish

    def clean(self):
        cleaned = super().clean()
        day, precision = cleaned.get("occurred_on"), cleaned.get("occurred_precision")
        if day and not precision:
            self.add_error("occurred_precision", _l("Say how much of the date the source gives."))
        if precision and not day:
            self.add_error("occurred_on", _l("A precision needs its date."))
        if day and precision in (DatePrecision.MONTH, DatePrecision.YEAR) and day.day != 1:
            self.add_error("occurred_on", _l("For a month or a year, enter its first day."))
        if day and precision == DatePrecision.YEAR and day.month != 1:
            self.add_error("occurred_on", _l("For a year, enter 1 January."))
        if day and day > timezone.localdate():
            self.add_error("occurred_on", _l("A date cannot be in the future."))
        if cleaned.get("date_kind") == DateKind.AS_REPORTED and not day:
            self.add_error("occurred_on", _l("A turn dated as reported needs the report's date."))
        if cleaned.get("publication") == m.Publication.PUBLISHED and not self.can_publish:
            self.add_error(
                "publication",
                _l("Only a publisher can publish. Save it as a draft; a publisher will review it."),
            )
        return cleaned

    def turn(self) -> Turn:
        data = self.cleaned_data
        return Turn(
            status=data["status"],
            occurred_on=data["occurred_on"],
            occurred_precision=data["occurred_precision"],
            date_kind=data["date_kind"],
            note=data["note"],
            source=data["source"],
            locator=data["locator"],
            quote=data["quote"],
            confidence=data["confidence"],
            publication=data["publication"],
            charge_stage=data["charge_stage"],
        )


class PersonTurnForm(TurnForm):
    """The turn of one person: it may move one of their charges."""

    charge = forms.ModelChoiceField(
        label=_l("charge this turn moves"), queryset=m.Charge.objects.none(), required=False
    )
    field_order = ["status", "date_kind", "occurred_on", "occurred_precision", "charge"]

    def __init__(self, *args, person: m.Person, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["charge"].queryset = m.Charge.objects.filter(person=person)

    def clean(self):
        cleaned = super().clean()
        if cleaned.get("charge") and not cleaned.get("charge_stage"):
            self.add_error("charge_stage", _l("Choose the charge's new stage."))
        if cleaned.get("charge_stage") and not cleaned.get("charge"):
            self.add_error("charge", _l("Choose the charge that moves."))
        return cleaned


class BulkTurnForm(TurnForm):
    """The same turn for many persons: a mass release, a wave of arrests or of charges."""

    legal_basis = forms.CharField(
        label=_l("charge moved, by legal basis"),
        max_length=200,
        required=False,
        help_text=_l("Each selected person's charge with exactly this legal basis moves."),
    )

    def clean(self):
        cleaned = super().clean()
        if bool(cleaned.get("legal_basis")) != bool(cleaned.get("charge_stage")):
            self.add_error("legal_basis", _l("Give both the legal basis and the new stage."))
        return cleaned


def record_turn_for_many(
    *, persons, turn: Turn, legal_basis: str = "", may_edit_published: bool = False
) -> list[m.StatusEntry]:
    """All or nothing: any refusal, for any person, rolls back every person's turn."""
    with transaction.atomic():
        entries = []
        for person in persons:
            charge = None
            if legal_basis:
                charge = m.Charge.objects.filter(person=person, legal_basis=legal_basis).first()
                if charge is None:
                    raise TurnRefused(
                        _("%(person)s has no charge under %(basis)s.")
                        % {"person": person, "basis": legal_basis}
                    )
            entries.append(_record(person, turn, charge, may_edit_published))
        return entries
