"""Search indexes for each database: FTS5 on SQLite, full text (GIN) and trigram on PostgreSQL."""

from django.db import migrations

from amparo.core.migration_sql import run_for_vendor

SQLITE_FORWARD = [
    "CREATE VIRTUAL TABLE directory_service_fts USING fts5(search_text, content='directory_service', "
    "content_rowid='id', tokenize='unicode61')",
    "CREATE TRIGGER directory_service_ai AFTER INSERT ON directory_service BEGIN "
    "INSERT INTO directory_service_fts(rowid, search_text) VALUES (new.id, new.search_text); END",
    "CREATE TRIGGER directory_service_ad AFTER DELETE ON directory_service BEGIN "
    "INSERT INTO directory_service_fts(directory_service_fts, rowid, search_text) "
    "VALUES ('delete', old.id, old.search_text); END",
    "CREATE TRIGGER directory_service_au AFTER UPDATE OF search_text ON directory_service BEGIN "
    "INSERT INTO directory_service_fts(directory_service_fts, rowid, search_text) "
    "VALUES ('delete', old.id, old.search_text); "
    "INSERT INTO directory_service_fts(rowid, search_text) VALUES (new.id, new.search_text); END",
    "INSERT INTO directory_service_fts(directory_service_fts) VALUES ('rebuild')",
]
SQLITE_BACKWARD = [
    "DROP TRIGGER IF EXISTS directory_service_au",
    "DROP TRIGGER IF EXISTS directory_service_ad",
    "DROP TRIGGER IF EXISTS directory_service_ai",
    "DROP TABLE IF EXISTS directory_service_fts",
]
POSTGRES_FORWARD = [
    "CREATE EXTENSION IF NOT EXISTS pg_trgm",
    "CREATE INDEX directory_service_fts ON directory_service USING gin (to_tsvector('simple', search_text))",
    "CREATE INDEX directory_searchterm_trgm ON directory_searchterm USING gin (word gin_trgm_ops)",
]
POSTGRES_BACKWARD = [
    "DROP INDEX IF EXISTS directory_searchterm_trgm",
    "DROP INDEX IF EXISTS directory_service_fts",
]



class Migration(migrations.Migration):
    dependencies = [("directory", "0001_initial")]

    operations = [
        migrations.RunPython(
            run_for_vendor({"sqlite": SQLITE_FORWARD, "postgresql": POSTGRES_FORWARD}),
            run_for_vendor({"sqlite": SQLITE_BACKWARD, "postgresql": POSTGRES_BACKWARD}),
        )
    ]
