"""Staff pages of the protection networks (docs/networks.md): the network of a place, its exports, and the ties.

Readers (coordinators, analysts, monitors, platform administrators) see every network: the ties are shared
knowledge of the member organisations, and the referral flows are counts under disclosure control. Coordinators
record ties for their organisation and change or end those it recorded; platform administrators change any.
"""

from __future__ import annotations

from datetime import date
from uuid import UUID

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.core.paginator import Paginator
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.http import urlencode
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from amparo.access import get_tie_for_editing, recording_organization, staff_view, ties_for_editing, user_roles
from amparo.accounts.roles import PLATFORM_ADMIN, Role
from amparo.core.responses import attachment, bad_request_page
from amparo.directory.models import Place

from . import exports, selectors, services
from .analysis import analyse_graphs, referral_graph, structure_graph
from .drawing import MAX_DRAWN_ACTORS, draw, kind_label
from .forms import NetworkQueryForm, TieEndForm, TieForm
from .models import Tie

READ_ROLES = frozenset({Role.COORDINATOR, Role.ANALYST, Role.MONITOR, PLATFORM_ADMIN})
EDIT_ROLES = frozenset({Role.COORDINATOR, PLATFORM_ADMIN})
TIES_PER_PAGE = 50
SHOWN_ISOLATED = 60
EXPORTS = {
    "graphml": ("application/graphml+xml", "graphml"),
    "gexf": ("application/gexf+xml", "gexf"),
    "ties": ("text/csv; charset=utf-8", "ties.csv"),
    "centralities": ("text/csv; charset=utf-8", "centralities.csv"),
}


def _query(request: HttpRequest) -> tuple[NetworkQueryForm, HttpResponse | None]:
    form = NetworkQueryForm(request.GET)
    if not form.is_valid():
        message = " ".join(str(e) for errors in form.errors.values() for e in errors)
        return form, bad_request_page(request, message)
    return form, None


def _quick_places() -> list[Place]:
    """Places offered as one-click choices: the demo's Cúcuta and its department, then every department."""
    return list(
        Place.objects.filter(level__in=[Place.Level.COUNTRY, Place.Level.ADMIN1]).select_related("parent")
    ) + list(Place.objects.filter(pcode__in=["CO54001", "CO54874", "CO44430"]).select_related("parent"))


@staff_view(READ_ROLES)
@require_GET
def network(request: HttpRequest) -> HttpResponse:
    """The network of a municipality, department or country in a period: the picture, its brokers and isolated
    actors, the most central actors, and the referral flows per pair (fewer than 5: shown as such)."""
    form, bad = _query(request)
    if bad is not None:
        return bad
    place: Place | None = form.cleaned_data["place"]
    context: dict[str, object] = {
        "form": form,
        "quick_places": _quick_places(),
        "places": selectors.places_for_choice(),
    }
    if place is None:
        return render(request, "networks/network.html", context)
    start: date = form.cleaned_data["start"]
    end: date = form.cleaned_data["end"]
    data = selectors.network_for(place, start, end)
    graph = structure_graph(data)
    analysis = analyse_graphs(graph, referral_graph(data.flows))
    title = _("Protection network of %(place)s, %(start)s to %(end)s") % {
        "place": place,
        "start": start.isoformat(),
        "end": end.isoformat(),
    }
    picture = draw(data, analysis, graph, title) if data.actors else None
    services.network_read(actor=request.user, place=place, what="page", actors=len(data.actors), flows=len(data.flows))
    label = {key: actor.label for key, actor in data.actors.items()}
    central = sorted(
        data.actors, key=lambda k: (-analysis.betweenness.get(k, 0.0), -analysis.degree.get(k, 0.0), label[k])
    )[:10]
    query = urlencode({"place": place.pcode, "start": start.isoformat(), "end": end.isoformat()})
    context.update(
        {
            "place": place,
            "start": start,
            "end": end,
            "query": query,
            "network": data,
            "analysis": analysis,
            "picture": picture,
            "max_drawn": MAX_DRAWN_ACTORS,
            "brokers": [
                (data.actors[b.key], kind_label(data.actors[b.key].kind), b.cut_off) for b in analysis.brokers[:30]
            ],
            "isolated": [(data.actors[k], kind_label(data.actors[k].kind)) for k in analysis.isolated[:SHOWN_ISOLATED]],
            "isolated_more": max(0, len(analysis.isolated) - SHOWN_ISOLATED),
            "central": [
                (data.actors[k], kind_label(data.actors[k].kind), graph.degree(k), analysis.betweenness.get(k, 0.0))
                for k in central
            ],
            "recorded_ties": len(data.ties),
            "flows": selectors.shown_flows(data),
            "declines": selectors.shown_declines(data),
            "reciprocity": None if analysis.reciprocity is None else round(100 * analysis.reciprocity),
            "reciprocal_pairs": [(label[a], label[b]) for a, b in analysis.reciprocal_pairs[:20]],
            "exports": list(EXPORTS),
        }
    )
    return render(request, "networks/network.html", context)


