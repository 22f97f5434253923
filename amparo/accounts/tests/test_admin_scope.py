"""The admin in the role matrix: two member organisations, each keeping its own directory entry, and a coordinator
of one trying every admin page, form, choice list and autocomplete on the other's objects (DESIGN.md rule 9).

Every admin registered on the site must be either scoped (`ScopedAdminMixin`, with an object of the other
organisation named in OTHERS below) or closed to coordinators, so a new admin that leaks fails here.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import timedelta
from typing import Any

import pytest
from django.contrib import admin
from django.forms import ModelChoiceField
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from amparo.access.admin import ScopedAdminMixin
from amparo.accounts.models import Membership, Organization, User
from amparo.accounts.roles import Role
from amparo.directory.models import FocalPoint, Location, Place, Sensitisation, Service, ServiceAtLocation
from amparo.directory.models import Organization as Entity
from amparo.pathways.models import Helpline, Pathway

pytestmark = pytest.mark.django_db


def _member(name: str, entity: Entity) -> tuple[Organization, User, User]:
    """A member organisation that is `entity` on the platform (and keeps its entry), with a coordinator and a
    focal-point account."""
    organization = Organization.objects.create(name=name, directory_organization=entity)
    entity.managed_by = organization
    entity.save(update_fields=["managed_by"])
    slug = name.split()[-1].lower()
    coordinator = User.objects.create_user(username=f"c@{slug}.org", email=f"c@{slug}.org", password="x" * 16)
    Membership.objects.create(user=coordinator, organization=organization, role=Role.COORDINATOR)
    focal = User.objects.create_user(username=f"f@{slug}.org", email=f"f@{slug}.org", password="x" * 16)
    Membership.objects.create(user=focal, organization=organization, role=Role.FOCAL_POINT)
    return organization, coordinator, focal


def _focal_point(entity: Entity, organization: Organization, user: User) -> FocalPoint:
    service = entity.services.order_by("pk").first()
    assert service is not None
    focal_point = FocalPoint.objects.create(
        entity=entity, display_name=f"Punto {organization.name}", managed_by=organization, user=user,
        grant=FocalPoint.Grant.APPROVED,
    )  # fmt: skip
    focal_point.services.add(service)
    Sensitisation.objects.create(
        focal_point=focal_point,
        trained_on=timezone.localdate() - timedelta(days=10),
        expires_on=timezone.localdate() + timedelta(days=300),
    )
    return focal_point


@pytest.fixture
def two(demo_directory: None, verified_client_for: Callable[..., Client]) -> dict[str, Any]:
    entities = list(Entity.objects.filter(services__isnull=False, locations__isnull=False).distinct().order_by("pk"))
    ent_a, ent_b = entities[0], entities[1]
    org_a, coord_a, focal_a = _member("Red Alfa", ent_a)
    org_b, coord_b, focal_b = _member("Red Beta", ent_b)
    return {
        "ent_a": ent_a,
        "ent_b": ent_b,
        "org_a": org_a,
        "org_b": org_b,
        "coord_b": coord_b,
        "focal_a": focal_a,
        "focal_b": focal_b,
        "fp_a": _focal_point(ent_a, org_a, focal_a),
        "fp_b": _focal_point(ent_b, org_b, focal_b),
        "a": verified_client_for(coord_a),
        "b": verified_client_for(coord_b),
    }


def _b_object(model: type, w: dict[str, Any]) -> Any:
    """The other organisation's object of each scoped admin's model (platform content: any row)."""
    b = w["ent_b"]
    others: dict[type, Callable[[], Any]] = {
        Entity: lambda: b,
        Location: lambda: b.locations.order_by("pk").first(),
        Service: lambda: b.services.order_by("pk").first(),
        ServiceAtLocation: lambda: ServiceAtLocation.objects.filter(service__organization=b).order_by("pk").first(),
        FocalPoint: lambda: w["fp_b"],
        Place: lambda: Place.objects.order_by("pk").first(),
        Pathway: lambda: Pathway.objects.order_by("pk").first(),
        Helpline: lambda: Helpline.objects.order_by("pk").first(),
    }
    assert model in others, f"{model.__name__} has a scoped admin: say which object belongs to another organisation"
    found = others[model]()
    assert found is not None
    return found


def _url(model: Any, action: str, *args: object) -> str:
    return reverse(f"admin:{model._meta.app_label}_{model._meta.model_name}_{action}", args=args)


def test_every_admin_is_scoped_or_closed_to_coordinators(two: dict[str, Any]) -> None:
    """A ModelAdmin that is not scoped through the permission module must not open to a coordinator at all."""
    for model, model_admin in admin.site._registry.items():
        if isinstance(model_admin, ScopedAdminMixin):
            _b_object(model, two)
            for inline in model_admin.inlines:
                assert issubclass(inline, ScopedAdminMixin), f"{inline.__name__} is not scoped"
        else:
            assert two["a"].get(_url(model, "changelist")).status_code == 403, model
            assert two["a"].get(_url(model, "add")).status_code == 403, model


def test_admin_objects_of_another_organisation_are_not_listed_opened_changed_or_deleted(
    two: dict[str, Any],
) -> None:
    client: Client = two["a"]
    failures = []
    for model, model_admin in admin.site._registry.items():
        if not isinstance(model_admin, ScopedAdminMixin):
            continue
        other = _b_object(model, two)
        name = model.__name__
        changelist = client.get(_url(model, "changelist"), {"all": ""})
        if changelist.status_code != 200:
            failures.append(f"{name}: changelist {changelist.status_code}")
        change_url = _url(model, "change", other.pk)
        if model_admin.platform_only:
            # Platform content: she may look; only platform administrators change, add or delete.
            if client.get(change_url).status_code != 200:
                failures.append(f"{name}: platform content not viewable")
            for url in (change_url, _url(model, "add"), _url(model, "delete", other.pk)):
                if (got := client.post(url, {"post": "yes"}).status_code) != 403:
                    failures.append(f"{name}: POST {url} as a coordinator: {got}")
            continue
        listed = [str(obj.pk) for obj in changelist.context["cl"].result_list] if changelist.status_code == 200 else []
        if str(other.pk) in listed or change_url in changelist.content.decode():
            failures.append(f"{name}: listed")
        for url in (change_url, _url(model, "delete", other.pk), _url(model, "history", other.pk)):
            opened = client.get(url)
            if opened.status_code not in (302, 404):
                failures.append(f"{name}: GET {url}: {opened.status_code}")
            posted = client.post(url, {"post": "yes", "name": "Cambiado", "display_name": "Cambiado"})
            if posted.status_code not in (302, 404):
                failures.append(f"{name}: POST {url}: {posted.status_code}")
        if not model._default_manager.filter(pk=other.pk).exists():
            failures.append(f"{name}: deleted")
        elif getattr(model._default_manager.get(pk=other.pk), "name", "") == "Cambiado":
            failures.append(f"{name}: changed")
    assert not failures, "\n".join(failures)


def _b_choices(w: dict[str, Any]) -> dict[str, set[int]]:
    """Primary keys of what belongs to the other organisation, by model label."""
    b = w["ent_b"]
    return {
        "directory.organization": {b.pk},
        "directory.location": set(b.locations.values_list("pk", flat=True)),
        "directory.service": set(b.services.values_list("pk", flat=True)),
        "directory.serviceatlocation": set(
            ServiceAtLocation.objects.filter(service__organization=b).values_list("pk", flat=True)
        ),
        "directory.focalpoint": {w["fp_b"].pk},
        "accounts.organization": {w["org_b"].pk},
        "accounts.user": {w["coord_b"].pk, w["focal_b"].pk},
    }


def test_admin_forms_offer_nothing_of_another_organisation(two: dict[str, Any]) -> None:
    """Every choice list of every add and change form (inlines included) leaves out the other organisation's
    objects, except the fields a model admin declares open (a focal-point grant names any entity and then needs
    that entity's approval)."""
    client: Client = two["a"]
    b_pks = _b_choices(two)
    failures = []
    for model, model_admin in admin.site._registry.items():
        if not isinstance(model_admin, ScopedAdminMixin) or model_admin.platform_only:
            continue
        own = model._default_manager.filter(pk__in=model_admin.get_queryset(_request_of(client, two)).values("pk"))
        urls = [_url(model, "add")] + [_url(model, "change", obj.pk) for obj in own.order_by("pk")[:1]]
        for url in urls:
            response = client.get(url)
            assert response.status_code == 200, url
            forms = [response.context["adminform"].form]
            for formset in response.context["inline_admin_formsets"]:
                forms += [formset.formset.empty_form, *formset.formset.forms]
            for form in forms:
                for field_name, field in form.fields.items():
                    # An inline row's own hidden id: Django looks it up among the parent's rows only.
                    own_pk = field_name == form._meta.model._meta.pk.name
                    if not isinstance(field, ModelChoiceField) or own_pk or field_name in model_admin.open_choices:
                        continue
                    choices = field.queryset
                    assert choices is not None
                    label = choices.model._meta.label_lower
                    leaked = b_pks.get(label, set()) & set(choices.values_list("pk", flat=True))
                    if leaked:
                        failures.append(f"{url} {type(form).__name__}.{field_name}: offers {label} {leaked}")
    assert not failures, "\n".join(failures)


def _request_of(client: Client, w: dict[str, Any]) -> Any:
    from django.test import RequestFactory

    request = RequestFactory().get("/admin/")
    request.user = User.objects.get(pk=int(client.session["_auth_user_id"]))
    return request


def test_forged_admin_posts_with_another_organisations_objects_are_refused(two: dict[str, Any]) -> None:
    client: Client = two["a"]
    ent_b, place = two["ent_b"], Place.objects.filter(level=Place.Level.ADMIN2).order_by("pk").first()
    assert place is not None
    before = Service.objects.count(), Location.objects.count()
    response = client.post(
        _url(Service, "add"),
        {"organization": ent_b.pk, "name": "Servicio plantado", "status": "active", "types": [],
         "at_locations-TOTAL_FORMS": "0", "at_locations-INITIAL_FORMS": "0"},
    )  # fmt: skip
    assert response.status_code == 200 and "organization" in response.context["adminform"].form.errors
    response = client.post(
        _url(Location, "add"),
        {"organization": ent_b.pk, "name": "Sede plantada", "place": place.pk, "latitude": "7.9", "longitude": "-72.5"},
    )
    assert response.status_code == 200 and "organization" in response.context["adminform"].form.errors
    # Her own focal point cannot be handed to the other organisation, nor given the other organisation's account.
    fp_a = two["fp_a"]
    response = client.post(
        _url(FocalPoint, "change", fp_a.pk),
        _focal_point_data(fp_a.entity, list(fp_a.services.all()), managed_by=two["org_b"].pk, user=two["focal_b"].pk),
    )
    assert response.status_code == 200
    assert {"managed_by", "user"} <= set(response.context["adminform"].form.errors)
    assert (Service.objects.count(), Location.objects.count()) == before
    fp_a.refresh_from_db()
    assert fp_a.managed_by == two["org_a"] and fp_a.user == two["focal_a"]


def test_autocomplete_is_scoped_except_for_open_choices(two: dict[str, Any]) -> None:
    client: Client = two["a"]

    def found(model_name: str, field_name: str, term: str) -> set[str]:
        response = client.get(
            "/admin/autocomplete/",
            {"app_label": "directory", "model_name": model_name, "field_name": field_name, "term": term},
        )
        assert response.status_code == 200
        return {row["id"] for row in response.json()["results"]}

    ent_b = two["ent_b"]
    assert str(ent_b.pk) not in found("service", "organization", ent_b.name[:20])
    assert str(ent_b.pk) not in found("location", "organization", ent_b.name[:20])
    # A focal point may be registered at any entity (the grant then waits for that entity's approval).
    assert str(ent_b.pk) in found("focalpoint", "entity", ent_b.name[:20])


def _focal_point_data(entity: Entity, services: list[Service], **fields: object) -> dict[str, object]:
    data: dict[str, object] = {
        "entity": entity.pk,
        "services": [s.pk for s in services],
        "display_name": "Persona Plantada",
        "job_title": "",
        "availability": "",
        "languages": '["es"]',
        "active": "on",
        "phone": "+57 000 111 2222",
        "phone_public": "on",
        "whatsapp": "",
        "email": "",
        "managed_by": "",
        "user": "",
        "sensitisations-TOTAL_FORMS": "1",
        "sensitisations-INITIAL_FORMS": "0",
        "sensitisations-0-trained_on": (timezone.localdate() - timedelta(days=1)).isoformat(),
        "sensitisations-0-expires_on": (timezone.localdate() + timedelta(days=300)).isoformat(),
        "sensitisations-0-trainer_name": "Formadora",
        "sensitisations-0-trainer_organization": "",
    }
    for key, value in fields.items():
        data[key] = value
    return {k: v for k, v in data.items() if v is not None}


# --- Focal-point grants: registering someone at another organisation's entity needs that entity's approval --------


def test_focal_point_at_another_entity_waits_for_that_entitys_approval(two: dict[str, Any]) -> None:
    from amparo.access import acting_focal_points, services_for_verification
    from amparo.audit.models import AuditEntry
    from amparo.directory.selectors import public_focal_points_queryset

    ent_b = two["ent_b"]
    service_b = ent_b.services.order_by("pk").first()
    sal_b = service_b.at_locations.order_by("pk").first()
    data = _focal_point_data(ent_b, [service_b], managed_by=two["org_a"].pk, user=two["focal_a"].pk)
    response = two["a"].post(_url(FocalPoint, "add"), data)
    assert response.status_code == 302, response.context["adminform"].form.errors if response.context else ""
    planted = FocalPoint.objects.get(display_name="Persona Plantada")
    assert planted.grant == FocalPoint.Grant.PENDING
    entry = AuditEntry.objects.get(action="focal_point.register", object_id=str(planted.uuid))
    assert entry.detail["grant"] == "pending" and entry.detail["entity"] == str(ent_b.uuid)

    # Pending: it acts for nobody, verifies nothing, is shown nowhere.
    assert not acting_focal_points().filter(pk=planted.pk).exists()
    assert service_b not in services_for_verification(two["focal_a"])
    assert not public_focal_points_queryset().filter(pk=planted.pk).exists()
    public = Client().get(f"/es/services/{sal_b.uuid}/").content.decode()
    assert "Persona Plantada" not in public and "111 2222" not in public
    # The coordinator who registered it cannot approve it herself.
    assert two["a"].get(reverse("directory_staff:focal_point_requests")).context["rows"] == []
    decide = reverse("directory_staff:focal_point_decide", args=[planted.uuid])
    assert two["a"].post(decide, {"decision": "approve", "version": "x"}).status_code == 404

    # The entity's own coordinator approves the version she saw.
    page = two["b"].get(reverse("directory_staff:focal_point_requests"))
    assert "Persona Plantada" in page.content.decode()
    version = {fp.pk: v for fp, v in page.context["rows"]}[planted.pk]
    assert two["b"].post(decide, {"decision": "approve", "version": version}).status_code == 302
    planted.refresh_from_db()
    assert planted.grant == FocalPoint.Grant.APPROVED and planted.grant_decided_by == two["coord_b"]
    assert AuditEntry.objects.filter(action="focal_point.approve", object_id=str(planted.uuid)).exists()
    assert acting_focal_points().filter(pk=planted.pk).exists()
    assert service_b in services_for_verification(two["focal_a"])
    assert "111 2222" in Client().get(f"/es/services/{sal_b.uuid}/").content.decode()

    # Changing the published phone asks the entity again; a decision on the old version is refused.
    data["phone"] = "+57 000 333 4444"
    data["sensitisations-TOTAL_FORMS"] = "0"
    assert two["a"].post(_url(FocalPoint, "change", planted.pk), data).status_code == 302
    planted.refresh_from_db()
    assert planted.grant == FocalPoint.Grant.PENDING
    assert "333 4444" not in Client().get(f"/es/services/{sal_b.uuid}/").content.decode()
    assert two["b"].post(decide, {"decision": "approve", "version": version}).status_code == 302
    planted.refresh_from_db()
    assert planted.grant == FocalPoint.Grant.PENDING


def test_an_entitys_own_coordinator_grants_her_focal_points_herself(two: dict[str, Any]) -> None:
    """Red Beta is the entity: its coordinator registers its own staff, no one else needs to approve."""
    from amparo.access import services_for_verification

    org_b, ent_b = two["org_b"], two["ent_b"]
    service_b = ent_b.services.order_by("pk").first()
    data = _focal_point_data(ent_b, [service_b], managed_by=org_b.pk, user=two["focal_b"].pk)
    assert two["b"].post(_url(FocalPoint, "add"), data).status_code == 302
    own = FocalPoint.objects.get(display_name="Persona Plantada")
    assert own.grant == FocalPoint.Grant.APPROVED and own.grant_decided_by == two["coord_b"]
    assert service_b in services_for_verification(two["focal_b"])
