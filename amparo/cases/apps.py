from __future__ import annotations

from collections.abc import Iterable, Iterator
from pathlib import Path

from django.apps import AppConfig

from amparo.core.registry import DemoLoader, EncryptedFileStore


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
        return (EncryptedFileStore("legal documents", _legal_document_files),)


def _legal_document_files() -> Iterator[Path]:
    """Every legal document's file (Fernet tokens under FIELD_ENCRYPTION_KEYS, cases.legal_services)."""
    from .legal_services import document_path
    from .models import LegalDocument

    for document in LegalDocument.objects.select_related("matter").iterator():
        yield document_path(document)
