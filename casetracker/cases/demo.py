"""Demo data at scale: a synthetic register for trying the site and for the benchmarks (bench/).

`generate(persons=N, seed=S)` writes N persons with Kazakh and Russian names in Cyrillic and in
several Latin transliterations, detentions, charges, status timelines (a few of 200 entries),
incidents, places, sources and citations; a share of it unpublished, withheld from publication
or at high risk. The same seed gives the same register.

Exempt from per-user history, like the motion's seed load: rows are written in bulk (PostgreSQL's
COPY, SQLite's executemany), bypassing `save()`, signals and django-simple-history, so no history
row is created for demo data. What those paths would have derived is written with the rows:
`StatusEntry.position` and `occurred_by`, and each person's status columns, in the order
`casetracker.cases.status.recompute_status` gives (the generator dates each entry after the
period of the previous one, so their order is their date order; tests/test_demo_data.py checks it
against recompute_status), and the search keys, built by `casetracker.search.indexing`'s own
`person_keys` / `place_keys` / `incident_keys`.

Every demo person, incident and status entry has `is_demo`; demo places and sources, which have no
such field, carry `DEMO_MARK` in their name and reference. `remove()` deletes all of it, and only
it.
"""

import datetime
import functools
import io
import random
from collections.abc import Callable, Iterable

from django.core.management.color import no_style
from django.db import connections, models, transaction

from casetracker.public import tallies
from casetracker.search.indexing import preference
from casetracker.search.models import SearchKey
from casetracker.search.normalise import normalise_name

from . import models as m
from .dates import DateKind, DatePrecision, period_end

DEMO_MARK = "(demo)"
SOURCE_REFERENCE_PREFIX = "DEMO-"
BATCH_PERSONS = 2000
# Every LONG_TIMELINE_EVERY-th person (from the 8th) has a timeline of LONG_TIMELINE entries, so a
# benchmark can load the page of a person with a long history at any size.
LONG_TIMELINE = 200
LONG_TIMELINE_EVERY = 5000
EPOCH = datetime.date(2022, 1, 2)

