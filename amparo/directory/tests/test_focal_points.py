"""Focal points: public display (only what they agreed to publish), coverage gaps, service verification and the
stale-service reminders. Through the Django test client on the real database (SQLite or PostgreSQL)."""

from __future__ import annotations

import uuid
from datetime import date, timedelta
from io import StringIO
from typing import Any

import pytest
from django.conf import settings
from django.core.management import call_command
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.utils import timezone, translation

from amparo.accounts.models import Membership, User
from amparo.accounts.models import Organization as MemberOrganization
from amparo.accounts.roles import Role
from amparo.audit.models import AuditEntry
from amparo.directory.admin import FocalPointForm
from amparo.directory.demo import places_load
from amparo.directory.models import (
    FocalPoint,
    Location,
    Organization,
    Place,
    Sensitisation,
    Service,
    ServiceAtLocation,
    ServiceType,
)
from amparo.directory.selectors import CoverageReport, coverage_gaps
from amparo.directory.services import ensure_service_types, services_reindex
from amparo.directory.taxonomy import INCLUSION_FACT_CODES
from amparo.pathways.models import Pathway
from amparo.pathways.selectors import pathway_by_slug, resolve_pathway

pytestmark = pytest.mark.django_db

PATHWAY = "/es/routes/sexual-violence-72h/?place=CO54001"
PUBLISHED_PHONE = "+57 000 111 2222"
SECRET_PHONE = "+57 000 999 8888"
SECRET_WHATSAPP = "+57 000 777 6666"
SECRET_EMAIL = "no.publicar@example.org"
SECRET_NAME = "Nombre Reservado Ficticio"


@pytest.fixture
def world(db) -> None:
    """Places, service types and the shipped pathways; services are made by each test."""
    ensure_service_types()
    places_load()
    call_command("load_pathways", verbosity=0)


def today() -> date:
    return timezone.localdate()


def make_entity(name: str, kind: str = "health") -> Organization:
    return Organization.objects.create(name=name, kind=kind)


def make_service(
    entity: Organization,
    pcode: str = "CO54001",
    *,
    types: tuple[str, ...] = ("post-rape-care", "hiv"),
    verified_days_ago: int | None = 200,
    status: str = "active",
    name: str = "",
) -> Service:
    place = Place.objects.get(pcode=pcode)
    location = Location.objects.create(
        organization=entity,
        name=f"{entity.name} {place.name}",
        place=place,
        latitude=place.latitude,
        longitude=place.longitude,
        address="Calle 1 # 2-3",
    )
    verified = today() - timedelta(days=verified_days_ago) if verified_days_ago is not None else None
    service = Service.objects.create(
        organization=entity,
        name=name or f"Urgencias {entity.name} {place.name}",
        status=status,
        last_verified_on=verified,
        facts_verified_on={code: verified.isoformat() for code in INCLUSION_FACT_CODES} if verified else {},
        free_of_charge=True,
    )
    service.types.set(list(ServiceType.objects.filter(code__in=types)))
    ServiceAtLocation.objects.create(service=service, location=location, open_24h=True)
    services_reindex([service.pk])
    return service


def make_focal_point(
    *services: Service,
    name: str = "Luz Ejemplo (prueba)",
    trained_days_ago: int = 30,
    valid_days: int = 730,
    active: bool = True,
    user: User | None = None,
    managed_by: MemberOrganization | None = None,
    **fields: object,
) -> FocalPoint:
    defaults: dict[str, object] = {
        "publish_name": True,
        "job_title": "Trabajadora social de urgencias",
        "availability": "Lunes a viernes, 7:00–15:00",
        "languages": ["es", "en"],
        "grant": FocalPoint.Grant.APPROVED,
    }
    focal_point = FocalPoint.objects.create(
        entity=services[0].organization,
        display_name=name,
        active=active,
        user=user,
        managed_by=managed_by,
        **(defaults | fields),
    )
    focal_point.services.set(services)
    trained = today() - timedelta(days=trained_days_ago)
    Sensitisation.objects.create(
        focal_point=focal_point,
        trained_on=trained,
        expires_on=trained + timedelta(days=valid_days),
        topics=["survivor-centred-gbv", "trans-affirming", "sex-work-without-stigma"],
        trainer_name="Equipo de formación (prueba)",
        trainer_organization="Red de prueba",
    )
    return focal_point


