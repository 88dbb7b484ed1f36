from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from casetracker.cases.models import Incident, Person, PersonName, Place


class SearchKey(models.Model):
    """One searchable name of a person, place or incident, with its normalised key.

    Written only by `casetracker.search.indexing` (signals, bulk reindexing, the rebuild
    command). `is_public` says whether public search may find the record through this key: a
    published name of a public person, a published place or incident. Private notes are indexed
    for staff search only and are never public.

    The key is indexed for trigram search outside Django's model indexes, by database vendor
    (migration 0002): a GIN trigram index on PostgreSQL, an FTS5 table on SQLite.
    """

    class Kind(models.TextChoices):
        PERSON = "person", _("person")
        PLACE = "place", _("place")
        INCIDENT = "incident", _("incident")

    class Field(models.TextChoices):
        DISPLAY_NAME = "display_name", _("display name")
        NAME = "name", _("name")
        OTHER_NAME = "other_name", _("other name")
        TITLE = "title", _("title")
        PRIVATE_NOTES = "private_notes", _("private notes")

    kind = models.CharField(_("kind"), max_length=8, choices=Kind.choices)
    field = models.CharField(_("from"), max_length=13, choices=Field.choices)
    person = models.ForeignKey(
        Person, null=True, blank=True, on_delete=models.CASCADE, related_name="search_keys"
    )
    name = models.ForeignKey(
        PersonName, null=True, blank=True, on_delete=models.CASCADE, related_name="search_keys"
    )
    place = models.ForeignKey(
        Place, null=True, blank=True, on_delete=models.CASCADE, related_name="search_keys"
    )
    incident = models.ForeignKey(
        Incident, null=True, blank=True, on_delete=models.CASCADE, related_name="search_keys"
    )
    text = models.TextField(_("text"))
    key = models.TextField(_("key"))
    is_public = models.BooleanField(_("public"), default=False)

    class Meta:
        verbose_name = _("search key")
        verbose_name_plural = _("search keys")
        constraints = [
            models.CheckConstraint(
                condition=Q(
                    kind="person",
                    person__isnull=False,
                    place__isnull=True,
                    incident__isnull=True,
                )
                | Q(
                    kind="place",
                    place__isnull=False,
                    person__isnull=True,
                    name__isnull=True,
                    incident__isnull=True,
                )
                | Q(
                    kind="incident",
                    incident__isnull=False,
                    person__isnull=True,
                    name__isnull=True,
                    place__isnull=True,
                ),
                name="searchkey_points_at_its_kind",
                violation_error_message=_("A search key points at one record of its kind."),
            ),
            models.CheckConstraint(
                condition=~Q(field="private_notes") | Q(is_public=False),
                name="searchkey_notes_never_public",
                violation_error_message=_("Private notes are never searchable publicly."),
            ),
        ]

    def __str__(self) -> str:
        return self.key

    # On a tie in the ranking, the name a record is shown by is the one to report as matched.
    FIELD_ORDER = {
        Field.DISPLAY_NAME: 0,
        Field.TITLE: 0,
        Field.NAME: 1,
        Field.OTHER_NAME: 1,
        Field.PRIVATE_NOTES: 2,
    }

    @property
    def target_id(self) -> int:
        return {"person": self.person_id, "place": self.place_id, "incident": self.incident_id}[
            self.kind
        ]


class SearchWord(models.Model):
    """Every word of any search key: the vocabulary near misses are looked up in (PostgreSQL).

    A name shared by ten thousand people is one word here, so a misspelt or half-typed query word
    is matched against a few thousand words, not millions of keys; the keys holding the words
    found are then read through the exact-word index. Filled and kept in step by database
    triggers on search keys (casetracker.search.backends); a word whose keys are gone stays and
    merely finds nothing. SQLite searches its FTS5 table instead and leaves this table empty.
    """

    word = models.TextField(_("word"), unique=True)

    class Meta:
        verbose_name = _("search word")
        verbose_name_plural = _("search words")

    def __str__(self) -> str:
        return self.word
