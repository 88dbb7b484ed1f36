from django.apps import AppConfig
from django.contrib.admin import apps as admin_apps


class SecurityConfig(AppConfig):
    default = True
    name = "casetracker.security"
    verbose_name = "Security"

    def ready(self) -> None:
        from . import signals  # noqa: F401  (connects the public-cache receivers)


class StaffAdminConfig(admin_apps.AdminConfig):
    """The admin, with a site whose only login asks for a one-time code (see admin_site.py)."""

    default = False  # named in INSTALLED_APPS; SecurityConfig is this module's default
    default_site = "casetracker.security.admin_site.StaffAdminSite"
