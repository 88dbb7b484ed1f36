"""The staff workspace: the Django admin, made for recording cases and their sources.

Every fact is entered with its source: inline rows carry a source, locator, quote and confidence
(the record's first citation); further citations are added on the record's own page. Fields the
timeline drives (a person's current status) are read-only here. No changelist runs a query per
row: each declares `list_select_related` for what it shows.
"""

import datetime
import json

from django import forms
from django.contrib import admin, messages
from django.contrib.admin.widgets import AutocompleteSelect
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.paginator import Paginator
from django.db import connection, transaction
from django.db import models as db_models
from django.db.models import F, Q
from django.http import Http404, HttpResponseRedirect
from django.shortcuts import redirect
from django.template.response import TemplateResponse
from django.urls import path, reverse
from django.utils import timezone
from django.utils.functional import cached_property
from django.utils.html import format_html
from django.utils.translation import gettext_lazy as _
from django.utils.translation import ngettext
from simple_history.admin import SimpleHistoryAdmin

from casetracker.search.admin import NameSearchAdminMixin
from casetracker.staff.actions import merge_two_persons, purge_selected_person
from casetracker.staff.history import ReadableHistoryMixin
from casetracker.staff.purge import is_administrator

from . import models as m
from .concurrency import (
    LOADED_VERSION,
    VersionConflict,
    changes_since,
    claim,
    conflict_message,
    current_version,
)
from .roles import can_publish
from .status import recompute_status
from .turns import BulkTurnForm, PersonTurnForm, TurnRefused, record_turn, record_turn_for_many

# Every record's form: the publication rule, the version it was loaded with, plausible dates


# Fields a turn drives (casetracker.cases.turns): set when the record is added, then only by a
# turn, so the timeline and the detention or charge it moved never disagree.
TURN_DRIVEN = {
    m.Detention: ("ended_on", "ended_precision"),
    m.Charge: ("stage", "stage_on", "stage_precision"),
}


class VersionField(forms.IntegerField):
    """The version a form was loaded with; carrying it is not a change of the record."""

    widget = forms.HiddenInput

    def has_changed(self, initial, data) -> bool:
        return False


class RecordForm(forms.ModelForm):
    """Refuses, with a message on the form: a publication by an editor, an edit of a record saved
    by someone else since the form was loaded, a date in the future or before the person's birth.
    """

    loaded_version = VersionField(required=False)
    # Set per request by the admin (`RecordAdmin.get_form`, `RecordInlineMixin.get_formset`).
    can_publish = False

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.loaded_publication = self.instance.publication if self.instance.pk else None
        if self.instance.pk:
            self.fields[LOADED_VERSION].initial = self.instance.version
            for name in TURN_DRIVEN.get(type(self.instance), ()):
                if name in self.fields:
                    self.fields[name].disabled = True
                    self.fields[name].help_text = _("Changed by recording a turn of the case.")

    def clean(self):
        cleaned = super().clean()
        self.check_publication(cleaned)
        self.check_dates(cleaned)
        self.check_version(cleaned)
        return cleaned

    def is_touched(self) -> bool:
        return self.has_changed() or bool(self.cleaned_data.get("DELETE"))

    def check_publication(self, cleaned) -> None:
        if self.can_publish:
            return
        if self.loaded_publication == m.Publication.PUBLISHED and self.is_touched():
            raise ValidationError(
                _("This record is published: only a publisher can change or delete it.")
            )
        if cleaned.get("publication") == m.Publication.PUBLISHED:
            self.add_error(
                "publication",
                _("Only a publisher can publish. Save it as a draft; a publisher will review it."),
            )

    def check_dates(self, cleaned) -> None:
        today = timezone.localdate()
        person = self.concerned_person(cleaned)
        for field in self.instance._meta.concrete_fields:
            value = cleaned.get(field.name)
            if not isinstance(field, db_models.DateField) or not isinstance(value, datetime.date):
                continue
            if value > today:
                self.add_error(field.name, _("A date cannot be in the future."))
            elif person is not None and person.birth_year and value.year < person.birth_year:
                self.add_error(
                    field.name,
                    _("This date is before the person was born (%(year)s).")
                    % {"year": person.birth_year},
                )

    def concerned_person(self, cleaned) -> m.Person | None:
        person = cleaned.get("person")
        if isinstance(person, m.Person):
            return person
        if getattr(self.instance, "person_id", None):
            return self.instance.person
        return None

    def check_version(self, cleaned) -> None:
        if not self.instance.pk or not self.is_touched():
            return
        loaded = cleaned.get(LOADED_VERSION)
        now = current_version(self.instance)
        if loaded is None or now is None:
            raise ValidationError(
                _("This form does not say which version of the record it edits: reload the page.")
            )
        if now != loaded:
            yours = {k: getattr(v, "pk", v) for k, v in cleaned.items()}
            raise ValidationError(
                conflict_message(self.instance, changes_since(self.instance, loaded, yours))
            )

    def save(self, commit=True):
        # The compare-and-set: on a database without row locks, the clean-time check can race.
        if self.instance.pk and self.has_changed():
            claim(self.instance, self.cleaned_data[LOADED_VERSION])
        return super().save(commit=commit)


