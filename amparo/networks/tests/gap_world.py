"""A small directory for the gap and monitoring tests: real places, services, focal points and survey submissions."""

from __future__ import annotations

from datetime import date, timedelta
from typing import Any

from django.utils import timezone

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
from amparo.directory.services import services_reindex


def today() -> date:
    return timezone.localdate()


def make_service(
    pcode: str,
    types: tuple[str, ...],
    *,
    facts: tuple[str, ...] = (),
    verified_days_ago: int | None = 10,
    status: str = "active",
    entity: Organization | None = None,
) -> Service:
    place = Place.objects.get(pcode=pcode)
    entity = entity or Organization.objects.create(name=f"Entidad {pcode} {'-'.join(types)}", kind="health")
    location = Location.objects.create(
        organization=entity, name=f"Sede {place.name}", place=place, latitude=place.latitude, longitude=place.longitude
    )
    verified = today() - timedelta(days=verified_days_ago) if verified_days_ago is not None else None
    service = Service.objects.create(
        organization=entity,
        name=f"Servicio {'-'.join(types)} {place.name}",
        status=status,
        last_verified_on=verified,
        **dict.fromkeys(facts, True),
    )
    service.types.set(list(ServiceType.objects.filter(code__in=types)))
    ServiceAtLocation.objects.create(service=service, location=location)
    services_reindex([service.pk])
    return service


def sensitise(service: Service, *, expired: bool = False) -> FocalPoint:
    focal = FocalPoint.objects.create(
        entity=service.organization, display_name="Punto Focal (prueba)", grant=FocalPoint.Grant.APPROVED
    )
    focal.services.add(service)
    start = today() - timedelta(days=400 if expired else 30)
    Sensitisation.objects.create(focal_point=focal, trained_on=start, expires_on=start + timedelta(days=365))
    return focal


def submission_answers(needs: list[str], barriers: list[str]) -> dict[str, Any]:
    return {"needs": needs, "barriers": barriers}
