"""The database side of search keys: indexes and a word vocabulary on PostgreSQL, FTS5 on SQLite.

Kept out of `SearchKey.Meta.indexes` because a GinIndex breaks SQLite migrations; migrations
0002–0004 call `install()` on the database they run on, and `rebuild_search_keys` calls it again
(so a SQLite upgraded to one with the trigram tokenizer gets it).

PostgreSQL (casetracker.search.engine, `candidate_query`):
- a GIN index on each key's words (`string_to_array(key, ' ')`), for keys holding given words,
  and the same on public keys only, for the public search;
- the vocabulary `search_searchword`, every word of every key, with a GIN trigram index, where a
  misspelt or half-typed query word is looked up; statement-level triggers on search keys add the
  words of every inserted or updated key (COPY included), so no writer has to remember it.
"""

import functools
import sqlite3

TABLE = "search_searchkey"
FTS_TABLE = "search_searchkey_fts"
VOCABULARY = "search_searchword"
# PostgreSQL: keys holding given words (`engine.candidate_query`, every step): every key for
# the staff search, imports and the duplicate check; public keys only for the public site and
# the API, whose posting lists are then a third shorter and hold no key the search would drop
# (at 1M demo persons a full name's candidates in 1.9 ms instead of 3.4: docs/performance.md).
WORDS_INDEX = "searchkey_key_words"
PUBLIC_WORDS_INDEX = "searchkey_public_words"
WORDS_SQL = "string_to_array(key, ' ')"
# PostgreSQL: query words looked up in the vocabulary by trigram similarity or prefix.
VOCABULARY_INDEX = "searchword_word_trgm"
# Dropped by migration 0004: the trigram index on whole keys, which near misses used before the
# vocabulary (at 1M persons it read tens of thousands of keys for a common name).
OLD_KEY_TRIGRAM_INDEX = "searchkey_key_trgm"

# Words of the vocabulary: not numbers. Near misses are for names; a number ("no. 901") is found
# by the exact-word step or not at all, and a register's numbered incidents would otherwise
# outnumber its names' words (at 1M demo persons 7,380 of 7,630 words were numbers, and the
# vocabulary lookup, which reads every word, was 7 times slower than at 100k).
VOCABULARY_WORD = "word <> '' AND word !~ '^[0-9]+$'"
_VOCABULARY_FUNCTION = f"""
CREATE OR REPLACE FUNCTION search_words_of_new_keys() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    INSERT INTO search_searchword (word)
    SELECT DISTINCT word FROM new_keys, unnest(string_to_array(new_keys.key, ' ')) AS word
    WHERE {VOCABULARY_WORD}
    ON CONFLICT (word) DO NOTHING;
    RETURN NULL;
END
$$
"""  # noqa: S608 -- fixed text: no value from outside
_VOCABULARY_FILL = f"""
INSERT INTO search_searchword (word)
SELECT DISTINCT word FROM search_searchkey, unnest(string_to_array(key, ' ')) AS word
WHERE {VOCABULARY_WORD}
ON CONFLICT (word) DO NOTHING
"""  # noqa: S608 -- fixed text: no value from outside
_TRIGGERS = {
    "searchkey_words_on_insert": "AFTER INSERT",
    "searchkey_words_on_update": "AFTER UPDATE",
}


def _exists(cursor, catalogue: str, column: str, name: str) -> bool:
    cursor.execute(f"SELECT 1 FROM {catalogue} WHERE {column} = %s", [name])  # noqa: S608
    return cursor.fetchone() is not None


