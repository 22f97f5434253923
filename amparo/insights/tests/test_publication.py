"""Four eyes (issue 16, part 3): preparing freezes the tables, a second person approves or sends back, only an
approved publication is public, withdrawals and rebuilds; every step audited; bad input refused by name."""

from __future__ import annotations

from datetime import date

import pytest
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.utils import timezone, translation

from amparo.audit.models import AuditEntry
from amparo.cases import services as case_services
from amparo.core.once import AlreadyDone, new_token
from amparo.insights import services
from amparo.insights.models import Publication
from amparo.insights.tables import StatTable

from .publication_world import World, builder, last_whole_month, make_world, record_consented_cases

pytestmark = pytest.mark.django_db


@pytest.fixture
def world() -> World:
    return make_world()


def prepare(world: World, counts: list[list[int]] | None = None, **kwargs: object) -> Publication:
    start, end = last_whole_month()
    arguments: dict[str, object] = {
        "actor": world.coordinator,
        "organization": world.org,
        "scope": "country",
        "country": "CO",
        "first_month": start,
        "last_month": end,
        "languages": ["es", "en"],
    }
    if counts is not None:
        arguments["build"] = builder(counts)
    arguments.update(kwargs)
    return services.publication_prepare(**arguments)  # type: ignore[arg-type]


def actions(publication: Publication) -> list[str]:
    return list(
        AuditEntry.objects.filter(object_id=str(publication.uuid)).order_by("seq").values_list("action", flat=True)
    )


def test_preparing_freezes_the_tables_in_each_language_with_the_build_date_and_parameters(world: World) -> None:
    before = timezone.now()
    publication = prepare(world, [[30, 4], [25, 40]])
    start, end = last_whole_month()
    assert publication.status == Publication.Status.PENDING and not publication.is_public
    assert publication.period_start == start and publication.period_end == end
    assert before <= publication.built_at <= timezone.now()
    parameters = publication.parameters
    assert parameters["scope"] == "country" and parameters["country"] == "CO"
    assert parameters["languages"] == ["es", "en"] and parameters["built_at"] == publication.built_at.isoformat()
    assert set(publication.frozen["tables"]) == {"es", "en"}
    spanish, english = publication.tables("es")[0], publication.tables("en")[0]
    assert spanish.rows.label == "Zona" and english.rows.label == "Zone"
    assert english.protected.cells[0][1] is None  # the 4 is hidden in the frozen JSON
    assert Publication.objects.public().count() == 0
    assert actions(publication) == ["publication.prepare"]


def test_the_frozen_figures_do_not_change_when_the_data_does(world: World) -> None:
    """Built through the statistics layer with real records: a later change in the data leaves them as they are."""
    record_consented_cases(world, 12)
    publication = prepare(world)
    frozen = publication.frozen
    record_consented_cases(world, 3)
    publication.refresh_from_db()
    assert publication.frozen == frozen
    assert all(isinstance(StatTable.from_json(t), StatTable) for t in frozen["tables"]["es"])


def test_a_second_person_approves_and_only_then_it_is_public(world: World) -> None:
    publication = prepare(world, [[30, 12], [25, 40]])
    with translation.override("en"), pytest.raises(ValidationError) as refused:
        services.publication_review(actor=world.coordinator, publication=publication, approve=True)
    assert "another person must review it" in " ".join(refused.value.messages)
    publication.refresh_from_db()
    assert publication.status == Publication.Status.PENDING
    services.publication_review(actor=world.analyst, publication=publication, approve=True)
    publication.refresh_from_db()
    assert publication.is_public and publication.reviewed_by == world.analyst and publication.approved_at
    assert list(Publication.objects.public()) == [publication]
    assert actions(publication) == ["publication.prepare", "publication.approve"]
    with pytest.raises(ValidationError):  # reviewed once
        services.publication_review(actor=world.second_coordinator, publication=publication, approve=True)


def test_the_database_refuses_a_reviewer_who_prepared_it(world: World) -> None:
    publication = prepare(world, [[30, 12], [25, 40]])
    with pytest.raises(IntegrityError), transaction.atomic():
        Publication.objects.filter(pk=publication.pk).update(reviewed_by=world.coordinator)


