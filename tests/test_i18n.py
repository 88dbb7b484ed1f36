"""The public site in Russian and Kazakh: every page of the seeded motion rendered in `ru` and
`kk` shows none of the English interface strings, the Kazakh pages are Kazakh rather than
Russian, the catalogues are complete, and dates use Kazakh month names.

The English interface strings of a page are the msgids of our catalogue that its English
rendering shows; case data (names, titles, quotes, notes: shown as recorded in every language)
is taken out of each rendering before looking, so an English quote cannot pass for interface.
"""

import datetime
import gettext
import re
from html.parser import HTMLParser
from pathlib import Path

import pytest
from django.conf import settings
from django.db import models as db_models
from django.db import transaction
from django.utils import formats, translation

from casetracker.cases import models as m
from casetracker.cases.seeding import load_motion

pytestmark = pytest.mark.django_db

LOCALE = Path(settings.BASE_DIR) / "locale"
KAZAKH_LETTERS = set("әғқңөұүһіӘҒҚҢӨҰҮҺІ")
KAZAKH_MONTHS = [
    *("қаңтар", "ақпан", "наурыз", "сәуір", "мамыр", "маусым"),
    *("шілде", "тамыз", "қыркүйек", "қазан", "қараша", "желтоқсан"),
]


# A tiny .po reader: enough for our catalogues (no new dependency).


def read_po(path: Path) -> list[dict]:
    entries, entry, field = [], None, None
    for line in [*path.read_text(encoding="utf-8").splitlines(), ""]:
        if not line.strip():
            if entry and entry.get("msgid") is not None:
                entries.append(entry)
            entry, field = None, None
            continue
        entry = entry or {"flags": [], "msgstr": {}, "msgctxt": None, "msgid_plural": None}
        if line.startswith("#,"):
            entry["flags"] += [flag.strip() for flag in line[2:].split(",")]
        elif line.startswith("#"):
            continue
        elif line.startswith('"'):
            text = _unquote(line)
            if field[0] == "msgstr":
                entry["msgstr"][field[1]] += text
            else:
                entry[field[0]] += text
        else:
            keyword, _space, rest = line.partition(" ")
            if keyword.startswith("msgstr["):
                field = ("msgstr", int(keyword[7:-1]))
                entry["msgstr"][field[1]] = _unquote(rest)
            elif keyword == "msgstr":
                field = ("msgstr", 0)
                entry["msgstr"][0] = _unquote(rest)
            else:
                field = (keyword,)
                entry[keyword] = _unquote(rest)
    return entries


def _unquote(text: str) -> str:
    return text.strip()[1:-1].encode("latin-1", "backslashreplace").decode("unicode_escape")


def catalogue(lang: str) -> list[dict]:
    return read_po(LOCALE / lang / "LC_MESSAGES" / "django.po")


# Page text


class _Text(HTMLParser):
    """Visible text and labels of a page; text marked as another language (the language links)
    is left out: it is not this page's interface."""

    LABELS = ("aria-label", "title", "placeholder", "alt")
    VOID = {"meta", "link", "input", "br", "img", "hr", "source", "area", "col", "wbr"}

    def __init__(self, lang: str):
        super().__init__()
        self.lang, self.chunks, self.stack = lang, [], []

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        foreign = attrs.get("lang") not in (None, self.lang) or tag in ("script", "style")
        if tag not in self.VOID:
            self.stack.append(foreign)
        if not any(self.stack) and not foreign:
            self.chunks += [attrs[a] for a in self.LABELS if attrs.get(a)]
            if tag == "option" or attrs.get("type") == "submit":
                self.chunks.append("\n")

    def handle_endtag(self, tag):
        if tag not in self.VOID and self.stack:
            self.stack.pop()

    def handle_data(self, data):
        if not any(self.stack) and data.strip():
            self.chunks.append(data.strip())


def page_text(html: str, lang: str) -> str:
    parser = _Text(lang)
    parser.feed(html)
    return "\n".join(parser.chunks)


def case_data() -> list[str]:
    """Every text stored in the register, longest first: shown as recorded in any language."""
    texts = set()
    for model in (
        m.Person,
        m.PersonName,
        m.Place,
        m.Organisation,
        m.Source,
        m.Role,
        m.Incident,
        m.Figure,
        m.Involvement,
        m.Detention,
        m.Charge,
        m.StatusEntry,
        m.Relationship,
        m.Affiliation,
        m.Intervention,
        m.Citation,
    ):
        fields = [
            f.name
            for f in model._meta.concrete_fields
            if isinstance(f, db_models.CharField | db_models.TextField) and not f.choices
        ]
        for row in model.objects.values_list(*fields):
            texts.update(t.strip() for t in row if t and len(t.strip()) >= 4)
    texts.update(str(source) for source in m.Source.objects.all())
    return sorted(texts, key=len, reverse=True)


