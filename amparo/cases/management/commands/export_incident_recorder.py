"""Export an organisation's consented, de-identified incidents as a GBVIMS Incident Recorder–compatible CSV.

    manage.py export_incident_recorder --organization <uuid> FILE [--force]

FILE "-" writes to standard output. What is and is not in the file: cases.incident_recorder. Audited
(`export.incident_recorder`, counts only).
"""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Any
from uuid import UUID

from django.core.management.base import BaseCommand, CommandError, CommandParser

from amparo.accounts.models import Organization
from amparo.cases.incident_recorder import export_incident_recorder


class Command(BaseCommand):
    help = "Write the consented, de-identified incidents of an organisation as a GBVIMS Incident Recorder CSV."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--organization", required=True, help="UUID of the member organisation.")
        parser.add_argument("file", help="Path of the CSV file to write, or - for standard output.")
        parser.add_argument("--force", action="store_true", help="Overwrite FILE if it exists.")

    def handle(self, *args: Any, **options: Any) -> None:
        try:
            org_uuid = UUID(str(options["organization"]))
        except ValueError as exc:
            raise CommandError(
                f"--organization must be an organisation's UUID, not {options['organization']!r}."
            ) from exc
        organization = Organization.objects.filter(uuid=org_uuid).first()
        if organization is None:
            raise CommandError(f"No member organisation with UUID {org_uuid}.")
        target = str(options["file"])
        if target == "-":
            result = export_incident_recorder(organization=organization, out=sys.stdout)
        else:
            path = Path(target)
            if path.is_dir():
                raise CommandError(f"{path} is a directory: give the path of a file.")
            if not path.parent.is_dir():
                raise CommandError(f"The directory {path.parent} does not exist.")
            if path.exists() and not options["force"]:
                raise CommandError(f"{path} exists: use --force to overwrite it.")
            partial = path.with_name(path.name + ".partial")
            try:
                with partial.open("w", encoding="utf-8", newline="") as out:
                    result = export_incident_recorder(organization=organization, out=out)
                partial.replace(path)
            except OSError as exc:
                partial.unlink(missing_ok=True)
                raise CommandError(f"Could not write {path}: {exc}") from exc
            except BaseException:
                partial.unlink(missing_ok=True)
                raise
            path.chmod(0o600)
        self.stderr.write(
            f"Exported {result.incidents} incidents of {result.cases} cases with statistics consent "
            f"({organization.name})."
        )
