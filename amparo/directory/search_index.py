"""Database-specific search structures that Django's schema editor does not know about.

On SQLite, altering a column of directory_service makes Django rebuild the table, which silently drops the FTS5
triggers; `ensure_search_index` (run after every migrate) recreates whatever is missing and rebuilds the index
when it had to. PostgreSQL's expression indexes survive ALTER TABLE, so there is nothing to repair there.
"""

from __future__ import annotations

from typing import Any

from django.db import connections

SQLITE_TABLE = (
    "CREATE VIRTUAL TABLE IF NOT EXISTS directory_service_fts USING fts5(search_text, "
    "content='directory_service', content_rowid='id', tokenize='unicode61')"
)
SQLITE_TRIGGERS = {
    "directory_service_ai": "CREATE TRIGGER IF NOT EXISTS directory_service_ai AFTER INSERT ON directory_service "
    "BEGIN INSERT INTO directory_service_fts(rowid, search_text) VALUES (new.id, new.search_text); END",
    "directory_service_ad": "CREATE TRIGGER IF NOT EXISTS directory_service_ad AFTER DELETE ON directory_service "
    "BEGIN INSERT INTO directory_service_fts(directory_service_fts, rowid, search_text) "
    "VALUES ('delete', old.id, old.search_text); END",
    "directory_service_au": "CREATE TRIGGER IF NOT EXISTS directory_service_au AFTER UPDATE OF search_text "
    "ON directory_service BEGIN "
    "INSERT INTO directory_service_fts(directory_service_fts, rowid, search_text) "
    "VALUES ('delete', old.id, old.search_text); "
    "INSERT INTO directory_service_fts(rowid, search_text) VALUES (new.id, new.search_text); END",
}


def ensure_search_index(using: str = "default") -> bool:
    """Create missing SQLite FTS structures; returns True when something had to be repaired."""
    connection = connections[using]
    if connection.vendor != "sqlite":
        return False
    with connection.cursor() as cursor:
        cursor.execute("SELECT name FROM sqlite_master WHERE type='table' AND name='directory_service'")
        if cursor.fetchone() is None:
            return False  # migrations have not created the table yet
        cursor.execute(
            "SELECT name FROM sqlite_master WHERE type IN ('table', 'trigger') AND name LIKE 'directory_service_%'"
        )
        present = {row[0] for row in cursor.fetchall()}
        missing = [name for name in (*SQLITE_TRIGGERS, "directory_service_fts") if name not in present]
        if not missing:
            return False
        cursor.execute(SQLITE_TABLE)
        for statement in SQLITE_TRIGGERS.values():
            cursor.execute(statement)
        cursor.execute("INSERT INTO directory_service_fts(directory_service_fts) VALUES ('rebuild')")
    return True


def repair_after_migrate(sender: Any, using: str = "default", **kwargs: Any) -> None:
    ensure_search_index(using)
