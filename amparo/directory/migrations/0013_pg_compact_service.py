"""PostgreSQL: rewrite directory_service now that 0012 moved its full-text vector out (about 1 KB a row, kept by the
old rows until they are rewritten), and refresh the statistics of both tables. Non-atomic: VACUUM FULL cannot run
inside a transaction; it locks directory_service for the seconds it takes at 100,000 services."""

from django.db import migrations

from amparo.core.migration_sql import run_for_vendor

COMPACT = {
    "postgresql": ["VACUUM FULL directory_service", "ANALYZE directory_service", "ANALYZE directory_service_search"]
}


class Migration(migrations.Migration):
    atomic = False
    dependencies = [("directory", "0012_pg_narrow_search_vector")]
    operations = [migrations.RunPython(run_for_vendor(COMPACT), migrations.RunPython.noop)]