def make_user(email: str, role: str | None, organization: MemberOrganization | None, **fields: object) -> User:
    user = User.objects.create_user(username=email, email=email, password="x-unused-x", **fields)
    if role is not None and organization is not None:
        Membership.objects.create(user=user, organization=organization, role=role)
    return user


def member_org(name: str, directory_entry: Organization | None = None) -> MemberOrganization:
    return MemberOrganization.objects.create(name=name, directory_organization=directory_entry)


def fallback_name() -> str:
    with translation.override("es"):
        return translation.gettext("a sensitised focal point")


# --- Public display ------------------------------------------------------------------------------------------


def test_focal_points_on_resolved_pathway_show_only_published_contacts(world, public_client: Client) -> None:
    hospital = make_entity("E.S.E. Hospital Prueba")
    service = make_service(hospital)
    make_focal_point(
        service,
        phone=PUBLISHED_PHONE,
        phone_public=True,
        whatsapp=SECRET_WHATSAPP,
        whatsapp_public=False,
        email=SECRET_EMAIL,
        email_public=False,
    )
    make_focal_point(
        service,
        name=SECRET_NAME,
        publish_name=False,
        job_title="Médica de urgencias",
        phone=SECRET_PHONE,
        phone_public=False,
    )

    response = public_client.get(PATHWAY)
    assert response.status_code == 200
    html = response.content.decode()
    assert service.name in html
    assert "Luz Ejemplo (prueba)" in html
    assert "Trabajadora social de urgencias" in html
    assert "Lunes a viernes, 7:00–15:00" in html
    assert PUBLISHED_PHONE in html
    assert "Médica de urgencias" in html
    assert fallback_name() in html
    for secret in (SECRET_NAME, SECRET_PHONE, SECRET_WHATSAPP, SECRET_EMAIL, SECRET_PHONE.replace(" ", "")):
        assert secret not in html

    # The service page shows the same, and the same nothing more.
    sal = service.at_locations.get()
    detail = public_client.get(f"/es/services/{sal.uuid}/").content.decode()
    assert "Luz Ejemplo (prueba)" in detail and PUBLISHED_PHONE in detail and fallback_name() in detail
    for secret in (SECRET_NAME, SECRET_PHONE, SECRET_WHATSAPP, SECRET_EMAIL):
        assert secret not in detail

    # The print version too; the public APIs never carry focal points at all.
    printed = public_client.get(PATHWAY.replace("/?", "/print/?")).content.decode()
    assert "Luz Ejemplo (prueba)" in printed and SECRET_EMAIL not in printed
    for path in (
        f"/api/hsds/services/{service.uuid}",
        f"/api/hsds/service_at_locations/{sal.uuid}",
        f"/api/hsds/organizations/{hospital.uuid}",
        "/api/directory/search?place=CO54001",
    ):
        body = public_client.get(path).content.decode()
        for value in (SECRET_NAME, SECRET_PHONE, SECRET_WHATSAPP, SECRET_EMAIL, "Luz Ejemplo"):
            assert value not in body, (path, value)


def test_expired_inactive_or_future_training_hides_the_focal_point(world, public_client: Client) -> None:
    service = make_service(make_entity("E.S.E. Hospital Prueba"))
    make_focal_point(service, name="Expirada Ejemplo (prueba)", trained_days_ago=800, valid_days=730)
    make_focal_point(service, name="Inactiva Ejemplo (prueba)", active=False)
    make_focal_point(service, name="Futura Ejemplo (prueba)", trained_days_ago=-10)
    make_focal_point(service, name="Vence Hoy (prueba)", trained_days_ago=730, valid_days=730)  # valid until today

    html = public_client.get(PATHWAY).content.decode()
    assert service.name in html
    assert "Vence Hoy (prueba)" in html
    for hidden in ("Expirada Ejemplo", "Inactiva Ejemplo", "Futura Ejemplo"):
        assert hidden not in html


