from __future__ import annotations

from collections.abc import Iterable, Iterator
from pathlib import Path

from django.apps import AppConfig

from amparo.core.registry import DemoLoader, EncryptedFileStore, StorageDir


class CasesConfig(AppConfig):
    name = "amparo.cases"
    label = "cases"
    verbose_name = "Cases"

    def demo_loaders(self) -> Iterable[DemoLoader]:
        from .demo import load_demo_case_records

        return (DemoLoader(60, "cases", load_demo_case_records),)

    def ready(self) -> None:
        from . import receivers  # noqa: F401  (connects the safe channel's consent signals)

    def encrypted_file_stores(self) -> Iterable[EncryptedFileStore]:
        return (
            EncryptedFileStore("legal documents", _legal_document_files),
            EncryptedFileStore("case files", _case_files),
        )

    def storage_dirs(self) -> Iterable[StorageDir]:
        from django.conf import settings

        return (StorageDir("cases", lambda: Path(settings.CASES_STORAGE_DIR)),)


def _legal_document_files() -> Iterator[Path]:
    """Every legal document's file (Fernet tokens under FIELD_ENCRYPTION_KEYS, cases.legal_services)."""
    from .legal_services import document_path
    from .models import LegalDocument

    for document in LegalDocument.objects.select_related("matter").iterator():
        yield document_path(document)


def _case_files() -> Iterator[Path]:
    """Every case file (Fernet tokens under FIELD_ENCRYPTION_KEYS, cases.casework_services)."""
    from .casework_services import case_file_path
    from .models import CaseFile

    for case_file in CaseFile.objects.select_related("case").iterator():
        yield case_file_path(case_file)
