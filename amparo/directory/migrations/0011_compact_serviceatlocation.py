"""Rewrite directory_serviceatlocation now that 0010 dropped the 672-character `week`, and refresh its statistics.

PostgreSQL's ALTER TABLE ... DROP COLUMN only hides a column: the rows already written keep its bytes until they are
rewritten, and a search that reads every row would still read them (78 MB at 100,000 rows instead of 24 MB). VACUUM
FULL rewrites the table and its indexes; it locks the table while it runs (seconds at 100,000 rows) and cannot run
inside a transaction, hence a non-atomic migration. SQLite's DROP COLUMN rewrites each row where it stands and
leaves the table's pages mostly empty (27,600 pages instead of 4,200 at 100,000 rows: reading every row took 55 ms
instead of 15); SQLite compacts only by rewriting the whole file, with VACUUM (4 s for the 400 MB benchmark
database). ANALYZE on both: the search's plans depend on the new columns' statistics.
"""

from django.db import migrations

from amparo.core.migration_sql import run_for_vendor

COMPACT = {
    "postgresql": ["VACUUM FULL directory_serviceatlocation", "ANALYZE directory_serviceatlocation"],
    "sqlite": ["VACUUM", "ANALYZE directory_serviceatlocation"],
}


class Migration(migrations.Migration):
    atomic = False
    dependencies = [("directory", "0010_drop_week_text")]
    operations = [migrations.RunPython(run_for_vendor(COMPACT), migrations.RunPython.noop)]
