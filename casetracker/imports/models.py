"""Imports staged in the database: the uploaded files, their rows as checked, and the job's state.

Everything an import needs lives in these tables, so any app server can show the preview and
confirm it, and the task worker can apply it. Nothing reaches the register until the apply job
writes it all in one transaction.
"""

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.urls import reverse
from django.utils.translation import gettext_lazy as _


class ImportBatch(models.Model):
    class State(models.TextChoices):
        CHECKING = "checking", _("being checked")
        STAGED = "staged", _("ready for review")
        REJECTED = "rejected", _("file refused")
        QUEUED = "queued", _("confirmed, waiting for the worker")
        APPLYING = "applying", _("being imported")
        DONE = "done", _("imported")
        FAILED = "failed", _("failed, nothing imported")

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("uploaded by"),
        on_delete=models.PROTECT,
        related_name="import_batches",
    )
    created_at = models.DateTimeField(_("uploaded at"), auto_now_add=True)
    file_names = models.CharField(_("files"), max_length=1000)
    state = models.CharField(_("state"), max_length=8, choices=State.choices)
    # Why the file was refused or the import failed; shown to staff as it is.
    error = models.TextField(_("error"), blank=True)
    row_count = models.PositiveIntegerField(_("rows"), default=0)
    rows_done = models.PositiveIntegerField(_("rows imported"), default=0)
    confirmed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("confirmed by"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    confirmed_at = models.DateTimeField(_("confirmed at"), null=True, blank=True)
    finished_at = models.DateTimeField(_("finished at"), null=True, blank=True)

    class Meta:
        verbose_name = _("import")
        verbose_name_plural = _("imports")
        ordering = ["-created_at", "-id"]

    def __str__(self) -> str:
        return f"{self.file_names} ({self.get_state_display()})"

    def get_absolute_url(self) -> str:
        return reverse("admin:imports_importbatch_preview", args=[self.pk])

    @property
    def is_running(self) -> bool:
        return self.state in (self.State.CHECKING, self.State.QUEUED, self.State.APPLYING)


class ImportFile(models.Model):
    """An uploaded file as it came, kept until the batch is checked."""

    batch = models.ForeignKey(ImportBatch, on_delete=models.CASCADE, related_name="files")
    name = models.CharField(_("name"), max_length=255)
    content = models.BinaryField(_("content"))

    def __str__(self) -> str:
        return self.name


class ImportRow(models.Model):
    class Action(models.TextChoices):
        CREATE = "create", _("create")
        UPDATE = "update", _("update")
        REFUSE = "refuse", _("refuse")

    batch = models.ForeignKey(ImportBatch, on_delete=models.CASCADE, related_name="rows")
    kind = models.CharField(_("kind"), max_length=16)  # an importable export kind: "persons", …
    order = models.PositiveSmallIntegerField()  # the kind's place in the apply order
    line = models.PositiveIntegerField(_("line"))  # as a spreadsheet numbers it (header is 1)
    sheet = models.CharField(_("file or sheet"), max_length=255)
    public_id = models.CharField(_("public id"), max_length=16, blank=True)
    values = models.JSONField(_("values"), default=dict)  # the row's cells, unescaped
    action = models.CharField(_("action"), max_length=6, choices=Action.choices)
    messages = models.JSONField(_("messages"), default=list)
    # Persons the register already has under the same normalised name and birth year.
    duplicates = models.JSONField(_("possible duplicates"), default=list)
    # Staff's decision on a possible duplicate: "new", or the public id of the person to update.
    decision = models.CharField(_("decision"), max_length=16, blank=True)

    class Meta:
        ordering = ["batch", "order", "line"]
        indexes = [
            # The preview's filtered pages and the apply job's ordered pass.
            models.Index(fields=["batch", "action", "order", "line"], name="importrow_by_action"),
        ]
        constraints = [
            models.CheckConstraint(
                condition=Q(decision="") | ~Q(duplicates=[]),
                name="importrow_decision_only_for_duplicates",
                violation_error_message=_("Only a possible duplicate takes a decision."),
            ),
        ]

    def __str__(self) -> str:
        return f"{self.sheet}:{self.line}"

    @property
    def needs_decision(self) -> bool:
        return bool(self.duplicates) and not self.decision
