"""Bring the survey submissions' analysis bits up to date (surveys/codebook.py).

    manage.py refresh_survey_analysis

Publishing a version that adds (question, choice) pairs queues this as a background task for its form; run it by
hand after upgrading from a release without analysis bits, or if no task worker ran. Until then the
characterisation counts the stale submissions from their answers: the same figures, more slowly.
"""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand

from amparo.surveys.analysis_store import refresh_analysis
from amparo.surveys.models import Form


class Command(BaseCommand):
    help = "Recompute the analysis bits of survey submissions stored before their form's codebook grew."

    def handle(self, *args: Any, **options: Any) -> None:
        for form in Form.objects.order_by("pk"):
            updated = refresh_analysis(form)
            if updated:
                self.stdout.write(f"{form.form_id}: {updated} submissions brought up to date")
