"""The search engine, on both databases: what it finds, in what order, and what it never shows."""

import datetime
import io

import pytest
from django.contrib import admin
from django.core.management import call_command
from django.db import connection
from django.test import RequestFactory
from django.urls import reverse

from casetracker.cases import models as m
from casetracker.search import engine
from casetracker.search.admin import NameSearchAdminMixin
from casetracker.search.indexing import reindex_persons
from casetracker.search.models import SearchKey

from .factories import make_entry, make_incident, make_person

pytestmark = pytest.mark.django_db


def make_name(person: m.Person, name: str, **kwargs) -> m.PersonName:
    kwargs.setdefault("kind", m.PersonName.Kind.TRANSLITERATION)
    kwargs.setdefault("publication", m.Publication.PUBLISHED)
    if kwargs["publication"] == m.Publication.PUBLISHED:
        kwargs.setdefault("published_at", person.published_at or m.timezone.now())
    return m.PersonName.objects.create(person=person, name=name, **kwargs)


def make_place(**kwargs) -> m.Place:
    kwargs.setdefault("name", "Almaty")
    kwargs.setdefault("kind", m.Place.Kind.CITY)
    kwargs.setdefault("publication", m.Publication.PUBLISHED)
    if kwargs["publication"] == m.Publication.PUBLISHED:
        kwargs.setdefault("published_at", m.timezone.now())
    return m.Place.objects.create(**kwargs)


def first_person(query: str, *, public: bool = True) -> str | None:
    results = engine.search(query, public=public)
    return results.persons[0].obj.display_name if results.persons else None


def person_names(query: str, *, public: bool = True) -> list[str]:
    return [hit.obj.display_name for hit in engine.search(query, public=public).persons]


@pytest.fixture
def register():
    """A few persons whose names are close to each other, as in the motion."""
    raigul = make_person(display_name="Raigul Sadyrbayeva")
    make_name(raigul, "Садырбаева Райгуль", kind=m.PersonName.Kind.NATIVE_SCRIPT)
    make_person(display_name="Raigul Akhmetova")
    make_person(display_name="Sadyk Baev")
    bekizhan = make_person(display_name="Bekizhan Mendygaziyev")
    make_name(bekizhan, "Mendygaziyev Bekizhan", kind=m.PersonName.Kind.SURNAME_FIRST)
    make_person(display_name="Barlyk Mendygaziyev")
    make_person(display_name="Kassym-Jomart Tokayev")
    make_person(display_name="Mukhtar Ablyazov")
    make_person(display_name="Daryn Khassenov")
    make_person(display_name="Daniyar Khassenov")
    make_person(display_name="Baurzhan Jussupov")
    return raigul


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        ("Raigul Sadyrbayeva", "Raigul Sadyrbayeva"),  # exact
        ("sadyrbayeva raigul", "Raigul Sadyrbayeva"),  # reordered
        ("Садырбаева", "Raigul Sadyrbayeva"),  # Cyrillic
        ("Sadyrbaeva", "Raigul Sadyrbayeva"),  # other transliteration
        ("sadyr", "Raigul Sadyrbayeva"),  # prefix
        ("rai sad", "Raigul Sadyrbayeva"),  # prefixes of both words
        ("Mendygaziev Bekizhan", "Bekizhan Mendygaziyev"),
        ("Мендыгазиев Бекижан", "Bekizhan Mendygaziyev"),
        ("Тоқаев", "Kassym-Jomart Tokayev"),
        ("kas tok", "Kassym-Jomart Tokayev"),
        ("ablyaz", "Mukhtar Ablyazov"),
        ("Джусупов", "Baurzhan Jussupov"),
        ("Zhusupov", "Baurzhan Jussupov"),
        ("Хасенов Дарын", "Daryn Khassenov"),
    ],
)
def test_exact_reordered_transliterated_and_prefix_queries_find_the_person_first(
    register, query, expected
):
    assert first_person(query) == expected


def test_a_surname_finds_everyone_who_bears_it(register):
    assert set(person_names("Хасенов")[:2]) == {"Daryn Khassenov", "Daniyar Khassenov"}
    assert set(person_names("Mendygaziyev")[:2]) == {
        "Bekizhan Mendygaziyev",
        "Barlyk Mendygaziyev",
    }