# Names: (Cyrillic, sex) where sex is "m", "f" or "" for both.
KAZAKH_GIVEN = [
    ("Нұрлан", "m"),
    ("Ерлан", "m"),
    ("Асқар", "m"),
    ("Жәнібек", "m"),
    ("Ғалымжан", "m"),
    ("Бауыржан", "m"),
    ("Дәурен", "m"),
    ("Серік", "m"),
    ("Қайрат", "m"),
    ("Мұхтар", "m"),
    ("Әлихан", "m"),
    ("Дархан", "m"),
    ("Ержан", "m"),
    ("Талғат", "m"),
    ("Жасұлан", "m"),
    ("Айгүл", "f"),
    ("Әсем", "f"),
    ("Гүлнар", "f"),
    ("Жанар", "f"),
    ("Динара", "f"),
    ("Ақмарал", "f"),
    ("Салтанат", "f"),
    ("Мөлдір", "f"),
    ("Ұлжан", "f"),
    ("Айнұр", "f"),
    ("Шолпан", "f"),
    ("Гүлжан", "f"),
    ("Жаңыл", "f"),
    ("Жаңабек", "m"),
    ("Зәуре", "f"),
    ("Інкәр", "f"),
    ("Һадиша", "f"),
]
KAZAKH_SURNAMES = [
    "Тоқаев",
    "Нұрбаев",
    "Әбдірахманов",
    "Жақсылықов",
    "Сәрсенбаев",
    "Құнанбаев",
    "Омаров",
    "Серікбаев",
    "Ғабдуллин",
    "Өтебаев",
    "Ұзақбаев",
    "Үсенов",
    "Ізбасаров",
    "Қасымов",
    "Жұмабаев",
    "Дүйсенов",
    "Бекмұхамедов",
    "Ахметов",
    "Сүлейменов",
    "Қожахметов",
    "Мұқанов",
    "Байжанов",
    "Төлегенов",
    "Жаңабаев",
    "Һашимов",
    "Шәріпов",
    "Есенғалиев",
    "Нұрғалиев",
    "Әлиев",
    "Тұрсынбаев",
]
RUSSIAN_GIVEN = [
    ("Александр", "m"),
    ("Дмитрий", "m"),
    ("Сергей", "m"),
    ("Андрей", "m"),
    ("Алексей", "m"),
    ("Михаил", "m"),
    ("Юрий", "m"),
    ("Николай", "m"),
    ("Евгений", "m"),
    ("Владимир", "m"),
    ("Елена", "f"),
    ("Ольга", "f"),
    ("Наталья", "f"),
    ("Татьяна", "f"),
    ("Юлия", "f"),
    ("Екатерина", "f"),
    ("Ирина", "f"),
    ("Светлана", "f"),
    ("Ксения", "f"),
    ("Жанна", "f"),
]
RUSSIAN_SURNAMES = [
    "Иванов",
    "Кузнецов",
    "Соловьёв",
    "Медведев",
    "Журавлёв",
    "Хохлов",
    "Захаров",
    "Жуков",
    "Харитонов",
    "Щербаков",
    "Чернышёв",
    "Ковалёв",
    "Яковлев",
    "Воробьёв",
    "Григорьев",
    "Сергеев",
    "Тихонов",
    "Фёдоров",
    "Хабибуллин",
    "Юсупов",
]
PATRONYMIC_BASES = ["Серік", "Нұрлан", "Ерлан", "Александр", "Сергей", "Николай", "Бауыржан"]
OCCUPATIONS = [
    "journalist",
    "blogger",
    "lawyer",
    "human rights defender",
    "teacher",
    "student",
    "oil worker",
    "driver",
    "doctor",
    "engineer",
    "activist",
    "entrepreneur",
    "",
]
CITIES = [
    ("Алматы", "Almaty"),
    ("Астана", "Astana"),
    ("Шымкент", "Shymkent"),
    ("Ақтөбе", "Aktobe"),
    ("Қарағанды", "Karaganda"),
    ("Тараз", "Taraz"),
    ("Жаңаөзен", "Zhanaozen"),
    ("Талдықорған", "Taldykorgan"),
    ("Қызылорда", "Kyzylorda"),
    ("Орал", "Oral"),
    ("Атырау", "Atyrau"),
    ("Ақтау", "Aktau"),
]
LEGAL_BASES = [
    "Criminal Code, art. 272",
    "Criminal Code, art. 174",
    "Criminal Code, art. 179",
    "Criminal Code, art. 180",
    "Criminal Code, art. 293",
    "Criminal Code, art. 405",
    "Administrative Code, art. 488",
]
INCIDENT_KINDS = [
    m.Incident.Kind.PROTEST,
    m.Incident.Kind.MASS_ARREST,
    m.Incident.Kind.ARREST,
    m.Incident.Kind.CRACKDOWN,
    m.Incident.Kind.PERSECUTION,
]
INVOLVEMENT_ROLES = [
    m.Involvement.Role.DETAINED,
    m.Involvement.Role.PARTICIPANT,
    m.Involvement.Role.VICTIM,
    m.Involvement.Role.COVERING_JOURNALIST,
    m.Involvement.Role.TORTURED,
]
# Where a status can go next: a crude but plausible course of a case.
NEXT_STATUS = {
    m.Status.WHEREABOUTS_UNKNOWN: [m.Status.DETAINED, m.Status.RELEASED],
    m.Status.DETAINED: [
        m.Status.ADMINISTRATIVE_ARREST,
        m.Status.PRE_TRIAL_DETENTION,
        m.Status.RELEASED,
        m.Status.HOUSE_ARREST,
    ],
    m.Status.ADMINISTRATIVE_ARREST: [m.Status.RELEASED, m.Status.DETAINED],
    m.Status.PRE_TRIAL_DETENTION: [
        m.Status.IMPRISONED,
        m.Status.HOUSE_ARREST,
        m.Status.RELEASED,
        m.Status.RESTRICTED_LIBERTY,
    ],
    m.Status.HOUSE_ARREST: [m.Status.PRE_TRIAL_DETENTION, m.Status.RELEASED],
    m.Status.RESTRICTED_LIBERTY: [m.Status.RELEASED, m.Status.ABROAD],
    m.Status.IMPRISONED: [m.Status.RELEASED, m.Status.IMPRISONED, m.Status.DIED],
    m.Status.RELEASED: [m.Status.DETAINED, m.Status.ABROAD, m.Status.RESTRICTED_LIBERTY],
    m.Status.ABROAD: [m.Status.DETAINED, m.Status.RELEASED],
    m.Status.KILLED: [],
    m.Status.DIED: [],
}
DETENTION_KIND = {
    m.Status.DETAINED: m.Detention.Kind.POLICE_CUSTODY,
    m.Status.ADMINISTRATIVE_ARREST: m.Detention.Kind.ADMINISTRATIVE_ARREST,
    m.Status.PRE_TRIAL_DETENTION: m.Detention.Kind.PRE_TRIAL_DETENTION,
    m.Status.HOUSE_ARREST: m.Detention.Kind.HOUSE_ARREST,
    m.Status.IMPRISONED: m.Detention.Kind.IMPRISONMENT,
}