def test_focal_points_cost_one_query_per_pathway_not_per_hit(world) -> None:
    services = [make_service(make_entity(f"Hospital {n} Prueba")) for n in range(3)]
    pathway = pathway_by_slug("sexual-violence-72h")
    assert isinstance(pathway, Pathway)
    cucuta = Place.objects.get(pcode="CO54001")

    def queries() -> tuple[int, int]:
        with CaptureQueriesContext(connection) as ctx:
            resolved = resolve_pathway(pathway, cucuta)
            services = [hit.sal.service for step in resolved.steps for hit in step.hits]
            shown = [fp for service in services for fp in service.public_focal_points]  # type: ignore[attr-defined]
        return len(ctx.captured_queries), len(shown)

    baseline, shown = queries()
    assert shown == 0
    for service in services:
        make_focal_point(service)
        make_focal_point(service, name="Otra Ejemplo (prueba)")
    with_focal_points, shown = queries()
    assert shown > 6  # several steps show the three services, each with two focal points
    assert with_focal_points == baseline


# --- Coverage gaps -------------------------------------------------------------------------------------------


@pytest.fixture
def gap_world(world) -> dict[str, Organization]:
    covered = make_entity("Hospital Cubierto", "health")
    make_focal_point(make_service(covered))
    fiscalia = make_entity("Fiscalía Sin Punto Focal", "prosecutor")
    make_service(fiscalia, types=("criminal-complaint",))
    comisaria = make_entity("Comisaría Capacitación Vencida", "comisaria")
    make_focal_point(make_service(comisaria, types=("protection-measures",)), trained_days_ago=900)
    ngo = make_entity("Fundación No Prioritaria", "ngo")
    make_service(ngo, types=("legal-aid",))
    two_sites = make_entity("ICBF Dos Sedes", "child-welfare")
    make_focal_point(make_service(two_sites, types=("child-protection",)))
    make_service(two_sites, "CO54874", types=("child-protection",))
    closed = make_entity("Policía Servicio Inactivo", "police")
    make_service(closed, status="inactive")
    return {"covered": covered, "fiscalia": fiscalia, "comisaria": comisaria, "two_sites": two_sites}


def _gap_names(report: CoverageReport) -> dict[str, set[str]]:
    return {m.place.pcode: {g.organization.name for g in m.gaps} for m in report.municipalities}


def test_coverage_gaps_selector(gap_world) -> None:
    cucuta = coverage_gaps(Place.objects.get(pcode="CO54001"))
    assert _gap_names(cucuta) == {"CO54001": {"Fiscalía Sin Punto Focal", "Comisaría Capacitación Vencida"}}
    (municipality,) = cucuta.municipalities
    assert municipality.priority_entities == 4  # hospital, Fiscalía, Comisaría, ICBF (not the NGO, not inactive)
    assert municipality.covered == 2

    # The department lists both municipalities: the ICBF's Cúcuta focal point does not cover Villa del Rosario.
    department = coverage_gaps(Place.objects.get(pcode="CO54"))
    assert _gap_names(department) == {
        "CO54001": {"Fiscalía Sin Punto Focal", "Comisaría Capacitación Vencida"},
        "CO54874": {"ICBF Dos Sedes"},
    }
    assert (department.priority_entities, department.gaps) == (5, 3)