def test_persons_come_before_places_and_incidents():
    make_incident(title="Shooting of protesters in Zhanaozen")
    make_place(name="Zhanaozen", other_names="Жаңаөзен\nJanaozen")
    make_person(display_name="Aidos Zhanaozenov")
    results = engine.search("Zhanaozen", public=True)
    assert [hit.kind for hit in results.hits] == ["person", "place", "incident"]


def test_kazakh_spelling_finds_the_zhanaozen_events():
    make_incident(title="Protests in Zhanaozen and Aktau")
    make_incident(title="Zhanaozen massacre of 2011")
    make_incident(title="Shooting in Almaty")
    for query in ["Жанаозен", "Жаңаөзен", "Janaozen"]:
        titles = {hit.obj.title for hit in engine.search(query, public=True).incidents}
        assert titles == {"Protests in Zhanaozen and Aktau", "Zhanaozen massacre of 2011"}


def test_each_person_result_says_which_name_matched(register):
    aset = make_person(display_name="Aset Abishev")
    make_name(aset, "Асет Әбішев", kind=m.PersonName.Kind.NATIVE_SCRIPT)
    make_name(aset, "Asylbek Abish", kind=m.PersonName.Kind.ALIAS)
    hit = engine.search("Asylbek", public=True).persons[0]
    assert (hit.obj.display_name, hit.matched, hit.matched_other_name) == (
        "Aset Abishev",
        "Asylbek Abish",
        True,
    )
    # The display name and a spelling with the same key: the display name is reported.
    hit = engine.search("Aset Abishev", public=True).persons[0]
    assert (hit.matched, hit.matched_other_name) == ("Aset Abishev", False)


def test_public_search_ignores_unpublished_names_while_staff_search_finds_them():
    person = make_person(display_name="Altynai Tuksikova")
    make_name(person, "Zhibek Qwertova", publication=m.Publication.DRAFT)
    assert engine.search("Zhibek Qwertova", public=True).hits == []
    assert first_person("Zhibek Qwertova", public=False) == "Altynai Tuksikova"


def test_public_search_ignores_private_notes_while_staff_search_finds_them():
    make_person(display_name="Altynai Tuksikova", private_notes="Informant codename Zorkiy")
    incident = make_incident(title="Night raid", private_notes="Zorkiy was there")
    assert engine.search("Zorkiy", public=True).hits == []
    staff = engine.search("Zorkiy", public=False)
    assert [h.obj for h in staff.incidents] == [incident]
    assert staff.persons[0].obj.display_name == "Altynai Tuksikova"
    assert staff.persons[0].matched_notes


@pytest.mark.parametrize(
    "fields",
    [
        {"publication": m.Publication.DRAFT},
        {"consent": m.Consent.WITHHELD, "publication": m.Publication.DRAFT},
        {"risk_level": m.RiskLevel.HIGH, "publication": m.Publication.DRAFT},
        {"consent": m.Consent.UNKNOWN, "publication": m.Publication.DRAFT},
    ],
)
def test_public_search_ignores_non_public_persons_while_staff_search_finds_them(fields):
    person = make_person(display_name="Nurbolat Seitkulov", **fields)
    make_name(person, "Нурболат Сейткулов")
    assert engine.search("Seitkulov", public=True).hits == []
    assert engine.search("Сейткулов", public=True).hits == []
    assert first_person("Seitkulov", public=False) == "Nurbolat Seitkulov"


def test_a_merged_person_is_found_only_through_the_person_kept():
    kept = make_person(display_name="Aliya Isenova")
    merged = make_person(display_name="Aliya Issenova")
    merged.merged_into = kept
    merged.save()
    assert person_names("Isenova") == ["Aliya Isenova"]


def test_draft_places_and_incidents_are_not_found_publicly():
    make_place(name="Taldykorgan", publication=m.Publication.DRAFT)
    make_incident(title="Taldykorgan shooting", publication=m.Publication.DRAFT)
    assert engine.search("Taldykorgan", public=True).hits == []
    assert len(engine.search("Taldykorgan", public=False).hits) == 2


def test_publishing_and_unpublishing_keep_the_keys_in_step():
    person = make_person(display_name="Roza Musayeva", publication=m.Publication.DRAFT)
    # With her patronymic: a key of its own (the same words as the display name's would share
    # its key: test_a_person_keeps_one_key_per_normalised_key).
    name = make_name(person, "Роза Кайратовна Мусаева", publication=m.Publication.DRAFT)
    assert person_names("Мусаева") == []
    person.publish()
    person.save()
    assert person_names("Мусаева") == ["Roza Musayeva"]
    assert engine.search("Мусаева", public=True).persons[0].matched == "Roza Musayeva"
    assert not SearchKey.objects.get(name=name).is_public
    name.publish()
    name.save()
    assert SearchKey.objects.get(name=name).is_public
    person.unpublish()
    person.save()
    assert person_names("Мусаева") == []


