from __future__ import annotations

from django.contrib import admin

from amparo.core.admin_site import CoordinatorAdminMixin

from .models import Helpline, Pathway, PathwayStep


class StepInline(CoordinatorAdminMixin, admin.StackedInline):
    model = PathwayStep
    extra = 0
    filter_horizontal = ["service_types", "helplines"]


@admin.register(Pathway)
class PathwayAdmin(CoordinatorAdminMixin, admin.ModelAdmin):
    list_display = ["slug", "title_es", "version", "reviewed_on", "published"]
    list_filter = ["published", "country"]
    inlines = [StepInline]
    filter_horizontal = ["helplines"]


@admin.register(Helpline)
class HelplineAdmin(CoordinatorAdminMixin, admin.ModelAdmin):
    list_display = ["code", "number", "name_es", "scope", "confirmed"]
