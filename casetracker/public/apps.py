from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class PublicConfig(AppConfig):
    name = "casetracker.public"
    label = "public"
    verbose_name = _("Public site")

    def ready(self) -> None:
        from . import signals  # noqa: F401  (registers the receivers that keep the figures right)