def test_renaming_and_deleting_names_keep_the_keys_in_step():
    person = make_person(display_name="Saule Mukhambetova")
    name = make_name(person, "Сауле Мухамбетова")
    person.display_name = "Saule Mukhambetova-Test"
    person.save()
    assert SearchKey.objects.filter(person=person).count() == 2
    name.delete()
    assert list(SearchKey.objects.filter(person=person).values_list("text", flat=True)) == [
        "Saule Mukhambetova-Test"
    ]
    person.delete()
    assert not SearchKey.objects.exists()


def test_a_person_keeps_one_key_per_normalised_key():
    person = make_person(display_name="Nurlan Tokayev")
    make_name(person, "Нұрлан Тоқаев")  # normalises as the display name does
    make_name(person, "Tokayev Nurlan")  # keys hold their words in order: the same key
    full = make_name(person, "Nurlan Serikuly Tokayev")  # a key of its own
    make_name(person, "Нұрлан Серікұлы Тоқаев")
    keys = SearchKey.objects.filter(person=person).order_by("key")
    assert list(keys.values_list("key", "field", "name_id", "text")) == [
        ("nurlan serikuli tokaev", SearchKey.Field.NAME, full.pk, "Nurlan Serikuly Tokayev"),
        ("nurlan tokaev", SearchKey.Field.DISPLAY_NAME, None, "Nurlan Tokayev"),
    ]
    assert person_names("Нұрлан Тоқаев") == ["Nurlan Tokayev"]
    assert engine.search("Tokayev Nurlan", public=True).persons[0].matched == "Nurlan Tokayev"
    assert person_names("Серікұлы") == ["Nurlan Tokayev"]


def test_the_key_kept_for_names_that_normalise_alike_is_a_public_one():
    person = make_person(display_name="Zhanar Sekerbayeva")
    draft = make_name(person, "Жанар Ахметқызы Секербаева", publication=m.Publication.DRAFT)
    published = make_name(person, "Zhanar Akhmetkyzy Sekerbaeva")
    kept = SearchKey.objects.get(person=person, field=SearchKey.Field.NAME)
    assert (kept.name_id, kept.is_public) == (published.pk, True)
    assert person_names("Akhmetkyzy") == ["Zhanar Sekerbayeva"]
    hit = engine.search("Akhmetkyzy", public=True).persons[0]
    assert hit.matched == "Zhanar Akhmetkyzy Sekerbaeva"  # never the draft's own spelling
    published.unpublish()
    published.save()
    kept = SearchKey.objects.get(person=person, field=SearchKey.Field.NAME)
    assert (kept.name_id, kept.is_public) == (draft.pk, False)
    assert person_names("Akhmetkyzy") == []
    assert person_names("Akhmetkyzy", public=False) == ["Zhanar Sekerbayeva"]


def test_deleting_the_name_a_shared_key_pointed_at_keeps_the_other_names_key():
    person = make_person(display_name="Aigerim Zh.")
    first = make_name(person, "Айгерим Жаксыбекова")
    make_name(person, "Aigerim Zhaksybekova")
    assert SearchKey.objects.get(person=person, field=SearchKey.Field.NAME).name_id == first.pk
    first.delete()  # its key cascades; the receiver writes the other name's
    assert list(
        SearchKey.objects.filter(person=person, field=SearchKey.Field.NAME).values_list(
            "text", flat=True
        )
    ) == ["Aigerim Zhaksybekova"]
    assert person_names("Zhaksybekova") == ["Aigerim Zh."]