def without_case_data(text: str, data: list[str]) -> str:
    for value in data:
        text = text.replace(value, "\n")
    return text


def interface_patterns(lang: str) -> dict[str, re.Pattern]:
    """The English msgids of our catalogue as patterns, each literal part of a msgid with
    placeholders standing for it; those whose translation is the same word (the name
    Casetracker) are left out."""
    patterns = {}
    for entry in catalogue(lang):
        msgid, msgstr = entry["msgid"], entry["msgstr"].get(0, "")
        if not msgid or msgid == msgstr or entry["msgctxt"]:
            continue
        literal = max(re.split(r"%\(\w+\)[sdr]|%s|%d", msgid), key=len).strip(" :,.")
        if len(literal) < 4:
            continue
        for variant in {literal, literal[0].upper() + literal[1:]}:
            patterns[variant] = re.compile(r"(?<!\w)" + re.escape(variant) + r"(?!\w)")
    return patterns


# The seeded motion, loaded once for the module and rolled back after it.


@pytest.fixture(scope="module")
def motion(django_db_setup, django_db_blocker):
    with django_db_blocker.unblock(), transaction.atomic():
        load_motion()
        yield
        transaction.set_rollback(True)


@pytest.fixture
def pages(motion):
    person = m.Person.objects.public().get(display_name="Raigul Sadyrbayeva")
    incident = m.Incident.objects.public().filter(involvements__isnull=False).first()
    return {
        "home": "",
        "search": "search/?q=Садырбаева",
        "person": f"people/{person.public_id}/",
        "incident": f"incidents/{incident.public_id}/",
        "person list": "people/?status=pre_trial_detention&ordering=-name",
        "incident list": "incidents/?ordering=-date",
        "figures": "figures/?as_of=2022-01-18",
        "not found": "people/no-such-person/",
    }


def render(client, lang: str, path: str) -> str:
    response = client.get(f"/{lang}/{path}")
    assert response.status_code in (200, 404), (lang, path, response.status_code)
    return response.content.decode()


PAGES = ["home", "search", "person", "incident", "person list", "incident list", "figures"]


@pytest.mark.parametrize("page", [*PAGES, "not found"])
@pytest.mark.parametrize("lang", ["ru", "kk"])
def test_no_english_interface_string_shows_on_a_translated_page(client, pages, page, lang):
    data = case_data()
    patterns = interface_patterns(lang)
    english = without_case_data(page_text(render(client, "en", pages[page]), "en"), data)
    shown_in_english = {s for s, pattern in patterns.items() if pattern.search(english)}
    assert len(shown_in_english) >= 5, shown_in_english  # the page does show its interface

    translated = without_case_data(page_text(render(client, lang, pages[page]), lang), data)
    leaked = {s for s in shown_in_english if patterns[s].search(translated)}
    assert leaked == set()


@pytest.mark.parametrize("page", [*PAGES, "not found"])
def test_kazakh_pages_are_kazakh_not_russian(client, pages, page):
    data = case_data()
    russian = without_case_data(page_text(render(client, "ru", pages[page]), "ru"), data)
    kazakh = without_case_data(page_text(render(client, "kk", pages[page]), "kk"), data)
    assert kazakh != russian
    assert KAZAKH_LETTERS & set(kazakh)
    assert not KAZAKH_LETTERS & set(russian)
    # Most interface lines of the Kazakh page are not the Russian page's lines.
    kazakh_lines = {line for line in kazakh.splitlines() if re.search("[а-яё]{3,}", line, re.I)}
    shared = kazakh_lines & set(russian.splitlines())
    assert len(shared) <= len(kazakh_lines) // 10, shared


@pytest.mark.parametrize("lang", ["ru", "kk"])
def test_feed_titles_are_translated(client, pages, lang):
    site_feed = client.get(f"/{lang}/feeds/updates/").content.decode()
    person_feed = client.get(f"/{lang}/{pages['person']}feed/").content.decode()
    for feed, english in (
        (site_feed, "Casetracker: published status changes"),
        (person_feed, "Raigul Sadyrbayeva: published status changes"),
    ):
        title = re.search(r"<title>(.*?)</title>", feed).group(1)
        subtitle = re.search(r"<subtitle>(.*?)</subtitle>", feed).group(1)
        assert title != english and "published" not in title
        assert "published" not in subtitle and "turn of" not in subtitle
    if lang == "kk":
        assert "Raigul Sadyrbayeva: жарияланған мәртебе өзгерістері" in person_feed


