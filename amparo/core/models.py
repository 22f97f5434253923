"""Plumbing tables of core (no domain data)."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils import timezone


class FormToken(models.Model):
    """A create form's one-time token (core/once.py): spent when its form creates something, so that a resubmitted
    form (Back and send again, a double click, a retry after a timeout) finds what the first one created instead of
    creating it twice. `fingerprint` is a keyed hash of what was sent (never the values), kept a day."""

    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+")
    kind = models.CharField(max_length=40)
    token = models.CharField(max_length=64)
    fingerprint = models.CharField(max_length=64, db_index=True)
    ref = models.CharField(max_length=64, blank=True)  # what it created: its uuid or id
    created_at = models.DateTimeField(default=timezone.now, db_index=True)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["user", "token"], name="one_use_per_form_token")]

    def __str__(self) -> str:
        return f"{self.kind}:{self.ref or '-'}"
