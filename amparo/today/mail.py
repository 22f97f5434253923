"""The e-mails of the notifications: one notice at once, or the daily digest. The bodies of the background tasks
(`tasks.py`). An e-mail says what kind of thing is waiting and links to the staff page; nothing else."""

from __future__ import annotations

from collections import Counter
from datetime import datetime

from django.conf import settings
from django.core.mail import send_mail
from django.db import transaction
from django.urls import reverse
from django.utils import timezone, translation
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from amparo.accounts.models import User

from .models import EMAILED_KINDS, KIND_ORDER, EmailFrequency, Kind, Notification, NotificationPreference


def preference_for(user: User) -> NotificationPreference:
    preference, _created = NotificationPreference.objects.get_or_create(user=user)
    return preference


def _language(user: User) -> str:
    return preference_for(user).language or settings.LANGUAGE_CODE


def _link(path: str) -> str:
    return f"{settings.BASE_URL}{path}"


def _footer() -> list[str]:
    return [
        "",
        _("Sign in to see it. This e-mail holds no personal data on purpose."),
        _("Choose how often you get these e-mails: %(url)s") % {"url": _link(reverse("today:preferences"))},
    ]


@transaction.atomic
def notification_email_send(notification_id: int) -> bool:
    """E-mail one notification if she still wants e-mail at once and it was neither read nor e-mailed yet (the
    body of the background task). The row is locked so that two workers never send it twice."""
    notification = (
        Notification.objects.select_for_update().select_related("recipient").filter(pk=notification_id).first()
    )
    if notification is None or notification.emailed_at or notification.read_at:
        return False
    user = notification.recipient
    if not (user.is_active and user.email) or preference_for(user).email_frequency != EmailFrequency.IMMEDIATELY:
        return False
    with translation.override(_language(user)):
        subject = _("Amparo: something is waiting for you")
        body = [str(Kind(notification.kind).label), _link(notification.path), *_footer()]
        send_mail(subject, "\n".join(body) + "\n", settings.DEFAULT_FROM_EMAIL, [user.email])
    notification.emailed_at = timezone.now()
    notification.save(update_fields=["emailed_at"])
    return True


@transaction.atomic
def digest_send(user_id: int, now: datetime | None = None) -> int:
    """The daily summary: how many of each kind arrived since her last digest and are still unread, with one link
    to her notifications page. Returns how many notifications it covered (0: nothing sent)."""
    now = now or timezone.now()
    user = User.objects.filter(pk=user_id, is_active=True).first()
    if user is None or not user.email:
        return 0
    preference = NotificationPreference.objects.select_for_update().get(pk=preference_for(user).pk)
    if preference.email_frequency != EmailFrequency.DAILY:
        return 0
    pending = Notification.objects.filter(
        recipient=user, read_at__isnull=True, emailed_at__isnull=True, kind__in=EMAILED_KINDS, created_at__lte=now
    )
    counts = Counter(pending.values_list("kind", flat=True))
    total = sum(counts.values())
    if total:
        with translation.override(preference.language or settings.LANGUAGE_CODE):
            subject = ngettext(
                "Amparo: %(count)d notice waiting for you", "Amparo: %(count)d notices waiting for you", total
            ) % {"count": total}
            lines = [f"{counts[kind]} × {Kind(kind).label}" for kind in KIND_ORDER if counts.get(kind)]
            body = [*lines, "", _link(reverse("today:notifications")), *_footer()]
            send_mail(subject, "\n".join(body) + "\n", settings.DEFAULT_FROM_EMAIL, [user.email])
        pending.update(emailed_at=now)
    preference.last_digest_at = now
    preference.save(update_fields=["last_digest_at"])
    return total
