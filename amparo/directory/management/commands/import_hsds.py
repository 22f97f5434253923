from __future__ import annotations

from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.db import transaction

from amparo.directory.hsds.importer import (
    MAX_FILE_BYTES,
    HsdsImportError,
    ImportResult,
    import_document,
    parse_document,
    read_file,
)


class _DryRun(Exception):
    def __init__(self, result: ImportResult) -> None:
        self.result = result


class Command(BaseCommand):
    help = (
        "Import Open Referral HSDS 3.0 JSON: an export document of export_hsds, or a JSON array of compiled HSDS "
        "services. Every object is validated first; then everything is written in one transaction (update or "
        f"create by id), or nothing at all. Files up to {MAX_FILE_BYTES // 1024 // 1024} MB. See docs/hsds.md."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("file", help="The JSON file (UTF-8).")
        parser.add_argument("--dry-run", action="store_true", help="Check and report, then write nothing.")

    def handle(self, *args: object, **options: object) -> None:
        try:
            document = parse_document(read_file(str(options["file"])))
            if options["dry_run"]:
                try:
                    with transaction.atomic():
                        raise _DryRun(import_document(document))
                except _DryRun as dry:
                    result = dry.result
            else:
                result = import_document(document)
        except HsdsImportError as exc:
            raise CommandError(f"{options['file']}: nothing imported: {exc}") from None
        prefix = "Dry run, nothing written. Would import" if options["dry_run"] else "Imported"
        self.stdout.write(
            f"{prefix}: organizations {result.organizations}; locations {result.locations}; "
            f"services {result.services}; services at locations {result.service_at_locations}."
        )
        lines = result.warnings.lines()
        if lines:
            self.stdout.write("Left out (the directory cannot hold these):")
            for line in lines:
                self.stdout.write(f"  {line}")
