"""The public register as FollowTheMoney entities, for investigators' tools (Aleph, OpenSanctions).

`/export/ftm.json` is JSON Lines despite its name: one entity per line, as FollowTheMoney tools
read and write entity streams. Only public rows and public fields go out
(`casetracker.cases.public`). A register of persecuted people must never mark them as suspects
in a screening tool, so a person's topics come only from `ROLE_TOPICS`; charges go out as court
cases with the person as a party, and the motion's para 16 sanctions proposal is a
`Documentation` of the motion about the person, never a `Sanction` (README, "Decisions").
"""

import json
from collections.abc import Iterator

from django.db.models import Prefetch
from django.http import StreamingHttpResponse
from django.views.decorators.http import require_safe

from casetracker.cases import models as m
from casetracker.cases.dates import DatePrecision

PREFIX = "casetracker"
CHUNK = 1000

# Register role slugs to FollowTheMoney topics. Only these topics may ever be given: role.act,
# role.journo, role.lawyer, role.judge, role.pep, role.civil and gov.*. A role without a matching
# topic (political prisoner, protester, opposition figure) is left out, not forced into one.
ROLE_TOPICS = {
    "journalist": "role.journo",
    "human-rights-defender": "role.act",
    "activist": "role.act",
    "lawyer": "role.lawyer",
    "judge": "role.judge",
    "official": "role.pep",
    "civil-society": "role.civil",
}
ALLOWED_TOPIC_PREFIXES = (
    "role.act",
    "role.journo",
    "role.lawyer",
    "role.judge",
    "role.pep",
    "role.civil",
    "gov.",
)

# A country place's name to its ISO 3166 code; the register keeps places by name. A citizenship
# whose country is not listed here is left out rather than guessed.
COUNTRY_CODES = {
    "kazakhstan": "kz",
    "russia": "ru",
    "russian federation": "ru",
    "kyrgyzstan": "kg",
    "uzbekistan": "uz",
    "tajikistan": "tj",
    "turkmenistan": "tm",
    "belarus": "by",
    "ukraine": "ua",
    "china": "cn",
    "georgia": "ge",
    "armenia": "am",
    "azerbaijan": "az",
    "turkey": "tr",
    "germany": "de",
    "france": "fr",
    "belgium": "be",
    "netherlands": "nl",
    "poland": "pl",
    "lithuania": "lt",
    "latvia": "lv",
    "estonia": "ee",
    "czechia": "cz",
    "united kingdom": "gb",
    "united states": "us",
    "казахстан": "kz",
    "россия": "ru",
    "кыргызстан": "kg",
    "қазақстан": "kz",
}


def entity_id(kind: str, public_id: str) -> str:
    return f"{PREFIX}-{kind}-{public_id}"


def ftm_date(day, precision: str) -> str | None:
    """A partial date as FollowTheMoney writes one: never more precise than the register."""
    if day is None:
        return None
    if precision == DatePrecision.YEAR:
        return f"{day:%Y}"
    if precision == DatePrecision.MONTH:
        return f"{day:%Y-%m}"
    return day.isoformat()


def entity(schema: str, id_: str, **properties) -> dict:
    props = {}
    for name, values in properties.items():
        values = values if isinstance(values, list) else [values]
        values = [str(v) for v in values if v not in (None, "")]
        if values:
            props[name] = values
    return {"id": id_, "schema": schema, "properties": props}


def person_topics(slugs) -> list[str]:
    topics = {ROLE_TOPICS[s] for s in slugs if s in ROLE_TOPICS}
    return sorted(t for t in topics if t.startswith(ALLOWED_TOPIC_PREFIXES))


