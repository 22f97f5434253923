"""Coverage gaps: the pure assessment of a cell, and the matrix over a real database (counts in SQL, survey answers
as aggregates), cross-checked against a count in Python over the demo directory."""

from __future__ import annotations

import uuid
from collections import defaultdict
from datetime import timedelta
from typing import Any

import pytest
from django.conf import settings
from django.utils import translation

from amparo.accounts.models import Organization as MemberOrganization
from amparo.directory.demo import places_load
from amparo.directory.models import Place, ServiceAtLocation
from amparo.directory.services import ensure_service_types
from amparo.directory.taxonomy import INCLUSION_FACT_BIT, SERVICE_TYPE_BIT, SERVICE_TYPES
from amparo.networks import gaps
from amparo.networks.gap_selectors import GapQuery, gap_matrix, service_counts, survey_demand
from amparo.networks.gaps import CellCounts, Level, assess, shown_count
from amparo.surveys.models import Submission
from amparo.surveys.tests.factories import make_form

from .gap_world import make_service, sensitise, today

ALL = gaps.groups()
_trans = gaps.group_by_code("trans")
assert _trans is not None
TRANS: gaps.Group = _trans


def test_weights_file_names_only_known_types_facts_and_groups() -> None:
    w = gaps.weights()
    assert {g.code for g in w.groups} == {"no_id", "irregular", "trans", "sex_workers"}
    assert w.min_count >= gaps.SMALL_COUNT
    with pytest.raises(gaps.WeightsError):
        gaps.parse_weights('[needs.x]\nservice_types = ["not-a-type"]\n')
    with pytest.raises(gaps.WeightsError):
        gaps.parse_weights('[groups.trans]\nfact = "not_a_fact"\n')


def test_small_counts_are_shown_as_fewer_than_five() -> None:
    with translation.override("en"):
        assert shown_count(4) == "fewer than 5"
        assert shown_count(1) == "fewer than 5"
        assert shown_count(0) == "0"
        assert shown_count(5) == "5"
    assert gaps.usable(4) == 0 and gaps.usable(7) == 7


def test_cell_levels_and_reasons() -> None:
    with translation.override("en"):
        none = assess("hiv", CellCounts(), ALL, 90)
        assert none.level == Level.NONE and "No active service" in none.reasons[0]
        everyone = {g.code: 1 for g in ALL}
        covered = assess("hiv", CellCounts(2, 2, 1, everyone, everyone), ALL, 90)
        assert covered.level == Level.COVERED
        no_trans = assess("hiv", CellCounts(2, 2, 1, {**everyone, "trans": 0}, everyone), ALL, 90)
        assert no_trans.level == Level.GAP and no_trans.missing_groups == ("trans",)
        assert any("trans women" in r for r in no_trans.reasons)
        # Filtered on one group, the other groups do not count.
        only_trans = assess("hiv", CellCounts(2, 2, 1, {"trans": 1}, {"trans": 1}), (TRANS,), 90)
        assert only_trans.level == Level.COVERED
        stale = assess("hiv", CellCounts(2, 0, 1, everyone, {}), ALL, 90)
        assert stale.level == Level.WEAK and any("90 days" in r for r in stale.reasons)
        unsensitised = assess("hiv", CellCounts(2, 2, 0, everyone, everyone), ALL, 90)
        assert unsensitised.level == Level.WEAK and any("focal point" in r for r in unsensitised.reasons)


def test_survey_weight_uses_only_counts_of_five_or_more() -> None:
    w = gaps.weights()
    cell = assess("mental-health", CellCounts(1, 1, 1, {"trans": 0}, {}), (TRANS,), 90)
    heavy = gaps.SurveyDemand(10, {"mental_health": 5}, {"transphobia": 5})
    assert gaps.weigh(cell, heavy, w).weight == pytest.approx(2.0)  # 1 + 5/10 + 5/10
    light = gaps.SurveyDemand(10, {"mental_health": 4}, {"transphobia": 4})
    assert gaps.weigh(cell, light, w).weight == 1.0
    few = gaps.SurveyDemand(4, {"mental_health": 4}, {})
    assert gaps.weigh(cell, few, w).weight == 1.0
    assert gaps.weigh(cell, None, w).weight == 1.0


@pytest.fixture
def places(db: None) -> None:
    ensure_service_types()
    places_load()


