"""No lost updates: optimistic locking on `Record.version`.

Every staff form carries the version of the row it was loaded with. A save is accepted only if
the row still has that version, and raises it by one with a conditional UPDATE, so two staff
members saving the same record at once cannot both win: the second is refused and told what
changed meanwhile. Derived columns (stored status, timeline positions) are written with
`QuerySet.update` by `recompute_status` and never touch the version.
"""

from dataclasses import dataclass

from django.db import models, transaction
from django.utils.translation import gettext as _

LOADED_VERSION = "loaded_version"
# Fields a person's own form does not edit: never reported as "changed meanwhile".
_NOT_COMPARED = {"version", "updated_at", "created_at", "published_at", "id"}


@dataclass
class Change:
    field: str
    theirs: str
    yours: str


class VersionConflict(Exception):
    def __init__(self, instance, changes: list[Change]):
        self.instance = instance
        self.changes = changes
        super().__init__(conflict_message(instance, changes))


def current_version(instance) -> int | None:
    """The row's version now, locking the row until the transaction ends where the DB can."""
    rows = type(instance)._default_manager.filter(pk=instance.pk)
    if transaction.get_connection().in_atomic_block:
        rows = rows.select_for_update()
    return rows.values_list("version", flat=True).first()


def claim(instance, loaded: int) -> None:
    """Raise the row's version from `loaded`, or refuse: the compare-and-set every save does."""
    model = type(instance)
    updated = model._default_manager.filter(pk=instance.pk, version=loaded).update(
        version=loaded + 1
    )
    if not updated:
        raise VersionConflict(instance, changes_since(instance, loaded))
    instance.version = loaded + 1


def bump(instance) -> None:
    """Raise the version of a row a writer has locked and is about to save (turns, actions)."""
    claim(instance, instance.version)


def changes_since(instance, loaded: int, yours: dict | None = None) -> list[Change]:
    """What changed in the row since version `loaded`: field, their value now, and yours.

    From the history when it holds the loaded version; else every field whose current value
    differs from what this writer submitted.
    """
    model = type(instance)
    current = model._default_manager.filter(pk=instance.pk).first()
    if current is None:
        return [Change(_("the whole record"), _("deleted"), "")]
    fields = [
        f for f in model._meta.concrete_fields if f.name not in _NOT_COMPARED and not f.primary_key
    ]
    before = None
    history = getattr(model, "history", None)
    if history is not None:
        before = history.filter(id=instance.pk, version=loaded).order_by("-history_date").first()
    changes = []
    for field in fields:
        theirs = field.value_from_object(current)
        if before is not None:
            if field.attname not in before.__dict__:
                continue  # excluded from history: derived
            if getattr(before, field.attname) == theirs:
                continue
            mine = (yours or {}).get(field.name, getattr(before, field.attname))
        else:
            if yours is None or field.name not in yours or yours[field.name] == theirs:
                continue
            mine = yours[field.name]
        changes.append(Change(str(field.verbose_name), _show(theirs), _show(mine)))
    return changes


def conflict_message(instance, changes: list[Change]) -> str:
    head = _(
        "Someone else saved %(record)s after you opened it. Nothing of yours was saved: "
        "reload the page and make your change again."
    ) % {"record": instance._meta.verbose_name}
    if not changes:
        return head
    lines = "; ".join(
        _("%(field)s: now “%(theirs)s” (yours: “%(yours)s”)")
        % {"field": c.field, "theirs": c.theirs, "yours": c.yours}
        for c in changes
    )
    return f"{head} {_('Changed meanwhile:')} {lines}."


def _show(value) -> str:
    if isinstance(value, models.Model):
        return str(value)
    if value in (None, ""):
        return "–"
    return str(value)