def _persons() -> Iterator[dict]:
    persons = (
        m.Person.objects.public()
        .named()
        .select_related("citizenship")
        .prefetch_related(
            Prefetch("names", m.PersonName.objects.public().order_by("id"), "ftm_names"),
            Prefetch("roles", m.Role.objects.order_by("slug"), "ftm_roles"),
        )
        .order_by("pk")
    )
    for person in persons.iterator(chunk_size=CHUNK):
        citizenship = person.citizenship
        nationality = None
        if citizenship is not None and citizenship.is_published:
            nationality = COUNTRY_CODES.get(citizenship.name.strip().lower())
        yield entity(
            "Person",
            entity_id("person", person.public_id),
            name=person.display_name,
            alias=sorted({n.name for n in person.ftm_names} - {person.display_name}),
            birthDate=person.birth_year,
            gender=person.gender,
            nationality=nationality,
            summary=person.summary,
            topics=person_topics(r.slug for r in person.ftm_roles),
        )


def _court_cases() -> Iterator[dict]:
    charges = (
        m.Charge.objects.public()
        .filter(person__is_unnamed=False)
        .select_related("person")
        .order_by("pk")
    )
    for charge in charges.iterator(chunk_size=CHUNK):
        case_id = entity_id("charge", charge.public_id)
        description = charge.wording
        if charge.is_politically_motivated:
            description = f"{description}\n(reported as politically motivated)".strip()
        yield entity(
            "CourtCase",
            case_id,
            name=charge.legal_basis or charge.wording[:200],
            type=charge.legal_basis,
            status=charge.get_stage_display(),
            fileDate=ftm_date(charge.filed_on, charge.filed_precision),
            description=description,
        )
        yield entity(
            "CourtCaseParty",
            entity_id("charge-party", charge.public_id),
            party=entity_id("person", charge.person.public_id),
            case=case_id,
            role="defendant",
            summary=charge.sentence,
        )


def _documents() -> Iterator[dict]:
    for source in m.Source.objects.public().select_related("publisher").order_by("pk"):
        publisher = source.publisher
        yield entity(
            "Document",
            entity_id("source", source.public_id),
            title=source.title,
            fileName=source.reference,
            date=ftm_date(source.issued_on, source.issued_precision),
            publisher=publisher.name if publisher and publisher.is_published else None,
            sourceUrl=source.url,
            summary=source.description,
        )


def _documentation() -> Iterator[dict]:
    """Interventions about persons (calls for release, the para 16 sanctions proposal) as what
    they are: a document that names the person, with the words it uses. Never a Sanction."""
    interventions = (
        m.Intervention.objects.public()
        .filter(person__isnull=False, person__is_unnamed=False)
        .select_related("person")
        .prefetch_related(
            Prefetch(
                "citations",
                m.Citation.objects.public().select_related("source").order_by("id"),
                "ftm_citations",
            )
        )
        .order_by("pk")
    )
    for intervention in interventions.iterator(chunk_size=CHUNK):
        for citation in intervention.ftm_citations:
            role = intervention.get_kind_display()
            if citation.locator:
                role = f"{role} ({citation.locator})"
            yield entity(
                "Documentation",
                entity_id("intervention", f"{intervention.public_id}-{citation.public_id}"),
                entity=entity_id("person", intervention.person.public_id),
                document=entity_id("source", citation.source.public_id),
                role=role,
                date=ftm_date(intervention.made_on, intervention.made_precision),
                summary=intervention.description,
            )


def entities() -> Iterator[dict]:
    yield from _documents()
    yield from _persons()
    yield from _court_cases()
    yield from _documentation()


def _lines() -> Iterator[bytes]:
    batch = []
    for item in entities():
        batch.append(json.dumps(item, ensure_ascii=False, sort_keys=True))
        if len(batch) >= CHUNK:
            yield ("\n".join(batch) + "\n").encode()
            batch = []
    if batch:
        yield ("\n".join(batch) + "\n").encode()


@require_safe
def ftm_download(request):
    response = StreamingHttpResponse(_lines(), content_type="application/jsonl")
    response["Content-Disposition"] = 'attachment; filename="casetracker-ftm.json"'
    return response
