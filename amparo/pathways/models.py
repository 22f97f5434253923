"""Care pathways (rutas de atención): ordered steps for a situation, in three languages, resolved for a place."""

from __future__ import annotations

from collections.abc import Callable

from django.db import models
from django.utils.translation import gettext_lazy as _

from amparo.core.i18n import LocalizedMixin, add_translated_fields
from amparo.directory.models import ServiceType


def _char(max_length: int) -> Callable[[str, bool], models.Field]:
    return lambda code, required: models.CharField(f"{code}", max_length=max_length, blank=not required)


def _text(code: str, required: bool) -> models.Field:
    return models.TextField(f"{code}", blank=not required)


def _optional_text(code: str, required: bool) -> models.Field:
    return models.TextField(f"{code}", blank=True)


class Helpline(LocalizedMixin, models.Model):
    code = models.SlugField(_("code"), max_length=40, unique=True)
    number = models.CharField(_("number"), max_length=40)
    scope = models.CharField(
        _("where it works"), max_length=16, help_text=_("Country code (CO) or place P-code (CO11).")
    )
    confirmed = models.BooleanField(_("confirmed"), default=True)
    position = models.PositiveSmallIntegerField(default=0)

    class Meta:
        ordering = ["position", "code"]
        verbose_name = _("helpline")
        verbose_name_plural = _("helplines")

    def __str__(self) -> str:
        return f"{self.number} ({self.code})"


class Pathway(LocalizedMixin, models.Model):
    slug = models.SlugField(_("slug"), max_length=60, unique=True)
    country = models.CharField(_("country"), max_length=2, default="CO")
    position = models.PositiveSmallIntegerField(_("order"), default=0)
    version = models.PositiveIntegerField(_("version"), default=1)
    reviewed_on = models.DateField(_("reviewed on"))
    published = models.BooleanField(_("published"), default=True)
    helplines = models.ManyToManyField(Helpline, blank=True, related_name="pathways", verbose_name=_("helplines"))

    class Meta:
        ordering = ["position", "slug"]
        verbose_name = _("pathway")
        verbose_name_plural = _("pathways")

    def __str__(self) -> str:
        return str(self.t.title)


class PathwayStep(LocalizedMixin, models.Model):
    pathway = models.ForeignKey(Pathway, on_delete=models.CASCADE, related_name="steps")
    position = models.PositiveSmallIntegerField(_("order"))
    time_limit_hours = models.PositiveIntegerField(_("time limit (hours)"), null=True, blank=True)
    service_types = models.ManyToManyField(ServiceType, blank=True, verbose_name=_("service types"))
    helplines = models.ManyToManyField(Helpline, blank=True, verbose_name=_("helplines"))
    sources = models.TextField(_("sources"), blank=True, help_text=_("One citation per line."))

    class Meta:
        ordering = ["pathway", "position"]
        constraints = [models.UniqueConstraint(fields=["pathway", "position"], name="unique_step_position")]
        verbose_name = _("step")
        verbose_name_plural = _("steps")

    def __str__(self) -> str:
        return f"{self.position}. {self.t.title}"

    def source_list(self) -> list[str]:
        return [line.strip() for line in self.sources.splitlines() if line.strip()]


for _name in ("name", "hours"):
    add_translated_fields(Helpline, _name, _char(120))
add_translated_fields(Helpline, "description", _text)
add_translated_fields(Pathway, "title", _char(160))
add_translated_fields(Pathway, "summary", _text)
add_translated_fields(Pathway, "urgent_notice", _optional_text)
add_translated_fields(PathwayStep, "title", _char(160))
add_translated_fields(PathwayStep, "what_to_do", _text)
for _name in ("time_limit", "your_rights", "what_to_ask", "what_to_expect"):
    add_translated_fields(PathwayStep, _name, _optional_text)
