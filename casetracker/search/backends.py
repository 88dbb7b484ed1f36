"""The database side of search keys: a trigram index on PostgreSQL, an FTS5 table on SQLite.

Kept out of `SearchKey.Meta.indexes` because a GinIndex breaks SQLite migrations; migration 0002
calls `install()` on the database it runs on, and `rebuild_search_keys` calls it again (so a
SQLite upgraded to one with the trigram tokenizer gets it).
"""

import functools
import sqlite3

TABLE = "search_searchkey"
FTS_TABLE = "search_searchkey_fts"
# PostgreSQL: the `trigram_word_similar` candidate lookup of casetracker.search.engine.
GIN_INDEX = "searchkey_key_trgm"
# PostgreSQL: the exact-word candidate lookup of casetracker.search.engine (`_exact_words`), which
# answers a common name from one posting list instead of every key trigram-similar to it.
WORDS_INDEX = "searchkey_key_words"
WORDS_SQL = "string_to_array(key, ' ')"


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
    """Create the key index for this database; safe to run again."""
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            # Only what is missing: CREATE INDEX, even IF NOT EXISTS, fails in a transaction
            # that has written to the table (pending foreign-key trigger events).
            cursor.execute("SELECT 1 FROM pg_indexes WHERE indexname = %s", [GIN_INDEX])
            if cursor.fetchone() is None:
                cursor.execute("CREATE EXTENSION IF NOT EXISTS pg_trgm")
                cursor.execute(f"CREATE INDEX {GIN_INDEX} ON {TABLE} USING gin (key gin_trgm_ops)")
                _price_word_similarity(connection)
            cursor.execute("SELECT 1 FROM pg_indexes WHERE indexname = %s", [WORDS_INDEX])
            if cursor.fetchone() is None:
                cursor.execute(f"CREATE INDEX {WORDS_INDEX} ON {TABLE} USING gin (({WORDS_SQL}))")
        elif connection.vendor == "sqlite":
            for statement in _sqlite_statements():
                cursor.execute(statement)


def _price_word_similarity(connection) -> None:
    """Tell the planner what `%>` costs per row, so it uses the GIN index, not a scan.

    pg_trgm declares its operator functions at the default cost of 1, so on tens of thousands of
    keys the planner prefers a sequential scan that computes word similarity for every row
    (measured: 180 ms for 20,000 keys, against about 1 ms through the index). Needs to own the
    extension's functions (the role that created it); where it does not, the index is still
    used on large tables and this is skipped.
    """
    from django.db import DatabaseError, transaction

    try:
        with transaction.atomic(using=connection.alias), connection.cursor() as cursor:
            cursor.execute("ALTER FUNCTION word_similarity_commutator_op(text, text) COST 100")
            cursor.execute("ALTER FUNCTION word_similarity_op(text, text) COST 100")
    except DatabaseError:
        pass


def uninstall(connection) -> None:
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            cursor.execute(f"DROP INDEX IF EXISTS {GIN_INDEX}")
            cursor.execute(f"DROP INDEX IF EXISTS {WORDS_INDEX}")
        elif connection.vendor == "sqlite":
            for statement in _sqlite_statements()[:4]:
                cursor.execute(statement)
