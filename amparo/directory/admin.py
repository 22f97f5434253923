"""The directory in Django's admin, for coordinators: stale services are flagged and can be filtered.

Every admin here is scoped through the permission module (`amparo.access`, via `ScopedAdminMixin`): a coordinator
lists, opens and edits only the directory entries her organisation keeps up to date (and their locations and
services) and the focal points it manages; places are platform data she can only look at. A focal point at another
organisation's entity waits for that entity's approval (`/staff/directory/focal-points/requests/`)."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from django import forms
from django.conf import settings
from django.contrib import admin
from django.contrib.admin import RelatedOnlyFieldListFilter
from django.db.models import Exists, OuterRef, Q, QuerySet
from django.http import HttpRequest
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from amparo.access import (
    coordinated_organizations,
    directory_entities_for_user,
    focal_points_for_admin,
    grants_itself,
)
from amparo.access.admin import ScopedAdminMixin

from .models import (
    FocalPoint,
    Location,
    OpeningHours,
    Organization,
    Place,
    Sensitisation,
    Service,
    ServiceAtLocation,
    ServiceType,
)
from .services import focal_point_saved, location_sync, services_mark_verified, services_reindex
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
class PlaceAdmin(ScopedAdminMixin, admin.ModelAdmin):
    platform_only = True  # P-codes and zone types: reference data for every organisation
    list_display = ["name", "pcode", "level", "zone", "parent"]
    list_filter = ["level", "zone"]
    search_fields = ["name", "pcode"]


@admin.register(Organization)
class OrganizationAdmin(ScopedAdminMixin, admin.ModelAdmin):
    list_display = ["name", "kind", "managed_by"]
    list_filter = ["kind"]
    search_fields = ["name"]

    def scope(self, request: HttpRequest, queryset: QuerySet[Organization]) -> QuerySet[Organization]:
        return queryset.filter(pk__in=directory_entities_for_user(request.user).values("pk"))

    def field_choices(self, request: HttpRequest, field_name: str) -> QuerySet[Any] | None:
        return coordinated_organizations(request.user) if field_name == "managed_by" else None

    def get_form(self, request: HttpRequest, obj: Any = None, change: bool = False, **kwargs: Any) -> Any:
        form = super().get_form(request, obj, change=change, **kwargs)
        field = form.base_fields.get("managed_by")
        if isinstance(field, forms.ModelChoiceField) and not request.user.is_superuser:
            # A coordinator's new entry is kept by her organisation, or she could not open it again; an entry
            # linked to her organisation but kept by another keeps its keeper (she cannot hand it over).
            field.required = obj is None
            choices = field.queryset
            if (
                obj is not None
                and obj.managed_by_id
                and not (choices and choices.filter(pk=obj.managed_by_id).exists())
            ):
                field.queryset = type(obj.managed_by)._default_manager.filter(pk=obj.managed_by_id)
                field.disabled = True
        return form


@admin.register(Location)
class LocationAdmin(ScopedAdminMixin, admin.ModelAdmin):
    list_display = ["name", "organization", "place"]
    search_fields = ["name", "organization__name"]
    autocomplete_fields = ["organization", "place"]

    def scope(self, request: HttpRequest, queryset: QuerySet[Location]) -> QuerySet[Location]:
        return queryset.filter(organization__in=directory_entities_for_user(request.user).values("pk"))

    def save_model(self, request: HttpRequest, obj: Location, form: Any, change: bool) -> None:
        super().save_model(request, obj, form, change)
        location_sync(obj)


class OpeningHoursInline(ScopedAdminMixin, admin.TabularInline):
    model = OpeningHours
    extra = 0


@admin.register(ServiceAtLocation)
class ServiceAtLocationAdmin(ScopedAdminMixin, admin.ModelAdmin):
    list_display = ["service", "location", "place", "open_24h"]
    search_fields = ["service__name", "location__name"]
    autocomplete_fields = ["service", "location"]
    inlines = [OpeningHoursInline]

    def scope(self, request: HttpRequest, queryset: QuerySet[ServiceAtLocation]) -> QuerySet[ServiceAtLocation]:
        return queryset.filter(service__organization__in=directory_entities_for_user(request.user).values("pk"))

    def save_related(self, request: HttpRequest, form: Any, formsets: Any, change: bool) -> None:
        super().save_related(request, form, formsets, change)
        services_reindex([form.instance.service_id])  # search masks and the week of opening hours


class ServiceAtLocationInline(ScopedAdminMixin, admin.TabularInline):
    model = ServiceAtLocation
    extra = 0
    autocomplete_fields = ["location"]
    fields = ["location", "open_24h"]


@admin.register(Service)
class ServiceAdmin(ScopedAdminMixin, admin.ModelAdmin):
    list_display = ["name", "organization", "status", "last_verified_on", "verification_state"]
    list_filter = [StaleFilter, "status", "types", "trans_affirming", "no_id_required", "sex_worker_friendly"]
    search_fields = ["name", "organization__name"]
    autocomplete_fields = ["organization"]
    filter_horizontal = ["types"]
    inlines = [ServiceAtLocationInline]
    ordering = ["last_verified_on"]

    actions = ["mark_verified_today"]

    def scope(self, request: HttpRequest, queryset: QuerySet[Service]) -> QuerySet[Service]:
        return queryset.filter(organization__in=directory_entities_for_user(request.user).values("pk"))

    def field_choices(self, request: HttpRequest, field_name: str) -> QuerySet[Any] | None:
        return ServiceType.objects.all() if field_name == "types" else None  # the published taxonomy

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


class SensitisationInline(ScopedAdminMixin, admin.StackedInline):
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
class FocalPointAdmin(ScopedAdminMixin, admin.ModelAdmin):
    """Coordinators see and register the focal points their organisation manages; platform administrators all."""

    form = FocalPointForm
    list_display = ["display_name", "entity", "job_title", "managed_by", "active", "grant", "sensitised"]
    list_filter = [
        SensitisationStateFilter,
        "active",
        "grant",
        "entity__kind",
        ("managed_by", RelatedOnlyFieldListFilter),
    ]
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

    # The entity and its services may be any in the directory: a grant at another organisation's entity gives
    # nothing until that entity approves it (`focal_point_saved`).
    open_choices = frozenset({"entity", "services"})

    def scope(self, request: HttpRequest, queryset: QuerySet[FocalPoint]) -> QuerySet[FocalPoint]:
        current = FocalPoint.objects.currently_sensitised().filter(pk=OuterRef("pk"))
        return (
            queryset.filter(pk__in=focal_points_for_admin(request.user).values("pk"))
            .select_related("entity", "managed_by")
            .annotate(current=Exists(current))
        )

    def field_choices(self, request: HttpRequest, field_name: str) -> QuerySet[Any] | None:
        from amparo.accounts.models import User
        from amparo.accounts.roles import Role

        if field_name == "managed_by":
            return coordinated_organizations(request.user)
        if field_name == "user":
            return User.objects.filter(
                memberships__role=Role.FOCAL_POINT,
                memberships__active=True,
                memberships__organization__in=coordinated_organizations(request.user),
            ).distinct()
        return None

    def save_related(self, request: HttpRequest, form: Any, formsets: Any, change: bool) -> None:
        super().save_related(request, form, formsets, change)
        focal_point_saved(
            actor=request.user,
            focal_point=form.instance,
            created=not change,
            changed=form.changed_data,
            self_granted=grants_itself(request.user, form.instance),
        )

    @admin.display(description=_("currently sensitised"), boolean=True)
    def sensitised(self, obj: FocalPoint) -> bool:
        return bool(getattr(obj, "current", False))
