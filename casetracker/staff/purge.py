"""Erasure: purging a person from the register, its history, search keys, export logs and caches.

An administrator purges a person when consent is withdrawn or the law requires it. What stays is
a PurgeRecord per public id (who, when, the stated ground) and the id's retirement, so it is
never reused or re-imported. A purge cannot be undone; a restore from a backup taken before the
purge brings the person back, so `manage.py reapply_purges` must run after every restore: it
purges again every public id in the PurgeRecord table and in the purge ledger (PURGE_LEDGER, a
file kept outside the database and its backups).
"""

import json
from collections.abc import Iterable
from pathlib import Path

from django.apps import apps
from django.conf import settings
from django.contrib.admin.models import LogEntry
from django.contrib.auth import get_user_model
from django.contrib.contenttypes.models import ContentType
from django.core.cache import cache
from django.db import models, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from casetracker.cases import models as m

from .history import history_m2m_models, history_models
from .models import MergeRecord, PurgeRecord, RetiredPublicId
from .retired import retire

ADMINISTRATOR_GROUP = "administrator"
REDACTED = "[purged]"


class PurgeError(Exception):
    pass


def is_administrator(user) -> bool:
    return bool(
        user.is_active
        and (user.is_superuser or user.groups.filter(name=ADMINISTRATOR_GROUP).exists())
    )


def persons_purged_with(person: m.Person) -> list[m.Person]:
    """The person and every record merged into them (the same human), depth first."""
    found, queue = [], [person]
    while queue:
        current = queue.pop()
        found.append(current)
        queue.extend(m.Person.objects.filter(merged_into=current).exclude(pk=current.pk))
    return found


def purge_person(person: m.Person, *, user, ground: str, reason: str = "") -> PurgeRecord:
    """Erase a person and everything about them; return the stub that stays."""
    if not is_administrator(user):
        raise PurgeError(_("Only an administrator can purge a person."))
    if person.merged_into_id is not None:
        raise PurgeError(
            _("This record was merged into %(kept)s: purge that person instead.")
            % {"kept": person.merged_into.public_id}
        )
    public_ids = [p.public_id for p in persons_purged_with(person)]
    now = timezone.now()
    with transaction.atomic():
        stubs = [
            PurgeRecord(
                public_id=public_id, ground=ground, reason=reason, purged_by=user, purged_at=now
            )
            for public_id in public_ids
        ]
        PurgeRecord.objects.bulk_create(stubs)
        erase(public_ids)
        # Written once the purge is committed: a rolled-back purge must not be re-applied.
        transaction.on_commit(lambda: _append_to_ledger(stubs, user))
    return stubs[0]


def _cascading_links(model: type[models.Model], targets: set) -> list[models.ForeignKey]:
    return [
        field
        for field in model._meta.concrete_fields
        if field.many_to_one
        and field.related_model in targets
        and field.remote_field.on_delete is models.CASCADE
    ]


def collect_ids(public_ids: Iterable[str]) -> dict[type[models.Model], set[int]]:
    """Every record, live or only in the history, that a purge of these persons erases.

    Follows the links the database cascades (a fact's person, a relationship's other person, a
    citation's fact) through live rows and historical rows alike, so a fact deleted long ago
    is erased from the history too.
    """
    public_ids = list(public_ids)
    person_ids = set(m.Person.objects.filter(public_id__in=public_ids).values_list("pk", flat=True))
    person_ids |= set(
        m.Person.history.filter(public_id__in=public_ids).values_list("id", flat=True)
    )
    found: dict[type[models.Model], set[int]] = {m.Person: person_ids}
    others = [model for model in history_models() if model is not m.Person]
    changed = True
    while changed:
        changed = False
        for model in others:
            for field in _cascading_links(model, set(found)):
                ids = found[field.related_model]
                if not ids:
                    continue
                lookup = {f"{field.attname}__in": ids}
                new = set(model.objects.filter(**lookup).values_list("pk", flat=True))
                new |= set(model.history.filter(**lookup).values_list("id", flat=True))
                if new - found.get(model, set()):
                    found.setdefault(model, set()).update(new)
                    changed = True
    return found


