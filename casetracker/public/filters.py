"""The filters of the public lists, shared by the lists, the exports and the API.

Every filter reads public facts only: filtering persons by detention place looks at public
detentions, so a draft or private fact can never change a public result.
"""

import django_filters
from django import forms
from django.db.models import Q
from django.utils.functional import lazy
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from casetracker.cases import models as m
from casetracker.cases.dates import DateKind


def _descending(label) -> str:
    """A sort menu's "Name (descending)" in the reader's language: django-filter formats its
    "%s (descending)" once, at import, so it would stay English."""
    return lazy(lambda: gettext("%s (descending)") % label, str)()


class PersonFilter(django_filters.FilterSet):
    q = django_filters.CharFilter(label=_("Name"), method="filter_name")
    status = django_filters.MultipleChoiceFilter(
        label=_("Current status"), field_name="public_status", choices=m.Status.choices
    )
    role = django_filters.ModelChoiceFilter(
        label=_("Role"),
        field_name="roles",
        queryset=m.Role.objects.all(),
        to_field_name="slug",
    )
    involvement_role = django_filters.ChoiceFilter(
        label=_("In an incident as"),
        choices=m.Involvement.Role.choices,
        method="filter_involvement_role",
    )
    place = django_filters.CharFilter(
        label=_("Place"), method="filter_place", widget=forms.HiddenInput
    )
    incident = django_filters.CharFilter(
        label=_("Incident"), method="filter_incident", widget=forms.HiddenInput
    )
    charge = django_filters.CharFilter(label=_("Charge article"), method="filter_charge")
    detention_kind = django_filters.ChoiceFilter(
        label=_("Detention kind"), choices=m.Detention.Kind.choices, method="filter_detention_kind"
    )
    status_from = django_filters.DateFilter(
        label=_("Status dated from"),
        field_name="latest_public_entry__occurred_on",
        lookup_expr="gte",
        widget=forms.DateInput(attrs={"type": "date"}),
    )
    status_to = django_filters.DateFilter(
        label=_("Status dated until"),
        field_name="latest_public_entry__occurred_by",
        lookup_expr="lte",
        widget=forms.DateInput(attrs={"type": "date"}),
    )
    ordering = django_filters.OrderingFilter(
        label=_("Sort by"),
        fields=[
            ("display_name", "name"),
            ("latest_public_entry__occurred_on", "status_date"),
            ("public_status", "status"),
        ],
        field_labels={
            "display_name": _("Name"),
            "-name": _descending(_("Name")),
            "latest_public_entry__occurred_on": _("Status date"),
            "-status_date": _descending(_("Status date")),
            "public_status": _("Status"),
            "-status": _descending(_("Status")),
        },
    )

    class Meta:
        model = m.Person
        fields: list[str] = []

    def filter_name(self, queryset, name, value):
        value = value.strip()
        if not value:
            return queryset
        names = m.PersonName.objects.public().filter(name__icontains=value)
        return queryset.filter(Q(display_name__icontains=value) | Q(pk__in=names.values("person")))

    def filter_place(self, queryset, name, value):
        places = m.Place.objects.public().filter(public_id=value)
        detained = m.Detention.objects.public().filter(place__in=places).values("person")
        held = m.Detention.objects.public().filter(facility__parent__in=places).values("person")
        involved = (
            m.Involvement.objects.public().filter(incident__places__in=places).values("person")
        )
        return queryset.filter(Q(pk__in=detained) | Q(pk__in=held) | Q(pk__in=involved))

    def filter_incident(self, queryset, name, value):
        involved = m.Involvement.objects.public().filter(incident__public_id=value)
        return queryset.filter(pk__in=involved.values("person"))

    def filter_involvement_role(self, queryset, name, value):
        involved = m.Involvement.objects.public().filter(role=value)
        return queryset.filter(pk__in=involved.values("person"))

    def filter_charge(self, queryset, name, value):
        charges = m.Charge.objects.public().filter(legal_basis__icontains=value.strip())
        return queryset.filter(pk__in=charges.values("person"))

    def filter_detention_kind(self, queryset, name, value):
        return queryset.filter(
            pk__in=m.Detention.objects.public().filter(kind=value).values("person")
        )