def test_coverage_gaps_page(gap_world, verified_client_for, client: Client) -> None:
    network = member_org("Red de Prueba")
    coordinator = make_user("coordinadora@example.org", Role.COORDINATOR, network)
    staff = verified_client_for(coordinator)

    response = staff.get("/staff/directory/gaps/?place=CO54001")
    assert response.status_code == 200
    html = response.content.decode()
    assert "Fiscalía Sin Punto Focal" in html and "Comisaría Capacitación Vencida" in html
    assert "Hospital Cubierto" not in html and "Fundación No Prioritaria" not in html

    assert "ICBF Dos Sedes" in staff.get("/staff/directory/gaps/?place=CO54").content.decode()
    assert staff.get("/staff/directory/gaps/").status_code == 200

    bad = staff.get("/staff/directory/gaps/?place=ZZ999")
    assert bad.status_code == 400
    assert "ZZ999" in bad.content.decode()

    # Focal points and caseworkers do not see the page; anonymous visitors are sent to sign in.
    focal_user = make_user("punto@example.org", Role.FOCAL_POINT, network)
    assert verified_client_for(focal_user).get("/staff/directory/gaps/?place=CO54001").status_code == 404
    caseworker = make_user("gestora@example.org", Role.CASEWORKER, network)
    assert verified_client_for(caseworker).get("/staff/directory/gaps/?place=CO54001").status_code == 404
    anonymous = client.get("/staff/directory/gaps/?place=CO54001")
    assert anonymous.status_code == 302 and "/staff/login/" in anonymous["Location"]
    # A coordinator who has not passed 2FA in this session is stopped by the 2FA middleware.
    unverified = Client()
    unverified.force_login(coordinator, backend="django.contrib.auth.backends.ModelBackend")
    assert unverified.get("/staff/directory/gaps/?place=CO54001").status_code == 302


# --- Verification --------------------------------------------------------------------------------------------


@pytest.fixture
def verify_world(world) -> dict[str, Any]:
    network = member_org("Red Trans de Prueba")
    hospital = make_entity("E.S.E. Hospital Prueba")
    service = make_service(hospital)
    focal_user = make_user("luz@example.org", Role.FOCAL_POINT, network, display_name="Luz")
    focal_point = make_focal_point(service, user=focal_user, managed_by=network)
    other_service = make_service(make_entity("Fiscalía Prueba", "prosecutor"), types=("criminal-complaint",))
    other_user = make_user("otra@example.org", Role.FOCAL_POINT, network)
    make_focal_point(other_service, user=other_user, managed_by=network)
    return {
        "network": network,
        "hospital": hospital,
        "service": service,
        "focal_user": focal_user,
        "focal_point": focal_point,
        "other_service": other_service,
        "other_user": other_user,
    }


def _verify_url(service: Service) -> str:
    return f"/staff/directory/services/{service.uuid}/verify/"


def _facts_post(*, confirm: bool = True, **true_facts: bool) -> dict[str, str]:
    data = {"confirm": "on"} if confirm else {}
    data.update({code: "on" for code, value in true_facts.items() if value})
    return data


def test_focal_point_verifies_their_service(verify_world, verified_client_for) -> None:
    service: Service = verify_world["service"]
    staff = verified_client_for(verify_world["focal_user"])
    assert not service.trans_affirming and service.free_of_charge

    listing = staff.get("/staff/directory/verify/").content.decode()
    assert service.name in listing and str(service.uuid) in listing
    assert verify_world["other_service"].name not in listing

    page = staff.get(_verify_url(service))
    assert page.status_code == 200
    html = page.content.decode()
    assert 'name="trans_affirming"' in html and 'name="wheelchair_accessible"' in html

    # Without the confirmation nothing is recorded.
    refused = staff.post(_verify_url(service), _facts_post(confirm=False, trans_affirming=True))
    assert refused.status_code == 400
    service.refresh_from_db()
    assert not service.trans_affirming and service.last_verified_on != today()

    before = AuditEntry.objects.count()
    done = staff.post(_verify_url(service), _facts_post(trans_affirming=True, no_id_required=True))
    assert done.status_code == 302 and done["Location"] == "/staff/directory/verify/"
    service.refresh_from_db()
    assert service.last_verified_on == today()
    assert service.facts_verified_on == {code: today().isoformat() for code in INCLUSION_FACT_CODES}
    assert service.trans_affirming and service.no_id_required and not service.free_of_charge
    assert " trans" in service.search_text  # reindexed with the new fact's keywords
    assert not service.is_stale

    assert AuditEntry.objects.count() == before + 1
    entry = AuditEntry.objects.order_by("-seq").first()
    assert entry is not None
    assert entry.action == "service.verify"
    assert entry.actor_id == verify_world["focal_user"].pk
    assert entry.object_id == str(service.uuid)
    assert entry.organization_id == verify_world["network"].pk
    assert entry.detail == {
        "facts_changed": ["free_of_charge", "no_id_required", "trans_affirming"],
        "facts_confirmed": len(INCLUSION_FACT_CODES),
    }
    call_command("audit_verify", stdout=StringIO())  # the chain is intact