def test_migration_0007_keeps_the_key_reindexing_keeps():
    import importlib

    migration = importlib.import_module(
        "casetracker.search.migrations.0007_one_key_per_normalised_key"
    )
    person = make_person(display_name="Nurlan Tokayev")
    other = make_person(display_name="Roza Musayeva", publication=m.Publication.DRAFT)
    names = [
        make_name(person, "Нұрлан Тоқаев", publication=m.Publication.DRAFT),
        make_name(person, "Нұрлан Серікұлы Тоқаев", publication=m.Publication.DRAFT),
        make_name(person, "Nurlan Serikuly Tokayev"),
        make_name(person, "Токаев Нурлан"),
        make_name(other, "Роза Мусаева"),
        make_name(other, "Musayeva Roza"),
    ]
    columns = ("person_id", "name_id", "field", "text", "key", "is_public")

    def keys():
        return sorted(SearchKey.objects.values_list(*columns), key=lambda row: row[:1] + row[2:4])

    kept = keys()
    # As keys were written before: one per written form.
    SearchKey.objects.all().delete()
    for person_ in (person, other):
        SearchKey.objects.create(
            kind="person",
            field="display_name",
            person=person_,
            text=person_.display_name,
            key=engine.normalise_name(person_.display_name),
            is_public=person_.is_public,
        )
    for name in names:
        name.refresh_from_db()
        SearchKey.objects.create(
            kind="person",
            field="name",
            person_id=name.person_id,
            name=name,
            text=name.name,
            key=engine.normalise_name(name.name),
            is_public=name.person.is_public and name.is_published,
        )
    assert SearchKey.objects.count() == 8
    with connection.cursor() as cursor:
        cursor.execute(migration.DEDUPLICATE)
    assert keys() == kept
    # Each person's display name, and the published spelling of the full name.
    assert [(row[2], row[3]) for row in kept] == [
        ("display_name", "Nurlan Tokayev"),
        ("name", "Nurlan Serikuly Tokayev"),
        ("display_name", "Roza Musayeva"),
    ]


def test_bulk_writes_are_reindexed_by_reindex_persons():
    person = make_person(display_name="Ulbolsyn Turdiyeva")
    m.Person.objects.filter(pk=person.pk).update(publication=m.Publication.DRAFT)
    reindex_persons([person.pk])
    assert person_names("Turdiyeva") == []
    assert person_names("Turdiyeva", public=False) == ["Ulbolsyn Turdiyeva"]


def test_rebuild_search_keys_rebuilds_every_key(register):
    before = set(SearchKey.objects.values_list("kind", "text", "key", "is_public"))
    SearchKey.objects.all().delete()
    call_command("rebuild_search_keys", stdout=io.StringIO())
    assert set(SearchKey.objects.values_list("kind", "text", "key", "is_public")) == before
    assert first_person("Садырбаева") == "Raigul Sadyrbayeva"


@pytest.mark.parametrize("query", ["xqzwvkpt", "Qwrtzp Vbnmkl", "zzxq", "щщщщ ыыыы"])
def test_random_letters_find_nothing(register, query):
    assert engine.search(query, public=True).hits == []
    assert engine.search(query, public=False).hits == []


@pytest.mark.parametrize("query", ["R", "р", "  a  ", "-"])
def test_a_one_letter_query_asks_for_more(register, client, query):
    results = engine.search(query, public=True)
    assert results.too_short
    assert results.hits == []
    response = client.get(reverse("search:search"), {"q": query})
    assert "Please type at least two letters" in response.content.decode()


def test_two_letters_find_names_that_start_with_them(register):
    assert set(person_names("Ra")) == {"Raigul Sadyrbayeva", "Raigul Akhmetova"}


def test_it_shows_a_person_with_other_names_status_roles_and_places(client):
    journalist = m.Role.objects.create(slug="defender", name="human rights defender")
    semey = make_place(name="Semey")
    person = make_person(display_name="Raigul Sadyrbayeva")
    person.roles.add(journalist)
    make_name(person, "Садырбаева Райгуль")
    make_name(person, "Raigul Sadyr-Kyzy", kind=m.PersonName.Kind.ALIAS)
    make_entry(person, status=m.Status.PRE_TRIAL_DETENTION)
    person.refresh_from_db()
    incident = make_incident(title="Protest monitoring in Semey")
    incident.places.add(semey)
    m.Involvement.objects.create(
        person=person,
        incident=incident,
        role=m.Involvement.Role.MONITOR,
        publication=m.Publication.PUBLISHED,
        published_at=m.timezone.now(),
    )
    response = client.get("/en/search/", {"q": "Садырбаева"})
    html = response.content.decode()
    assert response.status_code == 200
    assert f'href="{person.get_absolute_url()}"' in html
    assert "Садырбаева Райгуль" in html  # other names
    assert "matched:" not in html  # the display name has the same key
    assert "pre-trial detention" in html
    assert f"began on {person.latest_public_entry.date_display}" in html
    assert "human rights defender" in html
    assert "Semey" in html
    html = client.get("/en/search/", {"q": "kyzy"}).content.decode()
    assert "matched: Raigul Sadyr-Kyzy" in html


