"""The staff's day (/staff/): the home page with each role's work, the notifications page, e-mail preferences, the
language switch of staff pages, and the menu every staff page shows (`staff_menu`, a context processor: it lives
here because only entry points may ask the permission module who she is).

Thin views: authorise with amparo.access, parse with forms, call services and selectors, render.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import cast

from django.contrib import messages
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.functional import Promise
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_http_methods, require_POST
from django.views.i18n import set_language as django_set_language

from amparo.access import (
    ANY_STAFF,
    alerts_for_monitor,
    cases_for_user,
    focal_point_requests_for_user,
    organizations_for_user,
    referrals_for_focal_point,
    referrals_for_sender,
    reports_for_user,
    staff_view,
    user_roles,
)
from amparo.accounts.models import Membership, User
from amparo.accounts.roles import CASE_ROLES, PLATFORM_ADMIN, REPORT_RECIPIENT_ROLES, Role
from amparo.core.responses import bad_request_page

from . import selectors, services
from .forms import MarkReadForm, PreferenceForm
from .mail import preference_for


def _scope(user: User, roles: set[str]) -> selectors.Scope:
    cases = cases_for_user(user) if roles & CASE_ROLES else None
    coordinated = None
    queues: tuple[str, ...] = ()
    if Role.COORDINATOR in roles:
        organizations = organizations_for_user(user, {Role.COORDINATOR})
        coordinated = cases_for_user(user).filter(organization__in=organizations.values("pk"))
        queues = tuple(str(uuid) for uuid in organizations.values_list("uuid", flat=True))
    return selectors.Scope(
        cases=cases,
        coordinated_cases=coordinated,
        referrals_sent=referrals_for_sender(user) if roles & CASE_ROLES else None,
        referrals_received=referrals_for_focal_point(user) if Role.FOCAL_POINT in roles else None,
        reports=reports_for_user(user) if roles & REPORT_RECIPIENT_ROLES else None,
        alerts=alerts_for_monitor(user) if Role.MONITOR in roles else None,
        coordinated_organizations=queues,
    )


@staff_view(ANY_STAFF)
@require_http_methods(["GET"])
def home(request: HttpRequest) -> HttpResponse:
    """Her work with counts, most urgent first, and links to each page. Counts only: no case data, nothing to
    audit (the pages behind the links audit what they show)."""
    user = cast(User, request.user)
    roles = user_roles(user)
    memberships = Membership.objects.filter(user=user, active=True).select_related("organization")
    now = timezone.now()
    work = selectors.work_summary(_scope(user, roles), today=timezone.localdate(now), now=now)
    requests = focal_point_requests_for_user(user).count() if roles & {Role.COORDINATOR, PLATFORM_ADMIN} else 0
    return render(
        request,
        "today/home.html",
        {
            "memberships": memberships,
            "roles": roles,
            "work": work,
            "unread": services.unread_count(user),
            "focal_point_requests": requests,
            "survey_roles": bool(roles & {Role.ANALYST, Role.ENUMERATOR}),
        },
    )


@staff_view(ANY_STAFF)
@require_http_methods(["GET"])
def notifications(request: HttpRequest) -> HttpResponse:
    user = cast(User, request.user)
    return render(
        request,
        "today/notifications.html",
        {"notifications": selectors.notifications_for(user), "unread": services.unread_count(user)},
    )


@staff_view(ANY_STAFF)
@require_POST
def notifications_read(request: HttpRequest) -> HttpResponse:
    """Mark one of her notifications read and follow its link, or mark them all read."""
    user = cast(User, request.user)
    form = MarkReadForm(request.POST)
    if not form.is_valid():
        return bad_request_page(request, _("This notice does not exist."))
    notification_id = form.cleaned_data["notification"]
    if notification_id is None:
        services.notifications_mark_read(user=user)
        messages.info(request, _("All your notices are marked read."))
        return redirect("today:notifications")
    notification = selectors.unread_notifications(user).filter(pk=notification_id).first()
    if notification is None:  # not hers, or already read: back to the list
        return redirect("today:notifications")
    services.notifications_mark_read(user=user, ids=[notification.pk])
    return redirect(notification.path)


@staff_view(ANY_STAFF)
@require_http_methods(["GET", "POST"])
def preferences(request: HttpRequest) -> HttpResponse:
    user = cast(User, request.user)
    preference = preference_for(user)
    form = PreferenceForm(request.POST or None, initial={"email_frequency": preference.email_frequency})
    if request.method == "POST":
        if form.is_valid():
            services.preference_set(user=user, email_frequency=form.cleaned_data["email_frequency"])
            messages.info(request, _("Your choice is saved."))
            return redirect("today:preferences")
        return render(request, "today/preferences.html", {"form": form}, status=400)
    return render(request, "today/preferences.html", {"form": form})


@require_POST
def set_language(request: HttpRequest) -> HttpResponse:
    """Django's `set_language` view, under /staff/ (public pages choose the language by their URL and keep no
    cookie). Open to every staff page, the sign-in page included; for a signed-in member who passed the second
    factor (or needs none), the language is also kept for her e-mails."""
    response = django_set_language(request)
    user = request.user
    language = request.POST.get("language", "")
    if (
        response.status_code == 302
        and user.is_authenticated
        and (user.is_verified() or not cast(User, user).requires_2fa)
    ):
        services.language_remember(user=cast(User, user), language=language)
    return response


# --- The menu of every staff page ----------------------------------------------------------------------------------


@dataclass(frozen=True)
class MenuLink:
    label: Promise
    url: str
    badge: int = 0
    current: bool = False


MENU: list[tuple[Promise, str, frozenset[str]]] = [
    (gettext_lazy("Cases"), "cases:list", CASE_ROLES),
    (gettext_lazy("Follow-ups"), "cases:follow_ups", CASE_ROLES),
    (gettext_lazy("Legal dates"), "legal:upcoming", CASE_ROLES),
    (gettext_lazy("Safe channel"), "safechannel_staff:inbox", REPORT_RECIPIENT_ROLES),
    (gettext_lazy("Referral inbox"), "referrals:inbox", frozenset({Role.FOCAL_POINT})),
    (gettext_lazy("Alerts"), "monitoring:alerts", frozenset({Role.MONITOR})),
    (
        gettext_lazy("Services to verify"),
        "directory_staff:verify_list",
        frozenset({Role.FOCAL_POINT, Role.COORDINATOR, PLATFORM_ADMIN}),
    ),
    (gettext_lazy("Surveys"), "surveys:analysis_forms", frozenset({Role.ANALYST, Role.COORDINATOR})),
    (gettext_lazy("Interviews"), "surveys:entry_list", frozenset({Role.ENUMERATOR, Role.COORDINATOR})),
    (
        gettext_lazy("Networks"),
        "networks:network",
        frozenset({Role.COORDINATOR, Role.ANALYST, Role.MONITOR, PLATFORM_ADMIN}),
    ),
    (
        gettext_lazy("Statistics"),
        "insights:dashboard",
        frozenset({Role.ANALYST, Role.COORDINATOR, Role.MONITOR, PLATFORM_ADMIN}),
    ),
    (
        gettext_lazy("Publications"),
        "publications:publications",
        frozenset({Role.COORDINATOR, Role.ANALYST, Role.MONITOR}),
    ),
    (
        gettext_lazy("Situation reports"),
        "insights_reports:list",
        frozenset({Role.COORDINATOR, Role.ANALYST, PLATFORM_ADMIN}),
    ),
    (
        gettext_lazy("Campaigns"),
        "campaigns:list",
        frozenset(
            {Role.COORDINATOR, Role.CASEWORKER, Role.LEGAL_ADVISOR, Role.ENUMERATOR, Role.ANALYST, PLATFORM_ADMIN}
        ),
    ),
    (
        gettext_lazy("What people say of services"),
        "feedback:services",
        frozenset({Role.COORDINATOR, Role.ANALYST, Role.FOCAL_POINT, PLATFORM_ADMIN}),
    ),
    (gettext_lazy("Bulletin"), "bulletin:list", frozenset({*Role.values, PLATFORM_ADMIN})),
    (gettext_lazy("Scheduled work"), "operations:runs", frozenset({Role.COORDINATOR, PLATFORM_ADMIN})),
    (gettext_lazy("Administration"), "admin:index", frozenset({Role.COORDINATOR, PLATFORM_ADMIN})),
]


def staff_menu(request: HttpRequest) -> dict[str, object]:
    """Context processor: the menu and the unread badge on staff pages, for a member past the second factor."""
    user = getattr(request, "user", None)
    if getattr(request, "is_public_page", True) or user is None or not user.is_authenticated:
        return {}
    if not (user.is_verified() or not user.requires_2fa):
        return {}
    roles = user_roles(user)
    if not roles:
        return {}
    unread = services.unread_count(user)
    links = [MenuLink(gettext_lazy("Home"), reverse("today:home"))]
    links.append(MenuLink(gettext_lazy("Notifications"), reverse("today:notifications"), badge=unread))
    links += [MenuLink(label, reverse(name)) for label, name, allowed in MENU if roles & allowed]
    # The current page: the longest menu address it starts with (Home only on itself).
    matching = [
        link.url
        for link in links
        if request.path == link.url or (link != links[0] and request.path.startswith(link.url))
    ]
    current = max(matching, key=len, default="")
    links = [MenuLink(link.label, link.url, link.badge, link.url == current) for link in links]
    return {"staff_menu": links, "unread_notifications": unread}
