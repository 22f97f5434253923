"""The ONE permission module (DESIGN.md rule 1).

Every staff view is declared with `staff_view(roles)`: anonymous users are sent to the login page, and a user
without one of the roles gets the same 404 as for a page that does not exist. Every object kind has ONE access
function here, `get_<kind>_for_user(user, id, ...)`, used by every view and API; "not found" and "not allowed"
answer the same 404. The role-matrix test reads `STAFF_RULES` to make sure no staff URL is left without a rule.

It sits above every domain app (it reads their models and selectors) and is imported only by entry points: views,
the admin (`access/admin.py` scopes every ModelAdmin), APIs and management commands. Models, services and selectors
never import it; a service that needs a permission fact takes it as an argument (`docs/architecture.md`, "Layers";
the import contracts in pyproject.toml keep it so).
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from functools import wraps
from typing import Any, TypeVar
from uuid import UUID

from django.contrib.auth.views import redirect_to_login
from django.db.models import Q, QuerySet
from django.http import Http404, HttpRequest, HttpResponse

from amparo.accounts.models import Invitation, Membership, Organization, User
from amparo.accounts.roles import CASE_ROLES, PLATFORM_ADMIN, REPORT_RECIPIENT_ROLES, Role
from amparo.cases.models import Case, CaseTransfer, LegalMatter, TraffickingAlert
from amparo.directory.models import FocalPoint, Place, Service
from amparo.directory.models import Organization as DirectoryOrganization
from amparo.directory.selectors import acting_focal_points
from amparo.insights.models import Publication, SituationReport
from amparo.networks.models import MonitoringPlan, Tie
from amparo.referrals.models import Referral
from amparo.safechannel.models import Report
from amparo.surveys.models import EnumeratorCredential
from amparo.surveys.models import Form as SurveyForm
from amparo.surveys.models import Submission as SurveySubmission

ANY_STAFF = frozenset({*Role.values, PLATFORM_ADMIN})
View = TypeVar("View", bound=Callable[..., HttpResponse])

# view function -> the roles that may open it (read by the role-matrix test)
STAFF_RULES: dict[Callable[..., HttpResponse], frozenset[str]] = {}


def user_roles(user: Any) -> set[str]:
    """The roles a user holds in any organisation, plus PLATFORM_ADMIN for superusers."""
    if not getattr(user, "is_authenticated", False) or not user.is_active:
        return set()
    roles = set(Membership.objects.filter(user=user, active=True).values_list("role", flat=True))
    if user.is_superuser:
        roles.add(PLATFORM_ADMIN)
    return roles


def staff_view(roles: Iterable[str]) -> Callable[[View], View]:
    allowed = frozenset(roles)
    unknown = allowed - ANY_STAFF
    if unknown:
        raise ValueError(f"unknown roles {unknown}")

    def decorate(view: View) -> View:
        @wraps(view)
        def wrapper(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
            if not request.user.is_authenticated:
                return redirect_to_login(request.get_full_path())
            if not allowed & user_roles(request.user):
                raise Http404
            return view(request, *args, **kwargs)

        STAFF_RULES[wrapper] = allowed
        return wrapper  # type: ignore[return-value]

    return decorate


def organizations_for_user(user: User, roles: Iterable[str]) -> QuerySet[Organization]:
    """Organisations in which the user holds one of the roles (all of them for a platform administrator)."""
    roles = set(roles)
    if PLATFORM_ADMIN in roles and user.is_superuser:
        return Organization.objects.all()
    return Organization.objects.filter(
        memberships__user=user, memberships__active=True, memberships__role__in=roles
    ).distinct()


def get_organization_for_user(user: User, organization_uuid: UUID | str, roles: Iterable[str]) -> Organization:
    organization = organizations_for_user(user, roles).filter(uuid=_uuid_or_404(organization_uuid)).first()
    if organization is None:
        raise Http404
    return organization


def get_invitation_for_user(user: User, invitation_id: int) -> Invitation:
    """An invitation, for a coordinator of its organisation (or a platform administrator)."""
    organizations = organizations_for_user(user, {Role.COORDINATOR, PLATFORM_ADMIN})
    invitation = Invitation.objects.filter(pk=invitation_id, organization__in=organizations).first()
    if invitation is None:
        raise Http404
    return invitation


def get_membership_for_user(user: User, membership_id: int) -> Membership:
    """A membership of an organisation the user coordinates (or any, for a platform administrator); 404 else."""
    organizations = organizations_for_user(user, {Role.COORDINATOR, PLATFORM_ADMIN})
    found = (
        Membership.objects.select_related("user", "organization")
        .filter(pk=membership_id, organization__in=organizations)
        .first()
    )
    if found is None:
        raise Http404
    return found


def is_coordinator(user: Any) -> bool:
    return bool(user_roles(user) & {Role.COORDINATOR, PLATFORM_ADMIN})


def _uuid_or_404(value: UUID | str) -> UUID:
    try:
        return value if isinstance(value, UUID) else UUID(str(value))
    except ValueError as exc:
        raise Http404 from exc


# --- Directory: focal points and service verification ----------------------------------------------------------


def services_for_verification(user: Any) -> QuerySet[Service]:
    """The services a user may verify (confirm their facts).

    - platform administrators: every service;
    - a focal point: the services their own focal-point record(s) cover (see `acting_focal_points`);
    - a coordinator: the services of the directory entry linked to their member organisation, and the services
      covered by the active focal points their organisation manages.
    """
    roles = user_roles(user)
    if PLATFORM_ADMIN in roles:
        return Service.objects.all()
    covered = FocalPoint.services.through.objects
    allowed = Q(pk__in=[])
    if Role.FOCAL_POINT in roles:
        own = acting_focal_points().filter(user=user)
        allowed |= Q(pk__in=covered.filter(focalpoint__in=own).values("service_id"))
    if Role.COORDINATOR in roles:
        organizations = organizations_for_user(user, {Role.COORDINATOR})
        linked = organizations.filter(directory_organization__isnull=False).values("directory_organization")
        allowed |= Q(organization__in=linked)
        managed = FocalPoint.objects.granted().filter(active=True, managed_by__in=organizations)
        allowed |= Q(pk__in=covered.filter(focalpoint__in=managed).values("service_id"))
    return Service.objects.filter(allowed)


def get_service_for_verification(user: Any, service_uuid: UUID | str) -> Service:
    """A service the user may verify; 404 for anyone else (and for a service that does not exist)."""
    service = (
        services_for_verification(user).select_related("organization").filter(uuid=_uuid_or_404(service_uuid)).first()
    )
    if service is None:
        raise Http404
    return service


def verification_organization(user: Any, service: Service) -> Organization | None:
    """The member organisation on whose behalf the user verifies the service (recorded in the audit log):
    the one managing their focal-point record for it, else the coordinator's organisation that gives access."""
    own = acting_focal_points().filter(user=user, services=service).select_related("managed_by").first()
    if own is not None:
        return own.managed_by
    return (
        organizations_for_user(user, {Role.COORDINATOR})
        .filter(
            Q(directory_organization=service.organization_id)
            | Q(focal_points__active=True, focal_points__services=service)
        )
        .order_by("pk")
        .first()
    )


