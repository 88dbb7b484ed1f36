"""The field lists of the exports: one per kind of record, shared by every format and path.

Each column has a name (a fixed English slug: files import back whatever the request language),
a Python accessor reading a row fetched with `Kind.prefetch`, and an SQL source (a Django
expression on the export's queryset) that the PostgreSQL COPY path compiles. Both sides render a
cell the same way: empty for none, `true`/`false`, ISO dates, lists joined by "; ", and the same
formula escaping. `tests/test_exports_copy.py` proves the two paths give identical rows.

Public exports read only the fields `casetracker.cases.public.PUBLIC_FIELDS` lists; each column
says what it reads and a test holds it to that.
"""

import datetime
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from django.contrib.postgres.aggregates import StringAgg
from django.db import models
from django.db.models import Case, F, OuterRef, Prefetch, Subquery, Value, When
from django.db.models.functions import Coalesce, Concat, NullIf
from django.urls import reverse
from django.utils import translation
from django_filters import FilterSet

from casetracker.cases import models as m
from casetracker.public.filters import (
    ChargeFilter,
    DetentionFilter,
    IncidentFilter,
    PersonFilter,
    StatusEntryFilter,
)

# OWASP ASVS 5.0 1.2.10: a spreadsheet runs a cell starting with one of these as a formula.
FORMULA_TRIGGERS = ("=", "+", "-", "@", "\t", "\r", "\0")
LIST_SEPARATOR = "; "


def _needs_escape(value: str) -> bool:
    # Leading quotes are skipped so that a value already starting with ' plus a trigger is
    # escaped too: that keeps escape_formula injective and unescape_formula its exact inverse.
    return value.lstrip("'")[:1] in FORMULA_TRIGGERS


def escape_formula(value: str) -> str:
    """A cell a spreadsheet shows as text: a leading ' before a formula trigger."""
    return "'" + value if _needs_escape(value) else value


def unescape_formula(value: str) -> str:
    """The exact inverse of `escape_formula`, for the importer."""
    if value.startswith("'") and _needs_escape(value[1:]):
        return value[1:]
    return value


