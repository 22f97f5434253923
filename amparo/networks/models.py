"""Protection networks: the ties that coordinators record between actors (docs/networks.md, "Actors and ties").

Actors are the directory's organisations (with their kind) and focal points; they are not copied here. A tie joins
two actors: each side is either an organisation or a focal point (exactly one of the two). Referral ties are NOT
stored: they are derived from `amparo.referrals` as counts per pair and period (`selectors.referral_flows`).

Monitoring protocols (docs/networks.md, "Monitoring protocols"): a plan for a place (a municipality, a department
or a country) held by a member organisation, its indicators (baseline, target, who answers for it), and a snapshot
of the computed values each period, compared with the one before.
"""

from __future__ import annotations

import uuid
from datetime import date

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _


class TieKind(models.TextChoices):
    REFERRAL_AGREEMENT = "referral_agreement", _("Referral agreement")
    INFORMATION_EXCHANGE = "information_exchange", _("Information exchange")
    JOINT_TRAINING = "joint_training", _("Joint training")
    CASE_CONFERENCE = "case_conference", _("Shared case conference")
    FUNDING = "funding", _("Funding")


class Tie(models.Model):
    """A working relation between two actors of a protection network during a period, in a place scope."""

    Kind = TieKind

    uuid = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    kind = models.CharField(_("kind of tie"), max_length=24, choices=TieKind.choices)
    from_organization = models.ForeignKey(
        "directory.Organization", null=True, blank=True, on_delete=models.CASCADE, related_name="network_ties_from"
    )
    from_focal_point = models.ForeignKey(
        "directory.FocalPoint", null=True, blank=True, on_delete=models.CASCADE, related_name="network_ties_from"
    )
    to_organization = models.ForeignKey(
        "directory.Organization", null=True, blank=True, on_delete=models.CASCADE, related_name="network_ties_to"
    )
    to_focal_point = models.ForeignKey(
        "directory.FocalPoint", null=True, blank=True, on_delete=models.CASCADE, related_name="network_ties_to"
    )
    starts_on = models.DateField(_("from"))
    ends_on = models.DateField(_("until"), null=True, blank=True, help_text=_("Empty: still going on."))
    place = models.ForeignKey(
        "directory.Place",
        on_delete=models.PROTECT,
        related_name="network_ties",
        verbose_name=_("place it concerns"),
        help_text=_("The municipality, department or country where the two work together."),
    )
    recorded_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+")
    # The member organisation that recorded the tie (its coordinators edit it); empty: a platform administrator.
    recorded_for = models.ForeignKey(
        "accounts.Organization", null=True, blank=True, on_delete=models.PROTECT, related_name="network_ties"
    )
    created_at = models.DateTimeField(default=timezone.now, editable=False)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["-starts_on", "pk"]
        verbose_name = _("tie")
        verbose_name_plural = _("ties")
        constraints = [
            models.CheckConstraint(
                condition=Q(from_organization__isnull=False, from_focal_point__isnull=True)
                | Q(from_organization__isnull=True, from_focal_point__isnull=False),
                name="network_tie_one_from_actor",
            ),
            models.CheckConstraint(
                condition=Q(to_organization__isnull=False, to_focal_point__isnull=True)
                | Q(to_organization__isnull=True, to_focal_point__isnull=False),
                name="network_tie_one_to_actor",
            ),
            models.CheckConstraint(
                condition=Q(ends_on__isnull=True) | Q(ends_on__gte=models.F("starts_on")),
                name="network_tie_ends_after_start",
            ),
        ]
        indexes = [models.Index(fields=["place", "kind"])]

    def __str__(self) -> str:
        return f"{self.get_kind_display()}: {self.from_key} - {self.to_key}"

    @property
    def from_key(self) -> str:
        return actor_key(self.from_organization_id, self.from_focal_point_id)

    @property
    def to_key(self) -> str:
        return actor_key(self.to_organization_id, self.to_focal_point_id)

    def is_current(self, today: date | None = None) -> bool:
        today = today or timezone.localdate()
        return self.starts_on <= today and (self.ends_on is None or self.ends_on >= today)

    def clean(self) -> None:
        super().clean()
        if self.from_key and self.from_key == self.to_key:
            raise ValidationError(_("A tie joins two different actors: choose another one on one side."))
        if self.starts_on and self.ends_on and self.ends_on < self.starts_on:
            raise ValidationError({"ends_on": _("The tie cannot end before it starts.")})


