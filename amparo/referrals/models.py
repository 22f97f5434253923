"""Referrals from a case to a directory service or its focal point, sharing only what the survivor consented to
for that service type (DESIGN.md rules 1 and 2). The shared values are never copied: the focal point's page reads
them from the case at the moment it is opened, and only while the matching consent is active, so a withdrawal
hides them at once."""

from __future__ import annotations

import uuid
from datetime import datetime

from django.conf import settings
from django.db import models
from django.db.models import BooleanField, Case, ExpressionWrapper, IntegerField, Q, Value, When
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from amparo.core.encryption import EncryptedTextField
from amparo.vocab import ConsentKind


class ServiceType(models.TextChoices):
    """Referral types, each tied to one consent (ConsentKind.SHARE_*)."""

    HEALTH = "health", _("Health (incl. PEP, emergency contraception, STI/HIV, COVID-19 vaccination)")
    PSYCHOSOCIAL = "psychosocial", _("Mental health and psychosocial support")
    LEGAL = "legal", _("Legal aid and justice")
    PROTECTION = "protection", _("Protection")
    SHELTER = "shelter", _("Safe shelter")
    CHILDREN = "children", _("Child protection and alternative care")
    OTHER = "other", _("Other")


CONSENT_FOR = {
    ServiceType.HEALTH: ConsentKind.SHARE_HEALTH,
    ServiceType.PSYCHOSOCIAL: ConsentKind.SHARE_PSYCHOSOCIAL,
    ServiceType.LEGAL: ConsentKind.SHARE_LEGAL,
    ServiceType.PROTECTION: ConsentKind.SHARE_PROTECTION,
    ServiceType.SHELTER: ConsentKind.SHARE_SHELTER,
    ServiceType.CHILDREN: ConsentKind.SHARE_CHILDREN,
    ServiceType.OTHER: ConsentKind.SHARE_OTHER,
}


class SharedField(models.TextChoices):
    """What a referral may share (each chosen per referral, and shown only under the matching consent)."""

    FULL_NAME = "full_name", _("Name she uses")
    CONTACT = "contact", _("Safe contact")
    DOCUMENT = "document", _("Identity document")
    AGE_BAND = "age_band", _("Age band")
    GENDER_IDENTITY = "gender_identity", _("Gender identity")
    NATIONALITY = "nationality", _("Nationality")
    MIGRATORY_STATUS = "migratory_status", _("Migratory status")
    INCIDENT_SUMMARY = "incident_summary", _("Type and date of the incident")
    HEALTH_CLOCK = "health_clock", _("Hours since the incident (PEP and emergency contraception windows)")


class Priority(models.TextChoices):
    EMERGENCY = "emergency", _("Emergency (within 24 hours)")
    URGENT = "urgent", _("Urgent (within 72 hours)")
    NORMAL = "normal", _("Normal (within 2 weeks)")


class ReferralQuerySet(models.QuerySet["Referral"]):
    def with_urgency(self, now: datetime | None = None) -> ReferralQuerySet:
        """Annotate `overdue` (still waiting for an answer after respond_by) and order overdue, then by priority,
        then by respond_by; finished referrals last. Here, not in selectors, so that the safe channel's report page
        can list a report's referrals through the reverse relation (`report.referrals.with_urgency()`) without
        importing referrals."""
        now = now or timezone.now()
        overdue = Q(status__in=AWAITING_ANSWER, respond_by__lt=now)
        return self.annotate(
            overdue=ExpressionWrapper(overdue, output_field=BooleanField()),
            open_rank=Case(
                When(status__in=OPEN_STATUSES, then=Value(0)), default=Value(1), output_field=IntegerField()
            ),
            overdue_rank=Case(When(overdue, then=Value(0)), default=Value(1), output_field=IntegerField()),
            priority_rank=Case(
                When(priority=Priority.EMERGENCY, then=Value(0)),
                When(priority=Priority.URGENT, then=Value(1)),
                default=Value(2),
                output_field=IntegerField(),
            ),
        ).order_by("open_rank", "overdue_rank", "priority_rank", "respond_by", "pk")


