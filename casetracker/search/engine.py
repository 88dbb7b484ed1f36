"""Finding persons, places and incidents by any written form of their names.

One entry point, `search()`, for the public site, the staff workspace, the API, imports and the
duplicate check; `rank()` when only ids are needed. Two steps:

1. Candidates from the database, through an index, at most CANDIDATE_LIMIT: on PostgreSQL, keys
   holding every query word as a whole word (a GIN index on the key's words), then, when those
   are too few, near misses: each query word looked up in the vocabulary of key words by trigram
   similarity or prefix (so one wrong letter or a half-typed name still finds the name), and the
   keys holding one of those words for every query word, the likeliest words' keys first; on
   SQLite, keys containing every query word of three letters or more (FTS5 trigram MATCH), or
   starting with every word (FTS5 token prefixes where the trigram tokenizer is missing, a LIKE
   scan for queries of only one- or two-letter words).
2. Ranking in Python, the same on both databases: exact key (any word order), then all words
   exact, then all words prefixes of the name's words, then all words inside the name's words,
   then near misses (PostgreSQL only); within a tier by trigram word similarity, then by the
   shorter name. Private notes (staff only) rank after every name.

Persons come first, then places, then incidents; each record once, with the name that matched.
"""

import functools
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

from django.db import connection
from django.db.models import F, Q
from django.db.models.expressions import RawSQL
from django.utils.translation import gettext

from casetracker.cases.models import (
    Detention,
    Incident,
    Involvement,
    Person,
    PersonName,
    Place,
    Publication,
    StatusEntry,
)

from . import backends, compiled
from .models import SearchKey
from .normalise import normalise_name

# Fewer letters than this and the query asks for more instead of listing half the register.
MIN_QUERY_LETTERS = 2
# Longer queries are cut: names are short, and each word costs an index probe.
MAX_QUERY_CHARS = 200
MAX_QUERY_WORDS = 8
# Keys fetched from the index and ranked in Python; enough for every page a person reads.
CANDIDATE_LIMIT = 500
# Near misses (PostgreSQL) need this word similarity: pg_trgm's default word threshold.
FUZZY_THRESHOLD = 0.6

KIND_ORDER = {SearchKey.Kind.PERSON: 0, SearchKey.Kind.PLACE: 1, SearchKey.Kind.INCIDENT: 2}
NOTES_PENALTY = 10
FIELD_ORDER = SearchKey.FIELD_ORDER


class Tier:
    EXACT = 0
    WORDS = 1
    PREFIX = 2
    INFIX = 3
    FUZZY = 4


@dataclass
class Hit:
    kind: str
    id: int
    matched: str
    field: str
    rank: tuple
    obj: Any = None

    @property
    def matched_other_name(self) -> bool:
        """Whether the name that matched is not the one the record is shown by."""
        return self.field not in (SearchKey.Field.DISPLAY_NAME, SearchKey.Field.TITLE)

    @property
    def matched_notes(self) -> bool:
        return self.field == SearchKey.Field.PRIVATE_NOTES


@dataclass
class SearchResults:
    query: str
    hits: list[Hit] = field(default_factory=list)
    has_next: bool = False
    too_short: bool = False
    offset: int = 0
    limit: int = 20

    @property
    def persons(self) -> list[Hit]:
        return [h for h in self.hits if h.kind == SearchKey.Kind.PERSON]

    @property
    def places(self) -> list[Hit]:
        return [h for h in self.hits if h.kind == SearchKey.Kind.PLACE]

    @property
    def incidents(self) -> list[Hit]:
        return [h for h in self.hits if h.kind == SearchKey.Kind.INCIDENT]

    def __bool__(self) -> bool:
        return bool(self.hits)


def is_too_short(query: str) -> bool:
    return sum(ch.isalnum() for ch in query) < MIN_QUERY_LETTERS


def query_words(query: str) -> list[str]:
    return normalise_name(query[:MAX_QUERY_CHARS]).split()[:MAX_QUERY_WORDS]


# Ranking (pure Python, the same on both databases)


@functools.lru_cache(maxsize=65536)
def _trigrams(word: str) -> tuple[str, ...]:
    """pg_trgm's trigrams of one word, in order: two spaces before, one after."""
    padded = f"  {word} "
    return tuple(padded[i : i + 3] for i in range(len(padded) - 2))


@functools.lru_cache(maxsize=65536)
def word_similarity(query_word: str, key_word: str) -> float:
    """The greatest trigram similarity of the query word to any stretch of the key word."""
    wanted = set(_trigrams(query_word))
    found = _trigrams(key_word)
    best = 0.0
    for start in range(len(found)):
        extent: set[str] = set()
        for end in range(start, len(found)):
            extent.add(found[end])
            shared = len(wanted & extent)
            if shared:
                best = max(best, shared / len(wanted | extent))
    return best


