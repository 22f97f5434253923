"""Notifications on the events of the apps below, without those apps knowing about this one (the layers run one
way: referrals, cases and the safe channel do not import `today`). Django's model signals are sent inside the
saving transaction, so the notification, its e-mail task and the change commit or roll back together.

- a new emergency referral (a health referral inside the PEP or emergency-contraception window is always one):
  the focal point(s) who receive it;
- a new safe-channel report: the organisation's report recipients;
- a case whose closure is requested: the coordinators of its organisation (again at each new request);
- a new trafficking alert: the monitors whose areas hold its place;
- a new bulletin post: the staff of the organisations it is for, but its author (the notice and its e-mail say only
  that there is a post: its text stays behind the sign-in);
- a new alert of repeated discrimination reports about a service (campaigns' `feedback_alert_raised` signal): the
  people the campaigns app chose (the service's focal points, the coordinators of its organisation and of the
  organisations that refer there).
Legal deadlines are found by the daily `notify_due` command (a date becomes due by time, not by a save).
"""

from __future__ import annotations

from typing import Any

from django.db.models.signals import post_save, pre_save
from django.dispatch import receiver
from django.urls import reverse

from amparo.campaigns.bulletin_models import BulletinPost
from amparo.campaigns.bulletin_selectors import readers as bulletin_readers
from amparo.campaigns.feedback_models import FeedbackAlert
from amparo.campaigns.feedback_signals import feedback_alert_raised
from amparo.cases.models import Case, TraffickingAlert
from amparo.referrals.models import Priority, Referral
from amparo.safechannel.models import Report

from . import selectors, services
from .models import Kind


@receiver(post_save, sender=Referral, dispatch_uid="today.referral")
def referral_saved(sender: Any, instance: Referral, created: bool, raw: bool = False, **kwargs: Any) -> None:
    if raw or not created or instance.priority != Priority.EMERGENCY:
        return
    services.notify(
        kind=Kind.EMERGENCY_REFERRAL,
        key=str(instance.uuid),
        path=reverse("referrals:detail", args=[instance.uuid]),
        recipients=selectors.referral_receivers(instance),
    )


@receiver(post_save, sender=Report, dispatch_uid="today.report")
def report_saved(sender: Any, instance: Report, created: bool, raw: bool = False, **kwargs: Any) -> None:
    if raw or not created:
        return
    services.notify(
        kind=Kind.CHANNEL_REPORT,
        key=str(instance.uuid),
        path=reverse("safechannel_staff:report", args=[instance.uuid]),
        recipients=selectors.report_recipients(instance),
    )


@receiver(pre_save, sender=Case, dispatch_uid="today.case.before")
def case_saving(sender: Any, instance: Case, raw: bool = False, **kwargs: Any) -> None:
    """Remember the status before the save, to notify only when a closure is newly requested."""
    if raw or instance.pk is None:
        instance._status_before = None  # type: ignore[attr-defined]
        return
    instance._status_before = Case.objects.filter(pk=instance.pk).values_list("status", flat=True).first()  # type: ignore[attr-defined]


@receiver(post_save, sender=Case, dispatch_uid="today.case")
def case_saved(sender: Any, instance: Case, raw: bool = False, **kwargs: Any) -> None:
    before = getattr(instance, "_status_before", None)
    if raw or instance.status != Case.Status.CLOSURE_REQUESTED or before == Case.Status.CLOSURE_REQUESTED:
        return
    services.notify_again(
        kind=Kind.CLOSURE_REQUEST,
        key=str(instance.uuid),
        path=reverse("cases:detail", args=[instance.uuid]),
        recipients=selectors.closure_approvers(instance),
    )


@receiver(post_save, sender=TraffickingAlert, dispatch_uid="today.alert")
def alert_saved(sender: Any, instance: TraffickingAlert, created: bool, raw: bool = False, **kwargs: Any) -> None:
    if raw or not created:
        return
    services.notify(
        kind=Kind.ALERT,
        key=str(instance.uuid),
        path=reverse("monitoring:alerts"),
        recipients=selectors.alert_monitors(instance),
    )


@receiver(post_save, sender=BulletinPost, dispatch_uid="today.bulletin")
def bulletin_post_saved(sender: Any, instance: BulletinPost, created: bool, raw: bool = False, **kwargs: Any) -> None:
    if raw or not created:
        return
    services.notify(
        kind=Kind.BULLETIN,
        key=str(instance.uuid),
        path=reverse("bulletin:list") + f"#post-{instance.uuid}",
        recipients=[user for user in bulletin_readers(instance) if user.pk != instance.author_id],
    )


@receiver(feedback_alert_raised, sender=FeedbackAlert, dispatch_uid="today.feedback_alert")
def feedback_alert(sender: Any, alert: FeedbackAlert, recipients: list[Any], **kwargs: Any) -> None:
    services.notify(
        kind=Kind.FEEDBACK_ALERT,
        key=str(alert.uuid),
        path=reverse("feedback:alert", args=[alert.uuid]),
        recipients=recipients,
    )
