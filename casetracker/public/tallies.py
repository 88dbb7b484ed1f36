"""Keeping the precomputed figures (`Tally`, `PersonTally`) exactly right, in every write.

A public person's share of the figures is a function of what is public about them now
(DESIGN.md, "Dates, status and as of"; the direct computation in `casetracker.public.figures`
says the same in the ORM, and the tests hold the two equal):

- status: the status in effect on D is their latest public entry by timeline position among
  those whose whole date period ends by D (`occurred_by <= D`). That is a step function which
  changes only on their entries' `occurred_by` days: +1 for the new status and -1 for the old
  one on each day it changes. Today's status is `Person.public_status`; where it is not the last
  dated one (the latest public entry is undated), undated rows (day NULL) make up the difference.
- role and place: distinct persons, so +1 from the first day they qualify (an involvement's own
  date, else its incident's start; a detention's start), or undated if no dated fact qualifies.
  Places are counted whatever their publication, which the reader filters by joining public
  places, so publishing a place changes no share.
- events: +1 per public dated entry on its `occurred_by`, keyed by kind, month (year for entries
  known only to the year) and status.

A count as of D is the sum of the rows dated by D; a count now is the sum of all rows.

`refresh_persons(ids)` computes the shares of some persons with one SQL statement, compares them
with the stored ones, and appends the difference to the ledger: every writer calls it after
writing (`recompute_status`, and the receivers in `casetracker.public.signals` for saves of
persons, involvements, detentions, incidents and places). `forget_persons` takes a person out
before they are deleted. `rebuild()` is the same statement over everyone, for writers that
bypass signals (demo data, a restored backup) and repairs; `check()` reports drift.
"""

import datetime
from collections import Counter
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from contextvars import ContextVar

from django.apps import apps as global_apps
from django.db import connections, transaction

from casetracker.cases.dates import DatePrecision
from casetracker.cases.models import ACCEPTABLE_RISK, PUBLISHABLE_CONSENT, Person, Publication

from .models import FigureCode, PersonTally, Tally

# Persons per refresh statement: their ids are written into the SQL.
CHUNK = 500
# The ledger is folded together whenever this many rows have been appended since.
COMPACT_EVERY = 10_000

Share = Counter  # (figure, key, day) -> n

# Persons to refresh at the end of a `deferred()` block, per database; None outside one.
_pending: ContextVar[dict[str, set[int]] | None] = ContextVar("tallies_pending", default=None)


class Tables:
    """The table names the SQL reads and writes, from an app registry (a migration's, too)."""

    def __init__(self, apps=global_apps):
        def table(label: str) -> str:
            return apps.get_model(label)._meta.db_table

        self.person = table("cases.Person")
        self.entry = table("cases.StatusEntry")
        self.involvement = table("cases.Involvement")
        self.incident = table("cases.Incident")
        self.detention = table("cases.Detention")
        self.incident_places = apps.get_model("cases.Incident").places.through._meta.db_table
        self.tally = table("public.Tally")
        self.person_tally = table("public.PersonTally")


def _literals(values: Iterable[str]) -> str:
    # Our own slugs (choices values), written into the SQL like the ids.
    values = list(values)
    assert all(v.replace("_", "").isalnum() for v in values), values
    return ", ".join(f"'{v}'" for v in values)


def _period_end(vendor: str, on: str, precision: str) -> str:
    """SQL for `casetracker.cases.dates.period_end`: a partial date is the first of its period."""
    if vendor == "postgresql":
        month = f"CAST({on} + INTERVAL '1 month' - INTERVAL '1 day' AS date)"
        year = f"CAST({on} + INTERVAL '1 year' - INTERVAL '1 day' AS date)"
    else:
        month = f"date({on}, '+1 month', '-1 day')"
        year = f"date({on}, '+1 year', '-1 day')"
    return (
        f"CASE {precision} WHEN '{DatePrecision.DAY}' THEN {on} "
        f"WHEN '{DatePrecision.MONTH}' THEN {month} WHEN '{DatePrecision.YEAR}' THEN {year} END"
    )