def similarity(qwords: Sequence[str], kwords: Sequence[str]) -> float:
    if not qwords or not kwords:
        return 0.0
    return sum(max(word_similarity(q, k) for k in kwords) for q in qwords) / len(qwords)


def _assign(qwords: Sequence[str], kwords: Sequence[str], fits) -> bool:
    """Whether each query word fits a different key word (longest query words first)."""
    free = list(kwords)
    for q in sorted(qwords, key=len, reverse=True):
        for i, k in enumerate(free):
            if fits(q, k):
                del free[i]
                break
        else:
            return False
    return True


def tier(qwords: Sequence[str], kwords: Sequence[str]) -> int:
    if list(qwords) == list(kwords):
        return Tier.EXACT
    if _assign(qwords, kwords, lambda q, k: q == k):
        return Tier.WORDS
    if _assign(qwords, kwords, lambda q, k: k.startswith(q)):
        return Tier.PREFIX
    if _assign(qwords, kwords, lambda q, k: k.startswith(q) or (len(q) >= 3 and q in k)):
        return Tier.INFIX
    return Tier.FUZZY


def score(qwords: Sequence[str], key: str, key_field: str) -> tuple | None:
    """The sort key of one search key for a query, or None when it does not match."""
    kwords = key.split()
    found_tier = tier(qwords, kwords)
    sim = similarity(qwords, kwords)
    if found_tier == Tier.FUZZY and sim < FUZZY_THRESHOLD:
        return None
    if key_field == SearchKey.Field.PRIVATE_NOTES:
        found_tier += NOTES_PENALTY
    return (found_tier, -round(sim, 6), FIELD_ORDER[key_field], len(kwords), len(key))


# Candidates (through the database's indexes)


def _candidates(qwords: list[str], *, public: bool, kinds: Sequence[str] | None) -> list[tuple]:
    """Up to CANDIDATE_LIMIT keys worth ranking, as (kind, field, person, place, incident, text,
    key) rows: on PostgreSQL the rows of `candidate_query`, on SQLite of the FTS5 table."""
    if connection.vendor != "postgresql":
        keys = _keys(public=public, kinds=kinds)
        return list(
            keys.filter(_sqlite_condition(qwords, public=public, kinds=kinds)).values_list(
                *CANDIDATE_COLUMNS
            )[:CANDIDATE_LIMIT]
        )
    sql, params = candidate_query(qwords, public=public, kinds=kinds)
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        return [row[1:] for row in cursor.fetchall()]


CANDIDATE_COLUMNS = ("kind", "field", "person_id", "place_id", "incident_id", "text", "key")


def _keys(*, public: bool, kinds: Sequence[str] | None):
    keys = SearchKey.objects.all()
    if public:
        keys = keys.filter(is_public=True)
    if kinds:
        keys = keys.filter(kind__in=kinds)
    return keys


def candidate_query(
    qwords: list[str], *, public: bool, kinds: Sequence[str] | None
) -> tuple[str, list]:
    """The PostgreSQL candidates' statement and its parameters: (id, *CANDIDATE_COLUMNS) rows,
    at most CANDIDATE_LIMIT, in no particular order within a step (the ranking orders them). The
    benchmarks time and explain it, with `similar_words`' lookup, as the search's bare SQL.

    Two statements whatever the data, so that a name thousands of keys share costs no more than
    a rare one, and no more queries:
    - the vocabulary lookup (`similar_words`): each query word's near misses, by trigram
      similarity or prefix, best first;
    - one statement of up to three steps, each through the exact-word GIN index and each
      bounded, none returning a key an earlier one returned:
      1. keys holding every query word as a whole word;
      2. keys holding every query word's best near miss (a half-typed name's likeliest ending,
         a misspelt word's likeliest spelling), when those are not the query's own words;
      3. keys holding, for every query word, any of its near misses.
      The steps are a UNION ALL under one LIMIT: PostgreSQL reads its branches in order and
      stops at the limit, so a step runs only when those before it found too few. A GIN index
      reads every key holding a word before the LIMIT applies, so in a large register the
      narrower step 2 (one word's keys, not four words') is what keeps a prefix of a common
      surname fast.

    Written as SQL rather than built with the ORM: its shape is fixed, its only filters are the
    key's own columns, and building and compiling three querysets and a union, then reading 500
    rows through them, took longer than running it (docs/performance.md, search added time).
    """
    words = backends.WORDS_SQL
    where, where_params = [], []
    if public:
        where.append("is_public")  # as the partial index's predicate, so that it is used
    if kinds:
        where.append("kind = ANY(%s)")
        where_params.append(list(kinds))
    contains, overlaps = f"{words} @> %s::text[]", f"{words} && %s::text[]"
    wanted = list(dict.fromkeys(qwords))
    steps = [([contains], [wanted])]
    expansions = similar_words(qwords)
    if all(expansions.values()):
        # Each later step leaves out the keys of the steps before it.
        before, before_params = [f"NOT {contains}"], [wanted]
        best = list(dict.fromkeys(found[0] for found in expansions.values()))
        if set(best) != set(wanted):  # else the same keys as the first step
            steps.append(([*before, contains], [*before_params, best]))
            before, before_params = [*before, f"NOT {contains}"], [*before_params, best]
        steps.append(
            (
                [*before, *[overlaps] * len(expansions)],
                [*before_params, *expansions.values()],
            )
        )
    statements, params = [], []
    for conditions, step_params in steps:
        statements.append(f"({_CANDIDATES_WHERE} {' AND '.join([*where, *conditions])} LIMIT %s)")
        params += [*where_params, *step_params, CANDIDATE_LIMIT]
    if len(statements) == 1:
        return statements[0][1:-1], params
    return " UNION ALL ".join(statements) + " LIMIT %s", [*params, CANDIDATE_LIMIT]


