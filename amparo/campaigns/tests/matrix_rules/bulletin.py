"""Role-matrix rows of the bulletin and the library: every staff member reads (what her organisations' audience
covers) and posts; coordinators withdraw posts; coordinators, analysts and legal advisors share documents and
versions. Another organisation's post or document (an audience that does not reach it) is a 404."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from amparo.accounts.roles import PLATFORM_ADMIN, Role
from amparo.accounts.tests.matrix_case import Case

EVERYONE = frozenset({*Role.values, PLATFORM_ADMIN})
COORDINATORS = frozenset({Role.COORDINATOR, PLATFORM_ADMIN})
LIBRARY = frozenset({Role.COORDINATOR, Role.ANALYST, Role.LEGAL_ADVISOR, PLATFORM_ADMIN})


def _post(w: dict[str, object]) -> list[object]:
    return [w["bulletin_post"].uuid]  # type: ignore[attr-defined]


def _document(w: dict[str, object]) -> list[object]:
    return [w["library_document"].uuid]  # type: ignore[attr-defined]


def _version(w: dict[str, object]) -> list[object]:
    return [w["library_document"].uuid, w["library_version"].uuid]  # type: ignore[attr-defined]


EXPECTED: dict[str, Any] = {
    "bulletin:list": Case(EVERYONE),
    "bulletin:post_new": Case(EVERYONE),
    "bulletin:post_withdraw": Case(COORDINATORS, _post, "post", 302),
    "bulletin:library": Case(EVERYONE),
    "bulletin:document_new": Case(LIBRARY),
    "bulletin:document": Case(EVERYONE, _document),
    "bulletin:version_add": Case(LIBRARY, _document, "post", 400),  # no file: the page says so
    "bulletin:document_withdraw": Case(LIBRARY, _document, "post", 302),
    "bulletin:version_download": Case(EVERYONE, _version),
}
# Forms posted empty: the page says what is missing (400), nothing is stored.
POSTS: dict[str, Any] = {
    "bulletin:post_new": Case(EVERYONE, method="post", ok=400),
    "bulletin:document_new": Case(LIBRARY, method="post", ok=400),
}


def world(org: Any, users: dict[str, Any]) -> dict[str, object]:
    """A post and a document of the organisation for the organisations of its department (the other organisation of
    the matrix works nowhere, so neither reaches it)."""
    from django.utils import timezone

    from amparo.campaigns import bulletin_services as services
    from amparo.core.uploads import CleanFile
    from amparo.directory.models import Place

    place = Place.objects.filter(level=Place.Level.ADMIN2).order_by("pcode").first()
    assert place is not None  # the matrix's world has the demo directory
    post = services.post_publish(
        actor=users[Role.CASEWORKER], organization=org,
        data=services.PostInput(kind="training", title="Taller de derechos (matriz)", body="Jueves en la sede.",
                                audience="area", place=place, expires_on=timezone.localdate() + timedelta(days=30)),
    )  # fmt: skip
    document = services.document_add(
        actor=users[Role.COORDINATOR], organization=org,
        data=services.DocumentInput(kind="guide", title="Guía (matriz)", description="", language="es",
                                    audience="area", place=place),
        clean=CleanFile("guia.pdf", "application/pdf", b"%PDF-1.4 guia"), issued_on=timezone.localdate(),
    )  # fmt: skip
    return {"bulletin_post": post, "library_document": document, "library_version": document.versions.get()}
