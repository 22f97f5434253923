"""Notifications and each person's choice of e-mail frequency (DESIGN.md rules 1 and 3).

A notification says only what kind of thing is waiting and where (a link to a staff page, which asks for sign-in,
2FA and the permission module's check): never a name, a case code, a narrative, a place or a service. It is the
same text in the badge, the notifications page and the e-mail.
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _


class Kind(models.TextChoices):
    EMERGENCY_REFERRAL = "emergency_referral", _("You have an emergency referral.")
    CHANNEL_REPORT = "channel_report", _("A new report arrived through the safe channel.")
    CLOSURE_REQUEST = "closure_request", _("A case closure is waiting for your approval.")
    ALERT = "alert", _("A new trafficking alert was raised in your area.")
    LEGAL_DEADLINE = "legal_deadline", _("A legal deadline or hearing is coming up or overdue.")
    FEEDBACK_ALERT = "feedback_alert", _("People reported discrimination again and again at a service you work with.")
    BULLETIN = "bulletin", _("A new post on the bulletin of your network.")


# Most urgent first: the order of the notifications page, the e-mails and the digest.
KIND_ORDER = [
    Kind.EMERGENCY_REFERRAL,
    Kind.LEGAL_DEADLINE,
    Kind.CHANNEL_REPORT,
    Kind.CLOSURE_REQUEST,
    Kind.ALERT,
    Kind.FEEDBACK_ALERT,
    Kind.BULLETIN,
]
# Every kind is e-mailed (at once or in the daily digest, as she chose): this is the one way notices go out, legal
# dates included (`notify_due`; `remind_legal_deadlines` is a thin wrapper of its legal part).
EMAILED_KINDS = frozenset(Kind)


class EmailFrequency(models.TextChoices):
    IMMEDIATELY = "immediately", _("At once, one e-mail per notice")
    DAILY = "daily", _("Once a day, a summary")
    NEVER = "never", _("Never (only in Amparo)")


class NotificationPreference(models.Model):
    user = models.OneToOneField(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="notification_pref")
    email_frequency = models.CharField(
        _("e-mail me"), max_length=12, choices=EmailFrequency.choices, default=EmailFrequency.IMMEDIATELY
    )
    # The language of her e-mails: the last one she chose with the language switch on staff pages.
    language = models.CharField(max_length=8, blank=True, default="")
    last_digest_at = models.DateTimeField(null=True, blank=True, editable=False)

    def __str__(self) -> str:
        return f"notification preference {self.user_id}"


class Notification(models.Model):
    recipient = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="notifications")
    kind = models.CharField(max_length=24, choices=Kind.choices)
    # What it is about, to send it once: the object's uuid or key (never shown), and the staff page it links to.
    key = models.CharField(max_length=64)
    path = models.CharField(max_length=200)
    created_at = models.DateTimeField(default=timezone.now, db_index=True)
    read_at = models.DateTimeField(null=True, blank=True)
    emailed_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at", "-pk"]
        constraints = [models.UniqueConstraint(fields=["recipient", "kind", "key"], name="notification_once")]
        indexes = [models.Index(fields=["recipient", "read_at"], name="notification_unread")]

    def __str__(self) -> str:
        return f"notification {self.pk} ({self.kind})"