# Fixed text: every value `candidate_query` adds is a parameter.
_CANDIDATES_WHERE = f"SELECT id, {', '.join(CANDIDATE_COLUMNS)} FROM {backends.TABLE} WHERE"  # noqa: S608


# Words of the vocabulary offered for one query word: enough for every spelling of a name.
WORD_EXPANSIONS = 40


def similar_words(qwords: list[str]) -> dict[str, list[str]]:
    """For each query word of two letters or more (else the first word), the vocabulary's words
    it may be: those it begins (a half-typed name), then those trigram-similar to it (pg_trgm's
    `%`, similarity >= 0.3: one or two wrong letters), the most similar first. One query."""
    probes = list(dict.fromkeys(w for w in qwords if len(w) >= 2)) or qwords[:1]
    sql = (
        "SELECT q.word, v.word FROM unnest(%s::text[]) AS q(word) CROSS JOIN LATERAL ("
        "  SELECT w.word FROM search_searchword w"
        "  WHERE w.word %% q.word OR w.word LIKE q.word || '%%'"
        "  ORDER BY w.word LIKE q.word || '%%' DESC, similarity(w.word, q.word) DESC, w.word"
        "  LIMIT %s"
        ") AS v"
    )
    found: dict[str, list[str]] = {word: [] for word in probes}
    with connection.cursor() as cursor:
        cursor.execute(sql, [probes, WORD_EXPANSIONS])
        for query_word, word in cursor.fetchall():
            found[query_word].append(word)
    return found


def _sqlite_condition(qwords: list[str], *, public: bool, kinds: Sequence[str] | None) -> Q:
    long_words = [w for w in qwords if len(w) >= 3]
    if backends.sqlite_has_trigram() and long_words:
        # The trigram tokenizer matches substrings of three letters or more; shorter words are
        # checked by the ranking. Words are letters and digits only, so quoting is enough.
        match = " AND ".join(f'"{w}"' for w in long_words)
    elif not backends.sqlite_has_trigram():
        match = " AND ".join(f'"{w}"*' for w in qwords)
    else:
        # Only one- and two-letter words: no trigram to look up, so a prefix scan of the keys.
        condition = Q()
        for word in qwords:
            condition &= Q(key__startswith=word) | Q(key__contains=f" {word}")
        return condition
    # The public and kind filters sit inside the FTS query so its LIMIT counts only keys that
    # may be shown. Every value is a parameter; the rest of the SQL is fixed text.
    kinds = list(kinds or SearchKey.Kind.values)
    kinds += [kinds[0]] * (len(SearchKey.Kind.values) - len(kinds))
    sql = (
        "SELECT f.rowid FROM search_searchkey_fts f JOIN search_searchkey k ON k.id = f.rowid "
        "WHERE search_searchkey_fts MATCH %s AND (k.is_public OR NOT %s) "
        "AND k.kind IN (%s, %s, %s) ORDER BY f.rank LIMIT %s"
    )
    return Q(id__in=RawSQL(sql, [match, public, *kinds, CANDIDATE_LIMIT]))  # noqa: S611


