"""Search over the seeded motion B9-0072/2022: the names as the source writes them, found however
a relative or a journalist types them. Runs on both databases."""

import pytest

from casetracker.cases.seeding import load_motion
from casetracker.search import engine

pytestmark = pytest.mark.django_db

# (query, the persons expected among the first results, how many first results to look at)
EXPECTED_PERSONS = [
    ("Садырбаева", {"Raigul Sadyrbayeva"}, 1),
    ("Sadyrbaeva Raigul", {"Raigul Sadyrbayeva"}, 1),
    ("Mendygaziev Bekizhan", {"Bekizhan Mendygaziyev"}, 1),
    ("Мендыгазиев", {"Bekizhan Mendygaziyev", "Barlyk Mendygaziyev"}, 2),
    ("ablyaz", {"Mukhtar Ablyazov"}, 1),
    ("Аблязов", {"Mukhtar Ablyazov"}, 1),
    ("Хасенов", {"Daryn Khassenov", "Daniyar Khassenov"}, 2),
    ("Тоқаев", {"Kassym-Jomart Tokayev"}, 1),
    ("Касым-Жомарт Токаев", {"Kassym-Jomart Tokayev"}, 1),
    ("Назарбаев", {"Nursultan Nazarbayev"}, 1),
    ("Джусупов", {"Baurzhan Jussupov"}, 1),
    ("Zhusupov Baurzhan", {"Baurzhan Jussupov"}, 1),
    ("Ержан Ельшибаев", {"Yerzhan Yelshibayev"}, 1),
    ("Tleuliev", {"Zamanbek Tleuliyev"}, 1),
    ("Параскевич", {"Tatyana Paraskevich"}, 1),
    ("Ахмедияров Лукпан", {"Lukpan Akhmediyarov"}, 1),
    ("Семёнова", {"Elena Semenova"}, 1),
    ("Ruzahunov", {"Vikram Ruzakhunov"}, 1),
    ("Қайырбек Асқар", {"Askar Kayyrbek"}, 1),
    ("Amanbike Hairolla", {"Amanbike Khairolla"}, 1),
    ("Иманғалиева", {"Bibigul Imangaliyeva"}, 1),
    ("Dauletiyarova", {"Nataliya Dauletiyarova"}, 1),
    ("turdieva", {"Ulbolsyn Turdiyeva"}, 1),
    ("Шукеева Анна", {"Anna Shukeyeva"}, 1),
    ("Mukhambetova", {"Saule Mukhambetova"}, 1),
    ("nursul", {"Nursultan Nazarbayev"}, 1),
    ("nurbol seit", {"Nurbolat Seitkulov"}, 1),
    ("Сейткулов", {"Nurbolat Seitkulov"}, 1),
]


@pytest.fixture
def motion():
    load_motion()


def test_the_table_of_queries_finds_the_expected_persons_first(motion):
    misses = []
    for query, expected, within in EXPECTED_PERSONS:
        found = [hit.obj.display_name for hit in engine.search(query, public=True).persons]
        if not expected <= set(found[:within]):
            misses.append((query, expected, found[:within]))
    assert misses == []


def test_zhanaozen_in_cyrillic_finds_the_place_and_its_events(motion):
    results = engine.search("Жанаозен", public=True)
    assert [hit.obj.name for hit in results.places] == ["Zhanaozen"]
    assert "Events in Zhanaozen in 2011" in {hit.obj.title for hit in results.incidents}


def test_seeded_keys_are_public_and_cover_every_name(motion):
    from casetracker.cases.models import Person, PersonName
    from casetracker.search.models import SearchKey
    from casetracker.search.normalise import normalise_name

    assert not SearchKey.objects.filter(is_public=False, field="name").exists()
    # Every name's key, public, kept once per person (names that normalise alike share one).
    indexed = set(SearchKey.objects.filter(is_public=True).values_list("person_id", "key"))
    names = {(n.person_id, normalise_name(n.name)) for n in PersonName.objects.all()}
    assert names <= indexed
    displays = {(p.pk, normalise_name(p.display_name)) for p in Person.objects.all()}
    keys = SearchKey.objects.filter(kind="person").exclude(field="private_notes")
    assert set(keys.values_list("person_id", "key")) == names | displays
    assert keys.count() == len(names | displays)
    display_names = SearchKey.objects.filter(kind="person", field="display_name")
    assert display_names.count() == Person.objects.count()


def test_random_letters_find_nothing_in_the_motion(motion):
    for query in ["xqzwvkpt", "Qwrtzp", "zzxq vbnm"]:
        assert engine.search(query, public=True).hits == [], query
