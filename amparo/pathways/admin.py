"""Pathways and helplines are platform-wide content (shipped in content files, reviewed by partners): coordinators
may read them here, only platform administrators change them."""

from __future__ import annotations

from typing import Any

from django.contrib import admin
from django.db.models import QuerySet
from django.http import HttpRequest
from django.utils.translation import gettext_lazy as _

from amparo.access.admin import ScopedAdminMixin
from amparo.core.countries import country_name, is_country
from amparo.directory.models import Place, ServiceType

from .models import Helpline, Pathway, PathwayStep


class StepInline(ScopedAdminMixin, admin.StackedInline):
    model = PathwayStep
    extra = 0
    filter_horizontal = ["service_types", "helplines"]
    platform_only = True

    def field_choices(self, request: HttpRequest, field_name: str) -> QuerySet[Any] | None:
        return ServiceType.objects.all() if field_name == "service_types" else None


class CountryFilter(admin.SimpleListFilter):
    """The pathways' countries by name in the page's language (core/countries.py), not by their ISO code."""

    title = _("country")
    parameter_name = "country"

    def lookups(self, request: HttpRequest, model_admin: Any) -> list[tuple[str, str]]:
        codes = model_admin.get_queryset(request).order_by().values_list("country", flat=True).distinct()
        return sorted(((code, country_name(code)) for code in codes), key=lambda item: item[1])

    def queryset(self, request: HttpRequest, queryset: QuerySet[Any]) -> QuerySet[Any]:
        return queryset.filter(country=self.value()) if self.value() else queryset


@admin.register(Pathway)
class PathwayAdmin(ScopedAdminMixin, admin.ModelAdmin):
    list_display = ["slug", "title_es", "country_label", "version", "reviewed_on", "published"]
    list_filter = ["published", CountryFilter]
    inlines = [StepInline]
    filter_horizontal = ["helplines"]
    platform_only = True

    @admin.display(description=_("country"), ordering="country")
    def country_label(self, pathway: Pathway) -> str:
        return country_name(pathway.country)


@admin.register(Helpline)
class HelplineAdmin(ScopedAdminMixin, admin.ModelAdmin):
    list_display = ["code", "number", "name_es", "scope_label", "confirmed"]
    platform_only = True

    @admin.display(description=_("where it works"), ordering="scope")
    def scope_label(self, helpline: Helpline) -> str:
        """The country or place by name, with the code the content file uses: "Colombia (CO)", "Cúcuta (CO54001)"."""
        if is_country(helpline.scope):
            name = country_name(helpline.scope)
        else:
            place = Place.objects.filter(pcode=helpline.scope).only("name").first()
            name = place.name if place is not None else ""
        return f"{name} ({helpline.scope})" if name else helpline.scope
