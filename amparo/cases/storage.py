"""Where a case's files live on disk (legal documents and case files, encrypted): shared by the case and legal-aid
services."""

from __future__ import annotations

from pathlib import Path

from django.conf import settings

from .models import Case


def matter_folders(case: Case) -> list[Path]:
    """The storage folders of a case's legal matters (removed when the case is purged)."""
    folders = [Path(settings.CASES_STORAGE_DIR) / str(u) for u in case.legal_matters.values_list("uuid", flat=True)]
    # The case's own files (casework_services.case_file_folder).
    return [*folders, Path(settings.CASES_STORAGE_DIR) / "case-files" / str(case.uuid)]