# Citations


class CitedFactForm(RecordForm):
    """A fact's form with its first citation: every new fact must say where it comes from."""

    cite_source = forms.ModelChoiceField(
        label=_("source"),
        queryset=m.Source.objects.all(),
        required=False,
        widget=AutocompleteSelect(m.Citation._meta.get_field("source"), admin.site),
    )
    cite_locator = forms.CharField(label=_("locator"), max_length=100, required=False)
    cite_quote = forms.CharField(
        label=_("quoted words"), required=False, widget=forms.Textarea(attrs={"rows": 2})
    )
    cite_confidence = forms.ChoiceField(
        label=_("confidence"), choices=m.Confidence.choices, initial=m.Confidence.REPORTED
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.first_citation = None
        if self.instance.pk:
            # Prefetched by the admin's queryset: no query per inline row.
            citations = list(self.instance.citations.all())
            self.first_citation = citations[0] if citations else None
        if self.first_citation:
            self.initial.update(
                cite_source=self.first_citation.source_id,
                cite_locator=self.first_citation.locator,
                cite_quote=self.first_citation.quote,
                cite_confidence=self.first_citation.confidence,
            )

    def clean(self):
        cleaned = super().clean()
        if not cleaned.get("cite_source") and not self.first_citation:
            self.add_error("cite_source", _("Every fact needs a source: choose one."))
        return cleaned

    def save(self, commit=True):
        instance = super().save(commit=commit)
        if commit:
            self.save_citation()
        else:
            save_m2m = self.save_m2m

            def save_m2m_and_citation():
                save_m2m()
                self.save_citation()

            self.save_m2m = save_m2m_and_citation
        return instance

    def save_citation(self) -> None:
        source = self.cleaned_data.get("cite_source")
        if source is None:
            return
        citation = self.first_citation or m.Citation(
            **{cited_field(type(self.instance)): self.instance}
        )
        wanted = {
            "source_id": source.pk,
            "locator": self.cleaned_data.get("cite_locator", ""),
            "quote": self.cleaned_data.get("cite_quote", ""),
            "confidence": self.cleaned_data.get("cite_confidence") or m.Confidence.REPORTED,
        }
        if citation.pk is not None and all(getattr(citation, k) == v for k, v in wanted.items()):
            return  # unchanged: no save, so no history row and no new version
        for field, value in wanted.items():
            setattr(citation, field, value)
        if citation.pk is None:
            # A new fact's citation follows the fact's publication.
            citation.publication = self.instance.publication
        else:
            citation.version += 1  # edited with its fact, under the fact's version check
        citation.save()


def cited_field(model: type) -> str:
    return next(field for field, name in m.CITED_MODELS if name == model.__name__)


CITATION_FIELDS = ["source", "locator", "quote", "confidence", "claimed_by", "publication"]


class RecordInlineMixin:
    """Inline rows carry their own version and follow the publication rule, like a record's form."""

    form = RecordForm

    def get_fields(self, request, obj=None):
        fields = list(super().get_fields(request, obj))
        return fields if LOADED_VERSION in fields else [*fields, LOADED_VERSION]

    def get_formset(self, request, obj=None, **kwargs):
        formset = super().get_formset(request, obj, **kwargs)
        formset.form.can_publish = can_publish(request.user)
        return formset


class CitationInline(RecordInlineMixin, admin.StackedInline):
    model = m.Citation
    fields = CITATION_FIELDS
    autocomplete_fields = ["source"]
    extra = 0
    verbose_name_plural = _("citations (the first one is also edited with the fact)")

    def get_queryset(self, request):
        return super().get_queryset(request).select_related("source")


# Shared admin behaviour


def checked_selection(request, queryset) -> list | None:
    """The selected rows, locked, if none was saved by someone else since the list was shown.

    The changelist sends each row's version beside its checkbox (`RecordAdmin.action_checkbox`);
    "select all" across pages sends none, and then there is nothing shown to compare with.
    Call inside a transaction; a refusal is reported to the user and returns None.
    """
    # of=self: the admin's queryset joins optional relations, which PostgreSQL will not lock.
    rows = list(queryset.select_for_update(of=("self",)))
    stale = [
        obj
        for obj in rows
        if request.POST.get(f"_version_{obj.pk}") not in (None, str(obj.version))
    ]
    if stale:
        messages.error(
            request,
            _(
                "Nothing was changed: %(records)s changed since the list was shown. "
                "Reload the list and try again."
            )
            % {"records": ", ".join(str(obj) for obj in stale)},
        )
        return None
    return rows


def save_by_action(obj) -> None:
    claim(obj, obj.version)
    obj.save()
    after_fact_saved(obj)


@admin.action(description=_("Publish selected records"), permissions=["publish"])
def publish(modeladmin, request, queryset):
    with transaction.atomic():
        rows = checked_selection(request, queryset)
        if rows is None:
            return
        refused = [obj for obj in rows if isinstance(obj, m.Person) and not can_be_published(obj)]
        if refused:
            messages.error(request, unpublishable_message(refused))
            return
        for obj in rows:
            obj.publish()
            save_by_action(obj)
    messages.success(request, _("Published %(count)d records.") % {"count": len(rows)})


@admin.action(description=_("Unpublish selected records"), permissions=["publish"])
def unpublish(modeladmin, request, queryset):
    with transaction.atomic():
        rows = checked_selection(request, queryset)
        if rows is None:
            return
        for obj in rows:
            obj.unpublish()
            save_by_action(obj)
    messages.success(request, _("Unpublished %(count)d records.") % {"count": len(rows)})


def can_be_published(person: m.Person) -> bool:
    return person.consent in m.PUBLISHABLE_CONSENT and person.risk_level in m.ACCEPTABLE_RISK


def unpublishable_message(persons) -> str:
    return ngettext(
        "Nothing was published: %(names)s cannot be published, whoever publishes: consent must be "
        "given or the person named in a public source, and the risk level must not be high.",
        "Nothing was published: %(names)s cannot be published, whoever publishes: consent must be "
        "given or the persons named in a public source, and the risk level must not be high.",
        len(persons),
    ) % {"names": ", ".join(str(p) for p in persons)}


def after_fact_saved(obj) -> None:
    """Keep a person's derived status right after any change to their timeline or publication."""
    if isinstance(obj, m.Person):
        recompute_status(obj)
    elif isinstance(obj, m.StatusEntry):
        recompute_status(obj.person)


class EstimatedCountPaginator(Paginator):
    """Changelist pages that do not count a huge table on every request.

    On PostgreSQL, once a list is large the count is the planner's estimate: pg_class.reltuples
    unfiltered, the row estimate of the list's own plan (EXPLAIN, no rows read) when filtered
    or searched. Lists the planner expects to be small, and every list on SQLite, count
    exactly. `estimated` says which; the changelist then reads "about N" (admin/pagination.html).
    Counting the 300,000 detained persons of a million took 80 ms a page (docs/performance.md).
    """

    estimate_above = 100_000
    estimated = False

    @cached_property
    def count(self) -> int:
        estimate = self._estimate() if connection.vendor == "postgresql" else None
        if estimate is not None and estimate > self.estimate_above:
            self.estimated = True
            return estimate
        return super().count

    def _estimate(self) -> int | None:
        queryset = self.object_list
        if not queryset.query.where:
            with connection.cursor() as cursor:
                cursor.execute(
                    "SELECT reltuples::bigint FROM pg_class WHERE oid = %s::regclass",
                    [queryset.model._meta.db_table],
                )
                row = cursor.fetchone()
            return int(row[0]) if row else None
        plan = json.loads(queryset.order_by().explain(format="json"))
        return int(plan[0]["Plan"]["Plan Rows"])


class RecordAdmin(ReadableHistoryMixin, SimpleHistoryAdmin):
    form = RecordForm
    formfield_overrides = {db_models.URLField: {"assume_scheme": "https"}}
    readonly_fields = ["public_id", "published_at", "version", "created_at", "updated_at"]
    actions = [publish, unpublish]
    list_per_page = 50
    # Staff changelists at a million rows: no second COUNT(*) of the whole table for the
    # "N total" link, and an estimated count when unfiltered (EstimatedCountPaginator).
    show_full_result_count = False
    paginator = EstimatedCountPaginator

    def has_publish_permission(self, request) -> bool:
        return can_publish(request.user)

    def has_change_permission(self, request, obj=None) -> bool:
        # A published record is the publisher's to edit (DESIGN.md, "Publication and privacy").
        if obj is not None and obj.is_published and not can_publish(request.user):
            return False
        return super().has_change_permission(request, obj)

    def get_form(self, request, obj=None, change=False, **kwargs):
        form = super().get_form(request, obj, change=change, **kwargs)
        form.can_publish = can_publish(request.user)
        return form

    def get_fieldsets(self, request, obj=None):
        fieldsets = super().get_fieldsets(request, obj)
        editable = (
            self.has_change_permission(request, obj) if obj else self.has_add_permission(request)
        )
        if not editable or any(LOADED_VERSION in fs[1]["fields"] for fs in fieldsets):
            return fieldsets
        (name, options), *rest = fieldsets
        return [(name, {**options, "fields": [*options["fields"], LOADED_VERSION]}), *rest]

    def action_checkbox(self, obj):
        # Actions compare each selected row's version with the one shown here.
        return format_html(
            '{}<input type="hidden" name="_version_{}" value="{}">',
            super().action_checkbox(obj),
            obj.pk,
            obj.version,
        )

    def get_deleted_objects(self, objs, request):
        deleted, counts, perms_needed, protected = super().get_deleted_objects(objs, request)
        # Search keys are derived and go with their record; their admin is read-only to keep
        # them from being edited, not to stop a record from being deleted.
        from casetracker.search.models import SearchKey

        perms_needed.discard(SearchKey._meta.verbose_name)
        return deleted, counts, perms_needed, protected

    def changeform_view(self, request, object_id=None, form_url="", extra_context=None):
        try:
            return super().changeform_view(request, object_id, form_url, extra_context)
        except VersionConflict as conflict:
            # Raised inside the admin's transaction, which has been rolled back: nothing saved.
            messages.error(request, str(conflict))
            return HttpResponseRedirect(request.get_full_path())

    def save_model(self, request, obj, form, change):
        if change and not form.has_changed():
            return  # nothing of the record's own changed: no write, no history, same version
        super().save_model(request, obj, form, change)
        after_fact_saved(obj)

    def delete_model(self, request, obj):
        person = getattr(obj, "person", None) if isinstance(obj, m.StatusEntry) else None
        super().delete_model(request, obj)
        if person is not None:
            recompute_status(person)

    def delete_queryset(self, request, queryset):
        persons = (
            list(m.Person.objects.filter(status_entries__in=queryset).distinct())
            if queryset.model is m.StatusEntry
            else []
        )
        super().delete_queryset(request, queryset)
        for person in persons:
            recompute_status(person)


class CitedRecordAdmin(RecordAdmin):
    """A fact's own page: its fields with its first citation, then all its citations."""

    form = CitedFactForm
    inlines = [CitationInline]


def admin_link(obj, label=None) -> str:
    if obj is None:
        return "–"
    url = reverse(f"admin:{obj._meta.app_label}_{obj._meta.model_name}_change", args=[obj.pk])
    return format_html('<a href="{}">{}</a>', url, label or obj)


# Places, organisations, sources, roles


@admin.register(m.Place)
class PlaceAdmin(RecordAdmin):
    list_display = ["name", "kind", "parent", "publication"]
    list_filter = ["kind", "publication"]
    list_select_related = ["parent"]
    search_fields = ["name", "other_names"]
    autocomplete_fields = ["parent"]
    fieldsets = [
        (None, {"fields": ["name", "kind", "parent", "other_names"]}),
        (_("Location"), {"fields": ["latitude", "longitude"]}),
        (_("Letters"), {"fields": ["postal_address", "has_public_address"]}),
        (
            _("Record"),
            {"fields": ["publication", *RecordAdmin.readonly_fields]},
        ),
    ]


@admin.register(m.Organisation)
class OrganisationAdmin(RecordAdmin):
    list_display = ["name", "kind", "country", "publication"]
    list_filter = ["kind", "publication"]
    list_select_related = ["country"]
    search_fields = ["name", "other_names"]
    autocomplete_fields = ["country", "parent"]


@admin.register(m.Source)
class SourceAdmin(RecordAdmin):
    list_display = ["title", "reference", "kind", "issued_on", "is_confidential", "publication"]
    list_filter = ["kind", "is_confidential", "publication"]
    list_select_related = ["publisher"]
    search_fields = ["title", "reference"]
    autocomplete_fields = ["publisher"]


@admin.register(m.Role)
class RoleAdmin(admin.ModelAdmin):
    list_display = ["name", "slug"]
    search_fields = ["name", "slug"]
    prepopulated_fields = {"slug": ["name"]}


# Persons and the facts edited with them


class PersonFactInline(RecordInlineMixin, admin.StackedInline):
    form = CitedFactForm
    extra = 0
    show_change_link = True
    classes = ["collapse"]

    def get_queryset(self, request):
        return super().get_queryset(request).prefetch_related("citations")


class NameInline(PersonFactInline):
    model = m.PersonName
    fields = ["name", "kind", "publication", "cite_source", "cite_locator", "cite_quote"]
    classes = []


class StatusEntryInline(PersonFactInline):
    model = m.StatusEntry
    fields = [
        ("status", "date_kind"),
        ("occurred_on", "occurred_precision"),
        "note",
        ("detention", "charge"),
        "publication",
        ("cite_source", "cite_locator", "cite_confidence"),
        "cite_quote",
    ]
    autocomplete_fields = ["detention", "charge"]
    classes = []


class DetentionInline(PersonFactInline):
    model = m.Detention
    fields = [
        "kind",
        ("started_on", "started_precision"),
        ("ended_on", "ended_precision"),
        ("place", "facility", "authority"),
        ("is_incommunicado", "has_torture_alleged", "has_lawyer_denied", "has_health_concerns"),
        "whereabouts",
        "note",
        "publication",
        ("cite_source", "cite_locator", "cite_confidence"),
        "cite_quote",
    ]
    autocomplete_fields = ["place", "facility", "authority"]


class ChargeInline(PersonFactInline):
    model = m.Charge
    fields = [
        ("legal_basis", "stage", "is_politically_motivated"),
        "wording",
        ("filed_on", "filed_precision"),
        ("stage_on", "stage_precision"),
        "sentence",
        "detention",
        "publication",
        ("cite_source", "cite_locator", "cite_confidence"),
        "cite_quote",
    ]
    autocomplete_fields = ["detention"]


class InvolvementInline(PersonFactInline):
    model = m.Involvement
    fields = [
        ("incident", "role"),
        ("occurred_on", "occurred_precision"),
        "perpetrator",
        "description",
        "publication",
        ("cite_source", "cite_locator", "cite_confidence"),
        "cite_quote",
    ]
    autocomplete_fields = ["incident", "perpetrator"]


class PlaceListFilter(admin.SimpleListFilter):
    """Persons detained at a place, or involved in an incident there."""

    title = _("place")
    parameter_name = "place"

    def lookups(self, request, model_admin):
        return m.Place.objects.exclude(kind=m.Place.Kind.FACILITY).values_list("public_id", "name")

    def queryset(self, request, queryset):
        if not self.value():
            return queryset
        place = Q(public_id=self.value())
        ids = m.Person.objects.filter(
            Q(detentions__place__in=m.Place.objects.filter(place))
            | Q(detentions__facility__parent__in=m.Place.objects.filter(place))
            | Q(involvements__incident__places__in=m.Place.objects.filter(place))
        ).values("pk")
        return queryset.filter(pk__in=ids)


class PersonForm(RecordForm):
    """A new person whose name matches someone already registered is shown the matches first."""

    save_anyway = forms.BooleanField(
        label=_("save anyway: this is a different person"), required=False
    )

    def clean(self):
        cleaned = super().clean()
        if self.instance.pk or cleaned.get("save_anyway") or not cleaned.get("display_name"):
            return cleaned
        self.matches = possible_duplicates(cleaned["display_name"], cleaned.get("birth_year"))
        if self.matches:
            names = "; ".join(
                f"{p} ({p.birth_year})" if p.birth_year else str(p) for p in self.matches
            )
            raise ValidationError(
                _(
                    "Possible matches already in the register: %(names)s. If this is a different "
                    "person, tick “save anyway” and save again."
                )
                % {"names": names}
            )
        return cleaned


def possible_duplicates(name: str, birth_year: int | None) -> list[m.Person]:
    """Persons with a name of the same normalised key (and birth year, where both are known)."""
    from casetracker.search.models import SearchKey
    from casetracker.search.normalise import normalise_name

    key = normalise_name(name)
    if not key:
        return []
    ids = SearchKey.objects.filter(kind=SearchKey.Kind.PERSON, key=key).values("person_id")
    persons = m.Person.objects.filter(pk__in=ids, merged_into__isnull=True)
    if birth_year:
        persons = persons.filter(Q(birth_year=birth_year) | Q(birth_year__isnull=True))
    return list(persons[:10])


class NotVerifiedFilter(admin.SimpleListFilter):
    """Published cases whose status nobody has verified for longer than N days; oldest first."""

    title = _("status not verified for")
    parameter_name = "not_verified_for"

    def lookups(self, request, model_admin):
        return [(str(days), _("more than %(days)d days") % {"days": days}) for days in DAYS]

    def queryset(self, request, queryset):
        if self.value() not in {str(days) for days in DAYS}:
            return queryset
        since = timezone.localdate() - datetime.timedelta(days=int(self.value()))
        return queryset.filter(publication=m.Publication.PUBLISHED).filter(
            Q(status_verified_on__isnull=True) | Q(status_verified_on__lt=since)
        )


DAYS = (30, 90, 180, 365)


@admin.action(description=_("Mark status verified today"), permissions=["change"])
def mark_verified_today(modeladmin, request, queryset):
    with transaction.atomic():
        rows = checked_selection(request, queryset)
        if rows is None:
            return
        published = [p for p in rows if p.is_published]
        if published and not can_publish(request.user):
            messages.error(request, _("Only a publisher can change a published record."))
            return
        for person in rows:
            person.status_verified_on = timezone.localdate()
            save_by_action(person)
    messages.success(request, _("Marked %(count)d verified today.") % {"count": len(rows)})


@admin.action(description=_("Record the same turn for selected persons"), permissions=["turn"])
def record_turn_for_selected(modeladmin, request, queryset):
    """An intermediate page with the turn's form; applied to every selected person or none."""
    form = BulkTurnForm(
        request.POST if "apply_turn" in request.POST else None,
        can_publish=can_publish(request.user),
    )
    if form.is_bound and form.is_valid():
        try:
            entries = record_turn_for_many(
                persons=list(queryset),
                turn=form.turn(),
                legal_basis=form.cleaned_data["legal_basis"],
                may_edit_published=can_publish(request.user),
            )
        except TurnRefused as refusal:
            form.add_error(None, _("Nothing was recorded: %(why)s") % {"why": refusal})
        else:
            messages.success(
                request, _("Recorded the turn for %(count)d persons.") % {"count": len(entries)}
            )
            return None
    context = {
        **modeladmin.admin_site.each_context(request),
        "title": _("Record the same turn for %(count)d persons") % {"count": queryset.count()},
        "opts": modeladmin.model._meta,
        "form": form,
        "persons": queryset,
        "action_checkbox_name": admin.helpers.ACTION_CHECKBOX_NAME,
        "media": modeladmin.media + form.media,
    }
    return TemplateResponse(request, "admin/cases/person/turn_selected.html", context)


@admin.register(m.Person)
class PersonAdmin(NameSearchAdminMixin, RecordAdmin):
    form = PersonForm
    list_display = [
        "display_name",
        "status_display",
        "public_status_display",
        "publication",
        "consent",
        "risk_level",
        "status_verified_on",
        "updated_at",
    ]
    list_filter = [
        NotVerifiedFilter,
        "status",
        "roles",
        PlaceListFilter,
        "publication",
        "consent",
        "risk_level",
        "is_unnamed",
    ]
    search_fields = ["display_name", "names__name"]
    # Merging and purging open their own pages (casetracker.staff).
    actions = [
        *RecordAdmin.actions,
        mark_verified_today,
        record_turn_for_selected,
        merge_two_persons,
        purge_selected_person,
    ]
    autocomplete_fields = ["citizenship"]
    filter_horizontal = ["roles"]
    readonly_fields = [
        "status_display",
        "public_status_display",
        *RecordAdmin.readonly_fields,
    ]
    fieldsets = [
        (
            None,
            {
                "fields": [
                    "display_name",
                    "is_unnamed",
                    ("birth_year", "gender"),
                    ("citizenship", "occupation"),
                    "roles",
                    "summary",
                    "private_notes",
                ]
            },
        ),
        (
            _("Current status (derived from the timeline)"),
            {"fields": ["status_display", "public_status_display", "status_verified_on"]},
        ),
        (
            _("Publication and privacy"),
            {"fields": [("publication", "consent", "risk_level"), *RecordAdmin.readonly_fields]},
        ),
    ]
    inlines = [
        NameInline,
        StatusEntryInline,
        DetentionInline,
        ChargeInline,
        InvolvementInline,
        CitationInline,
    ]

    def get_queryset(self, request):
        return super().get_queryset(request).select_related("latest_entry", "latest_public_entry")

    def get_ordering(self, request):
        if request.GET.get(NotVerifiedFilter.parameter_name):
            # Oldest verification first; never verified before all.
            return [F("status_verified_on").asc(nulls_first=True), "display_name"]
        return super().get_ordering(request)

    def get_fieldsets(self, request, obj=None):
        fieldsets = super().get_fieldsets(request, obj)
        if obj is not None:
            return fieldsets
        (name, options), *rest = fieldsets
        return [(name, {**options, "fields": [*options["fields"], "save_anyway"]}), *rest]

    def get_urls(self):
        turn = self.admin_site.admin_view(self.turn_view)
        return [path("<path:object_id>/turn/", turn, name="cases_person_turn"), *super().get_urls()]

    def has_turn_permission(self, request) -> bool:
        return request.user.has_perm("cases.add_statusentry")

    def has_purge_permission(self, request) -> bool:
        # Erasure is the administrator's alone (the purge view checks the same rule).
        return is_administrator(request.user)

    def turn_view(self, request, object_id):
        """One form for a new turn of this person's case (casetracker.cases.turns)."""
        person = self.get_object(request, object_id)
        if person is None:
            raise Http404
        if not self.has_turn_permission(request):
            raise PermissionDenied
        publisher = can_publish(request.user)
        form = PersonTurnForm(request.POST or None, person=person, can_publish=publisher)
        if form.is_valid():
            try:
                record_turn(
                    person=person,
                    turn=form.turn(),
                    charge=form.cleaned_data["charge"],
                    may_edit_published=publisher,
                )
            except TurnRefused as refusal:
                form.add_error(None, str(refusal))
            else:
                messages.success(request, _("The turn is recorded."))
                return redirect("admin:cases_person_change", person.pk)
        context = {
            **self.admin_site.each_context(request),
            "title": _("Record a turn: %(person)s") % {"person": person},
            "opts": self.model._meta,
            "original": person,
            "form": form,
            "media": self.media + form.media,
        }
        return TemplateResponse(request, "admin/cases/person/turn_form.html", context)

    @admin.display(description=_("current status"), ordering="status")
    def status_display(self, person):
        return _status_with_date(person.status, person.latest_entry)

    @admin.display(description=_("public status"), ordering="public_status")
    def public_status_display(self, person):
        return _status_with_date(person.public_status, person.latest_public_entry)

    def save_related(self, request, form, formsets, change):
        super().save_related(request, form, formsets, change)
        recompute_status(form.instance)


def _status_with_date(status: str, entry: m.StatusEntry | None) -> str:
    if not status or entry is None:
        return "–"
    label = m.Status(status).label
    kind = entry.get_date_kind_display()
    return f"{label} ({kind} {entry.date_display})"


@admin.register(m.PersonName)
class PersonNameAdmin(CitedRecordAdmin):
    list_display = ["name", "kind", "person", "publication"]
    list_filter = ["kind", "publication"]
    list_select_related = ["person"]
    search_fields = ["name"]
    autocomplete_fields = ["person"]


@admin.register(m.StatusEntry)
class StatusEntryAdmin(CitedRecordAdmin):
    list_display = ["person", "status", "date_kind", "date_display", "publication"]
    list_filter = ["status", "date_kind", "publication"]
    list_select_related = ["person"]
    search_fields = ["person__display_name", "note"]
    autocomplete_fields = ["person", "detention", "charge"]
    readonly_fields = ["position", *RecordAdmin.readonly_fields]

    @admin.display(description=_("date"), ordering="occurred_on")
    def date_display(self, entry):
        return entry.date_display


@admin.register(m.Detention)
class DetentionAdmin(CitedRecordAdmin):
    list_display = ["person", "kind", "started_on", "ended_on", "place", "publication"]
    list_filter = ["kind", "whereabouts", "has_torture_alleged", "publication"]
    list_select_related = ["person", "place"]
    search_fields = ["person__display_name", "note"]
    autocomplete_fields = ["person", "place", "facility", "authority"]


@admin.register(m.Charge)
class ChargeAdmin(CitedRecordAdmin):
    list_display = ["person", "legal_basis", "stage", "filed_on", "publication"]
    list_filter = ["stage", "is_politically_motivated", "publication"]
    list_select_related = ["person"]
    search_fields = ["person__display_name", "legal_basis", "wording"]
    autocomplete_fields = ["person", "detention"]


@admin.register(m.Relationship)
class RelationshipAdmin(CitedRecordAdmin):
    list_display = ["person", "kind", "other", "publication"]
    list_filter = ["kind", "publication"]
    list_select_related = ["person", "other"]
    search_fields = ["person__display_name", "other__display_name"]
    autocomplete_fields = ["person", "other"]


@admin.register(m.Affiliation)
class AffiliationAdmin(CitedRecordAdmin):
    list_display = ["person", "position", "organisation", "publication"]
    list_filter = ["publication"]
    list_select_related = ["person", "organisation"]
    search_fields = ["person__display_name", "organisation__name", "position"]
    autocomplete_fields = ["person", "organisation"]


@admin.register(m.Involvement)
class InvolvementAdmin(CitedRecordAdmin):
    list_display = ["person", "role", "incident", "perpetrator", "publication"]
    list_filter = ["role", "publication"]
    list_select_related = ["person", "incident", "perpetrator"]
    search_fields = ["person__display_name", "incident__title"]
    autocomplete_fields = ["person", "incident", "perpetrator"]


# Incidents


class FigureInline(RecordInlineMixin, admin.StackedInline):
    model = m.Figure
    form = CitedFactForm
    extra = 0
    show_change_link = True
    fields = [
        ("measure", "qualifier", "value"),
        "label",
        ("as_of_on", "as_of_precision"),
        "publication",
        ("cite_source", "cite_locator", "cite_confidence"),
        "cite_quote",
    ]

    def get_queryset(self, request):
        return super().get_queryset(request).prefetch_related("citations")


@admin.register(m.Incident)
class IncidentAdmin(CitedRecordAdmin):
    list_display = ["title", "kind", "started_on", "parent", "publication"]
    list_filter = ["kind", "publication", "places"]
    list_select_related = ["parent"]
    search_fields = ["title", "description"]
    autocomplete_fields = ["parent", "places"]
    inlines = [FigureInline, CitationInline]


@admin.register(m.Figure)
class FigureAdmin(CitedRecordAdmin):
    list_display = ["label", "qualifier", "value", "as_of_on", "incident", "publication"]
    list_filter = ["measure", "publication"]
    list_select_related = ["incident"]
    search_fields = ["label", "incident__title"]
    autocomplete_fields = ["incident"]


@admin.register(m.Intervention)
class InterventionAdmin(CitedRecordAdmin):
    list_display = ["description", "kind", "person", "incident", "by", "publication"]
    list_filter = ["kind", "publication"]
    list_select_related = ["person", "incident", "by"]
    search_fields = ["description", "person__display_name", "incident__title"]
    autocomplete_fields = ["person", "incident", "by"]


@admin.register(m.Citation)
class CitationAdmin(RecordAdmin):
    list_display = ["source", "locator", "confidence", "cited_fact", "publication"]
    list_filter = ["confidence", "publication", "source"]
    list_select_related = ["source"]
    search_fields = ["quote", "locator", "source__title", "source__reference"]
    autocomplete_fields = ["source"] + [field for field, _model in m.CITED_MODELS]

    @admin.display(description=_("backs"))
    def cited_fact(self, citation):
        # Built from the foreign key's id alone: no query per row.
        for field, model_name in m.CITED_MODELS:
            pk = getattr(citation, f"{field}_id")
            if pk is not None:
                model = getattr(m, model_name)
                url = reverse(f"admin:cases_{model._meta.model_name}_change", args=[pk])
                return format_html('<a href="{}">{} #{}</a>', url, model._meta.verbose_name, pk)
        return "–"