def rank(query: str, *, public: bool, kinds: Sequence[str] | None = None) -> list[Hit]:
    """Every matching record, best first within persons, places, incidents; without objects."""
    if is_too_short(query):
        return []
    qwords = query_words(query)
    if not qwords:
        return []
    best: dict[tuple[str, int], Hit] = {}
    # Many candidates share a key: a common full name is many persons'. Each distinct key is
    # scored once.
    scored: dict[tuple[str, str], tuple | None] = {}
    # Only PostgreSQL looks up near misses. Read once: each read of `connection` finds this
    # thread's connection anew (half a candidate's ranking time when read in the loop).
    near_misses = connection.vendor == "postgresql"
    for kind, key_field, person_id, place_id, incident_id, text, key in _candidates(
        qwords, public=public, kinds=kinds
    ):
        found = scored.get((key, key_field), False)
        if found is False:
            found = scored[(key, key_field)] = score(qwords, key, key_field)
        if found is None:
            continue
        if not near_misses and found[0] % NOTES_PENALTY == Tier.FUZZY:
            continue  # SQLite has no near misses: say so rather than rank at random.
        target = person_id or place_id or incident_id
        hit = best.get((kind, target))
        if hit is None or found < hit.rank:
            best[(kind, target)] = Hit(kind, target, text, key_field, found)
    return sorted(best.values(), key=lambda h: (KIND_ORDER[h.kind], h.rank, h.id))


def search(
    query: str,
    *,
    public: bool,
    limit: int = 20,
    offset: int = 0,
    kinds: Sequence[str] | None = None,
) -> SearchResults:
    """Persons (each with the name that matched), then places, then incidents.

    `public=True` finds only public records through their public names; staff search
    (`public=False`) finds every record through every name and private notes. The page is
    `limit` hits from `offset`; `has_next` says whether more follow (no count of the table).
    """
    query = (query or "").strip()
    results = SearchResults(query=query, offset=offset, limit=limit)
    if is_too_short(query):
        results.too_short = True
        return results
    hits = rank(query, public=public, kinds=kinds)
    page = hits[offset : offset + limit]
    results.has_next = len(hits) > offset + limit
    results.hits = _attach(page, public=public)
    return results


# Loading the records of one page: a fixed number of queries whatever the page holds.


def _attach(hits: list[Hit], *, public: bool) -> list[Hit]:
    ids = {kind: [h.id for h in hits if h.kind == kind] for kind in KIND_ORDER}
    objects = {
        SearchKey.Kind.PERSON: _persons(ids[SearchKey.Kind.PERSON], public=public),
        SearchKey.Kind.PLACE: _places(ids[SearchKey.Kind.PLACE], public=public),
        SearchKey.Kind.INCIDENT: _incidents(ids[SearchKey.Kind.INCIDENT], public=public),
    }
    attached = []
    for hit in hits:
        hit.obj = objects[hit.kind].get(hit.id)
        if hit.obj is None:
            continue  # Changed since it was indexed: no longer public, or deleted.
        if (
            public
            and hit.kind == SearchKey.Kind.PERSON
            and hit.field == SearchKey.Field.NAME
            and hit.matched not in hit.obj.search_all_names
        ):
            # The name that matched has been unpublished since it was indexed.
            hit.matched, hit.field = hit.obj.display_name, SearchKey.Field.DISPLAY_NAME
        attached.append(hit)
    return attached


def _public_places():
    return Place.objects.filter(publication=Publication.PUBLISHED)


# What templates/search/results.html shows of a person and of its latest public status entry (a
# field left out would cost a query per person: tests/test_search.py counts them).
PERSON_FIELDS = ("id", "public_id", "display_name", "is_unnamed", "is_demo", "public_status")
ENTRY_FIELDS = ("id", "occurred_on", "occurred_precision", "date_kind")


