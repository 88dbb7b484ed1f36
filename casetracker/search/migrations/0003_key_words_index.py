"""The exact-word index on search keys (PostgreSQL; see casetracker.search.backends)."""

from django.db import migrations


def install(apps, schema_editor):
    from casetracker.search import backends

    backends.install(schema_editor.connection)


class Migration(migrations.Migration):
    dependencies = [
        ("search", "0002_key_index"),
    ]

    operations = [
        migrations.RunPython(install, migrations.RunPython.noop, elidable=False),
    ]