# Two Latin spellings of each Cyrillic letter: the passport-like one and a common variant, so a
# person gets the -ov/-ev/-iyev, zh/j and kh/h spellings a search must fold together.
LATIN_A = {
    "а": "a",
    "ә": "a",
    "б": "b",
    "в": "v",
    "г": "g",
    "ғ": "g",
    "д": "d",
    "е": "e",
    "ё": "yo",
    "ж": "zh",
    "з": "z",
    "и": "i",
    "й": "y",
    "і": "i",
    "к": "k",
    "қ": "k",
    "л": "l",
    "м": "m",
    "н": "n",
    "ң": "n",
    "о": "o",
    "ө": "o",
    "п": "p",
    "р": "r",
    "с": "s",
    "т": "t",
    "у": "u",
    "ұ": "u",
    "ү": "u",
    "ф": "f",
    "х": "kh",
    "һ": "h",
    "ц": "ts",
    "ч": "ch",
    "ш": "sh",
    "щ": "shch",
    "ъ": "",
    "ы": "y",
    "ь": "",
    "э": "e",
    "ю": "yu",
    "я": "ya",
}
LATIN_B = {
    **LATIN_A,
    "ә": "ae",
    "ғ": "gh",
    "ж": "j",
    "й": "i",
    "қ": "q",
    "ң": "ng",
    "ө": "oe",
    "х": "h",
    "ү": "ue",
    "ё": "e",
    "ю": "iu",
    "я": "ia",
}


def transliterate(text: str, table: dict[str, str], *, ending: str = "") -> str:
    words = []
    for word in text.split():
        latin = "".join(table.get(c, c) for c in word.lower())
        if ending and latin.endswith("ev"):
            latin = latin[:-2] + ending
        elif ending and latin.endswith("eva"):
            latin = latin[:-3] + ending + "a"
        words.append(latin[:1].upper() + latin[1:])
    return " ".join(words)


def feminine(surname: str) -> str:
    return surname + "а" if surname.endswith(("ов", "ев", "ёв", "ин")) else surname


class Ids:
    """The next primary key of each table: rows are written with their ids, known up front."""

    def __init__(self, using: str):
        self.next: dict[type[models.Model], int] = {}
        self.using = using

    def take(self, model: type[models.Model]) -> int:
        if model not in self.next:
            last = model._base_manager.using(self.using).aggregate(models.Max("pk"))["pk__max"]
            self.next[model] = (last or 0) + 1
        value = self.next[model]
        self.next[model] = value + 1
        return value


class Writer:
    """Rows of one model as tuples in column order, written by COPY or executemany."""

    def __init__(self, using: str):
        self.connection = connections[using]
        self.rows: dict[type[models.Model], list[tuple]] = {}
        self.layouts: dict[type[models.Model], tuple[list[str], dict]] = {}

    def layout(self, model) -> tuple[list[str], dict]:
        if model not in self.layouts:
            fields = list(model._meta.concrete_fields)
            defaults = {}
            for f in fields:
                if f.has_default() and not callable(f.default):
                    defaults[f.attname] = f.default
                elif f.null:
                    defaults[f.attname] = None
                else:
                    defaults[f.attname] = ""
            self.layouts[model] = ([f.attname for f in fields], defaults)
        return self.layouts[model]

    def add(self, model, **values) -> None:
        names, defaults = self.layout(model)
        self.rows.setdefault(model, []).append(
            tuple(values[n] if n in values else defaults[n] for n in names)
        )

    def flush(self) -> None:
        for model, rows in self.rows.items():
            if rows:
                self._write(model, rows)
        self.rows = {}

    def _write(self, model, rows: list[tuple]) -> None:
        table = model._meta.db_table
        columns = [f.column for f in model._meta.concrete_fields]
        with self.connection.cursor() as cursor:
            if self.connection.vendor == "postgresql":
                buffer = io.StringIO()
                buffer.writelines("\t".join(map(_copy_text, row)) + "\n" for row in rows)
                buffer.seek(0)
                quoted = ", ".join(f'"{c}"' for c in columns)
                cursor.cursor.copy_expert(f'COPY "{table}" ({quoted}) FROM STDIN', buffer)
            else:
                marks = ", ".join(["%s"] * len(columns))
                quoted = ", ".join(f'"{c}"' for c in columns)
                cursor.executemany(
                    f'INSERT INTO "{table}" ({quoted}) VALUES ({marks})',  # noqa: S608
                    [tuple(map(_sqlite_value, row)) for row in rows],
                )


