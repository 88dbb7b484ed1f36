"""Backups of the embedded SQLite database: SQLite's online backup, page by page, consistent.

The backup API copies a consistent snapshot even while the app writes (WAL mode), unlike copying
the file. PostgreSQL is backed up with its own tools (pg_dump / pg_restore; see the README).
"""

import sqlite3
from pathlib import Path

from django.db import connections
from django.utils import timezone


def is_sqlite(alias: str = "default") -> bool:
    return connections[alias].vendor == "sqlite"


def backup_sqlite(directory: Path, *, alias: str = "default") -> Path:
    """Write the database to `directory`/<UTC timestamp>.sqlite3 and return the file's path."""
    directory.mkdir(parents=True, exist_ok=True)
    target = directory / f"{timezone.now():%Y%m%dT%H%M%S%fZ}.sqlite3"
    connection = connections[alias]
    connection.ensure_connection()
    with sqlite3.connect(target) as copy:
        connection.connection.backup(copy)
    copy.close()
    return target


def restore_sqlite(backup: Path, *, alias: str = "default") -> None:
    """Replace the whole database with the backup's content (schema, rows, history)."""
    connection = connections[alias]
    connection.ensure_connection()
    source = sqlite3.connect(f"file:{backup}?mode=ro", uri=True)
    try:
        source.backup(connection.connection)
    finally:
        source.close()