def test_each_entry_shows_its_own_status_and_escapes_every_value(client):
    """Entries share their labels and written statuses within a page, never each other's."""
    same_day = datetime.date(2022, 1, 6)
    cases = [
        ("Yerlan <b>Bold</b>", m.Status.DETAINED, same_day, "day"),
        ("Yerlan Second", m.Status.DETAINED, same_day, "day"),
        ("Yerlan Third", m.Status.DETAINED, datetime.date(2022, 1, 1), "month"),
        ("Yerlan Fourth", m.Status.RELEASED, same_day, "day"),
        ("Yerlan Undated", m.Status.DETAINED, None, ""),
    ]
    for name, status, day, precision in cases:
        person = make_person(display_name=name, is_unnamed=name.endswith("Third"))
        make_entry(person, status=status, occurred_on=day, occurred_precision=precision)
    html = client.get("/en/search/", {"q": "Yerlan"}).content.decode()
    entries = {
        entry.split("</a>")[0].split(">")[-1]: entry
        for entry in html.split('<li class="search-person">')[1:]
    }
    assert "<b>Bold</b>" not in html
    bold = entries["Yerlan &lt;b&gt;Bold&lt;/b&gt;"]
    assert "Current status: detained, began on Jan. 6, 2022</p>" in bold
    assert "Current status: detained, began on Jan. 6, 2022</p>" in entries["Yerlan Second"]
    assert "Current status: detained, began on January 2022</p>" in entries["Yerlan Third"]
    assert "Current status: released, began on Jan. 6, 2022</p>" in entries["Yerlan Fourth"]
    assert "Current status: detained</p>" in entries["Yerlan Undated"]
    assert "badge-unnamed" in entries["Yerlan Third"]
    assert "badge-unnamed" not in entries["Yerlan Second"]


def test_the_search_page_shows_only_public_fields(client):
    person = make_person(display_name="Aliya Isenova", private_notes="Secret-marker-XYZ")
    make_name(person, "Alia Isenova Hidden-Marker", publication=m.Publication.DRAFT)
    make_entry(person, status=m.Status.DETAINED, note="entry-marker", publication="draft")
    html = client.get("/en/search/", {"q": "Isenova"}).content.decode()
    assert "Aliya Isenova" in html
    for marker in ["Secret-marker", "Hidden-Marker", "detained", "entry-marker"]:
        assert marker not in html


def test_the_search_page_pages_through_results(client):
    for i in range(25):
        make_person(display_name=f"Askar Nurlanov{chr(97 + i)}")
    first = client.get("/en/search/", {"q": "Askar"}).content.decode()
    assert first.count('class="search-person"') == 20
    assert 'rel="next"' in first and 'rel="prev"' not in first
    second = client.get("/en/search/", {"q": "Askar", "page": "2"}).content.decode()
    assert second.count('class="search-person"') == 5
    assert 'rel="next"' not in second and 'rel="prev"' in second


def test_the_search_page_runs_a_fixed_number_of_queries(client, django_assert_num_queries):
    role = m.Role.objects.create(slug="activist", name="activist")
    zhanaozen = make_place(name="Zhanaozen")
    incident = make_incident(title="Zhanaozen protest")
    incident.places.add(zhanaozen)
    for i in range(12):
        person = make_person(display_name=f"Zhanaozen Person{chr(97 + i)}")
        person.roles.add(role)
        make_name(person, f"Жаңаөзен Персон{i}")
        make_entry(person)
        m.Involvement.objects.create(
            person=person,
            incident=incident,
            role=m.Involvement.Role.DETAINED,
            publication=m.Publication.PUBLISHED,
            published_at=m.timezone.now(),
        )
        m.Detention.objects.create(
            person=person,
            kind=m.Detention.Kind.POLICE_CUSTODY,
            place=zhanaozen,
            publication=m.Publication.PUBLISHED,
            published_at=m.timezone.now(),
        )
    # 1 candidate keys through the FTS5 trigram table on SQLite; on PostgreSQL two, however many
    #   keys hold the words: the query's similar words in the vocabulary, then one statement for
    #   the keys holding the words exactly and those holding the similar words
    # 2 the public persons of the page, with their latest public status entry
    # 3 their published names, 4 their roles, 5 their public detentions' places and facilities,
    # 6 the published places of the public incidents they are involved in
    # 7 the places found, 8 the incidents found
    with django_assert_num_queries(9 if connection.vendor == "postgresql" else 8):
        response = client.get("/en/search/", {"q": "Жанаозен"})
    assert response.status_code == 200
    page = response.content.decode()
    assert page.count('class="search-person"') == 12
    # What each person's entry shows came through those queries, not one query per person.
    assert page.count("Roles: activist") == 12
    assert page.count("Places: Zhanaozen</p>") == 12
    assert "Also written: Жаңаөзен Персон0</p>" in page


