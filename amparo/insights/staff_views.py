"""Staff pages of publications (four eyes), under /staff/insights/publications/ (`docs/insights.md`).

Coordinators prepare a publication (its tables are built and frozen at once); a second member of the same
organisation (coordinator, analyst or monitor, never the preparer) reviews the frozen tables and approves or sends
it back with a reason; coordinators withdraw. Who may do what is decided by `amparo.access`; the services enforce
the four eyes again.
"""

from __future__ import annotations

from typing import cast
from uuid import UUID

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import get_language
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from amparo.access import (
    PUBLICATION_PREPARE_ROLES,
    PUBLICATION_READ_ROLES,
    PUBLICATION_REVIEW_ROLES,
    get_publication_for_user,
    may_review_publication,
    may_withdraw_publication,
    publications_for_user,
    publishing_organizations,
    staff_view,
)
from amparo.accounts.models import User
from amparo.core.once import AlreadyDone
from amparo.core.responses import bad_request_page

from . import services
from .charts import chart_for
from .forms import PublicationForm, ReviewForm, WithdrawForm
from .models import LANGUAGES, Publication
from .selectors import scope_label, source_labels

LISTED = 100


@staff_view(PUBLICATION_READ_ROLES)
@require_GET
def publications(request: HttpRequest) -> HttpResponse:
    user = cast(User, request.user)
    listed = list(publications_for_user(user)[:LISTED])
    return render(
        request,
        "insights/staff/publications.html",
        {
            "publications": [(p, scope_label(p)) for p in listed],
            "may_prepare": publishing_organizations(user).exists(),
        },
    )


@staff_view(PUBLICATION_PREPARE_ROLES)
@require_http_methods(["GET", "POST"])
def publication_new(request: HttpRequest) -> HttpResponse:
    """Prepare a publication: its scope, whole months and languages; the tables are built and frozen at once."""
    user = cast(User, request.user)
    organizations = {str(o.uuid): o for o in publishing_organizations(user)}
    choices = [(key, o.name) for key, o in organizations.items()]
    replaces: Publication | None = None
    source = request.POST.get("replaces") if request.method == "POST" else request.GET.get("replaces")
    if source:
        replaces = get_publication_for_user(user, source, PUBLICATION_PREPARE_ROLES)
    if request.method != "POST":
        initial = {}
        if replaces is not None:
            initial = {
                "organization": str(replaces.organization.uuid),
                "scope": replaces.scope,
                "country": replaces.country,
                "first_month": f"{replaces.period_start:%Y-%m}",
                "last_month": f"{replaces.period_end:%Y-%m}",
                "languages": replaces.languages,
                "replaces": replaces.uuid,
            }
        form = PublicationForm(organizations=choices, initial=initial)
        return render(request, "insights/staff/publication_new.html", {"form": form, "replaces": replaces})
    form = PublicationForm(request.POST, organizations=choices)
    if form.is_valid():
        data = form.cleaned_data
        try:
            publication = services.publication_prepare(
                actor=user,
                organization=organizations[data["organization"]],
                scope=data["scope"],
                country=data.get("country") or "",
                first_month=data["first_month"],
                last_month=data["last_month"],
                languages=data["languages"],
                replaces=replaces,
                form_token=data.get("form_token") or "",
            )
        except AlreadyDone as done:  # Back and send again: the publication the first submission prepared
            messages.info(request, _("This publication was already prepared: nothing was built a second time."))
            if done.ref:
                return redirect("publications:publication", publication_uuid=done.ref)
            return redirect("publications:publications")
        except ValidationError as error:
            form.add_error(None, error)
        else:
            messages.success(request, _("Prepared. Another person must now review it before it is public."))
            return redirect("publications:publication", publication_uuid=publication.uuid)
    return render(request, "insights/staff/publication_new.html", {"form": form, "replaces": replaces}, status=400)


@staff_view(PUBLICATION_READ_ROLES)
@require_GET
def publication(request: HttpRequest, publication_uuid: UUID) -> HttpResponse:
    """The frozen tables of a publication in one of its languages, its history, and what the user may do."""
    user = cast(User, request.user)
    found = get_publication_for_user(user, publication_uuid)
    language = request.GET.get("lang") or get_language() or "es"
    if language not in LANGUAGES:
        return bad_request_page(request, _("Choose Spanish, English or Portuguese."))
    shown = found.language_for(language)
    tables = found.tables(shown)
    services.publication_read(actor=user, publication=found, what="staff page")
    pending = found.status == Publication.Status.PENDING
    return render(
        request,
        "insights/staff/publication.html",
        {
            "publication": found,
            "scope": scope_label(found),
            "tables": [chart_for(t) for t in tables],  # each chart next to its table (display.table_view)
            "sources": source_labels(tables),
            "shown_language": shown,
            "may_review": pending and may_review_publication(user, found),
            "prepared_it": found.prepared_by_id == user.pk,
            "verified": user.is_verified(),
            "may_withdraw": found.status in (Publication.Status.APPROVED, Publication.Status.PENDING)
            and may_withdraw_publication(user, found),
            "may_rebuild": may_withdraw_publication(user, found),
            "review_form": ReviewForm(),
            "withdraw_form": WithdrawForm(),
        },
    )


@staff_view(PUBLICATION_REVIEW_ROLES)
@require_POST
def publication_review(request: HttpRequest, publication_uuid: UUID) -> HttpResponse:
    user = cast(User, request.user)
    found = get_publication_for_user(user, publication_uuid, PUBLICATION_REVIEW_ROLES)
    form = ReviewForm(request.POST)
    if not form.is_valid():
        return bad_request_page(request, _("Choose whether you approve it or send it back."))
    approve = form.cleaned_data["decision"] == "approve"
    if approve and not user.is_verified():
        return bad_request_page(
            request, _("Approving makes figures public: sign in with your second factor to approve.")
        )
    if not may_review_publication(user, found):
        return bad_request_page(request, _("You prepared this publication: another person must review it."))
    try:
        services.publication_review(
            actor=user, publication=found, approve=approve, reason=form.cleaned_data.get("reason") or ""
        )
    except ValidationError as error:
        return bad_request_page(request, " ".join(error.messages))
    messages.success(request, _("Approved: the figures are public.") if approve else _("Sent back."))
    return redirect("publications:publication", publication_uuid=found.uuid)


@staff_view(PUBLICATION_PREPARE_ROLES)
@require_POST
def publication_withdraw(request: HttpRequest, publication_uuid: UUID) -> HttpResponse:
    user = cast(User, request.user)
    found = get_publication_for_user(user, publication_uuid, PUBLICATION_PREPARE_ROLES)
    form = WithdrawForm(request.POST)
    if not form.is_valid():
        return bad_request_page(request, _("Say why it is withdrawn."))
    try:
        services.publication_withdraw(actor=user, publication=found, reason=form.cleaned_data["reason"])
    except ValidationError as error:
        return bad_request_page(request, " ".join(error.messages))
    messages.success(request, _("Withdrawn: the public page says so and shows no figures."))
    return redirect("publications:publication", publication_uuid=found.uuid)
