"""Background tasks of insights, on the project's task library: django-tasks (the backport of Django 6's task
framework) with the database backend of django-tasks-db. A worker runs them: `manage.py db_worker`."""

from __future__ import annotations

from django_tasks import task

from .report_services import report_build


@task()
def build_situation_report(report_id: int) -> str:
    """Build a situation report that waits (report_services.report_build); returns its status ("" when there was
    nothing to build)."""
    report = report_build(report_id)
    return report.status if report is not None else ""
