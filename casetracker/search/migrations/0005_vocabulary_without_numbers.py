"""The near-miss vocabulary keeps no numbers (casetracker.search.backends.VOCABULARY_WORD)."""

from django.db import migrations


def forget_numbers(apps, schema_editor):
    from casetracker.search import backends

    backends.forget_numbers(schema_editor.connection)


class Migration(migrations.Migration):
    dependencies = [
        ("search", "0004_search_words"),
    ]

    operations = [
        # Going back keeps the function as it is; `rebuild_search_keys` refills numbers only if
        # the older function is put back by hand.
        migrations.RunPython(forget_numbers, migrations.RunPython.noop, elidable=False),
    ]