def test_matrix_over_the_database(places: None) -> None:
    hiv_all = make_service(
        "CO54001",
        ("hiv",),
        facts=("no_id_required", "serves_irregular_migrants", "trans_affirming", "sex_worker_friendly"),
    )
    sensitise(hiv_all)
    make_service("CO54001", ("mental-health",), facts=("no_id_required",), verified_days_ago=None)
    make_service("CO54001", ("legal-aid",), status="inactive")
    cucuta = Place.objects.get(pcode="CO54001")
    with translation.override("en"):
        matrix = gap_matrix(GapQuery(scope=cucuta))
    assert [r.place.pcode for r in matrix.rows] == ["CO54001"]
    cells = {c.type_code: c for c in matrix.rows[0].cells}
    assert cells["hiv"].level == Level.COVERED
    assert cells["mental-health"].level == Level.GAP
    assert set(cells["mental-health"].missing_groups) == {"irregular", "trans", "sex_workers"}
    assert any(f"{settings.STALE_AFTER_DAYS} days" in r for r in cells["mental-health"].reasons)
    assert cells["legal-aid"].level == Level.NONE  # inactive services do not count
    assert matrix.rows[0].demand is None  # no survey data


def test_expired_sensitisation_and_stale_verification_weaken_the_cell(places: None) -> None:
    facts = ("no_id_required", "serves_irregular_migrants", "trans_affirming", "sex_worker_friendly")
    old = make_service("CO54001", ("hiv",), facts=facts, verified_days_ago=settings.STALE_AFTER_DAYS + 1)
    sensitise(old, expired=True)
    counts = service_counts(Place.objects.get(pcode="CO54001"))
    cell = counts[(Place.objects.get(pcode="CO54001").pk, "hiv")]
    assert (cell.services, cell.verified, cell.sensitised) == (1, 0, 0)


def test_filters_zone_department_group_and_one_need(places: None) -> None:
    make_service("CO54001", ("hiv",), facts=("trans_affirming",))
    make_service("CO11001", ("hiv",))
    department = Place.objects.get(pcode="CO54")
    rows = gap_matrix(GapQuery(scope=department)).rows
    assert rows and all(r.place.department == department.name for r in rows)
    border = gap_matrix(GapQuery(zone="border")).rows
    assert border and all(r.place.zone == "border" for r in border)
    trans_only = gap_matrix(GapQuery(scope=Place.objects.get(pcode="CO54001"), group=TRANS, type_code="hiv"))
    assert len(trans_only.rows[0].cells) == 1
    assert trans_only.rows[0].cells[0].level == Level.WEAK  # receives trans women; no focal point
    country = gap_matrix(GapQuery(scope=Place.objects.get(pcode="CO")))
    assert {r.place.pcode for r in country.rows} >= {"CO54001", "CO11001"}


def test_an_empty_municipality_shows_every_need_as_no_service(places: None) -> None:
    matrix = gap_matrix(GapQuery(scope=Place.objects.get(pcode="CO54001")))
    assert {c.level for c in matrix.rows[0].cells} == {Level.NONE}
    assert gaps.open_gaps(matrix) == {f"CO54001:{t.code}" for t in SERVICE_TYPES}


def _submission(version: Any, pcode: str, needs: list[str], barriers: list[str], consent: bool = True) -> None:
    Submission.objects.create(
        form=version.form,
        version=version,
        organization=version.form.organization,
        instance_id=f"uuid:{uuid.uuid4()}",
        source=Submission.Source.WEB,
        raw_instance="<data/>",
        answers={"needs": needs, "barriers": barriers},
        municipality_pcode=pcode,
        statistics_consent=consent,
        interview_date=today() - timedelta(days=3),
    )


def test_survey_demand_counts_consenting_answers_per_municipality(places: None) -> None:
    version = make_form(MemberOrganization.objects.create(name="Encuestadora (prueba)"))
    for _ in range(6):
        _submission(version, "CO54001", ["mental_health", "shelter"], ["transphobia"])
    _submission(version, "CO54001", ["mental_health"], [], consent=False)  # no consent to statistics: not counted
    _submission(version, "CO54001", ["mental_health_extra"], ["no_id"])
    demand = survey_demand(["CO54001", "CO11001"])
    assert "CO11001" not in demand
    cucuta = demand["CO54001"]
    assert cucuta.respondents == 7
    assert cucuta.needs["mental_health"] == 6  # "mental_health_extra" is not "mental_health"
    assert cucuta.needs["shelter"] == 6
    assert cucuta.barriers["transphobia"] == 6 and cucuta.barriers["no_id"] == 1
    matrix = gap_matrix(GapQuery(scope=Place.objects.get(pcode="CO54001"), order="priority"))
    cells = {c.type_code: c for c in matrix.rows[0].cells}
    assert cells["mental-health"].weight > cells["hiv"].weight
    with translation.override("en"):
        assert matrix.rows[0].respondents_shown == "7"


