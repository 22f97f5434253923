"""Where a case's files live on disk (legal documents and case files, encrypted): shared by the case and legal-aid
services."""

from __future__ import annotations

from pathlib import Path

from django.conf import settings

from amparo.core.filestore import Sweep, sweep_orphans

from .models import Case


def matter_folders(case: Case) -> list[Path]:
    """The storage folders of a case's legal matters (removed when the case is purged)."""
    folders = [Path(settings.CASES_STORAGE_DIR) / str(u) for u in case.legal_matters.values_list("uuid", flat=True)]
    # The case's own files (casework_services.case_file_folder).
    return [*folders, Path(settings.CASES_STORAGE_DIR) / "case-files" / str(case.uuid)]


def sweep_orphan_files() -> Sweep:
    """Delete case files and legal documents that no row names (a writer killed between the file and the commit, a
    purge killed between the commit and the folders' removal), once past the grace period (core/filestore.py)."""
    from .models import CaseFile, LegalDocument

    known = [f"case-files/{case}/{uuid}.bin" for uuid, case in CaseFile.objects.values_list("uuid", "case__uuid")]
    known += [f"{matter}/{uuid}.bin" for uuid, matter in LegalDocument.objects.values_list("uuid", "matter__uuid")]
    return sweep_orphans(Path(settings.CASES_STORAGE_DIR), known)
