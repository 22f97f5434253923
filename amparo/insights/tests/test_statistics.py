"""The statistics layer (insights/statistics.py): what is counted, for which scope, and that every table went
through disclosure control with the page's shared margins kept consistent."""

from __future__ import annotations

from datetime import date, timedelta

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from amparo.accounts.models import Organization
from amparo.cases.models import Consent, TraffickingAlert
from amparo.insights.statistics import (
    Scope,
    ScopeError,
    by_key,
    dashboard_tables,
    organisations_in_scope,
    public_tables,
)
from amparo.insights.tables import StatTable

from . import world

pytestmark = pytest.mark.django_db

START, END = date(2026, 1, 1), date(2026, 3, 31)
ON = date(2026, 2, 10)


def cell(table: StatTable, row: str, column: str) -> int | None:
    i = [c.code for c in table.row_categories].index(row)
    j = [c.code for c in table.column_categories].index(column)
    return table.protected.cells[i][j]


def row_total(table: StatTable, row: str) -> int | None:
    return table.protected.row_totals[[c.code for c in table.row_categories].index(row)]


def column_total(table: StatTable, column: str) -> int | None:
    return table.protected.column_totals[[c.code for c in table.column_categories].index(column)]


@pytest.fixture
def places() -> world.Places:
    return world.places()


@pytest.fixture
def org() -> Organization:
    return Organization.objects.create(name="Red Uno")


def org_tables(org: Organization, **kwargs: object) -> dict[str, StatTable]:
    scope = Scope("organisation", organization_id=org.pk)
    return by_key(dashboard_tables(scope=scope, start=START, end=END, language="en", **kwargs))  # type: ignore[arg-type]


def test_only_consented_people_count_and_a_withdrawal_takes_her_out(org: Organization, places: world.Places) -> None:
    counted = world.people(org, places.cucuta, 6, on=ON)
    world.people(org, places.cucuta, 3, on=ON, consent=False)
    table = org_tables(org)["cases.gender_identity_by_zone"]
    assert cell(table, "trans_woman", "border") == 6
    assert table.protected.total == 6
    Consent.objects.filter(case=counted[0]).update(withdrawn_at=timezone.now())
    again = org_tables(org)["cases.gender_identity_by_zone"]
    assert again.protected.total == 5
    assert cell(again, "trans_woman", "border") == 5


def test_a_person_counts_once_with_her_latest_incident_of_the_period(org: Organization, places: world.Places) -> None:
    from amparo.cases.models import Incident

    cases = world.people(org, places.cucuta, 5, on=ON, gbv_type="physical_assault")
    for case in cases:  # a second, later incident in the period, elsewhere
        Incident.objects.create(
            case=case, occurred_at=world.at(ON + timedelta(days=20)), first_reported_at=world.at(ON),
            place=places.bogota, gbv_type="rape", perpetrator_types=["police"],
        )  # fmt: skip
    tables = org_tables(org)
    gbv = tables["cases.gbv_type_by_zone"]
    assert gbv.protected.total == 5
    assert cell(gbv, "rape", "urban") == 5
    assert cell(gbv, "physical_assault", "border") == 0
    months = tables["cases.month_by_zone"]
    assert [c.code for c in months.row_categories] == ["2026-01", "2026-02", "2026-03"]
    assert cell(months, "2026-03", "urban") == 5


def test_state_agents_and_organised_crime_are_rows_of_their_own(org: Organization, places: world.Places) -> None:
    world.people(org, places.cucuta, 5, on=ON, perpetrators=("client", "police"))
    world.people(org, places.cucuta, 5, on=ON, perpetrators=("organised_crime",))
    world.people(org, places.cucuta, 5, on=ON, perpetrators=("client",))
    world.people(org, places.cucuta, 5, on=ON, perpetrators=("migration_official", "exploiter"))
    table = org_tables(org)["cases.perpetrator_type_by_zone"]
    assert cell(table, "police", "border") == 5
    assert cell(table, "organised_crime", "border") == 5
    assert cell(table, "migration_official", "border") == 5
    assert cell(table, "client", "border") == 5
    assert table.protected.total == 20
    assert "other" not in [c.code for c in table.row_categories]


