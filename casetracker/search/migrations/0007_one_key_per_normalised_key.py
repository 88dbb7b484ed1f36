"""One search key per record and normalised key (casetracker.search.indexing.distinct).

Keys written before this kept one row per written form of a name, though a name's Cyrillic form
and its transliterations mostly normalise alike. The rows that are not the preferred one of their
record and normalised key go: the same choice as `indexing.preference` (a public key, then the
name the record is shown by, then the first name written). The same statement on PostgreSQL and
SQLite (window functions); SQLite's FTS5 table follows through its delete trigger. Going back
keeps the fewer keys, which search the same; `rebuild_search_keys` writes them afresh either way.
"""

from django.db import migrations

DEDUPLICATE = """
DELETE FROM search_searchkey WHERE id IN (
    SELECT id FROM (
        SELECT id, ROW_NUMBER() OVER (
            PARTITION BY kind, person_id, place_id, incident_id, key,
                field = 'private_notes'
            ORDER BY
                is_public DESC,
                CASE field
                    WHEN 'display_name' THEN 0 WHEN 'title' THEN 0
                    WHEN 'private_notes' THEN 2 ELSE 1
                END,
                COALESCE(name_id, 0),
                id
        ) AS position
        FROM search_searchkey
    ) AS ranked
    WHERE position > 1
)
"""


class Migration(migrations.Migration):
    dependencies = [
        ("search", "0006_public_key_words_index"),
    ]

    operations = [
        migrations.RunSQL(DEDUPLICATE, migrations.RunSQL.noop, elidable=False),
    ]
