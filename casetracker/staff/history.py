"""History as staff read and use it: who wrote, readable differences, deleted records restored.

django-simple-history keeps a historical row for every save and delete of the register's
records. Requests get their user from `HistoryRequestMiddleware`; code that writes outside a
request (the merge, the purge, management commands) runs inside `acting_as(user)` so its rows
carry the user too. Restoring a version or a deleted record is a new save with its own row.
"""

import contextlib
import dataclasses
import datetime
from collections.abc import Iterator
from dataclasses import dataclass
from types import SimpleNamespace

from django.apps import apps
from django.contrib.auth import get_user_model
from django.core.management.base import CommandError
from django.db import models, transaction
from django.db.models import Exists, OuterRef
from django.utils.translation import gettext as _
from simple_history.models import HistoricalRecords
from simple_history.template_utils import HistoricalRecordContextHelper

from casetracker.cases import models as m
from casetracker.cases.status import recompute_status

# Bookkeeping that changes on every save: listing it in each difference hides the real change.
QUIET_FIELDS = frozenset({"updated_at", "version", "published_at"})

# A person's facts, in the order a restore brings them back (targets before what points at them).
PERSON_FACTS: list[tuple[type[models.Model], str]] = [
    (m.PersonName, "person"),
    (m.Detention, "person"),
    (m.Charge, "person"),
    (m.StatusEntry, "person"),
    (m.Involvement, "person"),
    (m.Relationship, "person"),
    (m.Relationship, "other"),
    (m.Affiliation, "person"),
    (m.Intervention, "person"),
]

# How long before a person's deletion the deletion of their facts counts as the same cascade.
CASCADE_WINDOW = datetime.timedelta(minutes=1)


@contextlib.contextmanager
def acting_as(user) -> Iterator[None]:
    """Attribute every history row written inside the block to `user` (outside a request)."""
    context = HistoricalRecords.context
    previous = getattr(context, "request", None)
    if previous is not None and getattr(previous.user, "pk", None) == getattr(user, "pk", None):
        yield
        return
    context.request = SimpleNamespace(user=user)
    try:
        yield
    finally:
        if previous is None:
            del context.request
        else:
            context.request = previous


def add_user_argument(parser) -> None:
    """The `--user` option every writing management command takes."""
    parser.add_argument(
        "--user",
        required=True,
        help="Username of the staff member on whose behalf the command writes (for the history).",
    )


def command_user(username: str):
    try:
        return get_user_model().objects.get(username=username, is_active=True)
    except get_user_model().DoesNotExist as error:
        raise CommandError(f"No active user named {username!r}.") from error


# Readable differences


class ReadableChanges(HistoricalRecordContextHelper):
    """Differences as staff read them: choice labels, yes/no, and no bookkeeping fields."""

    def context_for_delta_changes(self, delta):
        changes = [c for c in delta.changes if c.field not in QUIET_FIELDS]
        return super().context_for_delta_changes(dataclasses.replace(delta, changes=changes))

    def prepare_delta_change_value(self, change, value):
        field = self.model._meta.get_field(change.field)
        if getattr(field, "choices", None) and not field.many_to_many:
            return dict(field.flatchoices).get(value, value) if value not in ("", None) else "–"
        if isinstance(field, models.BooleanField):
            return _("yes") if value else _("no")
        if value in ("", None):
            return "–"
        return super().prepare_delta_change_value(change, value)


class ReadableHistoryMixin:
    """For SimpleHistoryAdmin subclasses: readable differences, and reverting that saves.

    simple-history's revert page fills the record's form from the earlier version, so the form
    sees no change against its own initial values and carries the earlier version number; a
    form that saves only what changed, and refuses a stale version, would then skip or refuse
    the revert. On the revert page the form compares with the record as it is now instead.
    """

    def get_historical_record_context_helper(self, request, historical_record):
        return ReadableChanges(self.model, historical_record)

    def history_form_view(self, request, object_id, version_id, extra_context=None):
        request.is_history_revert = True
        return super().history_form_view(request, object_id, version_id, extra_context)

    def get_form(self, request, obj=None, change=False, **kwargs):
        form = super().get_form(request, obj, change=change, **kwargs)
        if not getattr(request, "is_history_revert", False):
            return form
        return type(form.__name__, (RevertFormMixin, form), {})


class RevertFormMixin:
    """A record's form on the revert page: changed against the current row, at its version."""

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        current = type(self.instance)._default_manager.filter(pk=self.instance.pk).first()
        self.current = current
        if current is not None and "loaded_version" in self.fields:
            self.fields["loaded_version"].initial = current.version

    def has_changed(self) -> bool:
        if self.current is None:
            return True
        return (
            any(
                field.value_from_object(self.current) != self.cleaned_data.get(field.name)
                for field in self.instance._meta.concrete_fields
                if field.name in self.fields
            )
            or super().has_changed()
        )


# Deleted records


def history_models() -> list[type[models.Model]]:
    """The register's models that keep history."""
    return [
        model
        for model in apps.get_app_config("cases").get_models()
        if hasattr(model._meta, "simple_history_manager_attribute")
    ]


# A deleted row's own words for itself, read without following any link.
TITLE_FIELDS = ("display_name", "name", "title", "label", "legal_basis", "description", "locator")


@dataclass
class DeletedRecord:
    model: type[models.Model]
    row: models.Model  # the historical row of the deletion
    person_name: str = ""

    @property
    def label(self) -> str:
        return self.model._meta.verbose_name

    @property
    def title(self) -> str:
        own = next((getattr(self.row, f) for f in TITLE_FIELDS if getattr(self.row, f, "")), "")
        if not own and hasattr(self.row, "get_status_display"):
            own = self.row.get_status_display()
        parts = [str(own or f"#{self.row.id}")[:80], self.person_name]
        return " – ".join(p for p in parts if p)

    @property
    def model_name(self) -> str:
        return self.model._meta.model_name


