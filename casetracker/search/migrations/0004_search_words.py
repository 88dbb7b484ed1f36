"""The word vocabulary for near misses (PostgreSQL; see casetracker.search.backends)."""

from django.db import migrations, models


def install(apps, schema_editor):
    from casetracker.search import backends

    backends.install(schema_editor.connection)
    if schema_editor.connection.vendor == "postgresql":
        with schema_editor.connection.cursor() as cursor:
            cursor.execute(f"DROP INDEX IF EXISTS {backends.OLD_KEY_TRIGRAM_INDEX}")


def uninstall(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        with schema_editor.connection.cursor() as cursor:
            cursor.execute("DROP TRIGGER IF EXISTS searchkey_words_on_insert ON search_searchkey")
            cursor.execute("DROP TRIGGER IF EXISTS searchkey_words_on_update ON search_searchkey")
            cursor.execute("DROP FUNCTION IF EXISTS search_words_of_new_keys()")
            cursor.execute(
                "CREATE INDEX IF NOT EXISTS searchkey_key_trgm ON search_searchkey "
                "USING gin (key gin_trgm_ops)"
            )


class Migration(migrations.Migration):
    dependencies = [
        ("search", "0003_key_words_index"),
    ]

    operations = [
        migrations.CreateModel(
            name="SearchWord",
            fields=[
                (
                    "id",
                    models.BigAutoField(
                        auto_created=True, primary_key=True, serialize=False, verbose_name="ID"
                    ),
                ),
                ("word", models.TextField(unique=True, verbose_name="word")),
            ],
            options={
                "verbose_name": "search word",
                "verbose_name_plural": "search words",
            },
        ),
        migrations.RunPython(install, uninstall, elidable=False),
    ]
