"""Writes of the community-led monitoring (issue 17, part 3): an anonymous answer, the alert it may raise, the
audit of a staff member's reading of the aggregates, and the retention purge (DESIGN.md rule 7).

An answer is not audited: an audit entry carries the time to the second, and the answer keeps only the month of the
visit on purpose (feedback_models). Alerts, reads and purges are.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from typing import Any

from django.conf import settings
from django.db import IntegrityError, transaction

from amparo.audit.services import audit_record
from amparo.directory.models import Service, ServiceAtLocation

from . import feedback_selectors as selectors
from .feedback_models import FeedbackAlert, ServiceFeedback
from .feedback_signals import feedback_alert_raised


class FeedbackError(ValueError):
    pass


@dataclass(frozen=True)
class Answers:
    """Her answers: None where she did not answer."""

    attended: bool | None = None
    respected: bool | None = None
    id_asked: bool | None = None
    turned_away: bool | None = None
    for_trans: bool = False
    for_migrant: bool = False
    for_sex_work: bool = False
    charged: bool | None = None

    @property
    def empty(self) -> bool:
        return all(v is None for v in (self.attended, self.respected, self.id_asked, self.turned_away, self.charged))


def feedback_submit(
    *, service_at_location: ServiceAtLocation, visit_month: date, answers: Answers, on: date | None = None
) -> ServiceFeedback:
    """Store one answer; if it reports discrimination, raise the service's alert when the reports are repeated."""
    if answers.empty:
        raise FeedbackError("nothing answered")
    month = selectors.month_start(visit_month)
    if month not in selectors.visit_months(on):
        raise FeedbackError("the month of the visit is outside the months the form offers")
    reasons = bool(answers.turned_away)
    with transaction.atomic():
        feedback = ServiceFeedback.objects.create(
            service_at_location=service_at_location,
            service_id=service_at_location.service_id,
            visit_month=month,
            attended=answers.attended,
            respected=answers.respected,
            id_asked=answers.id_asked,
            turned_away=answers.turned_away,
            for_trans=reasons and answers.for_trans,
            for_migrant=reasons and answers.for_migrant,
            for_sex_work=reasons and answers.for_sex_work,
            charged=answers.charged,
        )
        if feedback.reports_discrimination:
            alert_if_repeated(service_at_location.service, on=on)
    return feedback


def alert_if_repeated(service: Service, *, on: date | None = None) -> FeedbackAlert | None:
    """Raise an alert when the service has FEEDBACK_ALERT_MIN_REPORTS or more discrimination reports for visits in
    the rolling alert window, once per fixed window (the unique constraint decides a race). Returns the new alert,
    or None (not repeated, or already raised in this window)."""
    if selectors.discrimination_reports_in_window(service, on) < settings.FEEDBACK_ALERT_MIN_REPORTS:
        return None
    window = selectors.alert_window(on)
    if FeedbackAlert.objects.filter(service=service, window=window).exists():
        return None
    first, last = selectors.alert_months(on)
    with transaction.atomic():
        try:
            with transaction.atomic():  # a savepoint: a race lost here leaves the answer's transaction usable
                alert = FeedbackAlert.objects.create(service=service, window=window, first_month=first, last_month=last)
        except IntegrityError:
            return None  # another answer raised it at the same moment
        recipients = list(selectors.alert_recipients(service, on))
        alert.recipients.set(recipients)
        audit_record(
            action="campaigns.feedback.alert",
            obj=alert,
            detail={
                "service": str(service.uuid),
                "first_month": first.isoformat(),
                "last_month": last.isoformat(),
                "recipients": len(recipients),
            },
        )
        feedback_alert_raised.send(sender=FeedbackAlert, alert=alert, recipients=recipients)
    return alert


def summary_read_record(*, actor: Any, service: Service, organization: Any, summary: selectors.ServiceSummary) -> None:
    """Audit a staff member's reading of a service's aggregates (like the insights dashboards)."""
    with transaction.atomic():
        audit_record(
            actor=actor,
            action="campaigns.feedback.read",
            obj=service,
            organization=organization,
            detail={
                "first_month": summary.first.isoformat(),
                "last_month": summary.last.isoformat(),
                "shown": summary.shown,
                "hidden_cells": summary.hidden,
            },
        )


def retention_cutoff(on: date | None = None) -> date:
    """Answers about visits before this month are purged."""
    return selectors.add_months(selectors.month_start(on or selectors.today()), -settings.FEEDBACK_RETENTION_MONTHS)


@dataclass(frozen=True)
class Purged:
    answers: int
    alerts: int


def feedback_purge(*, on: date | None = None, dry_run: bool = False) -> Purged:
    """Hard-delete the answers about visits before the retention cutoff, and the alerts whose window ended before
    it, with one audit entry (counts only) in the same transaction."""
    cutoff = retention_cutoff(on)
    answers = ServiceFeedback.objects.filter(visit_month__lt=cutoff)
    alerts = FeedbackAlert.objects.filter(last_month__lt=cutoff)
    if dry_run:
        return Purged(answers.count(), alerts.count())
    with transaction.atomic():
        deleted_answers = answers.delete()[1].get(ServiceFeedback._meta.label, 0)
        deleted_alerts = alerts.delete()[1].get(FeedbackAlert._meta.label, 0)
        if deleted_answers or deleted_alerts:
            audit_record(
                action="campaigns.feedback.purge",
                object_type="campaigns.servicefeedback",
                detail={
                    "deleted_answers": deleted_answers,
                    "deleted_alerts": deleted_alerts,
                    "before_month": cutoff.isoformat(),
                    "retention_months": settings.FEEDBACK_RETENTION_MONTHS,
                },
            )
    return Purged(int(deleted_answers), int(deleted_alerts))
