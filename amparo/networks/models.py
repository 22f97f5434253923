"""Protection networks (issue 15).

Monitoring protocols (netmonitor; docs/networks.md, "Monitoring protocols"): a plan for a place (a municipality,
a department or a country) held by a member organisation, its indicators (baseline, target, who answers for it),
and a snapshot of the computed values each period, compared with the one before.
"""

from __future__ import annotations

import uuid

from django.conf import settings
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

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
