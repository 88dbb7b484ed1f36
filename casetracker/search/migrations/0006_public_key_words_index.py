"""The exact-word index on public search keys only (PostgreSQL; see casetracker.search.backends)."""

from django.db import migrations


def install(apps, schema_editor):
    from casetracker.search import backends

    backends.install(schema_editor.connection)


def drop(apps, schema_editor):
    from casetracker.search import backends

    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(f"DROP INDEX IF EXISTS {backends.PUBLIC_WORDS_INDEX}")


class Migration(migrations.Migration):
    dependencies = [
        ("search", "0005_vocabulary_without_numbers"),
    ]

    operations = [
        migrations.RunPython(install, drop, elidable=False),
    ]