def test_who_else_gets_404_on_the_verify_url(verify_world, verified_client_for) -> None:
    service: Service = verify_world["service"]
    url = _verify_url(service)
    network: MemberOrganization = verify_world["network"]

    # A focal point of another service, in the same organisation.
    other = verified_client_for(verify_world["other_user"])
    assert other.get(url).status_code == 404
    assert other.post(url, _facts_post(trans_affirming=True)).status_code == 404
    # A coordinator of another organisation (not linked to the hospital, managing no focal point of it).
    stranger_org = member_org("Otra Organización de Prueba", make_entity("Colectiva Prueba", "sex-worker-led"))
    stranger = verified_client_for(make_user("coord.otra@example.org", Role.COORDINATOR, stranger_org))
    assert stranger.get(url).status_code == 404
    assert stranger.post(url, _facts_post(trans_affirming=True)).status_code == 404
    # A caseworker of the very organisation that manages the focal point.
    caseworker = verified_client_for(make_user("gestora@example.org", Role.CASEWORKER, network))
    assert caseworker.get(url).status_code == 404
    # The focal point whose membership was deactivated loses the right at once.
    Membership.objects.filter(user=verify_world["focal_user"]).update(active=False)
    assert verified_client_for(verify_world["focal_user"]).get(url).status_code == 404
    Membership.objects.filter(user=verify_world["focal_user"]).update(active=True)
    # Another service of theirs' colleague, and a service that does not exist, answer the same.
    own = verified_client_for(verify_world["focal_user"])
    assert own.get(_verify_url(verify_world["other_service"])).status_code == 404
    assert own.get(f"/staff/directory/services/{uuid.uuid4()}/verify/").status_code == 404

    service.refresh_from_db()
    assert not service.trans_affirming and service.last_verified_on != today()
    assert not AuditEntry.objects.filter(action="service.verify").exists()

    # Those who may: the coordinator managing the focal point, the coordinator of the linked organisation, admins.
    assert verified_client_for(make_user("coord@example.org", Role.COORDINATOR, network)).get(url).status_code == 200
    linked = member_org("El Hospital como Miembro", verify_world["hospital"])
    assert verified_client_for(make_user("coord.h@example.org", Role.COORDINATOR, linked)).get(url).status_code == 200
    admin = User.objects.create_superuser(username="admin@example.org", email="admin@example.org", password="x")
    assert verified_client_for(admin).get(url).status_code == 200


# --- Stale-service reminders ---------------------------------------------------------------------------------