def test_sending_back_needs_a_reason_and_keeps_it_off_the_public_pages(world: World) -> None:
    publication = prepare(world, [[30, 12], [25, 40]])
    with pytest.raises(ValidationError):
        services.publication_review(actor=world.second_coordinator, publication=publication, approve=False)
    services.publication_review(
        actor=world.second_coordinator, publication=publication, approve=False, reason="The month is wrong."
    )
    publication.refresh_from_db()
    assert publication.status == Publication.Status.RETURNED and publication.return_reason == "The month is wrong."
    assert not Publication.objects.public().exists()
    assert actions(publication) == ["publication.prepare", "publication.return"]
    entry = AuditEntry.objects.get(action="publication.return")
    assert "wrong" not in str(entry.detail)  # the reason's words stay out of the audit log


def test_withdrawing_needs_a_reason_and_is_audited(world: World) -> None:
    publication = prepare(world, [[30, 12], [25, 40]])
    services.publication_review(actor=world.monitor, publication=publication, approve=True)
    with pytest.raises(ValidationError):
        services.publication_withdraw(actor=world.coordinator, publication=publication, reason="  ")
    services.publication_withdraw(actor=world.second_coordinator, publication=publication, reason="An error.")
    publication.refresh_from_db()
    assert publication.status == Publication.Status.WITHDRAWN and not publication.is_public
    assert list(Publication.objects.public()) == [publication]  # listed, as withdrawn
    assert actions(publication)[-1] == "publication.withdraw"
    with pytest.raises(ValidationError):
        services.publication_withdraw(actor=world.coordinator, publication=publication, reason="Again.")


def test_a_rebuild_after_a_consent_withdrawal_is_a_new_publication_that_replaces_the_old(world: World) -> None:
    cases = record_consented_cases(world, 12)
    first = prepare(world)
    services.publication_review(actor=world.analyst, publication=first, approve=True)
    case_services.consent_withdraw(actor=world.coordinator, case=cases[0], kind="statistics")
    second = prepare(world, replaces=first)
    assert second.pk != first.pk and second.replaces == first and second.built_at > first.built_at

    def visible_totals(publication: Publication) -> list[int]:
        return [t.protected.total for t in publication.tables("es") if t.protected.total is not None]

    # She is counted in the first build and not in the second: some table's total went from 12 to 11.
    assert 12 in visible_totals(first) and 11 in visible_totals(second)
    services.publication_review(actor=world.second_coordinator, publication=second, approve=True)
    first.refresh_from_db()
    assert first.status == Publication.Status.SUPERSEDED and first.superseded_at
    assert 12 in visible_totals(first)  # its frozen figures are kept as they were (and no longer shown)
    assert actions(first)[-1] == "publication.supersede"


@pytest.mark.parametrize(
    ("change", "message"),
    [
        ({"first_month": date(2020, 5, 1), "last_month": date(2020, 3, 1)}, "comes after"),
        ({"last_month": "this month"}, "whole months"),
        ({"first_month": date(2020, 1, 1)}, "at most 36 months"),
        ({"languages": []}, "at least one language"),
        ({"languages": ["es", "fr"]}, "at least one language"),
        ({"country": "ZZ"}, "country from the list"),
        ({"scope": "planet"}, "scope"),
    ],
)
def test_bad_input_is_refused_by_name(world: World, change: dict[str, object], message: str) -> None:
    if change.get("last_month") == "this month":
        change = {"last_month": timezone.localdate().replace(day=1)}
    with translation.override("en"), pytest.raises(ValidationError) as refused:
        prepare(world, [[30, 12], [25, 40]], **change)
    assert message in " ".join(refused.value.messages)
    assert not Publication.objects.exists()


def test_a_region_has_no_country_and_an_empty_period_still_builds(world: World) -> None:
    publication = prepare(world, scope="region", country="CO")
    assert publication.country == "" and publication.scope == "region"
    for table in publication.tables("es"):  # nothing recorded: every count is 0, none hidden
        assert all(value == 0 for row in table.protected.cells for value in row)


def test_a_resubmitted_form_does_not_build_twice(world: World) -> None:
    token = new_token()
    first = prepare(world, [[30, 12], [25, 40]], form_token=token)
    with pytest.raises(AlreadyDone) as done:
        prepare(world, [[30, 12], [25, 40]], form_token=token)
    assert done.value.ref == str(first.uuid)
    assert Publication.objects.count() == 1
