"""Reads for the HSDS API and export: querysets that load everything the mapping touches in a fixed number of
queries (no N+1), whatever the page size."""

from __future__ import annotations

from django.db.models import Prefetch, QuerySet

from ..models import Organization, Service, ServiceAtLocation

_PLACE_CHAIN = "location__place__parent__parent"


def services(*, full: bool = True) -> QuerySet[Service]:
    qs = Service.objects.select_related("organization").order_by("name", "uuid")
    if full:
        qs = qs.prefetch_related(
            "types",
            Prefetch(
                "at_locations",
                queryset=ServiceAtLocation.objects.select_related("location__organization", _PLACE_CHAIN)
                .prefetch_related("hours")
                .order_by("uuid"),
            ),
        )
    return qs


def service_at_locations(*, full: bool = True) -> QuerySet[ServiceAtLocation]:
    """Service-at-location rows with their location and service (the service without its other locations)."""
    qs = ServiceAtLocation.objects.select_related(
        "service__organization", "location__organization", _PLACE_CHAIN
    ).order_by("service__name", "uuid")
    if full:
        qs = qs.prefetch_related(
            "hours",
            "service__types",
            Prefetch(
                "service__at_locations",
                queryset=ServiceAtLocation.objects.select_related("location__organization", _PLACE_CHAIN)
                .prefetch_related("hours")
                .order_by("uuid"),
            ),
        )
    return qs


def organizations() -> QuerySet[Organization]:
    return Organization.objects.order_by("name", "uuid")