def test_the_language_switch_and_sort_menu_speak_kazakh(client, pages):
    html = render(client, "kk", pages["person list"])
    assert "Есімі (кему ретімен)" in html  # django-filter's "(descending)", formatted per request
    assert "Кез келген" in html  # "Any"
    assert "Сүзгі" in html


@pytest.mark.parametrize("lang", ["ru", "kk"])
def test_the_catalogue_has_no_untranslated_or_fuzzy_entry(lang):
    entries = catalogue(lang)
    plurals = {"ru": 4, "kk": 2}[lang]
    assert f"nplurals={plurals};" in entries[0]["msgstr"][0]
    assert len(entries) > 500
    body = entries[1:]
    assert [e["msgid"] for e in body if "fuzzy" in e["flags"]] == []
    assert [e["msgid"] for e in body if not all(e["msgstr"].values())] == []
    assert [e["msgid"] for e in body if e["msgid_plural"] and len(e["msgstr"]) != plurals] == []
    assert "fuzzy" not in entries[0]["flags"]


@pytest.mark.parametrize("lang", ["ru", "kk"])
def test_the_compiled_catalogue_matches_its_source(lang):
    """The .mo files are committed, so CI needs no gettext: they must be compiled from the .po."""
    with (LOCALE / lang / "LC_MESSAGES" / "django.mo").open("rb") as mo:
        compiled = gettext.GNUTranslations(mo)
    stale = []
    for entry in catalogue(lang)[1:]:
        msgid = entry["msgid"]
        if entry["msgctxt"]:
            msgid = f"{entry['msgctxt']}\x04{msgid}"
        key = (msgid, 0) if entry["msgid_plural"] else msgid
        if compiled._catalog.get(key) != entry["msgstr"][0]:
            stale.append(entry["msgid"])
    assert stale == []


def test_kazakh_date_formats_use_kazakh_month_names():
    day = datetime.date(2022, 1, 18)
    with translation.override("kk"):
        assert formats.date_format(day, "DATE_FORMAT") == "2022 жылғы 18 қаңтар"
        assert formats.date_format(day, "YEAR_MONTH_FORMAT") == "2022 жылғы қаңтар"
        assert formats.date_format(day.replace(month=9), "MONTH_DAY_FORMAT") == "18 қыркүйек"
        assert formats.date_format(day, "SHORT_DATE_FORMAT") == "18.01.2022"
    with translation.override("ru"):
        assert formats.date_format(day, "DATE_FORMAT") == "18 января 2022 г."


def test_a_status_date_renders_with_a_kazakh_month_name(client, pages):
    text = page_text(render(client, "kk", pages["person"]), "kk")
    months = "|".join(KAZAKH_MONTHS)
    assert re.search(rf"\d{{4}} жылғы \d{{1,2}} ({months})", text)
    assert "January" not in without_case_data(text, case_data())


@pytest.mark.django_db
def test_seeded_role_names_read_in_the_readers_language(client):
    from casetracker.cases import models as m

    from .factories import make_person

    role, _ = m.Role.objects.get_or_create(
        slug="human-rights-defender", defaults={"name": "Human rights defender"}
    )
    person = make_person()
    person.roles.add(role)
    expected = {"en": "Human rights defender", "ru": "Правозащитник", "kk": "Құқық қорғаушы"}
    for language, name in expected.items():
        url = f"/{language}/people/{person.public_id}/"
        assert name in client.get(url).content.decode(), language


def test_choice_labels_read_in_the_readers_language_and_unknown_values_as_they_are():
    """Record._get_FIELD_display translates only the label it shows; it must answer as
    Django's own does: the label in the active language, an unknown value unchanged."""
    person = m.Person(public_status=m.Status.DETAINED, consent=m.Consent.PUBLIC_SOURCE)
    with translation.override("ru"):
        assert person.get_public_status_display() == str(m.Status.DETAINED.label)
        assert person.get_public_status_display() != "detained"
    with translation.override("en"):
        assert person.get_public_status_display() == "detained"
    person.public_status = "no_such_status"
    assert person.get_public_status_display() == "no_such_status"
    person.public_status = ""
    assert person.get_public_status_display() == ""
