"""On PostgreSQL, refuse UPDATE and DELETE of audit rows at the database level (DESIGN.md rule 5).

TRUNCATE stays possible for the database owner (test databases are emptied that way); in production the
application's role should hold only SELECT and INSERT on audit_auditentry (docs/operations.md).
"""

from django.db import migrations

from amparo.core.migration_sql import run_for_vendor

FORWARD = [
    """
    CREATE OR REPLACE FUNCTION audit_append_only() RETURNS trigger AS $$
    BEGIN
        RAISE EXCEPTION 'the audit log is append-only (% refused)', TG_OP;
    END
    $$ LANGUAGE plpgsql
    """,
    "CREATE TRIGGER audit_append_only BEFORE UPDATE OR DELETE ON audit_auditentry "
    "FOR EACH ROW EXECUTE FUNCTION audit_append_only()",
]
BACKWARD = [
    "DROP TRIGGER IF EXISTS audit_append_only ON audit_auditentry",
    "DROP FUNCTION IF EXISTS audit_append_only()",
]



class Migration(migrations.Migration):
    dependencies = [("audit", "0001_initial")]
    operations = [migrations.RunPython(run_for_vendor({"postgresql": FORWARD}), run_for_vendor({"postgresql": BACKWARD}))]
