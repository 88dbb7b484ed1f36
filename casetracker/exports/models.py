from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _


class ExportLog(models.Model):
    """One staff export: who took which selection, when. Written by the staff export views."""

    class Via(models.TextChoices):
        WEB = "web", _("web")
        COMMAND = "command", _("command line")

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("user"),
        null=True,
        on_delete=models.SET_NULL,
        related_name="export_logs",
    )
    created_at = models.DateTimeField(_("exported at"), auto_now_add=True)
    what = models.CharField(_("what"), max_length=20)
    format = models.CharField(_("format"), max_length=5)
    query = models.TextField(_("selection"), blank=True, help_text=_("The filter parameters."))
    via = models.CharField(_("via"), max_length=7, choices=Via.choices, default=Via.WEB)
    row_count = models.PositiveIntegerField(_("rows"), null=True, blank=True)
    is_complete = models.BooleanField(_("complete"), default=False)

    class Meta:
        verbose_name = _("staff export")
        verbose_name_plural = _("staff exports")
        ordering = ["-created_at", "-id"]

    def __str__(self) -> str:
        return f"{self.user}: {self.what}.{self.format} ({self.created_at:%Y-%m-%d %H:%M})"