@transaction.atomic
def erase(public_ids: Iterable[str]) -> int:
    """Delete these persons' records, history, admin log, search keys and export-log mentions.

    Returns how many rows went. Idempotent: erasing ids already erased deletes nothing.
    """
    public_ids = list(public_ids)
    found = collect_ids(public_ids)
    deleted = 0
    MergeRecord.objects.filter(
        models.Q(kept_public_id__in=public_ids) | models.Q(merged_public_id__in=public_ids)
    ).delete()
    _delete_search_keys(found[m.Person])
    deleted += m.Person.objects.filter(pk__in=found[m.Person]).delete()[0]
    for model, ids in found.items():
        for link, column in history_m2m_models(model):
            deleted += link.objects.filter(**{f"{column}__in": ids}).delete()[0]
        # Rows deleted just now got a "-" history row; it goes with the rest.
        deleted += model.history.filter(id__in=ids).delete()[0]
        content_type = ContentType.objects.get_for_model(model)
        deleted += LogEntry.objects.filter(
            content_type=content_type, object_id__in=[str(pk) for pk in ids]
        ).delete()[0]
    for public_id in public_ids:
        retire(public_id, RetiredPublicId.Why.PURGED)
    _redact_export_logs(public_ids)
    # Cached pages, fragments and figures may hold the person: nothing cached survives a purge.
    transaction.on_commit(cache.clear)
    return deleted


def _delete_search_keys(person_ids: set[int]) -> None:
    # Keys cascade with the person; stale keys of persons deleted earlier go explicitly.
    if apps.is_installed("casetracker.search"):
        apps.get_model("search", "SearchKey").objects.filter(person_id__in=person_ids).delete()


def _redact_export_logs(public_ids: list[str]) -> None:
    """Staff export logs keep the selection each export was made with: take the ids out of it."""
    if not apps.is_installed("casetracker.exports"):
        return
    try:
        log_model = apps.get_model("exports", "ExportLog")
    except LookupError:
        return
    text_fields = [
        f.name
        for f in log_model._meta.concrete_fields
        if isinstance(f, models.CharField | models.TextField) and not f.choices
    ]
    for public_id in public_ids:
        for field in text_fields:
            for log in log_model.objects.filter(**{f"{field}__contains": public_id}):
                setattr(log, field, getattr(log, field).replace(public_id, REDACTED))
                log.save(update_fields=[field])


def _ledger_path() -> Path | None:
    path = getattr(settings, "PURGE_LEDGER", "")
    return Path(path) if path else None


def _append_to_ledger(stubs: list[PurgeRecord], user) -> None:
    """Append each purge to the ledger file, which outlives a restore of the database."""
    path = _ledger_path()
    if path is None:
        return
    with path.open("a", encoding="utf-8") as ledger:
        for stub in stubs:
            entry = {
                "public_id": stub.public_id,
                "ground": stub.ground,
                "purged_at": stub.purged_at.isoformat(),
                "purged_by": user.get_username(),
            }
            ledger.write(json.dumps(entry) + "\n")


def read_ledger(path: Path) -> list[dict]:
    if not path.exists():
        return []
    with path.open(encoding="utf-8") as ledger:
        return [json.loads(line) for line in ledger if line.strip()]


@transaction.atomic
def reapply_purges(*, ledger: Path | None = None) -> tuple[int, int]:
    """Purge again every purged public id (table and ledger); returns (ids, rows deleted).

    Run after restoring a backup: the ledger restores stubs the backup predates.
    """
    ledger = ledger or _ledger_path()
    User = get_user_model()
    known = set(PurgeRecord.objects.values_list("public_id", flat=True))
    for entry in read_ledger(ledger) if ledger else []:
        if entry["public_id"] not in known:
            PurgeRecord.objects.create(
                public_id=entry["public_id"],
                ground=entry.get("ground", PurgeRecord.Ground.OTHER),
                purged_at=entry.get("purged_at") or timezone.now(),
                purged_by=User.objects.filter(username=entry.get("purged_by")).first(),
            )
            known.add(entry["public_id"])
    return len(known), erase(sorted(known)) if known else 0
