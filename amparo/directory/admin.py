"""The directory in Django's admin, for coordinators: stale services are flagged and can be filtered."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from django.conf import settings
from django.contrib import admin
from django.db.models import Q, QuerySet
from django.http import HttpRequest
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from amparo.core.admin_site import CoordinatorAdminMixin

from .models import Location, OpeningHours, Organization, Place, Service, ServiceAtLocation
from .services import location_sync, services_mark_verified, services_reindex


class StaleFilter(admin.SimpleListFilter):
    title = _("verification")
    parameter_name = "verification"

    def lookups(self, request: HttpRequest, model_admin: Any) -> list[tuple[str, Any]]:
        return [("stale", _("Not verified for over 90 days")), ("fresh", _("Verified recently"))]

    def queryset(self, request: HttpRequest, queryset: QuerySet[Service]) -> QuerySet[Service]:
        limit = timezone.localdate() - timedelta(days=settings.STALE_AFTER_DAYS)
        stale = Q(last_verified_on__lt=limit) | Q(last_verified_on__isnull=True)
        if self.value() == "stale":
            return queryset.filter(stale)
        if self.value() == "fresh":
            return queryset.exclude(stale)
        return queryset


@admin.register(Place)
class PlaceAdmin(CoordinatorAdminMixin, admin.ModelAdmin):
    list_display = ["name", "pcode", "level", "zone", "parent"]
    list_filter = ["level", "zone"]
    search_fields = ["name", "pcode"]


@admin.register(Organization)
class OrganizationAdmin(CoordinatorAdminMixin, admin.ModelAdmin):
    list_display = ["name", "kind"]
    list_filter = ["kind"]
    search_fields = ["name"]


@admin.register(Location)
class LocationAdmin(CoordinatorAdminMixin, admin.ModelAdmin):
    list_display = ["name", "organization", "place"]
    search_fields = ["name", "organization__name"]
    autocomplete_fields = ["organization", "place"]

    def save_model(self, request: HttpRequest, obj: Location, form: Any, change: bool) -> None:
        super().save_model(request, obj, form, change)
        location_sync(obj)


class OpeningHoursInline(CoordinatorAdminMixin, admin.TabularInline):
    model = OpeningHours
    extra = 0


@admin.register(ServiceAtLocation)
class ServiceAtLocationAdmin(CoordinatorAdminMixin, admin.ModelAdmin):
    list_display = ["service", "location", "place", "open_24h"]
    search_fields = ["service__name", "location__name"]
    autocomplete_fields = ["service", "location"]
    inlines = [OpeningHoursInline]


class ServiceAtLocationInline(CoordinatorAdminMixin, admin.TabularInline):
    model = ServiceAtLocation
    extra = 0
    autocomplete_fields = ["location"]
    fields = ["location", "open_24h"]


@admin.register(Service)
class ServiceAdmin(CoordinatorAdminMixin, admin.ModelAdmin):
    list_display = ["name", "organization", "status", "last_verified_on", "verification_state"]
    list_filter = [StaleFilter, "status", "types", "trans_affirming", "no_id_required", "sex_worker_friendly"]
    search_fields = ["name", "organization__name"]
    autocomplete_fields = ["organization"]
    filter_horizontal = ["types"]
    inlines = [ServiceAtLocationInline]
    ordering = ["last_verified_on"]

    actions = ["mark_verified_today"]

    @admin.action(description=_("Mark the selected services and all their facts as verified today"))
    def mark_verified_today(self, request: HttpRequest, queryset: QuerySet[Service]) -> None:
        count = services_mark_verified(queryset.values_list("pk", flat=True))
        self.message_user(request, _("%(count)d services marked as verified today.") % {"count": count})

    @admin.display(description=_("verification"))
    def verification_state(self, obj: Service) -> str:
        return str(_("STALE: verify")) if obj.is_stale else str(_("ok"))

    def save_related(self, request: HttpRequest, form: Any, formsets: Any, change: bool) -> None:
        super().save_related(request, form, formsets, change)
        services_reindex([form.instance.pk])
