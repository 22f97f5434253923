"""Writes of the staff's day: notifications (created once, e-mailed as background tasks), preferences, digests.

What a notification may carry is fixed by its kind (models.Kind): one sentence, and a link to a staff page. The
e-mail is that sentence and that link, in her language; a digest counts them by kind. No name, case code, place,
service or narrative ever goes into a notification or an e-mail (DESIGN.md rules 1 and 3).
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import datetime, timedelta

from django.conf import settings
from django.db import transaction
from django.db.models import QuerySet
from django.urls import reverse
from django.utils import timezone

from amparo.accounts.models import User
from amparo.cases.legal_services import Reminder, legal_reminder_plan, legal_reminders_sent, reminder_stage
from amparo.cases.models import Case, LegalEvent

from .mail import preference_for
from .models import EMAILED_KINDS, EmailFrequency, Kind, Notification, NotificationPreference
from .tasks import email_notification

# Read notifications are deleted after this many days (`purge_notifications`); unread ones stay until read.
READ_RETENTION = timedelta(days=90)


@transaction.atomic
def notify(*, kind: str, key: str, path: str, recipients: Iterable[User]) -> list[Notification]:
    """One notification per recipient for this event (`key`), never twice; those who want e-mail at once get it
    from a background task enqueued in the same transaction (the database task backend stores it with the rest)."""
    created: list[Notification] = []
    for user in {u.pk: u for u in recipients if u.is_active}.values():
        notification, new = Notification.objects.get_or_create(
            recipient=user, kind=kind, key=key[:64], defaults={"path": path}
        )
        if not new:
            continue
        created.append(notification)
        if kind in EMAILED_KINDS and user.email and preference_for(user).email_frequency == EmailFrequency.IMMEDIATELY:
            email_notification.enqueue(notification.pk)
    return created


@transaction.atomic
def notify_again(*, kind: str, key: str, path: str, recipients: Iterable[User]) -> list[Notification]:
    """As `notify`, for an event that can happen again on the same object (a closure requested anew after a
    refusal): a notification already read is taken back to unread and e-mailed again."""
    users = [u for u in recipients if u.is_active]
    Notification.objects.filter(kind=kind, key=key[:64], recipient__in=users).delete()
    return notify(kind=kind, key=key, path=path, recipients=users)


def email_again(*, kind: str) -> int:
    """Enqueue again the e-mail of every notice of this kind not yet read nor e-mailed, for those who want e-mail at
    once (after a mail outage: the task that failed left it unsent). Sending checks again and never sends twice."""
    pending = Notification.objects.filter(kind=kind, read_at__isnull=True, emailed_at__isnull=True).select_related(
        "recipient"
    )
    queued = 0
    for notification in pending:
        user = notification.recipient
        if user.is_active and user.email and preference_for(user).email_frequency == EmailFrequency.IMMEDIATELY:
            email_notification.enqueue(notification.pk)
            queued += 1
    return queued


# --- Legal dates -------------------------------------------------------------------------------------------------


@dataclass
class LegalNotices:
    plan: list[Reminder]  # who is told of which dates (cases.legal_services.legal_reminder_plan)
    created: int  # notices created by this run (a stage already notified is not notified again)


def legal_notice_key(event: LegalEvent, now: datetime) -> str:
    """One notice per date, per its date and stage (coming up, last day, overdue): a corrected date is notified
    afresh, a date already notified at this stage is not. Never shown."""
    return f"legal:{event.pk}:{int(event.due_at.timestamp())}:{reminder_stage(event, now)}"


@transaction.atomic
def legal_dates_notify(
    *, days: int, cases_for_user: Callable[[User], QuerySet[Case]], now: datetime | None = None
) -> LegalNotices:
    """A notice for each open legal deadline or hearing due within `days` days or overdue, once per stage, to the
    matter's lawyer (else the case's caseworkers; `legal_reminder_plan`). Like every notice it carries no personal
    data, and is e-mailed at once, in the daily digest or never, as each person chose. The run is audited (counts
    only, `legal.reminders.send`)."""
    now = now or timezone.now()
    plan = legal_reminder_plan(days=days, cases_for_user=cases_for_user, now=now)
    created = 0
    for reminder in plan:
        for event in reminder.events:
            created += len(
                notify(
                    kind=Kind.LEGAL_DEADLINE,
                    key=legal_notice_key(event, now),
                    path=reverse("legal:matter", args=[event.matter.uuid]),
                    recipients=[reminder.user],
                )
            )
    legal_reminders_sent(reminders=plan, notices=created)
    return LegalNotices(plan=plan, created=created)


def unread_count(user: User) -> int:
    return Notification.objects.filter(recipient=user, read_at__isnull=True).count()


@transaction.atomic
def notifications_mark_read(*, user: User, ids: Iterable[int] | None = None) -> int:
    """Mark her notifications read (all of them, or those ids among hers)."""
    unread = Notification.objects.filter(recipient=user, read_at__isnull=True)
    if ids is not None:
        unread = unread.filter(pk__in=list(ids))
    return unread.update(read_at=timezone.now())


@transaction.atomic
def preference_set(*, user: User, email_frequency: str) -> NotificationPreference:
    preference = preference_for(user)
    preference.email_frequency = EmailFrequency(email_frequency)
    preference.save(update_fields=["email_frequency"])
    return preference


@transaction.atomic
def language_remember(*, user: User, language: str) -> None:
    """The language she chose on a staff page, for her e-mails."""
    if language in dict(settings.LANGUAGES):
        NotificationPreference.objects.update_or_create(user=user, defaults={"language": language})


def digest_recipients() -> list[int]:
    """Who gets a daily digest."""
    return list(
        NotificationPreference.objects.filter(email_frequency=EmailFrequency.DAILY, user__is_active=True).values_list(
            "user_id", flat=True
        )
    )


@transaction.atomic
def notifications_purge(now: datetime | None = None) -> int:
    """Delete notifications read more than READ_RETENTION ago (DESIGN.md rule 7)."""
    now = now or timezone.now()
    deleted, _counts = Notification.objects.filter(read_at__lt=now - READ_RETENTION).delete()
    return deleted
