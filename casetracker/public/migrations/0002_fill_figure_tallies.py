"""Fill the precomputed figures from the register as it is (existing databases)."""

from django.db import migrations


def fill(apps, schema_editor):
    from casetracker.public.tallies import rebuild

    rebuild(using=schema_editor.connection.alias, apps=apps)


class Migration(migrations.Migration):
    dependencies = [("public", "0001_figure_tallies")]

    operations = [migrations.RunPython(fill, migrations.RunPython.noop)]
