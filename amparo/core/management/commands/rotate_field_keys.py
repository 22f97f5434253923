"""Re-encrypt every encrypted field with the first key of FIELD_ENCRYPTION_KEYS (DESIGN.md rule 3: rotatable).

Procedure: put a new key FIRST in FIELD_ENCRYPTION_KEYS (keep the old ones after it), restart, run this command,
then remove the old keys. Values are rewritten in batches, each batch in one transaction; running it twice is
harmless.
"""

from __future__ import annotations

from typing import Any

from django.apps import apps
from django.core.management.base import BaseCommand
from django.db import connection, transaction

from amparo.core.encryption import EncryptedTextField, rotate_token

BATCH = 500


class Command(BaseCommand):
    help = "Re-encrypt every encrypted field with the first key of FIELD_ENCRYPTION_KEYS."

    def handle(self, *args: Any, **options: Any) -> None:
        total = 0
        for model in apps.get_models():
            columns = [str(f.column) for f in model._meta.concrete_fields if isinstance(f, EncryptedTextField)]
            if not columns:
                continue
            table = connection.ops.quote_name(model._meta.db_table)
            pk = connection.ops.quote_name(str(model._meta.pk.column))
            for column in columns:
                col = connection.ops.quote_name(column)
                total += self._rotate(table, pk, col)
        files = self._rotate_files()
        self.stdout.write(f"Re-encrypted {total} value(s) and {files} file(s) with the current key.")

    def _rotate_files(self) -> int:
        """Legal documents are Fernet tokens on disk: rewritten in place (write then rename)."""
        from amparo.cases.legal_services import document_path
        from amparo.cases.models import LegalDocument
        from amparo.core.encryption import fernet

        done = 0
        for document in LegalDocument.objects.select_related("matter").iterator():
            path = document_path(document)
            if not path.exists():
                continue
            fresh = path.with_suffix(".rotating")
            fresh.write_bytes(fernet().rotate(path.read_bytes()))
            fresh.replace(path)
            done += 1
        return done

    def _rotate(self, table: str, pk: str, col: str) -> int:
        done, last = 0, None
        while True:
            with transaction.atomic(), connection.cursor() as cursor:
                where = f"WHERE {col} <> ''" + (f" AND {pk} > %s" if last is not None else "")
                cursor.execute(
                    f"SELECT {pk}, {col} FROM {table} {where} ORDER BY {pk} LIMIT {BATCH}",  # noqa: S608 - quoted names
                    [last] if last is not None else [],
                )
                rows = cursor.fetchall()
                for row_pk, token in rows:
                    cursor.execute(f"UPDATE {table} SET {col} = %s WHERE {pk} = %s", [rotate_token(token), row_pk])  # noqa: S608
            if not rows:
                return done
            done += len(rows)
            last = rows[-1][0]
