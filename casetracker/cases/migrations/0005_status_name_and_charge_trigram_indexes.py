"""The staff changelist's status filter in name order, and the public charge-article filter.

The article filter matches any part of the article (`legal_basis__icontains`, which Django
writes as `UPPER("legal_basis"::text) LIKE UPPER(%s)`): no b-tree serves it, so the b-tree on
legal_basis goes, and on PostgreSQL a trigram index on the same expression comes. ANALYZE also
keeps statistics on the expression, so the planner knows how common an article is and walks
the persons in name order instead of gathering every charged person first.
"""

from django.db import migrations, models

TRIGRAM_INDEX = "charge_legal_basis_trgm"


def create_trigram_index(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    with schema_editor.connection.cursor() as cursor:
        cursor.execute("CREATE EXTENSION IF NOT EXISTS pg_trgm")
        cursor.execute(
            f"CREATE INDEX IF NOT EXISTS {TRIGRAM_INDEX} ON cases_charge "
            "USING gin ((UPPER(legal_basis::text)) gin_trgm_ops)"
        )
        cursor.execute("ANALYZE cases_charge")


def drop_trigram_index(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        with schema_editor.connection.cursor() as cursor:
            cursor.execute(f"DROP INDEX IF EXISTS {TRIGRAM_INDEX}")


class Migration(migrations.Migration):
    dependencies = [
        ("cases", "0004_person_display_name_index"),
    ]

    operations = [
        migrations.RemoveIndex(model_name="charge", name="charge_legal_basis"),
        migrations.RemoveIndex(model_name="person", name="person_status"),
        migrations.AddIndex(
            model_name="person",
            index=models.Index(fields=["status", "display_name"], name="person_status_name"),
        ),
        migrations.RunPython(create_trigram_index, drop_trigram_index, elidable=False),
    ]