# --- Directory administration: the admin and every write to the directory ------------------------------------------


def coordinated_organizations(user: Any) -> QuerySet[Organization]:
    """Member organisations the user administers: those where she is a coordinator (all for platform admins)."""
    return organizations_for_user(user, {Role.COORDINATOR, PLATFORM_ADMIN})


def directory_entities_for_user(user: Any) -> QuerySet[DirectoryOrganization]:
    """Directory entries a user may edit (with their locations and services): every entry for a platform
    administrator; for a coordinator, the entry linked to her member organisation and the entries it keeps up to
    date (`managed_by`). Nobody else edits the directory."""
    roles = user_roles(user)
    if PLATFORM_ADMIN in roles:
        return DirectoryOrganization.objects.all()
    if Role.COORDINATOR not in roles:
        return DirectoryOrganization.objects.none()
    organizations = organizations_for_user(user, {Role.COORDINATOR})
    linked = organizations.filter(directory_organization__isnull=False).values("directory_organization")
    return DirectoryOrganization.objects.filter(Q(managed_by__in=organizations) | Q(pk__in=linked))


def own_entities_for_user(user: Any) -> QuerySet[DirectoryOrganization]:
    """Entities whose own coordinator the user is (her member organisation IS that entity): she approves the focal
    points other organisations register there. Platform administrators approve for every entity."""
    roles = user_roles(user)
    if PLATFORM_ADMIN in roles:
        return DirectoryOrganization.objects.all()
    linked = organizations_for_user(user, {Role.COORDINATOR}).filter(directory_organization__isnull=False)
    return DirectoryOrganization.objects.filter(pk__in=linked.values("directory_organization"))