def _copy_text(value) -> str:
    if value is None:
        return "\\N"
    if value is True:
        return "t"
    if value is False:
        return "f"
    if isinstance(value, datetime.date):
        return value.isoformat()
    text = str(value)
    if "\\" in text or "\t" in text or "\n" in text or "\r" in text:
        text = text.replace("\\", "\\\\").replace("\t", "\\t").replace("\n", "\\n")
        text = text.replace("\r", "\\r")
    return text


def _sqlite_value(value):
    if isinstance(value, datetime.datetime):
        return value.astimezone(datetime.UTC).replace(tzinfo=None).isoformat(" ")
    if isinstance(value, datetime.date):
        return value.isoformat()
    return value


# Names repeat a lot across a million persons: normalise each spelling once.
normalise_key = functools.lru_cache(maxsize=200_000)(normalise_name)


# Which records are demo data


def demo_persons(using: str = "default"):
    return m.Person.objects.using(using).filter(is_demo=True)


def demo_places(using: str = "default"):
    return m.Place.objects.using(using).filter(name__endswith=f" {DEMO_MARK}")


def demo_sources(using: str = "default"):
    return m.Source.objects.using(using).filter(reference__startswith=SOURCE_REFERENCE_PREFIX)


def has_real_records(using: str = "default") -> bool:
    """Whether the register holds anything a person entered (or the motion's seed load)."""
    return (
        m.Person.objects.using(using).filter(is_demo=False).exists()
        or m.Incident.objects.using(using).filter(is_demo=False).exists()
        or m.StatusEntry.objects.using(using).filter(is_demo=False).exists()
    )


def has_demo_records(using: str = "default") -> bool:
    return demo_persons(using).exists() or demo_places(using).exists()


# Generation


