"""Pathways and helplines are platform-wide content (shipped in content files, reviewed by partners): coordinators
may read them here, only platform administrators change them."""

from __future__ import annotations

from typing import Any

from django.contrib import admin
from django.db.models import QuerySet
from django.http import HttpRequest

from amparo.access.admin import ScopedAdminMixin
from amparo.directory.models import ServiceType

from .models import Helpline, Pathway, PathwayStep


class StepInline(ScopedAdminMixin, admin.StackedInline):
    model = PathwayStep
    extra = 0
    filter_horizontal = ["service_types", "helplines"]
    platform_only = True

    def field_choices(self, request: HttpRequest, field_name: str) -> QuerySet[Any] | None:
        return ServiceType.objects.all() if field_name == "service_types" else None


@admin.register(Pathway)
class PathwayAdmin(ScopedAdminMixin, admin.ModelAdmin):
    list_display = ["slug", "title_es", "version", "reviewed_on", "published"]
    list_filter = ["published", "country"]
    inlines = [StepInline]
    filter_horizontal = ["helplines"]
    platform_only = True


@admin.register(Helpline)
class HelplineAdmin(ScopedAdminMixin, admin.ModelAdmin):
    list_display = ["code", "number", "name_es", "scope", "confirmed"]
    platform_only = True
