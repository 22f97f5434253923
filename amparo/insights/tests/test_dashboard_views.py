"""The dashboards and the agreements pages over HTTP: what each role sees, bad filters, empty views, audit."""

from __future__ import annotations

from collections.abc import Callable
from datetime import date

import pytest
from django.test import Client
from django.urls import reverse
from django.utils import translation

from amparo.accounts.models import Membership, Organization, User
from amparo.accounts.roles import Role
from amparo.audit.models import AuditEntry
from amparo.cases.models import TraffickingAlert
from amparo.insights.models import DataSharingAgreement

from . import world

pytestmark = pytest.mark.django_db
URL = "/staff/insights/"


@pytest.fixture
def setting(verified_client_for: Callable[..., Client]) -> dict[str, object]:
    places = world.places()
    org = Organization.objects.create(name="Red Uno")
    users = {}
    for role in (Role.ANALYST, Role.COORDINATOR, Role.MONITOR, Role.CASEWORKER):
        user = User.objects.create_user(username=f"{role}@x.org", email=f"{role}@x.org", password="x" * 16)
        Membership.objects.create(user=user, organization=org, role=role)
        users[role] = verified_client_for(user)
    on = world.days_ago(20)
    world.people(org, places.cucuta, 12, on=on)
    world.people(org, places.bogota, 3, on=on, gender="cis_woman")
    for _ in range(6):
        TraffickingAlert.objects.create(place=places.cucuta, gbv_type="rape", indicators=["deception"], raised_on=on,
                                        statistics_consented=True, reporting_organization=org)  # fmt: skip
    return {"org": org, "clients": users, "places": places}


def test_an_analyst_sees_her_organisation_with_charts_and_tables(setting: dict[str, object]) -> None:
    client = setting["clients"][Role.ANALYST]  # type: ignore[index]
    before = AuditEntry.objects.filter(action="insights.dashboard.read").count()
    with translation.override("en"):
        response = client.get(URL, HTTP_ACCEPT_LANGUAGE="en")
    assert response.status_code == 200
    html = response.content.decode()
    assert "<svg" in html and "<title id=" in html and "<desc id=" in html
    assert '<table class="counts">' in html
    assert 'id="cases-gender_identity_by_zone"' in html or "cases-gender-identity-by-zone" in html
    assert '-hatch)"' in html  # the 3 cis women in Bogotá are under 5: hatched, never drawn as 0
    assert "section-alerts" not in html, "alert aggregates are for monitors"
    assert AuditEntry.objects.filter(action="insights.dashboard.read").count() == before + 1


def test_a_monitor_sees_alert_aggregates_in_a_wider_view(setting: dict[str, object]) -> None:
    org: Organization = setting["org"]  # type: ignore[assignment]
    DataSharingAgreement.objects.create(
        organization=org, scope="region", since=date(2020, 1, 1), document_reference="x"
    )
    client = setting["clients"][Role.MONITOR]  # type: ignore[index]
    response = client.get(URL, {"scope": "region"})
    assert response.status_code == 200
    assert "section-alerts" in response.content.decode()
    # a monitor has no organisation view of her own
    assert client.get(URL, {"scope": f"organisation:{org.uuid}"}).status_code == 400


@pytest.mark.parametrize(
    "query",
    [
        {"scope": "galaxy"},
        {"scope": "country:ZZ"},
        {"scope": "region", "start": "2026-05-01", "end": "2026-01-01"},
        {"scope": "region", "start": "not-a-date"},
        {"scope": "region", "start": "1990-01-01", "end": "2026-01-01"},
    ],
)
def test_bad_filters_are_a_clear_page_not_an_error(setting: dict[str, object], query: dict[str, str]) -> None:
    client = setting["clients"][Role.ANALYST]  # type: ignore[index]
    response = client.get(URL, query)
    assert response.status_code == 400
    assert 'role="alert"' in response.content.decode()


def test_a_region_without_agreements_and_an_empty_period_say_so(setting: dict[str, object]) -> None:
    client = setting["clients"][Role.ANALYST]  # type: ignore[index]
    with translation.override("en"):
        response = client.get(URL, {"scope": "region"}, HTTP_ACCEPT_LANGUAGE="en")
    assert response.status_code == 200
    assert "No organisation has an active data-sharing agreement" in response.content.decode()
    org = setting["org"]
    response = client.get(
        URL, {"scope": f"organisation:{org.uuid}", "start": "2001-01-01", "end": "2001-02-01"},  # type: ignore[attr-defined]
        HTTP_ACCEPT_LANGUAGE="en",
    )  # fmt: skip
    assert response.status_code == 200
    assert "No survivor was counted in this period" in response.content.decode()


def test_a_caseworker_does_not_see_statistics(setting: dict[str, object]) -> None:
    assert setting["clients"][Role.CASEWORKER].get(URL).status_code == 404  # type: ignore[index]


def test_a_coordinator_records_and_ends_an_agreement_audited(setting: dict[str, object]) -> None:
    client = setting["clients"][Role.COORDINATOR]  # type: ignore[index]
    org: Organization = setting["org"]  # type: ignore[assignment]
    url = reverse("insights:agreements", args=[org.uuid])
    bad = client.post(url, {"scope": "country", "since": "2026-01-01", "document_reference": "Convenio"})
    assert bad.status_code == 400, "a national agreement names its country"
    response = client.post(
        url, {"scope": "country", "country": "CO", "since": "2026-01-01", "document_reference": "Convenio 7/2026"}
    )
    assert response.status_code == 302
    agreement = DataSharingAgreement.objects.get(organization=org)
    assert agreement.country == "CO" and agreement.active
    assert AuditEntry.objects.filter(action="insights.agreement.recorded", object_id=str(agreement.uuid)).exists()
    assert client.post(reverse("insights:agreement_end", args=[agreement.uuid])).status_code == 302
    agreement.refresh_from_db()
    assert not agreement.active and agreement.ended_at is not None
    assert AuditEntry.objects.filter(action="insights.agreement.ended").count() == 1


def test_another_organisations_coordinator_cannot_touch_the_agreements(
    setting: dict[str, object], verified_client_for: Callable[..., Client]
) -> None:
    org: Organization = setting["org"]  # type: ignore[assignment]
    agreement = DataSharingAgreement.objects.create(organization=org, scope="region", since=date(2020, 1, 1),
                                                    document_reference="x")  # fmt: skip
    other = Organization.objects.create(name="Otra")
    outsider = User.objects.create_user(username="o@x.org", email="o@x.org", password="x" * 16)
    Membership.objects.create(user=outsider, organization=other, role=Role.COORDINATOR)
    client = verified_client_for(outsider)
    assert client.get(reverse("insights:agreements", args=[org.uuid])).status_code == 404
    assert client.post(reverse("insights:agreement_end", args=[agreement.uuid])).status_code == 404
    agreement.refresh_from_db()
    assert agreement.active
    # her own dashboard does not offer the other organisation's view
    assert client.get(URL, {"scope": f"organisation:{org.uuid}"}).status_code == 400
