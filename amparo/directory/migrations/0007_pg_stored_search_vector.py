"""PostgreSQL: keep the tsvector stored and indexed, instead of recomputing to_tsvector() for every row checked.

Measured at 100,000 services: a word that matches nothing took 5.5 s with the expression index (the planner walked
the table recomputing the vector), 0.3 s with the stored column; common words 6.6 ms → 0.4 ms.
"""

from django.db import migrations

from amparo.core.migration_sql import run_for_vendor

FORWARD = [
    "ALTER TABLE directory_service ADD COLUMN search_vector tsvector "
    "GENERATED ALWAYS AS (to_tsvector('simple', search_text)) STORED",
    "CREATE INDEX directory_service_search_vector ON directory_service USING gin (search_vector)",
    "DROP INDEX IF EXISTS directory_service_fts",
]
BACKWARD = [
    "CREATE INDEX IF NOT EXISTS directory_service_fts ON directory_service USING gin (to_tsvector('simple', search_text))",
    "DROP INDEX IF EXISTS directory_service_search_vector",
    "ALTER TABLE directory_service DROP COLUMN IF EXISTS search_vector",
]



class Migration(migrations.Migration):
    dependencies = [("directory", "0006_week_slots")]
    operations = [migrations.RunPython(run_for_vendor({"postgresql": FORWARD}), run_for_vendor({"postgresql": BACKWARD}))]
