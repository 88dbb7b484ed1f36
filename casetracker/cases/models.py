"""The case register's domain, in the vocabulary of the HURIDOCS Events Standard Formats.

Persons and what happened to them (involvements in incidents, detentions, charges, a status
timeline), what was done about it (interventions), and where each fact comes from (sources and
citations). Every record has a publication state; what the public may see of it is declared once,
in `casetracker.cases.public`.
"""

import secrets

from django.core.exceptions import ValidationError
from django.db import models
from django.db.models import F, Q
from django.urls import reverse
from django.utils import timezone
from django.utils.encoding import force_str
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _
from simple_history.models import HistoricalRecords

from .dates import DateKind, date_constraints, date_fields, format_partial, period_end

# Crockford's base32 without the look-alikes: ids a reader can copy from paper.
PUBLIC_ID_ALPHABET = "0123456789abcdefghjkmnpqrstvwxyz"
PUBLIC_ID_LENGTH = 10


def new_public_id() -> str:
    """An opaque, stable id for public URLs; never the primary key."""
    return "".join(secrets.choice(PUBLIC_ID_ALPHABET) for _ in range(PUBLIC_ID_LENGTH))


class Publication(models.TextChoices):
    DRAFT = "draft", _("draft")
    PUBLISHED = "published", _("published")


class Confidence(models.TextChoices):
    """How firmly a source supports a fact: "reportedly shot dead" is reported, not established."""

    REPORTED = "reported", _("reported")
    CORROBORATED = "corroborated", _("corroborated")
    CONFIRMED = "confirmed", _("confirmed")


class Record(models.Model):
    """What every register record has: a public id, a publication state and a version."""

    public_id = models.CharField(
        _("public id"), max_length=16, unique=True, default=new_public_id, editable=False
    )
    publication = models.CharField(
        _("publication"), max_length=9, choices=Publication.choices, default=Publication.DRAFT
    )
    published_at = models.DateTimeField(_("published at"), null=True, blank=True, editable=False)
    # Raised by every edit of the record's own fields; the no-lost-updates check compares it.
    version = models.PositiveIntegerField(_("version"), default=1, editable=False)
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)
    updated_at = models.DateTimeField(_("updated at"), auto_now=True)

    class Meta:
        abstract = True

    def save(self, *args, **kwargs):
        self._stamp_publication()
        super().save(*args, **kwargs)

    def clean(self) -> None:
        super().clean()
        self._stamp_publication()

    @property
    def is_published(self) -> bool:
        return self.publication == Publication.PUBLISHED

    def publish(self) -> None:
        self.publication = Publication.PUBLISHED
        self.published_at = self.published_at or timezone.now()

    def unpublish(self) -> None:
        self.publication = Publication.DRAFT
        self.published_at = None

    def _get_FIELD_display(self, field):
        # Django's own builds a dict of every choice on each call, and hashing a lazy label
        # translates it: the search page's 20 persons cost 400 translations (docs/performance.md,
        # search added time). Looking for the one choice translates only its label.
        value = getattr(self, field.attname)
        for choice, label in field.flatchoices:
            if choice == value:
                return force_str(label, strings_only=True)
        return force_str(value, strings_only=True)

    def _stamp_publication(self) -> None:
        # published_at follows the publication state; it is never typed in.
        if self.publication == Publication.PUBLISHED:
            self.published_at = self.published_at or timezone.now()
        else:
            self.published_at = None


class RecordQuerySet(models.QuerySet):
    def public(self):
        return self.filter(publication=Publication.PUBLISHED)


def publication_constraint(model: str) -> models.CheckConstraint:
    return models.CheckConstraint(
        condition=Q(publication=Publication.DRAFT) | Q(published_at__isnull=False),
        name=f"{model}_published_has_time",
        violation_error_message=_("A published record needs the time it was published."),
    )


# Places, organisations and sources