def to_text(value: Any) -> str:
    """A value as a CSV cell shows it, before escaping; the SQL twin is `SqlCell`."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, datetime.date):
        return value.isoformat()
    if isinstance(value, Decimal):
        return format(value, "f")  # never "1E-5", as PostgreSQL's numeric::text never is
    if isinstance(value, list | tuple):
        return LIST_SEPARATOR.join(str(v) for v in value)
    return str(value)


def to_cell(value: Any) -> str:
    return escape_formula(to_text(value))


class SqlCell(models.Func):
    """A column's SQL as the text of its CSV cell, escaped exactly like `to_cell`.

    PostgreSQL text cannot hold NUL, so the SQL list of triggers leaves it out.
    """

    output_field = models.TextField()

    def __init__(self, expression, kind: str):
        super().__init__(expression)
        self.kind = kind

    def as_sql(self, compiler, connection, **extra_context):
        sql, params = compiler.compile(self.source_expressions[0])
        text = {
            "date": f"COALESCE(TO_CHAR({sql}, 'YYYY-MM-DD'), '')",
            "bool": f"(CASE WHEN {sql} THEN 'true' WHEN NOT {sql} THEN 'false' ELSE '' END)",
        }.get(self.kind, f"COALESCE(({sql})::text, '')")
        uses = text.count(sql)
        escaped = (
            f"(CASE WHEN LEFT(LTRIM({text}, ''''), 1) IN ('=', '+', '-', '@', CHR(9), CHR(13)) "
            f"THEN '''' || {text} ELSE {text} END)"
        )
        return escaped, tuple(params) * (uses * 3)


@dataclass(frozen=True)
class Column:
    name: str
    get: Callable[[models.Model], Any]
    sql: Any  # a Django expression on the export's queryset
    kind: str = "text"  # text, int, bool or date: how a cell shows it
    reads: tuple[tuple[type[models.Model], str], ...] = field(default=(), compare=False)


def _follow(obj: Any, path: str) -> Any:
    for part in path.split("__"):
        if obj is None:
            return None
        obj = getattr(obj, part)
    return obj


def _reads(model: type[models.Model], path: str) -> tuple[tuple[type[models.Model], str], ...]:
    """The (model, field) pairs a lookup path reads, hop by hop."""
    reads = []
    for part in path.split("__"):
        reads.append((model, part))
        related = model._meta.get_field(part).related_model
        if related is not None:
            model = related
    return tuple(reads)


def plain(model, name: str, path: str | None = None, kind: str = "text") -> Column:
    path = path or name
    return Column(name, lambda obj: _follow(obj, path), F(path), kind, _reads(model, path))


def ref(model, name: str, path: str, staff: bool) -> Column:
    """The public id of a related record, when that record is public (or for staff)."""

    def get(obj):
        target = _follow(obj, path)
        if target is None or not (staff or target.publication == m.Publication.PUBLISHED):
            return None
        return target.public_id

    sql = F(f"{path}__public_id")
    if not staff:
        sql = Case(When(**{f"{path}__publication": m.Publication.PUBLISHED}, then=sql))
    return Column(name, get, sql, "text", (*_reads(model, path), (model, "public_id")))


def joined(name: str, attr: str, value: Callable[[Any], str], agg: Subquery, reads) -> Column:
    """Values of prefetched related rows (in id order), "; "-joined; `agg` is its SQL twin."""
    return Column(
        name,
        lambda obj: LIST_SEPARATOR.join(value(r) for r in getattr(obj, attr)),
        agg,
        "text",
        tuple(reads),
    )


def aggregate(queryset: models.QuerySet, outer: str, value, *, distinct: bool = False):
    """ "; "-joined `value` of the rows of `queryset` whose `outer` is the current row."""
    order = value if distinct else "id"
    return Subquery(
        queryset.filter(**{outer: OuterRef("pk")})
        .order_by()
        .values(outer)
        .annotate(joined=StringAgg(value, LIST_SEPARATOR, distinct=distinct, order_by=order))
        .values("joined")
    )


def scoped(manager, staff: bool) -> models.QuerySet:
    return manager.all() if staff else manager.public()


# Sources: the citations of each row, with their locators and confidence.


def citation_label(citation: m.Citation) -> str:
    locator = f" {citation.locator}" if citation.locator else ""
    return f"{citation.source.reference or citation.source.title}{locator} ({citation.confidence})"


CITATION_LABEL_SQL = Concat(
    Coalesce(NullIf("source__reference", Value("")), "source__title"),
    Case(When(locator="", then=Value("")), default=Concat(Value(" "), "locator")),
    Value(" ("),
    "confidence",
    Value(")"),
    output_field=models.TextField(),
)
CITATION_READS = (
    (m.Citation, "source"),
    (m.Citation, "locator"),
    (m.Citation, "confidence"),
    (m.Source, "reference"),
    (m.Source, "title"),
)


def citations_prefetch(staff: bool) -> Prefetch:
    queryset = scoped(m.Citation.objects, staff).select_related("source").order_by("id")
    return Prefetch("citations", queryset=queryset, to_attr="export_citations")


def sources(outer: str, staff: bool) -> Column:
    return joined(
        "sources",
        "export_citations",
        citation_label,
        aggregate(scoped(m.Citation.objects, staff), outer, CITATION_LABEL_SQL),
        CITATION_READS,
    )


# Addresses: the same path from get_absolute_url() and from SQL, always under /en/.


def _url_parts(viewname: str) -> tuple[str, str]:
    marker = "PUBLICID"
    with translation.override("en"):
        path = reverse(viewname, kwargs={"public_id": marker})
    prefix, suffix = path.split(marker)
    return prefix, suffix


def url_column(name: str, viewname: str, owner: str, base_url: str, fragment: bool) -> Column:
    """The absolute address of the page showing the row (its own, or its `owner`'s, with
    `#<the row's public id>`)."""
    prefix, suffix = _url_parts(viewname)
    id_path = f"{owner}__public_id" if owner else "public_id"

    def get(obj):
        # get_absolute_url() under /en/, from the same reverse() as the SQL below: activating a
        # language per row would cost more than the rest of the row.
        url = f"{base_url}{prefix}{_follow(obj, id_path)}{suffix}"
        return f"{url}#{obj.public_id}" if fragment else url

    parts = [Value(base_url + prefix), F(id_path), Value(suffix)]
    if fragment:
        parts += [Value("#"), F("public_id")]
    return Column(name, get, Concat(*parts, output_field=models.TextField()))


def status_columns(model, person: str, staff: bool) -> list[Column]:
    """The person's current status, its date and the date's kind: public, or for staff all."""
    status, entry = (
        ("status", "latest_entry") if staff else ("public_status", "latest_public_entry")
    )
    names = ("status", "status_on", "status_precision", "status_date_kind", "status_entry_id")
    if person:
        names = tuple(f"person_{n}" for n in names)
    return [
        plain(model, names[0], f"{person}{status}"),
        plain(model, names[1], f"{person}{entry}__occurred_on", "date"),
        plain(model, names[2], f"{person}{entry}__occurred_precision"),
        plain(model, names[3], f"{person}{entry}__date_kind"),
        plain(model, names[4], f"{person}{entry}__public_id"),
    ]


def staff_columns(model, staff: bool, *names: str) -> list[Column]:
    return [plain(model, n) for n in ("publication", *names)] if staff else []


# The five exports


def person_columns(staff: bool, base_url: str) -> list[Column]:
    P = m.Person
    names = scoped(m.PersonName.objects, staff)
    involvements = scoped(m.Involvement.objects, staff)
    return [
        plain(P, "public_id"),
        url_column("url", "public:person-detail", "", base_url, fragment=False),
        plain(P, "display_name"),
        plain(P, "is_unnamed", kind="bool"),
        joined(
            "other_names",
            "export_names",
            lambda n: n.name,
            aggregate(names, "person", F("name")),
            [(m.PersonName, "person"), (m.PersonName, "name")],
        ),
        plain(P, "birth_year", kind="int"),
        plain(P, "gender"),
        ref(P, "citizenship_id", "citizenship", staff),
        plain(P, "occupation"),
        joined(
            "roles",
            "export_roles",
            lambda r: r.slug,
            aggregate(m.Role.objects.all(), "persons", F("slug")),
            [(P, "roles")],
        ),
        plain(P, "summary"),
        *status_columns(P, "", staff),
        plain(P, "status_verified_on", kind="date"),
        plain(P, "is_demo", kind="bool"),
        Column(
            "incident_ids",
            lambda p: LIST_SEPARATOR.join(
                sorted({i.incident.public_id for i in p.export_involvements})
            ),
            aggregate(involvements, "person", F("incident__public_id"), distinct=True),
            "text",
            ((m.Involvement, "person"), (m.Involvement, "incident"), (m.Incident, "public_id")),
        ),
        joined(
            "detention_ids",
            "export_detentions",
            lambda d: d.public_id,
            aggregate(scoped(m.Detention.objects, staff), "person", F("public_id"), distinct=True),
            [(m.Detention, "person"), (m.Detention, "public_id")],
        ),
        joined(
            "charge_ids",
            "export_charges",
            lambda c: c.public_id,
            aggregate(scoped(m.Charge.objects, staff), "person", F("public_id"), distinct=True),
            [(m.Charge, "person"), (m.Charge, "public_id")],
        ),
        sources("person", staff),
        *staff_columns(P, staff, "consent", "risk_level", "private_notes"),
        # Added for whole-register round trips: a merged-away person comes back merged.
        *([ref(P, "merged_into_id", "merged_into", staff)] if staff else []),
    ]


def person_prefetch(queryset: models.QuerySet, staff: bool) -> models.QuerySet:
    entry = "latest_entry" if staff else "latest_public_entry"
    related = ("citizenship", entry, *(("merged_into",) if staff else ()))
    return queryset.select_related(*related).prefetch_related(
        Prefetch("names", scoped(m.PersonName.objects, staff).order_by("id"), "export_names"),
        Prefetch("roles", m.Role.objects.order_by("id"), "export_roles"),
        Prefetch(
            "involvements",
            scoped(m.Involvement.objects, staff).select_related("incident").order_by("id"),
            "export_involvements",
        ),
        # Sorted by public id, like incident ids: an order an import into another register
        # gives back (the order recorded would differ there).
        Prefetch(
            "detentions",
            scoped(m.Detention.objects, staff).order_by("public_id"),
            "export_detentions",
        ),
        Prefetch(
            "charges", scoped(m.Charge.objects, staff).order_by("public_id"), "export_charges"
        ),
        citations_prefetch(staff),
    )


def person_fact_columns(model, staff: bool, base_url: str) -> list[Column]:
    """What every detention, charge and timeline row starts with: itself and its person."""
    return [
        plain(model, "public_id"),
        url_column("url", "public:person-detail", "person", base_url, fragment=True),
        plain(model, "person_id", "person__public_id"),
        plain(model, "person_name", "person__display_name"),
        *status_columns(model, "person__", staff),
    ]


def fact_prefetch(queryset, staff: bool, *related: str) -> models.QuerySet:
    entry = "latest_entry" if staff else "latest_public_entry"
    return queryset.select_related(f"person__{entry}", *related).prefetch_related(
        citations_prefetch(staff)
    )


def detention_columns(staff: bool, base_url: str) -> list[Column]:
    D = m.Detention
    return [
        *person_fact_columns(D, staff, base_url),
        plain(D, "kind"),
        plain(D, "started_on", kind="date"),
        plain(D, "started_precision"),
        plain(D, "ended_on", kind="date"),
        plain(D, "ended_precision"),
        ref(D, "place_id", "place", staff),
        ref(D, "facility_id", "facility", staff),
        ref(D, "authority_id", "authority", staff),
        plain(D, "is_incommunicado", kind="bool"),
        plain(D, "has_torture_alleged", kind="bool"),
        plain(D, "has_lawyer_denied", kind="bool"),
        plain(D, "has_health_concerns", kind="bool"),
        plain(D, "whereabouts"),
        plain(D, "note"),
        joined(
            "charge_ids",
            "export_charges",
            lambda c: c.public_id,
            aggregate(scoped(m.Charge.objects, staff), "detention", F("public_id"), distinct=True),
            [(m.Charge, "detention"), (m.Charge, "public_id")],
        ),
        sources("detention", staff),
        *staff_columns(D, staff),
    ]


def detention_prefetch(queryset, staff: bool):
    charges = Prefetch(
        "charges", scoped(m.Charge.objects, staff).order_by("public_id"), "export_charges"
    )
    return fact_prefetch(queryset, staff, "place", "facility", "authority").prefetch_related(
        charges
    )


def charge_columns(staff: bool, base_url: str) -> list[Column]:
    C = m.Charge
    return [
        *person_fact_columns(C, staff, base_url),
        ref(C, "detention_id", "detention", staff),
        plain(C, "legal_basis"),
        plain(C, "wording"),
        plain(C, "is_politically_motivated", kind="bool"),
        plain(C, "stage"),
        plain(C, "filed_on", kind="date"),
        plain(C, "filed_precision"),
        plain(C, "stage_on", kind="date"),
        plain(C, "stage_precision"),
        plain(C, "sentence"),
        sources("charge", staff),
        *staff_columns(C, staff),
    ]


def timeline_columns(staff: bool, base_url: str) -> list[Column]:
    S = m.StatusEntry
    return [
        *person_fact_columns(S, staff, base_url),
        plain(S, "status"),
        plain(S, "occurred_on", kind="date"),
        plain(S, "occurred_precision"),
        plain(S, "date_kind"),
        plain(S, "note"),
        ref(S, "detention_id", "detention", staff),
        ref(S, "charge_id", "charge", staff),
        sources("status_entry", staff),
        *staff_columns(S, staff),
        *([plain(S, "is_demo", kind="bool")] if staff else []),
    ]


def incident_columns(staff: bool, base_url: str) -> list[Column]:
    I = m.Incident  # noqa: E741
    places = m.Place.objects.all() if staff else m.Place.objects.public()
    involvements = scoped(m.Involvement.objects, staff)
    return [
        plain(I, "public_id"),
        url_column("url", "public:incident-detail", "", base_url, fragment=False),
        plain(I, "title"),
        plain(I, "kind"),
        plain(I, "started_on", kind="date"),
        plain(I, "started_precision"),
        plain(I, "ended_on", kind="date"),
        plain(I, "ended_precision"),
        joined(
            "place_ids",
            "export_places",
            lambda p: p.public_id,
            aggregate(places, "incidents", F("public_id")),
            [(I, "places")],
        ),
        ref(I, "parent_id", "parent", staff),
        plain(I, "description"),
        plain(I, "is_demo", kind="bool"),
        Column(
            "person_ids",
            lambda i: LIST_SEPARATOR.join(
                sorted({v.person.public_id for v in i.export_involvements})
            ),
            aggregate(involvements, "incident", F("person__public_id"), distinct=True),
            "text",
            ((m.Involvement, "person"), (m.Involvement, "incident"), (m.Person, "public_id")),
        ),
        sources("incident", staff),
        *staff_columns(I, staff, "private_notes"),
    ]


def incident_prefetch(queryset, staff: bool):
    places = m.Place.objects.all() if staff else m.Place.objects.public()
    return queryset.select_related("parent").prefetch_related(
        Prefetch("places", places.order_by("id"), "export_places"),
        Prefetch(
            "involvements",
            scoped(m.Involvement.objects, staff).select_related("person").order_by("id"),
            "export_involvements",
        ),
        citations_prefetch(staff),
    )


# The rest of the register, for staff only. With these, every record the staff exports write can
# be imported back into an empty register (README, "Imports"); none has a public export.


class WholeTableFilter(FilterSet):
    """Staff-only kinds take no filters: their export is the whole table."""


def staff_only(build: Callable[[], list[Column]]) -> Callable[[bool, str], list[Column]]:
    """The columns for staff, and none at all for the public, whatever asks."""

    def columns(staff: bool, base_url: str) -> list[Column]:
        return build() if staff else []

    return columns


def related(*paths: str) -> Callable[[models.QuerySet, bool], models.QuerySet]:
    """The prefetch of a staff-only kind: the records its reference columns name, joined."""
    return lambda queryset, staff: queryset.select_related(*paths)


def staff_ref(model, name: str, path: str) -> Column:
    return ref(model, name, path, staff=True)


def role_columns() -> list[Column]:
    return [plain(m.Role, "slug"), plain(m.Role, "name")]


def place_columns() -> list[Column]:
    P = m.Place
    return [
        plain(P, "public_id"),
        plain(P, "name"),
        plain(P, "kind"),
        staff_ref(P, "parent_id", "parent"),
        plain(P, "other_names"),
        plain(P, "latitude"),
        plain(P, "longitude"),
        plain(P, "postal_address"),
        plain(P, "has_public_address", kind="bool"),
        plain(P, "publication"),
    ]


def organisation_columns() -> list[Column]:
    O = m.Organisation  # noqa: E741
    return [
        plain(O, "public_id"),
        plain(O, "name"),
        plain(O, "kind"),
        staff_ref(O, "country_id", "country"),
        staff_ref(O, "parent_id", "parent"),
        plain(O, "other_names"),
        plain(O, "description"),
        plain(O, "publication"),
    ]


def source_columns() -> list[Column]:
    S = m.Source
    return [
        plain(S, "public_id"),
        plain(S, "title"),
        plain(S, "kind"),
        plain(S, "reference"),
        staff_ref(S, "publisher_id", "publisher"),
        plain(S, "issued_on", kind="date"),
        plain(S, "issued_precision"),
        plain(S, "date_as_written"),
        plain(S, "description"),
        plain(S, "url"),
        plain(S, "is_confidential", kind="bool"),
        plain(S, "full_text"),
        plain(S, "notes"),
        plain(S, "publication"),
    ]


def name_columns() -> list[Column]:
    N = m.PersonName
    return [
        plain(N, "public_id"),
        staff_ref(N, "person_id", "person"),
        plain(N, "name"),
        plain(N, "kind"),
        plain(N, "publication"),
    ]


def relationship_columns() -> list[Column]:
    R = m.Relationship
    return [
        plain(R, "public_id"),
        staff_ref(R, "person_id", "person"),
        plain(R, "kind"),
        staff_ref(R, "other_id", "other"),
        plain(R, "note"),
        plain(R, "publication"),
    ]


def affiliation_columns() -> list[Column]:
    A = m.Affiliation
    return [
        plain(A, "public_id"),
        staff_ref(A, "person_id", "person"),
        staff_ref(A, "organisation_id", "organisation"),
        plain(A, "position"),
        plain(A, "started_on", kind="date"),
        plain(A, "started_precision"),
        plain(A, "ended_on", kind="date"),
        plain(A, "ended_precision"),
        plain(A, "publication"),
    ]


def figure_columns() -> list[Column]:
    F_ = m.Figure
    return [
        plain(F_, "public_id"),
        staff_ref(F_, "incident_id", "incident"),
        plain(F_, "measure"),
        plain(F_, "qualifier"),
        plain(F_, "value", kind="int"),
        plain(F_, "label"),
        plain(F_, "as_of_on", kind="date"),
        plain(F_, "as_of_precision"),
        plain(F_, "publication"),
    ]


def involvement_columns() -> list[Column]:
    V = m.Involvement
    return [
        plain(V, "public_id"),
        staff_ref(V, "person_id", "person"),
        staff_ref(V, "incident_id", "incident"),
        plain(V, "role"),
        plain(V, "occurred_on", kind="date"),
        plain(V, "occurred_precision"),
        staff_ref(V, "perpetrator_id", "perpetrator"),
        plain(V, "description"),
        plain(V, "publication"),
    ]


def intervention_columns() -> list[Column]:
    V = m.Intervention
    return [
        plain(V, "public_id"),
        plain(V, "kind"),
        staff_ref(V, "person_id", "person"),
        staff_ref(V, "incident_id", "incident"),
        staff_ref(V, "by_id", "by"),
        plain(V, "description"),
        plain(V, "made_on", kind="date"),
        plain(V, "made_precision"),
        plain(V, "publication"),
    ]


# What a citation backs, as the kind of export that holds it: (Citation field, kind).
CITED_KINDS: dict[str, str] = {
    "person": "persons",
    "name": "names",
    "relationship": "relationships",
    "affiliation": "affiliations",
    "incident": "incidents",
    "figure": "figures",
    "involvement": "involvements",
    "detention": "detentions",
    "charge": "charges",
    "status_entry": "timeline",
    "intervention": "interventions",
}


def _cited(citation: m.Citation) -> tuple[str, str]:
    for field_name, kind in CITED_KINDS.items():
        if getattr(citation, f"{field_name}_id") is not None:
            return kind, getattr(citation, field_name).public_id
    return "", ""


def citation_columns() -> list[Column]:
    C = m.Citation
    cites_sql = Case(
        *(When(**{f"{f}__isnull": False}, then=Value(k)) for f, k in CITED_KINDS.items()),
        default=Value(""),
        output_field=models.TextField(),
    )
    cites_id_sql = Coalesce(*(F(f"{f}__public_id") for f in CITED_KINDS))
    return [
        plain(C, "public_id"),
        staff_ref(C, "source_id", "source"),
        Column("cites", lambda c: _cited(c)[0], cites_sql),
        Column("cites_id", lambda c: _cited(c)[1], cites_id_sql),
        plain(C, "locator"),
        plain(C, "quote"),
        plain(C, "confidence"),
        plain(C, "claimed_by"),
        plain(C, "publication"),
    ]


@dataclass(frozen=True)
class Kind:
    what: str
    model: type[models.Model]
    filterset: type[FilterSet]
    columns: Callable[[bool, str], list[Column]]
    prefetch: Callable[[models.QuerySet, bool], models.QuerySet]
    public: bool = True  # False: a staff export only (its public columns are none)
    # The rows' order, when not the model's: staff-only kinds go in the order recorded, which
    # an import recreates, so that lists of them in other exports keep their order.
    ordering: tuple[str, ...] = ()

    def queryset(self, staff: bool) -> models.QuerySet:
        if not self.public:
            return self.model.objects.all()
        return scoped(self.model.objects, staff)


def _staff_kind(what: str, model, columns, *paths: str) -> Kind:
    return Kind(
        what,
        model,
        WholeTableFilter,
        staff_only(columns),
        related(*paths),
        public=False,
        ordering=("pk",),
    )


KINDS: dict[str, Kind] = {
    kind.what: kind
    for kind in [
        Kind("persons", m.Person, PersonFilter, person_columns, person_prefetch),
        Kind("detentions", m.Detention, DetentionFilter, detention_columns, detention_prefetch),
        Kind(
            "charges",
            m.Charge,
            ChargeFilter,
            charge_columns,
            lambda qs, staff: fact_prefetch(qs, staff, "detention"),
        ),
        Kind(
            "timeline",
            m.StatusEntry,
            StatusEntryFilter,
            timeline_columns,
            lambda qs, staff: fact_prefetch(qs, staff, "detention", "charge"),
        ),
        Kind("incidents", m.Incident, IncidentFilter, incident_columns, incident_prefetch),
        _staff_kind("roles", m.Role, role_columns),
        _staff_kind("places", m.Place, place_columns, "parent"),
        _staff_kind("organisations", m.Organisation, organisation_columns, "country", "parent"),
        _staff_kind("sources", m.Source, source_columns, "publisher"),
        _staff_kind("names", m.PersonName, name_columns, "person"),
        _staff_kind("relationships", m.Relationship, relationship_columns, "person", "other"),
        _staff_kind("affiliations", m.Affiliation, affiliation_columns, "person", "organisation"),
        _staff_kind("figures", m.Figure, figure_columns, "incident"),
        _staff_kind(
            "involvements",
            m.Involvement,
            involvement_columns,
            "person",
            "incident",
            "perpetrator",
        ),
        _staff_kind(
            "interventions", m.Intervention, intervention_columns, "person", "incident", "by"
        ),
        _staff_kind("citations", m.Citation, citation_columns, "source", *CITED_KINDS),
    ]
}
# The kinds anyone may download at /export/; the others are /staff/export/ only.
PUBLIC_KINDS = tuple(what for what, kind in KINDS.items() if kind.public)


def column_names(columns: Iterable[Column]) -> list[str]:
    return [c.name for c in columns]