def focal_points_for_admin(user: Any) -> QuerySet[FocalPoint]:
    """Focal points a coordinator registers and edits: those her organisation manages (all for platform admins)."""
    if PLATFORM_ADMIN in user_roles(user):
        return FocalPoint.objects.all()
    return FocalPoint.objects.filter(managed_by__in=organizations_for_user(user, {Role.COORDINATOR}))


def focal_point_requests_for_user(user: Any) -> QuerySet[FocalPoint]:
    """Focal points waiting for the user's approval: registered at an entity she coordinates by another
    organisation (`own_entities_for_user`)."""
    return FocalPoint.objects.filter(grant=FocalPoint.Grant.PENDING, entity__in=own_entities_for_user(user))


def get_focal_point_request_for_user(user: Any, focal_point_uuid: UUID | str) -> FocalPoint:
    found = (
        focal_point_requests_for_user(user)
        .select_related("entity", "managed_by", "user")
        .filter(uuid=_uuid_or_404(focal_point_uuid))
        .first()
    )
    if found is None:
        raise Http404
    return found


def grants_itself(user: Any, focal_point: FocalPoint) -> bool:
    """Whether registering this focal point needs no one else's approval: the user is a platform administrator,
    or a coordinator of the entity's own member organisation."""
    return own_entities_for_user(user).filter(pk=focal_point.entity_id).exists()


# --- Safe channel: reports -------------------------------------------------------------------------------------


def reports_for_user(user: Any) -> QuerySet[Report]:
    """Reports of the organisations in which the user is a recipient. Platform administrators get none: they run
    the platform, they do not accompany survivors (need to know)."""
    return Report.objects.filter(organization__in=organizations_for_user(user, REPORT_RECIPIENT_ROLES))


def get_report_for_user(user: Any, report_uuid: UUID | str) -> Report:
    report = reports_for_user(user).select_related("organization", "place").filter(uuid=_uuid_or_404(report_uuid))
    found = report.first()
    if found is None:
        raise Http404
    return found


# --- Cases (DESIGN.md rule 1: need to know) ----------------------------------------------------------------------


def cases_for_user(user: Any) -> QuerySet[Case]:
    """Cases a user may see: those assigned to them, those they supervise, and, for a coordinator, every case of
    their organisation. Platform administrators, focal points, monitors and analysts see none."""
    if not getattr(user, "is_authenticated", False) or not user.is_active:
        return Case.objects.none()
    # Ids resolved first and no join: the (organization, status, opened_at) index then serves a coordinator's list
    # pages, and a caseworker's cases come from the assignment index (an OR over sub-selects scans every case).
    coordinated = set(organizations_for_user(user, {Role.COORDINATOR}).values_list("pk", flat=True))
    member_of = set(
        Membership.objects.filter(user=user, active=True, role__in=CASE_ROLES).values_list("organization", flat=True)
    )
    visible = Q(organization_id__in=sorted(coordinated)) if coordinated else Q(pk__in=[])
    others = sorted(member_of - coordinated)
    if others:
        # Her own caseload (assigned or supervised) as ids: bounded by what one person can carry, and looked up by
        # primary key, where an OR of sub-selects makes the database scan every case of the organisation.
        assigned = Case.caseworkers.through.objects.filter(user=user, case__organization_id__in=others)
        supervised = Case.objects.filter(supervisor=user, organization_id__in=others)
        own = {*assigned.values_list("case_id", flat=True), *supervised.values_list("pk", flat=True)}
        visible |= Q(pk__in=sorted(own))
    return Case.objects.filter(visible)


