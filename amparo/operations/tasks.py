"""The scheduled runs as tasks of the project's one task library: django-tasks (the backport of Django 6's task
framework) with the database backend of django-tasks-db. `manage.py run_scheduler` enqueues them, the worker
(`manage.py db_worker`) runs them."""

from __future__ import annotations

from django_tasks import task

from .services import scheduled_run


@task()
def run_scheduled_job(run_id: int) -> str:
    """Run one scheduled run (services.scheduled_run); returns its outcome ("" if it was not queued)."""
    run = scheduled_run(run_id)
    return run.status if run is not None else ""
