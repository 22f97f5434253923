"""PostgreSQL: move the full-text vector out of directory_service into a table of its own.

A common word ("vih", "denuncia") matches tens of thousands of services. When the other filters leave few of them,
the search must read the whole match set, and PostgreSQL reads the matching ids from the heap of the GIN-indexed
table: with the vector stored in directory_service (146 MB at 100,000 services, the vector often toasted) a match
set of 15,000 services took 40 ms with the pages cached and 390 ms without. directory_service_search holds only the
service id and the vector, stripped of positions (`@@` with `&` and `:*` does not use them): 79 MB, and the same
match set takes 13 ms; checking one service's text reads one row and detoasts nothing.

Triggers keep it in step with directory_service.search_text, as the FTS5 triggers do on SQLite (search_index.py).
"""

from django.db import migrations

from amparo.core.migration_sql import run_for_vendor

FORWARD = [
    "CREATE TABLE directory_service_search (service_id bigint PRIMARY KEY, search_vector tsvector NOT NULL)",
    "INSERT INTO directory_service_search (service_id, search_vector) "
    "SELECT id, strip(to_tsvector('simple', search_text)) FROM directory_service",
    "CREATE INDEX directory_service_search_gin ON directory_service_search USING gin (search_vector)",
    """CREATE FUNCTION directory_service_search_sync() RETURNS trigger LANGUAGE plpgsql AS $$
    BEGIN
        IF TG_OP = 'DELETE' THEN
            DELETE FROM directory_service_search WHERE service_id = OLD.id;
        ELSIF TG_OP = 'TRUNCATE' THEN
            TRUNCATE directory_service_search;
        ELSE
            INSERT INTO directory_service_search (service_id, search_vector)
            VALUES (NEW.id, strip(to_tsvector('simple', NEW.search_text)))
            ON CONFLICT (service_id) DO UPDATE SET search_vector = EXCLUDED.search_vector;
        END IF;
        RETURN NULL;
    END
    $$""",
    "CREATE TRIGGER directory_service_search_ins AFTER INSERT ON directory_service "
    "FOR EACH ROW EXECUTE FUNCTION directory_service_search_sync()",
    "CREATE TRIGGER directory_service_search_upd AFTER UPDATE OF search_text ON directory_service "
    "FOR EACH ROW WHEN (OLD.search_text IS DISTINCT FROM NEW.search_text) "
    "EXECUTE FUNCTION directory_service_search_sync()",
    "CREATE TRIGGER directory_service_search_del AFTER DELETE ON directory_service "
    "FOR EACH ROW EXECUTE FUNCTION directory_service_search_sync()",
    "CREATE TRIGGER directory_service_search_trunc AFTER TRUNCATE ON directory_service "
    "FOR EACH STATEMENT EXECUTE FUNCTION directory_service_search_sync()",
    "ALTER TABLE directory_service DROP COLUMN search_vector",  # and its index, directory_service_search_vector
]
BACKWARD = [
    "DROP FUNCTION directory_service_search_sync() CASCADE",  # and the triggers
    "DROP TABLE directory_service_search",
    "ALTER TABLE directory_service ADD COLUMN search_vector tsvector "
    "GENERATED ALWAYS AS (to_tsvector('simple', search_text)) STORED",
    "CREATE INDEX directory_service_search_vector ON directory_service USING gin (search_vector)",
]


class Migration(migrations.Migration):
    dependencies = [("directory", "0011_compact_serviceatlocation")]
    operations = [
        migrations.RunPython(run_for_vendor({"postgresql": FORWARD}), run_for_vendor({"postgresql": BACKWARD}))
    ]