def actor_key(organization_id: int | None, focal_point_id: int | None) -> str:
    """The node id of an actor in the graphs: "o<pk>" for an organisation, "f<pk>" for a focal point."""
    if organization_id is not None:
        return f"o{organization_id}"
    if focal_point_id is not None:
        return f"f{focal_point_id}"
    return ""


# --- Monitoring protocols ----------------------------------------------------------------------------------------


class MonitoringPlan(models.Model):
    class Period(models.TextChoices):
        MONTH = "month", _("Monthly")
        QUARTER = "quarter", _("Quarterly")
        HALF = "half", _("Every six months")
        YEAR = "year", _("Yearly")

    uuid = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    organization = models.ForeignKey(
        "accounts.Organization", on_delete=models.CASCADE, related_name="monitoring_plans", verbose_name=_("held by")
    )
    name = models.CharField(_("name"), max_length=200)
    place = models.ForeignKey(
        "directory.Place",
        on_delete=models.PROTECT,
        related_name="+",
        verbose_name=_("network (municipality, department or country)"),
    )
    period = models.CharField(_("snapshot every"), max_length=8, choices=Period.choices, default=Period.QUARTER)
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+")
    created_at = models.DateTimeField(default=timezone.now, editable=False)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["name", "pk"]
        verbose_name = _("monitoring plan")
        verbose_name_plural = _("monitoring plans")

    def __str__(self) -> str:
        return self.name


class Indicator(models.Model):
    class Kind(models.TextChoices):
        REFERRAL_ACCEPTANCE = "referral_acceptance", _("Referrals accepted (% of those answered)")
        TIME_TO_ATTENTION = "time_to_attention", _("Median days from referral to first attention")
        STALE_SERVICES = "stale_services", _("Services not verified recently")
        OPEN_GAPS = "open_gaps", _("Coverage gaps open (municipality × need)")
        DISCRIMINATION = "discrimination", _("Respondents reporting discrimination (%)")

    plan = models.ForeignKey(MonitoringPlan, on_delete=models.CASCADE, related_name="indicators")
    kind = models.CharField(_("indicator"), max_length=24, choices=Kind.choices)
    baseline = models.FloatField(_("baseline"))
    baseline_on = models.DateField(_("baseline measured on"))
    target = models.FloatField(_("target"))
    target_on = models.DateField(_("target date"))
    responsible_organization = models.ForeignKey(
        "accounts.Organization",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
        verbose_name=_("responsible organisation"),
    )
    responsible_person = models.CharField(_("responsible person (role or name)"), max_length=150, blank=True)

    class Meta:
        ordering = ["plan", "pk"]
        verbose_name = _("indicator")
        verbose_name_plural = _("indicators")
        constraints = [
            models.UniqueConstraint(fields=["plan", "kind"], name="unique_indicator_kind_per_plan"),
            models.CheckConstraint(
                condition=models.Q(target_on__gt=models.F("baseline_on")), name="indicator_target_after_baseline"
            ),
        ]

    def __str__(self) -> str:
        return str(self.get_kind_display())


class Snapshot(models.Model):
    """The plan's indicators computed for one period (to the day it was taken), and the open coverage gaps."""

    plan = models.ForeignKey(MonitoringPlan, on_delete=models.CASCADE, related_name="snapshots")
    period_start = models.DateField(_("period from"))
    period_end = models.DateField(_("period until (exclusive)"))
    taken_on = models.DateField(_("taken on"))
    taken_at = models.DateTimeField(default=timezone.now)
    taken_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+")
    # indicator kind -> {"value": float | None, "n": int, "note": str}: aggregates only, never a person's data.
    values = models.JSONField(default=dict)
    # "<municipality P-code>:<service type>" cells with no service, or none for a group.
    open_gaps = models.JSONField(default=list)

    class Meta:
        ordering = ["plan", "-period_start"]
        verbose_name = _("snapshot")
        verbose_name_plural = _("snapshots")
        constraints = [models.UniqueConstraint(fields=["plan", "period_start"], name="unique_snapshot_period")]

    def __str__(self) -> str:
        return f"{self.plan} {self.period_start:%Y-%m-%d}"