@staff_view(READ_ROLES)
@require_GET
def export(request: HttpRequest) -> HttpResponse:
    """The network of a place as GraphML, GEXF, or CSV of its ties or of its actors' centralities."""
    form, bad = _query(request)
    if bad is not None:
        return bad
    place: Place | None = form.cleaned_data["place"]
    what = request.GET.get("format", "")
    if place is None or what not in EXPORTS:
        return bad_request_page(request, _("Choose a place and one of the formats offered on the network page."))
    data = selectors.network_for(place, form.cleaned_data["start"], form.cleaned_data["end"])
    graph = structure_graph(data)
    analysis = analyse_graphs(graph, referral_graph(data.flows))
    if what == "graphml":
        body = exports.graphml_bytes(exports.export_graph(data, analysis, graph))
    elif what == "gexf":
        body = exports.gexf_bytes(exports.export_graph(data, analysis, graph))
    elif what == "ties":
        body = exports.ties_csv(data)
    else:
        body = exports.centralities_csv(data, analysis, graph)
    services.network_read(actor=request.user, place=place, what=what, actors=len(data.actors), flows=len(data.flows))
    content_type, suffix = EXPORTS[what]
    filename = f"network-{place.pcode}-{data.start.isoformat()}-{data.end.isoformat()}.{suffix}"
    return attachment(body, content_type=content_type, filename=filename)


@staff_view(READ_ROLES)
@require_GET
def ties(request: HttpRequest) -> HttpResponse:
    """The recorded ties of a place (and the places under it), newest first; those the user may edit are marked."""
    form, bad = _query(request)
    if bad is not None:
        return bad
    place: Place | None = form.cleaned_data["place"]
    page = Paginator(selectors.ties_recorded(place), TIES_PER_PAGE).get_page(request.GET.get("page"))
    editable = set(ties_for_editing(request.user).filter(pk__in=[t.pk for t in page]).values_list("pk", flat=True))
    rows = [(tie, tie.pk in editable) for tie in page]
    may_edit = bool(EDIT_ROLES & user_roles(request.user))
    return render(
        request,
        "networks/ties.html",
        {
            "form": form,
            "place": place,
            "places": selectors.places_for_choice(),
            "page": page,
            "rows": rows,
            "may_edit": may_edit,
        },
    )


def _tie_form_page(request: HttpRequest, form: TieForm, tie: Tie | None, place: Place | None) -> HttpResponse:
    status = 400 if request.method == "POST" else 200
    end_form = TieEndForm() if tie is not None else None
    return render(
        request,
        "networks/tie_form.html",
        {"form": form, "tie": tie, "place": place, "end_form": end_form},
        status=status,
    )


def _actors_for(place: Place | None, tie: Tie | None) -> list[tuple[str, str]]:
    actors = selectors.actor_choices(place)
    if tie is not None:
        known = {key for key, _label in actors}
        actors += [(key, selectors.actor_label(key)) for key in (tie.from_key, tie.to_key) if key not in known]
    return actors


@staff_view(EDIT_ROLES)
@require_http_methods(["GET", "POST"])
def tie_new(request: HttpRequest) -> HttpResponse:
    """Record a tie for the coordinator's organisation. `?place=` narrows the actors offered to its department."""
    place = selectors.place_by_code(request.GET.get("place", ""))
    actors = _actors_for(place, None)
    if request.method != "POST":
        form = TieForm(actors=actors, initial={"place": place.pcode if place else ""})
        return _tie_form_page(request, form, None, place)
    form = TieForm(request.POST, actors=actors)
    if form.is_valid():
        try:
            tie = services.tie_add(
                actor=request.user, organization=recording_organization(request.user), data=form.tie_data()
            )
        except ValidationError as error:
            form.add_error(None, error)
        else:
            messages.success(request, _("The tie is recorded."))
            return redirect(f"{reverse('networks:ties')}?{urlencode({'place': tie.place.pcode})}")
    return _tie_form_page(request, form, None, place)


@staff_view(EDIT_ROLES)
@require_http_methods(["GET", "POST"])
def tie_edit(request: HttpRequest, tie_uuid: UUID) -> HttpResponse:
    tie = get_tie_for_editing(request.user, tie_uuid)
    place = tie.place
    actors = _actors_for(place, tie)
    if request.method != "POST":
        initial = {
            "kind": tie.kind,
            "from_actor": tie.from_key,
            "to_actor": tie.to_key,
            "place": tie.place.pcode,
            "starts_on": tie.starts_on,
            "ends_on": tie.ends_on,
        }
        return _tie_form_page(request, TieForm(actors=actors, initial=initial), tie, place)
    form = TieForm(request.POST, actors=actors)
    if form.is_valid():
        try:
            services.tie_change(actor=request.user, tie=tie, data=form.tie_data())
        except ValidationError as error:
            form.add_error(None, error)
        else:
            messages.success(request, _("The tie is changed."))
            return redirect(f"{reverse('networks:ties')}?{urlencode({'place': place.pcode})}")
    return _tie_form_page(request, form, tie, place)


@staff_view(EDIT_ROLES)
@require_POST
def tie_end(request: HttpRequest, tie_uuid: UUID) -> HttpResponse:
    """End a tie on a day: it stays in the record for the periods it covered."""
    tie = get_tie_for_editing(request.user, tie_uuid)
    form = TieEndForm(request.POST)
    if not form.is_valid():
        return bad_request_page(request, _("Give the day the tie ended."))
    try:
        services.tie_end(actor=request.user, tie=tie, ends_on=form.cleaned_data["ends_on"])
    except ValidationError as error:
        return bad_request_page(request, " ".join(error.messages))
    messages.success(request, _("The tie is ended."))
    return redirect(f"{reverse('networks:ties')}?{urlencode({'place': tie.place.pcode})}")