def _persons(ids: list[int], *, public: bool) -> dict[int, Person]:
    """The page's persons, each with its other names, roles and places as plain strings.

    Five queries whatever the page holds, each built by the ORM and compiled once for each
    number of persons (`compiled.rows`): building and compiling them took three times as long
    as PostgreSQL took to run them (docs/performance.md, search added time). Only the persons
    (and their latest public status entries) become model instances, with only the fields the
    page shows, as `only()` would give them: their links, badges and status read model methods.
    Names, roles and places stay plain rows, since building hundreds of instances for a few
    words each was most of the page's Python time.
    """
    if not ids:
        return {}
    found = {}
    db = connection.alias
    for row in compiled.rows(_person_rows, ids, public):
        person = _instance(Person, PERSON_FIELDS, row[: len(PERSON_FIELDS)], db)
        entry = row[len(PERSON_FIELDS) :]
        # The descriptor sets latest_public_entry_id too, as select_related() would.
        person.latest_public_entry = (
            _instance(StatusEntry, ENTRY_FIELDS, entry, db) if entry[0] is not None else None
        )
        found[person.pk] = person
    ids = list(found)
    other_names: dict[int, list[str]] = {pk: [] for pk in ids}
    all_names: dict[int, set[str]] = {pk: set() for pk in ids}
    for person_id, name in compiled.rows(_names, ids, public):
        all_names[person_id].add(name)
        if name != found[person_id].display_name:
            other_names[person_id].append(name)
    roles: dict[int, list[str]] = {pk: [] for pk in ids}
    for person_id, role in compiled.rows(_roles, ids):
        roles[person_id].append(gettext(role))  # as Role.__str__: seeded names are msgids
    places: dict[int, list[str]] = {pk: [] for pk in ids}
    for person_id, *pairs in compiled.rows(_detention_places, ids, public):
        for name, publication in (pairs[:2], pairs[2:]):
            if name is not None and (not public or publication == Publication.PUBLISHED):
                places[person_id].append(name)
    for person_id, name in compiled.rows(_incident_places, ids, public):
        places[person_id].append(name)
    for pk, person in found.items():
        person.search_all_names = all_names[pk]
        person.search_other_names = _unique(other_names[pk])
        person.search_roles = roles[pk]
        person.search_place_names = _unique(places[pk])
    return found


def _unique(items) -> list[str]:
    return list(dict.fromkeys(items))


# The queries of `_persons`, built by the ORM and compiled once for each number of persons
# (`compiled.rows`). After the persons, which are public already (when public), a fact of theirs is
# public when it is published itself (PersonFactQuerySet.public, without joining the person again).


def _instance(model, names: tuple[str, ...], values: Sequence, db: str):
    """An instance of `model` from the values of some of its fields, the others deferred, as a
    queryset's `only()` builds it (`Model.from_db` takes the values in the model's order)."""
    order, places = _field_order(model, names)
    return model.from_db(db, order, [values[i] for i in places])


@functools.cache
def _field_order(model, names: tuple[str, ...]) -> tuple[list[str], list[int]]:
    order = [f.attname for f in model._meta.concrete_fields if f.attname in names]
    return order, [names.index(name) for name in order]


def _person_rows(ids: list[int], public: bool):
    persons = Person.objects.public() if public else Person.objects.all()
    # No ORDER BY here or below where the models' default would join the person again to sort
    # by name: the page keeps the ranking's order, and a person's own rows need only their own.
    entry = [f"latest_public_entry__{name}" for name in ENTRY_FIELDS]
    return persons.filter(pk__in=ids).order_by().values_list(*PERSON_FIELDS, *entry)


def _shown(public: bool) -> Q:
    return Q(publication=Publication.PUBLISHED) if public else Q()


def _names(ids: list[int], public: bool):
    names = PersonName.objects.filter(_shown(public), person_id__in=ids)
    return names.order_by("id").values_list("person_id", "name")


def _roles(ids: list[int]):
    roles = Person.roles.through.objects.filter(person_id__in=ids)
    return roles.order_by("role__name").values_list("person_id", "role__name")


def _detention_places(ids: list[int], public: bool):
    detentions = Detention.objects.filter(_shown(public), person_id__in=ids)
    return detentions.order_by(F("started_on").asc(nulls_last=True), "id").values_list(
        "person_id", "facility__name", "facility__publication", "place__name", "place__publication"
    )


def _incident_places(ids: list[int], public: bool):
    # One filter() call, so one join to the incident's places (two would multiply the rows).
    involvements = Involvement.objects.filter(
        Q(
            _shown(public),
            incident__publication=Publication.PUBLISHED,
            incident__places__publication=Publication.PUBLISHED,
        )
        if public
        else Q(incident__places__isnull=False),
        person_id__in=ids,
    )
    return involvements.order_by("incident", "role", "id", "incident__places__name").values_list(
        "person_id", "incident__places__name"
    )


def _places(ids: list[int], *, public: bool) -> dict[int, Place]:
    if not ids:
        return {}
    places = _public_places() if public else Place.objects.all()
    return {p.pk: p for p in places.filter(pk__in=ids)}


def _incidents(ids: list[int], *, public: bool) -> dict[int, Incident]:
    if not ids:
        return {}
    incidents = Incident.objects.public() if public else Incident.objects.all()
    return {i.pk: i for i in incidents.filter(pk__in=ids)}
