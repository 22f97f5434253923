"""The JSON API (django-ninja), with its OpenAPI document at /api/openapi.json and docs at /api/docs."""

from __future__ import annotations

from django.http import HttpRequest, HttpResponse
from ninja import NinjaAPI
from ninja.errors import ValidationError

from amparo.directory.api import router as directory_router

api = NinjaAPI(
    title="Amparo API",
    version="1",
    description="Public directory of services and care pathways. Staff endpoints require authentication.",
    urls_namespace="api",
)


@api.exception_handler(ValidationError)
def validation_error(request: HttpRequest, exc: ValidationError) -> HttpResponse:
    """Bad input is a 400 that names the problem (not ninja's default 422)."""
    return api.create_response(request, {"detail": exc.errors}, status=400)


api.add_router("/directory/", directory_router)
api.add_router("/hsds/", "amparo.directory.hsds.api.router")