class Generator:
    def __init__(self, *, seed: int, using: str):
        self.rng = random.Random(seed)  # noqa: S311 -- reproducible demo data, not secrets
        self.using = using
        self.ids = Ids(using)
        self.out = Writer(using)
        # Fixed timestamps, so the same seed gives the same rows.
        self.now = datetime.datetime(2026, 1, 1, 12, 0, tzinfo=datetime.UTC)
        self.public_ids: set[str] = set()
        self.keys: list = []

    def public_id(self) -> str:
        while True:
            bits = self.rng.getrandbits(5 * m.PUBLIC_ID_LENGTH)
            value = "".join(
                m.PUBLIC_ID_ALPHABET[(bits >> (5 * i)) & 31] for i in range(m.PUBLIC_ID_LENGTH)
            )
            if value not in self.public_ids:
                self.public_ids.add(value)
                return value

    def record(self, *, published: bool = True) -> dict:
        return {
            "id": None,
            "public_id": self.public_id(),
            "publication": m.Publication.PUBLISHED if published else m.Publication.DRAFT,
            "published_at": self.now if published else None,
            "version": 1,
            "created_at": self.now,
            "updated_at": self.now,
        }

    def add(self, model, **values) -> int:
        values["id"] = self.ids.take(model)
        self.out.add(model, **values)
        return values["id"]

    # Shared records: places, sources, incidents

    def places(self) -> None:
        self.country = self.add(
            m.Place,
            **self.record(),
            name=f"Қазақстан {DEMO_MARK}",
            kind=m.Place.Kind.COUNTRY,
            other_names="Kazakhstan\nКазахстан",
        )
        self.cities, self.facilities = [], []
        for cyrillic, latin in CITIES:
            city = self.add(
                m.Place,
                **self.record(),
                name=f"{cyrillic} {DEMO_MARK}",
                kind=m.Place.Kind.CITY,
                parent_id=self.country,
                other_names=latin,
            )
            self.cities.append(city)
            for number in (1, 2):
                self.facilities.append(
                    self.add(
                        m.Place,
                        **self.record(),
                        kind=m.Place.Kind.FACILITY,
                        parent_id=city,
                        name=f"SIZO no. {number}, {latin} {DEMO_MARK}",
                    )
                )

    def sources(self, count: int) -> None:
        self.source_ids = []
        for number in range(1, count + 1):
            self.source_ids.append(
                self.add(
                    m.Source,
                    **self.record(published=number % 10 != 0),
                    title=f"Demo report no. {number} on detentions {DEMO_MARK}",
                    kind=self.rng.choice([m.Source.Kind.REPORT, m.Source.Kind.ARTICLE]),
                    reference=f"{SOURCE_REFERENCE_PREFIX}{number:06d}",
                    issued_on=EPOCH + datetime.timedelta(days=number % 1200),
                    issued_precision=DatePrecision.DAY,
                    is_confidential=number % 25 == 0,
                )
            )

    def incidents(self, count: int) -> None:
        self.incident_ids = []
        for number in range(1, count + 1):
            city = self.rng.randrange(len(CITIES))
            kind = self.rng.choice(INCIDENT_KINDS)
            started = EPOCH + datetime.timedelta(days=self.rng.randrange(1400))
            title = f"{kind.label.capitalize()} in {CITIES[city][1]} no. {number} {DEMO_MARK}"
            incident = self.add(
                m.Incident,
                **self.record(published=number % 8 != 0),
                is_demo=True,
                title=title,
                kind=kind,
                started_on=started,
                started_precision=DatePrecision.DAY,
                description="Synthetic demo incident.",
            )
            self.incident_ids.append(incident)
            self.out.add(
                m.Incident.places.through,
                id=self.ids.take(m.Incident.places.through),
                incident_id=incident,
                place_id=self.cities[city],
            )
            self.keys.extend(_incident_keys(incident, published=number % 8 != 0, title=title))

    # One person and everything about them

    def person(self, index: int) -> None:
        rng = self.rng
        kazakh = rng.random() < 0.7
        sex = rng.choice("mf")
        given_pool = [g for g, s in (KAZAKH_GIVEN if kazakh else RUSSIAN_GIVEN) if s == sex]
        given = rng.choice(given_pool)
        surname = rng.choice(KAZAKH_SURNAMES if kazakh else RUSSIAN_SURNAMES)
        if sex == "f":
            surname = feminine(surname)
        cyrillic = f"{given} {surname}"
        latin_a = transliterate(cyrillic, LATIN_A, ending=rng.choice(["ev", "yev"]))
        latin_b = transliterate(cyrillic, LATIN_B, ending=rng.choice(["iyev", "ev", "iev"]))
        display = cyrillic if rng.random() < 0.5 else latin_a
        if rng.random() < 0.15:
            patronymic = rng.choice(PATRONYMIC_BASES) + ("ович" if sex == "m" else "овна")
            if kazakh:
                patronymic = rng.choice(PATRONYMIC_BASES) + ("ұлы" if sex == "m" else "қызы")
            cyrillic_full = f"{surname} {given} {patronymic}"
        else:
            cyrillic_full = ""

        consent_roll = rng.random()
        consent = (
            m.Consent.PUBLIC_SOURCE
            if consent_roll < 0.55
            else m.Consent.GIVEN
            if consent_roll < 0.82
            else m.Consent.WITHHELD
            if consent_roll < 0.92
            else m.Consent.UNKNOWN
        )
        risk = rng.choices(
            [m.RiskLevel.LOW, m.RiskLevel.MEDIUM, m.RiskLevel.HIGH], weights=[50, 42, 8]
        )[0]
        published = (
            consent in m.PUBLISHABLE_CONSENT and risk in m.ACCEPTABLE_RISK and rng.random() < 0.9
        )
        person_record = self.record(published=published)
        person_id = self.ids.take(m.Person)
        person_record["id"] = person_id
        is_public = published  # merged_into is never set on demo persons

        # Names: Cyrillic (native script), two Latin spellings, sometimes surname first.
        names = [(cyrillic, m.PersonName.Kind.NATIVE_SCRIPT)]
        for latin in dict.fromkeys([latin_a, latin_b]):
            names.append((latin, m.PersonName.Kind.TRANSLITERATION))
        if cyrillic_full:
            names.append((cyrillic_full, m.PersonName.Kind.AS_WRITTEN))
        if rng.random() < 0.3:
            names.append(
                (f"{latin_b.split()[-1]} {latin_b.split()[0]}", m.PersonName.Kind.SURNAME_FIRST)
            )
        keys = [(display, SearchKey.Field.DISPLAY_NAME, None, is_public)]
        for text, kind in names:
            name_published = rng.random() < 0.95
            name_id = self.add(
                m.PersonName,
                **self.record(published=name_published),
                person_id=person_id,
                name=text,
                kind=kind,
            )
            keys.append((text, SearchKey.Field.NAME, name_id, is_public and name_published))

        # The timeline, each entry dated after the whole period of the one before.
        if index % LONG_TIMELINE_EVERY == 7:
            length = LONG_TIMELINE
        else:
            length = rng.choices([1, 2, 3, 4, 5, 6, 8, 12, 30], [22, 24, 20, 13, 9, 5, 4, 2, 1])[0]
        day = EPOCH + datetime.timedelta(days=rng.randrange(1000 if length < 30 else 200))
        status = rng.choices(
            [m.Status.DETAINED, m.Status.WHEREABOUTS_UNKNOWN, m.Status.ADMINISTRATIVE_ARREST],
            [80, 10, 10],
        )[0]
        detention_id = charge_id = None
        entries = []
        for position in range(1, length + 1):
            if position == 1 and rng.random() < 0.04:
                occurred_on, precision, kind = None, "", DateKind.BEGAN
            else:
                precision = DatePrecision.MONTH if rng.random() < 0.08 else DatePrecision.DAY
                if precision == DatePrecision.MONTH and day.day != 1:
                    # The next whole month, so no month contains an earlier entry's day.
                    day = (day.replace(day=1) + datetime.timedelta(days=32)).replace(day=1)
                occurred_on = day
                kind = DateKind.AS_REPORTED if rng.random() < 0.12 else DateKind.BEGAN
                day = period_end(occurred_on, precision) + datetime.timedelta(
                    days=rng.randint(1, 4 if length >= 12 else 60)
                )
            if status in DETENTION_KIND and detention_id is None:
                detention_id = self.add(
                    m.Detention,
                    **self.record(published=rng.random() < 0.95),
                    person_id=person_id,
                    kind=DETENTION_KIND[status],
                    started_on=occurred_on,
                    started_precision=precision,
                    place_id=rng.choice(self.cities),
                    facility_id=rng.choice(self.facilities) if rng.random() < 0.5 else None,
                    is_incommunicado=rng.random() < 0.1,
                    has_torture_alleged=rng.random() < 0.07,
                    has_lawyer_denied=rng.random() < 0.1,
                    has_health_concerns=rng.random() < 0.05,
                    whereabouts=m.Detention.Whereabouts.KNOWN,
                )
            if status == m.Status.PRE_TRIAL_DETENTION and charge_id is None:
                charge_id = self._charge(person_id, detention_id, occurred_on, precision)
            entry_published = rng.random() < 0.92
            entry_id = self.add(
                m.StatusEntry,
                **self.record(published=entry_published),
                is_demo=True,
                person_id=person_id,
                status=status,
                occurred_on=occurred_on,
                occurred_precision=precision,
                date_kind=kind,
                occurred_by=period_end(occurred_on, precision),
                position=position,
                detention_id=detention_id if status in DETENTION_KIND else None,
                charge_id=charge_id if status == m.Status.IMPRISONED else None,
            )
            entries.append((entry_id, status, entry_published))
            if position == 1 or rng.random() < 0.2:
                self._cite(status_entry_id=entry_id)
            choices = NEXT_STATUS[status] or [status]
            status = rng.choice(choices)

        latest = entries[-1]
        public_entries = [e for e in entries if e[2]]
        latest_public = public_entries[-1] if public_entries else None
        self.out.add(
            m.Person,
            **person_record,
            is_demo=True,
            display_name=display,
            birth_year=rng.randint(1950, 2005) if rng.random() < 0.8 else None,
            gender=m.Person.Gender.MALE if sex == "m" else m.Person.Gender.FEMALE,
            citizenship_id=self.country,
            occupation=rng.choice(OCCUPATIONS),
            summary="Synthetic demo record: not a real person.",
            consent=consent,
            risk_level=risk,
            status_verified_on=EPOCH + datetime.timedelta(days=rng.randrange(1500))
            if rng.random() < 0.5
            else None,
            latest_entry_id=latest[0],
            status=latest[1],
            latest_public_entry_id=latest_public[0] if latest_public else None,
            public_status=latest_public[1] if latest_public else "",
        )
        self._cite(person_id=person_id)
        if rng.random() < 0.1 and charge_id is None:
            self._charge(person_id, detention_id, None, "")
        if rng.random() < 0.7:
            self.add(
                m.Involvement,
                **self.record(published=rng.random() < 0.95),
                person_id=person_id,
                incident_id=rng.choice(self.incident_ids),
                role=rng.choice(INVOLVEMENT_ROLES),
            )

        # casetracker.search.indexing.person_keys without model instances (a third of the time
        # at a million persons), one key per normalised key as `indexing.distinct` keeps it;
        # tests/test_demo_data.py checks the keys equal what reindexing writes.
        kept: dict[str, tuple] = {}
        for text, field, name_id, key_is_public in keys:
            key = normalise_key(text)
            if key and (
                key not in kept
                or preference(field, key_is_public, name_id) < preference(*kept[key][1:4])
            ):
                kept[key] = (text, field, key_is_public, name_id)
        for key, (text, field, key_is_public, name_id) in kept.items():
            self.add(
                SearchKey,
                kind=SearchKey.Kind.PERSON,
                field=field,
                person_id=person_id,
                name_id=name_id,
                text=text,
                key=key,
                is_public=key_is_public,
            )

    def _charge(self, person_id: int, detention_id, on, precision) -> int:
        rng = self.rng
        stage = rng.choice(list(m.Charge.Stage))
        return self.add(
            m.Charge,
            **self.record(published=rng.random() < 0.95),
            person_id=person_id,
            detention_id=detention_id,
            legal_basis=rng.choice(LEGAL_BASES),
            wording="Synthetic demo charge.",
            is_politically_motivated=rng.random() < 0.8,
            stage=stage,
            filed_on=on,
            filed_precision=precision,
            sentence=f"{rng.randint(1, 10)} years" if stage == m.Charge.Stage.CONVICTED else "",
        )

    def _cite(self, **target) -> None:
        self.add(
            m.Citation,
            **self.record(published=self.rng.random() < 0.97),
            source_id=self.rng.choice(self.source_ids),
            locator=f"p. {self.rng.randint(1, 40)}",
            confidence=self.rng.choice(list(m.Confidence)),
            **target,
        )

    def flush(self) -> None:
        for key in self.keys:
            self.add(
                SearchKey,
                kind=key.kind,
                field=key.field,
                person_id=key.person_id,
                name_id=key.name_id,
                place_id=key.place_id,
                incident_id=key.incident_id,
                text=key.text,
                key=key.key,
                is_public=key.is_public,
            )
        self.keys = []
        self.out.flush()