def coordinates_case(user: Any, case: Case) -> bool:
    """A coordinator of the case's organisation: chooses who accompanies her, and may approve its closure."""
    return organizations_for_user(user, {Role.COORDINATOR}).filter(pk=case.organization_id).exists()


def get_case_for_user(user: Any, case_uuid: UUID | str) -> Case:
    case = cases_for_user(user).select_related("organization", "place").filter(uuid=_uuid_or_404(case_uuid)).first()
    if case is None:
        raise Http404
    return case


# --- Referrals (DESIGN.md rules 1 and 2: the sender's side sees its cases' referrals, the receiving focal point
# only the referrals addressed to them by name, or to a service they cover when no person is named) ---------------


def referrals_for_sender(user: Any) -> QuerySet[Referral]:
    """Referrals of the cases the user may see (`cases_for_user`), and of the safe-channel reports they receive
    (`reports_for_user`)."""
    return Referral.objects.filter(
        Q(case__in=cases_for_user(user).values("pk")) | Q(report__in=reports_for_user(user).values("pk"))
    )


def referrals_for_focal_point(user: Any) -> QuerySet[Referral]:
    """Referrals addressed by name to one of the user's acting focal-point records, and referrals addressed to a
    service such a record covers with no person named (`focal_point` null). A referral naming a focal point is seen
    by that focal point only, never by the others covering the same service. Deactivating the focal point or its
    focal_point membership takes them away at once (`acting_focal_points`)."""
    if not getattr(user, "is_authenticated", False) or not user.is_active:
        return Referral.objects.none()
    own = acting_focal_points().filter(user=user).values("pk")
    covered = FocalPoint.services.through.objects.filter(focalpoint__in=own).values("service_id")
    return Referral.objects.filter(Q(focal_point__in=own) | Q(focal_point__isnull=True, service__in=covered))


def referral_sides(user: Any, referral: Referral) -> tuple[bool, bool]:
    """(sender, receiver): on which side(s) of this referral the user stands."""
    sender = referrals_for_sender(user).filter(pk=referral.pk).exists()
    receiver = referrals_for_focal_point(user).filter(pk=referral.pk).exists()
    return sender, receiver


def get_referral_for_user(user: Any, referral_uuid: UUID | str) -> Referral:
    """A referral for its sender's side or its receiving focal point; 404 for anyone else."""
    uuid = _uuid_or_404(referral_uuid)
    for queryset in (referrals_for_sender(user), referrals_for_focal_point(user)):
        found = (
            queryset.select_related(
                "case__organization", "case__place", "report__organization", "service__organization", "focal_point"
            )
            .filter(uuid=uuid)
            .first()
        )
        if found is not None:
            return found
    raise Http404


# --- Legal aid and Ombudsman monitoring (cases app) ----------------------------------------------------------------


def get_legal_matter_for_user(user: Any, matter_uuid: UUID | str) -> LegalMatter:
    """A legal matter of a case the user may see (`cases_for_user`: assigned caseworkers and lawyers, the
    supervisor, coordinators of the case's organisation); 404 for anyone else and for a matter that does not exist."""
    matter = (
        LegalMatter.objects.filter(case__in=cases_for_user(user).values("pk"), uuid=_uuid_or_404(matter_uuid))
        .select_related("case__organization", "case__place__parent", "lawyer", "entity")
        .first()
    )
    if matter is None:
        raise Http404
    return matter


