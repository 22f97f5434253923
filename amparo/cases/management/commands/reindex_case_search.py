"""Rebuild the blind search index of every case (after CASE_SEARCH_KEY changes; see docs/security.md)."""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand
from django.db import transaction

from amparo.audit.services import audit_record
from amparo.cases.models import Case
from amparo.cases.search import case_search_reindex


class Command(BaseCommand):
    help = "Rebuild the blind search index of every case's name and document under the current CASE_SEARCH_KEY."

    def handle(self, *args: Any, **options: Any) -> None:
        count = 0
        with transaction.atomic():
            for case in Case.objects.iterator():
                case_search_reindex(case)
                count += 1
            audit_record(action="case.search.reindex", object_type="cases.case", detail={"cases": count})
        self.stdout.write(f"{count} cases reindexed.")