def _events_key(vendor: str) -> str:
    if vendor == "postgresql":
        month, year = "to_char(occurred_on, 'YYYY-MM')", "to_char(occurred_on, 'YYYY')"
    else:  # SQLite keeps dates as ISO text
        month, year = "substr(occurred_on, 1, 7)", "substr(occurred_on, 1, 4)"
    return (
        f"CASE WHEN occurred_precision = '{DatePrecision.YEAR}' THEN 'year_only:' || {year} "
        f"ELSE date_kind || ':' || {month} END || ':' || status"
    )


def shares_sql(vendor: str, tables: Tables, person_ids: list[int] | None = None) -> str:
    """One SELECT of (person_id, figure, key, day, n): the shares of these persons (None: all)."""

    def only(column: str) -> str:
        if person_ids is None:
            return ""
        return f" AND {column} IN ({', '.join(str(int(pk)) for pk in person_ids)})"

    t = tables
    published = _literals([Publication.PUBLISHED])
    end = _period_end
    # Table names, our own choices values and integer ids only, hence no parameters.
    return f"""
WITH
p AS (
  SELECT id, public_status FROM {t.person}
  WHERE publication = {published} AND consent IN ({_literals(PUBLISHABLE_CONSENT)})
    AND risk_level IN ({_literals(ACCEPTABLE_RISK)}) AND merged_into_id IS NULL{only("id")}
),
se AS (
  SELECT e.person_id, e.occurred_by AS day, e.position, e.status, e.date_kind, e.occurred_on,
         e.occurred_precision
  FROM {t.entry} e JOIN p ON p.id = e.person_id
  WHERE e.publication = {published} AND e.occurred_by IS NOT NULL{only("e.person_id")}
),
w AS (
  SELECT person_id, day, position, status,
         MAX(position) OVER (PARTITION BY person_id ORDER BY day) AS top
  FROM se
),
step AS (
  SELECT person_id, day, status,
         LAG(status) OVER (PARTITION BY person_id ORDER BY day) AS before,
         LEAD(day) OVER (PARTITION BY person_id ORDER BY day) AS next
  FROM w WHERE position = top
),
fin AS (
  SELECT p.id AS person_id, p.public_status AS now, step.status AS dated
  FROM p LEFT JOIN step ON step.person_id = p.id AND step.next IS NULL
),
inv AS (
  SELECT i.person_id, i.role, i.incident_id,
         CASE WHEN i.occurred_on IS NOT NULL
              THEN {end(vendor, "i.occurred_on", "i.occurred_precision")}
              ELSE {end(vendor, "c.started_on", "c.started_precision")} END AS day
  FROM {t.involvement} i JOIN p ON p.id = i.person_id JOIN {t.incident} c ON c.id = i.incident_id
  WHERE i.publication = {published} AND c.publication = {published}{only("i.person_id")}
),
at AS (
  SELECT d.person_id, d.place_id, {end(vendor, "d.started_on", "d.started_precision")} AS day
  FROM {t.detention} d JOIN p ON p.id = d.person_id
  WHERE d.publication = {published} AND d.place_id IS NOT NULL{only("d.person_id")}
  UNION ALL
  SELECT inv.person_id, ip.place_id, inv.day
  FROM inv JOIN {t.incident_places} ip ON ip.incident_id = inv.incident_id
)
SELECT person_id, '{FigureCode.STATUS}' AS figure, status AS key, day, 1 AS n
  FROM step WHERE before IS NULL OR before <> status
UNION ALL SELECT person_id, '{FigureCode.STATUS}', before, day, -1
  FROM step WHERE before <> status
UNION ALL SELECT person_id, '{FigureCode.STATUS}', now, NULL, 1
  FROM fin WHERE now <> '' AND (dated IS NULL OR dated <> now)
UNION ALL SELECT person_id, '{FigureCode.STATUS}', dated, NULL, -1
  FROM fin WHERE dated <> now
UNION ALL SELECT person_id, '{FigureCode.EVENTS}', {_events_key(vendor)}, day, COUNT(*)
  FROM se GROUP BY person_id, {_events_key(vendor)}, day
UNION ALL SELECT person_id, '{FigureCode.ROLE}', role, MIN(day), 1
  FROM inv GROUP BY person_id, role
UNION ALL SELECT person_id, '{FigureCode.PLACE}', CAST(place_id AS TEXT), MIN(day), 1
  FROM at GROUP BY person_id, place_id
"""  # noqa: S608


