from django.apps import AppConfig
from django.db.models.signals import post_migrate
from django.utils.translation import gettext_lazy as _


class CasesConfig(AppConfig):
    name = "casetracker.cases"
    label = "cases"
    verbose_name = _("Case register")

    def ready(self):
        from .roles import sync_groups_after_migrate

        # Models added by later migrations (history, purge) get their permissions after the
        # run; keep the staff groups in step with them.
        post_migrate.connect(sync_groups_after_migrate, dispatch_uid="cases-sync-groups")