def test_a_search_entry_shows_only_public_names_roles_and_places(client):
    """The extras under each person come as plain rows: each keeps the publication rules."""
    draft = {"publication": m.Publication.DRAFT}
    person = make_person(display_name="Zhanbolat Issayev")
    make_name(person, "Жанболат Исаев")
    make_name(person, "Zhanbolat Secretname", **draft)
    shown_city = make_place(name="Taraz")
    draft_city = make_place(name="Hiddenville", **draft)
    draft_facility = make_place(name="Secret SIZO", kind=m.Place.Kind.FACILITY, **draft)
    m.Detention.objects.create(
        person=person,
        kind=m.Detention.Kind.POLICE_CUSTODY,
        place=shown_city,
        facility=draft_facility,
        publication=m.Publication.PUBLISHED,
        published_at=m.timezone.now(),
    )
    m.Detention.objects.create(
        person=person, kind=m.Detention.Kind.POLICE_CUSTODY, place=draft_city, **draft
    )
    public_incident = make_incident(title="Taraz rally")
    public_incident.places.add(make_place(name="Shu"), make_place(name="Undisclosed", **draft))
    draft_incident = make_incident(title="Unreported raid", **draft)
    draft_incident.places.add(make_place(name="Raidtown"))
    for incident in (public_incident, draft_incident):
        m.Involvement.objects.create(
            person=person,
            incident=incident,
            role=m.Involvement.Role.DETAINED,
            publication=m.Publication.PUBLISHED,
            published_at=m.timezone.now(),
        )

    page = client.get("/en/search/", {"q": "Zhanbolat Issayev"}).content.decode()

    assert "Also written: Жанболат Исаев</p>" in page
    assert "Places: Taraz, Shu</p>" in page
    for private in ("Secretname", "Hiddenville", "Secret SIZO", "Undisclosed", "Raidtown"):
        assert private not in page
    # Staff search sees every name and place.
    staff = engine.search("Zhanbolat Issayev", public=False).persons[0].obj
    assert "Zhanbolat Secretname" in staff.search_other_names
    assert {"Secret SIZO", "Hiddenville", "Undisclosed", "Raidtown"} <= set(
        staff.search_place_names
    )


def test_an_empty_query_shows_the_form_and_runs_no_query(client, django_assert_num_queries):
    with django_assert_num_queries(0):
        response = client.get("/en/search/")
    assert 'name="q"' in response.content.decode()


def test_staff_admin_search_uses_the_engine():
    person = make_person(display_name="Kassym-Jomart Tokayev", publication=m.Publication.DRAFT)
    make_person(display_name="Alikhan Smailov")

    class PersonSearchAdmin(NameSearchAdminMixin, admin.ModelAdmin):
        search_fields = ["display_name"]

    model_admin = PersonSearchAdmin(m.Person, admin.site)
    request = RequestFactory().get("/admin/cases/person/", {"q": "Тоқаев"})
    queryset, may_have_duplicates = model_admin.get_search_results(
        request, m.Person.objects.all(), "Тоқаев"
    )
    assert list(queryset) == [person]
    assert may_have_duplicates is False
    queryset, _ = model_admin.get_search_results(request, m.Person.objects.all(), "T")
    assert list(queryset) == []


@pytest.mark.postgres
def test_typos_still_find_the_person_on_postgresql(register):
    assert first_person("Sadyrbaeca") == "Raigul Sadyrbayeva"
    assert first_person("Mendygazeiv Bekizan") == "Bekizhan Mendygaziyev"