def _incident_keys(incident_id: int, *, published: bool, title: str) -> list:
    from casetracker.search.indexing import incident_keys

    incident = m.Incident(
        id=incident_id,
        title=title,
        publication=m.Publication.PUBLISHED if published else m.Publication.DRAFT,
    )
    return incident_keys(incident)


def _place_keys(using: str) -> list:
    from casetracker.search.indexing import place_keys

    keys = []
    for place in demo_places(using):
        keys.extend(place_keys(place))
    return keys


def generate(
    *,
    persons: int,
    seed: int = 1,
    using: str = "default",
    progress: Callable[[Iterable[int]], Iterable[int]] | None = None,
) -> dict[str, int]:
    """Write `persons` demo persons and what goes with them; returns rows written per table.

    The caller checks `has_real_records` first (the command refuses without --force).
    """
    from casetracker.search import backends

    connection = connections[using]
    generator = Generator(seed=seed, using=using)
    # At scale the trigram index is cheaper built once than kept up to date row by row.
    rebuild_index = connection.vendor == "postgresql" and persons >= 50_000
    if rebuild_index:
        backends.uninstall(connection)
    with transaction.atomic(using=using):
        generator.places()
        generator.sources(max(3, persons // 200))
        generator.incidents(max(5, persons // 100))
        generator.flush()
        generator.keys.extend(_place_keys(using))
        generator.flush()
    batches = range(0, persons, BATCH_PERSONS)
    for start in progress(batches) if progress else batches:
        with transaction.atomic(using=using):
            for index in range(start, min(start + BATCH_PERSONS, persons)):
                generator.person(index)
            generator.flush()
    with connection.cursor() as cursor:
        touched = [*generator.ids.next, SearchKey]
        for statement in connection.ops.sequence_reset_sql(no_style(), touched):
            cursor.execute(statement)
    if rebuild_index:
        backends.install(connection)
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute("ANALYZE")
            # A GIN index takes inserts into a pending list that every lookup reads through
            # until a vacuum merges it: searches of a fresh 10k-person register took 5-16 ms
            # of SQL instead of 1. Merged here, as VACUUM would (which no transaction may run).
            cursor.execute(
                "SELECT gin_clean_pending_list(i.indexrelid) FROM pg_index i"
                " JOIN pg_class c ON c.oid = i.indexrelid JOIN pg_am a ON a.oid = c.relam"
                " WHERE a.amname = 'gin' AND c.relnamespace = current_schema()::regnamespace"
            )
    # The rows went in around every signal: the precomputed figures are rebuilt set-wise.
    tallies.rebuild(using=using)
    return {model._meta.label: next_id - 1 for model, next_id in generator.ids.next.items()}


# Removal


def _purge(queryset, doomed: dict, depth: int = 0) -> int:
    """Delete the rows of `queryset` and, set-wise, whatever Django would cascade to.

    Like the ORM's delete, but in SQL over subqueries, so a million rows need no Python objects.
    SET_NULL references are cleared except from rows about to go anyway (`doomed`).
    """
    model = queryset.model
    connection = connections[queryset.db]
    for rel in model._meta.get_fields(include_hidden=True):
        if not (rel.auto_created and not rel.concrete and (rel.one_to_many or rel.one_to_one)):
            continue
        related = rel.related_model
        on_delete = rel.on_delete
        children = related._base_manager.using(queryset.db).filter(
            **{f"{rel.field.name}__in": queryset.values("pk")}
        )
        if on_delete is models.CASCADE and depth < 4:
            _purge(children, doomed, depth + 1)
        elif on_delete is models.SET_NULL:
            if related in doomed:
                children = children.exclude(pk__in=doomed[related].values("pk"))
            children.update(**{rel.field.name: None})
    sql, params = queryset.values("pk").query.sql_with_params()
    table = connection.ops.quote_name(model._meta.db_table)
    pk = connection.ops.quote_name(model._meta.pk.column)
    with connection.cursor() as cursor:
        cursor.execute(f"DELETE FROM {table} WHERE {pk} IN ({sql})", params)  # noqa: S608
        return cursor.rowcount


def remove(using: str = "default") -> dict[str, int]:
    """Delete every demo record, and nothing else; returns rows deleted per kind.

    Exempt from per-user history like the generator: no history row is written for the removal.
    """
    persons = demo_persons(using)
    incidents = m.Incident.objects.using(using).filter(is_demo=True)
    entries = m.StatusEntry.objects.using(using).filter(is_demo=True)
    doomed = {m.Person: persons, m.Incident: incidents, m.StatusEntry: entries}
    counts = {}
    with transaction.atomic(using=using):
        counts["status entries"] = _purge(entries, doomed)
        counts["persons"] = _purge(persons, doomed)
        counts["incidents"] = _purge(incidents, doomed)
        # A demo source a staff member cited for a real fact stays (citations PROTECT it).
        counts["sources"] = _purge(demo_sources(using).filter(citations__isnull=True), doomed)
        places = demo_places(using)
        # Cities before the country: places nest (PROTECT), so the innermost go first.
        counts["places"] = 0
        for kind in (m.Place.Kind.FACILITY, m.Place.Kind.CITY, m.Place.Kind.COUNTRY):
            counts["places"] += _purge(places.filter(kind=kind), doomed)
        tallies.rebuild(using=using)
    return counts