def deleted_records(limit: int = 50) -> list[DeletedRecord]:
    """The latest deletions still not undone, newest first.

    One query per model with history, and one for the names of the persons concerned.
    """
    found = []
    for model in history_models():
        rows = (
            model.history.filter(history_type="-")
            .filter(~Exists(model.objects.filter(pk=OuterRef("id"))))
            .select_related("history_user")
            .order_by("-history_date")[:limit]
        )
        seen = set()
        for row in rows:
            if row.id not in seen:
                seen.add(row.id)
                found.append(DeletedRecord(model, row))
    found.sort(key=lambda record: record.row.history_date, reverse=True)
    found = found[:limit]
    person_ids = {getattr(r.row, "person_id", None) for r in found} - {None}
    if person_ids:
        names = dict(
            m.Person.history.filter(id__in=person_ids)
            .order_by("id", "history_date")
            .values_list("id", "display_name")
        )  # the latest name of each wins
        for record in found:
            record.person_name = names.get(getattr(record.row, "person_id", None), "")
    return found


class CannotRestore(Exception):
    pass


def _restore_row(model, row, *, reason: str, may_publish: bool = True) -> models.Model | None:
    """Save a deleted row's last state again, if what it points at still exists.

    A nullable link to a record that is gone is cleared; a required one makes the row
    impossible to restore (None).
    """
    if model.objects.filter(pk=row.id).exists():
        return None
    instance = row.instance
    for field in model._meta.concrete_fields:
        if not field.is_relation or field.related_model is None:
            continue
        target_id = getattr(instance, field.attname)
        if target_id is None:
            continue
        if not field.related_model._base_manager.filter(pk=target_id).exists():
            if not field.null:
                return None
            setattr(instance, field.attname, None)
    if not may_publish and instance.publication == m.Publication.PUBLISHED:
        instance.unpublish()  # Publishing is the publisher's: an editor's restore is a draft.
    instance._change_reason = reason
    instance.save(force_insert=True)
    if hasattr(row, "created_at"):
        # Restoring is a new save, but the record was created when it was first created.
        model.objects.filter(pk=instance.pk).update(created_at=row.created_at)
    return instance


def _restore_m2m(model, row, instance) -> None:
    # The deletion's own row has no links (they go first); the row before it has them.
    before = (
        model.history.filter(id=row.id, history_date__lt=row.history_date)
        .exclude(history_type="-")
        .order_by("-history_date")
        .first()
    )
    if before is None:
        return
    for field in before._history_m2m_fields:
        target = field.m2m_reverse_field_name()
        ids = [getattr(link, f"{target}_id") for link in getattr(before, field.name).all()]
        getattr(instance, field.name).set(field.related_model.objects.filter(pk__in=ids))


def history_m2m_models(model: type[models.Model]) -> list[tuple[type[models.Model], str]]:
    """The historical link tables of a model's tracked many-to-many fields, with the column
    naming the record (e.g. HistoricalPerson_roles, "person_id")."""
    found = []
    for field in model.history.model._history_m2m_fields:
        link = apps.get_model(model._meta.app_label, f"Historical{model.__name__}_{field.name}")
        found.append((link, f"{field.m2m_field_name()}_id"))
    return found


@transaction.atomic
def restore_deleted(
    model: type[models.Model], history_id: int, *, user, may_publish: bool = True
) -> list[models.Model]:
    """Bring a deleted record back as a new save; for a person, also the facts that went with it.

    Returns the restored records. Facts come back when their deletion happened within
    CASCADE_WINDOW before the person's and everything they point at exists again.
    """
    row = model.history.filter(history_id=history_id, history_type="-").first()
    if row is None:
        raise CannotRestore(_("There is no such deletion."))
    reason = _("restored after deletion")
    restored = []
    with acting_as(user):
        instance = _restore_row(model, row, reason=reason, may_publish=may_publish)
        if instance is None:
            raise CannotRestore(_("This record exists again or points at a record that is gone."))
        _restore_m2m(model, row, instance)
        restored.append(instance)
        if model is m.Person:
            restored.extend(_restore_cascade(instance, row, reason=reason, may_publish=may_publish))
    persons = {r.pk for r in restored if isinstance(r, m.Person)}
    persons |= {r.person_id for r in restored if getattr(r, "person_id", None)}
    for person in m.Person.objects.filter(pk__in=persons):
        recompute_status(person)
    return restored


def _restore_cascade(
    person: m.Person, row, *, reason: str, may_publish: bool
) -> list[models.Model]:
    window = {"history_date__gte": row.history_date - CASCADE_WINDOW}
    window["history_date__lte"] = row.history_date
    restored = []
    for model, field in PERSON_FACTS:
        deletions = model.history.filter(history_type="-", **{f"{field}_id": person.pk}, **window)
        for deletion in deletions.order_by("history_date"):
            instance = _restore_row(model, deletion, reason=reason, may_publish=may_publish)
            if instance is not None:
                restored.append(instance)
    # Citations of the person and of each fact brought back.
    targets = {"person": [person.pk]}
    for instance in restored:
        field = next(f for f, name in m.CITED_MODELS if name == type(instance).__name__)
        targets.setdefault(field, []).append(instance.pk)
    for field, ids in targets.items():
        deletions = m.Citation.history.filter(
            history_type="-", **{f"{field}_id__in": ids}, **window
        )
        for deletion in deletions.order_by("history_date"):
            instance = _restore_row(m.Citation, deletion, reason=reason, may_publish=may_publish)
            if instance is not None:
                restored.append(instance)
    return restored
