"""Merging two records of the same person, and undoing it.

A merge moves every fact of the merged person onto the kept one, keeps the merged person's names
(their display name becomes an alias of the kept person), marks the merged person
`merged_into` the kept one (their public URL then redirects, see casetracker.public.views) and
writes a MergeRecord naming every row it moved, so that the merge can be undone exactly. Each
row is saved on its own, so each move is in the history with the staff member who merged.
"""

from django.db import models, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from casetracker.cases import models as m
from casetracker.cases.status import recompute_status

from .history import acting_as
from .models import MergeRecord, RetiredPublicId
from .retired import retire

# Every link from a fact to a person, as (model, field). `test_merge` checks that this list
# covers every foreign key to Person in the register but the ones in NOT_MOVED.
MOVED: list[tuple[type[models.Model], str]] = [
    (m.PersonName, "person"),
    (m.StatusEntry, "person"),
    (m.Detention, "person"),
    (m.Charge, "person"),
    (m.Involvement, "person"),
    (m.Relationship, "person"),
    (m.Relationship, "other"),
    (m.Affiliation, "person"),
    (m.Intervention, "person"),
    (m.Citation, "person"),
]
# Links that stay: the merge itself, the merge's own record, search keys (derived, rebuilt
# by the search app's signals when the moved names and the merged person are saved) and each
# person's share of the public figures (derived, refreshed by recompute_status).
NOT_MOVED = {
    ("person", "merged_into"),
    ("mergerecord", "kept"),
    ("mergerecord", "merged"),
    ("searchkey", "person"),
    ("persontally", "person"),
}


class MergeError(Exception):
    pass


def _key(model: type[models.Model], field: str) -> str:
    return f"{model._meta.model_name}.{field}"


def _check(kept: m.Person, other: m.Person) -> None:
    if kept.pk == other.pk:
        raise MergeError(_("Choose two different persons."))
    if kept.merged_into_id or other.merged_into_id:
        raise MergeError(_("One of these persons has already been merged into another."))
    linked = m.Relationship.objects.filter(
        models.Q(person=kept, other=other) | models.Q(person=other, other=kept)
    )
    if linked.exists():
        raise MergeError(
            _(
                "These persons are recorded as related to each other: "
                "delete that relationship before merging them."
            )
        )


@transaction.atomic
def merge_persons(*, kept: m.Person, other: m.Person, user) -> MergeRecord:
    """Move everything of `other` onto `kept`, in one transaction, and record what moved."""
    kept = m.Person.objects.select_for_update().get(pk=kept.pk)
    other = m.Person.objects.select_for_update().get(pk=other.pk)
    _check(kept, other)
    record = MergeRecord.objects.create(
        kept=kept,
        merged=other,
        kept_public_id=kept.public_id,
        merged_public_id=other.public_id,
        merged_by=user,
    )
    reason = _("merge #%(number)s: %(merged)s into %(kept)s") % {
        "number": record.pk,
        "merged": other.public_id,
        "kept": kept.public_id,
    }
    with acting_as(user):
        kept_names = set(kept.names.values_list("name", "kind"))
        for model, field in MOVED:
            moved = []
            rows = model.objects.select_for_update().filter(**{field: other}).order_by("pk")
            for row in rows:
                if model is m.PersonName and (row.name, row.kind) in kept_names:
                    continue  # The kept person already has this very name; it stays put.
                _move(row, field, kept, reason)
                moved.append(row.pk)
            if moved:
                record.moved[_key(model, field)] = moved
        cited = record.moved.get(_key(m.Citation, "person"), [])
        record.created = _alias_of(other, kept, reason, cited)
        record.roles_added = _add_roles(other, kept)
        # Persons merged into `other` earlier now lead to `kept`, so their URLs redirect too.
        earlier = []
        for person in m.Person.objects.select_for_update().filter(merged_into=other):
            _move(person, "merged_into", kept, reason)
            earlier.append(person.pk)
        if earlier:
            record.moved[_key(m.Person, "merged_into")] = earlier
        _move(other, "merged_into", kept, reason)
    record.save()
    retire(other.public_id, RetiredPublicId.Why.MERGED)
    recompute_status(kept)
    recompute_status(other)
    return record


def _alias_of(
    other: m.Person, kept: m.Person, reason: str, cited: list[int]
) -> dict[str, list[int]]:
    """The merged person's display name, kept as an alias name of the kept person."""
    known = {kept.display_name, *kept.names.values_list("name", flat=True)}
    if other.is_unnamed or other.display_name in known:
        return {}
    alias = m.PersonName(
        person=kept,
        name=other.display_name,
        kind=m.PersonName.Kind.ALIAS,
        publication=other.publication,
    )
    alias._change_reason = reason
    alias.save()
    # The alias is sourced where the merged person was: copy the person's own citations.
    citations = []
    for citation in m.Citation.objects.filter(pk__in=cited).order_by("pk"):
        copy = m.Citation(
            source_id=citation.source_id,
            locator=citation.locator,
            quote=citation.quote,
            confidence=citation.confidence,
            claimed_by=citation.claimed_by,
            publication=citation.publication,
            name=alias,
        )
        copy._change_reason = reason
        copy.save()
        citations.append(copy.pk)
    return {"personname": [alias.pk], "citation": citations}


def _add_roles(other: m.Person, kept: m.Person) -> list[int]:
    added = list(other.roles.exclude(persons=kept).values_list("pk", flat=True))
    if added:
        kept.roles.add(*added)
    return added


class UndoError(Exception):
    pass


@transaction.atomic
def undo_merge(record: MergeRecord, *, user) -> MergeRecord:
    """Move back every row the merge moved (those still on the kept person) and unmark it."""
    record = MergeRecord.objects.select_for_update().get(pk=record.pk)
    if record.is_undone:
        raise UndoError(_("This merge has already been undone."))
    if record.kept_id is None or record.merged_id is None:
        raise UndoError(_("One of the two persons has been purged; the merge cannot be undone."))
    kept, other = record.kept, record.merged
    reason = _("undo of merge #%(number)s") % {"number": record.pk}
    models_by_name = {model._meta.model_name: model for model, _field in MOVED}
    models_by_name["person"] = m.Person
    with acting_as(user):
        for pk in record.created.get("citation", []):
            _delete(m.Citation, pk, reason)
        for pk in record.created.get("personname", []):
            _delete(m.PersonName, pk, reason)
        for key, ids in record.moved.items():
            model_name, field = key.split(".")
            model = models_by_name[model_name]
            rows = model.objects.select_for_update().filter(pk__in=ids, **{field: kept})
            for row in rows.order_by("pk"):
                _move(row, field, other, reason)
        if record.roles_added:
            kept.roles.remove(*record.roles_added)
        _move(other, "merged_into", None, reason)
    RetiredPublicId.objects.filter(
        public_id=other.public_id, why=RetiredPublicId.Why.MERGED
    ).delete()
    record.undone_by = user
    record.undone_at = timezone.now()
    record.save()
    recompute_status(kept)
    recompute_status(other)
    return record


def _move(row: models.Model, field: str, to: m.Person | None, reason: str) -> None:
    # A move is an edit: the version goes up, so a form loaded before the merge is refused.
    setattr(row, field, to)
    row.version += 1
    row._change_reason = reason
    row.save()


def _delete(model: type[models.Model], pk: int, reason: str) -> None:
    row = model.objects.filter(pk=pk).first()
    if row is not None:
        row._change_reason = reason
        row.delete()