def _day(value) -> datetime.date | None:
    # Computed dates come back from SQLite as ISO text.
    if value is None or isinstance(value, datetime.date):
        return value
    return datetime.date.fromisoformat(value)


def compute_shares(person_ids: list[int], *, using: str = "default") -> dict[int, Share]:
    connection = connections[using]
    sql = shares_sql(connection.vendor, Tables(), person_ids)
    shares: dict[int, Share] = {}
    with connection.cursor() as cursor:
        cursor.execute(sql)
        for person_id, figure, key, day, n in cursor.fetchall():
            shares.setdefault(person_id, Share())[(figure, key, _day(day))] += n
    return shares


def stored_shares(person_ids: list[int], *, using: str = "default") -> dict[int, Share]:
    shares: dict[int, Share] = {}
    rows = PersonTally.objects.using(using).filter(person_id__in=person_ids)
    for person_id, figure, key, day, n in rows.values_list("person", "figure", "key", "day", "n"):
        shares.setdefault(person_id, Share())[(figure, key, day)] += n
    return shares


def _lock(person_ids: list[int], using: str) -> None:
    """Hold these persons' rows, so two transactions never replace the same share at once.

    NO KEY: rows that point at the person (a new entry) may still be written meanwhile.
    A no-op on SQLite, where a write transaction holds the whole database.
    """
    rows = Person.objects.using(using).filter(pk__in=person_ids).order_by("pk")
    list(rows.select_for_update(no_key=True).values_list("pk", flat=True))


@contextmanager
def deferred() -> Iterator[None]:
    """Refresh each person once, set-wise, at the end of this block instead of at every write.

    For writers of many persons in one transaction (an import, `recompute_all`): the block must
    end inside that transaction. If it ends by an exception nothing is refreshed, as the
    transaction is rolled back anyway. Nested blocks leave it to the outermost.
    """
    if _pending.get() is not None:
        yield
        return
    pending: dict[str, set[int]] = {}
    token = _pending.set(pending)
    try:
        yield
    finally:
        _pending.reset(token)
    for using, ids in pending.items():
        refresh_persons(ids, using=using)


def refresh_persons(person_ids: Iterable[int | None], *, using: str = "default") -> int:
    """Bring these persons' shares, and the ledger, up to date; returns how many changed."""
    ids = sorted({int(pk) for pk in person_ids if pk is not None})
    pending = _pending.get()
    if pending is not None:
        pending.setdefault(using, set()).update(ids)
        return 0
    changed = 0
    for start in range(0, len(ids), CHUNK):
        changed += _refresh(ids[start : start + CHUNK], using)
    return changed


def _refresh(ids: list[int], using: str) -> int:
    with transaction.atomic(using=using):
        _lock(ids, using)
        new = compute_shares(ids, using=using)
        old = stored_shares(ids, using=using)
        changed = [pk for pk in ids if new.get(pk, Share()) != old.get(pk, Share())]
        if not changed:
            return 0
        delta = Share()
        for pk in changed:
            delta.update(new.get(pk, Share()))
            delta.subtract(old.get(pk, Share()))
        _delete_stored(changed, using)
        PersonTally.objects.using(using).bulk_create(
            PersonTally(person_id=pk, figure=figure, key=key, day=day, n=n)
            for pk in changed
            for (figure, key, day), n in sorted(new.get(pk, Share()).items(), key=_order)
        )
        _append(delta, using)
    return len(changed)


def forget_persons(person_ids: Iterable[int], *, using: str = "default") -> None:
    """Take these persons out of the figures: called just before they are deleted."""
    ids = sorted(set(person_ids))
    with transaction.atomic(using=using):
        _lock(ids, using)
        delta = Share()
        for share in stored_shares(ids, using=using).values():
            delta.subtract(share)
        _delete_stored(ids, using)
        _append(delta, using)


