"""Community-led monitoring of services (issue 17, part 3): anonymous answers about how a service treated her.

An answer (`ServiceFeedback`) keeps only the service as she found it (the service at a location, which gives the
service and the municipality), the MONTH of the visit she states, and her answers: no account, no cookie, no
address, no user agent, no time of sending (not even in the audit log: an entry per answer would date it to the
second). Why the month and not the day: a service knows who came on a given day, so a day next to "turned away"
could point at her; a month mixes her with everyone who came that month, and is all that the 12-month aggregates,
the alert window (in months) and the retention need. docs/campaigns-feedback.md.

`FeedbackAlert`: repeated reports of discrimination about one service, at most one per service per alert window
(the unique constraint makes it idempotent, even when two answers arrive at once). Who was told is kept with it
(`recipients`): they may open the alert's page. The staff's day (`amparo.today`, above this app) notifies them
when an alert is created (a model signal), so this app does not import it.
"""

from __future__ import annotations

import uuid

from django.conf import settings
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

__all__ = ["FeedbackAlert", "ServiceFeedback"]


class ServiceFeedback(models.Model):
    # Where: the service at a location she gave feedback on (the service and its municipality follow from it).
    service_at_location = models.ForeignKey(
        "directory.ServiceAtLocation", on_delete=models.CASCADE, related_name="+", verbose_name=_("service")
    )
    service = models.ForeignKey("directory.Service", on_delete=models.CASCADE, related_name="+", editable=False)
    # When: the first day of the month of the visit she states (never a day, never the time of sending).
    visit_month = models.DateField(_("month of the visit"), db_index=True)
    # Her answers: None when she left the question unanswered.
    attended = models.BooleanField(_("attended"), null=True)
    respected = models.BooleanField(_("treated with respect"), null=True)
    id_asked = models.BooleanField(_("asked for an ID she did not have"), null=True)
    turned_away = models.BooleanField(_("turned away or treated worse for who she is"), null=True)
    for_trans = models.BooleanField(_("for being trans"), default=False)
    for_migrant = models.BooleanField(_("for being a migrant"), default=False)
    for_sex_work = models.BooleanField(_("for being a sex worker"), default=False)
    charged = models.BooleanField(_("charged for something that is free"), null=True)

    class Meta:
        verbose_name = _("answer about a service")
        verbose_name_plural = _("answers about services")
        indexes = [models.Index(fields=["service", "visit_month"], name="feedback_service_month")]

    def __str__(self) -> str:
        return f"feedback {self.pk}"

    @property
    def reports_discrimination(self) -> bool:
        """Turned away for who she is, asked for an ID she did not have, or charged for something free: the
        barriers the directory's inclusion facts promise away (trans-affirming, sex-worker-friendly, serves
        migrants, no ID required, free of charge)."""
        return bool(self.turned_away or self.id_asked or self.charged)


# The same rule as a query (selectors and services count with it).
DISCRIMINATION = models.Q(turned_away=True) | models.Q(id_asked=True) | models.Q(charged=True)


class FeedbackAlert(models.Model):
    uuid = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    service = models.ForeignKey("directory.Service", on_delete=models.CASCADE, related_name="+")
    # The alert window it belongs to (months since year 0 // FEEDBACK_ALERT_WINDOW_MONTHS): one alert per window.
    window = models.PositiveIntegerField()
    first_month = models.DateField()
    last_month = models.DateField()
    created_at = models.DateTimeField(default=timezone.now)
    recipients = models.ManyToManyField(settings.AUTH_USER_MODEL, related_name="+", blank=True)

    class Meta:
        ordering = ["-created_at", "-pk"]
        constraints = [models.UniqueConstraint(fields=["service", "window"], name="feedback_alert_once")]

    def __str__(self) -> str:
        return f"feedback alert {self.uuid}"
