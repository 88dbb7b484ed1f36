"""A backup restored into an empty database holds every record and every history entry.

SQLite: `manage.py backup_database` / `restore_database` (what `make backup` / `make restore`
run). PostgreSQL: pg_dump in its custom format and pg_restore into a new, empty database, as the
README describes.
"""

import io
import subprocess
import uuid

import psycopg2
import pytest
from django.apps import apps
from django.core.management import call_command
from django.db import connection

from casetracker.cases import models as m

from .factories import make_citation, make_entry, make_incident, make_person, make_source


def make_register() -> None:
    """Records of several kinds, each with more than one history entry."""
    source = make_source(title="Motion B9-0072/2022")
    for n in range(3):
        person = make_person(display_name=f"Backup Person {n}")
        make_entry(person, status=m.Status.DETAINED)
        make_citation(source, person=person)
        person.summary = "Edited after creation, so the history has two entries."
        person.save()
    make_incident(title="Almaty protest")


def snapshot() -> dict[str, list[tuple]]:
    """Every row of every table, history included, in a stable order."""
    return {
        model._meta.label: sorted(model._base_manager.values_list(), key=repr)
        for model in apps.get_models()
        if model._meta.managed and not model._meta.proxy
    }


def history_rows(rows: dict[str, list[tuple]]) -> int:
    return sum(len(v) for k, v in rows.items() if k.startswith("cases.Historical"))


@pytest.mark.sqlite
@pytest.mark.django_db(transaction=True)
def test_a_sqlite_backup_restores_every_record_and_history_entry(tmp_path):
    make_register()
    before = snapshot()
    assert history_rows(before) >= 10

    call_command("backup_database", directory=tmp_path, stdout=open_sink())
    (backup,) = tmp_path.glob("*.sqlite3")

    call_command("flush", interactive=False, verbosity=0)
    assert m.Person.objects.count() == 0
    assert m.Person.history.count() == 0

    call_command("restore_database", backup, no_safety_copy=True, stdout=open_sink())
    assert snapshot() == before


def open_sink() -> io.StringIO:
    return io.StringIO()


def pg_tool(tool: str, *args: str) -> None:
    # PostgreSQL's own client tools from PATH, with arguments this test builds.
    subprocess.run([tool, *args], check=True)  # noqa: S603


def pg_tables(cursor) -> list[str]:
    cursor.execute("SELECT tablename FROM pg_tables WHERE schemaname = 'public' ORDER BY tablename")
    return [row[0] for row in cursor.fetchall()]


def pg_snapshot(dsn: dict) -> dict[str, list[tuple]]:
    with psycopg2.connect(**dsn) as conn, conn.cursor() as cursor:
        rows = {}
        for table in pg_tables(cursor):
            cursor.execute(f'SELECT * FROM "{table}"')  # noqa: S608 (table names from pg_tables)
            rows[table] = sorted(cursor.fetchall(), key=repr)
    conn.close()
    return rows


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_a_pg_dump_restored_into_an_empty_database_holds_every_record_and_history_entry(
    tmp_path,
):
    make_register()
    settings = connection.settings_dict
    dsn = {
        "dbname": settings["NAME"],
        "user": settings["USER"],
        "host": settings["HOST"] or "127.0.0.1",
        "port": settings["PORT"] or 5432,
    }
    common = ["-h", str(dsn["host"]), "-p", str(dsn["port"]), "-U", dsn["user"]]
    dump = tmp_path / "casetracker.dump"
    pg_tool("pg_dump", *common, "-Fc", "-f", str(dump), dsn["dbname"])

    empty = f"{dsn['dbname']}_restore_{uuid.uuid4().hex[:8]}"
    pg_tool("createdb", *common, empty)
    try:
        pg_tool("pg_restore", *common, "--no-owner", "--exit-on-error", "-d", empty, str(dump))
        before = pg_snapshot(dsn)
        after = pg_snapshot({**dsn, "dbname": empty})
        assert after == before
        assert sum(len(v) for k, v in after.items() if k.startswith("cases_historical")) >= 10
        assert len(after["cases_person"]) == 3
    finally:
        pg_tool("dropdb", *common, "--if-exists", empty)


@pytest.mark.postgres
def test_the_sqlite_backup_command_points_postgres_users_to_pg_dump(db, tmp_path):
    with pytest.raises(Exception, match="pg_dump"):
        call_command("backup_database", directory=tmp_path)