class Referral(models.Model):
    class Status(models.TextChoices):
        # "referral status": Spanish and Portuguese agree the word with "remisión" / "encaminhamento".
        SENT = "sent", pgettext_lazy("referral status", "Sent")
        RECEIVED = "received", pgettext_lazy("referral status", "Received")
        ACCEPTED = "accepted", pgettext_lazy("referral status", "Accepted")
        DECLINED = "declined", pgettext_lazy("referral status", "Declined")
        ATTENDED = "attended", pgettext_lazy("referral status", "Attended")
        CLOSED = "closed", pgettext_lazy("referral status", "Closed")

    class DeclineReason(models.TextChoices):
        SERVICE_UNAVAILABLE = "service_unavailable", _("Service unavailable")
        NOT_ELIGIBLE = "not_eligible", _("Not eligible for this service")
        SURVIVOR_DECLINED = "survivor_declined", _("The survivor declined")
        OTHER = "other", _("Other reason")

    class CloseReason(models.TextChoices):
        """Why a referral was closed by Amparo rather than by a person (shown to both sides)."""

        CASE_TRANSFERRED = (
            "case_transferred",
            _("Cancelled: her case was transferred to another organisation, which may refer her again"),
        )

    uuid = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    # Sent from a case, or from a safe-channel report (exactly one of the two).
    case = models.ForeignKey("cases.Case", null=True, blank=True, on_delete=models.CASCADE, related_name="referrals")
    report = models.ForeignKey(
        "safechannel.Report", null=True, blank=True, on_delete=models.CASCADE, related_name="referrals"
    )
    service = models.ForeignKey("directory.Service", on_delete=models.PROTECT, related_name="referrals")
    focal_point = models.ForeignKey(
        "directory.FocalPoint", null=True, blank=True, on_delete=models.SET_NULL, related_name="referrals"
    )
    service_type = models.CharField(_("referral type"), max_length=16, choices=ServiceType.choices)
    shared_fields = models.JSONField(default=list)
    priority = models.CharField(_("priority"), max_length=10, choices=Priority.choices, default=Priority.NORMAL)
    respond_by = models.DateTimeField(db_index=True)
    reason = EncryptedTextField(_("reason and specific need (no names)"), blank=True)
    # Only for a referral from a report: what the report's content can only be read with the report's key, so the
    # fields she consented to share are copied here at sending (JSON, SharedField code -> text), encrypted with the
    # field keys like case data, and erased when she withdraws that consent (never merely hidden).
    shared_copy = EncryptedTextField(blank=True)
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.SENT, db_index=True)
    decline_reason = models.CharField(max_length=20, choices=DeclineReason.choices, blank=True)
    close_reason = models.CharField(max_length=20, choices=CloseReason.choices, blank=True)
    feedback = EncryptedTextField(_("actions taken by the receiving service"), blank=True)
    sent_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+")
    sent_at = models.DateTimeField(default=timezone.now)
    updated_at = models.DateTimeField(default=timezone.now)

    objects = ReferralQuerySet.as_manager()

    class Meta:
        ordering = ["respond_by", "pk"]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(case__isnull=False, report__isnull=True)
                | models.Q(case__isnull=True, report__isnull=False),
                name="referral_from_case_or_report",
            )
        ]

    def __str__(self) -> str:
        return f"referral {self.uuid}"

    @property
    def sender_organization(self) -> models.Model:
        return self.case.organization if self.case is not None else self.report.organization  # type: ignore[union-attr]

    @property
    def subject_code(self) -> str:
        """What both sides call her by: the case's pseudonymous code, or for a report a code made from the
        referral's own id (the report's id stays inside the receiving organisation)."""
        return self.case.code if self.case is not None else f"CS-{self.uuid.hex[:8].upper()}"

    @property
    def consent_kind(self) -> str:
        return str(CONSENT_FOR[ServiceType(self.service_type)])

    @property
    def is_open(self) -> bool:
        return self.status not in {self.Status.DECLINED, self.Status.CLOSED, self.Status.ATTENDED}


OPEN_STATUSES = (Referral.Status.SENT, Referral.Status.RECEIVED, Referral.Status.ACCEPTED)
# Still waiting for the receiving service to answer: these become overdue after respond_by.
AWAITING_ANSWER = (Referral.Status.SENT, Referral.Status.RECEIVED)


class ReferralEvent(models.Model):
    """The referral's lifecycle, one row per change (who, when, from, to)."""

    referral = models.ForeignKey(Referral, on_delete=models.CASCADE, related_name="events")
    status = models.CharField(max_length=10, choices=Referral.Status.choices)
    at = models.DateTimeField(default=timezone.now)
    by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+")

    class Meta:
        ordering = ["at", "pk"]

    def __str__(self) -> str:
        return f"{self.referral_id}:{self.status}"