def get_incoming_transfer_for_user(user: Any, transfer_uuid: UUID | str, *, pending: bool = True) -> CaseTransfer:
    """A pending transfer of a case to an organisation the user coordinates (she answers it); 404 for anyone else.
    With `pending=False`, also one already answered (to show her what the answer made). The sending side sees its
    own case through `get_case_for_user`."""
    found = (
        CaseTransfer.objects.filter(
            uuid=_uuid_or_404(transfer_uuid),
            to_organization__in=organizations_for_user(user, {Role.COORDINATOR}),
        )
        .filter(**({"status": CaseTransfer.Status.PENDING} if pending else {}))
        .select_related("case__organization", "from_organization", "to_organization", "new_case")
        .first()
    )
    if found is None:
        raise Http404
    return found


def monitored_places(user: Any) -> QuerySet[Place]:
    """The places within the areas of the organisations where the user is an active monitor. An area may be a
    country, a department or a municipality: its descendants (down to municipalities) are included."""
    if not getattr(user, "is_authenticated", False) or not user.is_active:
        return Place.objects.none()
    areas = Place.objects.filter(
        member_organizations__memberships__user=user,
        member_organizations__memberships__active=True,
        member_organizations__memberships__role=Role.MONITOR,
    ).values("pk")
    return Place.objects.filter(Q(pk__in=areas) | Q(parent__in=areas) | Q(parent__parent__in=areas))


def alerts_for_monitor(user: Any) -> QuerySet[TraffickingAlert]:
    """Trafficking alerts raised in the monitor's areas (DESIGN.md rule 1: monitors see alerts and trends, never
    cases; an alert carries no identity, and a case code only when the survivor consented to it)."""
    places = monitored_places(user).values("pk")
    return TraffickingAlert.objects.filter(place__in=places).select_related("place__parent")


# --- Surveys: forms and enumerators' phones (issue 14) -------------------------------------------------------------


def survey_forms_for_user(user: Any, roles: Iterable[str]) -> QuerySet[SurveyForm]:
    """Survey forms of the organisations in which the user holds one of the roles."""
    if not getattr(user, "is_authenticated", False) or not user.is_active:
        return SurveyForm.objects.none()
    return SurveyForm.objects.filter(organization__in=organizations_for_user(user, roles))


def get_survey_form_for_user(user: Any, form_uuid: UUID | str, roles: Iterable[str]) -> SurveyForm:
    """A survey form of an organisation where the user holds one of the roles; 404 for anyone else."""
    form = (
        survey_forms_for_user(user, roles).select_related("organization").filter(uuid=_uuid_or_404(form_uuid)).first()
    )
    if form is None:
        raise Http404
    return form


def get_enumerator_credential_for_user(user: Any, credential_uuid: UUID | str) -> EnumeratorCredential:
    """A phone's credential, for a coordinator of its organisation; 404 for anyone else."""
    found = (
        EnumeratorCredential.objects.select_related("organization", "user")
        .filter(
            uuid=_uuid_or_404(credential_uuid),
            organization__in=organizations_for_user(user, {Role.COORDINATOR}),
        )
        .first()
    )
    if found is None:
        raise Http404
    return found


# --- Surveys: the web entry and the referral offer (issue 14) ------------------------------------------------------

SURVEY_ENTRY_ROLES = frozenset({Role.ENUMERATOR, Role.COORDINATOR})
SURVEY_OFFER_ROLES = frozenset({Role.ENUMERATOR, Role.COORDINATOR})
# The printable card holds no interview: any staff who interview or accompany may print it.
SURVEY_CARD_ROLES = frozenset({Role.ENUMERATOR, Role.COORDINATOR, Role.CASEWORKER, Role.LEGAL_ADVISOR})


def survey_forms_for_entry(user: Any) -> QuerySet[SurveyForm]:
    """The forms a user may fill on the web entry: those of the organisations she coordinates, and those she is
    assigned to as an enumerator of their organisation."""
    if not getattr(user, "is_authenticated", False) or not user.is_active:
        return SurveyForm.objects.none()
    coordinated = organizations_for_user(user, {Role.COORDINATOR})
    enumerated = organizations_for_user(user, {Role.ENUMERATOR})
    return (
        SurveyForm.objects.filter(Q(organization__in=coordinated) | Q(organization__in=enumerated, enumerators=user))
        .distinct()
        .order_by("title", "pk")
    )