def test_small_cells_are_hidden_and_shared_margins_agree_across_tables(org: Organization, places: world.Places) -> None:
    world.people(org, places.cucuta, 12, on=ON)
    world.people(org, places.bogota, 9, on=ON, gender="cis_woman", gbv_type="physical_assault")
    world.people(
        org, places.rural, 2, on=ON, gender="non_binary", gbv_type="denial_of_resources_opportunities_or_services"
    )
    tables = org_tables(org)
    gender = tables["cases.gender_identity_by_zone"]
    assert cell(gender, "non_binary", "rural") is None, "2 is under 5"
    assert row_total(gender, "non_binary") is None
    # The people per zone type are the column totals of every case table: hidden or shown alike everywhere.
    case_tables = [t for k, t in tables.items() if k.startswith("cases.") and k.endswith("_by_zone")]
    assert len(case_tables) == 7
    for zone in ("border", "urban", "rural", "not_recorded"):
        shown = {column_total(t, zone) for t in case_tables if not t.protected.withheld}
        assert len(shown) == 1, (zone, shown)
    assert column_total(gender, "rural") is None
    assert {t.protected.total for t in case_tables if not t.protected.withheld} == {23}
    cross = tables["cases.gbv_type_by_gender_identity"]
    assert cross.columns.key == "gender_identity"
    assert cross.protected.column_totals[[c.code for c in cross.column_categories].index("non_binary")] is None


def test_the_public_threshold_applies_to_national_and_regional_views(org: Organization, places: world.Places) -> None:
    world.agreement(org, "region")
    world.people(org, places.cucuta, 8, on=ON)
    world.people(org, places.bogota, 30, on=ON)
    region = by_key(dashboard_tables(scope=Scope("region"), start=START, end=END, language="en"))
    table = region["cases.gender_identity_by_zone"]
    assert table.threshold == 11
    assert cell(table, "trans_woman", "border") is None, "8 is under 11"
    inside = org_tables(org)["cases.gender_identity_by_zone"]
    assert inside.threshold == 5
    assert cell(inside, "trans_woman", "border") == 8


def test_an_organisation_without_an_agreement_never_moves_a_regional_figure(places: world.Places) -> None:
    sharing, silent = Organization.objects.create(name="Comparte"), Organization.objects.create(name="Calla")
    world.agreement(sharing, "region")
    world.agreement(silent, "country", "CO")  # a national agreement does not cover the regional view
    world.people(sharing, places.cucuta, 20, on=ON)
    before = [t.to_json() for t in dashboard_tables(scope=Scope("region"), start=START, end=END, language="en")]
    world.people(silent, places.cucuta, 15, on=ON)
    world.people(silent, places.quito, 15, on=ON)
    after = [t.to_json() for t in dashboard_tables(scope=Scope("region"), start=START, end=END, language="en")]
    assert before == after
    assert organisations_in_scope(Scope("region"), START, END) == [sharing.pk]


def test_a_national_view_counts_that_country_only(org: Organization, places: world.Places) -> None:
    world.agreement(org, "country", "CO")
    world.people(org, places.cucuta, 12, on=ON)
    world.people(org, places.quito, 20, on=ON)
    tables = by_key(dashboard_tables(scope=Scope("country", country="CO"), start=START, end=END, language="en"))
    assert tables["cases.gender_identity_by_zone"].protected.total == 12
    departments = tables["cases.admin1_by_zone"]
    assert [c.label for c in departments.row_categories] == ["Norte de Santander"]
    assert not dashboard_tables(scope=Scope("country", country="EC"), start=START, end=END, language="en")[
        0
    ].protected.total, "no organisation shares for Ecuador"


def test_an_ended_or_expired_agreement_counts_nothing(org: Organization, places: world.Places) -> None:
    from amparo.insights.models import DataSharingAgreement

    world.people(org, places.cucuta, 12, on=ON)
    agreement = world.agreement(org, "region")
    assert organisations_in_scope(Scope("region"), START, END) == [org.pk]
    DataSharingAgreement.objects.filter(pk=agreement.pk).update(until=date(2025, 12, 31))  # type: ignore[attr-defined]
    assert organisations_in_scope(Scope("region"), START, END) == []
    DataSharingAgreement.objects.filter(pk=agreement.pk).update(until=None, active=False)  # type: ignore[attr-defined]
    assert organisations_in_scope(Scope("region"), START, END) == []