class IncidentFilter(django_filters.FilterSet):
    q = django_filters.CharFilter(label=_("Title"), field_name="title", lookup_expr="icontains")
    kind = django_filters.MultipleChoiceFilter(label=_("Kind"), choices=m.Incident.Kind.choices)
    place = django_filters.CharFilter(
        label=_("Place"), method="filter_place", widget=forms.HiddenInput
    )
    started_from = django_filters.DateFilter(
        label=_("Started from"),
        field_name="started_on",
        lookup_expr="gte",
        widget=forms.DateInput(attrs={"type": "date"}),
    )
    started_to = django_filters.DateFilter(
        label=_("Started until"),
        field_name="started_on",
        lookup_expr="lte",
        widget=forms.DateInput(attrs={"type": "date"}),
    )
    ordering = django_filters.OrderingFilter(
        label=_("Sort by"),
        fields=[("started_on", "date"), ("title", "title")],
        field_labels={
            "started_on": _("Date"),
            "-date": _descending(_("Date")),
            "title": _("Title"),
            "-title": _descending(_("Title")),
        },
    )

    class Meta:
        model = m.Incident
        fields: list[str] = []

    def filter_place(self, queryset, name, value):
        return queryset.filter(places__in=m.Place.objects.public().filter(public_id=value))


class PersonFactFilter(PersonFilter):
    """Detentions, charges and timeline entries: the persons filters applied to their person.

    Subclasses name their own dated field and vocabulary filters; the person filters are
    rewritten to act through `person`.
    """

    person_prefix = "person__"

    def filter_queryset(self, queryset):
        person_data = {k: v for k, v in self.form.cleaned_data.items() if k in PERSON_KEYS}
        own_data = {k: v for k, v in self.form.cleaned_data.items() if k not in PERSON_KEYS}
        # The facts' own queryset decides which persons may appear (public facts have public
        # persons; staff exports see all): the person filters only narrow it.
        persons = m.Person.objects.all()
        for name, value in person_data.items():
            if name == "ordering":
                continue
            persons = self.filters[name].filter(persons, value)
        if any(v not in (None, "", [], ()) for k, v in person_data.items() if k != "ordering"):
            queryset = queryset.filter(person__in=persons.values("pk"))
        for name, value in own_data.items():
            if name != "ordering":  # the persons' sort keys do not apply to their facts
                queryset = self.filters[name].filter(queryset, value)
        return queryset


PERSON_KEYS = frozenset(PersonFilter.base_filters) - {"ordering"}


class DetentionFilter(PersonFactFilter):
    kind = django_filters.MultipleChoiceFilter(
        label=_("Detention kind"), choices=m.Detention.Kind.choices, field_name="kind"
    )
    started_from = django_filters.DateFilter(
        label=_("Started from"), field_name="started_on", lookup_expr="gte"
    )
    started_to = django_filters.DateFilter(
        label=_("Started until"), field_name="started_on", lookup_expr="lte"
    )

    class Meta:
        model = m.Detention
        fields: list[str] = []


class ChargeFilter(PersonFactFilter):
    stage = django_filters.MultipleChoiceFilter(
        label=_("Stage"), choices=m.Charge.Stage.choices, field_name="stage"
    )
    filed_from = django_filters.DateFilter(
        label=_("Brought from"), field_name="filed_on", lookup_expr="gte"
    )
    filed_to = django_filters.DateFilter(
        label=_("Brought until"), field_name="filed_on", lookup_expr="lte"
    )

    class Meta:
        model = m.Charge
        fields: list[str] = []


class StatusEntryFilter(PersonFactFilter):
    entry_status = django_filters.MultipleChoiceFilter(
        label=_("Status"), choices=m.Status.choices, field_name="status"
    )
    date_kind = django_filters.ChoiceFilter(label=_("Dated by"), choices=DateKind.choices)
    occurred_from = django_filters.DateFilter(
        label=_("Dated from"), field_name="occurred_on", lookup_expr="gte"
    )
    occurred_to = django_filters.DateFilter(
        label=_("Dated until"), field_name="occurred_by", lookup_expr="lte"
    )

    class Meta:
        model = m.StatusEntry
        fields: list[str] = []
