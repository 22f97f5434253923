"""Re-encrypt every encrypted field with the first key of FIELD_ENCRYPTION_KEYS (DESIGN.md rule 3: rotatable):
the EncryptedTextFields, the binary columns and the files that apps register (core.registry).

Procedure: put a new key FIRST in FIELD_ENCRYPTION_KEYS (keep the old ones after it), restart, run this command,
then remove the old keys. Values are rewritten in batches, each batch in one transaction; running it twice is
harmless.
"""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand
from django.db import connection, models, transaction

from amparo.core.encryption import fernet, rotate_token
from amparo.core.registry import encrypted_blob_columns, encrypted_fields, encrypted_file_stores

BATCH = 500


class Command(BaseCommand):
    help = "Re-encrypt every encrypted field with the first key of FIELD_ENCRYPTION_KEYS."

    def handle(self, *args: Any, **options: Any) -> None:
        total = 0
        for model, fields in encrypted_fields():
            columns = [str(f.column) for f in fields]
            table = connection.ops.quote_name(model._meta.db_table)
            pk = connection.ops.quote_name(str(model._meta.pk.column))
            for column in columns:
                col = connection.ops.quote_name(column)
                total += self._rotate(table, pk, col)
        for blob in encrypted_blob_columns():  # files kept in the database (survey attachments)
            model = blob.model()
            table = connection.ops.quote_name(model._meta.db_table)
            pk = connection.ops.quote_name(str(model._meta.pk.column))
            field = model._meta.get_field(blob.field)
            assert isinstance(field, models.BinaryField), f"{model.__name__}.{blob.field} is not a BinaryField"
            col = connection.ops.quote_name(str(field.column))
            total += self._rotate(table, pk, col, binary=True)
        files = self._rotate_files()
        self.stdout.write(f"Re-encrypted {total} value(s) and {files} file(s) with the current key.")

    def _rotate_files(self) -> int:
        """Files that apps register as encrypted (legal documents...) are Fernet tokens on disk: rewritten in place
        (write then rename)."""
        done = 0
        for store in encrypted_file_stores():
            for path in store.files():
                if not path.exists():
                    continue
                fresh = path.with_suffix(".rotating")
                fresh.write_bytes(fernet().rotate(path.read_bytes()))
                fresh.replace(path)
                done += 1
        return done

    def _rotate(self, table: str, pk: str, col: str, *, binary: bool = False) -> int:
        done, last = 0, None
        while True:
            with transaction.atomic(), connection.cursor() as cursor:
                where = "WHERE 1 = 1" if binary else f"WHERE {col} <> ''"
                where += f" AND {pk} > %s" if last is not None else ""
                cursor.execute(
                    f"SELECT {pk}, {col} FROM {table} {where} ORDER BY {pk} LIMIT {BATCH}",  # noqa: S608 - quoted names
                    [last] if last is not None else [],
                )
                rows = cursor.fetchall()
                for row_pk, token in rows:
                    if binary:
                        if token is None or not bytes(token):
                            continue
                        fresh: str | bytes = fernet().rotate(bytes(token))
                    else:
                        fresh = rotate_token(token)
                    cursor.execute(f"UPDATE {table} SET {col} = %s WHERE {pk} = %s", [fresh, row_pk])  # noqa: S608
            if not rows:
                return done
            done += len(rows)
            last = rows[-1][0]
