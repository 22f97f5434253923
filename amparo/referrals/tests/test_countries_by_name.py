"""Countries are shown to staff by name in the page's language (core/countries.py, django-countries), never by their
ISO code: her nationality on the referral page and its print, on the case summary, and the countries of the
pathways and helplines in the admin."""

from __future__ import annotations

import re
from collections.abc import Callable

import pytest
from django.test import Client

from amparo.cases.models import Case
from amparo.referrals import services
from amparo.referrals.models import Priority, ServiceType

from .conftest import World

pytestmark = pytest.mark.django_db


def _cells(html: str) -> list[str]:
    return [re.sub(r"\s+", " ", cell).strip() for cell in re.findall(r"<td>(.*?)</td>", html, re.S)]


@pytest.mark.parametrize(("language", "name"), [("es", "Alemania"), ("pt", "Alemanha"), ("en", "Germany")])
def test_her_nationality_is_a_country_name_on_the_referral_and_the_summary(
    world: World, verified_client_for: Callable[..., Client], language: str, name: str
) -> None:
    Case.objects.filter(pk=world.case.pk).update(nationality="DE")
    referral = services.referral_send(
        actor=world.staff["caseworker"], case=Case.objects.get(pk=world.case.pk), service=world.hospital,
        focal_point=world.focal, service_type=ServiceType.HEALTH, shared_fields=["nationality", "age_band"],
        priority=Priority.NORMAL, reason="",
    )  # fmt: skip
    focal = verified_client_for(world.staff["focal"], HTTP_ACCEPT_LANGUAGE=language)
    for path in (f"/staff/referrals/{referral.uuid}/", f"/staff/referrals/{referral.uuid}/print/"):
        page = focal.get(path).content.decode()
        assert name in page, path
        assert "DE" not in _cells(page) and ">DE<" not in page, path
    caseworker = verified_client_for(world.staff["caseworker"], HTTP_ACCEPT_LANGUAGE=language)
    summary = caseworker.get(f"/staff/cases/{world.case.uuid}/summary/").content.decode()
    assert any(cell.startswith(f"{name} ·") for cell in _cells(summary)), _cells(summary)


def test_the_admin_names_the_countries_of_pathways_and_helplines(
    world: World, verified_client_for: Callable[..., Client]
) -> None:
    coordinator = verified_client_for(world.staff["coordinator"], HTTP_ACCEPT_LANGUAGE="pt")
    pathways = coordinator.get("/admin/pathways/pathway/").content.decode()
    assert "Colômbia" in pathways  # the column and the filter, in Portuguese
    assert re.search(r'href="\?country=CO"[^>]*>Colômbia<', pathways)
    helplines = coordinator.get("/admin/pathways/helpline/").content.decode()
    assert "Colômbia (CO)" in helplines
