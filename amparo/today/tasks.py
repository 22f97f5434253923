"""Background tasks of the notifications, on the project's one task library: django-tasks (the backport of Django 6's
task framework) with the database backend of django-tasks-db (docs/notifications.md says why). A worker runs them:
`manage.py db_worker`."""

from __future__ import annotations

from django_tasks import task

from . import mail


@task()
def email_notification(notification_id: int) -> bool:
    return mail.notification_email_send(notification_id)


@task()
def email_digest(user_id: int) -> int:
    return mail.digest_send(user_id)
