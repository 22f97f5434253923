from __future__ import annotations

from django import forms
from django.core.paginator import Paginator
from django.db import transaction
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils.translation import gettext_lazy as _
from django.views.decorators.http import require_GET

from amparo.access import get_organization_for_user, staff_view
from amparo.accounts.roles import PLATFORM_ADMIN, Role

from .selectors import audit_trail
from .services import audit_record

TRAIL_ROLES = {Role.COORDINATOR, PLATFORM_ADMIN}


class TrailFilter(forms.Form):
    action = forms.CharField(label=_("Action starts with"), required=False, max_length=80)
    actor = forms.CharField(label=_("Who"), required=False, max_length=254)
    object_type = forms.CharField(label=_("Object type"), required=False, max_length=80)
    since = forms.DateField(label=_("From"), required=False, widget=forms.DateInput(attrs={"type": "date"}))
    until = forms.DateField(label=_("Until"), required=False, widget=forms.DateInput(attrs={"type": "date"}))
    page = forms.IntegerField(required=False, min_value=1, max_value=100_000)


@staff_view(TRAIL_ROLES)
@require_GET  # a read with filters in the address; a POST has nothing to do here
def trail(request: HttpRequest, org_uuid: str) -> HttpResponse:
    organization = get_organization_for_user(request.user, org_uuid, TRAIL_ROLES)  # type: ignore[arg-type]
    form = TrailFilter(request.GET or None)
    status = 200
    entries = None
    if form.is_bound and not form.is_valid():
        status = 400
    else:
        data = form.cleaned_data if form.is_bound else {}
        qs = audit_trail(
            [organization.pk],
            action=data.get("action") or "",
            actor=data.get("actor") or "",
            object_type=data.get("object_type") or "",
            since=data.get("since"),
            until=data.get("until"),
        )
        entries = Paginator(qs, 50).get_page(data.get("page") or 1)
        # Read the page before recording this reading: the count and the rows then describe the same trail (a lazy
        # page counted before and fetched after showed this view's own entry and dropped the oldest one).
        entries.object_list = list(entries.object_list)
        with transaction.atomic():
            audit_record(
                actor=request.user,
                action="audit.view",
                organization=organization,
                detail={"filters": {k: str(v) for k, v in data.items() if v and k != "page"}},
            )
    query = request.GET.copy()
    query.pop("page", None)
    return render(
        request,
        "audit/trail.html",
        {"organization": organization, "form": form, "entries": entries, "query_string": query.urlencode()},
        status=status,
    )
