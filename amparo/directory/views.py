from __future__ import annotations

from uuid import UUID

from django.conf import settings
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils import timezone

from amparo.pathways.selectors import search_guidance

from .forms import SearchForm
from .models import ServiceAtLocation
from .selectors import attach_public_focal_points, is_open_at, municipalities, search_services


def search(request: HttpRequest) -> HttpResponse:
    form = SearchForm(request.GET or None)
    context: dict[str, object] = {"form": form, "places": municipalities()}
    if form.is_bound:
        if not form.is_valid():
            context["error"] = form.error_text()
            return render(request, "directory/search.html", context, status=400)
        criteria = form.criteria(page_size=settings.SEARCH_PAGE_SIZE)
        result = search_services(criteria)
        context["result"] = result
        context["guidance"] = search_guidance(result.understanding, criteria.place)
        query = request.GET.copy()
        query.pop("page", None)
        context["query_string"] = query.urlencode()
    return render(request, "directory/search.html", context)


def service_detail(request: HttpRequest, sal_uuid: UUID) -> HttpResponse:
    sal = (
        ServiceAtLocation.objects.select_related("service__organization", "location", "place__parent")
        .prefetch_related("hours", "service__types")
        .filter(uuid=sal_uuid, service__status="active")
        .first()
    )
    if sal is None:
        raise Http404
    attach_public_focal_points([sal.service])
    return render(
        request,
        "directory/service_detail.html",
        {"sal": sal, "service": sal.service, "is_open": is_open_at(sal, timezone.now())},
    )