def _order(item) -> tuple:
    (figure, key, day), _n = item
    return (figure, key, day or datetime.date.max)


def _delete_stored(person_ids: list[int], using: str) -> None:
    # Plain SQL: a QuerySet.delete() would load each row to send signals nobody needs here.
    connection = connections[using]
    table = connection.ops.quote_name(PersonTally._meta.db_table)
    ids = ", ".join(str(int(pk)) for pk in person_ids)
    with connection.cursor() as cursor:
        cursor.execute(f"DELETE FROM {table} WHERE person_id IN ({ids})")  # noqa: S608


def _append(delta: Share, using: str) -> None:
    rows = [
        Tally(figure=figure, key=key, day=day, n=n)
        for (figure, key, day), n in sorted(delta.items(), key=_order)
        if n
    ]
    if not rows:
        return
    Tally.objects.using(using).bulk_create(rows)
    # Fold when the new ids pass a multiple of COMPACT_EVERY (ids come back on PostgreSQL and
    # SQLite 3.35+; elsewhere only the rebuild folds).
    first, last = rows[0].pk or 1, rows[-1].pk or 1
    if (first - 1) // COMPACT_EVERY != last // COMPACT_EVERY:
        compact(using=using)


def compact(*, using: str = "default") -> None:
    """Fold the ledger's rows of the same figure, key and day into one; drop those that sum to 0.

    Safe beside concurrent writers: rows they have not committed are not folded (on PostgreSQL
    one statement deletes what it sees and writes back their sums).
    """
    connection = connections[using]
    table = connection.ops.quote_name(Tally._meta.db_table)
    with transaction.atomic(using=using), connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            cursor.execute(
                f"WITH gone AS (DELETE FROM {table} RETURNING figure, key, day, n) "  # noqa: S608
                f"INSERT INTO {table} (figure, key, day, n) "
                "SELECT figure, key, day, SUM(n) FROM gone GROUP BY figure, key, day "
                "HAVING SUM(n) <> 0"
            )
            return
        cursor.execute(f"SELECT MAX(id) FROM {table}")  # noqa: S608
        (last,) = cursor.fetchone()
        if last is None:
            return
        cursor.execute(
            f"INSERT INTO {table} (figure, key, day, n) "  # noqa: S608
            f"SELECT figure, key, day, SUM(n) FROM {table} WHERE id <= %s "
            "GROUP BY figure, key, day HAVING SUM(n) <> 0",
            [last],
        )
        cursor.execute(f"DELETE FROM {table} WHERE id <= %s", [last])  # noqa: S608


def rebuild(*, using: str = "default", apps=global_apps) -> dict[str, int]:
    """Recompute every share and the ledger from the register, set-wise; returns row counts.

    For writers that bypass signals (demo data by COPY, a restored backup), the migration that
    creates the tables, and repairs. Writers wait for it; readers see the old figures until
    it commits.
    """
    connection = connections[using]
    tables = Tables(apps)
    person_tally = apps.get_model("public.PersonTally")
    quote = connection.ops.quote_name
    tally_table, shares_table = quote(tables.tally), quote(tables.person_tally)
    postgres = connection.vendor == "postgresql"
    with transaction.atomic(using=using), connection.cursor() as cursor:
        _tune(connection, cursor)
        if postgres:
            cursor.execute(f"LOCK TABLE {shares_table} IN ACCESS EXCLUSIVE MODE")
            cursor.execute(f"LOCK TABLE {tally_table} IN EXCLUSIVE MODE")
            cursor.execute(f"TRUNCATE {shares_table}")
            # A million persons' rows load three times faster with the index built once after.
            with connection.schema_editor(atomic=False) as editor:
                for index in person_tally._meta.indexes:
                    editor.remove_index(person_tally, index)
        else:
            cursor.execute(f"DELETE FROM {shares_table}")  # noqa: S608
        cursor.execute(
            f"INSERT INTO {shares_table} (person_id, figure, key, day, n) "  # noqa: S608
            f"SELECT * FROM ({shares_sql(connection.vendor, tables)}) s"
        )
        shares = cursor.rowcount
        if postgres:
            with connection.schema_editor(atomic=False) as editor:
                for index in person_tally._meta.indexes:
                    editor.add_index(person_tally, index)
        cursor.execute(f"DELETE FROM {tally_table}")  # noqa: S608
        cursor.execute(
            f"INSERT INTO {tally_table} (figure, key, day, n) "  # noqa: S608
            f"SELECT figure, key, day, SUM(n) FROM {shares_table} WHERE day IS NOT NULL "
            "GROUP BY figure, key, day HAVING SUM(n) <> 0 "
            f"UNION ALL SELECT figure, key, NULL, SUM(n) FROM {shares_table} WHERE day IS NULL "
            "GROUP BY figure, key HAVING SUM(n) <> 0"
        )
        ledger = cursor.rowcount
        if postgres:
            cursor.execute(f"ANALYZE {shares_table}")
            cursor.execute(f"ANALYZE {tally_table}")
    return {"shares": shares, "ledger": ledger}