def test_referral_outcomes_and_days_to_attention(org: Organization, places: world.Places) -> None:
    from amparo.directory.models import Organization as Entity
    from amparo.directory.models import Service
    from amparo.referrals.models import Referral, ReferralEvent

    entity = Entity.objects.create(name="Hospital", kind="health")
    service = Service.objects.create(organization=entity, name="Urgencias")
    cases = world.people(org, places.cucuta, 12, on=ON)
    for k, case in enumerate(cases):
        sent = world.at(ON + timedelta(days=1))
        referral = Referral.objects.create(
            case=case, service=service, service_type="health", respond_by=sent + timedelta(days=1), sent_at=sent,
            status="attended" if k < 6 else "declined",
        )  # fmt: skip
        if k < 6:
            ReferralEvent.objects.create(referral=referral, status="attended", at=sent + timedelta(days=2 + k % 2))
    tables = org_tables(org)
    outcomes = tables["referrals.outcome_by_type"]
    assert outcomes.unit == "referrals"
    assert row_total(outcomes, "attended") == 6
    assert cell(outcomes, "declined", "health") == 6
    delays = tables["referrals.delay_by_type"]
    assert delays.protected.total == 6
    assert cell(delays, "2-3", "health") == 6


def test_alerts_only_for_monitors_and_only_consented(org: Organization, places: world.Places) -> None:
    for k in range(7):
        TraffickingAlert.objects.create(
            place=places.cucuta, gbv_type="rape", indicators=["deception"], raised_on=ON,
            statistics_consented=k < 6, reporting_organization=org,
        )  # fmt: skip
    assert "alerts.month_by_zone" not in org_tables(org)
    alerts = org_tables(org, include_alerts=True)["alerts.month_by_zone"]
    assert alerts.unit == "alerts"
    assert cell(alerts, "2026-02", "border") == 6


def test_public_tables_need_a_national_or_regional_scope_and_use_whole_months(org: Organization) -> None:
    with pytest.raises(ScopeError):
        public_tables(scope=Scope("organisation", organization_id=org.pk), start=START, end=END, language="es")
    tables = public_tables(scope=Scope("region"), start=date(2026, 1, 15), end=date(2026, 2, 3), language="es")
    assert {t.period_start for t in tables} == {date(2026, 1, 1)}
    assert {t.period_end for t in tables} == {date(2026, 2, 28)}
    assert all(t.threshold == 11 for t in tables)
    assert not [t for t in tables if t.key.startswith("alerts.")]


@pytest.mark.parametrize(
    "scope",
    [Scope("planet"), Scope("organisation"), Scope("country", country="Colombia"), Scope("country")],
)
def test_a_malformed_scope_is_refused(scope: Scope) -> None:
    with pytest.raises(ScopeError):
        dashboard_tables(scope=scope, start=START, end=END, language="es")


def test_rounding_rounds_what_is_shown_after_suppression(
    org: Organization, places: world.Places, settings: object
) -> None:
    world.people(org, places.cucuta, 12, on=ON)
    world.people(org, places.bogota, 13, on=ON, gender="cis_woman")
    world.people(org, places.bogota, 2, on=ON)
    exact = org_tables(org)["cases.gender_identity_by_zone"].protected.grid()
    settings.INSIGHTS_ROUNDING = 5  # type: ignore[attr-defined]
    table = org_tables(org)["cases.gender_identity_by_zone"]
    shown = table.protected.grid()
    assert table.protected.total == 25, "27 people, shown as 25"
    for exact_row, shown_row in zip(exact, shown, strict=True):
        for value, rounded in zip(exact_row, shown_row, strict=True):
            if value is None:
                assert rounded is None, "a hidden count stays hidden, never rounded to 0"
            else:
                assert rounded == 5 * ((value + 2) // 5)
    assert any("rounded" in note for note in table.notes)


def test_counting_is_done_by_the_database(org: Organization, places: world.Places) -> None:
    """The number of queries does not grow with the records: GROUP BY, never a row per person."""
    world.people(org, places.cucuta, 5, on=ON)
    with CaptureQueriesContext(connection) as few:
        org_tables(org)
    world.people(org, places.bogota, 40, on=ON)
    with CaptureQueriesContext(connection) as many:
        org_tables(org)
    assert len(many) == len(few)