def get_survey_form_for_entry(user: Any, form_uuid: UUID | str) -> SurveyForm:
    """One form she may fill on the web entry; any other (another organisation's, or not assigned to her) is the
    same 404 as a form that does not exist."""
    found = survey_forms_for_entry(user).filter(uuid=_uuid_or_404(form_uuid)).first()
    if found is None:
        raise Http404
    return found


def survey_submissions_for_offer(user: Any) -> QuerySet[SurveySubmission]:
    """The interviews whose referral offer she may see: her own as an enumerator of their organisation, and every
    readable one (not awaiting decryption) of an organisation she coordinates."""
    if not getattr(user, "is_authenticated", False) or not user.is_active:
        return SurveySubmission.objects.none()
    coordinated = organizations_for_user(user, {Role.COORDINATOR})
    enumerated = organizations_for_user(user, {Role.ENUMERATOR})
    return SurveySubmission.objects.filter(
        Q(organization__in=coordinated) | Q(organization__in=enumerated, enumerator=user), encrypted=False
    )


def get_survey_submission_for_offer(user: Any, submission_uuid: UUID | str) -> SurveySubmission:
    """One interview whose offer she may see; anything else is the same 404 as an interview that does not exist."""
    found = (
        survey_submissions_for_offer(user)
        .filter(uuid=_uuid_or_404(submission_uuid))
        .select_related("form", "organization")
        .first()
    )
    if found is None:
        raise Http404
    return found


def opens_cases_for(user: Any, organization: Organization) -> bool:
    """Whether she holds a case role in the organisation (the offer then links her to the case intake)."""
    return organizations_for_user(user, CASE_ROLES).filter(pk=organization.pk).exists()


# --- Protection networks (issue 15): ties ------------------------------------------------------------------------


def ties_for_editing(user: Any) -> QuerySet[Tie]:
    """Ties a user may change or end: those her member organisation recorded, if she coordinates it; every tie for
    a platform administrator. (Reading a network is open to its readers: the ties are shared knowledge.)"""
    if PLATFORM_ADMIN in user_roles(user):
        return Tie.objects.all()
    return Tie.objects.filter(recorded_for__in=organizations_for_user(user, {Role.COORDINATOR}))


def get_tie_for_editing(user: Any, tie_uuid: UUID | str) -> Tie:
    found = ties_for_editing(user).select_related("place").filter(uuid=_uuid_or_404(tie_uuid)).first()
    if found is None:
        raise Http404
    return found


def recording_organization(user: Any) -> Organization | None:
    """The member organisation on whose behalf a user records a tie: the first she coordinates (None: a platform
    administrator who coordinates none)."""
    return organizations_for_user(user, {Role.COORDINATOR}).order_by("name", "pk").first()


# --- Protection networks: monitoring plans (issue 15) ---------------------------------------------------------------

# Coordinators of member organisations and platform admins edit; analysts and monitors read.
NETWORK_EDIT_ROLES = frozenset({Role.COORDINATOR, PLATFORM_ADMIN})
NETWORK_READ_ROLES = frozenset({Role.COORDINATOR, Role.ANALYST, Role.MONITOR, PLATFORM_ADMIN})


def monitoring_plans_for_user(user: Any, *, edit: bool = False) -> QuerySet[MonitoringPlan]:
    """The monitoring plans held by the organisations where the user reads (or, with edit, edits) networks; a
    monitor also reads the plans of the places in her organisation's areas (the Ombudsman follows every network)."""
    roles = NETWORK_EDIT_ROLES if edit else NETWORK_READ_ROLES
    held = Q(organization__in=organizations_for_user(user, roles))
    if not edit:
        held |= Q(place__in=monitored_places(user).values("pk"))
    return MonitoringPlan.objects.filter(held).select_related("place__parent", "organization")


