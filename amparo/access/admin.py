"""The admin site and the scoping every admin goes through: part of the permission module (DESIGN.md rule 9).

For platform administrators and coordinators, behind the same 2FA sign-in as staff pages."""

from __future__ import annotations

from typing import Any

from django.apps import apps
from django.contrib import admin
from django.core.exceptions import ImproperlyConfigured
from django.db.models import QuerySet, URLField
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect
from django.urls import reverse
from django.utils.http import urlencode

from amparo.access import is_coordinator
from amparo.accounts.signout import sign_out


class AmparoAdminSite(admin.AdminSite):
    site_header = "Amparo"
    site_title = "Amparo"

    def has_permission(self, request: HttpRequest) -> bool:
        user = request.user
        return bool(user.is_active and is_coordinator(user) and user.is_verified())

    def logout(self, request: HttpRequest, extra_context: Any = None) -> HttpResponse:  # type: ignore[override]
        """The staff sign-out (which also clears what the browser kept)."""
        return sign_out(request)

    def login(self, request: HttpRequest, extra_context: Any = None) -> HttpResponse:
        """One sign-in for everyone (password, lockout, then TOTP): the staff login page."""
        target = request.GET.get("next") or reverse("admin:index")
        return redirect(f"{reverse('accounts:login')}?{urlencode({'next': target})}")


class ScopedAdminMixin:
    """Every admin page and form is scoped by organisation through the permission module (DESIGN.md rule 9).

    - `scope(request, queryset)`: the objects this user may list, open, change and delete. Subclasses narrow it
      with an `amparo.access` function; the default gives coordinators nothing, so an admin that forgets to say
      is closed, not open.
    - `platform_only = True`: platform-wide content (places, pathways, helplines): coordinators may look (and pick
      it in forms), only platform administrators change it.
    - Choices of every foreign key and many-to-many field are the related model's admin scope, so an object of
      another organisation is never listed in a form nor accepted from a forged POST. A field whose related model
      has no scoped admin must be given in `field_choices`, or the form refuses to build (and the admin test
      fails). `open_choices` names fields that may point at any row (public directory data; a focal-point grant at
      another organisation's entity, which that entity must then approve); their autocompletes search every row.
    """

    platform_only = False
    open_choices: frozenset[str] = frozenset()

    def scope(self, request: HttpRequest, queryset: QuerySet[Any]) -> QuerySet[Any]:
        return queryset if self.platform_only or request.user.is_superuser else queryset.none()

    def field_choices(self, request: HttpRequest, field_name: str) -> QuerySet[Any] | None:
        """Choices for a field whose related model has no scoped admin; None when this admin has no rule for it."""
        return None

    # --- permissions -------------------------------------------------------------------------------------------

    def _coordinator(self, request: HttpRequest) -> bool:
        return is_coordinator(request.user)

    def _may_change(self, request: HttpRequest, obj: Any = None) -> bool:
        if self.platform_only:
            return bool(request.user.is_superuser)
        if not self._coordinator(request):
            return False
        model = getattr(self, "parent_model", None) if isinstance(self, admin.options.InlineModelAdmin) else None
        if obj is None or model is not None:
            return True  # an inline's obj is its parent, already scoped by the parent's admin
        return self.scope(request, type(obj)._default_manager.filter(pk=obj.pk)).exists()

    def has_module_permission(self, request: HttpRequest) -> bool:
        return self._coordinator(request)

    def has_view_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return self._coordinator(request) and (self.platform_only or self._may_change(request, obj))

    def has_add_permission(self, request: HttpRequest, *args: Any) -> bool:
        return self._may_change(request)

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return self._may_change(request, obj)

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return self._may_change(request, obj)

    # --- what is listed and what may be chosen -------------------------------------------------------------------

    def get_queryset(self, request: HttpRequest) -> QuerySet[Any]:
        return self.scope(request, super().get_queryset(request))  # type: ignore[misc]

    def _choices(self, request: HttpRequest, db_field: Any) -> QuerySet[Any]:
        related = db_field.remote_field.model
        if db_field.name in self.open_choices:
            return related._default_manager.all()
        explicit = self.field_choices(request, db_field.name)
        if explicit is not None:
            return explicit
        related_admin = self.admin_site._registry.get(related)  # type: ignore[attr-defined]
        if isinstance(related_admin, ScopedAdminMixin):
            return related_admin.get_queryset(request)
        raise ImproperlyConfigured(
            f"{type(self).__name__}.{db_field.name}: no rule for the choices of {related._meta.label}; "
            "register a scoped admin for it, or give them in field_choices() or open_choices"
        )

    def formfield_for_dbfield(self, db_field: Any, request: HttpRequest, **kwargs: Any) -> Any:
        if isinstance(db_field, URLField):
            kwargs.setdefault("assume_scheme", "https")  # Django 6's default, without its deprecation warning
        return super().formfield_for_dbfield(db_field, request, **kwargs)  # type: ignore[misc]

    def formfield_for_foreignkey(self, db_field: Any, request: HttpRequest, **kwargs: Any) -> Any:
        kwargs.setdefault("queryset", self._choices(request, db_field))
        return super().formfield_for_foreignkey(db_field, request, **kwargs)  # type: ignore[misc]

    def formfield_for_manytomany(self, db_field: Any, request: HttpRequest, **kwargs: Any) -> Any:
        kwargs.setdefault("queryset", self._choices(request, db_field))
        return super().formfield_for_manytomany(db_field, request, **kwargs)  # type: ignore[misc]

    def get_search_results(self, request: HttpRequest, queryset: QuerySet[Any], search_term: str) -> Any:
        """An autocomplete for a field that another admin declares open searches every row, not only this scope."""
        if request.resolver_match is not None and request.resolver_match.url_name == "autocomplete":
            try:
                source = apps.get_registered_model(request.GET.get("app_label", ""), request.GET.get("model_name", ""))
            except LookupError:
                source = None
            source_admin = self.admin_site._registry.get(source)  # type: ignore[attr-defined]
            if (
                isinstance(source_admin, ScopedAdminMixin)
                and request.GET.get("field_name") in source_admin.open_choices
            ):
                queryset = self.model._default_manager.all()  # type: ignore[attr-defined]
        return super().get_search_results(request, queryset, search_term)  # type: ignore[misc]