@pytest.mark.postgres
@pytest.mark.parametrize("query", ["Tokayev", "Тоқаев", "kas tok"])
@pytest.mark.parametrize(
    ("public", "index"), [(True, "searchkey_public_words"), (False, "searchkey_key_words")]
)
def test_every_candidate_query_uses_its_gin_index(register, query, public, index):
    with connection.cursor() as cursor:
        cursor.execute("SET LOCAL enable_seqscan = off")
        sql, params = engine.candidate_query(engine.query_words(query), public=public, kinds=None)
        cursor.execute("EXPLAIN " + sql, params)
        plan = "\n".join(row[0] for row in cursor.fetchall())
    # Every step through the index (exact words, then near misses; "kas tok" also the keys
    # holding each word's best near miss); the public search through the index of public keys.
    steps = plan.count("Bitmap Heap Scan on search_searchkey")
    assert steps == (3 if query == "kas tok" else 2), plan
    assert plan.count(f"Bitmap Index Scan on {index} ") == steps, plan
    assert "Seq Scan on search_searchkey" not in plan, plan


def _executed_steps(query: str) -> list[str]:
    """The candidate statement's plan, run: each step's index scan, and whether it ran (the
    index forced, as a large register's planner would choose it over a handful of rows)."""
    sql, params = engine.candidate_query(engine.query_words(query), public=True, kinds=None)
    with connection.cursor() as cursor:
        cursor.execute("SET LOCAL enable_seqscan = off")
        cursor.execute("EXPLAIN (ANALYZE, COSTS OFF, TIMING OFF) " + sql, params)
        plan = [row[0] for row in cursor.fetchall()]
    return [line for line in plan if "Bitmap Index Scan" in line]


@pytest.mark.postgres
def test_the_near_miss_step_runs_only_when_the_exact_words_are_too_few(
    register, monkeypatch, django_assert_num_queries
):
    make_person(display_name="Raigul Sadyrbayevna")  # a near miss of Raigul Sadyrbayeva
    # One key holds both words exactly (her display name; her Cyrillic name normalises alike):
    # too few for a limit of two, so the near misses are looked up too; a limit of one is filled.
    monkeypatch.setattr(engine, "CANDIDATE_LIMIT", 2)
    steps = _executed_steps("Raigul Sadyrbayeva")
    assert len(steps) == 2 and not any("never executed" in line for line in steps), steps
    with django_assert_num_queries(2):
        names = {hit.matched for hit in engine.rank("Raigul Sadyrbayeva", public=True)}
    assert names == {"Raigul Sadyrbayeva", "Raigul Sadyrbayevna"}

    monkeypatch.setattr(engine, "CANDIDATE_LIMIT", 1)
    steps = _executed_steps("Raigul Sadyrbayeva")
    assert "never executed" not in steps[0] and "never executed" in steps[1], steps
    with django_assert_num_queries(2):  # the same number of queries, however many keys match
        names = {hit.matched for hit in engine.rank("Raigul Sadyrbayeva", public=True)}
    assert names == {"Raigul Sadyrbayeva"}  # her key; the near miss was not read


@pytest.mark.postgres
def test_the_likeliest_near_miss_is_read_before_the_others(db, monkeypatch):
    """A half-typed name's keys come first for the word it most likely is, so that where more
    than CANDIDATE_LIMIT keys hold some ending of it, those ranked hold the likeliest."""
    make_person(display_name="Aigerim Sarsenbayeva")  # first in the table, first in the index
    make_person(display_name="Nurlan Sarsenbayev")
    (prefix,) = engine.query_words("Sarsenb")
    words = engine.similar_words([prefix])[prefix]
    (likeliest,) = engine.query_words("Sarsenbayev")
    assert words[0] == likeliest, words  # both begin with it; the shorter is more similar
    monkeypatch.setattr(engine, "CANDIDATE_LIMIT", 1)
    assert person_names("Sarsenb") == ["Nurlan Sarsenbayev"]
    monkeypatch.setattr(engine, "CANDIDATE_LIMIT", 500)
    assert person_names("Sarsenb") == ["Nurlan Sarsenbayev", "Aigerim Sarsenbayeva"]