def get_monitoring_plan_for_user(user: Any, plan_uuid: UUID | str, *, edit: bool = False) -> MonitoringPlan:
    found = monitoring_plans_for_user(user, edit=edit).filter(uuid=_uuid_or_404(plan_uuid)).first()
    if found is None:
        raise Http404
    return found


# --- Insights: publications of figures (issue 16, four eyes) ------------------------------------------------------

# Coordinators prepare and withdraw their organisation's publications. The second person who reviews one is another
# member of the same organisation who works with aggregates: a coordinator, an analyst or a monitor (analysts and
# monitors see aggregates only, DESIGN.md rule 1, and a publication is nothing else), never the person who
# prepared it (`may_review_publication`; the service and a database constraint enforce it too). Approving also needs
# a session verified with a second factor (the view checks it): an analyst without one may read and send back, not
# publish. Platform administrators run the platform and publish nothing.
PUBLICATION_PREPARE_ROLES = frozenset({Role.COORDINATOR})
PUBLICATION_READ_ROLES = frozenset({Role.COORDINATOR, Role.ANALYST, Role.MONITOR})
PUBLICATION_REVIEW_ROLES = PUBLICATION_READ_ROLES


def publications_for_user(user: Any, roles: Iterable[str] = PUBLICATION_READ_ROLES) -> QuerySet[Publication]:
    """The publications of the organisations where the user holds one of the roles."""
    return Publication.objects.filter(organization__in=organizations_for_user(user, roles)).select_related(
        "organization", "prepared_by", "reviewed_by"
    )


def get_publication_for_user(
    user: Any, publication_uuid: UUID | str, roles: Iterable[str] = PUBLICATION_READ_ROLES
) -> Publication:
    found = publications_for_user(user, roles).filter(uuid=_uuid_or_404(publication_uuid)).first()
    if found is None:
        raise Http404
    return found


# --- Insights: situation reports (issue 16) -------------------------------------------------------------------------

# Coordinators ask for reports of their organisation, of a country or of the region; analysts for their organisation
# only; both read their organisation's reports. Platform administrators read every report (also those the scheduler
# built for no organisation).
REPORT_ROLES = frozenset({Role.COORDINATOR, Role.ANALYST, PLATFORM_ADMIN})
WIDE_REPORT_ROLES = frozenset({Role.COORDINATOR, PLATFORM_ADMIN})


def situation_reports_for_user(user: Any) -> QuerySet[SituationReport]:
    if PLATFORM_ADMIN in user_roles(user):
        return SituationReport.objects.all()
    return SituationReport.objects.filter(
        organization__in=organizations_for_user(user, {Role.COORDINATOR, Role.ANALYST})
    )


def get_situation_report_for_user(user: Any, report_uuid: UUID | str) -> SituationReport:
    found = (
        situation_reports_for_user(user)
        .select_related("organization", "scope_organization")
        .filter(uuid=_uuid_or_404(report_uuid))
        .first()
    )
    if found is None:
        raise Http404
    return found


def publishing_organizations(user: Any) -> QuerySet[Organization]:
    """The organisations on whose behalf the user prepares publications (those she coordinates)."""
    return organizations_for_user(user, PUBLICATION_PREPARE_ROLES).order_by("name", "pk")


def may_review_publication(user: Any, publication: Publication) -> bool:
    """A second person: a reviewer of the publication's organisation who did not prepare it."""
    if publication.prepared_by_id == getattr(user, "pk", None):
        return False
    return organizations_for_user(user, PUBLICATION_REVIEW_ROLES).filter(pk=publication.organization_id).exists()


def may_withdraw_publication(user: Any, publication: Publication) -> bool:
    return publishing_organizations(user).filter(pk=publication.organization_id).exists()


def report_request_organizations(user: Any) -> tuple[QuerySet[Organization], QuerySet[Organization]]:
    """The organisations on whose behalf the user may ask for a report: (any report: her own organisation's;
    also of a country or the region)."""
    return organizations_for_user(user, REPORT_ROLES), organizations_for_user(user, WIDE_REPORT_ROLES)