def test_notify_stale_services_emails_the_right_people(verify_world, mailoutbox) -> None:
    network: MemberOrganization = verify_world["network"]
    with_focal_point: Service = verify_world["service"]
    # Linked to a member organisation with a coordinator, no focal point: the coordinator is asked.
    collective = make_entity("Colectiva de Prueba", "sex-worker-led")
    by_coordinator = make_service(collective, types=("sex-worker-led",), verified_days_ago=None)
    coordinator = make_user("coord@example.org", Role.COORDINATOR, member_org("Colectiva Miembro", collective))
    # Nobody else: the platform administrators are asked.
    orphan = make_service(make_entity("Comisaría Huérfana", "comisaria"), types=("protection-measures",))
    admin = User.objects.create_superuser(username="admin@example.org", email="admin@example.org", password="x")
    # A focal point whose account lost its membership does not count: falls through to the administrators.
    lapsed_service = make_service(make_entity("Hospital Sin Cuenta Activa"))
    lapsed_user = make_user("lapsed@example.org", Role.FOCAL_POINT, network)
    make_focal_point(lapsed_service, user=lapsed_user, managed_by=network)
    Membership.objects.filter(user=lapsed_user).update(active=False)
    # Fresh and inactive services are not stale reminders.
    fresh = make_service(make_entity("Hospital Al Día"), verified_days_ago=10, name="Servicio Al Día")
    make_focal_point(fresh, user=make_user("fresh@example.org", Role.FOCAL_POINT, network), managed_by=network)
    inactive = make_service(make_entity("Hospital Cerrado"), status="inactive", name="Servicio Cerrado")

    out = StringIO()
    call_command("notify_stale_services", "--dry-run", stdout=out)
    assert mailoutbox == []
    summary = out.getvalue()
    assert "luz@example.org" in summary and "coord@example.org" in summary and "admin@example.org" in summary
    assert "Dry run" in summary

    out = StringIO()
    call_command("notify_stale_services", "--base-url", "https://amparo.example.org", stdout=out)
    by_recipient = {m.to[0]: m for m in mailoutbox}
    assert len(mailoutbox) == len(by_recipient) == 4  # one e-mail per person
    expected = {
        "luz@example.org": {with_focal_point},
        "otra@example.org": {verify_world["other_service"]},
        "coord@example.org": {by_coordinator},
        "admin@example.org": {orphan, lapsed_service},
    }
    assert set(by_recipient) == set(expected)
    everything = [with_focal_point, verify_world["other_service"], by_coordinator, orphan, lapsed_service]
    for email, services in expected.items():
        body = by_recipient[email].body
        for service in everything:
            link = f"https://amparo.example.org/staff/directory/services/{service.uuid}/verify/"
            assert (link in body) == (service in services), (email, service)
        for never in (fresh.name, inactive.name, "lapsed@example.org"):
            assert never not in body
        assert by_recipient[email].subject
    summary = out.getvalue()
    assert f"5 services not verified for over {settings.STALE_AFTER_DAYS} days; 4 people to ask." in summary
    assert coordinator.email in summary and admin.email in summary
    assert "4 e-mails sent." in summary


def test_notify_with_nothing_stale_sends_nothing(world, mailoutbox) -> None:
    make_service(make_entity("Hospital Al Día"), verified_days_ago=1)
    out = StringIO()
    call_command("notify_stale_services", stdout=out)
    assert mailoutbox == []
    assert out.getvalue().startswith("0 services")


# --- Admin ---------------------------------------------------------------------------------------------------


def test_admin_form_rules(world) -> None:
    network = member_org("Red de Prueba")
    hospital = make_entity("Hospital Prueba")
    own, foreign = make_service(hospital), make_service(make_entity("Otra Entidad"))
    no_membership = make_user("sin@example.org", None, None)
    form = FocalPointForm(
        data={
            "entity": hospital.pk,
            "services": [own.pk, foreign.pk],
            "display_name": "Ana Ejemplo",
            "languages": '["es"]',
            "active": "on",
            "managed_by": network.pk,
            "user": no_membership.pk,
        }
    )
    assert not form.is_valid()
    assert set(form.errors) == {"services", "user"}
    Membership.objects.create(user=no_membership, organization=network, role=Role.FOCAL_POINT)
    form = FocalPointForm(
        data={
            "entity": hospital.pk,
            "services": [own.pk],
            "display_name": "Ana Ejemplo",
            "languages": '["es"]',
            "active": "on",
            "managed_by": network.pk,
            "user": no_membership.pk,
            "phone": "",
            "phone_public": "on",
        }
    )
    assert not form.is_valid() and set(form.errors) == {"phone"}  # agreed to publish an empty phone


def test_admin_coordinator_sees_own_focal_points(world, verified_client_for) -> None:
    network, other = member_org("Red de Prueba"), member_org("Otra Red")
    service = make_service(make_entity("Hospital Prueba"))
    make_focal_point(service, name="Propia Ejemplo", managed_by=network)
    make_focal_point(service, name="Ajena Ejemplo", managed_by=other)
    staff = verified_client_for(make_user("coord@example.org", Role.COORDINATOR, network))
    html = staff.get("/admin/directory/focalpoint/").content.decode()
    assert "Propia Ejemplo" in html and "Ajena Ejemplo" not in html
    assert staff.get("/admin/directory/focalpoint/add/").status_code == 200