@pytest.mark.sqlite
def test_sqlite_keeps_the_fts5_trigram_table_in_step(register):
    with connection.cursor() as cursor:
        cursor.execute("SELECT sql FROM sqlite_master WHERE name = 'search_searchkey_fts'")
        assert "trigram" in cursor.fetchone()[0]
        cursor.execute(
            "SELECT count(*) FROM search_searchkey_fts WHERE search_searchkey_fts MATCH ?",
            ['"sadirbaeva"'],
        )
        # One key: her Latin and Cyrillic names normalise alike.
        assert cursor.fetchone()[0] == SearchKey.objects.filter(key__contains="sadirbaeva").count()
        assert SearchKey.objects.filter(key__contains="sadirbaeva").count() == 1
    m.Person.objects.filter(display_name="Raigul Sadyrbayeva").delete()
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT count(*) FROM search_searchkey_fts WHERE search_searchkey_fts MATCH ?",
            ['"sadirbaeva"'],
        )
        assert cursor.fetchone()[0] == 0


@pytest.mark.sqlite
def test_sqlite_finds_names_by_letters_inside_them(register):
    assert first_person("lyazov") == "Mukhtar Ablyazov"


@pytest.mark.sqlite
def test_sqlite_without_the_trigram_tokenizer_falls_back_to_token_prefixes(register, monkeypatch):
    from casetracker.search import backends

    monkeypatch.setattr(backends, "sqlite_has_trigram", lambda: False)
    backends.install(connection)  # rolled back with the test
    assert first_person("Садырбаева") == "Raigul Sadyrbayeva"
    assert first_person("rai sad") == "Raigul Sadyrbayeva"
    assert first_person("Mendygaziev Bekizhan") == "Bekizhan Mendygaziyev"
    assert engine.search("xqzwvkpt", public=True).hits == []


def test_a_name_moved_to_another_person_is_found_through_that_person_only():
    kept = make_person(display_name="Dana Zhanay")
    other = make_person(display_name="Dana Zhanai")
    name = make_name(other, "Дана Ерланқызы Жанай")  # a key of its own
    name.person = kept
    name.save()
    other.merged_into = kept
    other.save()
    assert list(SearchKey.objects.filter(name=name).values_list("person_id", flat=True)) == [
        kept.pk
    ]
    assert person_names("Дана Ерланқызы Жанай") == ["Dana Zhanay"]


def test_search_results_label_demo_records(client):
    make_person(display_name="Demo Aigerim", is_demo=True)
    page = client.get("/en/search/", {"q": "Demo Aigerim"}).content.decode()
    assert "Demo Aigerim" in page and "demo data" in page


@pytest.mark.postgres
def test_the_vocabulary_follows_every_key_write_even_by_raw_sql(db):
    """Triggers, not Python, keep search_searchword in step: a writer cannot forget it."""
    from casetracker.search.models import SearchWord

    person = make_person(display_name="Bolat Vocabularytest")
    words = engine.query_words("Bolat Vocabularytest")
    assert SearchWord.objects.filter(word__in=words).count() == 2
    with connection.cursor() as cursor:
        cursor.execute(
            "UPDATE search_searchkey SET key = 'bolat renamedvocab' WHERE person_id = %s",
            [person.pk],
        )
    assert SearchWord.objects.filter(word="renamedvocab").exists()


@pytest.mark.postgres
def test_numbers_stay_out_of_the_vocabulary_and_are_still_found_exactly(db):
    from casetracker.search.models import SearchWord

    make_incident(title="Zhanaozen rally no. 901")
    (rally,) = engine.query_words("rally")  # as normalised in the keys
    assert SearchWord.objects.filter(word=rally).exists()
    assert not SearchWord.objects.filter(word="901").exists()
    results = engine.search("rally 901", public=True)
    assert [hit.obj.title for hit in results.incidents] == ["Zhanaozen rally no. 901"]


@pytest.mark.postgres
def test_near_misses_come_from_similar_words_of_the_vocabulary(db):
    make_person(display_name="Bekizhan Mendygaziyev")
    make_person(display_name="Aigerim Sarsenbayeva")
    # Each word normalised alone: a key's words are sorted, so a query's order is not kept.
    ((typo,), (typo2,), (prefix,)) = map(engine.query_words, ["Mendygazeiv", "Bekizan", "Sarsenb"])
    words = engine.similar_words([typo, typo2, prefix])
    (surname,) = engine.query_words("Mendygaziyev")
    (given,) = engine.query_words("Bekizhan")
    (full,) = engine.query_words("Sarsenbayeva")
    assert surname in words[typo]
    assert given in words[typo2]
    assert full in words[prefix]  # a half-typed name: a prefix
    assert first_person("Mendygazeiv Bekizan") == "Bekizhan Mendygaziyev"