def _install_postgresql(cursor) -> None:
    # Only what is missing: CREATE INDEX or TRIGGER, even IF NOT EXISTS, fails in a transaction
    # that has written to the table (pending foreign-key trigger events).
    cursor.execute("CREATE EXTENSION IF NOT EXISTS pg_trgm")
    if not _exists(cursor, "pg_indexes", "indexname", WORDS_INDEX):
        cursor.execute(f"CREATE INDEX {WORDS_INDEX} ON {TABLE} USING gin (({WORDS_SQL}))")
    if not _exists(cursor, "pg_indexes", "indexname", PUBLIC_WORDS_INDEX):
        cursor.execute(
            f"CREATE INDEX {PUBLIC_WORDS_INDEX} ON {TABLE} USING gin (({WORDS_SQL})) "
            "WHERE is_public"
        )
    cursor.execute("SELECT to_regclass(%s)", [VOCABULARY])
    if cursor.fetchone()[0] is None:
        return  # migrations 0002 and 0003, before 0004 creates the vocabulary
    if not _exists(cursor, "pg_indexes", "indexname", VOCABULARY_INDEX):
        cursor.execute(
            f"CREATE INDEX {VOCABULARY_INDEX} ON {VOCABULARY} USING gin (word gin_trgm_ops)"
        )
    missing = [t for t in _TRIGGERS if not _exists(cursor, "pg_trigger", "tgname", t)]
    if missing:
        cursor.execute(_VOCABULARY_FUNCTION)
        for trigger in missing:
            cursor.execute(
                f"CREATE TRIGGER {trigger} {_TRIGGERS[trigger]} ON {TABLE} "
                "REFERENCING NEW TABLE AS new_keys FOR EACH STATEMENT "
                "EXECUTE FUNCTION search_words_of_new_keys()"
            )
        # The words of the keys written before the triggers existed.
        cursor.execute(_VOCABULARY_FILL)


def forget_numbers(connection) -> None:
    """Migration 0005: the vocabulary function without numbers, and the numbers gone."""
    if connection.vendor != "postgresql":
        return
    with connection.cursor() as cursor:
        cursor.execute("SELECT to_regprocedure('search_words_of_new_keys()')")
        if cursor.fetchone()[0] is not None:
            cursor.execute(_VOCABULARY_FUNCTION)
        cursor.execute(f"DELETE FROM {VOCABULARY} WHERE NOT ({VOCABULARY_WORD})")  # noqa: S608


@functools.cache
def sqlite_has_trigram() -> bool:
    """Whether this SQLite has FTS5's trigram tokenizer (3.34 and later)."""
    try:
        with sqlite3.connect(":memory:") as probe:
            probe.execute("CREATE VIRTUAL TABLE probe USING fts5(k, tokenize='trigram')")
    except sqlite3.OperationalError:
        return False
    return True


def _sqlite_statements() -> list[str]:
    # External-content FTS5 table kept in step with search_searchkey by triggers, so every
    # ORM write (create, bulk_create, delete, cascade) reaches it without Python code.
    tokenizer = "trigram" if sqlite_has_trigram() else "unicode61"
    return [
        "DROP TRIGGER IF EXISTS search_searchkey_ai",
        "DROP TRIGGER IF EXISTS search_searchkey_ad",
        "DROP TRIGGER IF EXISTS search_searchkey_au",
        "DROP TABLE IF EXISTS search_searchkey_fts",
        "CREATE VIRTUAL TABLE search_searchkey_fts USING fts5(key, content='search_searchkey', "
        "content_rowid='id', tokenize='" + tokenizer + "')",
        """CREATE TRIGGER search_searchkey_ai AFTER INSERT ON search_searchkey BEGIN
            INSERT INTO search_searchkey_fts(rowid, key) VALUES (new.id, new.key);
        END""",
        """CREATE TRIGGER search_searchkey_ad AFTER DELETE ON search_searchkey BEGIN
            INSERT INTO search_searchkey_fts(search_searchkey_fts, rowid, key)
                VALUES ('delete', old.id, old.key);
        END""",
        """CREATE TRIGGER search_searchkey_au AFTER UPDATE ON search_searchkey BEGIN
            INSERT INTO search_searchkey_fts(search_searchkey_fts, rowid, key)
                VALUES ('delete', old.id, old.key);
            INSERT INTO search_searchkey_fts(rowid, key) VALUES (new.id, new.key);
        END""",
        "INSERT INTO search_searchkey_fts(search_searchkey_fts) VALUES ('rebuild')",
    ]


def install(connection) -> None:
    """Create the key indexes for this database; safe to run again."""
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            _install_postgresql(cursor)
        elif connection.vendor == "sqlite":
            for statement in _sqlite_statements():
                cursor.execute(statement)


def uninstall(connection) -> None:
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            cursor.execute(f"DROP INDEX IF EXISTS {WORDS_INDEX}")
            cursor.execute(f"DROP INDEX IF EXISTS {PUBLIC_WORDS_INDEX}")
        elif connection.vendor == "sqlite":
            for statement in _sqlite_statements()[:4]:
                cursor.execute(statement)
