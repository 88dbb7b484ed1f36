"""Atom feeds of published status changes: site-wide and per person, public entries only."""

from django.contrib.syndication.views import Feed
from django.shortcuts import get_object_or_404
from django.urls import reverse
from django.utils.feedgenerator import Atom1Feed
from django.utils.translation import gettext as _

from casetracker.cases import models as m

FEED_SIZE = 50


class UpdatesFeed(Feed):
    feed_type = Atom1Feed

    def title(self) -> str:
        return _("Casetracker: published status changes")

    def subtitle(self) -> str:
        return _("Each new turn of a case, once the register has published it.")

    def link(self) -> str:
        return reverse("public:home")

    def items(self):
        return (
            m.StatusEntry.objects.public()
            .select_related("person")
            .order_by("-published_at", "-id")[:FEED_SIZE]
        )

    def item_title(self, entry: m.StatusEntry) -> str:
        return f"{entry.person.display_name}: {entry.get_status_display()}"

    def item_description(self, entry: m.StatusEntry) -> str:
        if entry.occurred_on is None:
            when = entry.date_display
        else:
            when = f"{entry.get_date_kind_display()} {entry.date_display}"
        return f"{when}. {entry.note}" if entry.note else when

    def item_link(self, entry: m.StatusEntry) -> str:
        return f"{entry.person.get_absolute_url()}#{entry.public_id}"

    def item_guid(self, entry: m.StatusEntry) -> str:
        return f"urn:casetracker:status-entry:{entry.public_id}"

    item_guid_is_permalink = False

    def item_pubdate(self, entry: m.StatusEntry):
        return entry.published_at

    def item_updateddate(self, entry: m.StatusEntry):
        return entry.published_at


class PersonUpdatesFeed(UpdatesFeed):
    def get_object(self, request, public_id: str) -> m.Person:
        # A non-public person's feed answers like a missing one.
        return get_object_or_404(m.Person.objects.public(), public_id=public_id)

    def title(self, person: m.Person) -> str:
        return _("%(name)s: published status changes") % {"name": person.display_name}

    def subtitle(self, person: m.Person) -> str:
        return _("Each new turn of this case, once the register has published it.")

    def link(self, person: m.Person) -> str:
        return person.get_absolute_url()

    def items(self, person: m.Person):
        return (
            m.StatusEntry.objects.public()
            .filter(person=person)
            .select_related("person")
            .order_by("-published_at", "-id")[:FEED_SIZE]
        )
