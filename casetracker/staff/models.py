"""What the staff tools record about themselves: merges, purges and retired public ids.

None of these tables holds personal data beyond public ids (opaque by design) and who acted:
a purge must leave only a stub, and a merge record must survive an undo.
"""

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _


class MergeRecord(models.Model):
    """One merge of a person into another: who, when, and the ids of every row it moved.

    `moved` maps "<model>.<field>" (e.g. "relationship.other") to the primary keys of the rows
    whose field was pointed from the merged person to the kept one; `created` lists rows the merge
    made (the alias name carrying the merged person's display name, its citations); `roles_added`
    the roles the kept person gained. Undoing the merge reverses exactly these.
    """

    kept = models.ForeignKey(
        "cases.Person",
        verbose_name=_("kept person"),
        null=True,
        on_delete=models.SET_NULL,
        related_name="merges_kept",
    )
    merged = models.ForeignKey(
        "cases.Person",
        verbose_name=_("merged person"),
        null=True,
        on_delete=models.SET_NULL,
        related_name="merges_merged",
    )
    kept_public_id = models.CharField(_("kept public id"), max_length=16)
    merged_public_id = models.CharField(_("merged public id"), max_length=16)
    merged_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("merged by"),
        null=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    merged_at = models.DateTimeField(_("merged at"), auto_now_add=True)
    moved = models.JSONField(_("rows moved"), default=dict)
    created = models.JSONField(_("rows created"), default=dict)
    roles_added = models.JSONField(_("roles added"), default=list)
    undone_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("undone by"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    undone_at = models.DateTimeField(_("undone at"), null=True, blank=True)

    class Meta:
        verbose_name = _("merge")
        verbose_name_plural = _("merges")
        ordering = ["-merged_at", "-id"]
        constraints = [
            models.CheckConstraint(
                condition=~models.Q(kept_public_id=models.F("merged_public_id")),
                name="mergerecord_two_different_persons",
                violation_error_message=_("A person cannot be merged into itself."),
            ),
        ]

    def __str__(self) -> str:
        return f"{self.merged_public_id} → {self.kept_public_id}"

    @property
    def is_undone(self) -> bool:
        return self.undone_at is not None

    @property
    def moved_count(self) -> int:
        return sum(len(ids) for ids in self.moved.values())


class PurgeRecord(models.Model):
    """The stub an erasure leaves: which public id, who purged it, when and why. Nothing else.

    `reason` is the stated ground (withdrawn consent, a legal request) and must not repeat the
    person's name or details. `casetracker.staff.purge.reapply_purges` deletes any record that
    comes back under one of these public ids, e.g. after a restore from backup.
    """

    class Ground(models.TextChoices):
        CONSENT_WITHDRAWN = "consent_withdrawn", _("consent withdrawn")
        LEGAL_REQUEST = "legal_request", _("legal request")
        OTHER = "other", _("other")

    public_id = models.CharField(_("public id"), max_length=16, unique=True)
    ground = models.CharField(_("ground"), max_length=17, choices=Ground.choices)
    reason = models.TextField(
        _("stated reason"),
        blank=True,
        help_text=_("Without the person's name or any detail about them."),
    )
    purged_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("purged by"),
        null=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    purged_at = models.DateTimeField(_("purged at"))

    class Meta:
        verbose_name = _("purge")
        verbose_name_plural = _("purges")
        ordering = ["-purged_at", "-id"]

    def __str__(self) -> str:
        return self.public_id


class RetiredPublicId(models.Model):
    """A public id that must never be given to a new record: purged, or merged away.

    Imports call `casetracker.staff.retired.is_retired()` and refuse such ids.
    """

    class Why(models.TextChoices):
        MERGED = "merged", _("merged into another person")
        PURGED = "purged", _("purged")

    public_id = models.CharField(_("public id"), max_length=16, unique=True)
    why = models.CharField(_("why"), max_length=6, choices=Why.choices)
    retired_at = models.DateTimeField(_("retired at"), auto_now=True)

    class Meta:
        verbose_name = _("retired public id")
        verbose_name_plural = _("retired public ids")
        ordering = ["-retired_at", "-id"]

    def __str__(self) -> str:
        return self.public_id
