"""Data-sharing agreements (issue 16): an organisation's consent to have its records counted in a national or a
regional view. The national and regional dashboards and the published tables count ONLY the organisations with an
active agreement covering that scope and period (statistics.organisations_in_scope)."""

from __future__ import annotations

import uuid
from datetime import date

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from django_countries.fields import CountryField


class DataSharingAgreement(models.Model):
    class Scope(models.TextChoices):
        COUNTRY = "country", _("National (one country)")
        REGION = "region", _("Regional (every country)")

    uuid = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    organization = models.ForeignKey(
        "accounts.Organization", on_delete=models.CASCADE, related_name="sharing_agreements"
    )
    scope = models.CharField(_("scope"), max_length=8, choices=Scope.choices)
    country = CountryField(_("country"), blank=True)  # for the national scope only
    since = models.DateField(_("valid from"))
    until = models.DateField(_("valid until"), null=True, blank=True)
    document_reference = models.CharField(
        _("reference of the signed document"),
        max_length=300,
        help_text=_("Where the signed agreement is kept (a file number, a folder): never the document itself."),
    )
    active = models.BooleanField(_("active"), default=True)
    recorded_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+")
    recorded_at = models.DateTimeField(default=timezone.now, editable=False)
    ended_at = models.DateTimeField(null=True, blank=True, editable=False)

    class Meta:
        ordering = ["-active", "-since", "-pk"]
        verbose_name = _("data-sharing agreement")
        verbose_name_plural = _("data-sharing agreements")
        constraints = [
            models.CheckConstraint(
                condition=(Q(scope="country") & ~Q(country="")) | (Q(scope="region") & Q(country="")),
                name="agreement_country_matches_scope",
            ),
            models.CheckConstraint(
                condition=Q(until__isnull=True) | Q(until__gte=models.F("since")), name="agreement_until_after_since"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.organization_id}:{self.scope}:{self.country}"

    def covers(self, start: date, end: date) -> bool:
        return self.active and self.since <= end and (self.until is None or self.until >= start)
