"""The sitemap: the public pages, and public persons and incidents only, in every language."""

from django.contrib.sitemaps import Sitemap
from django.urls import reverse

from casetracker.cases import models as m


class PageSitemap(Sitemap):
    i18n = True

    def items(self) -> list[str]:
        return ["public:home", "public:person-list", "public:incident-list", "public:figures"]

    def location(self, name: str) -> str:
        return reverse(name)


class PersonSitemap(Sitemap):
    i18n = True
    limit = 10000

    def items(self):
        return m.Person.objects.public().only("public_id").order_by("pk")


class IncidentSitemap(Sitemap):
    i18n = True
    limit = 10000

    def items(self):
        return m.Incident.objects.public().only("public_id").order_by("pk")


SITEMAPS = {"pages": PageSitemap, "persons": PersonSitemap, "incidents": IncidentSitemap}