class Place(Record):
    class Kind(models.TextChoices):
        COUNTRY = "country", _("country")
        REGION = "region", _("region")
        CITY = "city", _("city or town")
        LOCALITY = "locality", _("locality")
        FACILITY = "facility", _("facility")
        SITE = "site", _("site")

    name = models.CharField(_("name"), max_length=200)
    kind = models.CharField(_("kind"), max_length=10, choices=Kind.choices)
    parent = models.ForeignKey(
        "self",
        verbose_name=_("within"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="children",
    )
    other_names = models.TextField(
        _("other names"), blank=True, help_text=_("Other spellings and scripts, one per line.")
    )
    latitude = models.DecimalField(
        _("latitude"), max_digits=8, decimal_places=5, null=True, blank=True
    )
    longitude = models.DecimalField(
        _("longitude"), max_digits=8, decimal_places=5, null=True, blank=True
    )
    postal_address = models.TextField(
        _("postal address"), blank=True, help_text=_("For letters to people held here.")
    )
    has_public_address = models.BooleanField(_("address may be shown publicly"), default=False)

    history = HistoricalRecords()

    objects = RecordQuerySet.as_manager()

    class Meta:
        ordering = ["name"]
        constraints = [
            publication_constraint("place"),
            models.CheckConstraint(
                condition=Q(latitude__isnull=True) | Q(latitude__gte=-90, latitude__lte=90),
                name="place_latitude_in_range",
                violation_error_message=_("Latitude must be between -90 and 90."),
            ),
            models.CheckConstraint(
                condition=Q(longitude__isnull=True) | Q(longitude__gte=-180, longitude__lte=180),
                name="place_longitude_in_range",
                violation_error_message=_("Longitude must be between -180 and 180."),
            ),
        ]

    def __str__(self) -> str:
        return self.name

    @property
    def names(self) -> list[str]:
        return [self.name, *(n.strip() for n in self.other_names.splitlines() if n.strip())]


class Organisation(Record):
    class Kind(models.TextChoices):
        NGO = "ngo", _("non-governmental organisation")
        MOVEMENT = "movement", _("movement or coalition")
        STATE_BODY = "state_body", _("state body")
        SECURITY_FORCE = "security_force", _("security force")
        COURT = "court", _("court")
        MEDIA = "media", _("media outlet")
        INTERNATIONAL = "international", _("international body")
        COMPANY = "company", _("company")
        OTHER = "other", _("other")

    name = models.CharField(_("name"), max_length=300)
    kind = models.CharField(_("kind"), max_length=14, choices=Kind.choices)
    country = models.ForeignKey(
        Place,
        verbose_name=_("country"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="organisations",
        limit_choices_to={"kind": Place.Kind.COUNTRY},
    )
    parent = models.ForeignKey(
        "self",
        verbose_name=_("part of"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="units",
    )
    other_names = models.TextField(_("other names"), blank=True)
    description = models.TextField(_("description"), blank=True)

    history = HistoricalRecords()

    objects = RecordQuerySet.as_manager()

    class Meta:
        ordering = ["name"]
        constraints = [publication_constraint("organisation")]

    def __str__(self) -> str:
        return self.name


class Source(Record):
    class Kind(models.TextChoices):
        MOTION = "motion_for_resolution", _("motion for a resolution")
        RESOLUTION = "resolution", _("adopted resolution")
        REPORT = "report", _("report")
        ARTICLE = "article", _("article")
        STATEMENT = "statement", _("statement")
        TESTIMONY = "testimony", _("testimony")
        COURT_RECORD = "court_record", _("court record")
        OTHER = "other", _("other")

    title = models.CharField(_("title"), max_length=500)
    kind = models.CharField(_("kind"), max_length=24, choices=Kind.choices)
    reference = models.CharField(
        _("reference"), max_length=100, blank=True, help_text=_("Document code, case number.")
    )
    publisher = models.ForeignKey(
        Organisation,
        verbose_name=_("publisher"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="sources",
    )
    issued_on, issued_precision = date_fields(_("dated"))
    date_as_written = models.CharField(
        _("date as written"),
        max_length=100,
        blank=True,
        help_text=_("Exactly as the source shows it."),
    )
    description = models.TextField(_("description"), blank=True)
    url = models.URLField(_("address"), max_length=500, blank=True)
    is_confidential = models.BooleanField(
        _("confidential"),
        default=False,
        help_text=_("A confidential source is never shown publicly, whatever its publication."),
    )
    full_text = models.TextField(_("full text"), blank=True)
    notes = models.TextField(_("private notes"), blank=True)

    history = HistoricalRecords()

    class SourceQuerySet(models.QuerySet):
        def public(self):
            return self.filter(publication=Publication.PUBLISHED, is_confidential=False)

    objects = SourceQuerySet.as_manager()

    class Meta:
        ordering = ["title"]
        constraints = [publication_constraint("source"), *date_constraints("issued", "source")]

    def __str__(self) -> str:
        return f"{self.reference}: {self.title}" if self.reference else self.title


# Persons


class Role(models.Model):
    """A tag for what a person is (journalist, defender, official): never how they are counted."""

    slug = models.SlugField(_("slug"), max_length=40, unique=True)
    name = models.CharField(_("name"), max_length=100)

    class Meta:
        ordering = ["name"]

    def __str__(self) -> str:
        # The seeded roles' names are msgids (casetracker/public/i18n_extra.py), so they read in
        # the reader's language; a role staff add shows as named until it is translated.
        return gettext(self.name)


class Status(models.TextChoices):
    """A person's situation of liberty and life. Legal stages belong to charges."""

    WHEREABOUTS_UNKNOWN = "whereabouts_unknown", _("whereabouts unknown")
    DETAINED = "detained", _("detained")
    ADMINISTRATIVE_ARREST = "administrative_arrest", _("administrative arrest")
    PRE_TRIAL_DETENTION = "pre_trial_detention", _("pre-trial detention")
    HOUSE_ARREST = "house_arrest", _("house arrest")
    RESTRICTED_LIBERTY = "restricted_liberty", _("restricted liberty")
    IMPRISONED = "imprisoned", _("imprisoned")
    RELEASED = "released", _("released")
    ABROAD = "abroad", _("at liberty abroad or in exile")
    KILLED = "killed", _("killed")
    DIED = "died", _("died")


# Statuses that count as deprivation of liberty in figures of detainees.
DEPRIVED_OF_LIBERTY = frozenset(
    {
        Status.DETAINED,
        Status.ADMINISTRATIVE_ARREST,
        Status.PRE_TRIAL_DETENTION,
        Status.HOUSE_ARREST,
        Status.IMPRISONED,
    }
)


class Consent(models.TextChoices):
    GIVEN = "given", _("given")
    WITHHELD = "withheld", _("withheld")
    UNKNOWN = "unknown", _("unknown")
    PUBLIC_SOURCE = "public_source", _("named in a public source")


class RiskLevel(models.TextChoices):
    LOW = "low", _("low")
    MEDIUM = "medium", _("medium")
    HIGH = "high", _("high")


# Consent and risk that allow a published person to be shown publicly.
PUBLISHABLE_CONSENT = (Consent.GIVEN, Consent.PUBLIC_SOURCE)
ACCEPTABLE_RISK = (RiskLevel.LOW, RiskLevel.MEDIUM)


def public_person_q(prefix: str = "") -> Q:
    """The one rule for a person being public, usable across a relation (`prefix="person__"`)."""
    return Q(
        **{
            f"{prefix}publication": Publication.PUBLISHED,
            f"{prefix}consent__in": PUBLISHABLE_CONSENT,
            f"{prefix}risk_level__in": ACCEPTABLE_RISK,
            f"{prefix}merged_into__isnull": True,
        }
    )


class PersonQuerySet(models.QuerySet):
    def public(self):
        return self.filter(public_person_q())

    def named(self):
        return self.filter(is_unnamed=False)


class Person(Record):
    class Gender(models.TextChoices):
        FEMALE = "female", _("female")
        MALE = "male", _("male")
        OTHER = "other", _("other")

    display_name = models.CharField(
        _("display name"),
        max_length=300,
        help_text=_("Given name first, as the register shows it. For an unnamed person, a label."),
    )
    is_unnamed = models.BooleanField(
        _("unnamed"),
        default=False,
        help_text=_("The source identifies this person without naming them."),
    )
    birth_year = models.PositiveSmallIntegerField(_("birth year"), null=True, blank=True)
    gender = models.CharField(_("gender"), max_length=6, choices=Gender.choices, blank=True)
    citizenship = models.ForeignKey(
        Place,
        verbose_name=_("citizenship"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="citizens",
        limit_choices_to={"kind": Place.Kind.COUNTRY},
    )
    occupation = models.CharField(_("occupation"), max_length=200, blank=True)
    roles = models.ManyToManyField(
        Role, verbose_name=_("roles"), blank=True, related_name="persons"
    )
    summary = models.TextField(_("public summary"), blank=True)
    private_notes = models.TextField(_("private notes"), blank=True)
    consent = models.CharField(
        _("consent to publication"),
        max_length=13,
        choices=Consent.choices,
        default=Consent.UNKNOWN,
    )
    risk_level = models.CharField(
        _("risk level"), max_length=6, choices=RiskLevel.choices, default=RiskLevel.MEDIUM
    )
    status_verified_on = models.DateField(_("status last verified on"), null=True, blank=True)
    merged_into = models.ForeignKey(
        "self",
        verbose_name=_("merged into"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="merged_persons",
        editable=False,
    )
    is_demo = models.BooleanField(_("demo data"), default=False, editable=False)

    # Derived from the timeline by `casetracker.cases.status.recompute_status`, and by nothing
    # else: staff see the latest of all entries, the public the latest published one.
    status = models.CharField(
        _("current status"), max_length=21, choices=Status.choices, blank=True, editable=False
    )
    latest_entry = models.ForeignKey(
        "StatusEntry",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
        editable=False,
    )
    public_status = models.CharField(
        _("current public status"),
        max_length=21,
        choices=Status.choices,
        blank=True,
        editable=False,
    )
    latest_public_entry = models.ForeignKey(
        "StatusEntry",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
        editable=False,
    )

    history = HistoricalRecords(
        excluded_fields=["status", "latest_entry", "public_status", "latest_public_entry"],
        m2m_fields=[roles],
    )

    objects = PersonQuerySet.as_manager()

    class Meta:
        verbose_name = _("person")
        verbose_name_plural = _("persons")
        ordering = ["display_name"]
        # Publishing, unpublishing and editing a published record of any kind are a publisher's
        # (DESIGN.md, "Publication and privacy"); one permission for all records.
        permissions = [
            ("publish_record", _("Can publish, unpublish and edit published records")),
        ]
        indexes = [
            # Public lists filtered by current status (casetracker.public person list, figures).
            models.Index(fields=["public_status", "display_name"], name="person_public_status"),
            # Staff changelist filtered by status, ordered by name (casetracker.cases.admin
            # PersonAdmin, list_filter "status"): walked in order, one page read.
            models.Index(fields=["status", "display_name"], name="person_status_name"),
            # The unfiltered public person list and the staff changelist, ordered by name
            # (casetracker.public.views.person_list, Meta.ordering): walked in order and
            # stopped after a page, instead of sorting every person (bench: 215 ms to 0.8 ms
            # at 100k persons, docs/performance.md).
            models.Index(fields=["display_name"], name="person_display_name"),
        ]
        constraints = [
            publication_constraint("person"),
            models.CheckConstraint(
                condition=Q(birth_year__isnull=True)
                | Q(birth_year__gte=1900, birth_year__lte=2100),
                name="person_birth_year_plausible",
                violation_error_message=_("A birth year must be between 1900 and 2100."),
            ),
            models.CheckConstraint(
                condition=~Q(publication=Publication.PUBLISHED)
                | Q(consent__in=PUBLISHABLE_CONSENT, risk_level__in=ACCEPTABLE_RISK),
                name="person_published_only_with_consent_and_acceptable_risk",
                violation_error_message=_(
                    "A person can be published only with consent given or named in a public "
                    "source, and a risk level that is not high."
                ),
            ),
        ]

    def __str__(self) -> str:
        return self.display_name

    def get_absolute_url(self) -> str:
        return reverse("public:person-detail", kwargs={"public_id": self.public_id})

    @property
    def is_public(self) -> bool:
        return (
            self.publication == Publication.PUBLISHED
            and self.consent in PUBLISHABLE_CONSENT
            and self.risk_level in ACCEPTABLE_RISK
            and self.merged_into_id is None
        )


class PersonName(Record):
    """Every form a person's name is written in, each searchable."""

    class Kind(models.TextChoices):
        AS_WRITTEN = "as_written", _("as written in a source")
        SURNAME_FIRST = "surname_first", _("surname first")
        TRANSLITERATION = "transliteration", _("other transliteration")
        NATIVE_SCRIPT = "native_script", _("native script")
        ALIAS = "alias", _("alias")
        FORMER = "former", _("former name")

    person = models.ForeignKey(
        Person, verbose_name=_("person"), on_delete=models.CASCADE, related_name="names"
    )
    name = models.CharField(_("name"), max_length=300)
    kind = models.CharField(_("kind"), max_length=15, choices=Kind.choices)

    history = HistoricalRecords()

    class NameQuerySet(models.QuerySet):
        def public(self):
            return self.filter(public_person_q("person__"), publication=Publication.PUBLISHED)

    objects = NameQuerySet.as_manager()

    class Meta:
        verbose_name = _("name")
        verbose_name_plural = _("names")
        ordering = ["person", "id"]
        constraints = [
            publication_constraint("personname"),
            models.UniqueConstraint(
                fields=["person", "name", "kind"],
                name="personname_unique_per_person",
                violation_error_message=_("This person already has this name."),
            ),
        ]

    def __str__(self) -> str:
        return self.name


class Relationship(Record):
    class Kind(models.TextChoices):
        CHILD_OF = "child_of", _("child of")
        PARENT_OF = "parent_of", _("parent of")
        SPOUSE_OF = "spouse_of", _("spouse of")
        RELATIVE_OF = "relative_of", _("relative of")
        RELATIVE_OR_COLLEAGUE_OF = "relative_or_colleague_of", _("relative or colleague of")
        COLLEAGUE_OF = "colleague_of", _("colleague of")
        FORMER_COLLEAGUE_OF = "former_colleague_of", _("former colleague of")

    person = models.ForeignKey(
        Person, verbose_name=_("person"), on_delete=models.CASCADE, related_name="relationships"
    )
    kind = models.CharField(_("is the"), max_length=24, choices=Kind.choices)
    other = models.ForeignKey(
        Person,
        verbose_name=_("of"),
        on_delete=models.CASCADE,
        related_name="inverse_relationships",
    )
    note = models.TextField(_("note"), blank=True)

    history = HistoricalRecords()

    class RelationshipQuerySet(models.QuerySet):
        def public(self):
            return self.filter(
                public_person_q("person__"),
                public_person_q("other__"),
                publication=Publication.PUBLISHED,
            )

    objects = RelationshipQuerySet.as_manager()

    class Meta:
        ordering = ["person", "id"]
        constraints = [
            publication_constraint("relationship"),
            models.CheckConstraint(
                condition=~Q(person=F("other")),
                name="relationship_between_two_persons",
                violation_error_message=_("A relationship links two different persons."),
            ),
        ]

    def __str__(self) -> str:
        return f"{self.person} – {self.get_kind_display()} – {self.other}"


class Affiliation(Record):
    person = models.ForeignKey(
        Person, verbose_name=_("person"), on_delete=models.CASCADE, related_name="affiliations"
    )
    organisation = models.ForeignKey(
        Organisation,
        verbose_name=_("organisation"),
        on_delete=models.PROTECT,
        related_name="affiliations",
    )
    position = models.CharField(_("position"), max_length=300, blank=True)
    started_on, started_precision = date_fields(_("from"))
    ended_on, ended_precision = date_fields(_("until"))

    history = HistoricalRecords()

    class AffiliationQuerySet(models.QuerySet):
        def public(self):
            return self.filter(
                public_person_q("person__"),
                publication=Publication.PUBLISHED,
                organisation__publication=Publication.PUBLISHED,
            )

    objects = AffiliationQuerySet.as_manager()

    class Meta:
        ordering = ["person", "id"]
        constraints = [
            publication_constraint("affiliation"),
            *date_constraints("started", "affiliation"),
            *date_constraints("ended", "affiliation"),
            models.CheckConstraint(
                condition=Q(ended_on__isnull=True)
                | Q(started_on__isnull=True)
                | Q(ended_on__gte=F("started_on")),
                name="affiliation_ends_after_it_starts",
                violation_error_message=_("An affiliation cannot end before it starts."),
            ),
        ]

    def __str__(self) -> str:
        return f"{self.person}: {self.position or '–'}, {self.organisation}"


# Incidents


class Incident(Record):
    class Kind(models.TextChoices):
        PROTEST = "protest", _("protest")
        CRACKDOWN = "crackdown", _("crackdown")
        KILLING = "killing", _("killing")
        SHOOTING = "shooting", _("shooting")
        MASS_ARREST = "mass_arrest", _("wave of arrests")
        ARREST = "arrest", _("arrest")
        TORTURE = "torture", _("torture or ill-treatment")
        PERSECUTION = "persecution", _("persecution")
        INTERNET_SHUTDOWN = "internet_shutdown", _("internet shutdown")
        STATE_OF_EMERGENCY = "state_of_emergency", _("state of emergency")
        MILITARY_DEPLOYMENT = "military_deployment", _("military deployment")
        ATTACK_ABROAD = "attack_abroad", _("attack abroad")
        RIOT = "riot", _("violent unrest")
        OFFICIAL_ACT = "official_act", _("official act")
        OTHER = "other", _("other")

    title = models.CharField(_("title"), max_length=300)
    kind = models.CharField(_("kind"), max_length=19, choices=Kind.choices)
    started_on, started_precision = date_fields(_("started"))
    ended_on, ended_precision = date_fields(_("ended"))
    places = models.ManyToManyField(
        Place, verbose_name=_("places"), blank=True, related_name="incidents"
    )
    description = models.TextField(_("description"), blank=True)
    parent = models.ForeignKey(
        "self",
        verbose_name=_("part of"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="sub_incidents",
    )
    private_notes = models.TextField(_("private notes"), blank=True)
    is_demo = models.BooleanField(_("demo data"), default=False, editable=False)

    history = HistoricalRecords(m2m_fields=[places])

    class IncidentQuerySet(models.QuerySet):
        def public(self):
            return self.filter(publication=Publication.PUBLISHED)

    objects = IncidentQuerySet.as_manager()

    class Meta:
        ordering = [F("started_on").asc(nulls_last=True), "title"]
        constraints = [
            publication_constraint("incident"),
            *date_constraints("started", "incident"),
            *date_constraints("ended", "incident"),
            models.CheckConstraint(
                condition=Q(ended_on__isnull=True)
                | Q(started_on__isnull=True)
                | Q(ended_on__gte=F("started_on")),
                name="incident_ends_after_it_starts",
                violation_error_message=_("An incident cannot end before it starts."),
            ),
            models.CheckConstraint(
                condition=Q(parent__isnull=True) | ~Q(parent=F("id")),
                name="incident_not_its_own_parent",
                violation_error_message=_("An incident cannot be part of itself."),
            ),
        ]

    def __str__(self) -> str:
        return self.title

    def get_absolute_url(self) -> str:
        return reverse("public:incident-detail", kwargs={"public_id": self.public_id})

    @property
    def dates_display(self) -> str:
        start = format_partial(self.started_on, self.started_precision)
        if self.ended_on and self.ended_on != self.started_on:
            return f"{start} – {format_partial(self.ended_on, self.ended_precision)}"
        return start


class Figure(Record):
    """A count the source gives, not a list of persons: "at least 164 died, as of 11 January"."""

    class Measure(models.TextChoices):
        ARRESTED = "arrested", _("arrested or detained")
        KILLED = "killed", _("killed or died")
        INJURED = "injured", _("injured")
        CRIMINAL_CASES = "criminal_cases", _("criminal cases opened")
        PERSECUTION_CASES = "persecution_cases", _("cases of political persecution")
        LOCALITIES = "localities", _("cities and localities")
        TROOPS = "troops", _("soldiers deployed")
        CLAIMED_ATTACKERS = "claimed_attackers", _("attackers claimed")
        OTHER = "other", _("other")

    class Qualifier(models.TextChoices):
        EXACTLY = "exactly", _("exactly")
        AT_LEAST = "at_least", _("at least")
        MORE_THAN = "more_than", _("more than")
        ABOUT = "about", _("about")

    incident = models.ForeignKey(
        Incident,
        verbose_name=_("incident"),
        on_delete=models.CASCADE,
        related_name="figures",
    )
    measure = models.CharField(_("measure"), max_length=17, choices=Measure.choices)
    qualifier = models.CharField(
        _("qualifier"), max_length=9, choices=Qualifier.choices, default=Qualifier.EXACTLY
    )
    value = models.PositiveIntegerField(_("value"))
    label = models.CharField(
        _("what is counted"), max_length=300, help_text=_("In the source's words.")
    )
    as_of_on, as_of_precision = date_fields(_("as of"))

    history = HistoricalRecords()

    class FigureQuerySet(models.QuerySet):
        def public(self):
            return self.filter(
                publication=Publication.PUBLISHED, incident__publication=Publication.PUBLISHED
            )

    objects = FigureQuerySet.as_manager()

    class Meta:
        ordering = ["incident", "measure", "id"]
        constraints = [publication_constraint("figure"), *date_constraints("as_of", "figure")]

    def __str__(self) -> str:
        return f"{self.get_qualifier_display()} {self.value} {self.label}"


class Involvement(Record):
    """A person in an incident: what happens to a person as an event is this, not a status."""

    class Role(models.TextChoices):
        VICTIM = "victim", _("victim")
        KILLED = "killed", _("killed")
        INJURED = "injured", _("injured")
        SHOT_AT = "shot_at", _("shot at")
        DETAINED = "detained", _("detained")
        TORTURED = "tortured", _("tortured or ill-treated")
        THREATENED = "threatened", _("threatened")
        PERSECUTED = "persecuted", _("persecuted")
        SURVEILLED = "surveilled", _("under surveillance")
        WITNESS = "witness", _("witness")
        PARTICIPANT = "participant", _("participant")
        PERPETRATOR = "perpetrator", _("perpetrator")
        RESPONSIBLE_OFFICIAL = "responsible_official", _("responsible official")
        COVERING_JOURNALIST = "covering_journalist", _("covering journalist")
        MONITOR = "monitor", _("monitor")

    person = models.ForeignKey(
        Person, verbose_name=_("person"), on_delete=models.CASCADE, related_name="involvements"
    )
    incident = models.ForeignKey(
        Incident, verbose_name=_("incident"), on_delete=models.CASCADE, related_name="involvements"
    )
    role = models.CharField(_("role"), max_length=20, choices=Role.choices)
    occurred_on, occurred_precision = date_fields(_("date"))
    perpetrator = models.ForeignKey(
        Organisation,
        verbose_name=_("by"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="involvements",
        help_text=_("The force or body the source holds responsible, if it names one."),
    )
    description = models.TextField(_("description"), blank=True)

    history = HistoricalRecords()

    class InvolvementQuerySet(models.QuerySet):
        def public(self):
            return self.filter(
                public_person_q("person__"),
                publication=Publication.PUBLISHED,
                incident__publication=Publication.PUBLISHED,
            )

    objects = InvolvementQuerySet.as_manager()

    class Meta:
        ordering = ["incident", "role", "id"]
        constraints = [
            publication_constraint("involvement"),
            *date_constraints("occurred", "involvement"),
        ]

    def __str__(self) -> str:
        return f"{self.person} – {self.get_role_display()} – {self.incident}"


# A person's liberty: detentions, charges and the status timeline


class PersonFactQuerySet(models.QuerySet):
    def public(self):
        return self.filter(public_person_q("person__"), publication=Publication.PUBLISHED)


class Detention(Record):
    """One period of deprivation of liberty."""

    class Kind(models.TextChoices):
        POLICE_CUSTODY = "police_custody", _("police custody")
        ADMINISTRATIVE_ARREST = "administrative_arrest", _("administrative arrest")
        PRE_TRIAL_DETENTION = "pre_trial_detention", _("pre-trial detention")
        HOUSE_ARREST = "house_arrest", _("house arrest")
        IMPRISONMENT = "imprisonment", _("imprisonment")
        RESTRICTION_OF_LIBERTY = "restriction_of_liberty", _("restriction of liberty")
        UNKNOWN = "unknown", _("kind unknown")

    class Whereabouts(models.TextChoices):
        KNOWN = "known", _("known")
        UNKNOWN = "unknown", _("unknown")
        NOT_REPORTED = "not_reported", _("not reported")

    person = models.ForeignKey(
        Person, verbose_name=_("person"), on_delete=models.CASCADE, related_name="detentions"
    )
    kind = models.CharField(_("kind"), max_length=22, choices=Kind.choices)
    started_on, started_precision = date_fields(_("started"))
    ended_on, ended_precision = date_fields(_("ended"))
    place = models.ForeignKey(
        Place,
        verbose_name=_("place"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="detentions",
    )
    facility = models.ForeignKey(
        Place,
        verbose_name=_("facility"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="facility_detentions",
        limit_choices_to={"kind": Place.Kind.FACILITY},
    )
    authority = models.ForeignKey(
        Organisation,
        verbose_name=_("detaining authority"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="detentions",
    )
    is_incommunicado = models.BooleanField(_("incommunicado"), default=False)
    has_torture_alleged = models.BooleanField(_("torture or ill-treatment alleged"), default=False)
    has_lawyer_denied = models.BooleanField(_("lawyer denied"), default=False)
    has_health_concerns = models.BooleanField(_("health concerns"), default=False)
    whereabouts = models.CharField(
        _("whereabouts"),
        max_length=12,
        choices=Whereabouts.choices,
        default=Whereabouts.NOT_REPORTED,
    )
    note = models.TextField(_("note"), blank=True)

    history = HistoricalRecords()

    objects = PersonFactQuerySet.as_manager()

    class Meta:
        ordering = ["person", F("started_on").asc(nulls_last=True), "id"]
        constraints = [
            publication_constraint("detention"),
            *date_constraints("started", "detention"),
            *date_constraints("ended", "detention"),
            models.CheckConstraint(
                condition=Q(ended_on__isnull=True)
                | Q(started_on__isnull=True)
                | Q(ended_on__gte=F("started_on")),
                name="detention_ends_after_it_starts",
                violation_error_message=_("A detention cannot end before it starts."),
            ),
        ]

    def __str__(self) -> str:
        return f"{self.person}: {self.get_kind_display()}"

    @property
    def is_ongoing(self) -> bool:
        return self.ended_on is None


class Charge(Record):
    class Stage(models.TextChoices):
        INVESTIGATION = "investigation", _("under investigation")
        TRIAL = "trial", _("on trial")
        CONVICTED = "convicted", _("convicted")
        ACQUITTED = "acquitted", _("acquitted")
        DROPPED = "dropped", _("dropped")
        AMNESTIED = "amnestied", _("amnestied")

    person = models.ForeignKey(
        Person, verbose_name=_("person"), on_delete=models.CASCADE, related_name="charges"
    )
    detention = models.ForeignKey(
        Detention,
        verbose_name=_("detention"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="charges",
    )
    legal_basis = models.CharField(
        _("legal basis"),
        max_length=200,
        blank=True,
        help_text=_("Code and article, e.g. Criminal Code, art. 272."),
    )
    wording = models.TextField(_("charge as reported"), blank=True)
    is_politically_motivated = models.BooleanField(
        _("reported as politically motivated"), default=False
    )
    stage = models.CharField(_("stage"), max_length=13, choices=Stage.choices)
    filed_on, filed_precision = date_fields(_("brought"))
    stage_on, stage_precision = date_fields(_("stage reached"))
    sentence = models.CharField(_("sentence"), max_length=300, blank=True)

    history = HistoricalRecords()

    objects = PersonFactQuerySet.as_manager()

    class Meta:
        ordering = ["person", F("filed_on").asc(nulls_last=True), "id"]
        # The public lists' "charge article" filter matches any part of the article
        # (casetracker.public.filters, filter_charge: legal_basis__icontains), which no b-tree
        # serves. On PostgreSQL a trigram index on UPPER(legal_basis), made by migration 0005,
        # does, and gives the planner each article's frequency (list by charge at 100k persons:
        # 90 to 5 ms, docs/performance.md).
        constraints = [
            publication_constraint("charge"),
            *date_constraints("filed", "charge"),
            *date_constraints("stage", "charge"),
            models.CheckConstraint(
                condition=Q(legal_basis__gt="") | Q(wording__gt=""),
                name="charge_has_basis_or_wording",
                violation_error_message=_("A charge needs its legal basis or its wording."),
            ),
            models.CheckConstraint(
                condition=Q(sentence="") | Q(stage="convicted"),
                name="charge_sentence_only_when_convicted",
                violation_error_message=_("Only a conviction carries a sentence."),
            ),
        ]

    def __str__(self) -> str:
        return f"{self.person}: {self.legal_basis or self.wording[:60]}"


class StatusEntry(Record):
    """One dated entry of a person's situation: the only source of their current status.

    Entries are dated by the event ("began") or, where the source only says the status holds, by
    the source ("as reported"). `position` orders a person's timeline and is written only by
    `casetracker.cases.status.recompute_status`.
    """

    person = models.ForeignKey(
        Person, verbose_name=_("person"), on_delete=models.CASCADE, related_name="status_entries"
    )
    status = models.CharField(_("status"), max_length=21, choices=Status.choices)
    occurred_on, occurred_precision = date_fields(_("date"))
    date_kind = models.CharField(
        _("the date is"), max_length=11, choices=DateKind.choices, default=DateKind.BEGAN
    )
    # The last day of the date's period: an entry is in effect "as of D" once this is <= D.
    occurred_by = models.DateField(null=True, blank=True, editable=False)
    note = models.TextField(_("note"), blank=True)
    detention = models.ForeignKey(
        Detention,
        verbose_name=_("detention"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="status_entries",
        help_text=_("The detention this turn opens or closes, if any."),
    )
    charge = models.ForeignKey(
        Charge,
        verbose_name=_("charge"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="status_entries",
        help_text=_("The charge this turn moves, if any."),
    )
    position = models.PositiveIntegerField(default=0, editable=False)
    is_demo = models.BooleanField(_("demo data"), default=False, editable=False)

    history = HistoricalRecords(excluded_fields=["position", "occurred_by"])

    objects = PersonFactQuerySet.as_manager()

    class Meta:
        verbose_name = _("status entry")
        verbose_name_plural = _("status timeline")
        ordering = ["person", "position", "id"]
        indexes = [
            # "As of D" figures: the latest entry per person dated by D.
            models.Index(fields=["person", "occurred_by", "position"], name="statusentry_as_of"),
            # Feeds and events over time: entries by date.
            models.Index(fields=["occurred_on"], name="statusentry_occurred"),
        ]
        constraints = [
            publication_constraint("statusentry"),
            *date_constraints("occurred", "statusentry"),
            models.CheckConstraint(
                condition=Q(date_kind=DateKind.BEGAN) | Q(occurred_on__isnull=False),
                name="statusentry_as_reported_has_date",
                violation_error_message=_("An entry dated as reported needs the report's date."),
            ),
        ]

    def __str__(self) -> str:
        return f"{self.person}: {self.get_status_display()} ({self.date_display})"

    def save(self, *args, **kwargs):
        # A pure derivation of this row's own date; no other record is touched here.
        self.occurred_by = period_end(self.occurred_on, self.occurred_precision)
        if kwargs.get("update_fields") is not None:
            kwargs["update_fields"] = {*kwargs["update_fields"], "occurred_by"}
        super().save(*args, **kwargs)

    @property
    def date_display(self) -> str:
        return format_partial(self.occurred_on, self.occurred_precision)


class Intervention(Record):
    """An appeal or action about a person or an incident."""

    class Kind(models.TextChoices):
        RELEASE_CALL = "release_call", _("call for release")
        SANCTIONS_PROPOSAL = "sanctions_proposal", _("proposal of targeted sanctions")
        INVESTIGATION_CALL = "investigation_call", _("call for investigation")
        FACT_FINDING_CALL = "fact_finding_call", _("call for a fact-finding mission")
        URGENT_APPEAL = "urgent_appeal", _("urgent appeal")
        STATEMENT = "statement", _("statement")
        OTHER = "other", _("other")

    kind = models.CharField(_("kind"), max_length=18, choices=Kind.choices)
    person = models.ForeignKey(
        Person,
        verbose_name=_("person"),
        null=True,
        blank=True,
        on_delete=models.CASCADE,
        related_name="interventions",
    )
    incident = models.ForeignKey(
        Incident,
        verbose_name=_("incident"),
        null=True,
        blank=True,
        on_delete=models.CASCADE,
        related_name="interventions",
    )
    by = models.ForeignKey(
        Organisation,
        verbose_name=_("by"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="interventions",
    )
    description = models.TextField(
        _("description"),
        help_text=_('As the record states it, e.g. "named for release in motion B9-0072/2022".'),
    )
    made_on, made_precision = date_fields(_("date"))

    history = HistoricalRecords()

    class InterventionQuerySet(models.QuerySet):
        def public(self):
            return self.filter(
                Q(person__isnull=True) | public_person_q("person__"),
                Q(incident__isnull=True) | Q(incident__publication=Publication.PUBLISHED),
                publication=Publication.PUBLISHED,
            )

    objects = InterventionQuerySet.as_manager()

    class Meta:
        ordering = ["kind", "id"]
        constraints = [
            publication_constraint("intervention"),
            *date_constraints("made", "intervention"),
            models.CheckConstraint(
                condition=Q(person__isnull=False) | Q(incident__isnull=False),
                name="intervention_concerns_person_or_incident",
                violation_error_message=_("An intervention concerns a person or an incident."),
            ),
        ]

    def __str__(self) -> str:
        return self.description[:80]


# Citations: what ties each fact to its source

# The facts a citation can back, as (field name, model); exactly one is set on each citation.
CITED_MODELS: list[tuple[str, str]] = [
    ("person", "Person"),
    ("name", "PersonName"),
    ("relationship", "Relationship"),
    ("affiliation", "Affiliation"),
    ("incident", "Incident"),
    ("figure", "Figure"),
    ("involvement", "Involvement"),
    ("detention", "Detention"),
    ("charge", "Charge"),
    ("status_entry", "StatusEntry"),
    ("intervention", "Intervention"),
]


def _exactly_one_target() -> Q:
    condition = Q()
    for field, _model in CITED_MODELS:
        others = {f"{other}__isnull": True for other, _m in CITED_MODELS if other != field}
        condition |= Q(**{f"{field}__isnull": False}, **others)
    return condition


class Citation(Record):
    """One fact tied to one source, with where in it, its words, and how firmly it says so."""

    source = models.ForeignKey(
        Source, verbose_name=_("source"), on_delete=models.PROTECT, related_name="citations"
    )
    locator = models.CharField(
        _("locator"), max_length=100, blank=True, help_text=_('"recital 4", "para 12", "p. 7".')
    )
    quote = models.TextField(_("quoted words"), blank=True)
    confidence = models.CharField(
        _("confidence"), max_length=12, choices=Confidence.choices, default=Confidence.REPORTED
    )
    claimed_by = models.CharField(
        _("claimed by"),
        max_length=300,
        blank=True,
        help_text=_("Where the source reports someone else's claim: whose it is."),
    )

    person = models.ForeignKey(
        Person, null=True, blank=True, on_delete=models.CASCADE, related_name="citations"
    )
    name = models.ForeignKey(
        PersonName, null=True, blank=True, on_delete=models.CASCADE, related_name="citations"
    )
    relationship = models.ForeignKey(
        Relationship, null=True, blank=True, on_delete=models.CASCADE, related_name="citations"
    )
    affiliation = models.ForeignKey(
        Affiliation, null=True, blank=True, on_delete=models.CASCADE, related_name="citations"
    )
    incident = models.ForeignKey(
        Incident, null=True, blank=True, on_delete=models.CASCADE, related_name="citations"
    )
    figure = models.ForeignKey(
        Figure, null=True, blank=True, on_delete=models.CASCADE, related_name="citations"
    )
    involvement = models.ForeignKey(
        Involvement, null=True, blank=True, on_delete=models.CASCADE, related_name="citations"
    )
    detention = models.ForeignKey(
        Detention, null=True, blank=True, on_delete=models.CASCADE, related_name="citations"
    )
    charge = models.ForeignKey(
        Charge, null=True, blank=True, on_delete=models.CASCADE, related_name="citations"
    )
    status_entry = models.ForeignKey(
        StatusEntry, null=True, blank=True, on_delete=models.CASCADE, related_name="citations"
    )
    intervention = models.ForeignKey(
        Intervention, null=True, blank=True, on_delete=models.CASCADE, related_name="citations"
    )

    history = HistoricalRecords()

    class CitationQuerySet(models.QuerySet):
        def public(self):
            """Published citations of public sources. The cited fact's own rule applies on top."""
            return self.filter(
                publication=Publication.PUBLISHED,
                source__publication=Publication.PUBLISHED,
                source__is_confidential=False,
            )

    objects = CitationQuerySet.as_manager()

    class Meta:
        ordering = ["id"]
        constraints = [
            publication_constraint("citation"),
            models.CheckConstraint(
                condition=_exactly_one_target(),
                name="citation_backs_exactly_one_fact",
                violation_error_message=_("A citation backs exactly one fact."),
            ),
        ]

    def __str__(self) -> str:
        return f"{self.source.reference or self.source.title}, {self.locator}".rstrip(", ")

    @property
    def target(self) -> models.Model | None:
        for field, _model in CITED_MODELS:
            if getattr(self, f"{field}_id") is not None:
                return getattr(self, field)
        return None

    def clean(self) -> None:
        super().clean()
        targets = [f for f, _m in CITED_MODELS if getattr(self, f"{f}_id") is not None]
        if len(targets) > 1:
            raise ValidationError(_("A citation backs exactly one fact."))
