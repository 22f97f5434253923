"""The directory in Django's admin, for coordinators: stale services are flagged and can be filtered."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from django import forms
from django.conf import settings
from django.contrib import admin
from django.db.models import Exists, ForeignKey, OuterRef, Q, QuerySet
from django.forms import ModelChoiceField
from django.http import HttpRequest
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from amparo.core.admin_site import CoordinatorAdminMixin

from .models import (
    FocalPoint,
    Location,
    OpeningHours,
    Organization,
    Place,
    Sensitisation,
    Service,
    ServiceAtLocation,
)
from .services import location_sync, services_mark_verified, services_reindex
from .taxonomy import SENSITISATION_TOPIC_CHOICES


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

    def save_related(self, request: HttpRequest, form: Any, formsets: Any, change: bool) -> None:
        super().save_related(request, form, formsets, change)
        services_reindex([form.instance.service_id])  # search masks and the week of opening hours


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


class SensitisationForm(forms.ModelForm):
    topics = forms.MultipleChoiceField(
        label=_("topics"), choices=SENSITISATION_TOPIC_CHOICES, widget=forms.CheckboxSelectMultiple, required=False
    )

    class Meta:
        model = Sensitisation
        fields = ["trained_on", "expires_on", "topics", "trainer_name", "trainer_organization"]


class SensitisationInline(CoordinatorAdminMixin, admin.StackedInline):
    model = Sensitisation
    form = SensitisationForm
    extra = 0


class FocalPointForm(forms.ModelForm):
    class Meta:
        model = FocalPoint
        fields = [
            "entity",
            "services",
            "display_name",
            "job_title",
            "availability",
            "languages",
            "active",
            "publish_name",
            "phone",
            "phone_public",
            "whatsapp",
            "whatsapp_public",
            "email",
            "email_public",
            "managed_by",
            "user",
        ]

    def clean(self) -> dict[str, Any]:
        from amparo.accounts.models import Membership
        from amparo.accounts.roles import Role

        data = super().clean() or {}
        entity, services = data.get("entity"), data.get("services")
        if entity is not None and services is not None:
            foreign = [str(s) for s in services if s.organization_id != entity.pk]
            if foreign:
                self.add_error("services", _("These services belong to another entity: %s") % ", ".join(foreign))
        user, managed_by = data.get("user"), data.get("managed_by")
        if (
            user is not None
            and not Membership.objects.filter(
                user=user, organization=managed_by, role=Role.FOCAL_POINT, active=True
            ).exists()
        ):
            self.add_error(
                "user", _("This account needs an active focal point membership in the managing organisation.")
            )
        return data


class SensitisationStateFilter(admin.SimpleListFilter):
    title = _("sensitisation")
    parameter_name = "sensitisation"

    def lookups(self, request: HttpRequest, model_admin: Any) -> list[tuple[str, Any]]:
        return [("current", _("Current")), ("none", _("Expired or none"))]

    def queryset(self, request: HttpRequest, queryset: QuerySet[FocalPoint]) -> QuerySet[FocalPoint]:
        current = FocalPoint.objects.currently_sensitised().values("pk")
        if self.value() == "current":
            return queryset.filter(pk__in=current)
        if self.value() == "none":
            return queryset.exclude(pk__in=current)
        return queryset


@admin.register(FocalPoint)
class FocalPointAdmin(CoordinatorAdminMixin, admin.ModelAdmin):
    """Coordinators see and register the focal points their organisation manages; platform administrators all."""

    form = FocalPointForm
    list_display = ["display_name", "entity", "job_title", "managed_by", "active", "sensitised"]
    list_filter = [SensitisationStateFilter, "active", "entity__kind", "managed_by"]
    search_fields = ["display_name", "job_title", "entity__name"]
    autocomplete_fields = ["entity", "services"]
    inlines = [SensitisationInline]
    fieldsets = [
        (None, {"fields": ["entity", "services", "display_name", "job_title", "availability", "languages", "active"]}),
        (
            _("Public contact (shown only where the person agreed)"),
            {
                "fields": [
                    "publish_name",
                    ("phone", "phone_public"),
                    ("whatsapp", "whatsapp_public"),
                    ("email", "email_public"),
                ]
            },
        ),
        (_("Management"), {"fields": ["managed_by", "user"]}),
    ]

    def _coordinated(self, request: HttpRequest) -> QuerySet[Any]:
        from amparo.accounts.access import organizations_for_user
        from amparo.accounts.roles import PLATFORM_ADMIN, Role

        return organizations_for_user(request.user, {Role.COORDINATOR, PLATFORM_ADMIN})  # type: ignore[arg-type]

    def get_queryset(self, request: HttpRequest) -> QuerySet[FocalPoint]:
        current = FocalPoint.objects.currently_sensitised().filter(pk=OuterRef("pk"))
        qs = super().get_queryset(request).select_related("entity", "managed_by").annotate(current=Exists(current))
        if not request.user.is_superuser:
            qs = qs.filter(managed_by__in=self._coordinated(request))
        return qs

    def formfield_for_foreignkey(
        self, db_field: ForeignKey[Any, Any], request: HttpRequest, **kwargs: Any
    ) -> ModelChoiceField[Any] | None:
        from amparo.accounts.models import User
        from amparo.accounts.roles import Role

        if db_field.name == "managed_by":
            kwargs["queryset"] = self._coordinated(request)
        elif db_field.name == "user":
            kwargs["queryset"] = User.objects.filter(
                memberships__role=Role.FOCAL_POINT,
                memberships__active=True,
                memberships__organization__in=self._coordinated(request),
            ).distinct()
        return super().formfield_for_foreignkey(db_field, request, **kwargs)

    @admin.display(description=_("currently sensitised"), boolean=True)
    def sensitised(self, obj: FocalPoint) -> bool:
        return bool(getattr(obj, "current", False))
