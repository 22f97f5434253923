from __future__ import annotations

from collections.abc import Callable
from functools import wraps

from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import render
from django.urls import reverse
from django.utils.translation import gettext as _

from amparo.core.qr import qr_svg
from amparo.core.responses import bad_request_page
from amparo.directory.models import Place
from amparo.directory.selectors import municipalities, place_by_code

from .selectors import helplines_for, pathway_by_slug, published_pathways, resolve_pathway

MAX_PLACE_CODE = 16


class PlaceError(ValueError):
    """The request names a place we cannot use; the message is for the person."""


def _place_from_request(request: HttpRequest) -> Place | None:
    code = request.GET.get("place", "").strip()
    if not code:
        return None
    if len(code) > MAX_PLACE_CODE or not code.isalnum():
        raise PlaceError(_("The place code is not valid."))
    place = place_by_code(code)
    if place is None:
        raise PlaceError(_("We do not know the place code “%(code)s”.") % {"code": code})
    return place


def _with_place(view: Callable[..., HttpResponse]) -> Callable[..., HttpResponse]:
    """Render a bad place as a 400 page here, so the code typed by the person never reaches a log."""

    @wraps(view)
    def wrapper(request: HttpRequest, **kwargs: str) -> HttpResponse:
        try:
            return view(request, **kwargs)
        except PlaceError as exc:
            return bad_request_page(request, str(exc))

    return wrapper


@_with_place
def home(request: HttpRequest) -> HttpResponse:
    place = _place_from_request(request)
    return render(
        request,
        "pathways/home.html",
        {
            "pathways": published_pathways(),
            "place": place,
            "places": municipalities(),
            "helplines": helplines_for(place),
        },
    )


def _resolved(request: HttpRequest, slug: str) -> dict[str, object]:
    pathway = pathway_by_slug(slug)
    if pathway is None:
        raise Http404
    place = _place_from_request(request)
    return {
        "resolved": resolve_pathway(pathway, place),
        "pathway": pathway,
        "place": place,
        "places": municipalities(),
    }


@_with_place
def detail(request: HttpRequest, slug: str) -> HttpResponse:
    return render(request, "pathways/detail.html", _resolved(request, slug))


@_with_place
def printable(request: HttpRequest, slug: str) -> HttpResponse:
    return render(request, "pathways/print.html", _resolved(request, slug))


@_with_place
def card(request: HttpRequest, slug: str) -> HttpResponse:
    context = _resolved(request, slug)
    target = reverse("pathways:detail", args=[slug])
    place = context["place"]
    if isinstance(place, Place):
        target += f"?place={place.pcode}"
    target_url = request.build_absolute_uri(target)
    context["target_url"] = target_url
    context["qr"] = qr_svg(target_url)
    return render(request, "pathways/card.html", context)
