"""Background tasks of the surveys, on the project's task library (django-tasks with its database backend; a
worker runs them: `manage.py db_worker`)."""

from __future__ import annotations

from django_tasks import task

from .analysis_store import refresh_analysis
from .models import Form


@task()
def refresh_survey_analysis(form_id: int) -> int:
    """After a version added (question, choice) pairs: bring the form's submissions' analysis bits up to date."""
    form = Form.objects.filter(pk=form_id).first()
    return 0 if form is None else refresh_analysis(form)
