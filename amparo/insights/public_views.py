"""The public figures (issue 16, parts 3 and 5): published periods, a publication's page, its HXL exports and the
data dictionary. No account, no cookie (the public-page middleware), no script needed, nothing third-party.

Only approved publications show figures; a withdrawn one says so, a replaced one points to its replacement; a
draft or a publication sent back does not exist here (404), nor do its exports.
"""

from __future__ import annotations

from uuid import UUID

from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils.translation import get_language
from django.views.decorators.http import require_GET

from amparo.core.responses import attachment

from . import hxl, selectors
from .charts import chart_for
from .models import Publication

EXPORTS = {"csv": "text/csv; charset=utf-8", "json": "application/json; charset=utf-8"}


def _language() -> str:
    return (get_language() or "es").split("-")[0]


@require_GET
def index(request: HttpRequest) -> HttpResponse:
    listed = list(selectors.public_publications()[:200])
    return render(
        request, "insights/public/index.html", {"publications": [(p, selectors.scope_label(p)) for p in listed]}
    )


@require_GET
def publication(request: HttpRequest, publication_uuid: UUID) -> HttpResponse:
    found = selectors.get_public_publication(publication_uuid)
    if found is None:
        raise Http404
    context: dict[str, object] = {"publication": found, "scope": selectors.scope_label(found)}
    if found.status == Publication.Status.APPROVED:
        shown = found.language_for(_language())
        tables = found.tables(shown)
        context |= {
            "tables": [chart_for(t) for t in tables],  # each chart next to its table (display.table_view)
            "sources": selectors.source_labels(tables),
            "other_language": shown != _language(),
            "threshold": max((t.threshold for t in tables), default=11),
        }
    elif found.status == Publication.Status.SUPERSEDED:
        context["replacement"] = selectors.replacement_of(found)
    return render(request, "insights/public/publication.html", context)


@require_GET
def export(request: HttpRequest, publication_uuid: UUID, fmt: str) -> HttpResponse:
    found = selectors.get_public_publication(publication_uuid)
    if found is None or found.status != Publication.Status.APPROVED or fmt not in EXPORTS:
        raise Http404
    shown = found.language_for(_language())
    tables = found.tables(shown)
    body = hxl.to_csv(tables, shown) if fmt == "csv" else hxl.to_json(tables, shown)
    where = f"{found.scope}-{found.country}" if found.country else found.scope
    name = f"amparo-{where}-{found.period_start:%Y-%m}-{found.period_end:%Y-%m}-{shown}.hxl.{fmt}"
    return attachment(body.encode("utf-8"), content_type=EXPORTS[fmt], filename=name)


@require_GET
def dictionary(request: HttpRequest) -> HttpResponse:
    return render(request, "insights/public/dictionary.html", {"entries": hxl.dictionary(_language())})