def check(*, using: str = "default") -> dict[str, int]:
    """How far the stored shares and the ledger are from the register; all zero when exact.

    `persons`: persons whose stored share differs from a fresh computation; `ledger`: (figure,
    key, day) sums that differ.
    """
    connection = connections[using]
    tables = Tables()
    quote = connection.ops.quote_name
    fresh = "tally_fresh"  # computed once, compared twice
    stored = f"SELECT person_id, figure, key, day, n FROM {quote(tables.person_tally)}"  # noqa: S608
    ledger = f"SELECT figure, key, day, n FROM {quote(tables.tally)}"  # noqa: S608

    def per_person(rows: str) -> str:
        return (
            f"SELECT person_id, figure, key, day, SUM(n) AS n FROM ({rows}) x "  # noqa: S608
            "GROUP BY person_id, figure, key, day HAVING SUM(n) <> 0"
        )

    def summed(rows: str) -> str:
        return (
            f"SELECT figure, key, day, SUM(n) AS n FROM ({rows}) x "  # noqa: S608
            "GROUP BY figure, key, day HAVING SUM(n) <> 0"
        )

    def differing(a: str, b: str) -> str:
        # Rows of either not in the other (SQLite takes no parentheses around EXCEPT's sides).
        one = f"SELECT * FROM ({a}) a EXCEPT SELECT * FROM ({b}) b"  # noqa: S608
        other = f"SELECT * FROM ({b}) b EXCEPT SELECT * FROM ({a}) a"  # noqa: S608
        return f"SELECT * FROM ({one}) d1 UNION ALL SELECT * FROM ({other}) d2"  # noqa: S608

    with transaction.atomic(using=using), connection.cursor() as cursor:
        _tune(connection, cursor)
        cursor.execute(f"DROP TABLE IF EXISTS {fresh}")
        cursor.execute(
            f"CREATE TEMPORARY TABLE {fresh} AS "  # noqa: S608
            f"SELECT * FROM ({shares_sql(connection.vendor, tables)}) s"
        )
        rows = f"SELECT * FROM {fresh}"  # noqa: S608
        different = differing(per_person(rows), per_person(stored))
        cursor.execute(f"SELECT COUNT(DISTINCT person_id) FROM ({different}) d")  # noqa: S608
        (persons,) = cursor.fetchone()
        different = differing(summed(rows), summed(ledger))
        cursor.execute(f"SELECT COUNT(*) FROM ({different}) d")  # noqa: S608
        (sums,) = cursor.fetchone()
        cursor.execute(f"DROP TABLE {fresh}")
    return {"persons": persons, "ledger": sums}


def _tune(connection, cursor) -> None:
    """For the statements over the whole register (rebuild, check), on PostgreSQL: sorts and
    hashes in memory, hash joins over full scans, no JIT (seconds of compiling for these)."""
    if connection.vendor == "postgresql":
        cursor.execute("SET LOCAL work_mem = '256MB'")
        cursor.execute("SET LOCAL enable_mergejoin = off")
        cursor.execute("SET LOCAL jit = off")