def test_sql_counts_agree_with_python_over_the_demo_directory(demo_directory: None) -> None:
    """The grouped SQL against a plain loop over every service point of the demo directory."""
    cutoff = today() - timedelta(days=settings.STALE_AFTER_DAYS)
    expected: dict[tuple[int, str], list[int]] = defaultdict(lambda: [0, 0, 0])
    for sal in ServiceAtLocation.objects.filter(active=True).select_related("service"):
        for t in SERVICE_TYPES:
            if sal.type_mask & SERVICE_TYPE_BIT[t.code]:
                row = expected[(sal.place_id, t.code)]
                row[0] += 1
                verified = sal.service.last_verified_on is not None and sal.service.last_verified_on >= cutoff
                row[1] += verified
                trans = sal.fact_mask & INCLUSION_FACT_BIT["trans_affirming"] != 0
                row[2] += trans
    got = service_counts()
    assert expected, "the demo directory has services"
    assert {k: [c.services, c.verified, c.group["trans"]] for k, c in got.items()} == dict(expected)


def test_survey_demand_counts_the_same_from_analysis_bits_and_from_stale_rows(places: None) -> None:
    """The demand is counted from each submission's analysis bits where its form's codebook holds the pair, and from
    the JSON answers for a row stored before (stale): both give the counts the answers say."""
    from amparo.surveys.analysis_store import fill_analysis

    version = make_form(MemberOrganization.objects.create(name="Encuestadora (bits)"))
    form = version.form
    form.codebook = [
        ["needs", "select_multiple", "mental_health"], ["needs", "select_multiple", "shelter"],
        ["barriers", "select_multiple", "transphobia"], ["barriers", "select_multiple", "no_id"],
    ]  # fmt: skip
    form.save(update_fields=["codebook"])
    for _ in range(4):
        _submission(version, "CO54001", ["mental_health", "shelter"], ["transphobia"])
    _submission(version, "CO54001", "shelter mental_health_extra", ["no_id"])  # type: ignore[arg-type]  # space-separated
    for submission in Submission.objects.filter(form=form):
        fill_analysis(submission, form.codebook)
        submission.save()
    assert Submission.objects.filter(form=form, analysis_size=4).count() == 5
    _submission(version, "CO54001", ["mental_health"], ["no_id"])  # stale: counted from its JSON answers
    cucuta = survey_demand(["CO54001"])["CO54001"]
    assert cucuta.respondents == 6
    assert cucuta.needs["mental_health"] == 5 and cucuta.needs["shelter"] == 5
    assert cucuta.barriers["transphobia"] == 4 and cucuta.barriers["no_id"] == 2


def test_repeated_reports_of_discrimination_weaken_a_covered_cell_without_giving_the_count(places: None) -> None:
    """The campaigns' community-led monitoring feeds the gaps: a need whose services here were reported at least 5
    times (the organisation threshold) for turning people away, asking for an ID or charging, is at least weak,
    with that reason; 4 reports change nothing."""
    from amparo.campaigns.feedback_selectors import add_months, month_start
    from amparo.campaigns.feedback_services import Answers, feedback_submit
    from amparo.directory.models import ServiceAtLocation

    hiv = make_service(
        "CO54001",
        ("hiv",),
        facts=("no_id_required", "serves_irregular_migrants", "trans_affirming", "sex_worker_friendly"),
    )
    sensitise(hiv)
    sal = ServiceAtLocation.objects.get(service=hiv)
    cucuta = Place.objects.get(pcode="CO54001")
    month = add_months(month_start(today()), -1)
    for _ in range(4):
        feedback_submit(service_at_location=sal, visit_month=month, answers=Answers(id_asked=True))
    feedback_submit(service_at_location=sal, visit_month=month, answers=Answers(attended=True, respected=True))
    with translation.override("en"):
        assert {c.type_code: c for c in gap_matrix(GapQuery(scope=cucuta)).rows[0].cells}["hiv"].level == Level.COVERED
        feedback_submit(service_at_location=sal, visit_month=month, answers=Answers(turned_away=True, for_trans=True))
        cell = {c.type_code: c for c in gap_matrix(GapQuery(scope=cucuta)).rows[0].cells}["hiv"]
    assert cell.level == Level.WEAK
    assert any("at least 5 answers" in r for r in cell.reasons) and not any(
        " 5 answers" in r.replace("at least 5", "") for r in cell.reasons
    )
