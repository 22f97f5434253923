"""Import an ODK Central or KoboToolbox export too big for the staff page (surveys/imports.py does the work).

    manage.py import_survey_export --form FORM_UUID --form-version 3 --user coordinator@example.org export.csv
    manage.py import_survey_export ... --mode all        # store, if no row has a problem (the default: dry run)
    manage.py import_survey_export ... --mode good_rows  # store the good rows, list the others

The file is streamed from disk (rows read one at a time, stored in batches); the user must coordinate the form's
organisation, and is the actor of the audit entries. Exit status 1 when the file cannot be read or has problems."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from django.contrib.auth import get_user_model
from django.core.management.base import BaseCommand, CommandError, CommandParser

from amparo.access import get_survey_form_for_user
from amparo.accounts.roles import Role
from amparo.surveys.imports import import_file


class Command(BaseCommand):
    help = "Check or import an ODK Central / KoboToolbox export (CSV or XLSX) of one version of a survey form."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("path", type=Path)
        parser.add_argument("--form", required=True, help="the form's uuid")
        parser.add_argument("--form-version", required=True, help="the form version the export answers")
        parser.add_argument("--user", required=True, help="e-mail of a coordinator of the form's organisation")
        parser.add_argument("--mode", choices=["dry_run", "all", "good_rows"], default="dry_run")

    def handle(self, *args: Any, **options: Any) -> None:
        user = get_user_model().objects.filter(email__iexact=options["user"], is_active=True).first()
        if user is None:
            raise CommandError("no active user with that e-mail")
        try:
            survey = get_survey_form_for_user(user, options["form"], {Role.COORDINATOR})
        except Exception as exc:  # Http404: the same answer for "no such form" and "not hers"
            raise CommandError("no such form among those this user coordinates") from exc
        version = survey.versions.filter(version=options["form_version"]).first()
        if version is None:
            raise CommandError(f"the form has no version {options['version']!r}")
        path: Path = options["path"]
        if not path.is_file():
            raise CommandError(f"{path} is not a file")
        with path.open("rb") as data:
            report = import_file(version=version, filename=path.name, data=data, mode=options["mode"], user=user)
        if report.file_error:
            raise CommandError(report.file_error)
        out = self.stdout
        out.write(f"tool: {report.tool or 'not recognised'}")
        out.write(f"rows: {report.rows}  without problems: {report.valid}  with problems: {report.rows_with_problems}")
        out.write(f"already stored: {report.already}  imported now: {report.imported if report.stored else 0}")
        if report.bad_submission_times:
            out.write(f"submission times that are not valid (the import's time kept): {report.bad_submission_times}")
        if report.unknown_columns:
            out.write("columns ignored (no such question): " + ", ".join(report.unknown_columns))
        if report.unanswered_questions:
            out.write("questions without a column: " + ", ".join(report.unanswered_questions))
        for problem in report.problems:
            out.write(f"row {problem.row}, {problem.column}: {problem.problem}")
        if report.problem_count > len(report.problems):
            out.write(f"... {report.problem_count - len(report.problems)} more problems")
        if report.problem_count:
            raise CommandError("the file has problems" + ("" if report.stored else ": nothing was imported"))
