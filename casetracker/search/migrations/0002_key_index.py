"""The trigram index on search keys, by database vendor (see casetracker.search.backends)."""

from django.db import migrations


def install(apps, schema_editor):
    from casetracker.search import backends

    backends.install(schema_editor.connection)


def uninstall(apps, schema_editor):
    from casetracker.search import backends

    backends.uninstall(schema_editor.connection)


class Migration(migrations.Migration):
    dependencies = [
        ("search", "0001_initial"),
    ]

    operations = [
        migrations.RunPython(install, uninstall, elidable=False),
    ]
